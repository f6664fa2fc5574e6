package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"inframap/internal/blob"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

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

// uploadPhoto serves POST /api/v1/tasks/{id}/photos and
// /api/v1/assets/{id}/photos: inspectors and engineers send photos of the
// work, retried safely with an Idempotency-Key.
func (s *Server) uploadPhoto(onTask bool) http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, id, err := target(r, httpx.Can(maint.PermCreateTask))
		if err == nil {
			err = s.mayUpload(r, v, id, onTask)
		}
		if err != nil {
			s.countUpload(err)
			return err
		}
		u, err := s.readUpload(w, r, true)
		if err != nil {
			s.countUpload(err)
			return err
		}
		defer u.res.Close()
		s.metrics.UploadBytes.Add(float64(u.res.Size))
		np, idem, err := s.photoOf(r, v, id, onTask, u)
		if err != nil {
			return err
		}
		p, replayed, err := s.store.AddPhoto(r.Context(), v, *np, idem)
		if err != nil {
			s.countUpload(err)
			return err
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
		return nil
	})
}

// countUpload counts an upload that failed, by its error's code.
func (s *Server) countUpload(err error) {
	s.metrics.Uploads.WithLabelValues(string(maint.ErrorCode(err))).Inc()
}

// mayUpload checks, before a byte is read, that v is within the upload
// limit and that the photo's task or asset exists.
func (s *Server) mayUpload(r *http.Request, v maint.Viewer, id int64, onTask bool) error {
	if ok, wait := s.staffUploads.Allow(strconv.FormatInt(v.UserID, 10)); !ok {
		return httpx.RateLimited("too many uploads", wait)
	}
	var err error
	if onTask {
		_, err = s.store.Task(r.Context(), id, v)
	} else {
		_, err = s.store.Asset(r.Context(), id, v)
	}
	return err
}

// photoOf checks an upload's stage and retry key and stores its files: the
// photo to record, on the task or asset id.
func (s *Server) photoOf(r *http.Request, v maint.Viewer, id int64, onTask bool, u *upload) (*maint.NewPhoto, *maint.Idempotency, error) {
	stage := maint.Stage(u.fields["stage"])
	if !stage.Valid() {
		return nil, nil, maint.Invalid("stage", "stage is before, during, after or report, got %q", u.fields["stage"])
	}
	target := "asset:" + strconv.FormatInt(id, 10)
	if onTask {
		target = "task:" + strconv.FormatInt(id, 10)
	}
	idem, err := idempotency(r, userScope(v), target, u.res.SHA256, string(stage),
		u.fields["lat"], u.fields["lon"], u.fields["accuracy_m"], u.fields["captured_at"])
	if err != nil {
		return nil, nil, err
	}
	np, err := s.newPhoto(r.Context(), u, stage)
	if err != nil {
		return nil, nil, err
	}
	if onTask {
		np.TaskID = &id
	} else {
		np.AssetID = &id
	}
	return np, idem, nil
}

// visiblePhoto returns the photo if the viewer may see it: anyone a visible
// one, staff a hidden one; for anyone else it does not exist.
func (s *Server) visiblePhoto(r *http.Request) (*maint.Photo, error) {
	id, err := httpx.PathID(r)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Photo(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !p.Visible && !httpx.ViewerOf(r).Staff() {
		return nil, maint.Errorf(maint.CodeNotFound, "photo %d: not found", id)
	}
	return p, nil
}

// getPhoto serves GET /api/v1/photos/{id}: its metadata.
func (s *Server) getPhoto() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.visiblePhoto(r)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, photoView(p, httpx.ViewerOf(r)))
		return nil
	})
}

// photoFile serves one of a photo's files. The copies are immutable and
// metadata-free, cached for a year when public; the original (with its
// EXIF, GPS included) goes to engineers only, as a download.
func (s *Server) photoFile(variant string) http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if variant == "original" {
			if _, err := httpx.Allowed(r, httpx.Can(maint.PermEditTask)); err != nil {
				return err
			}
		}
		p, err := s.visiblePhoto(r)
		if err != nil {
			return err
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
		if httpx.ETagMatch(r.Header.Get("If-None-Match"), tag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		b, err := s.blobs.Get(r.Context(), key)
		if err != nil && !errors.Is(err, blob.ErrNotFound) {
			return storeUnreachable(fmt.Sprintf("photo %d %s", p.ID, variant), err)
		}
		if err != nil {
			return fmt.Errorf("photo %d %s: %w", p.ID, variant, err)
		}
		h.Set("Content-Type", ctype)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		disposition := "inline"
		if variant == "original" {
			disposition = "attachment"
		}
		h.Set("Content-Disposition", fmt.Sprintf(`%s; filename="photo-%d-%s.%s"`, disposition, p.ID, variant, strings.TrimPrefix(ctype, "image/")))
		w.Write(b)
		return nil
	})
}

// listPhotos serves GET /api/v1/tasks/{id}/photos and
// /api/v1/assets/{id}/photos.
func (s *Server) listPhotos(onTask bool) http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		v := httpx.ViewerOf(r)
		var ps []maint.Photo
		if onTask {
			ps, err = s.store.Photos(r.Context(), &id, nil, v)
		} else {
			ps, err = s.store.Photos(r.Context(), nil, &id, v)
		}
		if err != nil {
			return err
		}
		out := make([]photoJSON, len(ps))
		for i := range ps {
			out[i] = photoView(&ps[i], v)
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"photos": out})
		return nil
	})
}

// patchPhoto serves PATCH /api/v1/photos/{id} {visible, reason}: engineers
// hide a photo (a face, a car plate) or show it again.
func (s *Server) patchPhoto() http.Handler {
	type visibility struct {
		Visible *bool  `json:"visible"`
		Reason  string `json:"reason"`
	}
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, id, err := target(r, httpx.Can(maint.PermEditTask))
		if err != nil {
			return err
		}
		in, err := httpx.Decode[visibility](r)
		switch {
		case err != nil:
			return err
		case in.Visible == nil:
			return maint.Invalid("visible", "say visible: true or false")
		case !*in.Visible && strings.TrimSpace(in.Reason) == "":
			return maint.InvalidAs("reason", "hide_needs_reason", nil, "say why the photo is hidden")
		}
		p, err := s.store.SetPhotoVisible(r.Context(), v, s.clientIP(r), id, *in.Visible, strings.TrimSpace(in.Reason))
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, r, http.StatusOK, photoView(p, v))
		return nil
	})
}
