package httpapi_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/go-cmp/cmp"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// TestOGCPart4 writes features through OGC API – Features Part 4 as an
// engineer: each write has the asset API's checks, If-Match locking and
// audit row, and what is written reads back through GDAL's OGC API driver.
func TestOGCPart4(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	eng := tok[maint.RoleEngineer]

	var conf struct{ ConformsTo []string }
	e.get("/ogc/conformance", &conf)
	for _, c := range []string{"create-replace-delete", "update", "optimistic-locking-etags"} {
		if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"+c) {
			t.Errorf("conformance lacks Part 4 %s: %v", c, conf.ConformsTo)
		}
	}

	point := func(lon, lat float64) map[string]any {
		return map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}
	}
	feature := func(geom any, props map[string]any) map[string]any {
		return map[string]any{"type": "Feature", "geometry": geom, "properties": props}
	}
	const code = "2201060102009999"
	manhole := feature(point(125.27, 43.88), map[string]any{"code": code, "name": "OGC 污水井", "cover_category": "0102"})
	items := "/ogc/collections/manhole/items"

	// Who may write.
	if res := e.do("POST", items, "", manhole, nil, nil); res.StatusCode != 401 {
		t.Errorf("anonymous create: %d %s", res.StatusCode, body(res))
	}
	if res := e.do("POST", items, tok[maint.RoleInspector], manhole, nil, nil); res.StatusCode != 403 {
		t.Errorf("inspector create: %d %s", res.StatusCode, body(res))
	}

	// What each may do, as QGIS asks before it lets a layer be edited.
	for _, c := range []struct {
		path, token, want string
	}{
		{items, "", "GET, HEAD, OPTIONS"},
		{items, tok[maint.RoleInspector], "GET, HEAD, OPTIONS"},
		{items, eng, "GET, HEAD, POST, OPTIONS"},
		{items + "/unknown_id", eng, "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"},
		{items + "/unknown_id", "", "GET, HEAD, OPTIONS"},
	} {
		if res := e.do("OPTIONS", c.path, c.token, nil, nil, nil); res.StatusCode != 204 || res.Header.Get("Allow") != c.want {
			t.Errorf("OPTIONS %s: %d, Allow %q, want %q", c.path, res.StatusCode, res.Header.Get("Allow"), c.want)
		}
	}

	// Checks, as the asset API's; the problem names what is wrong.
	for _, c := range []struct {
		name, path string
		body       any
		want       int
		text       string
	}{
		{"self-intersecting", "/ogc/collections/parking_lot/items",
			feature(map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{125.27, 43.88}, {125.28, 43.89}, {125.28, 43.88}, {125.27, 43.89}, {125.27, 43.88}}}},
				map[string]any{"code": "TCC-OGC", "name": "停车场", "spaces": 10}), 400, "Self-intersection"},
		{"unclosed ring", "/ogc/collections/parking_lot/items",
			feature(map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{125.27, 43.88}, {125.28, 43.89}, {125.28, 43.88}, {125.27, 43.885}}}},
				map[string]any{"code": "TCC-OGC", "name": "停车场", "spaces": 10}), 400, "not closed"},
		{"outside the district", items, feature(point(116.40, 39.90), map[string]any{"code": code, "name": "x", "cover_category": "0102"}), 400, "outside the district"},
		{"swapped", items, feature(point(43.88, 125.27), map[string]any{"code": code, "name": "x", "cover_category": "0102"}), 400, "swapped"},
		{"wrong geometry kind", items, feature(map[string]any{"type": "LineString", "coordinates": [][]float64{{125.27, 43.88}, {125.271, 43.881}}},
			map[string]any{"code": code, "name": "x", "cover_category": "0102"}), 400, "geometry"},
		{"no geometry", items, feature(nil, map[string]any{"code": code, "name": "x", "cover_category": "0102"}), 400, "needs a geometry"},
		{"bad code", items, feature(point(125.27, 43.88), map[string]any{"code": "M-1", "name": "x", "cover_category": "0102"}), 400, "16-digit"},
		{"another kind", items, feature(point(125.27, 43.88), map[string]any{"kind": "road_repair", "code": code, "name": "x"}), 400, "kind"},
		{"a CRS not taken", items + "#crs", manhole, 400, "not supported"},
	} {
		hdr := map[string]string{}
		path := c.path
		if strings.HasSuffix(path, "#crs") {
			path, hdr["Content-Crs"] = strings.TrimSuffix(path, "#crs"), "<http://www.opengis.net/def/crs/EPSG/0/3857>"
		}
		res := e.do("POST", path, eng, c.body, hdr, nil)
		if raw := body(res); res.StatusCode != c.want || !strings.Contains(raw, c.text) {
			t.Errorf("%s: %d %s, want %d naming %q", c.name, res.StatusCode, raw, c.want, c.text)
		}
	}

	// Create: 201 with the new feature's Location and its ETag.
	res := e.do("POST", items, eng, manhole, nil, nil)
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, body(res))
	}
	loc := res.Header.Get("Location")
	var id int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM assets WHERE code = $1`, code).Scan(&id)
	if want := fmt.Sprintf("%s%s/%d", e.srv.URL, items, id); loc != want || res.Header.Get("ETag") != `"1"` {
		t.Errorf("create: Location %q (want %q), ETag %s", loc, want, res.Header.Get("ETag"))
	}
	got, _ := e.fetch(loc)
	if got.StatusCode != 200 || got.Header.Get("ETag") != `"1"` {
		t.Errorf("GET %s: %d, ETag %s", loc, got.StatusCode, got.Header.Get("ETag"))
	}
	path := strings.TrimPrefix(loc, e.srv.URL)

	// Update (merge patch) and replace are refused when the If-Match sent
	// is stale; without one (QGIS sends none) they are unconditional.
	patch := map[string]any{"properties": map[string]any{"name_en": "Sewer manhole", "status": "closed"}}
	withMatch := func(etag string) map[string]string {
		return map[string]string{"If-Match": etag, "Content-Type": "application/merge-patch+json"}
	}
	if res := e.do("PATCH", path, eng, patch, withMatch(`"1"`), nil); res.StatusCode != 200 || res.Header.Get("ETag") != `"2"` {
		t.Errorf("patch: %d ETag %s %s", res.StatusCode, res.Header.Get("ETag"), body(res))
	}
	if res := e.do("PATCH", path, eng, patch, withMatch(`"1"`), nil); res.StatusCode != 412 || !strings.Contains(body(res), `"current_version":2`) {
		t.Errorf("patch with a stale If-Match: %d", res.StatusCode)
	}
	if res := e.do("PATCH", path, eng, patch, withMatch(`one`), nil); res.StatusCode != 428 {
		t.Errorf("patch with a malformed If-Match: %d %s", res.StatusCode, body(res))
	}
	qgis := map[string]any{"properties": map[string]any{"name_en": "QGIS"}}
	if res := e.do("PATCH", path, eng, qgis, nil, nil); res.StatusCode != 200 || res.Header.Get("ETag") != `"3"` {
		t.Errorf("patch without If-Match: %d ETag %s %s", res.StatusCode, res.Header.Get("ETag"), body(res))
	}
	if res := e.do("PATCH", strings.Replace(path, "manhole", "road_repair", 1), eng, patch, withMatch(`"3"`), nil); res.StatusCode != 404 {
		t.Errorf("patch through another collection: %d %s", res.StatusCode, body(res))
	}
	// A replacement as QGIS sends it: every field, derived ones included,
	// latitude first in EPSG:4326.
	replacement := feature(point(43.8805, 125.2705), map[string]any{"code": code, "name": "OGC 雨水井", "cover_category": "0102", "kind": "manhole",
		"subdistrict": "ignored", "status": nil, "version": 1, "defect_grade": nil})
	latFirst := map[string]string{"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4326>"}
	if res := e.do("PUT", path, eng, replacement, map[string]string{"If-Match": `"2"`, "Content-Crs": latFirst["Content-Crs"]}, nil); res.StatusCode != 412 {
		t.Errorf("replace with a stale If-Match: %d %s", res.StatusCode, body(res))
	}
	var put ogcFeature
	if res := e.do("PUT", path, eng, replacement, map[string]string{"If-Match": `"3"`, "Content-Crs": latFirst["Content-Crs"]}, &put); res.StatusCode != 200 || res.Header.Get("ETag") != `"4"` {
		t.Errorf("replace: %d ETag %s %s", res.StatusCode, res.Header.Get("ETag"), body(res))
	}
	if put.Properties["name"] != "OGC 雨水井" || put.Properties["name_en"] != "" || put.Properties["subdistrict"] == "ignored" || put.Properties["defect_grade"] != nil {
		t.Errorf("replaced: %v", put.Properties)
	}
	if c := string(put.Geometry.Coordinates); c != "[125.2705,43.8805]" {
		t.Errorf("replaced geometry %s, want longitude first", c)
	}

	// GDAL reads back what was written.
	dir := t.TempDir()
	out := filepath.Join(dir, "manholes.csv")
	gdal(t, "ogr2ogr", "-f", "CSV", "-lco", "GEOMETRY=AS_XY", "-oo", "PAGE_SIZE=10000", out, "OAPIF:"+e.srv.URL+"/ogc", "manhole")
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	found := false
	for _, r := range rows[1:] {
		if r[col["code"]] != code {
			continue
		}
		found = true
		x, _ := strconv.ParseFloat(r[col["X"]], 64)
		y, _ := strconv.ParseFloat(r[col["Y"]], 64)
		if math.Abs(x-125.2705) > 1e-7 || math.Abs(y-43.8805) > 1e-7 || r[col["name"]] != "OGC 雨水井" || r[col["cover_category"]] != "0102" {
			t.Errorf("GDAL reads %v", r)
		}
	}
	if !found {
		t.Errorf("GDAL's copy of the manholes lacks %s (%d rows)", code, len(rows)-1)
	}

	// Delete: an asset with tasks is part of the record and stays.
	var withTasks int64
	e.sql.QueryRow(t.Context(), `SELECT a.id FROM assets a WHERE a.kind = 'manhole' AND EXISTS (SELECT 1 FROM tasks t WHERE t.asset_id = a.id) LIMIT 1`).Scan(&withTasks)
	var version int
	e.sql.QueryRow(t.Context(), `SELECT version FROM assets WHERE id = $1`, withTasks).Scan(&version)
	if res := e.do("DELETE", fmt.Sprintf("%s/%d", items, withTasks), eng, nil, map[string]string{"If-Match": strconv.Quote(strconv.Itoa(version))}, nil); res.StatusCode != 409 || !strings.Contains(body(res), "tasks") {
		t.Errorf("delete an asset with tasks: %d", res.StatusCode)
	}
	if res := e.do("DELETE", path, eng, nil, map[string]string{"If-Match": `"3"`}, nil); res.StatusCode != 412 {
		t.Errorf("delete with a stale If-Match: %d %s", res.StatusCode, body(res))
	}
	if res := e.do("DELETE", path, eng, nil, map[string]string{"If-Match": `"4"`}, nil); res.StatusCode != 204 {
		t.Errorf("delete: %d %s", res.StatusCode, body(res))
	}
	if res, _ := e.fetch(path); res.StatusCode != 404 {
		t.Errorf("GET after delete: %d", res.StatusCode)
	}

	// Each write is in the audit trail, by whom.
	rowsA, err := e.sql.Query(t.Context(), `SELECT action || ' by ' || actor FROM audit_events WHERE subject_type = 'asset' AND subject_id = $1 ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for rowsA.Next() {
		var s string
		rowsA.Scan(&s)
		trail = append(trail, s)
	}
	rowsA.Close()
	want := []string{"asset.created by engineer@test", "asset.updated by engineer@test", "asset.updated by engineer@test",
		"asset.updated by engineer@test", "asset.deleted by engineer@test"}
	if diff := cmp.Diff(want, trail); diff != "" {
		t.Errorf("audit trail of asset %d (-want +got):\n%s", id, diff)
	}
}

// ogcWriteCases are Part 4 requests, run in order, whose requests and
// responses must match /ogc/api. In paths, {code} is the id of the asset
// with that code; If-Match "current" is the asset's version as it is now.
var ogcWriteCases = []struct {
	method, path string
	as           maint.Role // "" is a resident
	body         string
	hdr          map[string]string
	want         int
}{
	{"POST", "/ogc/collections/manhole/items", maint.RoleEngineer,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.27,43.88]},"properties":{"code":"2201060102008888","name":"井","cover_category":"0102"}}`, nil, 201},
	{"POST", "/ogc/collections/manhole/items", "",
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.27,43.88]},"properties":{"code":"2201060102008887","name":"井","cover_category":"0102"}}`, nil, 401},
	{"POST", "/ogc/collections/manhole/items", maint.RoleInspector,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.27,43.88]},"properties":{"code":"2201060102008887","name":"井","cover_category":"0102"}}`, nil, 403},
	{"POST", "/ogc/collections/manhole/items", maint.RoleEngineer,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[116.4,39.9]},"properties":{"code":"2201060102008887","name":"井","cover_category":"0102"}}`, nil, 400},
	{"POST", "/ogc/collections/manhole/items", maint.RoleEngineer,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.27,43.88]},"properties":{"code":"2201060102008888","name":"井","cover_category":"0102"}}`, nil, 409},
	{"POST", "/ogc/collections/manhole/items", maint.RoleEngineer, `code=1`, map[string]string{"Content-Type": "text/plain"}, 415},
	{"PATCH", "/ogc/collections/manhole/items/{2201060102008888}", maint.RoleEngineer, `{"properties":{"name_en":"Manhole"}}`,
		map[string]string{"If-Match": "current", "Content-Type": "application/merge-patch+json"}, 200},
	{"PATCH", "/ogc/collections/manhole/items/{2201060102008888}", maint.RoleEngineer, `{"properties":{"name_en":"QGIS"}}`,
		map[string]string{"Content-Type": "application/merge-patch+json"}, 200},
	{"PATCH", "/ogc/collections/manhole/items/{2201060102008888}", maint.RoleEngineer, `{"properties":{"name_en":"Manhole"}}`,
		map[string]string{"If-Match": "one", "Content-Type": "application/merge-patch+json"}, 428},
	{"PATCH", "/ogc/collections/manhole/items/{2201060102008888}", maint.RoleEngineer, `{"properties":{"name_en":"Manhole"}}`,
		map[string]string{"If-Match": `"99"`, "Content-Type": "application/merge-patch+json"}, 412},
	{"PUT", "/ogc/collections/manhole/items/{2201060102008888}", maint.RoleEngineer,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.2701,43.8801]},"properties":{"code":"2201060102008888","name":"井二","cover_category":"0102"}}`,
		map[string]string{"If-Match": "current"}, 200},
	{"PUT", "/ogc/collections/manhole/items/999999", maint.RoleEngineer,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.2701,43.8801]},"properties":{"code":"2201060102008888","name":"井二","cover_category":"0102"}}`,
		map[string]string{"If-Match": `"1"`}, 404},
	{"OPTIONS", "/ogc/collections/manhole/items", maint.RoleEngineer, "", nil, 204},
	{"OPTIONS", "/ogc/collections/manhole/items/{2201060102008888}", "", "", nil, 204},
	{"DELETE", "/ogc/collections/manhole/items/{2201060102008888}", maint.RoleInspector, "", map[string]string{"If-Match": "current"}, 403},
	{"DELETE", "/ogc/collections/manhole/items/{2201060102008888}", maint.RoleEngineer, "", map[string]string{"If-Match": "current"}, 204},
}

// checkOGCWrites sends ogcWriteCases and validates each request (when it
// succeeds) and response against the OpenAPI document router serves,
// marking the operations covered.
func (e *env) checkOGCWrites(t *testing.T, router routers.Router, covered map[string]bool) {
	tok := e.staff()
	for _, c := range ogcWriteCases {
		t.Run(c.method+" "+c.path+" "+strconv.Itoa(c.want), func(t *testing.T) {
			path := e.resolve(c.path)
			hdr := http.Header{"Content-Type": {"application/geo+json"}}
			if c.as != "" {
				hdr.Set("Authorization", "Bearer "+tok[c.as])
			}
			for k, v := range c.hdr {
				if k == "If-Match" && v == "current" {
					id, _ := strconv.ParseInt(path[strings.LastIndex(path, "/")+1:], 10, 64)
					a, err := e.db.Asset(t.Context(), id, maint.Viewer{Role: maint.RoleAdmin})
					if err != nil {
						t.Fatal(err)
					}
					v = `"` + strconv.Itoa(a.Version) + `"`
				}
				hdr.Set(k, v)
			}
			newReq := func() *http.Request {
				req, _ := http.NewRequest(c.method, e.srv.URL+path, strings.NewReader(c.body))
				if c.body == "" {
					req.Body = http.NoBody
				}
				req.Header = hdr.Clone()
				return req
			}
			res, err := http.DefaultClient.Do(newReq())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Fatalf("%s %s: %d, want %d: %s", c.method, path, res.StatusCode, c.want, body)
			}
			req := newReq()
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("%s %s: no route in /ogc/api: %v", c.method, path, err)
			}
			covered[c.method+" "+route.Path] = true
			opts := &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
			if c.want < 300 {
				if err := openapi3filter.ValidateRequest(t.Context(), in); err != nil {
					t.Errorf("%s %s: request does not match /ogc/api: %v", c.method, path, err)
				}
			}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
				Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}}
			out.SetBodyBytes(body)
			if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
				t.Errorf("%s %s: response does not match /ogc/api: %v", c.method, path, err)
			}
		})
	}
}
