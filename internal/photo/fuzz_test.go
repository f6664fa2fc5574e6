package photo

import (
	"bytes"
	"context"
	"image/jpeg"
	"runtime/metrics"
	"testing"

	"inframap/internal/maint"
)

// allocated returns the bytes this process has allocated so far. Fuzz
// inputs run one at a time in a worker, so a difference of two readings is
// what one input cost.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// FuzzProcess feeds arbitrary bytes to the whole pipeline. It must never
// panic, must refuse with a maint code that the HTTP layer maps to a 4xx,
// must allocate within a bound set by the limits rather than by the input's
// claims, and whatever it accepts must come out as metadata-free JPEGs.
// The seed corpus (testdata/fuzz/FuzzProcess) is the fixtures.
func FuzzProcess(f *testing.F) {
	// Small limits keep each run fast; the bound follows from them: a 1 MP
	// picture decodes into at most 8 MB (16-bit RGBA), and its copies and
	// the decoders' own tables add less than that again.
	opts := Options{MaxBytes: 1 << 20, MaxPixels: 1 << 20, DisplaySize: 512, ThumbSize: 128, Concurrency: 1}
	const bound = 64 << 20
	p := newProcessor(f, opts)
	f.Fuzz(func(t *testing.T, data []byte) {
		before := allocated()
		res, err := p.Process(context.Background(), bytes.NewReader(data))
		if grew := allocated() - before; grew > bound {
			t.Errorf("Process of %d bytes allocated %d bytes, over %d", len(data), grew, bound)
		}
		if err != nil {
			switch code := maint.ErrorCode(err); code {
			case maint.CodeInvalid, maint.CodeTooLarge, maint.CodeUnsupportedMedia, maint.CodeUnprocessable:
			default:
				t.Fatalf("Process of %d bytes: %v (code %q), want a refusal of the upload", len(data), err, code)
			}
			return
		}
		defer res.Close()
		for _, v := range []Variant{res.Display, res.Thumb} {
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(v.Data))
			if err != nil || cfg.Width != v.Width || cfg.Height != v.Height || max(v.Width, v.Height) > opts.DisplaySize {
				t.Fatalf("variant %d×%d: config %+v, %v", v.Width, v.Height, cfg, err)
			}
			if len(jpegAppSegments(v.Data)) > 0 {
				t.Fatalf("variant %d×%d carries APP segments", v.Width, v.Height)
			}
		}
		if o := res.EXIF.Orientation; o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

// FuzzReadEXIF feeds arbitrary blocks to the EXIF reader alone, where the
// parsing lives: no panic, no hang, and allocation bounded whatever the
// block claims. The seed corpus (testdata/fuzz/FuzzReadEXIF) is the EXIF
// blocks of the fixtures.
func FuzzReadEXIF(f *testing.F) {
	f.Add(validBlock())
	x, err := newEXIFReader()
	if err != nil {
		f.Fatal(err)
	}
	const bound = 16 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		before := allocated()
		e := x.parse(data)
		if grew := allocated() - before; grew > bound {
			t.Errorf("parse of %d bytes allocated %d bytes, over %d", len(data), grew, bound)
		}
		if !e.Present {
			t.Fatalf("parse of a block says no EXIF")
		}
		if e.Corrupt && (e.Lat != nil || e.TakenAt != nil || e.Orientation != 1) {
			t.Fatalf("corrupt EXIF with fields: %+v", e)
		}
		if e.Lat != nil && !validPosition(*e.Lat, *e.Lon) {
			t.Fatalf("position %v, %v", *e.Lat, *e.Lon)
		}
	})
}
