package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"inframap/gis"
	"inframap/internal/maint"
)

// A tile layer is one kind's assets, or all of them ("all"); inside a tile
// each kind is an MVT layer named after it.
const allLayers = "all"

// tileKinds returns the kinds of a layer name, or a 404.
func tileKinds(layer string) ([]maint.Kind, error) {
	if layer == allLayers {
		return maint.Kinds, nil
	}
	if k := maint.Kind(layer); k.Valid() {
		return []maint.Kind{k}, nil
	}
	return nil, maint.Errorf(maint.CodeNotFound, "no tile layer %q; layers: all, %s", layer, kindList())
}

func kindList() string {
	s := ""
	for i, k := range maint.Kinds {
		if i > 0 {
			s += ", "
		}
		s += string(k)
	}
	return s
}

// Tile is a rendered vector tile and its validator.
type Tile struct {
	Data []byte
	// ETag is a strong validator of Data, quoted: the one tag clients see,
	// whether the tile is rendered or comes from the cache, gzipped or not
	// (content coding is negotiated on top of it). It is strong because
	// clients revalidate with the tag as sent or its W/ form.
	ETag string
}

// TileRenderer renders the tiles of a layer. The handler needs nothing
// else, so a cache can wrap a renderer and answer from memory: it must keep
// a tile's ETag tied to its bytes, and drop a tile as soon as an asset or
// task in it changes (PostgreSQL NOTIFY reaches every copy of the service).
type TileRenderer interface {
	RenderTile(ctx context.Context, layer string, kinds []maint.Kind, t gis.Tile) (*Tile, error)
}

// storeTiles renders every tile afresh in PostGIS. Its ETag is a hash of
// the tile's bytes, so it changes exactly when the tile does: an asset's
// geometry, name, code or status (a task's transition moves it) — and not
// when something outside the tile or not shown in it changes.
type storeTiles struct {
	store interface {
		Tile(ctx context.Context, kinds []maint.Kind, t gis.Tile) ([]byte, error)
	}
}

func (s storeTiles) RenderTile(ctx context.Context, layer string, kinds []maint.Kind, t gis.Tile) (*Tile, error) {
	b, err := s.store.Tile(ctx, kinds, t)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return &Tile{Data: b, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}, nil
}

// tileMaxAge lets browsers and CDNs reuse a tile for a minute without
// asking; after that a conditional request costs a 304.
const tileCacheControl = "public, max-age=60"

// tileRequest is a tile's address, parsed once for the cache and the
// handler.
type tileRequest struct {
	layer string
	kinds []maint.Kind
	tile  gis.Tile
}

func parseTileRequest(r *http.Request) (tileRequest, error) {
	v := mux.Vars(r)
	kinds, err := tileKinds(v["layer"])
	if err != nil {
		return tileRequest{}, err
	}
	t, err := parseTileAddress(v)
	if err != nil {
		return tileRequest{}, err
	}
	if len(r.URL.RawQuery) > 0 {
		return tileRequest{}, maint.Invalid("query", "tiles take no query parameters")
	}
	return tileRequest{layer: v["layer"], kinds: kinds, tile: t}, nil
}

// parseTileAddress reads the {z}/{x}/{y} of a route: a tile that cannot
// exist is a 404, an address that is no numbers a 400.
func parseTileAddress(v map[string]string) (gis.Tile, error) {
	t, err := gis.ParseTile(v["z"], v["x"], v["y"])
	if err != nil {
		var re gis.ErrTileRange
		if errors.As(err, &re) {
			return t, maint.Errorf(maint.CodeNotFound, "%s", err.Error())
		}
		return t, maint.Invalid("tile", "%s", err.Error())
	}
	return t, nil
}

// tilePolicy caches a tile under its address; it shows its kinds within
// the tile and a margin for the features drawn across its edge.
func tilePolicy(_ *http.Request, q tileRequest) (cachePolicy, bool) {
	b := q.tile.Bound(1.0 / 16)
	key := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", q.layer, q.tile.Z, q.tile.X, q.tile.Y)
	return cachePolicy{key: key, kinds: kindStrings(q.kinds), area: gis.BBoxOf(b), heavy: true}, true
}

// tiles serves GET /tiles/{layer}/{z}/{x}/{y}.mvt.
func (s *Server) tiles(tiles TileRenderer) http.Handler {
	return cachedRoute(s, parseTileRequest, tilePolicy, func(w http.ResponseWriter, r *http.Request, q tileRequest) {
		tile, err := tiles.RenderTile(r.Context(), q.layer, q.kinds, q.tile)
		if err != nil {
			writeError(w, r, err)
			return
		}
		h := w.Header()
		h.Set("ETag", tile.ETag)
		h.Set("Cache-Control", tileCacheControl)
		if etagMatch(r.Header.Get("If-None-Match"), tile.ETag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
		w.Write(tile.Data)
	})
}

// tileJSON serves GET /tiles/{layer}.json, the TileJSON 3.0 description of
// a layer: where its tiles are, its zooms and bounds, and the fields of its
// vector layers.
func (s *Server) tileJSON() http.Handler {
	fields := map[string]string{
		"id":     "Number: the asset id (also the MVT feature id)",
		"kind":   "String: the asset kind",
		"code":   "String: the asset's stable code",
		"name":   "String: the asset's Chinese name",
		"status": "String: the status of the asset's latest task (absent when it has none)",
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		layer := mux.Vars(r)["layer"]
		kinds, err := tileKinds(layer)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if len(r.URL.RawQuery) > 0 {
			writeError(w, r, maint.Invalid("query", "TileJSON takes no query parameters"))
			return
		}
		exts, err := s.store.Extents(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		var box *gis.BBox
		for _, e := range exts {
			if e.BBox == nil || !slices.Contains(kinds, e.Kind) {
				continue
			}
			if box == nil {
				b := *e.BBox
				box = &b
				continue
			}
			box.MinLon, box.MinLat = math.Min(box.MinLon, e.BBox.MinLon), math.Min(box.MinLat, e.BBox.MinLat)
			box.MaxLon, box.MaxLat = math.Max(box.MaxLon, e.BBox.MaxLon), math.Max(box.MaxLat, e.BBox.MaxLat)
		}
		bounds := []float64{-180, -85.051129, 180, 85.051129}
		center := []float64{0, 0, 0}
		if box != nil {
			bounds = []float64{round7(box.MinLon), round7(box.MinLat), round7(box.MaxLon), round7(box.MaxLat)}
			center = []float64{round7((box.MinLon + box.MaxLon) / 2), round7((box.MinLat + box.MaxLat) / 2), 14}
		}
		type vectorLayer struct {
			ID          string            `json:"id"`
			Description string            `json:"description"`
			MinZoom     int               `json:"minzoom"`
			MaxZoom     int               `json:"maxzoom"`
			Fields      map[string]string `json:"fields"`
		}
		var layers []vectorLayer
		for _, k := range kinds {
			layers = append(layers, vectorLayer{string(k), k.Name() + " " + k.NameEn(), 0, gis.MaxTileZoom, fields})
		}
		name, desc := "绿园区市政设施 Lüyuan District municipal assets", "Every asset kind, one vector layer per kind"
		if len(kinds) == 1 {
			name, desc = kinds[0].Name()+" "+kinds[0].NameEn(), "Lüyuan District: "+kinds[0].NameEn()
		}
		u := s.baseURL(r)
		u.Path = "/tiles/" + layer + "/"
		w.Header().Set("Cache-Control", "no-cache")
		writeJSON(w, r, http.StatusOK, map[string]any{
			"tilejson":      "3.0.0",
			"name":          name,
			"description":   desc,
			"version":       "1.0.0",
			"attribution":   "绿园区市政设施维护 inframap",
			"scheme":        "xyz",
			"tiles":         []string{u.String() + "{z}/{x}/{y}.mvt"},
			"minzoom":       0,
			"maxzoom":       gis.MaxTileZoom,
			"bounds":        bounds,
			"center":        center,
			"vector_layers": layers,
		})
	})
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }
