package ogcapi

import (
	"context"
	"encoding/json"
	"net/http"

	"inframap/gis"
	"inframap/internal/cql2"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// Part 3 (filtering): each collection publishes its queryables, and items
// take a CQL2 filter over them (internal/cql2 parses and checks it).

// mediaSchema is the media type of the queryables (a JSON Schema).
const mediaSchema = "application/schema+json"

// relQueryables is the link relation of a collection's queryables.
const relQueryables = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

// ownQueryables are the asset's own properties a filter may name, in the
// order the queryables list them; the kind's attributes follow.
var ownQueryables = []maint.Queryable{
	{Name: "id", Title: "编号 Feature id", Type: maint.QInteger},
	{Name: "code", Title: "编码 Code", Type: maint.QString},
	{Name: "name", Title: "名称 Name", Type: maint.QString},
	{Name: "name_en", Title: "English name", Type: maint.QString},
	{Name: "subdistrict", Title: "街道 Sub-district", Type: maint.QString},
	{Name: "status", Title: "状态 Status of the latest case", Type: maint.QString, Enum: statusNames()},
	{Name: "status_at", Title: "状态时间 When the status last changed", Type: maint.QDateTime},
	{Name: "pci", Title: "路面状况指数 Pavement condition index (CJJ 36)", Type: maint.QNumber},
	{Name: "condition_grade", Title: "路况等级 Condition grade", Type: maint.QString, Enum: []string{"A", "B", "C", "D"}},
	{Name: "condition_score", Title: "养护排序分值 Work list score (higher is worse)", Type: maint.QNumber},
	{Name: "geometry", Title: "几何 Geometry", Type: maint.QGeometry},
}

// coverQueryables are a cover's register (docs/inspections.md), queryable
// in the manhole collection alone.
var coverQueryables = []maint.Queryable{
	{Name: "owner_unit", Title: "责任单位 Responsible unit (by cover category)", Type: maint.QString},
	{Name: "anti_fall_net", Title: "防坠网 Anti-fall net present", Type: maint.QBoolean},
	{Name: "last_inspected_on", Title: "最近巡查日期 Last inspected on (YYYY-MM-DD)", Type: maint.QString},
}

func statusNames() []string {
	out := make([]string, len(maint.Statuses))
	for i, s := range maint.Statuses {
		out[i] = string(s)
	}
	return out
}

// queryablesOf lists what a filter on kind k may name: the own properties,
// then each attribute the kind's assets carry with the JSON type most of
// its values have.
func (a *API) queryablesOf(ctx context.Context, k maint.Kind) ([]maint.Queryable, error) {
	types, err := a.features.AttributeTypes(ctx, k)
	if err != nil {
		return nil, err
	}
	qs := append([]maint.Queryable(nil), ownQueryables...)
	if k == maint.KindManhole {
		qs = append(qs, coverQueryables...)
	}
	for _, t := range types {
		q := maint.Queryable{Name: t.Name, Title: t.Name, Attr: true, Type: maint.QString}
		switch t.Type {
		case "number":
			q.Type = maint.QNumber
		case "boolean":
			q.Type = maint.QBoolean
		}
		if !isOwn(t.Name) {
			qs = append(qs, q)
		}
	}
	return qs, nil
}

func isOwn(name string) bool {
	for _, q := range append(ownQueryables, coverQueryables...) {
		if q.Name == name {
			return true
		}
	}
	return false
}

// schemaOf is the JSON Schema of one queryable, as Part 3 publishes it.
func schemaOf(q maint.Queryable) map[string]any {
	s := map[string]any{"title": q.Title}
	switch q.Type {
	case maint.QDateTime:
		s["type"], s["format"] = "string", "date-time"
		s["x-ogc-role"] = "primary-instant"
	case maint.QGeometry:
		s["format"] = "geometry-any"
		s["x-ogc-role"] = "primary-geometry"
	default:
		s["type"] = string(q.Type)
	}
	if q.Name == "id" {
		s["x-ogc-role"] = "id"
	}
	if q.Name == "last_inspected_on" {
		s["format"] = "date"
	}
	if len(q.Enum) > 0 {
		s["enum"] = q.Enum
	}
	return s
}

// queryables serves GET /ogc/collections/{collectionId}/queryables.
func (a *API) queryables() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		k, err := kindOf(r)
		if err == nil {
			err = jsonOnly(r)
		}
		if err != nil {
			return err
		}
		qs, err := a.queryablesOf(r.Context(), k)
		if err != nil {
			return err
		}
		props := make(map[string]any, len(qs))
		for _, q := range qs {
			props[q.Name] = schemaOf(q)
		}
		b, err := json.Marshal(map[string]any{
			"$schema":              "https://json-schema.org/draft/2020-12/schema",
			"$id":                  a.url(r, "/collections/"+string(k)+"/queryables", nil),
			"type":                 "object",
			"title":                k.Name() + " " + k.NameEn(),
			"properties":           props,
			"additionalProperties": false,
		})
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", mediaSchema)
		if r.Method != http.MethodHead {
			w.Write(append(b, '\n'))
		}
		return nil
	})
}

// readFilter reads filter, filter-lang and filter-crs into q.
func (a *API) readFilter(r *http.Request, p httpx.Params, q *maint.FeatureQuery) error {
	lang, crsName := p.Str("filter-lang"), p.Str("filter-crs")
	if !p.Has("filter") {
		if p.Has("filter-lang") || p.Has("filter-crs") {
			return maint.Invalid("filter", "filter-lang and filter-crs go with a filter")
		}
		return nil
	}
	crs, err := gis.ParseCRS(crsName)
	if err != nil {
		return httpx.InvalidParam("filter-crs", err)
	}
	qs, err := a.queryablesOf(r.Context(), q.Kind)
	if err != nil {
		return err
	}
	q.Filter, err = cql2.Parse(p.Values().Get("filter"), lang, crs, qs)
	return err
}
