package photo

import (
	"encoding/binary"
	"fmt"
)

// Bounds of a well-formed EXIF block. Real ones have five IFDs at most (0th,
// Exif, GPS, interoperability, 1st) and a few hundred entries.
const (
	maxIFDs       = 16
	maxIFDEntries = 1024
)

// checkTIFF refuses an EXIF block that points outside itself, before go-exif
// reads it. go-exif v3.0.1 trusts the block: it allocates a tag's unit count
// × unit size before reading the value (a corrupt count asks for
// gigabytes), and allocates the thumbnail's declared length the same way.
// This walks every IFD that go-exif would walk — the 0th chain and the Exif,
// GPS and interoperability IFDs, followed wherever they appear — and checks
// every entry's value, every IFD and the thumbnail against len(b). It also
// refuses an IFD linked twice and more IFDs or entries than a camera
// writes, so that go-exif's work stays in proportion to a real block (it
// remembers the next-IFD links it has followed, not the child links). It
// reads no value beyond the 4-byte fields, so it is itself bounded by
// len(b).
func checkTIFF(b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("exif: block of %d bytes has no TIFF header", len(b))
	}
	var bo binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return fmt.Errorf("exif: no TIFF header")
	}
	size := uint64(len(b))
	queue := []uint32{bo.Uint32(b[4:])}
	seen := map[uint32]bool{}
	entries := 0
	for len(queue) > 0 {
		off := queue[0]
		queue = queue[1:]
		if seen[off] {
			return fmt.Errorf("exif: IFD at %d is linked twice", off)
		}
		seen[off] = true
		if len(seen) > maxIFDs {
			return fmt.Errorf("exif: more than %d IFDs", maxIFDs)
		}
		if uint64(off)+2 > size {
			return fmt.Errorf("exif: IFD at %d is outside the %d-byte block", off, size)
		}
		n := uint64(bo.Uint16(b[off:]))
		end := uint64(off) + 2 + 12*n
		if end+4 > size {
			return fmt.Errorf("exif: IFD at %d with %d entries runs past the %d-byte block", off, n, size)
		}
		if entries += int(n); entries > maxIFDEntries {
			return fmt.Errorf("exif: more than %d entries", maxIFDEntries)
		}
		var thumbOff, thumbLen uint64
		for e := uint64(off) + 2; e < end; e += 12 {
			tag, typ, count, val := bo.Uint16(b[e:]), bo.Uint16(b[e+2:]), bo.Uint32(b[e+4:]), bo.Uint32(b[e+8:])
			if n := uint64(count) * unitSize(typ); n > 4 && uint64(val)+n > size {
				return fmt.Errorf("exif: tag 0x%04x claims %d bytes at %d, outside the %d-byte block", tag, n, val, size)
			}
			switch tag {
			case 0x8769, 0x8825, 0xA005: // Exif, GPS and interoperability IFDs
				queue = append(queue, val)
			case 0x0201: // thumbnail offset
				thumbOff = max(thumbOff, uint64(val))
			case 0x0202: // thumbnail length
				if count == 1 && typ == 4 {
					thumbLen = max(thumbLen, uint64(val))
				}
			}
		}
		if thumbOff+thumbLen > size {
			return fmt.Errorf("exif: thumbnail of %d bytes at %d is outside the %d-byte block", thumbLen, thumbOff, size)
		}
		if next := bo.Uint32(b[end:]); next != 0 {
			queue = append(queue, next)
		}
	}
	return nil
}

// unitSize is the size of one unit of a TIFF field type, as go-exif reads
// it, or 0 for a type that go-exif skips without reading. 0xF0 is go-exif's
// own "ASCII without NUL", which it accepts from a file too.
func unitSize(typ uint16) uint64 {
	switch typ {
	case 1, 2, 6, 7, 0xF0: // BYTE, ASCII, SBYTE, UNDEFINED
		return 1
	case 3, 8: // SHORT, SSHORT
		return 2
	case 4, 9, 11: // LONG, SLONG, FLOAT
		return 4
	case 5, 10, 12: // RATIONAL, SRATIONAL, DOUBLE
		return 8
	}
	return 0
}
