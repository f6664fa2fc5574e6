package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/paulmach/orb"

	"inframap/gis"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// parseGeometry parses and checks a GeoJSON geometry from a client.
func parseGeometry(field string, raw json.RawMessage) (gis.Geometry, error) {
	g, err := gis.ParseGeometry(raw, gis.MaxVertices)
	if err != nil {
		return nil, maint.Invalid(field, "%s", err.Error())
	}
	return g, nil
}

// parsePoint parses a GeoJSON Point.
func parsePoint(field string, raw json.RawMessage) (gis.Geometry, error) {
	g, err := gis.ParseGeometry(raw, 1)
	if err != nil {
		return nil, maint.Invalid(field, "%s", err.Error())
	}
	if _, ok := g.(orb.Point); !ok {
		return nil, maint.Invalid(field, "%s must be a GeoJSON Point", field)
	}
	return g, nil
}

// featureJSON is a GeoJSON Feature sent by a client.
type featureJSON struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id,omitempty"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

// decodeProperties reads a feature's properties, keeping numbers exact.
func decodeProperties(raw json.RawMessage) (map[string]any, error) {
	props := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return props, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&props); err != nil {
		return nil, maint.Invalid("properties", "properties must be a JSON object")
	}
	return props, nil
}

func takeString(props map[string]any, key string) (string, bool, error) {
	v, ok := props[key]
	if !ok {
		return "", false, nil
	}
	delete(props, key)
	s, isString := v.(string)
	if !isString {
		return "", true, maint.Invalid("properties."+key, "%s must be a string", key)
	}
	return strings.TrimSpace(s), true, nil
}

// createAsset serves POST /api/v1/assets: a GeoJSON Feature whose
// properties hold kind, code, name, name_en, parent_id and the attributes.
func (s *Server) createAsset() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Can(maint.PermEditAsset))
		if err != nil {
			return err
		}
		in, err := parseNewAsset(r)
		if err != nil {
			return err
		}
		a, err := s.store.CreateAsset(r.Context(), v, s.clientIP(r), in)
		if err != nil {
			return err
		}
		s.writeAsset(w, r, http.StatusCreated, a)
		return nil
	})
}

func parseNewAsset(r *http.Request) (maint.NewAsset, error) {
	var in maint.NewAsset
	var f featureJSON
	if err := httpx.DecodeJSON(r, &f); err != nil {
		return in, err
	}
	if f.Type != "Feature" {
		return in, maint.Invalid("type", `send a GeoJSON Feature ("type": "Feature")`)
	}
	props, err := decodeProperties(f.Properties)
	if err != nil {
		return in, err
	}
	kind, _, err := takeString(props, "kind")
	if err != nil {
		return in, err
	}
	in.Kind = maint.Kind(kind)
	if !in.Kind.Valid() {
		return in, maint.Invalid("properties.kind", "unknown kind %q", kind)
	}
	for _, computed := range []string{"pci", "condition_grade", "condition_at", "condition_score"} {
		if _, ok := props[computed]; ok {
			return in, maint.Invalid("properties."+computed, "%s is computed from the recorded distresses and inspections, not set", computed)
		}
	}
	for _, reg := range maint.RegisterColumns {
		if _, ok := props[reg]; ok {
			return in, maint.Invalid("properties."+reg, "%s is a cover's register, kept by inspections and imports (docs/inspections.md), not set", reg)
		}
	}
	for _, field := range []struct {
		key string
		dst *string
	}{{"code", &in.Code}, {"name", &in.Name}, {"name_en", &in.NameEn}} {
		if *field.dst, _, err = takeString(props, field.key); err != nil {
			return in, err
		}
	}
	if pv, ok := props["parent_id"]; ok {
		delete(props, "parent_id")
		if pv != nil {
			f, isNum := pv.(float64)
			if !isNum || f <= 0 || f != float64(int64(f)) {
				return in, maint.Invalid("properties.parent_id", "parent_id must be an asset id")
			}
			id := int64(f)
			in.ParentID = &id
		}
	}
	if err := maint.CheckAssetFields(in.Kind, in.Code, in.Name); err != nil {
		return in, err
	}
	if len([]rune(in.NameEn)) > 200 {
		return in, maint.InvalidAs("name_en", "name_en_too_long", maint.Params{"max": 200}, "name_en is limited to 200 characters")
	}
	in.Attrs = props
	if err := maint.CheckAttrs(in.Kind, in.Code, in.Attrs); err != nil {
		return in, err
	}
	if in.Geometry, err = parseGeometry("geometry", f.Geometry); err != nil {
		return in, err
	}
	if t := in.Geometry.GeoJSONType(); !in.Kind.AllowsGeometry(t) {
		return in, maint.InvalidAs("geometry", "geometry_type", maint.Params{"kind": string(in.Kind), "types": in.Kind.GeometryTypes(), "got": t}, "a %s has a %v geometry, not %s", in.Kind, in.Kind.GeometryTypes(), t)
	}
	return in, nil
}

// patchAsset serves PATCH /api/v1/assets/{id} (If-Match required): a
// Feature with a new geometry and/or the properties that change; a property
// set to null is removed.
func (s *Server) patchAsset() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		e, p, err := editWith(r, httpx.Can(maint.PermEditAsset), parseAssetPatch)
		if err != nil {
			return err
		}
		a, err := s.store.PatchAsset(r.Context(), e.v, s.clientIP(r), e.id, e.version, p)
		if err != nil {
			return err
		}
		s.writeAsset(w, r, http.StatusOK, a)
		return nil
	})
}

func parseAssetPatch(r *http.Request) (maint.AssetPatch, error) {
	var p maint.AssetPatch
	var f featureJSON
	if err := httpx.DecodeJSON(r, &f); err != nil {
		return p, err
	}
	if f.Type != "" && f.Type != "Feature" {
		return p, maint.Invalid("type", `send a GeoJSON Feature ("type": "Feature")`)
	}
	props, err := decodeProperties(f.Properties)
	if err != nil {
		return p, err
	}
	for _, fixed := range []string{"kind", "parent_id", "subdistrict", "status", "status_at", "version", "updated_at", "id", "pci", "condition_grade", "condition_at", "condition_score",
		"owner_unit", "anti_fall_net", "last_inspected_on"} {
		if _, ok := props[fixed]; ok {
			return p, maint.Invalid("properties."+fixed, "%s cannot be changed", fixed)
		}
	}
	for _, field := range []struct {
		key string
		dst *maint.Opt[string]
	}{{"code", &p.Code}, {"name", &p.Name}, {"name_en", &p.NameEn}} {
		s, ok, err := takeString(props, field.key)
		if err != nil {
			return p, err
		}
		*field.dst = maint.Opt[string]{Set: ok, V: s}
	}
	p.Attrs = props
	if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
		if p.Geometry, err = parseGeometry("geometry", f.Geometry); err != nil {
			return p, err
		}
	}
	if p.Geometry == nil && len(p.Attrs) == 0 && !p.Code.Set && !p.Name.Set && !p.NameEn.Set {
		return p, maint.Invalid("body", "nothing to change")
	}
	return p, nil
}
