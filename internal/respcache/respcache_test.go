package respcache_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"inframap/gis"
	"inframap/internal/cache"
	"inframap/internal/respcache"
)

// slots is a render slot pool of one.
type slots struct{ ch chan struct{} }

func (s slots) Slot(ctx context.Context) (func(), error) {
	select {
	case s.ch <- struct{}{}:
		return func() { <-s.ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func policy(r *http.Request) (respcache.Policy, bool) {
	return respcache.Policy{Key: r.URL.Path, Kinds: []string{"manhole"}, Area: cache.World, Heavy: true}, r.URL.RawQuery == ""
}

// TestWrap checks the cached route: a miss renders once, later requests are
// hits with one ETag (a 304 when the client has it), concurrent misses share
// one render, a change of the entry's kind drops it, and a request its
// policy declines is served afresh every time.
func TestWrap(t *testing.T) {
	var renders atomic.Int32
	release, started := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renders.Add(1)
		once.Do(func() { close(started) })
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"features":[` + strings.Repeat(`{"a":1},`, 200) + `{}]}`))
	})
	store := cache.New(1 << 20)
	c := respcache.New(store, slots{make(chan struct{}, 1)}, nil)
	srv := httptest.NewServer(c.Wrap(policy, h))
	defer srv.Close()

	get := func(path, inm string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); get("/a", "") }()
	}
	<-started // the first render has begun; the others wait on it or on the cache
	close(release)
	wg.Wait()
	if n := renders.Load(); n != 1 {
		t.Errorf("5 concurrent misses rendered %d times, want 1", n)
	}
	res := get("/a", "")
	etag := res.Header.Get("ETag")
	if res.Header.Get("X-Cache") != "hit" || etag == "" {
		t.Errorf("after the miss: X-Cache %q, ETag %q; want a hit with an ETag", res.Header.Get("X-Cache"), etag)
	}
	if res := get("/a", etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s: %d, want 304", etag, res.StatusCode)
	}
	store.Changed("manhole", gis.BBox{MinLon: 125, MinLat: 43, MaxLon: 126, MaxLat: 44})
	get("/a", "")
	if n := renders.Load(); n != 2 {
		t.Errorf("after a change of its kind: %d renders, want 2", n)
	}
	get("/a?x=1", "")
	get("/a?x=1", "")
	if n := renders.Load(); n != 4 {
		t.Errorf("a declined policy: %d renders, want 4 (every request afresh)", n)
	}
}

// TestWarm checks that a warmed entry is what a request then gets, as a hit,
// and that warming what the cache holds renders nothing.
func TestWarm(t *testing.T) {
	store := cache.New(1 << 20)
	c := respcache.New(store, slots{make(chan struct{}, 1)}, nil)
	var renders atomic.Int32
	render := func(context.Context) ([]byte, error) { renders.Add(1); return []byte(`{"warm":true}`), nil }
	h := http.Header{"Content-Type": {"application/geo+json"}}
	p := respcache.Policy{Key: "/w", Kinds: []string{"manhole"}, Area: cache.World, Heavy: true}
	for i, want := range []bool{true, false} {
		missing, err := c.Warm(t.Context(), p, h, render)
		if err != nil || missing != want {
			t.Errorf("Warm #%d = %v, %v; want missing %v", i+1, missing, err, want)
		}
	}
	srv := httptest.NewServer(c.Wrap(func(r *http.Request) (respcache.Policy, bool) { return p, true },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("the handler ran for a warmed key") })))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/w")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("X-Cache") != "hit" || res.Header.Get("Content-Type") != "application/geo+json" || renders.Load() != 1 {
		t.Errorf("after warming: X-Cache %q, type %q, %d renders; want a hit of the warmed body, 1 render",
			res.Header.Get("X-Cache"), res.Header.Get("Content-Type"), renders.Load())
	}
}
