// Command gen makes the image fixtures of internal/photo. It is run by
// ../make-fixtures.sh, which adds the EXIF with exiftool; the go tool skips
// testdata, so this program is never part of a build or a test run.
//
//	gen photo W H OUT.jpg|OUT.png [-alpha]   a photo-like picture, red marker top left
//	gen hugepng W H OUT.png                  a valid PNG header declaring W×H, no real pixels
//	gen corrupt-exif IN.jpg OUT.jpg          DateTimeOriginal's unit count set to 2^31-16
//	gen corpus DIR FILE...                   seed corpus entries for go test -fuzz
//	gen corpus-exif DIR FILE.jpg...          the same, of each JPEG's EXIF (TIFF) block
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no subcommand")
	}
	switch args[0] {
	case "photo":
		if len(args) < 4 {
			return fmt.Errorf("photo W H OUT [-alpha]")
		}
		w, _ := strconv.Atoi(args[1])
		h, _ := strconv.Atoi(args[2])
		return writePhoto(args[3], w, h, len(args) > 4 && args[4] == "-alpha")
	case "hugepng":
		if len(args) != 4 {
			return fmt.Errorf("hugepng W H OUT")
		}
		w, _ := strconv.Atoi(args[1])
		h, _ := strconv.Atoi(args[2])
		return os.WriteFile(args[3], hugePNG(uint32(w), uint32(h)), 0o644)
	case "corrupt-exif":
		if len(args) != 3 {
			return fmt.Errorf("corrupt-exif IN OUT")
		}
		return corruptEXIF(args[1], args[2])
	case "corpus":
		if len(args) < 3 {
			return fmt.Errorf("corpus DIR FILE...")
		}
		return corpus(args[1], args[2:], false)
	case "corpus-exif":
		if len(args) < 3 {
			return fmt.Errorf("corpus-exif DIR FILE...")
		}
		return corpus(args[1], args[2:], true)
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}

// writePhoto draws something with the texture of a street photo (sky, a
// horizon, asphalt, a manhole cover) so that JPEG sizes and decode times are
// realistic, plus a red square in the top-left corner that the orientation
// tests look for.
func writePhoto(out string, w, h int, alpha bool) error {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := float64(w)*0.6, float64(h)*0.72, float64(min(w, h))*0.15
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c color.NRGBA
			fy := float64(y) / float64(h)
			switch {
			case fy < 0.45: // sky
				c = color.NRGBA{uint8(120 + 80*fy), uint8(160 + 60*fy), 230, 255}
			default: // asphalt with a little grain
				g := uint8(70 + (x*7+y*13)%23)
				c = color.NRGBA{g, g, g + 4, 255}
			}
			if d := math.Hypot(float64(x)-cx, float64(y)-cy); d < r {
				g := uint8(40 + 30*math.Sin(d/3))
				c = color.NRGBA{g, g, g, 255}
			}
			if x < w/8 && y < h/8 {
				c = color.NRGBA{230, 20, 20, 255}
			}
			if alpha && x > w*3/4 && y > h*3/4 {
				c.A = 0
			}
			img.SetNRGBA(x, y, c)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if strings.HasSuffix(out, ".png") {
		err = png.Encode(f, img)
	} else {
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 80})
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// hugePNG is a PNG whose header declares w×h pixels but whose image data is
// a few bytes: only a reader that trusts the header before decoding is safe.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA: 4 bytes a pixel, 3.6 GB for 30000²
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// corruptEXIF rewrites the unit count of DateTimeOriginal (tag 0x9003,
// ASCII, 20 units) to 2^31-16, the shape of a corrupt header that makes a
// trusting reader allocate two gigabytes. Both byte orders are searched.
func corruptEXIF(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	const huge = 1<<31 - 16
	patched := false
	for _, bo := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
		entry := make([]byte, 8)
		bo.PutUint16(entry[0:], 0x9003)
		bo.PutUint16(entry[2:], 2)
		bo.PutUint32(entry[4:], 20)
		if i := bytes.Index(data, entry); i >= 0 {
			bo.PutUint32(data[i+4:], huge)
			patched = true
		}
	}
	if !patched {
		return fmt.Errorf("%s: no DateTimeOriginal entry found", in)
	}
	return os.WriteFile(out, data, 0o644)
}

// corpus writes each file, or its EXIF block, as a seed in the format of
// go test -fuzz.
func corpus(dir string, files []string, exifOnly bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		if exifOnly {
			if data = app1EXIF(data); data == nil {
				continue
			}
		}
		seed := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
		base := "seed-" + strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)) + strings.ReplaceAll(filepath.Ext(name), ".", "-")
		if err := os.WriteFile(filepath.Join(dir, base), []byte(seed), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// app1EXIF returns the TIFF block of a JPEG's first APP1 "Exif" segment, or
// nil. It walks the markers up to the start of scan.
func app1EXIF(b []byte) []byte {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil
	}
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; {
		marker := b[i+1]
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if marker == 0xDA || i+2+n > len(b) {
			return nil
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}
