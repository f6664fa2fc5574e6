package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"inframap/internal/cache"
	"inframap/internal/httpx"
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

// serveCached serves a request to a cached route: from the cache when the
// policy applies (ok) and the response is there, else by running next and
// keeping what it renders.
func (s *Server) serveCached(w http.ResponseWriter, r *http.Request, p cachePolicy, ok bool, next http.Handler) {
	if !ok || s.cache == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		next.ServeHTTP(w, r)
		return
	}
	if e := s.cache.Get(p.key); e != nil {
		s.metrics.cacheResult(r, "hit")
		s.serveEntry(w, r, e)
		return
	}
	// One render per key at a time: the others wait for it and are
	// answered from the cache.
	leader := false
	v, _, _ := s.flight.Do(p.key, func() (any, error) {
		leader = true
		return s.render(w, r, next, p), nil
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
}

// render runs the handler for the leader of a miss, answers its client and
// stores the response when it is a whole 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, next http.Handler, p cachePolicy) *cache.Entry {
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
	e := newEntry(p, w.Header(), bytes.Clone(rec.buf.Bytes()))
	s.cache.Put(gen, e)
	return e
}

// newEntry is the cache entry of a 200 response with header h and body
// (which it keeps), under policy p.
func newEntry(p cachePolicy, h http.Header, body []byte) *cache.Entry {
	e := &cache.Entry{Key: p.key, Kinds: p.kinds, Area: p.area, Status: http.StatusOK, ContentType: h.Get("Content-Type"),
		Body: body, Header: map[string]string{}}
	for _, name := range []string{"Cache-Control", "Content-Crs", "Access-Control-Allow-Origin", "Content-Disposition", "Link"} {
		if v := h.Get(name); v != "" {
			e.Header[name] = v
		}
	}
	// A handler that validates its response (a tile) made the one ETag
	// clients see, on a miss as on a hit; for the others the cache makes
	// a weak one, as it serves the body gzipped or not.
	if e.ETag = h.Get("ETag"); e.ETag == "" {
		sum := sha256.Sum256(e.Body)
		e.ETag = `W/"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	}
	if compressible(e.ContentType) || strings.Contains(e.ContentType, "vector-tile") {
		if len(e.Body) > 512 {
			e.Gzip = gzipBytes(e.Body)
		}
	}
	return e
}

// renderSlot runs a heavy handler in one of the renderer's slots; when
// none frees up in time the answer is a fast 503 that says when to come
// back. It reports whether the handler ran.
func (s *Server) renderSlot(w http.ResponseWriter, r *http.Request, next http.Handler, p cachePolicy) bool {
	if !p.heavy {
		next.ServeHTTP(w, r)
		return true
	}
	release, err := s.renderer.Slot(r.Context())
	if err != nil {
		if r.Context().Err() == nil {
			httpx.WriteError(w, r, err)
		}
		return false
	}
	defer release()
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
