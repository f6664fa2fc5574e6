package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"inframap/internal/geojson"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// getStats serves GET /api/v1/stats, the report card, now or as_of a day.
func (s *Server) getStats() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpx.ReadParams(r, "as_of")
		if err != nil {
			return err
		}
		asOf, err := p.Date("as_of")
		if err != nil {
			return err
		}
		st, err := s.store.Stats(r.Context(), asOf)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, st)
		return nil
	})
}

// listAreas serves GET /api/v1/areas: the district boundary and its
// sub-districts as GeoJSON, flagged when approximate.
func (s *Server) listAreas() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		areas, err := s.store.Areas(r.Context())
		if err != nil {
			return err
		}
		b := []byte(`{"type":"FeatureCollection","features":[`)
		for i, a := range areas {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":"Feature","id":`...)
			b = strconv.AppendInt(b, a.ID, 10)
			b = append(b, `,"geometry":`...)
			b = append(b, a.Geometry...)
			b = append(b, `,"properties":{"kind":`...)
			b = geojson.AppendString(b, a.Kind)
			b = append(b, `,"name":`...)
			b = geojson.AppendString(b, a.Name)
			b = append(b, `,"name_en":`...)
			b = geojson.AppendString(b, a.NameEn)
			b = append(b, `,"approximate":`...)
			b = strconv.AppendBool(b, a.Approximate)
			b = append(b, `,"source":`...)
			b = geojson.AppendString(b, a.Source)
			b = append(b, "}}"...)
		}
		b = append(b, "]}\n"...)
		w.Header().Set("Content-Type", "application/geo+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(b)
		return nil
	})
}

type namedKind struct {
	Code          maint.Kind `json:"code"`
	Name          string     `json:"name"`
	NameEn        string     `json:"name_en"`
	GeometryTypes []string   `json:"geometry_types"`
	Unit          string     `json:"unit,omitempty"`
	Programme     bool       `json:"programme"`
}

type namedStatus struct {
	Code   maint.Status   `json:"code"`
	Name   string         `json:"name"`
	NameEn string         `json:"name_en"`
	Open   bool           `json:"open"`
	Next   []maint.Status `json:"next"`
}

// meta is the vocabulary of the service: kinds, states and the workflow,
// and the code tables, each with Chinese and English names.
func meta() []byte {
	var kinds []namedKind
	for _, k := range maint.Kinds {
		kinds = append(kinds, namedKind{k, k.Name(), k.NameEn(), k.GeometryTypes(), k.Unit(), k != maint.KindParkingSpace})
	}
	var statuses []namedStatus
	for _, s := range maint.Statuses {
		next := maint.NextStatuses(s)
		if next == nil {
			next = []maint.Status{}
		}
		statuses = append(statuses, namedStatus{s, s.Name(), s.NameEn(), s.Open(), next})
	}
	var phases []maint.Named
	for _, p := range maint.Phases {
		phases = append(phases, maint.Named{Code: string(p), Name: p.Name(), NameEn: p.NameEn()})
	}
	b, err := json.Marshal(map[string]any{
		"kinds":            kinds,
		"statuses":         statuses,
		"priorities":       maint.Priorities,
		"phases":           phases,
		"cover_categories": maint.CoverCategories,
		"manhole_defects":  maint.ManholeDefects,
		"defect_grades":    maint.DefectGrades,
		"load_classes":     maint.LoadClasses,
		"road_distresses":  maint.RoadDistresses,
		"space_types":      maint.SpaceTypes,
		"timezone":         "Asia/Shanghai",
	})
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// getMeta serves GET /api/v1/meta.
func (s *Server) getMeta() http.Handler {
	body := meta()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(body)
	})
}
