package ogcapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	orbjson "github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"

	"inframap/gis"
	"inframap/internal/geojson"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// OGC API – Features Part 4 (Create, Replace, Update and Delete, draft
// 1.0.0-draft.1) on the asset collections. The writes are the asset
// service's own (maint.AssetService): the same field and attribute checks,
// the same geometry checks in PostGIS (kind, validity, inside the
// district), the same audit rows and the same optimistic locking: every
// item carries its version as its ETag, and a replace, update or delete
// sent with If-Match is refused (412) when the feature has changed since,
// as the draft's optimistic locking with ETags describes. Unlike
// /api/v1, a write without If-Match is not refused but unconditional, as
// in HTTP: QGIS, the client this is for, never sends it.

// readOnlyProps are the properties an item shows but a write cannot set:
// the service derives them. A client that sends back what it read (QGIS
// does) has them ignored rather than refused.
var readOnlyProps = []string{"id", "subdistrict", "status", "status_at", "completed_at", "pci", "condition_grade", "condition_at", "condition_score", "version", "updated_at", "created_at",
	"owner_unit", "anti_fall_net", "last_inspected_on"}

// editFeature is a GeoJSON Feature a client sends.
type editFeature struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id,omitempty"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
	Links      json.RawMessage `json:"links,omitempty"`
	BBox       json.RawMessage `json:"bbox,omitempty"`
}

// editBody is what a write sends, read and its properties decoded; the
// properties it may not set are dropped, kind and parent_id checked
// against the collection and the asset.
type editBody struct {
	geometry json.RawMessage // nil when absent
	// latLon says the geometry's axes are latitude first (Content-Crs
	// EPSG:4326 or EPSG:4490).
	latLon bool
	props  map[string]any
	parent *int64
}

// readEdit reads the body of a write to collection k. Its geometry is in
// the Content-Crs (CRS84 when absent; EPSG:4326 and EPSG:4490 are
// latitude first, and CGCS2000 is taken as WGS84, which it matches to the
// centimetre here).
func readEdit(r *http.Request, k maint.Kind) (editBody, error) {
	var b editBody
	if c := strings.Trim(strings.TrimSpace(r.Header.Get("Content-Crs")), "<>"); c != "" {
		crs, err := gis.ParseCRS(c)
		if err != nil {
			return b, httpx.InvalidParam("Content-Crs", err)
		}
		b.latLon = crs.LatLon
	}
	var f editFeature
	if err := httpx.DecodeJSON(r, &f); err != nil {
		return b, err
	}
	if f.Type != "" && f.Type != "Feature" {
		return b, maint.Invalid("type", `send a GeoJSON Feature ("type": "Feature")`)
	}
	if len(f.Geometry) > 0 {
		b.geometry = f.Geometry
	}
	b.props = map[string]any{}
	if len(f.Properties) > 0 && string(f.Properties) != "null" {
		dec := json.NewDecoder(bytes.NewReader(f.Properties))
		if err := dec.Decode(&b.props); err != nil {
			return b, maint.Invalid("properties", "properties must be a JSON object")
		}
	}
	for _, p := range readOnlyProps {
		delete(b.props, p)
	}
	if v, ok := b.props["kind"]; ok {
		delete(b.props, "kind")
		if v != string(k) {
			return b, maint.Invalid("properties.kind", "this is the %s collection; its features are of kind %s, not %v", k, k, v)
		}
	}
	if v, ok := b.props["parent_id"]; ok {
		delete(b.props, "parent_id")
		if v != nil {
			f, isNum := v.(float64)
			if !isNum || f <= 0 || f != float64(int64(f)) {
				return b, maint.Invalid("properties.parent_id", "parent_id must be an asset id")
			}
			id := int64(f)
			b.parent = &id
		}
	}
	return b, nil
}

// takeString removes and returns a string property; set says whether it
// was there (null counts as there, empty).
func takeString(props map[string]any, key string) (s string, set bool, err error) {
	v, ok := props[key]
	if !ok {
		return "", false, nil
	}
	delete(props, key)
	if v == nil {
		return "", true, nil
	}
	str, isString := v.(string)
	if !isString {
		return "", true, maint.Invalid("properties."+key, "%s must be a string", key)
	}
	return strings.TrimSpace(str), true, nil
}

// geometryOf parses a body's geometry; a write that must carry one and does
// not is a 400, as is a null.
func geometryOf(b editBody) (gis.Geometry, error) {
	raw := b.geometry
	if raw == nil || string(raw) == "null" {
		return nil, maint.Invalid("geometry", "an asset needs a geometry")
	}
	if b.latLon {
		// Swap to longitude first before the checks, which know the ranges.
		g, err := orbjson.UnmarshalGeometry(raw)
		if err != nil {
			return nil, maint.Invalid("geometry", "not a GeoJSON geometry: %v", err)
		}
		if raw, err = json.Marshal(orbjson.NewGeometry(project.Geometry(orb.Clone(g.Geometry()), func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} }))); err != nil {
			return nil, err
		}
	}
	g, err := gis.ParseGeometry(raw, gis.MaxVertices)
	if err != nil {
		return nil, maint.Invalid("geometry", "%s", err.Error())
	}
	return g, nil
}

// itemID reads the {featureId} of a write: not a number is a 404.
func itemID(r *http.Request, k maint.Kind) (int64, error) {
	fid := mux.Vars(r)["featureId"]
	id, err := strconv.ParseInt(fid, 10, 64)
	if err != nil || id <= 0 {
		return 0, maint.Errorf(maint.CodeNotFound, "no feature %q in %s", fid, k)
	}
	return id, nil
}

// ifMatch reads the version a write is based on: the ETag of the item as
// read, or current (the version just read) when the client sends none.
func ifMatch(r *http.Request, current int) (int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return current, nil
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
	if err != nil || v <= 0 || strings.Contains(h, ",") {
		return 0, maint.Errorf(maint.CodePreconditionRequired, "If-Match must be the single ETag of the feature you read (e.g. \"3\"), not %q", h)
	}
	return v, nil
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// writePrologue is the start of every write: the collection, who asks and
// may they.
func writePrologue(r *http.Request) (maint.Kind, maint.Viewer, error) {
	k, err := kindOf(r)
	if err != nil {
		return k, maint.Viewer{}, err
	}
	if _, err := httpx.ReadParams(r); err != nil {
		return k, maint.Viewer{}, err
	}
	v, err := httpx.Allowed(r, httpx.Can(maint.PermEditAsset))
	return k, v, err
}

// existing is the prologue of a write to one item: it must exist in this
// collection (a 404 before anything else is looked at); the version the
// write is based on is If-Match's, else the one just read.
func (a *API) existing(r *http.Request) (maint.Kind, maint.Viewer, *maint.Asset, int, error) {
	k, v, err := writePrologue(r)
	if err != nil {
		return k, v, nil, 0, err
	}
	id, err := itemID(r, k)
	if err != nil {
		return k, v, nil, 0, err
	}
	cur, err := a.features.Feature(r.Context(), k, id, gis.CRS84)
	if err != nil {
		return k, v, nil, 0, err
	}
	version, err := ifMatch(r, cur.Version)
	return k, v, cur, version, err
}

// writeItem answers a write with the feature as it now is.
func (a *API) writeItem(w http.ResponseWriter, r *http.Request, status int, k maint.Kind, f *maint.Asset) {
	self := a.url(r, "/collections/"+string(k)+"/items/"+strconv.FormatInt(f.ID, 10), nil)
	b := geojson.AppendAssetFeature(nil, f)
	b = append(b[:len(b)-1], `,"links":[`...)
	b = appendLink(b, self, "self", mediaGeoJSON, "This feature")
	b = append(b, ',')
	b = appendLink(b, a.url(r, "/collections/"+string(k), nil), "collection", mediaJSON, "The collection")
	b = append(b, "]}\n"...)
	h := w.Header()
	if status == http.StatusCreated {
		h.Set("Location", self)
	}
	h.Set("ETag", etag(f.Version))
	h.Set("Content-Type", mediaGeoJSON)
	h.Set("Content-Crs", contentCRS(gis.CRS84))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// create serves POST /ogc/collections/{collectionId}/items: a new asset of
// the collection's kind.
func (a *API) create() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		k, v, err := writePrologue(r)
		if err != nil {
			return err
		}
		b, err := readEdit(r, k)
		if err != nil {
			return err
		}
		in := maint.NewAsset{Kind: k, ParentID: b.parent}
		for _, f := range []struct {
			key string
			dst *string
		}{{"code", &in.Code}, {"name", &in.Name}, {"name_en", &in.NameEn}} {
			if *f.dst, _, err = takeString(b.props, f.key); err != nil {
				return err
			}
		}
		if err := checkNames(k, in.Code, in.Name, in.NameEn); err != nil {
			return err
		}
		// A client sends every field of its layer; those without a value
		// are attributes this asset does not have.
		for key, val := range b.props {
			if val == nil {
				delete(b.props, key)
			}
		}
		in.Attrs = b.props
		if err := maint.CheckAttrs(k, in.Code, in.Attrs); err != nil {
			return err
		}
		if in.Geometry, err = geometryOf(b); err != nil {
			return err
		}
		f, err := a.cfg.Assets.CreateAsset(r.Context(), v, a.cfg.ClientIP(r), in)
		if err != nil {
			return err
		}
		a.writeItem(w, r, http.StatusCreated, k, f)
		return nil
	})
}

// checkNames checks the fixed text fields as the asset API does.
func checkNames(k maint.Kind, code, name, nameEn string) error {
	if err := maint.CheckAssetFields(k, code, name); err != nil {
		return err
	}
	if len([]rune(nameEn)) > 200 {
		return maint.Invalid("name_en", "name_en is limited to 200 characters")
	}
	return nil
}

// sameParent refuses a write that would move a parking space to another
// lot (or give a parent to an asset without one).
func sameParent(cur *maint.Asset, p *int64) error {
	if p == nil || cur.ParentID != nil && *cur.ParentID == *p {
		return nil
	}
	return maint.Invalid("properties.parent_id", "parent_id cannot be changed")
}

// replace serves PUT /ogc/collections/{collectionId}/items/{featureId}:
// the feature becomes the one sent — its geometry, code, names and exactly
// the attributes given (those left out are removed).
func (a *API) replace() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		k, v, cur, version, err := a.existing(r)
		if err != nil {
			return err
		}
		b, err := readEdit(r, k)
		if err != nil {
			return err
		}
		if err := sameParent(cur, b.parent); err != nil {
			return err
		}
		var p maint.AssetPatch
		for _, f := range []struct {
			key string
			dst *maint.Opt[string]
		}{{"code", &p.Code}, {"name", &p.Name}, {"name_en", &p.NameEn}} {
			s, _, err := takeString(b.props, f.key)
			if err != nil {
				return err
			}
			*f.dst = maint.Opt[string]{Set: true, V: s}
		}
		if err := checkNames(k, p.Code.V, p.Name.V, p.NameEn.V); err != nil {
			return err
		}
		if p.Geometry, err = geometryOf(b); err != nil {
			return err
		}
		// Attributes the asset has that the replacement leaves out go.
		var had map[string]any
		if err := json.Unmarshal(orEmptyObject(cur.Attrs), &had); err != nil {
			return err
		}
		p.Attrs = b.props
		for key := range had {
			if _, ok := p.Attrs[key]; !ok {
				p.Attrs[key] = nil
			}
		}
		f, err := a.cfg.Assets.PatchAsset(r.Context(), v, a.cfg.ClientIP(r), cur.ID, version, p)
		if err != nil {
			return err
		}
		a.writeItem(w, r, http.StatusOK, k, f)
		return nil
	})
}

// update serves PATCH /ogc/collections/{collectionId}/items/{featureId}, a
// JSON merge patch (RFC 7396) of the feature: a new geometry and/or the
// properties that change; a property set to null is removed.
func (a *API) update() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		k, v, cur, version, err := a.existing(r)
		if err != nil {
			return err
		}
		b, err := readEdit(r, k)
		if err != nil {
			return err
		}
		if err := sameParent(cur, b.parent); err != nil {
			return err
		}
		var p maint.AssetPatch
		for _, f := range []struct {
			key string
			dst *maint.Opt[string]
		}{{"code", &p.Code}, {"name", &p.Name}, {"name_en", &p.NameEn}} {
			s, set, err := takeString(b.props, f.key)
			if err != nil {
				return err
			}
			*f.dst = maint.Opt[string]{Set: set, V: s}
		}
		p.Attrs = b.props
		if b.geometry != nil {
			if p.Geometry, err = geometryOf(b); err != nil {
				return err
			}
		}
		f, err := a.cfg.Assets.PatchAsset(r.Context(), v, a.cfg.ClientIP(r), cur.ID, version, p)
		if err != nil {
			return err
		}
		a.writeItem(w, r, http.StatusOK, k, f)
		return nil
	})
}

// remove serves DELETE /ogc/collections/{collectionId}/items/{featureId}:
// an asset nothing refers to goes (204); one with tasks, photos or
// parking spaces stays (409).
func (a *API) remove() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_, v, cur, version, err := a.existing(r)
		if err != nil {
			return err
		}
		if err := a.cfg.Assets.DeleteAsset(r.Context(), v, a.cfg.ClientIP(r), cur.ID, version); err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func orEmptyObject(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return json.RawMessage("{}")
	}
	return b
}

// options serves OPTIONS on a collection's items (one is true) or on an
// item: the methods the caller may use there, in Allow, as Part 4 has a
// client find out what it may do. QGIS asks this to decide whether a layer
// is editable; it asks about an item that may not exist ("unknown_id"),
// so the item need not.
func (a *API) options(items bool) http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := kindOf(r); err != nil {
			return err
		}
		allow := "GET, HEAD, OPTIONS"
		if maint.Require(httpx.ViewerOf(r), maint.PermEditAsset) == nil {
			if items {
				allow = "GET, HEAD, POST, OPTIONS"
			} else {
				allow = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
			}
		}
		h := w.Header()
		h.Set("Allow", allow)
		h.Set("Access-Control-Allow-Methods", allow)
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Crs, If-Match")
		h.Set("Vary", "Authorization, Cookie")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
