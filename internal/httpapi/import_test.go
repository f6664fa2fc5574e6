package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"inframap/internal/httpapi"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

var importTypes = map[string]string{"geojson": "application/geo+json", "csv": "text/csv; charset=utf-8"}

// importAnswer is the body of a successful import.
type importAnswer struct {
	DryRun    bool   `json:"dry_run"`
	Format    string `json:"format"`
	Rows      int    `json:"rows"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Register  int    `json:"register"`
	Kinds     map[string]maint.ImportCounts
}

// importProblems is the problem body of a file with problems.
type importProblems struct {
	httpx.Problem
	Errors     []maint.ImportProblem `json:"errors"`
	ErrorCount int                   `json:"error_count"`
}

// postImport sends a file to /api/v1/import and decodes the answer.
func (e *env) postImport(token, query, contentType string, file []byte) (int, importAnswer, importProblems) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/import"+query, bytes.NewReader(file))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST /api/v1/import%s: %v", query, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var ok importAnswer
	var bad importProblems
	if res.StatusCode == 200 {
		if err := json.Unmarshal(body, &ok); err != nil {
			e.t.Fatalf("import: %v: %s", err, body)
		}
	} else {
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			e.t.Errorf("import: %d with Content-Type %q", res.StatusCode, ct)
		}
		if err := json.Unmarshal(body, &bad); err != nil {
			e.t.Fatalf("import: %d: %v: %s", res.StatusCode, err, body)
		}
	}
	return res.StatusCode, ok, bad
}

// importOK imports a file that must import.
func (e *env) importOK(token, query, format string, file []byte) importAnswer {
	e.t.Helper()
	status, ans, p := e.postImport(token, query, importTypes[format], file)
	if status != 200 {
		e.t.Fatalf("import %s: %d %s %+v", format, status, p.Detail, p.Errors)
	}
	return ans
}

func (e *env) export(t *testing.T, format, kind string) []byte {
	t.Helper()
	path := "/api/v1/export?format=" + format
	if kind != "" {
		path += "&kind=" + kind
	}
	res, body := e.fetch(path)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
	}
	return body
}

// copyAreas gives dst the district and sub-districts of src, so that the
// boundary check and sub-districts work in a database loaded only by
// imports.
func copyAreas(t testing.TB, src, dst *env) {
	t.Helper()
	rows, err := src.sql.Query(t.Context(), `SELECT kind, name, name_en, approximate, source, ST_AsEWKB(geom) FROM areas ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, name, nameEn, source string
		var approx bool
		var geom []byte
		if err := rows.Scan(&kind, &name, &nameEn, &approx, &source, &geom); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.sql.Exec(t.Context(), `INSERT INTO areas (kind, name, name_en, approximate, source, geom)
			VALUES ($1, $2, $3, $4, $5, ST_GeomFromEWKB($6))`, kind, name, nameEn, approx, source, geom); err != nil {
			t.Fatal(err)
		}
	}
}

// stored is an asset as a database holds it.
type stored struct {
	Kind, Name, NameEn, ParentCode, Subdistrict string
	Attrs                                       map[string]any
	// WKT is the geometry at the exchange precision.
	WKT string
	// EWKB is the geometry as stored, ID and Version the row's identity.
	EWKB        []byte `cmp:"-"`
	ID          int64
	Version     int
	UpdatedAt   time.Time
	HasParentID bool
}

func (e *env) stored(t *testing.T, kind string) map[string]stored {
	t.Helper()
	rows, err := e.sql.Query(t.Context(), `
		SELECT a.code, a.kind, a.name, a.name_en, coalesce(p.code, ''), a.subdistrict, a.attrs::text, ST_AsText(a.geom, 7),
		       ST_AsEWKB(a.geom), a.id, a.version, a.updated_at, a.parent_id IS NOT NULL
		FROM assets a LEFT JOIN assets p ON p.id = a.parent_id
		WHERE $1 = '' OR a.kind = $1`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]stored{}
	for rows.Next() {
		var code, attrs string
		var s stored
		if err := rows.Scan(&code, &s.Kind, &s.Name, &s.NameEn, &s.ParentCode, &s.Subdistrict, &attrs, &s.WKT, &s.EWKB,
			&s.ID, &s.Version, &s.UpdatedAt, &s.HasParentID); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal([]byte(attrs), &s.Attrs)
		out[code] = s
	}
	return out
}

// sameAssets compares what an import stored with the assets it was
// exported from: fields, attributes, parent, sub-district, and geometry
// equal at the exchange precision and in PostGIS (same type and vertices,
// Hausdorff distance under 1e-7°).
func sameAssets(t *testing.T, what string, src map[string]stored, dst *env, kind string) {
	t.Helper()
	got := dst.stored(t, kind)
	if len(got) != len(src) || len(src) == 0 {
		t.Errorf("%s: %d assets imported, %d exported", what, len(got), len(src))
	}
	identity := cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".EWKB", ".ID", ".Version", ".UpdatedAt":
			return true
		}
		return false
	}, cmp.Ignore())
	codes := make([]string, 0, len(src))
	geoms := make([][]byte, 0, len(src))
	bad := 0
	for code, w := range src {
		codes, geoms = append(codes, code), append(geoms, w.EWKB)
		if diff := cmp.Diff(w, got[code], identity); diff != "" {
			if bad++; bad <= 3 {
				t.Errorf("%s: asset %s mismatch (-exported +imported):\n%s", what, code, diff)
			}
		}
	}
	var differ []string
	err := dst.sql.QueryRow(t.Context(), `
		SELECT coalesce(array_agg(x.code), '{}') FROM unnest($1::text[], $2::bytea[]) AS x (code, wkb)
		LEFT JOIN assets a ON a.code = x.code
		CROSS JOIN LATERAL (SELECT ST_GeomFromEWKB(x.wkb) AS g) o
		WHERE a.id IS NULL OR GeometryType(a.geom) <> GeometryType(o.g) OR ST_NPoints(a.geom) <> ST_NPoints(o.g)
		   OR ST_HausdorffDistance(a.geom, o.g) >= 1e-7`, codes, geoms).Scan(&differ)
	if err != nil {
		t.Fatal(err)
	}
	if len(differ) > 0 {
		t.Errorf("%s: %d geometries differ in PostGIS, e.g. %v", what, len(differ), differ[:min(3, len(differ))])
	}
}

func counts(a importAnswer) maint.ImportCounts {
	return maint.ImportCounts{Created: a.Created, Updated: a.Updated, Unchanged: a.Unchanged}
}

// TestImportRoundTrip exports each kind of the district in each format and
// imports it into an empty database: the same assets. Importing the files
// again changes nothing, not even versions; the whole district in one file
// resolves parents within the file.
func TestImportRoundTrip(t *testing.T) {
	src := newEnv(t, pgtest.District)
	all := src.stored(t, "")
	for _, format := range []string{"geojson", "csv"} {
		t.Run(format, func(t *testing.T) {
			dst := newEnv(t, pgtest.Empty)
			copyAreas(t, src, dst)
			tok := dst.staff()[maint.RoleEngineer]
			files := map[maint.Kind][]byte{}
			for _, kind := range maint.Kinds {
				want := src.stored(t, string(kind))
				files[kind] = src.export(t, format, string(kind))
				ans := dst.importOK(tok, "", format, files[kind])
				wantCounts := maint.ImportCounts{Created: len(want)}
				if ans.Rows != len(want) || counts(ans) != wantCounts || ans.Kinds[string(kind)] != wantCounts || ans.DryRun || ans.Format != format {
					t.Errorf("import %s %s: %+v, want %d created", format, kind, ans, len(want))
				}
				sameAssets(t, format+" "+string(kind), want, dst, string(kind))
			}
			// Again: nothing changes, not even a version.
			before := dst.stored(t, "")
			for _, kind := range maint.Kinds {
				ans := dst.importOK(tok, "", format, files[kind])
				if want := (maint.ImportCounts{Unchanged: ans.Rows}); counts(ans) != want || ans.Rows == 0 {
					t.Errorf("import %s %s again: %+v, want all unchanged", format, kind, ans)
				}
			}
			whole := src.export(t, format, "")
			if ans := dst.importOK(tok, "", format, whole); counts(ans) != (maint.ImportCounts{Unchanged: len(all)}) {
				t.Errorf("import the whole %s again: %+v, want %d unchanged", format, ans, len(all))
			}
			if diff := cmp.Diff(before, dst.stored(t, "")); diff != "" {
				t.Errorf("importing the same files again changed assets (-before +after):\n%s", diff)
			}
			if n := dst.count(`SELECT count(*) FROM audit_events WHERE action = 'asset.imported'`); n != 2*len(maint.Kinds)+1 {
				t.Errorf("%d imports audited, want %d", n, 2*len(maint.Kinds)+1)
			}
			// The whole district in one file into another empty database:
			// bays find their lots within the file.
			fresh := newEnv(t, pgtest.Empty)
			copyAreas(t, src, fresh)
			ans := fresh.importOK(fresh.staff()[maint.RoleAdmin], "", format, whole)
			if counts(ans) != (maint.ImportCounts{Created: len(all)}) || len(ans.Kinds) != len(maint.Kinds) {
				t.Errorf("import the whole %s: %+v", format, ans)
			}
			sameAssets(t, format+" whole", all, fresh, "")
		})
	}
}

// TestImportIntoItsSource: a district exported and imported back into its
// own database changes nothing, though the stored coordinates have more
// decimals than the file's seven.
func TestImportIntoItsSource(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()[maint.RoleEngineer]
	before := e.stored(t, "")
	for _, format := range []string{"csv", "geojson"} {
		ans := e.importOK(tok, "", format, e.export(t, format, ""))
		if counts(ans) != (maint.ImportCounts{Unchanged: len(before)}) {
			t.Errorf("%s: %+v, want %d unchanged", format, ans, len(before))
		}
	}
	if diff := cmp.Diff(before, e.stored(t, "")); diff != "" {
		t.Errorf("re-import changed assets (-before +after):\n%s", diff)
	}
}

// editCSV changes cells of a CSV export: edit gets each row (header first)
// and returns it changed, or nil to drop it.
func editCSV(t *testing.T, file []byte, edit func(i int, row []string, col map[string]int) []string) []byte {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for i, r := range rows {
		if r = edit(i, r, col); r != nil {
			w.Write(r)
		}
	}
	w.Flush()
	return b.Bytes()
}

// TestImportUpdates: a modified file updates exactly the assets it
// changes — names, attributes (replaced, so a cleared cell removes one),
// geometry and with it the sub-district — and audits the counts.
func TestImportUpdates(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()[maint.RoleEngineer]
	before := e.stored(t, "manhole")
	var moved, renamed, regraded, cleared string
	file := editCSV(t, e.export(t, "csv", "manhole"), func(i int, r []string, col map[string]int) []string {
		switch i {
		case 1:
			renamed = r[col["code"]]
			r[col["name_en"]] = "Renamed cover"
		case 2:
			regraded = r[col["code"]]
			r[col["defect_grade"]] = "4"
		case 3:
			cleared = r[col["code"]]
			r[col["load_class"]] = ""
		case 4:
			// 300 m east, beyond its sub-district perhaps; lon and wkt agree.
			moved = r[col["code"]]
			var lon, lat float64
			fmt.Sscan(r[col["lon"]], &lon)
			fmt.Sscan(r[col["lat"]], &lat)
			r[col["lon"]] = fmt.Sprintf("%.7f", lon+0.0037)
			r[col["wkt"]] = fmt.Sprintf("POINT(%.7f %.7f)", lon+0.0037, lat)
		}
		return r
	})
	ans := e.importOK(tok, "", "csv", file)
	if want := (maint.ImportCounts{Updated: 4, Unchanged: len(before) - 4}); counts(ans) != want {
		t.Errorf("import: %+v, want %+v", ans, want)
	}
	after := e.stored(t, "manhole")
	for code, b := range before {
		a := after[code]
		changed := slices.Contains([]string{moved, renamed, regraded, cleared}, code)
		if a.ID != b.ID || changed != (a.Version == b.Version+1) || !changed && a.Version != b.Version {
			t.Errorf("%s: id %d→%d, version %d→%d (changed %v)", code, b.ID, a.ID, b.Version, a.Version, changed)
		}
	}
	if a := after[renamed]; a.NameEn != "Renamed cover" {
		t.Errorf("renamed: %+v", a)
	}
	if a := after[regraded]; a.Attrs["defect_grade"] != 4.0 {
		t.Errorf("regraded: %v", a.Attrs)
	}
	if a := after[cleared]; a.Attrs["load_class"] != nil || a.Attrs["cover_category"] == nil {
		t.Errorf("cleared load_class: %v", a.Attrs)
	}
	if e.count(`SELECT count(*) FROM assets WHERE code = $1 AND subdistrict = subdistrict_of(geom) AND ST_AsText(geom, 7) <> $2`, moved, before[moved].WKT) != 1 {
		t.Errorf("moved: %+v (was %s)", after[moved], before[moved].WKT)
	}
	var details map[string]any
	if err := e.sql.QueryRow(t.Context(), `SELECT details FROM audit_events WHERE action = 'asset.imported'`).Scan(&details); err != nil {
		t.Fatal(err)
	}
	if details["updated"] != 4.0 || details["format"] != "csv" || details["rows"] != float64(len(before)) {
		t.Errorf("audit details %v", details)
	}
}

// TestImportAllOrNothing: one bad row and nothing is imported; the answer
// names the row and the field.
func TestImportAllOrNothing(t *testing.T) {
	src := newEnv(t, pgtest.District)
	dst := newEnv(t, pgtest.Empty)
	tok := dst.staff()[maint.RoleEngineer]
	var code string
	file := editCSV(t, src.export(t, "csv", "manhole"), func(i int, r []string, col map[string]int) []string {
		if i == 700 { // line 701
			code = r[col["code"]]
			r[col["cover_category"]] = "9999"
		}
		return r
	})
	status, _, p := dst.postImport(tok, "", "text/csv", file)
	if status != 422 || p.ErrorCount != 1 || len(p.Errors) != 1 {
		t.Fatalf("import: %d %+v", status, p)
	}
	want := maint.ImportProblem{Field: "line 701: cover_category", Line: 701, Column: "cover_category", Code: code,
		Message: `"9999" is not a known cover_category`, ErrorCode: "attr_unknown_value", Params: maint.Params{"key": "cover_category", "value": "9999"}}
	if diff := cmp.Diff(want, p.Errors[0]); diff != "" {
		t.Errorf("problem mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(p.Detail, "line 701: cover_category") || !strings.Contains(p.Detail, "nothing was imported") {
		t.Errorf("detail %q", p.Detail)
	}
	if n := dst.count(`SELECT count(*) FROM assets`) + dst.count(`SELECT count(*) FROM audit_events WHERE action = 'asset.imported'`); n != 0 {
		t.Errorf("%d assets or audit events written", n)
	}
}

// dryRunCSV has a problem on almost every line, each of another kind, for
// the district's database. Its lines are numbered in the comments.
const dryRunCSV = "\uFEFFcode,kind,name,name_en,parent_code,lon,lat,wkt,area_m2,spaces,space_type,cover_category\r\n" + // 1
	"2201060103990001,manhole,好井,,,125.2712,43.8812,,,,,0103\r\n" + // 2 fine
	"P-BOWTIE,parking_lot,蝴蝶,,,,,\"POLYGON((125.27 43.88,125.28 43.89,125.28 43.88,125.27 43.89,125.27 43.88))\",,10,,\r\n" + // 3 self-intersection
	"2201060103990002,manhole,反井,,,43.8812,125.2712,,,,,0103\r\n" + // 4 swapped
	"X-1,bridge,桥,,,,,\"LINESTRING(125.27 43.88,125.28 43.89)\",,,,\r\n" + // 5 unknown kind
	"R-NOAREA,road_repair,路,,,,,\"LINESTRING(125.27 43.88,125.28 43.89)\",,,,\r\n" + // 6 missing attribute
	"2201060103990001,manhole,重井,,,125.2713,43.8813,,,,,0103\r\n" + // 7 duplicate of line 2
	"2201060103990003,manhole,京井,,,116.3975,39.9087,,,,,0103\r\n" + // 8 outside (Beijing)
	"DL-001,capital_project,改类,,,,,\"POLYGON((125.27 43.88,125.271 43.88,125.271 43.881,125.27 43.88))\",,,,\r\n" + // 9 kind change
	"B-ORPHAN,parking_space,孤位,,NO-SUCH-LOT,,,\"POLYGON((125.27 43.88,125.2701 43.88,125.2701 43.8801,125.27 43.88))\",,,standard,\r\n" + // 10 no parent
	"R-BADWKT,road_repair,路,,,,,\"LINESTRING(125.27 43.88 125.28 43.89)\",100,,,\r\n" // 11 unreadable WKT

// TestImportDryRun lists every problem of a file at once, with its line
// and column, and writes nothing; a clean file counts what would change.
func TestImportDryRun(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()[maint.RoleEngineer]
	assets := e.count(`SELECT count(*) FROM assets`)
	status, _, p := e.postImport(tok, "?dry_run=true", "text/csv", []byte(dryRunCSV))
	if status != 422 {
		t.Fatalf("dry run: %d %+v", status, p)
	}
	want := []struct{ field, says string }{
		{"line 3: wkt", "not valid: Self-intersection"},
		{"line 4: lat", "look swapped"},
		{"line 5: kind", `unknown kind "bridge"`},
		{"line 6: area_m2", `road_repair needs "area_m2"`},
		{"line 7: code", "first at line 2"},
		{"line 8: lon/lat", "outside the district"},
		{"line 9: kind", "is a road_repair; an import may not change"},
		{"line 10: parent_code", `no parking lot has code "NO-SUCH-LOT"`},
		{"line 11: wkt", "not valid WKT"},
	}
	if len(p.Errors) != len(want) || p.ErrorCount != len(want) {
		t.Errorf("dry run: %d problems listed, %d counted, want %d", len(p.Errors), p.ErrorCount, len(want))
	}
	for i, w := range want {
		if i >= len(p.Errors) {
			break
		}
		got := p.Errors[i]
		if got.Field != w.field || !strings.Contains(got.Message, w.says) || got.Line == 0 || got.Column == "" {
			t.Errorf("problem %d: %+v, want %s: …%s…", i, got, w.field, w.says)
		}
	}
	if n := e.count(`SELECT count(*) FROM assets`); n != assets {
		t.Errorf("a dry run changed the number of assets: %d → %d", assets, n)
	}
	// The same problems as GeoJSON features.
	features := []string{
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.2712,43.8812]},"properties":{"code":"2201060103990001","kind":"manhole","name":"好井","cover_category":"0103"}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[43.8812,125.2712]},"properties":{"code":"2201060103990002","kind":"manhole","name":"反井","cover_category":"0103"}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.2712,43.8812]},"properties":{"code":"2201060103990001","kind":"manhole","name":"重井","cover_category":"0103"}}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[125.27,43.88],[125.28,43.89],[125.28,43.88],[125.27,43.89],[125.27,43.88]]]},"properties":{"code":"P-BOWTIE","kind":"parking_lot","name":"蝴蝶","spaces":10}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[116.3975,39.9087]},"properties":{"code":"2201060103990003","kind":"manhole","name":"京井","cover_category":"0103"}}`,
		`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[125.27,43.88],[125.28,43.89]]},"properties":{"code":"R-NOAREA","kind":"road_repair","name":"路"}}`,
	}
	file := `{"type":"FeatureCollection","features":[` + strings.Join(features, ",\n") + "]}"
	status, _, p = e.postImport(tok, "?dry_run=1", "application/geo+json", []byte(file))
	wantGeo := []string{"feature 2: geometry", "feature 3: properties.code", "feature 4: geometry", "feature 5: geometry", "feature 6: properties.area_m2"}
	var got []string
	for _, pr := range p.Errors {
		got = append(got, pr.Field)
	}
	if status != 422 || !slices.Equal(got, wantGeo) {
		t.Errorf("GeoJSON dry run: %d %v, want %v", status, got, wantGeo)
	}
	// A clean file: what would change, and nothing written.
	file2 := editCSV(t, e.export(t, "csv", "parking_lot"), func(i int, r []string, col map[string]int) []string {
		if i == 1 {
			r[col["name"]] += "（新）"
		}
		return r
	})
	status, ans, p := e.postImport(tok, "?dry_run=true", "text/csv", file2)
	if status != 200 || !ans.DryRun || counts(ans) != (maint.ImportCounts{Updated: 1, Unchanged: 8}) {
		t.Errorf("clean dry run: %d %+v %+v", status, ans, p)
	}
	if n := e.count(`SELECT count(*) FROM assets WHERE name LIKE '%（新）'`) + e.count(`SELECT count(*) FROM audit_events WHERE action = 'asset.imported'`); n != 0 {
		t.Error("a dry run wrote")
	}
}

// TestImportSwappedInside: where a district lies so that swapped
// coordinates still look like coordinates, PostGIS names the swap.
func TestImportSwappedInside(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	if _, err := e.sql.Exec(t.Context(), `INSERT INTO areas (kind, name, geom)
		VALUES ('district', 'test', ST_Multi(ST_MakeEnvelope(10, 20, 11, 21, 4326)))`); err != nil {
		t.Fatal(err)
	}
	tok := e.staff()[maint.RoleEngineer]
	file := "code,kind,name,lon,lat,cover_category\n2201060103000001,manhole,井,20.5,10.5,0103\n2201060103000002,manhole,井,10.5,20.5,0103\n"
	status, _, p := e.postImport(tok, "?format=csv", "", []byte(file))
	if status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "line 2: lon/lat" || !strings.Contains(p.Errors[0].Message, "swapped it lies inside") {
		t.Errorf("import: %d %+v", status, p.Errors)
	}
}

// TestImportRequests: who may import, and requests that are refused
// before a row is read.
func TestImportRequests(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()
	file := []byte("code,kind,name,lon,lat,cover_category\n2201060103000001,manhole,井,125.27,43.88,0103\n")
	cases := []struct {
		name, token, query, contentType string
		file                            []byte
		status                          int
	}{
		{"anonymous", "", "", "text/csv", file, 401},
		{"inspector", tok[maint.RoleInspector], "", "text/csv", file, 403},
		{"engineer, dry", tok[maint.RoleEngineer], "?dry_run=true", "text/csv", file, 200},
		{"admin, dry", tok[maint.RoleAdmin], "?dry_run=true", "application/vnd.ms-excel", file, 200},
		{"no content type", tok[maint.RoleEngineer], "", "", file, 415},
		{"CSV sent as KML", tok[maint.RoleEngineer], "?format=kml", "", file, 400},
		{"CSV sent as a shapefile", tok[maint.RoleEngineer], "?format=shp", "", file, 400},
		{"unknown format", tok[maint.RoleEngineer], "?format=dwg", "", file, 400},
		{"bad dry_run", tok[maint.RoleEngineer], "?dry_run=maybe", "text/csv", file, 400},
		{"unknown parameter", tok[maint.RoleEngineer], "?mode=fast", "text/csv", file, 400},
		{"no header", tok[maint.RoleEngineer], "", "text/csv", nil, 400},
		{"CSV sent as GeoJSON", tok[maint.RoleEngineer], "", "application/geo+json", file, 400},
		{"engineer", tok[maint.RoleEngineer], "", "text/csv", file, 200},
	}
	for _, c := range cases {
		status, _, p := e.postImport(c.token, c.query, c.contentType, c.file)
		if status != c.status {
			t.Errorf("%s: %d, want %d (%s)", c.name, status, c.status, p.Detail)
		}
	}
	if n := e.count(`SELECT count(*) FROM assets`); n != 1 {
		t.Errorf("%d assets, want the engineer's one", n)
	}
	// A file announced as larger than 200 MB is refused before it is sent.
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n",
		tok[maint.RoleEngineer], 201<<20)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || res.StatusCode != 413 {
		t.Errorf("a 201 MB file: %v %v", res, err)
	}
}

// TestImportOutlivesTheDeadline: imports escape the request deadline and
// the default body limit of other requests (the district is over 1 MiB).
func TestImportOutlivesTheDeadline(t *testing.T) {
	src := newEnv(t, pgtest.District)
	e := newEnvConfig(t, pgtest.Empty, httpapi.Config{BcryptCost: 4, RequestTimeout: 150 * time.Millisecond, MaxBodyBytes: 64 << 10})
	tok := e.staff()[maint.RoleEngineer]
	file := src.export(t, "geojson", "")
	start := time.Now()
	ans := e.importOK(tok, "", "geojson", file)
	t.Logf("imported %d assets (%d bytes) in %s", ans.Rows, len(file), time.Since(start))
	if ans.Created != 2446 {
		t.Errorf("import: %+v", ans)
	}
}
