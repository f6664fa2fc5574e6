package render

import (
	"math"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"inframap/gis"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// TileJSON serves GET /tiles/{layer}.json, the TileJSON 3.0 description of
// a layer: where its tiles are, its zooms and bounds, and the fields of its
// vector layers.
func (h *Routes) TileJSON() http.Handler {
	fields := map[string]string{
		"id":              "Number: the asset id (also the MVT feature id)",
		"kind":            "String: the asset kind",
		"code":            "String: the asset's stable code",
		"name":            "String: the asset's Chinese name",
		"status":          "String: the status of the asset's latest task (absent when it has none)",
		"pci":             "Number: the road's pavement condition index, CJJ 36 (absent until graded)",
		"condition_grade": "String: the condition grade A–D (absent until graded)",
		"condition_score": "Number: the work list's score, higher is worse: (100 − PCI) × the road class's weight + 5 per open case (absent until graded)",
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		layer := mux.Vars(r)["layer"]
		kinds, err := LayerKinds(layer)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		if len(r.URL.RawQuery) > 0 {
			httpx.WriteError(w, r, maint.Invalid("query", "TileJSON takes no query parameters"))
			return
		}
		exts, err := h.cfg.Extents(r.Context())
		if err != nil {
			httpx.WriteError(w, r, err)
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
			r := box.Rounded()
			c := gis.BBox{MinLon: (box.MinLon + box.MaxLon) / 2, MinLat: (box.MinLat + box.MaxLat) / 2}.Rounded()
			bounds, center = r[:], []float64{c[0], c[1], 14}
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
		u := httpx.BaseURL(r, h.cfg.PublicURL)
		u.Path = "/tiles/" + layer + "/"
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{
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
