package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/maint"
)

// listAssets serves GET /api/v1/assets: a GeoJSON FeatureCollection,
// filtered, paged by an opaque keyset cursor and streamed row by row.
func (s *Server) listAssets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := assetFilter(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var last int64
		n := 0
		err = s.streamCollection(w, r, "application/geo+json", func(emit func(func([]byte) []byte) error) (bool, error) {
			return s.store.ListAssets(r.Context(), f, func(a *maint.Asset) error {
				last = a.ID
				n++
				return emit(func(b []byte) []byte { return appendAssetFeature(b, a) })
			})
		}, func(b []byte, more bool) []byte {
			b = append(b, `],"numberReturned":`...)
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, `,"links":[{"rel":"self","type":"application/geo+json","href":`...)
			b = appendString(b, s.pageURL(r, r.URL.Query().Get("cursor")))
			b = append(b, '}')
			if more {
				b = append(b, `,{"rel":"next","type":"application/geo+json","href":`...)
				b = appendString(b, s.pageURL(r, encodeCursor(last)))
				b = append(b, '}')
			}
			return append(b, "]}\n"...)
		})
		if err != nil {
			writeError(w, r, err)
		}
	})
}

func assetFilter(r *http.Request) (maint.AssetFilter, error) {
	var f maint.AssetFilter
	p, err := readParams(r, "kind", "status", "bbox", "q", "subdistrict", "limit", "cursor", "as_of", "parent", "completed_from", "completed_to")
	if err != nil {
		return f, err
	}
	if f.Kinds, err = maint.ParseKinds("kind", p.str("kind")); err != nil {
		return f, err
	}
	if f.Statuses, err = maint.ParseStatuses("status", p.str("status")); err != nil {
		return f, err
	}
	if f.BBox, err = p.bbox(); err != nil {
		return f, err
	}
	if f.Q = p.str("q"); len(f.Q) > 100 {
		return f, maint.Invalid("q", "q is limited to 100 characters")
	}
	if f.Subdistrict = p.str("subdistrict"); len(f.Subdistrict) > 100 {
		return f, maint.Invalid("subdistrict", "subdistrict is limited to 100 characters")
	}
	if f.Limit, err = p.limit(maint.DefaultLimit, maint.MaxLimit); err != nil {
		return f, err
	}
	if f.After, err = p.cursor(); err != nil {
		return f, err
	}
	if s := p.str("as_of"); s != "" {
		d, err := maint.ParseDate("as_of", s)
		if err != nil {
			return f, err
		}
		f.AsOf = &d
	}
	for _, d := range []struct {
		name string
		dst  **time.Time
	}{{"completed_from", &f.CompletedFrom}, {"completed_to", &f.CompletedTo}} {
		if s := p.str(d.name); s != "" {
			day, err := maint.ParseDate(d.name, s)
			if err != nil {
				return f, err
			}
			*d.dst = &day
		}
	}
	if s := p.str("parent"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, maint.Invalid("parent", "parent must be an asset id, got %q", s)
		}
		f.ParentID = &id
	}
	return f, nil
}

// streamCollection writes a JSON collection whose items come from fill. The
// first bytes are held back until 32 KiB are ready, so an error early on
// still becomes a proper problem response; an error after bytes have left
// aborts the connection, so that no client mistakes a cut-off body for a
// complete one.
func (s *Server) streamCollection(w http.ResponseWriter, r *http.Request, contentType string,
	fill func(emit func(item func([]byte) []byte) error) (more bool, err error), tail func(b []byte, more bool) []byte) error {
	bw := getWriter(w)
	defer putWriter(bw)
	started := false
	head := func() {
		if !started {
			started = true
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusOK)
		}
	}
	bp := buffers.Get().(*[]byte)
	defer func() { buffers.Put(bp) }()
	buf := (*bp)[:0]
	sent := false
	first := true
	emit := func(item func([]byte) []byte) error {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = item(buf)
		if len(buf) >= 32<<10 {
			head()
			sent = true
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		*bp = buf
		return nil
	}
	buf = append(buf, `{"type":"FeatureCollection","features":[`...)
	more, err := fill(emit)
	if err != nil {
		if sent {
			panic(http.ErrAbortHandler)
		}
		return err
	}
	buf = tail(buf, more)
	*bp = buf
	head()
	bw.Write(buf)
	return bw.Flush()
}

// getAsset serves GET /api/v1/assets/{id}: one Feature with its tasks and
// their dated history.
func (s *Server) getAsset() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if _, err := readParams(r); err != nil {
			writeError(w, r, err)
			return
		}
		a, err := s.store.Asset(r.Context(), id, viewerFrom(r.Context()))
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.writeAsset(w, r, http.StatusOK, a)
	})
}

// appendAssetDetail appends an asset as a Feature whose properties also
// hold its tasks with their history.
func appendAssetDetail(b []byte, a *maint.Asset, v maint.Viewer) []byte {
	b = append(b, `{"type":"Feature","id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"geometry":`...)
	b = append(b, a.Geometry...)
	props := appendAssetProperties(nil, a)
	b = append(b, `,"properties":`...)
	b = append(b, props[:len(props)-1]...)
	tasks := make([]taskJSON, len(a.Tasks))
	for i := range a.Tasks {
		tasks[i] = taskView(&a.Tasks[i], v)
	}
	tj, err := json.Marshal(tasks)
	if err != nil {
		panic(err) // plain values
	}
	b = append(b, `,"tasks":`...)
	b = append(b, tj...)
	return append(b, "}}\n"...)
}

// pathID reads the {id} of the route.
func pathID(r *http.Request) (int64, error) {
	s := mux.Vars(r)["id"]
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, maint.Errorf(maint.CodeNotFound, "no resource with id %q", s)
	}
	return id, nil
}

// getStats serves GET /api/v1/stats, the report card, now or as_of a day.
func (s *Server) getStats() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(r, "as_of")
		if err != nil {
			writeError(w, r, err)
			return
		}
		var asOf *time.Time
		if v := p.str("as_of"); v != "" {
			d, err := maint.ParseDate("as_of", v)
			if err != nil {
				writeError(w, r, err)
				return
			}
			asOf = &d
		}
		st, err := s.store.Stats(r.Context(), asOf)
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		writeJSON(w, r, http.StatusOK, st)
	})
}

// healthz says the process is up.
func (s *Server) healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// readyz says whether the database is reachable and migrated.
func (s *Server) readyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.store.Ready(r.Context()); err != nil {
			e, ok := maint.AsError(err)
			if !ok || e.Code != maint.CodeUnavailable {
				e = maint.Errorf(maint.CodeUnavailable, "the database is not ready")
				e.RetryAfter = 5
				err = errors.Join(e, err)
			}
			writeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, http.StatusOK, map[string]string{"status": "ready"})
	})
}
