package photo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/jpeg"

	"golang.org/x/image/draw"
)

// variants makes the display copy and the thumbnail of img, upright and
// without metadata (image/jpeg writes none).
func (p *Processor) variants(img image.Image, orientation int) (display, thumb Variant, err error) {
	b := img.Bounds()
	w, h := fit(b.Dx(), b.Dy(), p.opts.DisplaySize)
	d := orient(shrink(img, w, h), orientation)
	tw, th := fit(d.Rect.Dx(), d.Rect.Dy(), p.opts.ThumbSize)
	t := shrink(d, tw, th)
	if display, err = encodeJPEG(d, p.opts.Quality); err != nil {
		return Variant{}, Variant{}, fmt.Errorf("encode display copy: %w", err)
	}
	if thumb, err = encodeJPEG(t, p.opts.Quality); err != nil {
		return Variant{}, Variant{}, fmt.Errorf("encode thumbnail: %w", err)
	}
	return display, thumb, nil
}

// fit returns w×h scaled so that its long side is at most long, never
// scaled up.
func fit(w, h, long int) (int, int) {
	if w <= long && h <= long {
		return w, h
	}
	s := float64(long) / float64(max(w, h))
	return max(1, int(float64(w)*s+0.5)), max(1, int(float64(h)*s+0.5))
}

// maxKernelBuf bounds the temporary buffer of a CatmullRom step: x/image/draw
// allocates dst width × src height cells of 32 bytes for it.
const maxKernelBuf = 8 << 20

// shrink scales src to w×h over a white background (JPEG has no alpha, and
// black is what transparent pixels would become). It halves with
// ApproxBiLinear while the picture is at least twice the target — at exactly
// 2:1 that is a 2×2 box average, so fine detail does not alias — and takes
// the last step, under 2:1, with CatmullRom when its buffer is small and
// ApproxBiLinear otherwise. CatmullRom in one step from a 12 MP photo would
// need a 150 MB buffer; this way memory stays near the decoded image's.
func shrink(src image.Image, w, h int) *image.RGBA {
	for {
		b := src.Bounds()
		if b.Dx() < 2*w || b.Dy() < 2*h {
			break
		}
		src = scale(src, b.Dx()/2, b.Dy()/2, draw.ApproxBiLinear)
	}
	b := src.Bounds()
	if b.Dx() == w && b.Dy() == h {
		if m, ok := src.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) {
			return m
		}
		return scale(src, w, h, nil)
	}
	var q draw.Interpolator = draw.ApproxBiLinear
	if w*b.Dy()*32 <= maxKernelBuf {
		q = draw.CatmullRom
	}
	return scale(src, w, h, q)
}

// scale draws src into a new w×h RGBA image with q, or copies it when q is
// nil, compositing over white when src may be transparent.
func scale(src image.Image, w, h int, q draw.Interpolator) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	op := draw.Src
	if !opaque(src) {
		stddraw.Draw(dst, dst.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
		op = draw.Over
	}
	if q == nil {
		stddraw.Draw(dst, dst.Rect, src, src.Bounds().Min, op)
	} else {
		q.Scale(dst, dst.Rect, src, src.Bounds(), op, nil)
	}
	return dst
}

func opaque(m image.Image) bool {
	o, ok := m.(interface{ Opaque() bool })
	return ok && o.Opaque()
}

// orient turns m upright according to an EXIF orientation (1–8: the
// transform that shows the stored pixels the right way up).
func orient(m *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	d := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for dy := 0; dy < dh; dy++ {
		for dx := 0; dx < dw; dx++ {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = w-1-dx, dy
			case 3: // upside down
				sx, sy = w-1-dx, h-1-dy
			case 4: // mirrored upside down
				sx, sy = dx, h-1-dy
			case 5: // transposed
				sx, sy = dy, dx
			case 6: // stored lying on its left side: rotate 90° clockwise
				sx, sy = dy, h-1-dx
			case 7: // transversed
				sx, sy = w-1-dy, h-1-dx
			case 8: // lying on its right side: rotate 90° counter-clockwise
				sx, sy = w-1-dy, dx
			}
			si := m.PixOffset(m.Rect.Min.X+sx, m.Rect.Min.Y+sy)
			di := d.PixOffset(dx, dy)
			copy(d.Pix[di:di+4], m.Pix[si:si+4])
		}
	}
	return d
}

func encodeJPEG(m *image.RGBA, quality int) (Variant, error) {
	var buf bytes.Buffer
	// A guess at the size saves the buffer's doublings: about a bit a pixel.
	buf.Grow(m.Rect.Dx()*m.Rect.Dy()/6 + 4096)
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: quality}); err != nil {
		return Variant{}, err
	}
	return Variant{MediaType: "image/jpeg", Width: m.Rect.Dx(), Height: m.Rect.Dy(), Data: buf.Bytes()}, nil
}
