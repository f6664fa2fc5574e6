// Package respcache answers the map's hot reads — tiles, GeoJSON pages, OGC
// items, the report card — from the response cache (internal/cache):
// compressed once, with ETags so that a revalidation costs a 304. A route
// is cached because it is registered so, with the policy that says how
// (its key, which changes make it stale, whether its render is heavy): the
// policy travels with the route, so the cache never looks a route up by its
// path, and a request's parameters are parsed once (Route). Only responses
// that are the same for every viewer are cached. Concurrent misses for one
// key render once (singleflight), and heavy renders take a render slot.
package respcache

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"inframap/gis"
	"inframap/internal/cache"
	"inframap/internal/httpx"
	"inframap/internal/readpref"
)

// maxCachedBody bounds what one response may hold in the cache.
const maxCachedBody = 16 << 20

// Policy says how a response is cached: under which key, which changes
// (kinds of data within an area) make it stale, and whether rendering it is
// heavy enough to wait for a render slot.
type Policy struct {
	Key   string
	Kinds []string
	Area  gis.BBox
	Heavy bool
	// MaxAge, when set, bounds how long an answer is kept though nothing it
	// shows changed: answers that move with the clock (lights of time
	// limits) are rendered again after it.
	MaxAge time.Duration
}

// PolicyFunc gives the policy of a request to a route; false means the
// request is served afresh.
type PolicyFunc func(r *http.Request) (Policy, bool)

// Slots hands out render slots (internal/render.Renderer does).
type Slots interface {
	Slot(ctx context.Context) (release func(), err error)
}

// Responses serves cached routes. Without a cache every request renders
// (heavy ones still in a slot).
type Responses struct {
	store  *cache.Cache
	slots  Slots
	result func(r *http.Request, result string)
	flight singleflight.Group
}

// New returns the cached-route server over store (nil: no caching). result,
// when set, is told how each cacheable request was answered: hit, shared
// (it waited for another's render) or miss.
func New(store *cache.Cache, slots Slots, result func(r *http.Request, result string)) *Responses {
	if result == nil {
		result = func(*http.Request, string) {}
	}
	return &Responses{store: store, slots: slots, result: result}
}

// Wrap answers h's GET and HEAD requests from the cache under the policy
// policy gives them. It wraps any handler, for routes whose parameters the
// cache need not know (the handler may live in another package).
func (c *Responses) Wrap(policy PolicyFunc, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := policy(r)
		c.serve(w, r, p, ok, h)
	})
}

// Route is the parse-once form: a request's parameters are parsed once, a
// parse error is answered as a problem (and not cached), and the parsed
// value both gives the policy and is handed to render.
func Route[P any](c *Responses, parse func(*http.Request) (P, error), policy func(*http.Request, P) (Policy, bool),
	render func(http.ResponseWriter, *http.Request, P)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := parse(r)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		p, ok := policy(r, v)
		c.serve(w, r, p, ok, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { render(w, r, v) }))
	})
}

// serve answers from the cache, or renders once per key and keeps the
// answer when it is a whole 200.
func (c *Responses) serve(w http.ResponseWriter, r *http.Request, p Policy, ok bool, next http.Handler) {
	if !ok || c.store == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		next.ServeHTTP(w, r)
		return
	}
	if e := c.store.Get(p.Key); e != nil {
		c.result(r, "hit")
		serveEntry(w, r, e)
		return
	}
	// One render per key at a time: the others wait for it and are
	// answered from the cache.
	leader := false
	v, _, _ := c.flight.Do(p.Key, func() (any, error) {
		leader = true
		return c.render(w, r, next, p), nil
	})
	if leader {
		return
	}
	if e, _ := v.(*cache.Entry); e != nil {
		c.result(r, "shared")
		serveEntry(w, r, e)
		return
	}
	c.result(r, "miss")
	c.inSlot(w, r, next, p.Heavy)
}

// render runs the handler for the leader of a miss, answers its client and
// stores the response when it is a whole 200.
func (c *Responses) render(w http.ResponseWriter, r *http.Request, next http.Handler, p Policy) *cache.Entry {
	c.result(r, "miss")
	gen := c.store.Generation()
	// The cache does its own revalidation: the handler renders in full.
	r2 := r.Clone(r.Context())
	r2.Header.Del("If-None-Match")
	r2.Header.Del("If-Modified-Since")
	rec := &recorder{ResponseWriter: w}
	if !c.inSlot(rec, r2, next, p.Heavy) {
		return nil
	}
	if rec.status != http.StatusOK || rec.overflow || r.Method == http.MethodHead || r.Context().Err() != nil {
		return nil
	}
	// Read from a replica that had not replayed every change the cache has
	// been told of: it may show what an invalidation already dropped.
	if _, _, behind := readpref.NoteFrom(r.Context()).Source(); behind {
		return nil
	}
	e := NewEntry(p, w.Header(), bytes.Clone(rec.buf.Bytes()))
	c.store.Put(gen, e)
	return e
}

// inSlot runs a heavy handler in a render slot, answering a fast 503 when
// none frees up in time. It reports whether the handler ran.
func (c *Responses) inSlot(w http.ResponseWriter, r *http.Request, next http.Handler, heavy bool) bool {
	if !heavy || c.slots == nil {
		next.ServeHTTP(w, r)
		return true
	}
	release, err := c.slots.Slot(r.Context())
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

// Warm renders into the cache, under p, what a request to p's route would
// have, unless the cache has it: render gives the body, header its header.
// A request for the same key meanwhile shares the render. It reports
// whether the entry was missing.
func (c *Responses) Warm(ctx context.Context, p Policy, header http.Header, render func(context.Context) ([]byte, error)) (bool, error) {
	if c.store == nil || c.store.Get(p.Key) != nil {
		return false, nil
	}
	_, err, _ := c.flight.Do(p.Key, func() (any, error) {
		if c.slots != nil {
			release, err := c.slots.Slot(ctx)
			if err != nil {
				return nil, err
			}
			defer release()
		}
		gen := c.store.Generation()
		body, err := render(ctx)
		if err != nil {
			return nil, err
		}
		e := NewEntry(p, header, body)
		c.store.Put(gen, e)
		return e, nil
	})
	return true, err
}

// NewEntry makes the cache entry of a response: the headers a hit repeats,
// one ETag (the handler's, else a hash of the body), and the body
// compressed once when that pays.
func NewEntry(p Policy, h http.Header, body []byte) *cache.Entry {
	e := &cache.Entry{Key: p.Key, Kinds: p.Kinds, Area: p.Area, Status: http.StatusOK, ContentType: h.Get("Content-Type"),
		Body: body, Header: map[string]string{}}
	if p.MaxAge > 0 {
		e.Expires = time.Now().Add(p.MaxAge)
	}
	for _, name := range []string{"Cache-Control", "Content-Crs", "Access-Control-Allow-Origin", "Content-Disposition", "Link"} {
		if v := h.Get(name); v != "" {
			e.Header[name] = v
		}
	}
	if e.ETag = h.Get("ETag"); e.ETag == "" {
		sum := sha256.Sum256(e.Body)
		e.ETag = `W/"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	}
	if (httpx.Compressible(e.ContentType) || strings.Contains(e.ContentType, "vector-tile")) && len(e.Body) > 512 {
		e.Gzip = gzipBytes(e.Body)
	}
	return e
}

// serveEntry answers from a cached entry, compressed when the client takes
// gzip, and with a 304 when the client already has it.
func serveEntry(w http.ResponseWriter, r *http.Request, e *cache.Entry) {
	h := w.Header()
	for k, v := range e.Header {
		h.Set(k, v)
	}
	h.Set("ETag", e.ETag)
	h.Set("X-Cache", "hit")
	if httpx.ETagMatch(r.Header.Get("If-None-Match"), e.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", e.ContentType)
	body := e.Body
	if e.Gzip != nil && httpx.AcceptsGzip(r) {
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

// Caching reports whether responses are cached at all.
func (c *Responses) Caching() bool { return c.store != nil }
