package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"inframap/internal/postgres/pgtest"
)

// apiCases are requests to /api/v1 whose responses must match the OpenAPI
// 3.1 description served at /api/openapi.json. A new endpoint (or a new
// kind of answer) is one more line. In path, "{code}" is replaced by the id
// of the asset with that code.
var apiCases = []struct {
	path   string
	status int
}{
	{"/api/v1/assets", 200},
	{"/api/v1/assets?kind=manhole&status=closed&limit=5", 200},
	{"/api/v1/assets?kind=parking_space&limit=3", 200},
	{"/api/v1/assets?bbox=125.264,43.8755,125.276,43.8845&limit=1000", 200},
	{"/api/v1/assets?as_of=2023-06-30&kind=road_repair", 200},
	{"/api/v1/assets?q=" + url.QueryEscape("景阳大路") + "&subdistrict=" + url.QueryEscape("正阳街道"), 200},
	{"/api/v1/assets?limit=0", 400},
	{"/api/v1/assets?colour=red", 400},
	{"/api/v1/assets/{DL-001}", 200},
	{"/api/v1/assets/{YWFL-YBL}", 200},
	{"/api/v1/assets/{XHB-1-1}", 200},
	{"/api/v1/assets/{2201060103000001}", 200},
	{"/api/v1/assets/999999", 404},
	{"/api/v1/stats", 200},
	{"/api/v1/stats?as_of=2023-09-30", 200},
	{"/api/v1/stats?as_of=yesterday", 400},
	{"/api/v1/areas", 200},
	{"/api/v1/meta", 200},
	{"/api/v1/export", 200},
	{"/api/v1/export?kind=manhole&format=geojson", 200},
	{"/api/v1/export?kind=parking_lot,parking_space&format=csv", 200},
	{"/api/v1/export?format=kml", 200},
	{"/api/v1/export?format=shp", 400},
}

// ogcCases are requests to /ogc whose responses must match the OpenAPI 3.0
// description served at /ogc/api.
var ogcCases = []struct {
	path   string
	status int
}{
	{"/ogc/", 200},
	{"/ogc/api", 200},
	{"/ogc/conformance", 200},
	{"/ogc/collections", 200},
	{"/ogc/collections/manhole", 200},
	{"/ogc/collections/capital_project", 200},
	{"/ogc/collections/manhole/items", 200},
	{"/ogc/collections/road_repair/items?limit=5&offset=5&bbox=125.2,43.85,125.3,43.9&datetime=2023-01-01/..", 200},
	{"/ogc/collections/parking_space/items?crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4490") + "&status=closed", 200},
	{"/ogc/collections/manhole/items/{2201060103000001}", 200},
	{"/ogc/collections/manhole/items?limit=0", 400},
	{"/ogc/collections/manhole/items/999999", 404},
	{"/ogc/collections/manholes", 404},
}

// resolve replaces "{code}" in path by the id of the asset with that code.
func (e *env) resolve(path string) string {
	e.t.Helper()
	m := regexp.MustCompile(`\{([^}]+)\}`).FindStringSubmatch(path)
	if m == nil {
		return path
	}
	var id int64
	if err := e.db.Pool.QueryRow(e.t.Context(), `SELECT id FROM assets WHERE code = $1`, m[1]).Scan(&id); err != nil {
		e.t.Fatalf("asset %s: %v", m[1], err)
	}
	return strings.Replace(path, m[0], fmt.Sprint(id), 1)
}

// TestAPIMatchesOpenAPI validates real responses of every /api/v1 endpoint
// against /api/openapi.json with libopenapi-validator (OpenAPI 3.1, JSON
// Schema 2020-12).
func TestAPIMatchesOpenAPI(t *testing.T) {
	e := newEnv(t, pgtest.District)
	res, spec := e.fetch("/api/openapi.json")
	if res.StatusCode != 200 {
		t.Fatalf("/api/openapi.json: %d", res.StatusCode)
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, ve := range verrs {
			t.Errorf("the document is not valid OpenAPI 3.1: %s: %s", ve.Message, ve.Reason)
			for _, se := range ve.SchemaValidationErrors {
				t.Errorf("  %s: %s", se.FieldPath, se.Reason)
			}
		}
	}
	covered := map[string]bool{}
	for _, c := range apiCases {
		t.Run(c.path, func(t *testing.T) {
			path := e.resolve(c.path)
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
			res, body := e.fetch(path)
			if res.StatusCode != c.status {
				t.Fatalf("GET %s: %d, want %d: %s", path, res.StatusCode, c.status, body)
			}
			res.Body = io.NopCloser(bytes.NewReader(body))
			var ok bool
			var verrs []*verrors.ValidationError
			if c.status < 300 {
				// The request too: every parameter used is documented.
				ok, verrs = v.ValidateHttpRequestResponse(req, res)
			} else {
				ok, verrs = v.ValidateHttpResponse(req, res)
			}
			if !ok {
				for _, ve := range verrs {
					t.Errorf("GET %s: %s: %s", path, ve.Message, ve.Reason)
					for _, se := range ve.SchemaValidationErrors {
						t.Errorf("  %s: %s", se.FieldPath, se.Reason)
					}
				}
			}
		})
		covered[specPathOf(c.path)] = true
	}
	// Every documented path has a case.
	for _, p := range documentedPaths(t, spec) {
		if !covered["/api/v1"+p] {
			t.Errorf("%s is documented but no case in apiCases requests it", p)
		}
	}
}

// specPathOf turns a case's path into its OpenAPI template (ids → {id}).
func specPathOf(path string) string {
	path, _, _ = strings.Cut(path, "?")
	path = regexp.MustCompile(`/\{[^}]+\}|/[0-9]+`).ReplaceAllString(path, "/{id}")
	return path
}

func documentedPaths(t *testing.T, spec []byte) []string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(bytes.ReplaceAll(spec, []byte(`"openapi": "3.1.0"`), []byte(`"openapi": "3.0.3"`)))
	if err != nil {
		t.Fatal(err)
	}
	return doc.Paths.InMatchingOrder()
}

// TestOGCMatchesOpenAPI validates real responses of /ogc against /ogc/api
// with kin-openapi (OpenAPI 3.0, which OGC's oas30 class names).
func TestOGCMatchesOpenAPI(t *testing.T) {
	e := newEnv(t, pgtest.District)
	res, spec := e.fetch("/ogc/api")
	if res.StatusCode != 200 {
		t.Fatalf("/ogc/api: %d", res.StatusCode)
	}
	ctx := t.Context()
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("/ogc/api is not valid OpenAPI 3.0: %v", err)
	}
	// Route requests to the test server.
	doc.Servers = openapi3.Servers{{URL: e.srv.URL + "/ogc"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"application/geo+json", "application/problem+json", "application/vnd.oai.openapi+json;version=3.0"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.JSONBodyDecoder)
	}
	covered := map[string]bool{}
	for _, c := range ogcCases {
		t.Run(c.path, func(t *testing.T) {
			path := e.resolve(c.path)
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
			res, body := e.fetch(path)
			if res.StatusCode != c.status {
				t.Fatalf("GET %s: %d, want %d: %s", path, res.StatusCode, c.status, body)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("GET %s: no route in /ogc/api: %v", path, err)
			}
			covered[route.Path] = true
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{MultiError: true}}
			if c.status < 300 {
				if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
					t.Errorf("GET %s: request does not match /ogc/api: %v", path, err)
				}
			}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
				Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}}
			out.SetBodyBytes(body)
			if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
				t.Errorf("GET %s: response does not match /ogc/api: %v", path, err)
			}
		})
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		if !covered[p] {
			t.Errorf("%s is documented but no case in ogcCases requests it", p)
		}
	}
}
