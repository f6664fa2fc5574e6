package ogcapi

import (
	"net/http"
	"time"

	"inframap/gis"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// landing serves GET /ogc.
func (a *API) landing() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := jsonOnly(r); err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{
			"title":       "绿园区市政设施 Lüyuan District municipal assets",
			"description": "Road repairs, rain/sewage separation, public parking, manhole defects and capital projects of Lüyuan District, Changchun, with the status of their latest case, as OGC API – Features.",
			"links": append([]link{
				{a.url(r, "", nil), "self", mediaJSON, "This document"},
				{a.url(r, "/api", nil), "service-desc", MediaOAS30, "The API definition (OpenAPI 3.0)"},
				{a.url(r, "/conformance", nil), "conformance", mediaJSON, "Conformance classes implemented"},
				{a.url(r, "/collections", nil), "data", mediaJSON, "The feature collections"},
			}, a.tilesLinks(r, "")...),
		})
		return nil
	})
}

// conformance serves GET /ogc/conformance.
func (a *API) conformance() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := jsonOnly(r); err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"conformsTo": a.conformsTo()})
		return nil
	})
}

type collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Links       []link   `json:"links"`
	Extent      *extent  `json:"extent,omitempty"`
	ItemType    string   `json:"itemType"`
	CRS         []string `json:"crs"`
	StorageCRS  string   `json:"storageCrs"`
}

type spatialExtent struct {
	BBox [][]float64 `json:"bbox"`
	CRS  string      `json:"crs"`
}

type temporalExtent struct {
	Interval [][]*string `json:"interval"`
	TRS      string      `json:"trs"`
}

type extent struct {
	Spatial  *spatialExtent  `json:"spatial,omitempty"`
	Temporal *temporalExtent `json:"temporal,omitempty"`
}

// collection describes the collection of kind k with its extent e (nil when
// it has no features).
func (a *API) collection(r *http.Request, k maint.Kind, e *maint.Extent) collection {
	c := collection{
		ID:          string(k),
		Title:       k.Name() + " " + k.NameEn(),
		Description: k.NameEn() + " assets of Lüyuan District; the temporal extent is that of the status of their latest case (status_at).",
		Links: []link{
			{a.url(r, "/collections/"+string(k), nil), "self", mediaJSON, "This collection"},
			{a.url(r, "/collections/"+string(k)+"/items", nil), "items", mediaGeoJSON, "The features"},
			{a.url(r, "/collections/"+string(k)+"/queryables", nil), relQueryables, mediaSchema, "The properties a filter may name"},
		},
		ItemType:   "feature",
		CRS:        crsURIs(),
		StorageCRS: gis.CRS84.URI,
	}
	c.Links = append(c.Links, a.tilesLinks(r, k)...)
	if e != nil && e.BBox != nil {
		c.Extent = &extent{
			Spatial: &spatialExtent{[][]float64{rounded(*e.BBox)}, gis.CRS84.URI},
			Temporal: &temporalExtent{[][]*string{{timeString(e.First), timeString(e.Last)}},
				"http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
		}
	}
	return c
}

// rounded is a box as extents publish it.
func rounded(b gis.BBox) []float64 { r := b.Rounded(); return r[:] }

func timeString(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// extentOf finds kind k's extent.
func extentOf(exts []maint.Extent, k maint.Kind) *maint.Extent {
	for i := range exts {
		if exts[i].Kind == k {
			return &exts[i]
		}
	}
	return nil
}

// collections serves GET /ogc/collections.
func (a *API) collections() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := jsonOnly(r); err != nil {
			return err
		}
		exts, err := a.features.Extents(r.Context())
		if err != nil {
			return err
		}
		cs := make([]collection, 0, len(maint.Kinds))
		for _, k := range maint.Kinds {
			cs = append(cs, a.collection(r, k, extentOf(exts, k)))
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{
			"links":       []link{{a.url(r, "/collections", nil), "self", mediaJSON, "The feature collections"}},
			"collections": cs,
			"crs":         crsURIs(),
		})
		return nil
	})
}

// collectionPage serves GET /ogc/collections/{collectionId}.
func (a *API) collectionPage() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		k, err := kindOf(r)
		if err == nil {
			err = jsonOnly(r)
		}
		if err != nil {
			return err
		}
		exts, err := a.features.Extents(r.Context())
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, a.collection(r, k, extentOf(exts, k)))
		return nil
	})
}
