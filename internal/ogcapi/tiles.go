package ogcapi

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"inframap/gis"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// OGC API – Tiles 1.0 over the service's vector tiles: one tile matrix set
// (WebMercatorQuad, the XYZ grid the tiles already use), a vector tileset
// per collection (one MVT layer, the kind's) and one of the dataset (a
// layer per kind). The tiles themselves are internal/render's, served
// under /ogc by the handler Config.Tile hands in, so they share the
// /tiles/… cache entries, ETags and cache policy.

// tilesConformance is declared when the API serves tiles.
var tilesConformance = []string{
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
	"http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
	"http://www.opengis.net/spec/tms/2.0/conf/tilesetmetadata",
	"http://www.opengis.net/spec/tms/2.0/conf/json-tilesetmetadata",
	"http://www.opengis.net/spec/tms/2.0/conf/tilematrixsetlimits",
	"http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixsetlimits",
}

// Link relations of OGC API – Tiles.
const (
	relTilesetsVector = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
	relTilingScheme   = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
	relTilingSchemes  = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
	mediaMVT          = "application/vnd.mapbox-vector-tile"
)

// The one tile matrix set.
const (
	tmsID   = "WebMercatorQuad"
	tmsURI  = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
	crs3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
	// Web Mercator's half extent, and the scale and cell size of zoom 0
	// (256-pixel tiles, 0.28 mm pixels), as the TMS standard's annex has them.
	mercatorHalf   = 20037508.3427892
	scaleZoom0     = 559082264.028717
	cellSizeZoom0  = 156543.033928041
	tileSizePixels = 256
)

// tileLink is a link that may be a URI template.
type tileLink struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type,omitempty"`
	Title     string `json:"title,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

// tileMatrixSets serves GET /ogc/tileMatrixSets.
func (a *API) tileMatrixSets() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := jsonOnly(r); err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{
			"links": []link{{a.url(r, "/tileMatrixSets", nil), "self", mediaJSON, "The tile matrix sets"}},
			"tileMatrixSets": []map[string]any{{
				"id": tmsID, "title": "Google Maps Compatible for the World", "uri": tmsURI, "crs": crs3857,
				"links": []link{{a.url(r, "/tileMatrixSets/"+tmsID, nil), "self", mediaJSON, "The WebMercatorQuad tile matrix set"}},
			}},
		})
		return nil
	})
}

// tileMatrixSet serves GET /ogc/tileMatrixSets/WebMercatorQuad: its
// definition in the JSON encoding of the TMS standard 2.0.
func (a *API) tileMatrixSet() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := jsonOnly(r); err != nil {
			return err
		}
		matrices := make([]map[string]any, 0, gis.MaxTileZoom+1)
		matricesV1 := make([]map[string]any, 0, gis.MaxTileZoom+1)
		for z := 0; z <= gis.MaxTileZoom; z++ {
			n := 1 << z
			matrices = append(matrices, map[string]any{
				"id": strconv.Itoa(z), "scaleDenominator": scaleZoom0 / float64(n), "cellSize": cellSizeZoom0 / float64(n),
				"cornerOfOrigin": "topLeft", "pointOfOrigin": []float64{-mercatorHalf, mercatorHalf},
				"tileWidth": tileSizePixels, "tileHeight": tileSizePixels, "matrixWidth": n, "matrixHeight": n,
			})
			matricesV1 = append(matricesV1, map[string]any{
				"type": "TileMatrixType", "identifier": strconv.Itoa(z), "scaleDenominator": scaleZoom0 / float64(n),
				"topLeftCorner": []float64{-mercatorHalf, mercatorHalf},
				"tileWidth":     tileSizePixels, "tileHeight": tileSizePixels, "matrixWidth": n, "matrixHeight": n,
			})
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{
			"id": tmsID, "title": "Google Maps Compatible for the World", "uri": tmsURI, "crs": crs3857,
			"orderedAxes": []string{"E", "N"}, "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
			"tileMatrices": matrices,
			"links":        []link{{a.url(r, "/tileMatrixSets/"+tmsID, nil), "self", mediaJSON, "This tile matrix set"}},
			// The same set in the TMS 1.0 encoding (OGC 17-083r2), beside
			// the 2.0 members: GDAL before 3.7 reads only 1.0.
			"type": "TileMatrixSetType", "identifier": tmsID, "supportedCRS": crs3857,
			"boundingBox": map[string]any{"type": "BoundingBoxType", "crs": crs3857,
				"lowerCorner": []float64{-mercatorHalf, -mercatorHalf}, "upperCorner": []float64{mercatorHalf, mercatorHalf}},
			"tileMatrix": matricesV1,
		})
		return nil
	})
}

// tilesBase is the path below /ogc of the tilesets of collection k, or of
// the dataset when k is "".
func tilesBase(k maint.Kind) string {
	if k == "" {
		return "/tiles"
	}
	return "/collections/" + string(k) + "/tiles"
}

// tilesKinds reads which tilesets a request is about: the collection's,
// or (no {collectionId}) the dataset's.
func tilesKinds(r *http.Request) (maint.Kind, []maint.Kind, error) {
	if _, ok := mux.Vars(r)["collectionId"]; !ok {
		return "", maint.Kinds, jsonOnly(r)
	}
	k, err := kindOf(r)
	if err == nil {
		err = jsonOnly(r)
	}
	return k, []maint.Kind{k}, err
}

// tilesets serves GET /ogc/collections/{collectionId}/tiles and /ogc/tiles:
// the list of tilesets, one per tile matrix set — here one.
func (a *API) tilesets() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		k, _, err := tilesKinds(r)
		if err != nil {
			return err
		}
		base := tilesBase(k)
		w.Header().Set("Cache-Control", "public, max-age=300")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{
			"links": []link{{a.url(r, base, nil), "self", mediaJSON, "The vector tilesets"}},
			"tilesets": []map[string]any{{
				"title": tilesTitle(k), "dataType": "vector", "crs": crs3857, "tileMatrixSetURI": tmsURI,
				"links": []link{
					{a.url(r, base+"/"+tmsID, nil), "self", mediaJSON, "The tileset"},
					{a.url(r, "/tileMatrixSets/"+tmsID, nil), relTilingScheme, mediaJSON, "Its tile matrix set"},
				},
			}},
		})
		return nil
	})
}

func tilesTitle(k maint.Kind) string {
	if k == "" {
		return "绿园区市政设施 Lüyuan District municipal assets: every kind, a layer each"
	}
	return k.Name() + " " + k.NameEn()
}

// geometryDimension is the dimension of a kind's geometries (0 points, 1
// lines, 2 polygons), or nil when mixed.
func geometryDimension(k maint.Kind) any {
	dim := -1
	for _, t := range k.GeometryTypes() {
		d := 0
		switch strings.ToUpper(t) {
		case "LINESTRING", "MULTILINESTRING":
			d = 1
		case "POLYGON", "MULTIPOLYGON":
			d = 2
		}
		if dim >= 0 && d != dim {
			return nil
		}
		dim = d
	}
	if dim < 0 {
		return nil
	}
	return dim
}

// tileset serves GET /ogc/collections/{collectionId}/tiles/WebMercatorQuad
// and /ogc/tiles/WebMercatorQuad: the tileset's metadata (TMS 2.0), its
// layers with their properties, the limits of each zoom over the data and
// the tiles' URI template.
func (a *API) tileset() http.Handler {
	props := map[string]any{
		"id":              map[string]any{"type": "integer", "description": "the asset id (also the MVT feature id)"},
		"kind":            map[string]any{"type": "string", "description": "the asset kind"},
		"code":            map[string]any{"type": "string", "description": "the asset's stable code"},
		"name":            map[string]any{"type": "string", "description": "the asset's Chinese name"},
		"status":          map[string]any{"type": "string", "description": "the status of the asset's latest task (absent when it has none)"},
		"pci":             map[string]any{"type": "number", "description": "the road's pavement condition index, CJJ 36 (absent until graded)"},
		"condition_grade": map[string]any{"type": "string", "enum": []string{"A", "B", "C", "D"}, "description": "the condition grade A–D (absent until graded)"},
		"condition_score": map[string]any{"type": "number", "description": "the work list's score, higher is worse: (100 − PCI) × the road class's weight + 5 per open case (absent until graded)"},
	}
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		k, kinds, err := tilesKinds(r)
		if err != nil {
			return err
		}
		exts, err := a.features.Extents(r.Context())
		if err != nil {
			return err
		}
		var box *gis.BBox
		for _, e := range exts {
			if e.BBox == nil || !containsKind(kinds, e.Kind) {
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
		layers := make([]map[string]any, 0, len(kinds))
		for _, lk := range kinds {
			l := map[string]any{"id": string(lk), "title": lk.Name() + " " + lk.NameEn(), "dataType": "vector",
				"minTileMatrix": "0", "maxTileMatrix": strconv.Itoa(gis.MaxTileZoom),
				"propertiesSchema": map[string]any{"type": "object", "properties": props}}
			if d := geometryDimension(lk); d != nil {
				l["geometryDimension"] = d
			}
			layers = append(layers, l)
		}
		base := tilesBase(k) + "/" + tmsID
		doc := map[string]any{
			"title": tilesTitle(k), "dataType": "vector", "crs": crs3857, "tileMatrixSetURI": tmsURI,
			"layers": layers,
			"links": []tileLink{
				{Href: a.url(r, base, nil), Rel: "self", Type: mediaJSON, Title: "This tileset"},
				{Href: a.url(r, "/tileMatrixSets/"+tmsID, nil), Rel: relTilingScheme, Type: mediaJSON, Title: "Its tile matrix set"},
				{Href: a.url(r, base, nil) + "/{tileMatrix}/{tileRow}/{tileCol}", Rel: "item", Type: mediaMVT, Title: "A tile", Templated: true},
			},
		}
		if box != nil {
			b := box.Rounded()
			doc["boundingBox"] = map[string]any{"lowerLeft": []float64{b[0], b[1]}, "upperRight": []float64{b[2], b[3]}, "crs": gis.CRS84.URI}
			doc["tileMatrixSetLimits"] = tileLimits(*box)
		}
		if k != "" {
			doc["links"] = append(doc["links"].([]tileLink), tileLink{Href: a.url(r, "/collections/"+string(k), nil), Rel: "collection", Type: mediaJSON, Title: "The collection"})
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, doc)
		return nil
	})
}

func containsKind(kinds []maint.Kind, k maint.Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// tileLimits are the rows and columns of each zoom that hold data in box.
func tileLimits(box gis.BBox) []map[string]any {
	out := make([]map[string]any, 0, gis.MaxTileZoom+1)
	for z := 0; z <= gis.MaxTileZoom; z++ {
		nw := maptile.At(orb.Point{box.MinLon, box.MaxLat}, maptile.Zoom(z))
		se := maptile.At(orb.Point{box.MaxLon, box.MinLat}, maptile.Zoom(z))
		out = append(out, map[string]any{"tileMatrix": strconv.Itoa(z),
			"minTileRow": nw.Y, "maxTileRow": se.Y, "minTileCol": nw.X, "maxTileCol": se.X})
	}
	return out
}

// tilesLinks are the links to the vector tilesets of collection k (of the
// dataset when k is "", with the tile matrix sets), when tiles are served.
func (a *API) tilesLinks(r *http.Request, k maint.Kind) []link {
	if a.cfg.Tile == nil {
		return nil
	}
	out := []link{{a.url(r, tilesBase(k), nil), relTilesetsVector, mediaJSON, "The vector tilesets (OGC API – Tiles)"}}
	if k == "" {
		out = append(out, link{a.url(r, "/tileMatrixSets", nil), relTilingSchemes, mediaJSON, "The tile matrix sets"})
	}
	return out
}
