package photo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	exif "github.com/dsoprea/go-exif/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"inframap/internal/maint"
)

// summary is what a test compares of a Result.
type summary struct {
	MediaType             string
	Width, Height         int
	Present, Corrupt      bool
	Orientation           int
	HasGPS                bool
	TakenAt               string // RFC 3339 with nanoseconds, "" for none
	DisplayW, DisplayH    int
	ThumbW, ThumbH        int
	DisplayType, ThumbTyp string
}

func summarize(r *Result) summary {
	s := summary{
		MediaType: r.MediaType, Width: r.Width, Height: r.Height,
		Present: r.EXIF.Present, Corrupt: r.EXIF.Corrupt, Orientation: r.EXIF.Orientation,
		HasGPS:   r.EXIF.Lat != nil,
		DisplayW: r.Display.Width, DisplayH: r.Display.Height, ThumbW: r.Thumb.Width, ThumbH: r.Thumb.Height,
		DisplayType: r.Display.MediaType, ThumbTyp: r.Thumb.MediaType,
	}
	if r.EXIF.TakenAt != nil {
		s.TakenAt = r.EXIF.TakenAt.Format(time.RFC3339Nano)
	}
	return s
}

func TestProcessFixtures(t *testing.T) {
	jpegLandscape := summary{MediaType: "image/jpeg", Width: 240, Height: 180, Orientation: 1,
		DisplayW: 240, DisplayH: 180, ThumbW: 240, ThumbH: 180, DisplayType: "image/jpeg", ThumbTyp: "image/jpeg"}
	with := func(s summary, f func(*summary)) summary { f(&s); return s }
	tests := []struct {
		file string
		want summary
		// pos is the tagged position, nil for none.
		pos *orb.Point
		// takenAt, when set, is the instant the photo was taken.
		takenAt time.Time
	}{
		{
			file: "gps-ne.jpg",
			want: with(jpegLandscape, func(s *summary) {
				s.Present, s.HasGPS, s.TakenAt = true, true, "2024-06-15T10:30:00.25+08:00"
			}),
			pos:     &orb.Point{125.27, 43.88},
			takenAt: time.Date(2024, 6, 15, 2, 30, 0, 250_000_000, time.UTC),
		},
		{
			file: "gps-sw.jpg",
			want: with(jpegLandscape, func(s *summary) {
				s.Present, s.HasGPS, s.TakenAt = true, true, "2023-12-01T08:00:00-03:00"
			}),
			pos:     &orb.Point{-43.1729, -22.9068},
			takenAt: time.Date(2023, 12, 1, 11, 0, 0, 0, time.UTC),
		},
		{
			file: "nooffset.jpg",
			want: with(jpegLandscape, func(s *summary) {
				s.Present, s.TakenAt = true, "2024-03-08T14:15:16+08:00"
			}),
			takenAt: time.Date(2024, 3, 8, 6, 15, 16, 0, time.UTC),
		},
		{
			file: "orient6.jpg",
			want: summary{MediaType: "image/jpeg", Width: 300, Height: 400, Present: true, Orientation: 6,
				DisplayW: 300, DisplayH: 400, ThumbW: 240, ThumbH: 320, DisplayType: "image/jpeg", ThumbTyp: "image/jpeg"},
		},
		{file: "noexif.jpg", want: jpegLandscape},
		{
			file: "corrupt-exif.jpg",
			want: with(jpegLandscape, func(s *summary) { s.Present, s.Corrupt = true, true }),
		},
		{
			file: "photo.png",
			want: summary{MediaType: "image/png", Width: 320, Height: 240, Orientation: 1,
				Present: true, TakenAt: "2024-05-01T09:00:00+08:00",
				DisplayW: 320, DisplayH: 240, ThumbW: 320, ThumbH: 240, DisplayType: "image/jpeg", ThumbTyp: "image/jpeg"},
		},
		{
			file: "photo.webp",
			want: summary{MediaType: "image/webp", Width: 320, Height: 240, Orientation: 1,
				Present: true, TakenAt: "2024-05-01T09:00:00+08:00",
				DisplayW: 320, DisplayH: 240, ThumbW: 320, ThumbH: 240, DisplayType: "image/jpeg", ThumbTyp: "image/jpeg"},
		},
	}
	p := newProcessor(t, Options{})
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readFixture(t, tt.file)
			res, err := p.Process(context.Background(), bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Process(%s): %v", tt.file, err)
			}
			defer res.Close()
			if diff := cmp.Diff(tt.want, summarize(res)); diff != "" {
				t.Errorf("Process(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
			if tt.pos != nil && res.EXIF.Lat != nil {
				got := orb.Point{*res.EXIF.Lon, *res.EXIF.Lat}
				if d := geo.Distance(*tt.pos, got); d > 1 {
					t.Errorf("Process(%s) position %v is %.2f m from the tagged %v", tt.file, got, d, *tt.pos)
				}
			}
			if !tt.takenAt.IsZero() && res.EXIF.TakenAt != nil && !res.EXIF.TakenAt.Equal(tt.takenAt) {
				t.Errorf("Process(%s) taken at %v, want %v", tt.file, res.EXIF.TakenAt, tt.takenAt)
			}
			if res.EXIF.Corrupt && res.EXIF.Problem == "" {
				t.Errorf("Process(%s): corrupt EXIF without a problem", tt.file)
			}

			// The original is the upload, byte for byte, and its hash.
			orig, err := io.ReadAll(res.Original())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(orig, data) {
				t.Errorf("Process(%s): Original() differs from the upload (%d bytes, want %d)", tt.file, len(orig), len(data))
			}
			sum := sha256.Sum256(data)
			if res.SHA256 != hex.EncodeToString(sum[:]) || res.Size != int64(len(data)) {
				t.Errorf("Process(%s): SHA256 %s size %d, want %x %d", tt.file, res.SHA256, res.Size, sum, len(data))
			}

			for name, v := range map[string]Variant{"display": res.Display, "thumb": res.Thumb} {
				checkVariant(t, tt.file+" "+name, v)
			}
		})
	}
}

// checkVariant decodes a derived copy and makes sure it carries no metadata:
// no APPn segment at all (image/jpeg writes none, not even JFIF), no "Exif"
// header anywhere, and nothing that go-exif can find.
func checkVariant(t *testing.T, name string, v Variant) {
	t.Helper()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(v.Data))
	if err != nil {
		t.Fatalf("%s: not a JPEG: %v", name, err)
	}
	if cfg.Width != v.Width || cfg.Height != v.Height {
		t.Errorf("%s: JPEG is %d×%d, Variant says %d×%d", name, cfg.Width, cfg.Height, v.Width, v.Height)
	}
	if apps := jpegAppSegments(v.Data); len(apps) > 0 {
		t.Errorf("%s: has APP segments % x", name, apps)
	}
	if bytes.Contains(v.Data, []byte("Exif\x00\x00")) {
		t.Errorf("%s: contains an Exif header", name)
	}
	if _, err := exif.SearchAndExtractExif(v.Data); !errors.Is(err, exif.ErrNoExif) {
		t.Errorf("%s: go-exif finds EXIF (err %v)", name, err)
	}
}

func TestProcessRejects(t *testing.T) {
	gps := readFixture(t, "gps-ne.jpg")
	png := readFixture(t, "photo.png")
	tests := []struct {
		name string
		opts Options
		data []byte
		want maint.Code
	}{
		{"empty", Options{}, nil, maint.CodeInvalid},
		{"text named .jpg", Options{}, readFixture(t, "text.jpg"), maint.CodeUnsupportedMedia},
		{"GIF", Options{}, []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), maint.CodeUnsupportedMedia},
		{"HTML", Options{}, []byte("<!doctype html><script>alert(1)</script>"), maint.CodeUnsupportedMedia},
		{"two bytes", Options{}, []byte{0xFF, 0xD8}, maint.CodeUnsupportedMedia},
		{"over MaxBytes", Options{MaxBytes: int64(len(gps)) - 1}, gps, maint.CodeTooLarge},
		{"30000x30000 PNG", Options{}, readFixture(t, "huge.png"), maint.CodeUnprocessable},
		{"over MaxPixels", Options{MaxPixels: 240*180 - 1}, gps, maint.CodeUnprocessable},
		{"truncated scan", Options{}, readFixture(t, "truncated.jpg"), maint.CodeUnprocessable},
		{"JPEG cut in its header", Options{}, gps[:300], maint.CodeUnprocessable},
		{"PNG cut in its data", Options{}, png[:len(png)/2], maint.CodeUnprocessable},
		{"PNG with a bad CRC", Options{}, flip(png, 40), maint.CodeUnprocessable},
		{"RIFF that is no image", Options{}, []byte("RIFF\x04\x00\x00\x00WEBPVP8 "), maint.CodeUnprocessable},
		{"zero-width PNG", Options{}, hugePNGHeader(0, 10), maint.CodeUnprocessable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.opts.TempDir = dir
			p := newProcessor(t, tt.opts)
			res, err := p.Process(context.Background(), bytes.NewReader(tt.data))
			if err == nil {
				res.Close()
				t.Fatalf("Process(%s) accepted it", tt.name)
			}
			if got := maint.ErrorCode(err); got != tt.want {
				t.Errorf("Process(%s) code %q (%v), want %q", tt.name, got, err, tt.want)
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("Process(%s) left %d temporary files", tt.name, len(left))
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xFF
	return c
}

// hugePNGHeader is a PNG signature and IHDR declaring w×h: the first
// 33 bytes of huge.png with other dimensions.
func hugePNGHeader(w, h uint32) []byte {
	return append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"),
		byte(w>>24), byte(w>>16), byte(w>>8), byte(w), byte(h>>24), byte(h>>16), byte(h>>8), byte(h),
		8, 6, 0, 0, 0, 0, 0, 0, 0)
}

// TestHugePNGFromHeader processes a PNG that declares 30000×30000 pixels —
// 3.6 GB decoded — and checks that the header alone refused it: the heap
// hardly moves, and nothing like a pixel buffer was ever allocated.
func TestHugePNGFromHeader(t *testing.T) {
	data := readFixture(t, "huge.png")
	p := newProcessor(t, Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := p.Process(context.Background(), bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if maint.ErrorCode(err) != maint.CodeUnprocessable {
		t.Fatalf("Process(huge.png) = %v, want unprocessable", err)
	}
	if !strings.Contains(err.Error(), "30000×30000") {
		t.Errorf("Process(huge.png) = %q, want the dimensions named", err)
	}
	const limit = 2 << 20
	if grew := after.TotalAlloc - before.TotalAlloc; grew > limit {
		t.Errorf("Process(huge.png) allocated %d bytes, want under %d", grew, limit)
	}
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > limit {
		t.Errorf("Process(huge.png) grew the heap in use by %d bytes, want under %d", grew, limit)
	}
}

// TestCorruptEXIFBounded: the corrupt block claims 2 GB for one tag. The
// photo is accepted without EXIF and the whole upload allocates about what
// a clean one does.
func TestCorruptEXIFBounded(t *testing.T) {
	data := readFixture(t, "corrupt-exif.jpg")
	p := newProcessor(t, Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := p.Process(context.Background(), bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Process(corrupt-exif.jpg): %v", err)
	}
	defer res.Close()
	if !res.EXIF.Present || !res.EXIF.Corrupt || res.EXIF.TakenAt != nil || res.EXIF.Lat != nil {
		t.Errorf("Process(corrupt-exif.jpg) EXIF = %+v, want present, corrupt and empty", res.EXIF)
	}
	const limit = 32 << 20
	if grew := after.TotalAlloc - before.TotalAlloc; grew > limit {
		t.Errorf("Process(corrupt-exif.jpg) allocated %d bytes, want under %d", grew, limit)
	}
}

func TestOrientationFixture(t *testing.T) {
	p := newProcessor(t, Options{})
	res, err := p.Process(context.Background(), bytes.NewReader(readFixture(t, "orient6.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	m, err := jpeg.Decode(bytes.NewReader(res.Display.Data))
	if err != nil {
		t.Fatal(err)
	}
	// Stored with the red marker top left; rotated 90° clockwise it is top
	// right.
	b := m.Bounds()
	if !isRed(m.At(b.Max.X-5, 5)) || isRed(m.At(5, 5)) {
		t.Errorf("orient6.jpg display: top right %v, top left %v; want the red marker top right only",
			m.At(b.Max.X-5, 5), m.At(5, 5))
	}
}

// TestOrient checks orient against the EXIF definitions of the orientations
// as compositions of a mirror and rotations, after pinning the two
// primitives: 2 mirrors left–right, 6 turns 90° clockwise.
func TestOrient(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range src.Pix {
		src.Pix[i] = uint8(i)
	}
	at := func(m *image.RGBA, x, y int) uint8 { return m.Pix[m.PixOffset(x, y)] }

	mirror := orient(src, 2)
	if at(mirror, 2, 0) != at(src, 0, 0) || at(mirror, 0, 1) != at(src, 2, 1) {
		t.Errorf("orient 2 does not mirror left to right")
	}
	cw := orient(src, 6)
	if cw.Rect.Dx() != 2 || cw.Rect.Dy() != 3 || at(cw, 1, 0) != at(src, 0, 0) || at(cw, 0, 0) != at(src, 0, 1) {
		t.Errorf("orient 6 does not turn 90° clockwise")
	}
	rot := func(m *image.RGBA, n int) *image.RGBA {
		for range n {
			m = orient(m, 6)
		}
		return m
	}
	tests := []struct {
		o    int
		want *image.RGBA
	}{
		{1, src},
		{3, rot(src, 2)},              // rotate 180°
		{4, rot(mirror, 2)},           // mirror vertical = mirror horizontal, then 180°
		{5, rot(mirror, 3)},           // mirror horizontal, then 270° clockwise
		{7, rot(mirror, 1)},           // mirror horizontal, then 90° clockwise
		{8, rot(src, 3)},              // 270° clockwise
		{0, src}, {9, src}, {-1, src}, // out of range: left alone
	}
	for _, tt := range tests {
		got := orient(src, tt.o)
		if got.Rect != tt.want.Rect || !bytes.Equal(got.Pix, tt.want.Pix) {
			t.Errorf("orient(%d) = %v %v, want %v %v", tt.o, got.Rect, got.Pix, tt.want.Rect, tt.want.Pix)
		}
	}
}

func TestDownscale(t *testing.T) {
	data := encodeTestJPEG(t, photoLike(2400, 1800))
	p := newProcessor(t, Options{})
	res, err := p.Process(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	got := [4]int{res.Display.Width, res.Display.Height, res.Thumb.Width, res.Thumb.Height}
	if want := [4]int{1600, 1200, 320, 240}; got != want {
		t.Errorf("2400×1800: display and thumb %v, want %v", got, want)
	}
	checkVariant(t, "2400×1800 display", res.Display)
	checkVariant(t, "2400×1800 thumb", res.Thumb)
}

func TestFit(t *testing.T) {
	tests := []struct{ w, h, long, ww, wh int }{
		{4000, 3000, 1600, 1600, 1200},
		{3000, 4000, 1600, 1200, 1600},
		{1600, 1200, 1600, 1600, 1200},
		{800, 600, 1600, 800, 600}, // never upscaled
		{10000, 3, 1600, 1600, 1},  // never zero
		{4032, 3024, 320, 320, 240},
	}
	for _, tt := range tests {
		if w, h := fit(tt.w, tt.h, tt.long); w != tt.ww || h != tt.wh {
			t.Errorf("fit(%d, %d, %d) = %d, %d, want %d, %d", tt.w, tt.h, tt.long, w, h, tt.ww, tt.wh)
		}
	}
}

// TestTransparentOnWhite: JPEG has no alpha; a PNG's transparent corner
// must come out white, not black.
func TestTransparentOnWhite(t *testing.T) {
	p := newProcessor(t, Options{})
	res, err := p.Process(context.Background(), bytes.NewReader(readFixture(t, "photo.png")))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	m, err := jpeg.Decode(bytes.NewReader(res.Display.Data))
	if err != nil {
		t.Fatal(err)
	}
	b := m.Bounds()
	if r, g, bl, _ := m.At(b.Max.X-3, b.Max.Y-3).RGBA(); r>>8 < 240 || g>>8 < 240 || bl>>8 < 240 {
		t.Errorf("transparent corner became %d,%d,%d, want white", r>>8, g>>8, bl>>8)
	}
}

// TestTempFiles: the spooled original is unlinked as soon as it is
// created, so the temporary directory stays empty whatever happens, and
// Close is idempotent.
func TestTempFiles(t *testing.T) {
	dir := t.TempDir()
	p := newProcessor(t, Options{TempDir: dir})
	res, err := p.Process(context.Background(), bytes.NewReader(readFixture(t, "gps-ne.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("temporary directory holds %d files while the result is open", len(left))
	}
	if err := res.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := res.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestDecodeWaitsForSlot: with every decoding slot taken, Process waits,
// and gives up when its context ends.
func TestDecodeWaitsForSlot(t *testing.T) {
	p := newProcessor(t, Options{Concurrency: 1})
	p.sem <- struct{}{} // another upload is decoding
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Process(ctx, bytes.NewReader(readFixture(t, "gps-ne.jpg")))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Process with no free slot = %v, want the context's deadline", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("Process waited %v after its context ended", waited)
	}
	<-p.sem
	if res, err := p.Process(context.Background(), bytes.NewReader(readFixture(t, "gps-ne.jpg"))); err != nil {
		t.Errorf("Process once the slot is free: %v", err)
	} else {
		res.Close()
	}
}

// TestCancelledUpload: a request that ends while its body is read stops the
// spooling.
func TestCancelledUpload(t *testing.T) {
	p := newProcessor(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	r := io.MultiReader(bytes.NewReader(readFixture(t, "gps-ne.jpg")[:100]), readerFunc(func([]byte) (int, error) {
		cancel()
		return 0, nil
	}), bytes.NewReader(make([]byte, 1<<20)))
	if _, err := p.Process(ctx, r); !errors.Is(err, context.Canceled) {
		t.Errorf("Process of a cancelled upload = %v, want context.Canceled", err)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

func TestNewRejectsBadOptions(t *testing.T) {
	for _, opts := range []Options{{MaxBytes: -1}, {Quality: 101}, {Concurrency: -2}} {
		if _, err := New(opts); err == nil {
			t.Errorf("New(%+v) accepted it", opts)
		}
	}
	p := newProcessor(t, Options{})
	got := p.Options()
	if got.MaxBytes != 25<<20 || got.MaxPixels != 50_000_000 || got.DisplaySize != 1600 || got.ThumbSize != 320 || got.Concurrency != runtime.NumCPU() {
		t.Errorf("defaults = %+v", got)
	}
}

// TestConcurrentProcess: one Processor serves many uploads at once (run
// with -race: go-exif's tag index is shared).
func TestConcurrentProcess(t *testing.T) {
	p := newProcessor(t, Options{Concurrency: 2})
	names := []string{"gps-ne.jpg", "gps-sw.jpg", "orient6.jpg", "photo.png", "photo.webp", "corrupt-exif.jpg", "text.jpg", "huge.png"}
	errs := make(chan error, 4*len(names))
	var wg sync.WaitGroup
	for range 4 {
		for _, name := range names {
			data := readFixture(t, name)
			wg.Go(func() {
				res, err := p.Process(context.Background(), bytes.NewReader(data))
				if err == nil {
					res.Close()
					return
				}
				if c := maint.ErrorCode(err); c == maint.CodeInternal {
					errs <- fmt.Errorf("%s: %w", name, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
