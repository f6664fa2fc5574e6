package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"inframap/internal/maint"
	"inframap/internal/photo"
)

// Blobs keeps photo bytes (the blob store).
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, contentType string) error
	Get(ctx context.Context, key string) ([]byte, error)
	Exists(ctx context.Context, key string) (bool, error)
}

// photoKeys are the blob keys of a photo's three files, addressed by content:
// the same bytes always land under the same keys.
func photoKeys(sha, mediaType string) (original, display, thumb string) {
	ext := map[string]string{"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[mediaType]
	dir := "photos/" + sha[:2] + "/" + sha + "/"
	return dir + "original." + ext, dir + "display.jpg", dir + "thumb.jpg"
}

// upload is what a multipart photo upload carried besides the photo.
type upload struct {
	res        *photo.Result
	fields     map[string]string
	photoCount int
}

// uploadFields are the form fields a photo upload may carry.
var uploadFields = map[string]bool{"stage": true, "lat": true, "lon": true, "accuracy_m": true, "captured_at": true, "location_source": true,
	// A resident's report from the map.
	"service_code": true, "description": true, "name": true, "email": true, "phone": true, "lang": true,
	// The reporter's answer after 结案.
	"key": true, "fixed": true, "satisfaction": true, "note": true}

// readUpload streams a multipart body: the part named photo goes through the
// photo pipeline as it arrives (spooled to disk, bounded), the other parts
// are small fields. The client's file name is never used.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, required bool) (*upload, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, maint.Errorf(maint.CodeUnsupportedMedia, "send the photo as multipart/form-data with the image in the part named photo")
	}
	limit := s.photos.Options().MaxBytes + 64<<10
	if r.ContentLength > limit {
		return nil, maint.Errorf(maint.CodeTooLarge, "a photo may have at most %d MB", s.photos.Options().MaxBytes>>20)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, maint.Invalid("photo", "the body is not multipart/form-data: %v", err)
	}
	u := &upload{fields: map[string]string{}}
	fail := func(err error) (*upload, error) {
		u.res.Close()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, maint.Errorf(maint.CodeTooLarge, "a photo may have at most %d MB", s.photos.Options().MaxBytes>>20)
		}
		return nil, err
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(maint.Invalid("photo", "the upload was cut off or malformed: %v", err))
		}
		name := part.FormName()
		switch {
		case name == "photo":
			u.photoCount++
			if u.photoCount > 1 {
				part.Close()
				return fail(maint.InvalidAs("photo", "photo_one", nil, "send one photo per upload"))
			}
			u.res, err = s.photos.Process(r.Context(), part)
			if err != nil {
				return fail(err)
			}
		case uploadFields[name]:
			b, err := io.ReadAll(io.LimitReader(part, 4097))
			if err != nil {
				return fail(maint.Invalid(name, "the upload was cut off: %v", err))
			}
			if len(b) > 4096 {
				return fail(maint.InvalidAs(name, "field_too_long", maint.Params{"field": name}, "%s is too long", name))
			}
			u.fields[name] = strings.TrimSpace(string(b))
		default:
			part.Close()
			return fail(maint.Invalid(name, "unknown field %q; a photo upload has photo, stage, lat, lon, accuracy_m, captured_at and location_source, a report also service_code, description, name, email and phone, an answer after 结案 key, fixed, satisfaction and note", name))
		}
	}
	if required && u.res == nil {
		return nil, maint.Invalid("photo", "the image goes in the part named photo")
	}
	return u, nil
}

// position reads the client's lat, lon, accuracy_m and captured_at.
func (u *upload) position() (lon, lat, acc *float64, captured *time.Time, err error) {
	la, lo := u.fields["lat"], u.fields["lon"]
	if (la == "") != (lo == "") {
		return nil, nil, nil, nil, maint.InvalidAs("lat", "location_pair", nil, "send both lat and lon, or neither")
	}
	if la != "" {
		y, err1 := strconv.ParseFloat(la, 64)
		x, err2 := strconv.ParseFloat(lo, 64)
		if err1 != nil || err2 != nil || math.IsNaN(x) || math.IsNaN(y) || math.Abs(y) > 90 || math.Abs(x) > 180 {
			return nil, nil, nil, nil, maint.InvalidAs("lat", "location_range", nil, "lat and lon must be WGS84 degrees, got %q, %q", la, lo)
		}
		lon, lat = &x, &y
	}
	if a := u.fields["accuracy_m"]; a != "" {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil || v < 0 || math.IsNaN(v) || v > 1e6 {
			return nil, nil, nil, nil, maint.InvalidAs("accuracy_m", "accuracy_invalid", nil, "accuracy_m must be metres, got %q", a)
		}
		acc = &v
	}
	if c := u.fields["captured_at"]; c != "" {
		t, err := time.Parse(time.RFC3339, c)
		if err != nil {
			return nil, nil, nil, nil, maint.Invalid("captured_at", "captured_at must be an RFC 3339 time, got %q", c)
		}
		captured = &t
	}
	return lon, lat, acc, captured, nil
}

// newPhoto stores the photo's three files and describes the row to write.
// EXIF's position and time win over the page's: the page's are what the
// browser knew when it sent the photo, EXIF's when it was taken.
func (s *Server) newPhoto(ctx context.Context, u *upload, stage maint.Stage) (*maint.NewPhoto, error) {
	if s.blobs == nil {
		e := maint.Errorf(maint.CodeUnavailable, "photo storage is not configured")
		e.RetryAfter = 60
		return nil, e
	}
	lon, lat, acc, captured, err := u.position()
	if err != nil {
		return nil, err
	}
	res := u.res
	np := &maint.NewPhoto{Stage: stage, SHA256: res.SHA256, MediaType: res.MediaType, Bytes: res.Size, Width: res.Width,
		Height: res.Height, TakenAt: captured, Visible: true, FarMetres: s.cfg.FarFromAssetMetres}
	if res.EXIF.TakenAt != nil {
		np.TakenAt = res.EXIF.TakenAt
	}
	// A page that resized the photo read its EXIF first and says so:
	// the position it sends is then EXIF's, not the device's.
	src := u.fields["location_source"]
	if src != "" && src != "exif" && src != "device" {
		return nil, maint.Invalid("location_source", "location_source is exif (read from the photo before resizing) or device, got %q", src)
	}
	switch {
	case res.EXIF.Lat != nil && res.EXIF.Lon != nil:
		np.Lon, np.Lat, np.LocationSource = res.EXIF.Lon, res.EXIF.Lat, "exif"
	case lon != nil && src == "exif":
		np.Lon, np.Lat, np.LocationSource = lon, lat, "exif"
	case lon != nil:
		np.Lon, np.Lat, np.LocationSource, np.AccuracyM = lon, lat, "device", acc
	}
	np.EXIF, _ = json.Marshal(res.EXIF)
	np.OriginalKey, np.DisplayKey, np.ThumbKey = photoKeys(res.SHA256, res.MediaType)
	// The bytes go first: a row is written only once its files are stored,
	// so a crash in between leaves at most files without a row (gc removes
	// them), never a row without files.
	if ok, err := s.blobs.Exists(ctx, np.OriginalKey); err != nil {
		return nil, storeUnreachable("look up the original", err)
	} else if !ok {
		if err := s.blobs.Put(ctx, np.OriginalKey, res.Original(), res.MediaType); err != nil {
			return nil, storeUnreachable("store the original", err)
		}
	}
	for _, v := range []struct {
		key string
		b   []byte
	}{{np.DisplayKey, res.Display.Data}, {np.ThumbKey, res.Thumb.Data}} {
		if err := s.blobs.Put(ctx, v.key, strings.NewReader(string(v.b)), "image/jpeg"); err != nil {
			return nil, storeUnreachable("store a copy", err)
		}
	}
	return np, nil
}

// storeUnreachable is a photo store that did not answer (an S3 server down
// or unreachable): a 503 to send again — with the same Idempotency-Key —
// and nothing written, since the row comes only after the files.
func storeUnreachable(what string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	e := maint.Errorf(maint.CodeUnavailable, "the photo store cannot be reached; nothing was saved: send the photo again in a moment")
	e.RetryAfter = 10
	return fmt.Errorf("%s: %w (%v)", what, e, err)
}
