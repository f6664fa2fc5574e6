// Package photo owns what happens to an uploaded photo before it is stored:
// it spools the upload to a temporary file while hashing it, checks its real
// type and its size in bytes and in pixels, reads the EXIF position, time and
// orientation, and makes a display copy and a thumbnail that are upright
// JPEGs without any metadata.
//
// Everything is bounded, because uploads come from phones over bad
// connections and from anyone who can reach the report form: the bytes go to
// disk, never whole into memory; the pixel count is judged from the header
// before a pixel is decoded; a corrupt EXIF block is skipped rather than
// trusted; and decoding, the one step that needs memory in proportion to the
// picture, runs under a limit on how many photos decode at once.
//
// A handler calls Processor.Process with the multipart part and stores what
// the Result holds: the original (Result.Original), the display copy and the
// thumbnail (Result.Display, Result.Thumb), then calls Result.Close. Errors
// carry maint codes: too_large (413), unsupported_media (415),
// unprocessable (422) and invalid (400, an empty file).
package photo

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"inframap/internal/maint"
)

// Defaults of Options; each applies where its field is zero.
const (
	DefaultMaxBytes    = 25 << 20   // 25 MiB: a 50 MP phone JPEG is 15–20 MB
	DefaultMaxPixels   = 50_000_000 // 50 MP: the largest phone sensors, with margin
	DefaultDisplaySize = 1600       // long side of the display copy, in pixels
	DefaultThumbSize   = 320        // long side of the thumbnail, in pixels
	DefaultQuality     = 82         // JPEG quality of both copies
)

// Options configure a Processor. The zero value of each field means its
// default.
type Options struct {
	// MaxBytes is the largest upload accepted, in bytes.
	MaxBytes int64
	// MaxPixels is the largest width×height accepted. Decoding needs up to
	// 4 bytes a pixel (8 for 16-bit PNG), so this bounds the memory of one
	// decode.
	MaxPixels int64
	// DisplaySize and ThumbSize are the long sides of the two copies.
	// Pictures smaller than that keep their size: nothing is upscaled.
	DisplaySize, ThumbSize int
	// Quality is the JPEG quality (1–100) of both copies.
	Quality int
	// TempDir holds the spooled uploads; empty means os.TempDir().
	TempDir string
	// Concurrency is how many photos may decode at once; zero means the
	// number of CPUs. Memory for decoding is about Concurrency × MaxPixels
	// × 4 bytes at worst.
	Concurrency int
}

// Processor checks photos and makes their copies. It is safe for concurrent
// use; one Processor should serve the whole program so that its limit on
// concurrent decodes holds.
type Processor struct {
	opts Options
	sem  chan struct{}
	exif *exifReader
}

// New returns a Processor with opts, defaults filled in.
func New(opts Options) (*Processor, error) {
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxPixels == 0 {
		opts.MaxPixels = DefaultMaxPixels
	}
	if opts.DisplaySize == 0 {
		opts.DisplaySize = DefaultDisplaySize
	}
	if opts.ThumbSize == 0 {
		opts.ThumbSize = DefaultThumbSize
	}
	if opts.Quality == 0 {
		opts.Quality = DefaultQuality
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = runtime.NumCPU()
	}
	switch {
	case opts.MaxBytes < 0, opts.MaxPixels < 0, opts.DisplaySize < 0, opts.ThumbSize < 0, opts.Concurrency < 0:
		return nil, fmt.Errorf("photo options: negative limit in %+v", opts)
	case opts.Quality < 1 || opts.Quality > 100:
		return nil, fmt.Errorf("photo options: quality %d is not in 1–100", opts.Quality)
	}
	x, err := newEXIFReader()
	if err != nil {
		return nil, err
	}
	return &Processor{opts: opts, sem: make(chan struct{}, opts.Concurrency), exif: x}, nil
}

// Options returns the options in force, defaults filled in.
func (p *Processor) Options() Options { return p.opts }

// Result is a processed photo. Its original stays in a temporary file until
// Close.
type Result struct {
	// SHA256 is the hex SHA-256 of the original bytes, for deduplication and
	// as a content address.
	SHA256 string
	// MediaType is image/jpeg, image/png or image/webp, sniffed from the
	// bytes (never from the file name or the client's Content-Type).
	MediaType string
	// Size is the original's length in bytes.
	Size int64
	// Width and Height are the picture as displayed: after EXIF orientation,
	// so a portrait photo stored sideways reports a portrait size.
	Width, Height int
	// EXIF is what the original's EXIF block says.
	EXIF EXIF
	// Display (long side Options.DisplaySize) and Thumb (Options.ThumbSize)
	// are upright JPEGs without metadata, safe to show to anyone.
	Display, Thumb Variant

	file *os.File
	// removed says the file's name is gone already, so Close only closes.
	removed bool
}

// Variant is a derived copy of a photo, encoded in memory: the display copy
// of a 12 MP photo is a few hundred kilobytes.
type Variant struct {
	MediaType     string // always image/jpeg
	Width, Height int
	Data          []byte // the encoded file; its length is the size
}

// Original returns a reader of the uploaded bytes, from the start. Each call
// returns a new reader, so a failed store can be retried. It must not be used
// after Close.
func (r *Result) Original() *io.SectionReader {
	return io.NewSectionReader(r.file, 0, r.Size)
}

// Close releases the original's temporary file. It is safe to call more than
// once.
func (r *Result) Close() error {
	if r == nil || r.file == nil {
		return nil
	}
	err := r.file.Close()
	if !r.removed {
		if rerr := os.Remove(r.file.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	r.file = nil
	return err
}

// Process reads a photo from r (at most Options.MaxBytes), checks it and
// makes its copies. The caller must Close the Result. Errors that the
// uploader caused carry a maint code (too_large, unsupported_media,
// unprocessable, invalid); other errors are the server's (disk full) or the
// caller's (ctx ended, r failed) and are returned wrapped.
func (p *Processor) Process(ctx context.Context, r io.Reader) (_ *Result, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r = ctxReader{ctx, r}
	// The first bytes decide the type, so a 25 MB text file is refused
	// before it is spooled.
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	switch {
	case errors.Is(err, io.EOF):
		return nil, maint.InvalidAs("photo", "photo_empty", nil, "the file is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		head = head[:n]
	case err != nil:
		return nil, fmt.Errorf("read photo: %w", err)
	}
	mediaType := sniff(head)
	if mediaType == "" {
		return nil, maint.Errorf(maint.CodeUnsupportedMedia, "the file is not a JPEG, PNG or WebP image")
	}

	res := &Result{MediaType: mediaType}
	defer func() {
		if err != nil {
			res.Close()
		}
	}()
	if err := p.spool(res, io.MultiReader(bytes.NewReader(head), r)); err != nil {
		return nil, err
	}

	cfg, err := decodeConfig(mediaType, bufio.NewReader(res.Original()))
	if err != nil {
		return nil, maint.Errorf(maint.CodeUnprocessable, "the image header is truncated or corrupt")
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	switch {
	case pixels == 0:
		return nil, maint.Errorf(maint.CodeUnprocessable, "the image has no pixels (%d×%d)", cfg.Width, cfg.Height)
	case pixels > p.opts.MaxPixels:
		return nil, maint.Errorf(maint.CodeUnprocessable, "the image is %d×%d pixels; at most %d megapixels are accepted",
			cfg.Width, cfg.Height, p.opts.MaxPixels/1_000_000)
	}

	res.EXIF = p.exif.read(res.file, res.Size, mediaType)
	res.Width, res.Height = cfg.Width, cfg.Height
	if res.EXIF.Orientation >= 5 {
		res.Width, res.Height = cfg.Height, cfg.Width
	}

	if err := p.acquire(ctx); err != nil {
		return nil, err
	}
	defer p.release()
	img, err := decode(mediaType, bufio.NewReader(res.Original()))
	if err != nil {
		// Also a JPEG variant image/jpeg does not support (12-bit,
		// arithmetic coding), which phones do not write.
		return nil, maint.Errorf(maint.CodeUnprocessable, "the image is truncated, corrupt or of an unsupported kind")
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// The decoders agree with their headers today; this keeps the
		// pixel check honest should one ever not.
		return nil, maint.Errorf(maint.CodeUnprocessable, "the image's size disagrees with its header")
	}
	res.Display, res.Thumb, err = p.variants(img, res.EXIF.Orientation)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// spool copies r to an unnamed temporary file, hashing it on the way.
func (p *Processor) spool(res *Result, r io.Reader) error {
	f, err := os.CreateTemp(p.opts.TempDir, "inframap-photo-*")
	if err != nil {
		return fmt.Errorf("spool photo: %w", err)
	}
	res.file = f
	// Unlinked at once, the file lives only as long as it is open, so a
	// crash leaves nothing behind. Where that is not allowed, Close removes
	// it.
	res.removed = os.Remove(f.Name()) == nil

	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, p.opts.MaxBytes+1))
	if err != nil {
		return fmt.Errorf("spool photo: %w", err)
	}
	if n > p.opts.MaxBytes {
		return maint.Errorf(maint.CodeTooLarge, "the photo is larger than %d MB", p.opts.MaxBytes>>20)
	}
	res.Size = n
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	return nil
}

// acquire waits for a decoding slot, or for ctx to end.
func (p *Processor) acquire(ctx context.Context) error {
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait to decode photo: %w", ctx.Err())
	}
}

func (p *Processor) release() { <-p.sem }

// ctxReader stops a slow upload as soon as its request is cancelled, instead
// of at the next network timeout.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}
