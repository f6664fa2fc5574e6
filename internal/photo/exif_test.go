package photo

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"inframap/internal/maint"
)

// tiff builds TIFF-structured EXIF blocks for tests, big-endian.
type tiff struct{ b []byte }

func newTIFF() *tiff {
	return &tiff{b: []byte{'M', 'M', 0, 42, 0, 0, 0, 8}}
}

type entry struct {
	tag, typ   uint16
	count, val uint32
}

// ifd appends an IFD at the end of the block and returns its offset.
func (t *tiff) ifd(next uint32, es ...entry) uint32 {
	off := uint32(len(t.b))
	t.b = binary.BigEndian.AppendUint16(t.b, uint16(len(es)))
	for _, e := range es {
		t.b = binary.BigEndian.AppendUint16(t.b, e.tag)
		t.b = binary.BigEndian.AppendUint16(t.b, e.typ)
		t.b = binary.BigEndian.AppendUint32(t.b, e.count)
		t.b = binary.BigEndian.AppendUint32(t.b, e.val)
	}
	t.b = binary.BigEndian.AppendUint32(t.b, next)
	return off
}

// at overwrites a 4-byte value at off.
func (t *tiff) at(off, v uint32) *tiff {
	binary.BigEndian.PutUint32(t.b[off:], v)
	return t
}

func (t *tiff) data(s string) uint32 {
	off := uint32(len(t.b))
	t.b = append(t.b, s...)
	return off
}

// validBlock is IFD0 (Orientation 8) → Exif IFD (DateTimeOriginal).
func validBlock() []byte {
	t := newTIFF()
	// IFD0 at 8: one entry plus the Exif pointer; 2+24+4 = 30 bytes.
	exifAt := uint32(8 + 30)
	t.ifd(0, entry{0x0112, 3, 1, 8 << 16}, entry{0x8769, 4, 1, exifAt})
	dateAt := exifAt + 2 + 12 + 4
	t.ifd(0, entry{0x9003, 2, 20, dateAt})
	t.data("2024:06:15 10:30:00\x00")
	return t.b
}

func TestCheckTIFF(t *testing.T) {
	tests := []struct {
		name  string
		block func() []byte
		// want is a part of the error, "" for none.
		want string
	}{
		{"valid", validBlock, ""},
		{"too short", func() []byte { return []byte("MM\x00*") }, "no TIFF header"},
		{"not TIFF", func() []byte { return []byte("XX\x00*\x00\x00\x00\x08") }, "no TIFF header"},
		{"first IFD outside", func() []byte { return newTIFF().at(4, 1<<31).b }, "outside"},
		{"IFD runs past the end", func() []byte {
			t := newTIFF()
			t.b = append(t.b, 0x10, 0x00) // 4096 entries, none there
			return t.b
		}, "runs past"},
		{"count beyond the block", func() []byte {
			t := newTIFF()
			t.ifd(0, entry{0x9003, 2, 1<<31 - 16, 26})
			return t.b
		}, "claims 2147483632 bytes"},
		{"count × size wraps 32 bits", func() []byte {
			// 0x20000001 rationals are 8 bytes in uint32 arithmetic.
			t := newTIFF()
			t.ifd(0, entry{0x0002, 5, 0x20000001, 8})
			return t.b
		}, "claims 4294967304 bytes"},
		{"offset near 2^32", func() []byte {
			t := newTIFF()
			t.ifd(0, entry{0x9003, 2, 20, 0xFFFFFFF0})
			return t.b
		}, "outside"},
		{"child IFD points at its parent", func() []byte {
			t := newTIFF()
			t.ifd(0, entry{0x8769, 4, 1, 8})
			return t.b
		}, "linked twice"},
		{"next IFD points back", func() []byte {
			t := newTIFF()
			t.ifd(8)
			return t.b
		}, "linked twice"},
		{"GPS IFD outside", func() []byte {
			t := newTIFF()
			t.ifd(0, entry{0x8825, 4, 1, 5000})
			return t.b
		}, "outside"},
		{"thumbnail outside", func() []byte {
			t := newTIFF()
			t.ifd(0, entry{0x0201, 4, 1, 20}, entry{0x0202, 4, 1, 1 << 30})
			return t.b
		}, "thumbnail"},
		{"too many IFDs", func() []byte {
			t := newTIFF()
			for i := range 20 {
				t.ifd(uint32(8 + 6*(i+1)))
			}
			return t.b
		}, "IFDs"},
		{"unknown types are not read", func() []byte {
			t := newTIFF()
			t.ifd(0, entry{0x9003, 99, 1 << 31, 1 << 31})
			return t.b
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkTIFF(tt.block())
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("checkTIFF(%s) = %v, want nil", tt.name, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("checkTIFF(%s) = %v, want an error with %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestParseEXIF(t *testing.T) {
	x, err := newEXIFReader()
	if err != nil {
		t.Fatal(err)
	}
	e := x.parse(validBlock())
	want := time.Date(2024, 6, 15, 10, 30, 0, 0, maint.Zone)
	if !e.Present || e.Corrupt || e.Orientation != 8 || e.TakenAt == nil || !e.TakenAt.Equal(want) {
		t.Errorf("parse(valid block) = %+v, want orientation 8, taken at %v", e, want)
	}
	// A first IFD at offset 0 reads the header as an IFD of 19789 entries.
	broken := validBlock()
	copy(broken[4:], []byte{0, 0, 0, 0})
	if e := x.parse(broken); !e.Corrupt {
		t.Errorf("parse(IFD at 0) = %+v, want corrupt", e)
	}
}

func TestTakenAt(t *testing.T) {
	tests := []struct {
		date, subsec, offset string
		want                 string // RFC 3339, "" for nil
	}{
		{"2024:06:15 10:30:00", "", "+08:00", "2024-06-15T10:30:00+08:00"},
		{"2024:06:15 10:30:00", "25", "+08:00", "2024-06-15T10:30:00.25+08:00"},
		{"2024:06:15 10:30:00", "004", "-03:00", "2024-06-15T10:30:00.004-03:00"},
		{"2024:06:15 10:30:00", "", "", "2024-06-15T10:30:00+08:00"},       // district zone
		{"2024:06:15 10:30:00", "", "bogus", "2024-06-15T10:30:00+08:00"},  // likewise
		{"2024:06:15 10:30:00", "x1", "+00:00", "2024-06-15T10:30:00Z"},    // bad subseconds dropped
		{"2024:01:15 10:30:00", "", "+05:45", "2024-01-15T10:30:00+05:45"}, // Nepal
		{"    :  :     :  :  ", "", "", ""},                                // no clock
		{"0000:00:00 00:00:00", "", "", ""},
		{"", "", "+08:00", ""},
	}
	for _, tt := range tests {
		got := ""
		if t := takenAt(tt.date, tt.subsec, tt.offset); t != nil {
			got = t.Format(time.RFC3339Nano)
		}
		if got != tt.want {
			t.Errorf("takenAt(%q, %q, %q) = %q, want %q", tt.date, tt.subsec, tt.offset, got, tt.want)
		}
	}
}

func TestFindEXIF(t *testing.T) {
	tests := []struct {
		file, mediaType string
		found           bool
	}{
		{"gps-ne.jpg", "image/jpeg", true},
		{"noexif.jpg", "image/jpeg", false},
		{"photo.png", "image/png", true},
		{"photo.webp", "image/webp", true},
		{"truncated.jpg", "image/jpeg", true},
		{"huge.png", "image/png", false},
	}
	for _, tt := range tests {
		data := readFixture(t, tt.file)
		b, err := findEXIF(bytes.NewReader(data), int64(len(data)), tt.mediaType)
		if found := err == nil; found != tt.found {
			t.Errorf("findEXIF(%s) = %d bytes, %v; want found %v", tt.file, len(b), err, tt.found)
		}
		if err == nil && !bytes.HasPrefix(b, []byte("MM\x00*")) && !bytes.HasPrefix(b, []byte("II*\x00")) {
			t.Errorf("findEXIF(%s) = % x…, want a TIFF header", tt.file, b[:min(8, len(b))])
		}
	}
}
