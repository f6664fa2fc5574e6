package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"inframap/internal/httpx"
	"inframap/internal/postgres/pgtest"
)

// fetch GETs path (relative to the server, or absolute) with optional
// headers and returns the response with its body read.
func (e *env) fetch(path string, header ...string) (*http.Response, []byte) {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.srv.URL + path
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	return res, body
}

type ogcLink struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
	Type string `json:"type"`
}

func linkOf(links []ogcLink, rel string) string {
	for _, l := range links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

type ogcFeature struct {
	Type     string `json:"type"`
	ID       int64  `json:"id"`
	Geometry struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
	Properties map[string]any `json:"properties"`
	Links      []ogcLink      `json:"links"`
}

type ogcItems struct {
	Type           string       `json:"type"`
	Features       []ogcFeature `json:"features"`
	NumberMatched  int          `json:"numberMatched"`
	NumberReturned int          `json:"numberReturned"`
	TimeStamp      time.Time    `json:"timeStamp"`
	Links          []ogcLink    `json:"links"`
}

func TestOGCLandingAndConformance(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	for _, path := range []string{"/ogc", "/ogc/", "/ogc?f=json"} {
		var landing struct {
			Title string    `json:"title"`
			Links []ogcLink `json:"links"`
		}
		res := e.get(path, &landing)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		want := map[string]string{
			"self":         "/ogc",
			"service-desc": "/ogc/api",
			"conformance":  "/ogc/conformance",
			"data":         "/ogc/collections",
		}
		for rel, p := range want {
			if got := linkOf(landing.Links, rel); got != e.srv.URL+p {
				t.Errorf("GET %s: link %s = %q, want %q", path, rel, got, e.srv.URL+p)
			}
		}
	}
	var conf struct {
		ConformsTo []string `json:"conformsTo"`
	}
	e.get("/ogc/conformance", &conf)
	want := []string{
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
		"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
		"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
		"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
		"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
		"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
		"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
		"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
		// Part 4 (ogc_edit_test.go).
		"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
		"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
		"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
		// OGC API – Tiles and the TMS standard (ogc_tiles_test.go).
		"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
		"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
		"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
		"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
		"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
		"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
		"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
		"http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
		"http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
		"http://www.opengis.net/spec/tms/2.0/conf/tilesetmetadata",
		"http://www.opengis.net/spec/tms/2.0/conf/json-tilesetmetadata",
		"http://www.opengis.net/spec/tms/2.0/conf/tilematrixsetlimits",
		"http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixsetlimits",
	}
	if diff := cmp.Diff(want, conf.ConformsTo); diff != "" {
		t.Errorf("conformance mismatch (-want +got):\n%s", diff)
	}
	res, body := e.fetch("/ogc/api")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.oai.openapi+json;version=3.0" || !json.Valid(body) {
		t.Errorf("/ogc/api: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

type ogcCollection struct {
	ID     string    `json:"id"`
	Title  string    `json:"title"`
	Links  []ogcLink `json:"links"`
	Extent *struct {
		Spatial struct {
			BBox [][]float64 `json:"bbox"`
			CRS  string      `json:"crs"`
		} `json:"spatial"`
		Temporal struct {
			Interval [][]*time.Time `json:"interval"`
		} `json:"temporal"`
	} `json:"extent"`
	CRS        []string `json:"crs"`
	StorageCRS string   `json:"storageCrs"`
}

// TestOGCCollections checks one collection per kind, each with the extent
// PostGIS computes.
func TestOGCCollections(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var cs struct {
		Collections []ogcCollection `json:"collections"`
	}
	if res := e.get("/ogc/collections", &cs); res.StatusCode != 200 {
		t.Fatalf("collections: %d", res.StatusCode)
	}
	var ids []string
	for _, c := range cs.Collections {
		ids = append(ids, c.ID)
	}
	wantIDs := []string{"road_repair", "sewer_separation", "parking_lot", "parking_space", "manhole", "capital_project"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Fatalf("collections mismatch (-want +got):\n%s", diff)
	}
	wantCRS := []string{
		"http://www.opengis.net/def/crs/OGC/1.3/CRS84",
		"http://www.opengis.net/def/crs/EPSG/0/4326",
		"http://www.opengis.net/def/crs/EPSG/0/4490",
	}
	for _, c := range cs.Collections {
		var one ogcCollection
		if res := e.get("/ogc/collections/"+c.ID, &one); res.StatusCode != 200 {
			t.Fatalf("collection %s: %d", c.ID, res.StatusCode)
		}
		if diff := cmp.Diff(c, one); diff != "" {
			t.Errorf("collection %s differs between the list and its page (-list +page):\n%s", c.ID, diff)
		}
		if diff := cmp.Diff(wantCRS, c.CRS); diff != "" || c.StorageCRS != wantCRS[0] {
			t.Errorf("%s: crs %v storageCrs %q", c.ID, c.CRS, c.StorageCRS)
		}
		if linkOf(c.Links, "items") != e.srv.URL+"/ogc/collections/"+c.ID+"/items" {
			t.Errorf("%s: items link %q", c.ID, linkOf(c.Links, "items"))
		}
		var box [4]float64
		var first, last time.Time
		err := e.sql.QueryRow(t.Context(), `
			SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x), min_t, max_t
			FROM (SELECT ST_Extent(geom) AS x, min(status_at) AS min_t, max(status_at) AS max_t FROM assets WHERE kind = $1) t`,
			c.ID).Scan(&box[0], &box[1], &box[2], &box[3], &first, &last)
		if err != nil {
			t.Fatal(err)
		}
		if c.Extent == nil || len(c.Extent.Spatial.BBox) != 1 {
			t.Fatalf("%s: no spatial extent", c.ID)
		}
		for i, v := range c.Extent.Spatial.BBox[0] {
			if math.Abs(v-box[i]) > 1e-7 {
				t.Errorf("%s: bbox %v, PostGIS says %v", c.ID, c.Extent.Spatial.BBox[0], box)
				break
			}
		}
		iv := c.Extent.Temporal.Interval
		if len(iv) != 1 || iv[0][0] == nil || iv[0][1] == nil || !iv[0][0].Equal(first.Truncate(time.Second)) || !iv[0][1].Equal(last.Truncate(time.Second)) {
			t.Errorf("%s: temporal interval %v, want [%s %s]", c.ID, iv, first, last)
		}
	}
}

// items fetches every page of an items query, following next links, and
// returns the features and the numberMatched of the first page.
func (e *env) items(t *testing.T, path string) ([]ogcFeature, int) {
	t.Helper()
	var all []ogcFeature
	matched := -1
	for path != "" {
		res, body := e.fetch(path)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		var page ogcItems
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if page.NumberReturned != len(page.Features) {
			t.Errorf("GET %s: numberReturned %d, %d features", path, page.NumberReturned, len(page.Features))
		}
		if matched < 0 {
			matched = page.NumberMatched
		} else if page.NumberMatched != matched {
			t.Errorf("GET %s: numberMatched changed from %d to %d", path, matched, page.NumberMatched)
		}
		all = append(all, page.Features...)
		path = linkOf(page.Links, "next")
	}
	return all, matched
}

func TestOGCItemsFilters(t *testing.T) {
	e := newEnv(t, pgtest.District)
	jingyang := "125.264,43.8755,125.276,43.8845"
	cases := []struct {
		query string
		sql   string
	}{
		{"manhole/items?limit=10000", `SELECT count(*) FROM assets WHERE kind = 'manhole'`},
		{"manhole/items?limit=250", `SELECT count(*) FROM assets WHERE kind = 'manhole'`},
		// Above the maximum: at most the maximum, no error.
		{"manhole/items?limit=50000", `SELECT count(*) FROM assets WHERE kind = 'manhole'`},
		{"parking_space/items?limit=10000", `SELECT count(*) FROM assets WHERE kind = 'parking_space'`},
		{"manhole/items?limit=10000&bbox=" + jingyang, `SELECT count(*) FROM assets WHERE kind = 'manhole'
			AND ST_Intersects(geom, ST_MakeEnvelope(125.264,43.8755,125.276,43.8845,4326))`},
		{"road_repair/items?limit=10000&bbox=" + jingyang, `SELECT count(*) FROM assets WHERE kind = 'road_repair'
			AND ST_Intersects(geom, ST_MakeEnvelope(125.264,43.8755,125.276,43.8845,4326))`},
		// The same box latitude first, as EPSG:4326 orders it.
		{"manhole/items?limit=10000&bbox=43.8755,125.264,43.8845,125.276&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4326"),
			`SELECT count(*) FROM assets WHERE kind = 'manhole' AND ST_Intersects(geom, ST_MakeEnvelope(125.264,43.8755,125.276,43.8845,4326))`},
		{"manhole/items?limit=10000&bbox=43.8755,125.264,43.8845,125.276&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4490"),
			`SELECT count(*) FROM assets WHERE kind = 'manhole' AND ST_Intersects(geom, ST_MakeEnvelope(125.264,43.8755,125.276,43.8845,4326))`},
		{"manhole/items?limit=10000&datetime=2023-06-01/2023-06-30", `SELECT count(*) FROM assets WHERE kind = 'manhole'
			AND status_at >= '2023-06-01 00:00+08' AND status_at < '2023-07-01 00:00+08'`},
		{"manhole/items?limit=10000&datetime=2023-06-15", `SELECT count(*) FROM assets WHERE kind = 'manhole'
			AND status_at >= '2023-06-15 00:00+08' AND status_at < '2023-06-16 00:00+08'`},
		{"road_repair/items?limit=10000&datetime=2024-01-01T00:00:00Z/..", `SELECT count(*) FROM assets WHERE kind = 'road_repair'
			AND status_at >= '2024-01-01 00:00Z'`},
		{"road_repair/items?limit=10000&datetime=../2023-07-01T00:00:00Z", `SELECT count(*) FROM assets WHERE kind = 'road_repair'
			AND status_at <= '2023-07-01 00:00Z'`},
		{"road_repair/items?limit=10000&datetime=/2023-07-01T00:00:00Z", `SELECT count(*) FROM assets WHERE kind = 'road_repair'
			AND status_at <= '2023-07-01 00:00Z'`},
		{"manhole/items?limit=10000&status=closed", `SELECT count(*) FROM assets WHERE kind = 'manhole' AND status = 'closed'`},
		{"manhole/items?limit=10000&status=reported,filed", `SELECT count(*) FROM assets WHERE kind = 'manhole' AND status IN ('reported', 'filed')`},
		{"manhole/items?limit=10000&subdistrict=" + url.QueryEscape("正阳街道"), `SELECT count(*) FROM assets WHERE kind = 'manhole' AND subdistrict = '正阳街道'`},
		{"manhole/items?code=2201060103000001", `SELECT count(*) FROM assets WHERE kind = 'manhole' AND code = '2201060103000001'`},
		{"manhole/items?limit=10000&defect_grade=4", `SELECT count(*) FROM assets WHERE kind = 'manhole' AND attrs->>'defect_grade' = '4'`},
		{"manhole/items?limit=10000&cover_category=0103&status=closed", `SELECT count(*) FROM assets WHERE kind = 'manhole'
			AND attrs->>'cover_category' = '0103' AND status = 'closed'`},
		{"parking_space/items?limit=10000&space_type=ev_charging", `SELECT count(*) FROM assets WHERE kind = 'parking_space' AND attrs->>'space_type' = 'ev_charging'`},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			want := e.count(c.sql)
			if want == 0 {
				t.Fatalf("the database has no match; the case tests nothing")
			}
			fs, matched := e.items(t, "/ogc/collections/"+c.query)
			if len(fs) != want || matched != want {
				t.Errorf("%d features, numberMatched %d, want %d", len(fs), matched, want)
			}
			kind, _, _ := strings.Cut(c.query, "/")
			seen := map[int64]bool{}
			for _, f := range fs {
				if f.Properties["kind"] != kind || seen[f.ID] {
					t.Errorf("feature %d: kind %v (repeated: %v)", f.ID, f.Properties["kind"], seen[f.ID])
				}
				seen[f.ID] = true
			}
		})
	}
}

// TestOGCPaging follows next and prev links through the manholes.
func TestOGCPaging(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var first ogcItems
	if res := e.get("/ogc/collections/manhole/items", &first); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if len(first.Features) != 10 || first.NumberMatched != 1300 || linkOf(first.Links, "prev") != "" {
		t.Fatalf("first page: %d features of %d, prev %q", len(first.Features), first.NumberMatched, linkOf(first.Links, "prev"))
	}
	fs, _ := e.items(t, "/ogc/collections/manhole/items?limit=97")
	ids := make([]int64, len(fs))
	for i, f := range fs {
		ids[i] = f.ID
	}
	if len(ids) != 1300 || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != 1300 {
		t.Fatalf("paged through %d manholes (sorted %v)", len(ids), slices.IsSorted(ids))
	}
	// The second page's prev link leads back to the first.
	var p2, back ogcItems
	e.get("/ogc/collections/manhole/items?limit=97&offset=97", &p2)
	e.get(strings.TrimPrefix(linkOf(p2.Links, "prev"), e.srv.URL), &back)
	if len(back.Features) != 97 || back.Features[0].ID != ids[0] || linkOf(back.Links, "prev") != "" {
		t.Errorf("prev of page 2 starts at %d (%d features), want %d", back.Features[0].ID, len(back.Features), ids[0])
	}
	var last ogcItems
	e.get("/ogc/collections/manhole/items?limit=97&offset=1261", &last)
	if len(last.Features) != 39 || linkOf(last.Links, "next") != "" || linkOf(last.Links, "prev") == "" {
		t.Errorf("last page: %d features, next %q", len(last.Features), linkOf(last.Links, "next"))
	}
}

// TestOGCPublicProperties checks that features carry the asset's fields and
// attributes and nothing else: no reporter, no task details.
func TestOGCPublicProperties(t *testing.T) {
	e := newEnv(t, pgtest.District)
	if _, err := e.sql.Exec(t.Context(), `UPDATE tasks SET reporter_name = '张三', reporter_contact = '13900000000'`); err != nil {
		t.Fatal(err)
	}
	fixed := []string{"kind", "code", "name", "name_en", "subdistrict", "status", "status_at", "completed_at", "parent_id", "version", "updated_at", "pci", "condition_grade", "condition_score"}
	// A cover's register, once known (docs/inspections.md).
	register := []string{"owner_unit", "anti_fall_net", "last_inspected_on"}
	if _, err := e.sql.Exec(t.Context(), `INSERT INTO cover_register (asset_id, anti_fall_net, last_inspected_on)
		SELECT id, true, '2025-01-01' FROM assets WHERE kind = 'manhole' LIMIT 3 ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"manhole", "parking_space", "road_repair"} {
		rows, err := e.sql.Query(t.Context(), `SELECT DISTINCT jsonb_object_keys(attrs) FROM assets WHERE kind = $1`, kind)
		if err != nil {
			t.Fatal(err)
		}
		allowed := slices.Clone(fixed)
		if kind == "manhole" {
			allowed = append(allowed, register...)
		}
		for rows.Next() {
			var k string
			rows.Scan(&k)
			allowed = append(allowed, k)
		}
		rows.Close()
		res, body := e.fetch("/ogc/collections/" + kind + "/items?limit=10000")
		if res.StatusCode != 200 || strings.Contains(string(body), "13900000000") || strings.Contains(string(body), "张三") {
			t.Fatalf("%s: %d, or a reporter's details leaked", kind, res.StatusCode)
		}
		var page ogcItems
		json.Unmarshal(body, &page)
		for _, f := range page.Features {
			for k := range f.Properties {
				if !slices.Contains(allowed, k) {
					t.Fatalf("%s %d: property %q is not a public field or attribute", kind, f.ID, k)
				}
			}
		}
	}
}

// TestOGCCRS checks Part 2: EPSG:4326 and EPSG:4490 answer latitude first,
// CRS84 longitude first, and Content-Crs says which.
func TestOGCCRS(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var id int64
	var lon, lat float64
	if err := e.sql.QueryRow(t.Context(), `SELECT id, ST_X(geom), ST_Y(geom) FROM assets WHERE code = '2201060103000001'`).Scan(&id, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		crs        string
		header     string
		first, snd float64
	}{
		{"", "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>", lon, lat},
		{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>", lon, lat},
		{"http://www.opengis.net/def/crs/EPSG/0/4326", "<http://www.opengis.net/def/crs/EPSG/0/4326>", lat, lon},
		{"[EPSG:4326]", "<http://www.opengis.net/def/crs/EPSG/0/4326>", lat, lon},
		{"http://www.opengis.net/def/crs/EPSG/0/4490", "<http://www.opengis.net/def/crs/EPSG/0/4490>", lat, lon},
	}
	for _, c := range cases {
		q := ""
		if c.crs != "" {
			q = "crs=" + url.QueryEscape(c.crs)
		}
		for _, path := range []string{
			fmt.Sprintf("/ogc/collections/manhole/items/%d?%s", id, q),
			"/ogc/collections/manhole/items?code=2201060103000001&" + q,
		} {
			res, body := e.fetch(path)
			if res.StatusCode != 200 {
				t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
			}
			if got := res.Header.Get("Content-Crs"); got != c.header {
				t.Errorf("GET %s: Content-Crs %q, want %q", path, got, c.header)
			}
			var f ogcFeature
			if strings.Contains(path, "/items?") {
				var page ogcItems
				json.Unmarshal(body, &page)
				if len(page.Features) != 1 {
					t.Fatalf("GET %s: %d features", path, len(page.Features))
				}
				f = page.Features[0]
			} else if err := json.Unmarshal(body, &f); err != nil {
				t.Fatal(err)
			}
			var xy [2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &xy); err != nil {
				t.Fatalf("GET %s: coordinates %s", path, f.Geometry.Coordinates)
			}
			// CGCS2000 and WGS84 agree to well under a metre here.
			if math.Abs(xy[0]-c.first) > 1e-6 || math.Abs(xy[1]-c.snd) > 1e-6 {
				t.Errorf("GET %s: coordinates %v, want [%v %v]", path, xy, c.first, c.snd)
			}
		}
	}
}

func TestOGCBadInput(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var otherKind int64
	if err := e.sql.QueryRow(t.Context(), `SELECT min(id) FROM assets WHERE kind = 'road_repair'`).Scan(&otherKind); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path   string
		status int
		param  string
	}{
		{"/ogc/collections/manhole/items?bbox=1,2,3", 400, "bbox"},
		{"/ogc/collections/manhole/items?bbox=a,b,c,d", 400, "bbox"},
		{"/ogc/collections/manhole/items?bbox=125.3,43.8,125.2,43.9", 400, "bbox"},
		{"/ogc/collections/manhole/items?bbox=125.264,43.8755,125.276,43.8845&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4326"), 400, "bbox"},
		{"/ogc/collections/manhole/items?bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4326"), 400, "bbox-crs"},
		{"/ogc/collections/manhole/items?bbox=1,2,3,4&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3857"), 400, "bbox-crs"},
		{"/ogc/collections/manhole/items?crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3857"), 400, "crs"},
		{"/ogc/collections/manhole/items?crs=EPSG:4326", 400, "crs"},
		{"/ogc/collections/manhole/items?limit=0", 400, "limit"},
		{"/ogc/collections/manhole/items?limit=-5", 400, "limit"},
		{"/ogc/collections/manhole/items?limit=1.5", 400, "limit"},
		{"/ogc/collections/manhole/items?limit=ten", 400, "limit"},
		{"/ogc/collections/manhole/items?offset=-1", 400, "offset"},
		{"/ogc/collections/manhole/items?datetime=yesterday", 400, "datetime"},
		{"/ogc/collections/manhole/items?datetime=2024-13-01", 400, "datetime"},
		{"/ogc/collections/manhole/items?datetime=2024-02-01/2024-01-01", 400, "datetime"},
		{"/ogc/collections/manhole/items?datetime=2024-01-01/2024-02-01/2024-03-01", 400, "datetime"},
		{"/ogc/collections/manhole/items?datetime=..", 400, "datetime"},
		{"/ogc/collections/manhole/items?status=finished", 400, "status"},
		{"/ogc/collections/manhole/items?colour=red", 400, "colour"},
		{"/ogc/collections/manhole/items?area_m2=5", 400, "area_m2"}, // a road's attribute, not a manhole's
		{"/ogc/collections/manhole/items?limit=5&limit=6", 400, "limit"},
		{"/ogc/collections/manhole/items?f=html", 400, "f"},
		{"/ogc/collections?f=xml", 400, "f"},
		{"/ogc/collections/manhole/items/1?crs=bogus", 400, "crs"},
		{"/ogc/collections/manholes", 404, ""},
		{"/ogc/collections/manholes/items", 404, ""},
		{"/ogc/collections/manhole/items/999999", 404, ""},
		{"/ogc/collections/manhole/items/abc", 404, ""},
		{fmt.Sprintf("/ogc/collections/manhole/items/%d", otherKind), 404, ""},
		{"/ogc/nothing", 404, ""},
	}
	for _, c := range cases {
		var p httpx.Problem
		res := e.get(c.path, &p)
		if res.StatusCode != c.status || p.Status != c.status {
			t.Errorf("GET %s: %d, want %d", c.path, res.StatusCode, c.status)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("GET %s: Content-Type %q", c.path, ct)
		}
		if c.param != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.param) {
			t.Errorf("GET %s: problem names %+v, want %q", c.path, p.Errors, c.param)
		}
	}
}

// TestOGCDatetimeBoundaries checks that interval ends are included and that
// a date means the district's calendar day.
func TestOGCDatetimeBoundaries(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var id int64
	var at time.Time
	if err := e.sql.QueryRow(t.Context(), `SELECT id, status_at FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&id, &at); err != nil {
		t.Fatal(err)
	}
	day := at.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	ts := at.UTC().Format(time.RFC3339Nano)
	local := at.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339Nano)
	var queries []string
	for _, dt := range []string{ts, ts + "/" + ts, ts + "/..", "../" + ts, day, day + "/" + day, local} {
		queries = append(queries, url.QueryEscape(dt))
	}
	queries = append(queries, local) // the offset's "+" unescaped, as people type it
	for _, dt := range queries {
		fs, _ := e.items(t, "/ogc/collections/manhole/items?limit=10000&datetime="+dt)
		found := false
		for _, f := range fs {
			found = found || f.ID == id
		}
		if !found {
			t.Errorf("datetime=%s does not find manhole %d (status_at %s)", dt, id, ts)
		}
	}
	before := at.Add(-time.Second).UTC().Format(time.RFC3339)
	fs, _ := e.items(t, "/ogc/collections/manhole/items?limit=10000&datetime="+url.QueryEscape("../"+before))
	ids := make([]int64, len(fs))
	for i, f := range fs {
		ids[i] = f.ID
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if _, found := slices.BinarySearch(ids, id); found {
		t.Errorf("datetime=../%s finds manhole %d changed at %s", before, id, ts)
	}
}
