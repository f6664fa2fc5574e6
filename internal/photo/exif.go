package photo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"

	"inframap/internal/maint"
)

// EXIF is what a photo's EXIF block says about where, when and which way up
// it was taken. A block that cannot be read safely is recorded as corrupt
// and otherwise ignored: the photo is still good evidence without it.
type EXIF struct {
	// Present says the file has an EXIF block.
	Present bool `json:"present"`
	// Corrupt says the block was there but malformed; the fields below are
	// then empty.
	Corrupt bool `json:"corrupt,omitempty"`
	// Problem says what was wrong with a corrupt block, for the logs.
	Problem string `json:"problem,omitempty"`
	// Lat and Lon are the GPS position in WGS 84 degrees, south and west
	// negative. Phones write 0,0 without a fix; that is taken as no
	// position.
	Lat *float64 `json:"lat,omitempty"`
	Lon *float64 `json:"lon,omitempty"`
	// TakenAt is DateTimeOriginal with SubSecTimeOriginal, at
	// OffsetTimeOriginal, or in the district's zone (maint.Zone) when the
	// camera wrote no offset.
	TakenAt *time.Time `json:"taken_at,omitempty"`
	// Orientation is the EXIF orientation, 1–8; 1 (upright) when absent or
	// out of range. The display copy and thumbnail have it applied.
	Orientation int `json:"orientation"`
}

// maxEXIF bounds the EXIF block read into memory. A JPEG APP1 segment
// cannot exceed 64 KiB; PNG and WebP allow more, but no camera writes it.
const maxEXIF = 64 << 10

// exifReader reads EXIF blocks with go-exif. Its tag index and IFD mapping
// are built once: go-exif loads the tag list from YAML on first use, and
// doing that lazily races when photos arrive together.
type exifReader struct {
	mapping *exifcommon.IfdMapping
	tags    *exif.TagIndex
}

func newEXIFReader() (*exifReader, error) {
	mapping, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return nil, fmt.Errorf("exif: load IFD mapping: %w", err)
	}
	tags := exif.NewTagIndex()
	if err := exif.LoadStandardTags(tags); err != nil {
		return nil, fmt.Errorf("exif: load tags: %w", err)
	}
	return &exifReader{mapping: mapping, tags: tags}, nil
}

// read finds the EXIF block of the file and parses it.
func (x *exifReader) read(r io.ReaderAt, size int64, mediaType string) EXIF {
	block, err := findEXIF(r, size, mediaType)
	switch {
	case errors.Is(err, errNoEXIF):
		return EXIF{Orientation: 1}
	case err != nil:
		return EXIF{Present: true, Corrupt: true, Problem: err.Error(), Orientation: 1}
	}
	return x.parse(block)
}

// parse reads the fields of EXIF from a TIFF-structured block (what follows
// "Exif\0\0" in a JPEG). It never panics and allocates at most a small
// multiple of len(b): checkTIFF refuses any block that points outside
// itself before go-exif reads it.
func (x *exifReader) parse(b []byte) (e EXIF) {
	corrupt := func(format string, args ...any) EXIF {
		return EXIF{Present: true, Corrupt: true, Problem: fmt.Sprintf(format, args...), Orientation: 1}
	}
	if len(b) > maxEXIF {
		return corrupt("exif: block of %d bytes is over %d", len(b), maxEXIF)
	}
	if err := checkTIFF(b); err != nil {
		return corrupt("%v", err)
	}
	// go-exif turns most of its errors into panics and recovers them, but
	// its recover itself panics again when the value is not an error. Catch
	// whatever is left.
	defer func() {
		if v := recover(); v != nil {
			e = corrupt("exif: reader panicked: %v", v)
		}
	}()
	_, index, err := exif.Collect(x.mapping, x.tags, b)
	if err != nil {
		return corrupt("exif: %v", firstLine(err))
	}
	e = EXIF{Present: true, Orientation: 1}
	root := index.RootIfd
	if v, ok := firstUint(root, 0x0112); ok && v >= 1 && v <= 8 {
		e.Orientation = int(v)
	}
	if sub, err := root.ChildWithIfdPath(exifcommon.IfdExifStandardIfdIdentity); err == nil {
		e.TakenAt = takenAt(asciiTag(sub, 0x9003), asciiTag(sub, 0x9291), asciiTag(sub, 0x9011))
	}
	if gps, err := root.ChildWithIfdPath(exifcommon.IfdGpsInfoStandardIfdIdentity); err == nil {
		if gi, err := gps.GpsInfo(); err == nil {
			lat, lon := gi.Latitude.Decimal(), gi.Longitude.Decimal()
			if validPosition(lat, lon) {
				e.Lat, e.Lon = &lat, &lon
			}
		}
	}
	return e
}

func validPosition(lat, lon float64) bool {
	return !math.IsNaN(lat) && !math.IsNaN(lon) &&
		math.Abs(lat) <= 90 && math.Abs(lon) <= 180 &&
		(lat != 0 || lon != 0)
}

// takenAt combines the three EXIF time tags; nil when the date is missing or
// malformed (cameras without a clock write blanks or zeros).
func takenAt(dateTime, subSec, offset string) *time.Time {
	if dateTime == "" {
		return nil
	}
	loc := maint.Zone
	if offset != "" {
		if t, err := time.Parse("-07:00", offset); err == nil {
			_, secs := t.Zone()
			loc = time.FixedZone(offset, secs)
		}
	}
	t, err := time.ParseInLocation("2006:01:02 15:04:05", dateTime, loc)
	if err != nil || t.Year() < 1900 {
		return nil
	}
	if subSec = strings.TrimRight(subSec, " "); subSec != "" && len(subSec) <= 9 && strings.Trim(subSec, "0123456789") == "" {
		ns := 0
		for i := range 9 {
			ns *= 10
			if i < len(subSec) {
				ns += int(subSec[i] - '0')
			}
		}
		t = t.Add(time.Duration(ns))
	}
	return &t
}

// firstUint returns the first value of a SHORT or LONG tag.
func firstUint(ifd *exif.Ifd, id uint16) (uint32, bool) {
	tags, err := ifd.FindTagWithId(id)
	if err != nil || len(tags) == 0 {
		return 0, false
	}
	v, err := tags[0].Value()
	if err != nil {
		return 0, false
	}
	switch v := v.(type) {
	case []uint16:
		if len(v) > 0 {
			return uint32(v[0]), true
		}
	case []uint32:
		if len(v) > 0 {
			return v[0], true
		}
	}
	return 0, false
}

// asciiTag returns an ASCII tag's value, trimmed, or "".
func asciiTag(ifd *exif.Ifd, id uint16) string {
	tags, err := ifd.FindTagWithId(id)
	if err != nil || len(tags) == 0 {
		return ""
	}
	v, err := tags[0].Value()
	if err != nil {
		return ""
	}
	s, _ := v.(string)
	return strings.TrimSpace(strings.TrimRight(s, "\x00"))
}

// firstLine drops the stack trace that go-exif's errors carry.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

var errNoEXIF = errors.New("no EXIF block")

// findEXIF returns the TIFF-structured EXIF block of the file: a JPEG's APP1
// "Exif" segment, a PNG's eXIf chunk or a WebP's EXIF chunk. It reads only
// the containers' headers up to the block, and errNoEXIF when there is none.
func findEXIF(r io.ReaderAt, size int64, mediaType string) ([]byte, error) {
	switch mediaType {
	case "image/jpeg":
		return jpegEXIF(bufio.NewReader(io.NewSectionReader(r, 0, size)))
	case "image/png":
		return chunkEXIF(r, size, 8, binary.BigEndian, "eXIf", "IDAT")
	case "image/webp":
		return chunkEXIF(r, size, 12, binary.LittleEndian, "EXIF", "")
	}
	return nil, errNoEXIF
}

// maxSegments bounds the walk through a container's headers, so a file of
// thousands of empty segments costs no more than a normal one.
const maxSegments = 256

var exifHeader = []byte("Exif\x00\x00")

// jpegEXIF walks the JPEG markers up to the start of scan.
func jpegEXIF(r *bufio.Reader) ([]byte, error) {
	if _, err := r.Discard(2); err != nil { // SOI
		return nil, errNoEXIF
	}
	for range maxSegments {
		var m [4]byte
		if _, err := io.ReadFull(r, m[:2]); err != nil || m[0] != 0xFF {
			return nil, errNoEXIF
		}
		for m[1] == 0xFF { // fill bytes
			if m[1], _ = r.ReadByte(); m[1] == 0 {
				return nil, errNoEXIF
			}
		}
		switch {
		case m[1] == 0xDA || m[1] == 0xD9: // start of scan, end of image
			return nil, errNoEXIF
		case m[1] >= 0xD0 && m[1] <= 0xD7 || m[1] == 0x01: // no length
			continue
		}
		if _, err := io.ReadFull(r, m[2:]); err != nil {
			return nil, errNoEXIF
		}
		n := int(binary.BigEndian.Uint16(m[2:])) - 2
		if n < 0 {
			return nil, errNoEXIF
		}
		if m[1] == 0xE1 && n >= len(exifHeader) {
			if peek, err := r.Peek(len(exifHeader)); err == nil && bytes.Equal(peek, exifHeader) {
				seg := make([]byte, n)
				if _, err := io.ReadFull(r, seg); err != nil {
					return nil, fmt.Errorf("exif: APP1 segment cut short: %w", err)
				}
				return seg[len(exifHeader):], nil
			}
		}
		if _, err := r.Discard(n); err != nil {
			return nil, errNoEXIF
		}
	}
	return nil, errNoEXIF
}

// chunkEXIF walks the chunks of a PNG (4-byte big-endian length, type, data,
// CRC) or a WebP (type, 4-byte little-endian length, data padded to even)
// from off, and returns the data of the chunk named want. It stops at the
// chunk named stop, if any.
func chunkEXIF(r io.ReaderAt, size, off int64, order binary.ByteOrder, want, stop string) ([]byte, error) {
	png := order == binary.BigEndian
	var h [8]byte
	for range maxSegments {
		if _, err := r.ReadAt(h[:], off); err != nil {
			return nil, errNoEXIF
		}
		var typ string
		var n int64
		if png {
			n, typ = int64(binary.BigEndian.Uint32(h[:4])), string(h[4:])
		} else {
			typ, n = string(h[:4]), int64(binary.LittleEndian.Uint32(h[4:]))
		}
		if typ == stop || off+8+n > size {
			return nil, errNoEXIF
		}
		if typ == want {
			if n > maxEXIF {
				return nil, fmt.Errorf("exif: %s chunk of %d bytes is over %d", want, n, maxEXIF)
			}
			b := make([]byte, n)
			if _, err := r.ReadAt(b, off+8); err != nil {
				return nil, fmt.Errorf("exif: read %s chunk: %w", want, err)
			}
			// Some WebP writers keep the JPEG's "Exif\0\0" prefix.
			return bytes.TrimPrefix(b, exifHeader), nil
		}
		off += 8 + n
		if png {
			off += 4 // CRC
		} else {
			off += n & 1 // padding
		}
	}
	return nil, errNoEXIF
}
