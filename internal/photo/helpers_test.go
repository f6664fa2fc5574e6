package photo

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"os"
	"testing"
)

// newProcessor returns a Processor with opts whose temporary files go to a
// directory of the test's own.
func newProcessor(t testing.TB, opts Options) *Processor {
	t.Helper()
	if opts.TempDir == "" {
		opts.TempDir = t.TempDir()
	}
	p, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return p
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// photoLike draws a w×h picture with the statistics of a street photo —
// smooth sky, grainy asphalt, an edge-rich manhole cover — so that encoded
// sizes and decode times resemble a phone's. It is deterministic.
func photoLike(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := float64(w)*0.6, float64(h)*0.72, float64(min(w, h))*0.15
	seed := uint32(2463534242)
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		for x := 0; x < w; x++ {
			seed ^= seed << 13
			seed ^= seed >> 17
			seed ^= seed << 5
			grain := int(seed%17) - 8
			var c [3]int
			if fy < 0.45 {
				c = [3]int{120 + int(80*fy), 160 + int(60*fy), 230}
			} else {
				g := 70 + (x*7+y*13)%23
				c = [3]int{g, g, g + 4}
			}
			if d := math.Hypot(float64(x)-cx, float64(y)-cy); d < r {
				g := 40 + int(30*math.Sin(d/3))
				c = [3]int{g, g, g}
			}
			i := m.PixOffset(x, y)
			for k := range 3 {
				m.Pix[i+k] = uint8(min(255, max(0, c[k]+grain)))
			}
			m.Pix[i+3] = 255
		}
	}
	return m
}

func encodeTestJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := encodeTestJPEGTo(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// encodeTestJPEGTo encodes at quality 90, about what phones write.
func encodeTestJPEGTo(w io.Writer, m image.Image) error {
	return jpeg.Encode(w, m, &jpeg.Options{Quality: 90})
}

// jpegAppSegments lists the APPn markers (0xE0–0xEF) of a JPEG before its
// scan: where EXIF, XMP, ICC and JFIF live.
func jpegAppSegments(b []byte) []byte {
	var apps []byte
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; {
		m := b[i+1]
		if m == 0xDA {
			break
		}
		if m >= 0xE0 && m <= 0xEF {
			apps = append(apps, m)
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return apps
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 > 180 && g>>8 < 80 && b>>8 < 80
}
