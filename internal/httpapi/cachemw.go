package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"golang.org/x/sync/singleflight"

	"inframap/gis"
	"inframap/internal/cache"
	"inframap/internal/maint"
)

// The response cache answers the map's hot reads — tiles, GeoJSON pages,
// OGC items, the report card — from memory, compressed once, with ETags so
// a revalidation costs a 304. Only responses that are the same for every
// viewer are cached; each entry records the kinds and area it shows so that
// a change notice drops exactly what it made stale (see internal/cache).
// Concurrent misses for one key render once (singleflight), and renders of
// expensive responses queue for a few slots so a storm of cold tiles cannot
// exhaust the database: past the queue's deadline the answer is a fast 503.

// maxCachedBody bounds what one response may hold in the cache.
const maxCachedBody = 16 << 20

// cachePolicy says whether and how a request's response is cached.
type cachePolicy struct {
	kinds []string
	area  gis.BBox
	// heavy responses count against the render slots.
	heavy bool
}

func assetKinds() []string {
	out := make([]string, len(maint.Kinds))
	for i, k := range maint.Kinds {
		out[i] = string(k)
	}
	return out
}

// policyFor returns the cache policy of a routed request, if it has one.
func policyFor(r *http.Request) (cachePolicy, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return cachePolicy{}, false
	}
	route := mux.CurrentRoute(r)
	if route == nil {
		return cachePolicy{}, false
	}
	tmpl, _ := route.GetPathTemplate()
	vars := mux.Vars(r)
	q := r.URL.Query()
	switch tmpl {
	case "/tiles/{layer}/{z}/{x}/{y}.mvt":
		kinds, err := tileKinds(vars["layer"])
		t, terr := gis.ParseTile(vars["z"], vars["x"], vars["y"])
		if err != nil || terr != nil || r.URL.RawQuery != "" {
			return cachePolicy{}, false
		}
		b := t.Bound(1.0 / 16) // the tile with a margin for the features drawn across its edge
		return cachePolicy{kinds: kindStrings(kinds), area: gis.BBoxOf(b), heavy: true}, true
	case "/api/v1/clusters/{kind}/{z}/{x}/{y}":
		t, err := gis.ParseTile(vars["z"], vars["x"], vars["y"])
		if err != nil || r.URL.RawQuery != "" {
			return cachePolicy{}, false
		}
		return cachePolicy{kinds: []string{vars["kind"]}, area: gis.BBoxOf(t.Bound()), heavy: true}, true
	case "/tiles/{layer}.json", "/ogc/collections", "/ogc/collections/{collectionId}":
		return cachePolicy{kinds: assetKinds(), area: cache.World}, true
	case "/api/v1/assets", "/ogc/collections/{collectionId}/items", "/api/v1/export":
		p := cachePolicy{kinds: assetKinds(), area: cache.World, heavy: true}
		if k := q.Get("kind"); k != "" {
			p.kinds = strings.Split(k, ",")
		}
		if c := vars["collectionId"]; c != "" {
			p.kinds = []string{c}
		}
		if b := q.Get("bbox"); b != "" && q.Get("bbox-crs") == "" {
			if box, err := gis.ParseBBox(b); err == nil {
				p.area = box
			}
		}
		if q.Has("as_of") || q.Has("completed_from") || q.Has("completed_to") || q.Has("datetime") {
			p.kinds = append(p.kinds, "tasks")
		}
		return p, true
	case "/api/v1/stats":
		return cachePolicy{kinds: append(assetKinds(), "tasks"), area: cache.World, heavy: true}, true
	case "/api/v1/areas":
		return cachePolicy{kinds: []string{"areas"}, area: cache.World}, true
	}
	return cachePolicy{}, false
}

func kindStrings(ks []maint.Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// cacheKey is the path and the query in a canonical order, plus the Accept
// header where content is negotiated.
func cacheKey(r *http.Request) string {
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(r.URL.Path)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(strings.Join(q[k], ",")))
	}
	if strings.HasPrefix(r.URL.Path, "/ogc") {
		b.WriteString("|" + r.Header.Get("Accept"))
	}
	return b.String()
}

// recorder passes a response through to the client and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status   int
	buf      bytes.Buffer
	overflow bool
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if !rec.overflow {
		if rec.buf.Len()+len(p) > maxCachedBody {
			rec.overflow = true
			rec.buf = bytes.Buffer{}
		} else {
			rec.buf.Write(p)
		}
	}
	return rec.ResponseWriter.Write(p)
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// cacheResponses is router middleware: it serves cacheable requests from the
// cache, and fills it on a miss.
func (s *Server) cacheResponses(next http.Handler) http.Handler {
	var flight singleflight.Group
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := policyFor(r)
		if !ok || s.cache == nil {
			next.ServeHTTP(w, r)
			return
		}
		key := cacheKey(r)
		if e := s.cache.Get(key); e != nil {
			s.metrics.cacheResult(r, "hit")
			s.serveEntry(w, r, e)
			return
		}
		// One render per key at a time: the others wait for it and are
		// answered from the cache.
		leader := false
		v, _, _ := flight.Do(key, func() (any, error) {
			leader = true
			return s.render(w, r, next, key, p), nil
		})
		if leader {
			return
		}
		if e, _ := v.(*cache.Entry); e != nil {
			s.metrics.cacheResult(r, "shared")
			s.serveEntry(w, r, e)
			return
		}
		s.metrics.cacheResult(r, "miss")
		s.renderSlot(w, r, next, p)
	})
}

// render runs the handler for the leader of a miss, answers its client and
// stores the response when it is a whole 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, next http.Handler, key string, p cachePolicy) *cache.Entry {
	s.metrics.cacheResult(r, "miss")
	gen := s.cache.Generation()
	// The cache does its own revalidation: the handler renders in full.
	r2 := r.Clone(r.Context())
	r2.Header.Del("If-None-Match")
	r2.Header.Del("If-Modified-Since")
	rec := &recorder{ResponseWriter: w}
	if !s.renderSlot(rec, r2, next, p) {
		return nil
	}
	if rec.status != http.StatusOK || rec.overflow || r.Method == http.MethodHead || r.Context().Err() != nil {
		return nil
	}
	h := w.Header()
	e := &cache.Entry{Key: key, Kinds: p.kinds, Area: p.area, Status: http.StatusOK, ContentType: h.Get("Content-Type"),
		Body: bytes.Clone(rec.buf.Bytes()), Header: map[string]string{}}
	for _, name := range []string{"Cache-Control", "Content-Crs", "Access-Control-Allow-Origin", "Content-Disposition", "Link"} {
		if v := h.Get(name); v != "" {
			e.Header[name] = v
		}
	}
	if t := h.Get("ETag"); t != "" {
		e.ETag = "W/" + strings.TrimPrefix(t, "W/")
	} else {
		sum := sha256.Sum256(e.Body)
		e.ETag = `W/"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	}
	if compressible(e.ContentType) || strings.Contains(e.ContentType, "vector-tile") {
		if len(e.Body) > 512 {
			e.Gzip = gzipBytes(e.Body)
		}
	}
	s.cache.Put(gen, e)
	return e
}

// renderSlot runs an expensive handler in one of a few slots, waiting a
// little for one; when none frees up in time the answer is a fast 503 that
// says when to come back. It reports whether the handler ran.
func (s *Server) renderSlot(w http.ResponseWriter, r *http.Request, next http.Handler, p cachePolicy) bool {
	if !p.heavy || s.renders == nil {
		next.ServeHTTP(w, r)
		return true
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RenderQueueWait)
	defer cancel()
	select {
	case s.renders <- struct{}{}:
	case <-ctx.Done():
		if r.Context().Err() == nil {
			e := maint.Errorf(maint.CodeUnavailable, "the service is busy; try again in a moment")
			e.RetryAfter = 1
			writeError(w, r, e)
		}
		return false
	}
	defer func() { <-s.renders }()
	next.ServeHTTP(w, r)
	return true
}

// serveEntry answers from a cached entry, compressed when the client takes
// gzip, and with a 304 when the client already has it.
func (s *Server) serveEntry(w http.ResponseWriter, r *http.Request, e *cache.Entry) {
	h := w.Header()
	for k, v := range e.Header {
		h.Set(k, v)
	}
	h.Set("ETag", e.ETag)
	h.Set("X-Cache", "hit")
	if etagMatch(r.Header.Get("If-None-Match"), e.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", e.ContentType)
	body := e.Body
	if e.Gzip != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = e.Gzip
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	level := gzip.DefaultCompression
	if len(b) > 1<<20 {
		level = gzip.BestSpeed // a large body costs five times the CPU at 6 for a tenth fewer bytes
	}
	zw, _ := gzip.NewWriterLevel(&buf, level)
	zw.Write(b)
	zw.Close()
	if buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}
