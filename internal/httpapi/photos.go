package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

type photoJSON struct {
	ID             int64             `json:"id"`
	TaskID         *int64            `json:"task_id"`
	AssetID        *int64            `json:"asset_id"`
	Stage          maint.Stage       `json:"stage"`
	Location       json.RawMessage   `json:"location"`
	LocationSource *string           `json:"location_source"`
	AccuracyM      *float64          `json:"accuracy_m"`
	TakenAt        *time.Time        `json:"taken_at"`
	DistanceM      *float64          `json:"distance_m"`
	FarFromAsset   bool              `json:"far_from_asset"`
	Width          int               `json:"width"`
	Height         int               `json:"height"`
	SHA256         string            `json:"sha256"`
	MediaType      string            `json:"media_type"`
	Bytes          int64             `json:"bytes"`
	Visible        bool              `json:"visible"`
	HiddenReason   string            `json:"hidden_reason,omitempty"`
	Duplicate      bool              `json:"duplicate,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	URLs           map[string]string `json:"urls"`
}

func photoView(p *maint.Photo, v maint.Viewer) photoJSON {
	base := "/api/v1/photos/" + strconv.FormatInt(p.ID, 10)
	j := photoJSON{ID: p.ID, TaskID: p.TaskID, AssetID: p.AssetID, Stage: p.Stage, AccuracyM: p.AccuracyM, TakenAt: p.TakenAt,
		DistanceM: p.DistanceM, FarFromAsset: p.FarFromAsset, Width: p.Width, Height: p.Height, SHA256: p.SHA256,
		MediaType: p.MediaType, Bytes: p.Bytes, Visible: p.Visible, Duplicate: p.Duplicate, CreatedAt: p.CreatedAt,
		Location: json.RawMessage("null"),
		URLs:     map[string]string{"self": base, "thumb": base + "/thumb", "display": base + "/display"}}
	if p.Lon != nil && p.Lat != nil {
		j.Location = json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%s,%s]}`,
			strconv.FormatFloat(*p.Lon, 'f', 7, 64), strconv.FormatFloat(*p.Lat, 'f', 7, 64)))
		j.LocationSource = &p.LocationSource
	}
	if j.DistanceM != nil {
		d := math.Round(*j.DistanceM*10) / 10
		j.DistanceM = &d
	}
	if maint.Can(v.Role, maint.PermEditTask) {
		j.URLs["original"] = base + "/original"
		j.HiddenReason = p.HiddenReason
	}
	return j
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
	"service_code": true, "description": true, "name": true, "email": true, "phone": true}

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
				return fail(maint.Invalid("photo", "send one photo per upload"))
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
				return fail(maint.Invalid(name, "%s is too long", name))
			}
			u.fields[name] = strings.TrimSpace(string(b))
		default:
			part.Close()
			return fail(maint.Invalid(name, "unknown field %q; a photo upload has photo, stage, lat, lon, accuracy_m, captured_at and location_source, a report also service_code, description, name, email and phone", name))
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
		return nil, nil, nil, nil, maint.Invalid("lat", "send both lat and lon, or neither")
	}
	if la != "" {
		y, err1 := strconv.ParseFloat(la, 64)
		x, err2 := strconv.ParseFloat(lo, 64)
		if err1 != nil || err2 != nil || math.IsNaN(x) || math.IsNaN(y) || math.Abs(y) > 90 || math.Abs(x) > 180 {
			return nil, nil, nil, nil, maint.Invalid("lat", "lat and lon must be WGS84 degrees, got %q, %q", la, lo)
		}
		lon, lat = &x, &y
	}
	if a := u.fields["accuracy_m"]; a != "" {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil || v < 0 || math.IsNaN(v) || v > 1e6 {
			return nil, nil, nil, nil, maint.Invalid("accuracy_m", "accuracy_m must be metres, got %q", a)
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
		return nil, err
	} else if !ok {
		if err := s.blobs.Put(ctx, np.OriginalKey, res.Original(), res.MediaType); err != nil {
			return nil, fmt.Errorf("store original: %w", err)
		}
	}
	for _, v := range []struct {
		key string
		b   []byte
	}{{np.DisplayKey, res.Display.Data}, {np.ThumbKey, res.Thumb.Data}} {
		if err := s.blobs.Put(ctx, v.key, strings.NewReader(string(v.b)), "image/jpeg"); err != nil {
			return nil, fmt.Errorf("store copy: %w", err)
		}
	}
	return np, nil
}

// idempotency reads the Idempotency-Key of a write: scoped to the caller
// and the endpoint, with a hash of what was sent.
func idempotency(r *http.Request, caller string, parts ...string) (*maint.Idempotency, error) {
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		return nil, nil
	}
	if len(key) > 255 || strings.ContainsAny(key, "\x00\r\n") {
		return nil, maint.Invalid("Idempotency-Key", "Idempotency-Key is at most 255 printable characters")
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return &maint.Idempotency{Scope: caller + " " + r.Method + " " + r.URL.Path, Key: key, RequestHash: hex.EncodeToString(h.Sum(nil))}, nil
}

// markReplayed says that an answer is a retried write's first outcome.
func markReplayed(w http.ResponseWriter, replayed bool) {
	if replayed {
		w.Header().Set("Idempotency-Replayed", "true")
	}
}

// writeCreated answers a write that made something (or, replayed, made it
// on the first try) with its JSON view.
func writeCreated(w http.ResponseWriter, r *http.Request, status int, view any, replayed bool) {
	w.Header().Set("Cache-Control", "no-store")
	markReplayed(w, replayed)
	writeJSON(w, r, status, view)
}

// uploadPhoto serves POST /api/v1/tasks/{id}/photos and
// /api/v1/assets/{id}/photos: inspectors and engineers send photos of the
// work, retried safely with an Idempotency-Key.
func (s *Server) uploadPhoto(onTask bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		id, err := pathID(r)
		if err == nil {
			err = maint.Require(v, maint.PermCreateTask)
		}
		if err == nil {
			if ok, wait := s.staffUploads.Allow(strconv.FormatInt(v.UserID, 10)); !ok {
				e := maint.Errorf(maint.CodeRateLimited, "too many uploads; try again in %d s", int(math.Ceil(wait.Seconds())))
				e.RetryAfter = int(math.Ceil(wait.Seconds()))
				err = e
			}
		}
		// The target must exist before a byte is read.
		if err == nil && onTask {
			_, err = s.store.Task(r.Context(), id, v)
		} else if err == nil {
			_, err = s.store.Asset(r.Context(), id, v)
		}
		if err != nil {
			s.metrics.Uploads.WithLabelValues(string(maint.ErrorCode(err))).Inc()
			writeError(w, r, err)
			return
		}
		u, err := s.readUpload(w, r, true)
		if err != nil {
			s.metrics.Uploads.WithLabelValues(string(maint.ErrorCode(err))).Inc()
			writeError(w, r, err)
			return
		}
		defer u.res.Close()
		s.metrics.UploadBytes.Add(float64(u.res.Size))
		stage := maint.Stage(u.fields["stage"])
		if !stage.Valid() {
			writeError(w, r, maint.Invalid("stage", "stage is before, during, after or report, got %q", u.fields["stage"]))
			return
		}
		target := "asset:" + strconv.FormatInt(id, 10)
		if onTask {
			target = "task:" + strconv.FormatInt(id, 10)
		}
		idem, err := idempotency(r, "user:"+strconv.FormatInt(v.UserID, 10), target, u.res.SHA256, string(stage),
			u.fields["lat"], u.fields["lon"], u.fields["accuracy_m"], u.fields["captured_at"])
		if err != nil {
			writeError(w, r, err)
			return
		}
		np, err := s.newPhoto(r.Context(), u, stage)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if onTask {
			np.TaskID = &id
		} else {
			np.AssetID = &id
		}
		p, replayed, err := s.store.AddPhoto(r.Context(), v, *np, idem)
		if err != nil {
			s.metrics.Uploads.WithLabelValues(string(maint.ErrorCode(err))).Inc()
			writeError(w, r, err)
			return
		}
		if replayed {
			s.metrics.Uploads.WithLabelValues("replayed").Inc()
		} else {
			s.metrics.Uploads.WithLabelValues("stored").Inc()
		}
		status := http.StatusCreated
		if p.Duplicate {
			status = http.StatusOK
		}
		w.Header().Set("Location", "/api/v1/photos/"+strconv.FormatInt(p.ID, 10))
		writeCreated(w, r, status, photoView(p, v), replayed)
	})
}

// visiblePhoto returns the photo if the viewer may see it: anyone a visible
// one, staff a hidden one; for anyone else it does not exist.
func (s *Server) visiblePhoto(r *http.Request) (*maint.Photo, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Photo(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !p.Visible && !viewerFrom(r.Context()).Staff() {
		return nil, maint.Errorf(maint.CodeNotFound, "photo %d: not found", id)
	}
	return p, nil
}

// getPhoto serves GET /api/v1/photos/{id}: its metadata.
func (s *Server) getPhoto() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.visiblePhoto(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		writeJSON(w, r, http.StatusOK, photoView(p, viewerFrom(r.Context())))
	})
}

// photoFile serves one of a photo's files. The copies are immutable and
// metadata-free, cached for a year when public; the original (with its
// EXIF, GPS included) goes to engineers only, as a download.
func (s *Server) photoFile(variant string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		if variant == "original" {
			if err := maint.Require(v, maint.PermEditTask); err != nil {
				writeError(w, r, err)
				return
			}
		}
		p, err := s.visiblePhoto(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		key, ctype := p.DisplayKey, "image/jpeg"
		switch variant {
		case "thumb":
			key = p.ThumbKey
		case "original":
			key, ctype = p.OriginalKey, p.MediaType
		}
		tag := `"` + p.SHA256[:32] + "-" + variant + `"`
		h := w.Header()
		h.Set("ETag", tag)
		if p.Visible && variant != "original" {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "private, no-store")
		}
		if etagMatch(r.Header.Get("If-None-Match"), tag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		b, err := s.blobs.Get(r.Context(), key)
		if err != nil {
			writeError(w, r, fmt.Errorf("photo %d %s: %w", p.ID, variant, err))
			return
		}
		h.Set("Content-Type", ctype)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		disposition := "inline"
		if variant == "original" {
			disposition = "attachment"
		}
		h.Set("Content-Disposition", fmt.Sprintf(`%s; filename="photo-%d-%s.%s"`, disposition, p.ID, variant, strings.TrimPrefix(ctype, "image/")))
		w.Write(b)
	})
}

// listPhotos serves GET /api/v1/tasks/{id}/photos and
// /api/v1/assets/{id}/photos.
func (s *Server) listPhotos(onTask bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		v := viewerFrom(r.Context())
		var ps []maint.Photo
		if onTask {
			ps, err = s.store.Photos(r.Context(), &id, nil, v)
		} else {
			ps, err = s.store.Photos(r.Context(), nil, &id, v)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]photoJSON, len(ps))
		for i := range ps {
			out[i] = photoView(&ps[i], v)
		}
		w.Header().Set("Cache-Control", "no-cache")
		writeJSON(w, r, http.StatusOK, map[string]any{"photos": out})
	})
}

// patchPhoto serves PATCH /api/v1/photos/{id} {visible, reason}: engineers
// hide a photo (a face, a car plate) or show it again.
func (s *Server) patchPhoto() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		id, err := pathID(r)
		if err == nil {
			err = maint.Require(v, maint.PermEditTask)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in struct {
			Visible *bool  `json:"visible"`
			Reason  string `json:"reason"`
		}
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		if in.Visible == nil {
			writeError(w, r, maint.Invalid("visible", "say visible: true or false"))
			return
		}
		if !*in.Visible && strings.TrimSpace(in.Reason) == "" {
			writeError(w, r, maint.Invalid("reason", "say why the photo is hidden"))
			return
		}
		p, err := s.store.SetPhotoVisible(r.Context(), v, s.clientIP(r), id, *in.Visible, strings.TrimSpace(in.Reason))
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, r, http.StatusOK, photoView(p, v))
	})
}
