package httpapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// TestOGCFilterCounts checks that each CQL2 filter matches exactly what the
// same condition written by hand in SQL matches.
func TestOGCFilterCounts(t *testing.T) {
	e := newEnv(t, pgtest.District)
	const (
		poly      = "POLYGON((125.25 43.86, 125.31 43.86, 125.31 43.90, 125.25 43.90, 125.25 43.86))"
		polySQL   = "ST_GeomFromText('" + poly + "', 4326)"
		epsg4326  = "http://www.opengis.net/def/crs/EPSG/0/4326"
		dayStart  = "'2024-01-01T00:00:00+08:00'"
		startJune = "'2023-06-01T00:00:00+08:00'"
	)
	// An instant a manhole's status was set at: the meeting, starting and
	// finishing relations hold on it exactly.
	var at time.Time
	if err := e.sql.QueryRow(t.Context(), `SELECT status_at FROM assets WHERE kind = 'manhole' AND status_at IS NOT NULL
		ORDER BY status_at LIMIT 1`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	ts := at.UTC().Format(time.RFC3339Nano)
	atSQL := "'" + ts + "'::timestamptz"
	june := "INTERVAL('2023-06-01', '2023-12-31')"
	juneSQL := "a.status_at >= " + startJune + " AND a.status_at <= '2024-01-01T00:00:00+08:00'::timestamptz - interval '1 microsecond'"
	cases := []struct {
		kind, lang, filter, crs, sql string
	}{
		{"manhole", "", "defect_grade >= 3", "", "(a.attrs->>'defect_grade')::numeric >= 3"},
		{"manhole", "", "defect_grade BETWEEN 2 AND 3 AND status = 'closed'", "", "(a.attrs->>'defect_grade')::numeric BETWEEN 2 AND 3 AND a.status = 'closed'"},
		{"manhole", "", "status IN ('closed', 'done') OR defect_grade = 4", "", "a.status IN ('closed', 'done') OR (a.attrs->>'defect_grade')::numeric = 4"},
		{"manhole", "", "NOT (status = 'closed')", "", "NOT (a.status = 'closed')"},
		{"manhole", "", "status IS NULL", "", "a.status IS NULL"},
		{"manhole", "", "status IS NOT NULL AND defect_grade <> 1", "", "a.status IS NOT NULL AND (a.attrs->>'defect_grade')::numeric <> 1"},
		{"manhole", "", "code LIKE '%0103%'", "", "a.code LIKE '%0103%'"},
		{"manhole", "", "name LIKE '%井%' AND NOT subdistrict = '正阳街道'", "", "a.name LIKE '%井%' AND NOT a.subdistrict = '正阳街道'"},
		{"manhole", "", "S_INTERSECTS(geometry, " + poly + ")", "", "ST_Intersects(a.geom, " + polySQL + ")"},
		{"manhole", "", "S_INTERSECTS(geometry, BBOX(43.86, 125.25, 43.90, 125.31)) AND defect_grade > 2", epsg4326,
			"ST_Intersects(a.geom, ST_MakeEnvelope(125.25, 43.86, 125.31, 43.90, 4326)) AND (a.attrs->>'defect_grade')::numeric > 2"},
		{"manhole", "", "T_BEFORE(status_at, DATE('2024-01-01'))", "", "a.status_at < " + dayStart},
		{"manhole", "", "T_AFTER(status_at, TIMESTAMP('2024-01-01T00:00:00Z'))", "", "a.status_at > '2024-01-01T00:00:00Z'"},
		{"manhole", "", "T_DURING(status_at, INTERVAL('2023-06-01', '2023-12-31'))", "", "a.status_at > " + startJune + " AND a.status_at < '2024-01-01T00:00:00+08:00'::timestamptz - interval '1 microsecond'"},
		{"manhole", "", "T_INTERSECTS(status_at, INTERVAL('2023-06-01', '..'))", "", "a.status_at >= " + startJune},
		{"manhole", "", "T_DISJOINT(status_at, " + june + ")", "", "a.status_at IS NOT NULL AND NOT (" + juneSQL + ")"},
		{"manhole", "", "T_CONTAINS(" + june + ", status_at)", "", "a.status_at > " + startJune + " AND a.status_at < '2024-01-01T00:00:00+08:00'::timestamptz - interval '1 microsecond'"},
		{"manhole", "", "T_MEETS(status_at, INTERVAL('" + ts + "', '..'))", "", "a.status_at = " + atSQL},
		{"manhole", "", "T_METBY(status_at, INTERVAL('..', '" + ts + "'))", "", "a.status_at = " + atSQL},
		{"manhole", "", "T_STARTS(status_at, INTERVAL('" + ts + "', '2030-01-01'))", "", "a.status_at = " + atSQL},
		{"manhole", "", "T_FINISHES(status_at, INTERVAL('2020-01-01', '" + ts + "'))", "", "a.status_at = " + atSQL},
		{"manhole", "", "T_MEETS(INTERVAL('..', '" + ts + "'), status_at)", "", "a.status_at = " + atSQL},
		{"manhole", "", "T_CONTAINS(status_at, " + june + ") OR T_OVERLAPS(status_at, " + june + ") OR T_OVERLAPPEDBY(status_at, " + june +
			") OR T_STARTEDBY(status_at, " + june + ") OR T_FINISHEDBY(status_at, " + june + ")", "", "FALSE"},
		{"manhole", "cql2-json", `{"op":"t_metby","args":[{"property":"status_at"},{"interval":["..","` + ts + `"]}]}`, "", "a.status_at = " + atSQL},
		{"manhole", "", "status_at >= TIMESTAMP('2024-03-01T00:00:00Z') OR id < 10", "", "a.status_at >= '2024-03-01T00:00:00Z' OR a.id < 10"},
		{"road_repair", "", "area_m2 BETWEEN 100 AND 2000 OR area_m2 IS NULL", "", "(a.attrs->>'area_m2')::numeric BETWEEN 100 AND 2000 OR a.attrs->'area_m2' IS NULL"},
		{"parking_space", "", "space_type IN ('ev_charging', 'accessible')", "", "a.attrs->>'space_type' IN ('ev_charging', 'accessible')"},
		{"manhole", "cql2-json", `{"op":"and","args":[{"op":">=","args":[{"property":"defect_grade"},3]},{"op":"in","args":[{"property":"status"},["closed","done"]]}]}`, "",
			"(a.attrs->>'defect_grade')::numeric >= 3 AND a.status IN ('closed', 'done')"},
		{"manhole", "cql2-json", `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[125.25,43.86],[125.31,43.86],[125.31,43.90],[125.25,43.90],[125.25,43.86]]]}]}`, "",
			"ST_Intersects(a.geom, " + polySQL + ")"},
		{"manhole", "cql2-json", `{"op":"not","args":[{"op":"like","args":[{"property":"code"},"%0103%"]}]}`, "", "NOT a.code LIKE '%0103%'"},
		{"manhole", "cql-text", "(status = 'closed') AND (subdistrict = '正阳街道')", "", "a.status = 'closed' AND a.subdistrict = '正阳街道'"},
		{"manhole", "", "TRUE", "", "TRUE"},
		{"manhole", "cql2-json", `{"op":"or","args":[false,{"op":"=","args":[{"property":"status"},"done"]}]}`, "", "a.status = 'done'"},
	}
	distinct := map[int]bool{}
	for _, c := range cases {
		var want int
		if err := e.sql.QueryRow(t.Context(), "SELECT count(*) FROM assets a WHERE a.kind = $1 AND ("+c.sql+")", c.kind).Scan(&want); err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		q := url.Values{"filter": {c.filter}, "limit": {"1"}}
		if c.lang != "" {
			q.Set("filter-lang", c.lang)
		}
		if c.crs != "" {
			q.Set("filter-crs", c.crs)
		}
		var items ogcItems
		if res := e.get("/ogc/collections/"+c.kind+"/items?"+q.Encode(), &items); res.StatusCode != 200 {
			t.Errorf("filter %s: %d", c.filter, res.StatusCode)
			continue
		}
		if items.NumberMatched != want {
			t.Errorf("filter %s on %s: numberMatched %d, SQL %q counts %d", c.filter, c.kind, items.NumberMatched, c.sql, want)
		}
		distinct[want] = true
	}
	// The table means something only if the filters select different sets.
	if len(distinct) < len(cases)/2 {
		t.Errorf("the filters match only %d distinct counts: %v", len(distinct), distinct)
	}
}

// TestOGCFilterRefused checks that hostile and unsupported filters answer a
// 400 problem naming what is wrong, fast, and that injection attempts reach
// the database as values at most.
func TestOGCFilterRefused(t *testing.T) {
	e := newEnv(t, pgtest.District)
	for _, c := range []struct{ name, query, want string }{
		{"deep nesting", "filter=" + url.QueryEscape(strings.Repeat("(", 3000)+"code = 'a'"+strings.Repeat(")", 3000)), "nested deeper"},
		{"deep NOT", "filter=" + url.QueryEscape(strings.Repeat("NOT ", 1000)+"code = 'a'"), "nested deeper"},
		{"deep JSON", "filter-lang=cql2-json&filter=" + url.QueryEscape(strings.Repeat(`{"op":"not","args":[`, 300)+`{"op":"isNull","args":[{"property":"code"}]}`+strings.Repeat("]}", 300)), "nested deeper"},
		{"huge literal", "filter=" + url.QueryEscape("code = '"+strings.Repeat("x", 5000)+"'"), "longer than"},
		{"too long", "filter=" + url.QueryEscape("code = 'a'"+strings.Repeat(" ", 20000)), "bytes"},
		{"many nodes", "filter=" + url.QueryEscape("code = 'a'"+strings.Repeat(" OR code = 'a'", 400)), "more than"},
		{"injection outside a string", "filter=" + url.QueryEscape("code = 'a'; DROP TABLE assets; --"), "unexpected character"},
		{"injection as a name", "filter=" + url.QueryEscape(`"code = 'a') OR (1=1" = 'a'`), "not a queryable"},
		{"unsupported operator", "filter=" + url.QueryEscape("S_CONTAINS(geometry, POINT(125.2 43.8))"), "operator S_CONTAINS is not supported"},
		{"unknown property", "filter=" + url.QueryEscape("owner = 'x'"), `"owner" is not a queryable`},
		{"wrong type", "filter=" + url.QueryEscape("defect_grade = 'high'"), "defect_grade is a number property"},
		{"unknown language", "filter-lang=sql&filter=1", "filter-lang"},
		{"filter-crs alone", "filter-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4326"), "go with a filter"},
		{"unknown filter-crs", "filter=" + url.QueryEscape("code = 'a'") + "&filter-crs=EPSG:3857", "not supported"},
	} {
		start := time.Now()
		res, body := e.fetch("/ogc/collections/manhole/items?" + c.query)
		took := time.Since(start)
		var p httpx.Problem
		_ = json.Unmarshal(body, &p)
		if res.StatusCode != 400 || res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, c.want) {
			t.Errorf("%s: %d %s %s, want a 400 problem with %q", c.name, res.StatusCode, res.Header.Get("Content-Type"), body, c.want)
		}
		if took > time.Second {
			t.Errorf("%s: answered in %v", c.name, took)
		}
	}
	// Injection inside a string literal is a value: it matches nothing and
	// the table is still there.
	var items ogcItems
	if res := e.get("/ogc/collections/manhole/items?filter="+url.QueryEscape("code = '''; DROP TABLE assets; --' OR name LIKE '%''--'"), &items); res.StatusCode != 200 || items.NumberMatched != 0 {
		t.Errorf("injection in a string: %d, %d matched", res.StatusCode, items.NumberMatched)
	}
	var n int
	if err := e.sql.QueryRow(t.Context(), "SELECT count(*) FROM assets").Scan(&n); err != nil || n == 0 {
		t.Errorf("assets after the injection attempts: %d, %v", n, err)
	}
}

// TestOGCQueryables checks the JSON Schema of a collection's queryables and
// the link to it.
func TestOGCQueryables(t *testing.T) {
	e := newEnv(t, pgtest.District)
	res, body := e.fetch("/ogc/collections/manhole/queryables")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/schema+json" {
		t.Fatalf("queryables: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var s struct {
		Schema     string                    `json:"$schema"`
		ID         string                    `json:"$id"`
		Type       string                    `json:"type"`
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" || s.Type != "object" || s.ID != e.srv.URL+"/ogc/collections/manhole/queryables" {
		t.Errorf("queryables header: %+v", s)
	}
	for name, want := range map[string]string{
		"id": "integer", "code": "string", "status": "string", "status_at": "string",
		"defect_grade": "number", "cover_category": "string", "defect_type": "string",
	} {
		if got, _ := s.Properties[name]["type"].(string); got != want {
			t.Errorf("queryable %s: type %q, want %q", name, got, want)
		}
	}
	if s.Properties["geometry"]["format"] != "geometry-any" || s.Properties["status_at"]["format"] != "date-time" {
		t.Errorf("geometry %v, status_at %v", s.Properties["geometry"], s.Properties["status_at"])
	}
	if enum, _ := s.Properties["status"]["enum"].([]any); len(enum) != 8 {
		t.Errorf("status enum %v", enum)
	}
	var c struct {
		Links []ogcLink `json:"links"`
	}
	e.get("/ogc/collections/manhole", &c)
	if got := linkOf(c.Links, "http://www.opengis.net/def/rel/ogc/1.0/queryables"); got != s.ID {
		t.Errorf("queryables link %q, want %q", got, s.ID)
	}
}

// TestOGCFilterOddLiterals checks that literals the parser accepts but
// PostGIS or PostgreSQL might choke on answer 200, never 500.
func TestOGCFilterOddLiterals(t *testing.T) {
	e := newEnv(t, pgtest.District)
	for _, f := range []string{
		"S_INTERSECTS(geometry, POLYGON((125.2 43.8, 125.3 43.9, 125.3 43.8, 125.2 43.9, 125.2 43.8)))", // a bow tie
		"S_INTERSECTS(geometry, POLYGON((125.2 43.8, 125.2 43.8, 125.2 43.8, 125.2 43.8)))",             // no area
		"S_INTERSECTS(geometry, MULTIPOLYGON(((125.2 43.8, 125.3 43.8, 125.3 43.9, 125.2 43.8)), ((125.2 43.8, 125.3 43.8, 125.3 43.9, 125.2 43.8))))",
		"S_INTERSECTS(geometry, LINESTRING(-180 -90, 180 90))",
		"S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))",
		"S_INTERSECTS(geometry, POINT(125.2 43.8)) OR S_INTERSECTS(geometry, MULTIPOINT((125.2 43.8), (125.3 43.9)))",
		"status_at = TIMESTAMP('0001-01-01T00:00:00Z') OR status_at < TIMESTAMP('9999-12-31T23:59:59.999999999+14:00')",
		"T_INTERSECTS(status_at, INTERVAL('..', '..')) AND T_BEFORE(status_at, INTERVAL('..', '2024-01-01'))",
		"defect_grade = 1.7976931348623157e308 OR defect_grade < -1e300 OR id = 9.3e18",
		"name LIKE '\\\\' OR name LIKE '%\\%%' OR code IN ('') OR subdistrict = '" + strings.Repeat("街", 100) + "'",
		"cover_category > 'a' AND defect_type IS NULL AND load_class NOT IN ('x')",
	} {
		res, body := e.fetch("/ogc/collections/manhole/items?limit=1&filter=" + url.QueryEscape(f))
		if res.StatusCode != 200 {
			t.Errorf("filter %s: %d %s", f, res.StatusCode, body)
		}
	}
}

// TestOGCFilterNotStale checks that a cached filtered page on status_at
// follows a new case at once (the change notice reaches the cache).
func TestOGCFilterNotStale(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	path := "/ogc/collections/manhole/items?limit=1&filter=" + url.QueryEscape("T_AFTER(status_at, TIMESTAMP('"+since+"'))")
	var before ogcItems
	e.get(path, &before)
	e.get(path, &before) // now cached
	e.newTask(tok[maint.RoleInspector], e.anyAsset(maint.KindManhole), "井盖松动")
	deadline := time.Now().Add(3 * time.Second)
	for {
		var after ogcItems
		e.get(path, &after)
		if after.NumberMatched == before.NumberMatched+1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("numberMatched %d after a new case, was %d", after.NumberMatched, before.NumberMatched)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
