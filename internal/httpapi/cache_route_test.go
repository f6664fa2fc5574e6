package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"inframap/gis"
	"inframap/internal/cache"
	"inframap/internal/maint"
)

// countingTiles renders made-up tiles and cluster tiles and counts the
// renders, so a test can tell a cache hit from a render without a database.
// Its embedded Store is nil: the routes under test need nothing else.
type countingTiles struct {
	Store
	tiles, clusters atomic.Int32
	extents         []maint.KindExtent
}

func (c *countingTiles) Tile(_ context.Context, kinds []maint.Kind, t gis.Tile) ([]byte, error) {
	c.tiles.Add(1)
	return fmt.Appendf(nil, "tile %v of %v, made up and long enough to be worth compressing: %0600d", t, kinds, 0), nil
}

func (c *countingTiles) TileAssets(_ context.Context, kind maint.Kind, t gis.Tile, _ func(*maint.Asset) error) ([]maint.Cluster, error) {
	c.clusters.Add(1)
	p := t.Center()
	return []maint.Cluster{{Lon: p[0], Lat: p[1], Count: 5000, ByStatus: map[string]int{"none": 5000}}}, nil
}

func (c *countingTiles) KindExtents(context.Context) ([]maint.KindExtent, error) {
	return c.extents, nil
}

func newCountingServer(t *testing.T) (*Server, *countingTiles, *cache.Cache) {
	t.Helper()
	store := &countingTiles{}
	c := cache.New(16 << 20)
	s := NewServer(Config{BcryptCost: 4, Cache: c}, store, fstest.MapFS{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return s, store, c
}

func get(t *testing.T, s *Server, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// TestTileETagOnHit: the tile's one ETag is the same on a miss and a hit,
// and a hit revalidates to a 304 with the tag as sent or its weak form.
func TestTileETagOnHit(t *testing.T) {
	s, store, _ := newCountingServer(t)
	path := "/tiles/manhole/14/13893/5965.mvt"
	miss := get(t, s, path)
	tag := miss.Header().Get("ETag")
	if miss.Code != 200 || miss.Header().Get("X-Cache") == "hit" || tag == "" {
		t.Fatalf("first GET: %d, X-Cache %q, ETag %q", miss.Code, miss.Header().Get("X-Cache"), tag)
	}
	hit := get(t, s, path, "Accept-Encoding", "gzip")
	if hit.Code != 200 || hit.Header().Get("X-Cache") != "hit" || hit.Header().Get("ETag") != tag ||
		hit.Header().Get("Content-Encoding") != "gzip" || hit.Header().Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("second GET: %d, headers %v, want a gzipped hit with ETag %s", hit.Code, hit.Header(), tag)
	}
	for _, inm := range []string{tag, "W/" + tag} {
		if res := get(t, s, path, "If-None-Match", inm); res.Code != http.StatusNotModified || res.Header().Get("ETag") != tag {
			t.Errorf("If-None-Match %s: %d, ETag %q", inm, res.Code, res.Header().Get("ETag"))
		}
	}
	if n := store.tiles.Load(); n != 1 {
		t.Errorf("%d renders, want 1", n)
	}
}

// TestTileCacheMargin: a cached tile is dropped by a change of its kind
// just outside it, within the margin of features drawn across its edge, and
// kept by a change farther away or of another kind.
func TestTileCacheMargin(t *testing.T) {
	s, store, c := newCountingServer(t)
	path := "/tiles/manhole/14/13893/5965.mvt"
	tile, _ := gis.ParseTile("14", "13893", "5965")
	b := tile.Bound()
	w := b.Max[0] - b.Min[0]
	justOutside := gis.BBox{MinLon: b.Max[0] + w/32, MinLat: b.Min[1], MaxLon: b.Max[0] + w/32, MaxLat: b.Min[1]}
	farOutside := gis.BBox{MinLon: b.Max[0] + w/4, MinLat: b.Min[1], MaxLon: b.Max[0] + w/4, MaxLat: b.Min[1]}
	renders := func(want int32) {
		t.Helper()
		if res := get(t, s, path); res.Code != 200 {
			t.Fatalf("GET: %d", res.Code)
		}
		if n := store.tiles.Load(); n != want {
			t.Fatalf("%d renders, want %d", n, want)
		}
	}
	renders(1)
	c.Changed("manhole", farOutside)
	c.Changed("parking_lot", justOutside)
	renders(1)
	c.Changed("manhole", justOutside)
	renders(2)
}

// TestWarmedClusterIsAHit: the warmer renders the cluster tiles of a
// numerous kind straight into the cache, under the keys of their route, so
// a request for one is a hit that renders nothing, with the body the route
// would have rendered; a second pass finds nothing missing.
func TestWarmedClusterIsAHit(t *testing.T) {
	s, store, _ := newCountingServer(t)
	store.extents = []maint.KindExtent{
		{Kind: maint.KindManhole, Count: 5000, Box: gis.BBox{MinLon: 125.26, MinLat: 43.86, MaxLon: 125.29, MaxLat: 43.89}},
		{Kind: maint.KindParkingLot, Count: 10, Box: gis.BBox{MinLon: 125.26, MinLat: 43.86, MaxLon: 125.29, MaxLat: 43.89}},
	}
	reqs, err := s.renderer.WarmList(t.Context())
	if err != nil || len(reqs) == 0 {
		t.Fatalf("warm list: %v, %v", reqs, err)
	}
	for _, q := range reqs {
		if q.Kind != maint.KindManhole || q.Tile.Z < 8 || q.Tile.Z > 12 {
			t.Fatalf("warm list has %v", q)
		}
	}
	if n := s.tiles.WarmOnce(t.Context(), reqs); n != len(reqs) || int(store.clusters.Load()) != n {
		t.Fatalf("first pass: %d missing, %d rendered, of %d", n, store.clusters.Load(), len(reqs))
	}
	if n := s.tiles.WarmOnce(t.Context(), reqs); n != 0 {
		t.Errorf("second pass: %d missing", n)
	}
	q := reqs[len(reqs)-1]
	rendered := store.clusters.Load()
	res := get(t, s, fmt.Sprintf("/api/v1/clusters/%s/%d/%d/%d", q.Kind, q.Tile.Z, q.Tile.X, q.Tile.Y))
	if res.Code != 200 || res.Header().Get("X-Cache") != "hit" || store.clusters.Load() != rendered {
		t.Fatalf("GET a warmed tile: %d, X-Cache %q, %d renders", res.Code, res.Header().Get("X-Cache"), store.clusters.Load()-rendered)
	}
	want, _ := s.renderer.Clusters(t.Context(), q)
	if res.Body.String() != string(want) || res.Header().Get("Content-Type") != "application/geo+json" ||
		res.Header().Get("Cache-Control") != "no-cache" || res.Header().Get("ETag") == "" {
		t.Errorf("warmed tile: headers %v, body %s, want %s", res.Header(), res.Body, want)
	}
}
