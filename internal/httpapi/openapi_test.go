package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/content"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/paths"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"inframap/internal/httpapi"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

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
	{"/ogc/collections/manhole/queryables", 200},
	{"/ogc/collections/manholes/queryables", 404},
	{"/ogc/collections/manhole/items?filter=" + url.QueryEscape("status = 'closed' AND defect_grade >= 3"), 200},
	{"/ogc/collections/manhole/items?filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[43.85,125.2,43.9,125.3]}]}`) +
		"&filter-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4326"), 200},
	{"/ogc/collections/manhole/items?filter=" + url.QueryEscape("S_WITHIN(geometry, POINT(125.2 43.8))"), 400},
	{"/ogc/collections/manhole/items/999999", 404},
	{"/ogc/collections/manholes", 404},
	// OGC API – Tiles.
	{"/ogc/tileMatrixSets", 200},
	{"/ogc/tileMatrixSets/WebMercatorQuad", 200},
	{"/ogc/tiles", 200},
	{"/ogc/tiles/WebMercatorQuad", 200},
	{"/ogc/tiles/WebMercatorQuad/14/5965/13893", 200},
	{"/ogc/collections/manhole/tiles", 200},
	{"/ogc/collections/manhole/tiles/WebMercatorQuad", 200},
	{"/ogc/collections/manhole/tiles/WebMercatorQuad/14/5965/13893?f=mvt", 200},
	{"/ogc/collections/manhole/tiles/WebMercatorQuad/23/0/0", 404},
}

// resolve replaces each "{code}" in s by the id of the asset with that code.
func (e *env) resolve(s string) string {
	e.t.Helper()
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		var id int64
		code := m[1 : len(m)-1]
		if err := e.sql.QueryRow(e.t.Context(), `SELECT id FROM assets WHERE code = $1`, code).Scan(&id); err != nil {
			e.t.Fatalf("asset %s: %v", code, err)
		}
		return strconv.FormatInt(id, 10)
	})
}

// placeholder is a {name} in a case's path, body or headers. It cannot be
// mistaken for JSON: a JSON object's keys are quoted.
var placeholder = regexp.MustCompile(`\{[A-Za-z0-9_.+-]+\}`)

// apiCase is one request to /api/v1 and the status it must get. Its response
// must match /api/openapi.json, with that status documented for the
// operation; so must the request, unless refused says the case breaks the
// document on purpose (a parameter out of range, a missing If-Match, no
// credentials): then the document must refuse it too, so that its limits
// are the code's. A request answered 413 is not validated: its body was
// never read.
type apiCase struct {
	method string // GET when empty
	// path, JSON bodies and header values name fixtures as {name} (see
	// apiFixtures); any other {name} is the id of the asset with that code.
	path string
	as   string            // who asks: "" (a resident), a role, "cookie" (the engineer's session) or "bad" (an unknown token)
	body any               // JSON text, or a form
	hdr  map[string]string // "If-Match": "current" sends the resource's ETag as it is now
	want int
	// field: the input the problem names first (errors[0].field).
	field string
	// refused: the document must refuse the request.
	refused bool
	// until: send the request again until the answer is want (a rate limit
	// fills up), at most 100 times.
	until bool
}

// form is a multipart/form-data body: the fields, then the part named photo
// holding a file of internal/photo/testdata (none when file is empty)
// followed by pad zero bytes.
type form struct {
	fields map[string]string
	file   string
	pad    int
}

func (c apiCase) name() string {
	m := c.method
	if m == "" {
		m = http.MethodGet
	}
	as := c.as
	if as == "" {
		as = "resident"
	}
	return fmt.Sprintf("%s %s as %s %d", m, c.path, as, c.want)
}

// request builds the case's request; each call gives a fresh one (with its
// body), for the server and for the validator.
func (e *env) request(c apiCase, fx *apiFixtures) func() *http.Request {
	e.t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	path := fx.expand(e, c.path)
	var body []byte
	ctype := ""
	switch b := c.body.(type) {
	case nil:
	case string:
		body, ctype = []byte(fx.expand(e, b)), "application/json"
	case form:
		var photo []byte
		if b.file != "" {
			photo = append(fixture(e.t, b.file), make([]byte, b.pad)...)
		}
		buf, ct := multipartBody(b.fields, "photo.jpg", photo)
		body, ctype = buf.Bytes(), ct
	default:
		e.t.Fatalf("%s: body of type %T", c.name(), c.body)
	}
	hdr := http.Header{}
	if ctype != "" {
		hdr.Set("Content-Type", ctype)
	}
	switch c.as {
	case "":
	case "cookie":
		hdr.Set("Cookie", "inframap_session="+fx.session)
	default:
		tok, ok := fx.auth[c.as]
		if !ok {
			e.t.Fatalf("%s: no credentials for %q", c.name(), c.as)
		}
		hdr.Set("Authorization", tok)
	}
	for k, v := range c.hdr {
		if k == "If-Match" && v == "current" {
			v = e.currentETag(path)
		}
		hdr.Set(k, fx.expand(e, v))
	}
	return func() *http.Request {
		req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
		if err != nil {
			e.t.Fatal(err)
		}
		if body == nil {
			req.Body = http.NoBody
		}
		req.Header = hdr.Clone()
		return req
	}
}

// currentETag is the ETag of the task or asset at path as it is now.
func (e *env) currentETag(path string) string {
	e.t.Helper()
	// The pattern admits the two tables and nothing else.
	m := regexp.MustCompile(`^/api/v1/(tasks|assets)/([0-9]+)`).FindStringSubmatch(path)
	if m == nil {
		e.t.Fatalf("If-Match current: %s is no task or asset", path)
	}
	id, _ := strconv.ParseInt(m[2], 10, 64)
	staff := maint.Viewer{Role: maint.RoleAdmin}
	v, err := 0, error(nil)
	if m[1] == "tasks" {
		var t *maint.Task
		if t, err = e.db.Task(e.t.Context(), id, staff); err == nil {
			v = t.Version
		}
	} else {
		var a *maint.Asset
		if a, err = e.db.Asset(e.t.Context(), id, staff); err == nil {
			v = a.Version
		}
	}
	if err != nil {
		e.t.Fatalf("version of %s: %v", path, err)
	}
	return fmt.Sprintf(`"%d"`, v)
}

// TestAPIMatchesOpenAPI sends every case of apiCases and validates the
// request and the response against /api/openapi.json with
// libopenapi-validator (OpenAPI 3.1, JSON Schema 2020-12): bodies,
// parameters, headers, security and status codes. Every documented
// operation needs a case.
func TestAPIMatchesOpenAPI(t *testing.T) {
	// Residents' reports refill slowly here, so that their rate limit is
	// reached by a handful of requests and does not refill mid-test.
	e := newEnvConfig(t, pgtest.District, httpapi.Config{BcryptCost: 4, ResidentReportBurst: 20, ResidentReportEvery: time.Hour})
	res, spec := e.fetch("/api/openapi.json")
	if res.StatusCode != 200 {
		t.Fatalf("/api/openapi.json: %d", res.StatusCode)
	}
	v, model := apiValidator(t, spec)
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, ve := range verrs {
			t.Errorf("the document is not valid OpenAPI 3.1: %s: %s", ve.Message, ve.Reason)
			for _, se := range ve.SchemaValidationErrors {
				t.Errorf("  %s: %s", se.FieldPath, se.Reason)
			}
		}
	}
	fx := e.apiFixtures()
	covered := map[string]bool{}
	type answer struct {
		req  *http.Request
		res  *http.Response
		body []byte
	}
	var taskAnswer *answer
	for _, c := range apiCases {
		t.Run(c.name(), func(t *testing.T) {
			newReq := e.request(c, fx)
			var res *http.Response
			var body []byte
			for range 100 {
				var err error
				if res, err = http.DefaultClient.Do(newReq()); err != nil {
					t.Fatal(err)
				}
				body, _ = io.ReadAll(res.Body)
				res.Body.Close()
				if !c.until || res.StatusCode == c.want {
					break
				}
			}
			req := newReq()
			pathItem, _, tmpl := paths.FindPath(req, model, nil)
			op := (*v3.Operation)(nil)
			if pathItem != nil {
				op = helpers.ExtractOperation(req, pathItem)
			}
			if op == nil {
				t.Fatalf("%s %s is not in the document", req.Method, req.URL.Path)
			}
			covered[req.Method+" "+tmpl] = true
			if res.StatusCode != c.want {
				t.Fatalf("%s %s: %d, want %d: %.500s", req.Method, req.URL.Path, res.StatusCode, c.want, body)
			}
			res.Body = io.NopCloser(bytes.NewReader(body))
			if req.Method == http.MethodHead {
				res.Body = http.NoBody
			}
			if op.Responses.Codes.GetOrZero(strconv.Itoa(c.want)) == nil {
				t.Errorf("%s %s: %d is not documented", req.Method, tmpl, c.want)
			}
			if c.field != "" {
				var p httpx.Problem
				json.Unmarshal(body, &p)
				if len(p.Errors) == 0 || p.Errors[0].Field != c.field {
					t.Errorf("%s %s: the problem names %+v, want %q", req.Method, req.URL.Path, p.Errors, c.field)
				}
			}
			// A body too large is refused before it is read: what it holds
			// is beside the point, and costly to validate.
			ok, verrs := true, []*verrors.ValidationError(nil)
			if c.want != http.StatusRequestEntityTooLarge {
				ok, verrs = v.ValidateHttpRequest(newReq())
			}
			switch {
			case c.refused && ok:
				t.Errorf("%s %s: the document accepts a request the service refuses (%d)", req.Method, req.URL, c.want)
			case c.refused:
				for _, ve := range verrs {
					t.Logf("the document refuses it too: %s", ve.Message)
				}
			case !c.refused && !ok:
				reportValidation(t, "request", req, verrs)
			}
			if ok, verrs := v.ValidateHttpResponse(req, res); !ok {
				reportValidation(t, "response", req, verrs)
			}
			if op.OperationId == "getTask" && c.want == 200 && taskAnswer == nil {
				taskAnswer = &answer{req, res, body}
			}
		})
	}
	// Every documented operation has a case.
	for path, item := range model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			if !covered[strings.ToUpper(method)+" "+path] {
				t.Errorf("%s %s is documented but no case in apiCases requests it", strings.ToUpper(method), path)
			}
		}
	}
	// The validator notices a document that does not match: the same
	// answer fails once the task's ref is documented as a number.
	t.Run("a broken schema is noticed", func(t *testing.T) {
		if taskAnswer == nil {
			t.Fatal("no case answered GET /tasks/{id}")
		}
		var doc map[string]any
		if err := json.Unmarshal(spec, &doc); err != nil {
			t.Fatal(err)
		}
		task := doc["components"].(map[string]any)["schemas"].(map[string]any)["Task"].(map[string]any)
		task["properties"].(map[string]any)["ref"] = map[string]any{"type": "integer"}
		broken, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		bv, _ := apiValidator(t, broken)
		taskAnswer.res.Body = io.NopCloser(bytes.NewReader(taskAnswer.body))
		if ok, _ := bv.ValidateHttpResponse(taskAnswer.req, taskAnswer.res); ok {
			t.Error("a task whose ref is a string passes a document that says it is an integer")
		}
	})
}

// apiValidator builds the validator of the document spec. Formats (date,
// date-time, e-mail …) are asserted; multipart bodies are decoded so that
// upload forms are checked; images and KML are read as strings.
func apiValidator(t *testing.T, spec []byte) (validator.Validator, *v3.Document) {
	t.Helper()
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc,
		config.WithFormatAssertions(),
		config.WithStandardBodyDecoders(),
		config.WithBodyDecoder("image/*", content.BinaryDecoder()),
		config.WithBodyDecoder("application/vnd.google-earth.kml+xml", content.TextDecoder()),
		config.WithBodyDecoder("application/zip", content.BinaryDecoder()),
		config.WithBodyDecoder("application/geopackage+sqlite3", content.BinaryDecoder()),
		config.WithBodyDecoder("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", content.BinaryDecoder()),
		config.WithRejectUnsupportedBodyContent())
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	return v, &model.Model
}

func reportValidation(t *testing.T, what string, req *http.Request, verrs []*verrors.ValidationError) {
	t.Helper()
	for _, ve := range verrs {
		t.Errorf("%s %s: %s: %s: %s", req.Method, req.URL.RequestURI(), what, ve.Message, ve.Reason)
		for _, se := range ve.SchemaValidationErrors {
			t.Errorf("  %s: %s", se.FieldPath, se.Reason)
		}
	}
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
	for _, ct := range []string{"application/geo+json", "application/problem+json", "application/vnd.oai.openapi+json;version=3.0", "application/merge-patch+json", "application/schema+json"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.JSONBodyDecoder)
	}
	openapi3filter.RegisterBodyDecoder("application/vnd.mapbox-vector-tile", openapi3filter.FileBodyDecoder)
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
			covered[http.MethodGet+" "+route.Path] = true
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
	// The writes (Part 4), in order, as an engineer and others.
	e.checkOGCWrites(t, router, covered)
	for _, p := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Find(p).Operations() {
			if !covered[method+" "+p] {
				t.Errorf("%s %s is documented but no case in ogcCases or ogcWriteCases requests it", method, p)
			}
		}
	}
}
