package render

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/respcache"
)

// The HTTP side of the renderer: the tile, TileJSON and cluster tile
// handlers that routes.go mounts, each tile and cluster tile cached under
// its address as parsed, with the scope the renderer says it shows.

// HTTPConfig is what the handlers need beside the renderer.
type HTTPConfig struct {
	// Responses caches the tiles (nil: every tile is rendered afresh).
	Responses *respcache.Responses
	// Extents gives each kind's box, for TileJSON bounds.
	Extents func(ctx context.Context) ([]maint.Extent, error)
	// PublicURL is the service's external root for TileJSON's tile URLs;
	// nil means the scheme and Host of each request.
	PublicURL *url.URL
	Log       *slog.Logger
	// Warmed, when set, is told of each warmer pass: how many tiles it
	// found missing and rendered.
	Warmed func(rendered int)
}

// Routes are the renderer's handlers.
type Routes struct {
	r   *Renderer
	cfg HTTPConfig
}

// HTTP returns the renderer's handlers.
func (r *Renderer) HTTP(cfg HTTPConfig) *Routes {
	if cfg.Responses == nil {
		cfg.Responses = respcache.New(nil, r, nil)
	}
	if cfg.Warmed == nil {
		cfg.Warmed = func(int) {}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Routes{r: r, cfg: cfg}
}

// tileCacheControl lets browsers and CDNs reuse a tile for a minute without
// asking; after that a conditional request costs a 304.
const tileCacheControl = "public, max-age=60"

// parseTileRequest reads a tile route's address, once for the cache and
// the handler; a tile has no variants, so a query is an error.
func parseTileRequest(r *http.Request) (TileRequest, error) {
	v := mux.Vars(r)
	q, err := ParseTile(v["layer"], v["z"], v["x"], v["y"])
	if err != nil {
		return q, err
	}
	if len(r.URL.RawQuery) > 0 {
		return q, maint.Invalid("query", "tiles take no query parameters")
	}
	return q, nil
}

// tilePolicy caches a tile under its address as parsed (so 08/… and 8/…
// share an entry), as showing what its scope says.
func tilePolicy(_ *http.Request, q TileRequest) (respcache.Policy, bool) {
	key := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", q.Layer, q.Tile.Z, q.Tile.X, q.Tile.Y)
	sc := q.Scope()
	return respcache.Policy{Key: key, Kinds: sc.Kinds, Area: sc.Area, Heavy: true}, true
}

// Tiles serves GET /tiles/{layer}/{z}/{x}/{y}.mvt.
func (h *Routes) Tiles() http.Handler {
	return respcache.Route(h.cfg.Responses, parseTileRequest, tilePolicy, h.serveTile)
}

// serveTile renders (or revalidates) the tile of q.
func (h *Routes) serveTile(w http.ResponseWriter, r *http.Request, q TileRequest) {
	tile, err := h.r.Tile(r.Context(), q)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("ETag", tile.ETag)
	hd.Set("Cache-Control", tileCacheControl)
	if httpx.ETagMatch(r.Header.Get("If-None-Match"), tile.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	// The length lets clients that read by ranges (GDAL's /vsicurl/) size
	// the tile, on HEAD too; compression, when it applies, replaces it.
	hd.Set("Content-Length", strconv.Itoa(len(tile.Data)))
	if r.Method != http.MethodHead {
		w.Write(tile.Data)
	}
}

// parseOGCTileRequest reads an OGC API – Tiles address of the
// WebMercatorQuad tile matrix set: {tileMatrix}/{tileRow}/{tileCol} are
// z/y/x of the XYZ scheme. Under a collection ({collectionId}) the tile
// is that kind's; without one it is the dataset's, every kind. The only
// parameter is f=mvt.
func parseOGCTileRequest(r *http.Request) (TileRequest, error) {
	v := mux.Vars(r)
	layer := AllLayers
	if id, ok := v["collectionId"]; ok {
		if !maint.Kind(id).Valid() {
			return TileRequest{}, maint.Errorf(maint.CodeNotFound, "no collection %q; collections: %s", id, strings.Join(maint.KindNames(maint.Kinds), ", "))
		}
		layer = id
	}
	q, err := ParseTile(layer, v["tileMatrix"], v["tileCol"], v["tileRow"])
	if err != nil {
		return q, err
	}
	p, err := httpx.ReadParams(r, "f")
	if err == nil {
		err = p.Format("mvt")
	}
	return q, err
}

// OGCTiles serves the OGC API – Tiles tile routes,
// /ogc/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}
// and /ogc/tiles/WebMercatorQuad/…: the same tiles as /tiles/…, under the
// same cache entries, ETags and cache policy.
func (h *Routes) OGCTiles() http.Handler {
	return respcache.Route(h.cfg.Responses, parseOGCTileRequest, tilePolicy, h.serveTile)
}

// parseClusterRequest reads a cluster route's address, once for the cache
// and the handler; it takes no query parameters.
func parseClusterRequest(r *http.Request) (ClusterRequest, error) {
	v := mux.Vars(r)
	q, err := ParseCluster(v["kind"], v["z"], v["x"], v["y"])
	if err != nil {
		return q, err
	}
	_, err = httpx.ReadParams(r)
	return q, err
}

// clusterKey is where a cluster tile is cached: the warmer stores under it
// what the route would.
func clusterKey(q ClusterRequest) string {
	return fmt.Sprintf("/api/v1/clusters/%s/%d/%d/%d", q.Kind, q.Tile.Z, q.Tile.X, q.Tile.Y)
}

// clusterPolicy caches a cluster tile under its address, as showing what
// the renderer says it shows.
func clusterPolicy(q ClusterRequest) respcache.Policy {
	sc := q.Scope()
	return respcache.Policy{Key: clusterKey(q), Kinds: sc.Kinds, Area: sc.Area, Heavy: true}
}

// Clusters serves GET /api/v1/clusters/{kind}/{z}/{x}/{y}, a cluster
// tile (see Renderer.Clusters). The public map asks for these tile by
// tile when a kind is too numerous to load whole (a city's manholes), so
// each is cached.
func (h *Routes) Clusters() http.Handler {
	policy := func(r *http.Request, q ClusterRequest) (respcache.Policy, bool) {
		// A query of no parameters ("?&") is served, but not cached.
		return clusterPolicy(q), r.URL.RawQuery == ""
	}
	return respcache.Route(h.cfg.Responses, parseClusterRequest, policy, func(w http.ResponseWriter, r *http.Request, q ClusterRequest) {
		body, err := h.r.Clusters(r.Context(), q)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		writeClusters(w, body)
	})
}

// clusterHeader sets the header of a cluster tile, sent or cached.
func clusterHeader(h http.Header) {
	h.Set("Content-Type", "application/geo+json")
	h.Set("Cache-Control", "no-cache")
}

func writeClusters(w http.ResponseWriter, body []byte) {
	clusterHeader(w.Header())
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
