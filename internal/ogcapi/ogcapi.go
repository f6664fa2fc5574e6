// Package ogcapi serves OGC API – Features: Part 1 (core, GeoJSON, an
// OpenAPI 3.0 description), Part 2 (coordinate reference systems by
// reference) and, when given the asset service, Part 4 (engineers create,
// replace, update and delete features: edit.go); and, when given the tile
// handler, OGC API – Tiles over the service's vector tiles (tiles.go).
// Each asset kind is a collection; its features carry the asset's public
// fields and attributes, nothing of the tasks but the status they give the
// asset. It reads through maint.FeatureService, writes through
// maint.AssetService, and answers every error as the service's other
// endpoints do (httpx).
package ogcapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"inframap/gis"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// conformance lists exactly what is implemented. There is no HTML
// encoding, so the html class is not claimed.
var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	// Part 3 and CQL2: exactly the classes internal/cql2 implements.
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
}

// editConformance is declared when the API writes (Config.Assets): Part 4,
// draft 1.0.0-draft.1 (edit.go).
var editConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
}

// Media types of the OGC resources.
const (
	mediaJSON    = "application/json"
	mediaGeoJSON = "application/geo+json"
	// MediaOAS30 is the media type of the API's OpenAPI 3.0 description.
	MediaOAS30 = "application/vnd.oai.openapi+json;version=3.0"
)

// Item paging: OGC's default page is small; a whole collection of the
// district fits in one page of the maximum.
const (
	defaultLimit = 10
	maxLimit     = 10000
)

// Config is what the API needs besides its data.
type Config struct {
	// PublicURL is the service's external root for links (scheme and host);
	// nil means the scheme and Host of each request.
	PublicURL *url.URL
	// Description serves /ogc/api, the OpenAPI 3.0 description; the service
	// keeps its API descriptions together, so it is handed in.
	Description http.Handler
	// Cache, when set, wraps the handlers of the cacheable resources —
	// "collections", "collection" and "items" — in the service's response
	// cache with the policy it gives each.
	Cache func(resource string, h http.Handler) http.Handler
	// Assets, when set, lets engineers create, replace, update and delete
	// features (Part 4) through the asset service's checked, audited
	// writes; nil leaves the API read-only.
	Assets maint.AssetService
	// ClientIP is the address the audit trail records of a write.
	ClientIP func(*http.Request) string
	// Tile, when set, serves a vector tile of the WebMercatorQuad tile
	// matrix set from the route variables {collectionId} (absent: the
	// dataset's, every kind), {tileMatrix}, {tileRow} and {tileCol}, and
	// the API serves OGC API – Tiles (tiles.go); nil leaves tiles out.
	Tile http.Handler
}

// API serves the OGC resources.
type API struct {
	features maint.FeatureService
	cfg      Config
}

// New returns the API over features.
func New(features maint.FeatureService, cfg Config) *API {
	if cfg.ClientIP == nil {
		cfg.ClientIP = func(r *http.Request) string { return r.RemoteAddr }
	}
	return &API{features: features, cfg: cfg}
}

// conformsTo lists the classes this API implements.
func (a *API) conformsTo() []string {
	out := append([]string(nil), conformance...)
	if a.cfg.Assets != nil {
		out = append(out, editConformance...)
	}
	if a.cfg.Tile != nil {
		out = append(out, tilesConformance...)
	}
	return out
}

// Mount routes the OGC resources on r, the router of the /ogc prefix. Every
// resource is open data that pages on other origins may read.
func (a *API) Mount(r *mux.Router) {
	cache := a.cfg.Cache
	if cache == nil {
		cache = func(_ string, h http.Handler) http.Handler { return h }
	}
	for _, rt := range []struct {
		path string
		h    http.Handler
	}{
		{"", a.landing()},
		{"/", a.landing()},
		{"/api", a.cfg.Description},
		{"/conformance", a.conformance()},
		{"/collections", cache("collections", a.collections())},
		{"/collections/{collectionId}", cache("collection", a.collectionPage())},
		{"/collections/{collectionId}/items", cache("items", a.items())},
		{"/collections/{collectionId}/queryables", a.queryables()},
		{"/collections/{collectionId}/items/{featureId}", a.item()},
	} {
		// Open data outside the cache, so hits carry the same headers.
		r.Handle(rt.path, httpx.OpenData(rt.h)).Methods(http.MethodGet, http.MethodHead)
	}
	if a.cfg.Tile != nil {
		for _, rt := range []struct {
			path string
			h    http.Handler
		}{
			{"/tileMatrixSets", a.tileMatrixSets()},
			{"/tileMatrixSets/" + tmsID, a.tileMatrixSet()},
			{"/tiles", a.tilesets()},
			{"/tiles/" + tmsID, a.tileset()},
			{"/tiles/" + tmsID + "/{tileMatrix}/{tileRow}/{tileCol}", a.cfg.Tile},
			{"/collections/{collectionId}/tiles", a.tilesets()},
			{"/collections/{collectionId}/tiles/" + tmsID, a.tileset()},
			{"/collections/{collectionId}/tiles/" + tmsID + "/{tileMatrix}/{tileRow}/{tileCol}", a.cfg.Tile},
		} {
			r.Handle(rt.path, httpx.OpenData(rt.h)).Methods(http.MethodGet, http.MethodHead)
		}
	}
	if a.cfg.Assets != nil {
		r.Handle("/collections/{collectionId}/items", httpx.OpenData(a.create())).Methods(http.MethodPost)
		r.Handle("/collections/{collectionId}/items/{featureId}", httpx.OpenData(a.replace())).Methods(http.MethodPut)
		r.Handle("/collections/{collectionId}/items/{featureId}", httpx.OpenData(a.update())).Methods(http.MethodPatch)
		r.Handle("/collections/{collectionId}/items/{featureId}", httpx.OpenData(a.remove())).Methods(http.MethodDelete)
		r.Handle("/collections/{collectionId}/items", httpx.OpenData(a.options(true))).Methods(http.MethodOptions)
		r.Handle("/collections/{collectionId}/items/{featureId}", httpx.OpenData(a.options(false))).Methods(http.MethodOptions)
	}
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// url is the absolute URL of an OGC resource path (below /ogc).
func (a *API) url(r *http.Request, path string, q url.Values) string {
	u := httpx.BaseURL(r, a.cfg.PublicURL)
	u.Path = "/ogc" + path
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// jsonOnly checks that a request of a JSON resource asks for nothing but
// its format.
func jsonOnly(r *http.Request) error {
	p, err := httpx.ReadParams(r, "f")
	if err != nil {
		return err
	}
	return p.Format("json")
}

// kindOf reads the {collectionId} of the route, or a 404.
func kindOf(r *http.Request) (maint.Kind, error) {
	id := mux.Vars(r)["collectionId"]
	if k := maint.Kind(id); k.Valid() {
		return k, nil
	}
	return "", maint.Errorf(maint.CodeNotFound, "no collection %q; collections: %s", id, strings.Join(maint.KindNames(maint.Kinds), ", "))
}

func crsURIs() []string {
	out := make([]string, len(gis.CRSs))
	for i, c := range gis.CRSs {
		out[i] = c.URI
	}
	return out
}

// contentCRS is the Content-Crs header value of crs.
func contentCRS(crs gis.CRS) string { return "<" + crs.URI + ">" }
