package httpapi_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// registerOf reads the cover register by code: "net|day" with "" for an
// unknown value.
func (e *env) registerOf(t *testing.T) map[string]string {
	t.Helper()
	rows, err := e.sql.Query(t.Context(), `SELECT a.code, coalesce(r.anti_fall_net::text, ''), coalesce(r.last_inspected_on::text, '')
		FROM cover_register r JOIN assets a ON a.id = r.asset_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, net, day string
		if err := rows.Scan(&code, &net, &day); err != nil {
			t.Fatal(err)
		}
		out[code] = net + "|" + day
	}
	return out
}

// registerCSV is a file of covers with register columns, for the
// district's database, its lines numbered in the comments.
const registerCSV = "code,kind,name,lon,lat,cover_category,anti_fall_net,last_inspected_on,owner_unit\r\n" + // 1
	"2201060103990101,manhole,甲井,125.2712,43.8812,0103,是,2025-03-01,随便写\r\n" + // 2
	"2201060103990102,manhole,乙井,125.2713,43.8812,0103,无,,\r\n" + // 3
	"2201060103990103,manhole,丙井,125.2714,43.8812,0103,1,2024-12-31,\r\n" + // 4
	"2201060103990104,manhole,丁井,125.2715,43.8812,0103,no,,\r\n" + // 5
	"2201060103990105,manhole,戊井,125.2716,43.8812,0103,,2025-01-02,\r\n" + // 6
	"2201060103990106,manhole,己井,125.2717,43.8812,0103,,,\r\n" // 7

// TestImportCoverRegister: a cover's anti_fall_net (in any of its
// spellings) and last_inspected_on go into its register, not its
// attributes, in the import's transaction; owner_unit is read past. Each
// bad value is refused with its line and column, and nothing is written.
func TestImportCoverRegister(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()[maint.RoleEngineer]
	status, _, p := e.postImport(tok, "", "text/csv", []byte(registerCSV))
	if status != 200 {
		t.Fatalf("import: %d %+v", status, p)
	}
	want := map[string]string{
		"2201060103990101": "true|2025-03-01",
		"2201060103990102": "false|",
		"2201060103990103": "true|2024-12-31",
		"2201060103990104": "false|",
		"2201060103990105": "|2025-01-02",
	}
	got := e.registerOf(t)
	for code, w := range want {
		if got[code] != w {
			t.Errorf("register of %s: %q, want %q", code, got[code], w)
		}
	}
	if _, ok := got["2201060103990106"]; ok {
		t.Error("a cover without register values got a register row")
	}
	if n := e.count(`SELECT count(*) FROM assets WHERE code LIKE '22010601039901%' AND attrs ?| ARRAY['anti_fall_net', 'last_inspected_on', 'owner_unit']`); n != 0 {
		t.Errorf("%d covers store register columns as attributes", n)
	}
	if n := e.count(`SELECT count(*) FROM assets WHERE code LIKE '22010601039901%' AND version <> 1`); n != 0 {
		t.Errorf("%d covers created with their register are past version 1", n)
	}
	var details map[string]any
	if err := e.sql.QueryRow(t.Context(), `SELECT details FROM audit_events WHERE action = 'asset.imported'`).Scan(&details); err != nil {
		t.Fatal(err)
	}
	if details["register"] != 5.0 || details["created"] != 6.0 {
		t.Errorf("audit details %v, want 6 created and 5 registers", details)
	}

	// Again with a later inspection of one and an earlier one of another:
	// the register changes and the cover's version goes up; the earlier
	// day does not move the last inspection back.
	var version int
	e.sql.QueryRow(t.Context(), `SELECT version FROM assets WHERE code = '2201060103990101'`).Scan(&version)
	again := strings.NewReplacer("是,2025-03-01", "是,2025-04-01", "1,2024-12-31", "1,2024-01-01").Replace(registerCSV)
	ans := e.importOK(tok, "", "csv", []byte(again))
	if counts(ans) != (maint.ImportCounts{Unchanged: 6}) || ans.Register != 1 {
		t.Errorf("import again: %+v, want all unchanged and one register", ans)
	}
	got = e.registerOf(t)
	if got["2201060103990101"] != "true|2025-04-01" || got["2201060103990103"] != "true|2024-12-31" {
		t.Errorf("register after the second import: %v", got)
	}
	var v2 int
	e.sql.QueryRow(t.Context(), `SELECT version FROM assets WHERE code = '2201060103990101'`).Scan(&v2)
	if v2 != version+1 {
		t.Errorf("version %d → %d, want one up with the register", version, v2)
	}
	if ans := e.importOK(tok, "", "csv", []byte(again)); ans.Register != 0 {
		t.Errorf("the same file a third time: %+v, want no register changed", ans)
	}

	// Bad values: each named, and nothing written.
	registers := e.count(`SELECT count(*) FROM cover_register`)
	imports := e.count(`SELECT count(*) FROM audit_events WHERE action = 'asset.imported'`)
	future := time.Now().In(maint.Zone).AddDate(0, 0, 2).Format(time.DateOnly)
	bad := "code,kind,name,lon,lat,wkt,cover_category,area_m2,anti_fall_net,last_inspected_on\r\n" + // 1
		"2201060103990201,manhole,好井,125.2712,43.8812,,0103,,有,2025-01-01\r\n" + // 2 fine
		"2201060103990202,manhole,坏井,125.2713,43.8812,,0103,,也许,\r\n" + // 3 bad net
		"2201060103990203,manhole,坏井,125.2714,43.8812,,0103,,,2025/01/02\r\n" + // 4 bad day
		"2201060103990204,manhole,坏井,125.2715,43.8812,,0103,,,2025-02-30\r\n" + // 5 no such day
		"2201060103990205,manhole,坏井,125.2716,43.8812,,0103,,," + future + "\r\n" + // 6 future
		"R-REG,road_repair,路,,,\"LINESTRING(125.27 43.88,125.28 43.89)\",,100,是,\r\n" + // 7 not a cover
		"R-REG2,road_repair,路,,,\"LINESTRING(125.27 43.881,125.28 43.891)\",,100,,2025-01-01\r\n" // 8 not a cover
	status, _, p = e.postImport(tok, "", "text/csv", []byte(bad))
	wantProblems := []struct{ field, code, says string }{
		{"line 3: anti_fall_net", "register_net_value", `got "也许"`},
		{"line 4: last_inspected_on", "register_date_format", `got "2025/01/02"`},
		{"line 5: last_inspected_on", "register_date_format", `got "2025-02-30"`},
		{"line 6: last_inspected_on", "register_date_future", "in the future"},
		{"line 7: anti_fall_net", "register_only_covers", "only covers (manhole) have anti_fall_net"},
		{"line 8: last_inspected_on", "register_only_covers", "only covers (manhole) have last_inspected_on"},
	}
	if status != 422 || len(p.Errors) != len(wantProblems) {
		t.Fatalf("bad file: %d %+v", status, p.Errors)
	}
	for i, w := range wantProblems {
		g := p.Errors[i]
		if g.Field != w.field || g.ErrorCode != w.code || !strings.Contains(g.Message, w.says) || g.Line == 0 {
			t.Errorf("problem %d: %+v, want %s %s …%s…", i, g, w.field, w.code, w.says)
		}
	}
	if n := e.count(`SELECT count(*) FROM cover_register`); n != registers {
		t.Errorf("a refused file wrote registers: %d → %d", registers, n)
	}
	if n := e.count(`SELECT count(*) FROM assets WHERE code LIKE '22010601039902%'`) + e.count(`SELECT count(*) FROM audit_events WHERE action = 'asset.imported'`) - imports; n != 0 {
		t.Errorf("a refused file wrote %d assets or audit rows", n)
	}
	// As GeoJSON: a boolean and a number are read as such; a string that
	// is no answer is named by its member.
	geo := `{"type":"FeatureCollection","features":[
		{"type":"Feature","geometry":{"type":"Point","coordinates":[125.2712,43.8812]},"properties":{"code":"2201060103990301","kind":"manhole","name":"井","cover_category":"0103","anti_fall_net":false,"last_inspected_on":"2025-05-05"}},
		{"type":"Feature","geometry":{"type":"Point","coordinates":[125.2713,43.8812]},"properties":{"code":"2201060103990302","kind":"manhole","name":"井","cover_category":"0103","anti_fall_net":2}}]}`
	status, _, p = e.postImport(tok, "", "application/geo+json", []byte(geo))
	if status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "feature 2: properties.anti_fall_net" || p.Errors[0].ErrorCode != "register_net_value" {
		t.Errorf("GeoJSON: %d %+v", status, p.Errors)
	}
	geo = strings.Replace(geo, `"anti_fall_net":2`, `"anti_fall_net":1`, 1)
	e.importOK(tok, "", "geojson", []byte(geo))
	got = e.registerOf(t)
	if got["2201060103990301"] != "false|2025-05-05" || got["2201060103990302"] != "true|" {
		t.Errorf("GeoJSON registers: %v", got)
	}
}

// TestCoverRegisterRoundTrip: the covers of the district with registers,
// exported in each format (CSV, GeoJSON, .xlsx, GeoPackage, shapefiles,
// KML) and imported into an empty district, have the same registers there.
func TestCoverRegisterRoundTrip(t *testing.T) {
	src := newEnv(t, pgtest.District)
	if _, err := src.sql.Exec(t.Context(), `INSERT INTO cover_register (asset_id, anti_fall_net, last_inspected_on)
		SELECT id, CASE id % 3 WHEN 0 THEN true WHEN 1 THEN false END, CASE WHEN id % 2 = 0 THEN DATE '2025-06-01' - (id % 100)::int END
		FROM assets WHERE kind = 'manhole' AND id % 5 <> 0
		ON CONFLICT (asset_id) DO UPDATE SET anti_fall_net = EXCLUDED.anti_fall_net, last_inspected_on = EXCLUDED.last_inspected_on`); err != nil {
		t.Fatal(err)
	}
	// A register of nothing known is none at all in a file.
	if _, err := src.sql.Exec(t.Context(), `DELETE FROM cover_register WHERE anti_fall_net IS NULL AND last_inspected_on IS NULL`); err != nil {
		t.Fatal(err)
	}
	want := src.registerOf(t)
	if len(want) < 10 {
		t.Fatalf("only %d registers to carry", len(want))
	}
	for _, format := range []string{"csv", "geojson", "xlsx", "gpkg", "shp", "kml"} {
		t.Run(format, func(t *testing.T) {
			file := src.export(t, format, "manhole")
			if (format == "csv" || format == "geojson") && (!strings.Contains(string(file), "owner_unit") || !strings.Contains(string(file), "anti_fall_net")) {
				t.Errorf("the %s export has no register columns", format)
			}
			dst := newEnv(t, pgtest.Empty)
			copyAreas(t, src, dst)
			// A workbook heads them 责任单位, 防坠网, 最近巡查日期.
			if status, _, p := dst.postImport(dst.staff()[maint.RoleEngineer], "?format="+format, "", file); status != 200 {
				t.Fatalf("import %s: %d %s %+v", format, status, p.Detail, p.Errors)
			}
			if diff := cmp.Diff(want, dst.registerOf(t)); diff != "" {
				t.Errorf("registers after the round trip (-exported +imported):\n%s", diff)
			}
			if n := dst.count(`SELECT count(*) FROM assets WHERE attrs ?| ARRAY['anti_fall_net', 'last_inspected_on', 'owner_unit']`); n != 0 {
				t.Errorf("%d assets store register columns as attributes", n)
			}
		})
	}
}

// TestOGCCoverRegister: a cover's feature carries its register (owner_unit
// always for a known category, the others once known), queryable in the
// manhole collection; other kinds carry none, and a write cannot set it.
func TestOGCCoverRegister(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var netless, netted, plain, road int64
	if err := e.sql.QueryRow(t.Context(), `SELECT
		(SELECT id FROM assets WHERE kind = 'manhole' AND attrs->>'cover_category' = '0103' ORDER BY id LIMIT 1),
		(SELECT id FROM assets WHERE kind = 'manhole' AND attrs->>'cover_category' = '0103' ORDER BY id LIMIT 1 OFFSET 1),
		(SELECT id FROM assets WHERE kind = 'manhole' AND attrs->>'cover_category' = '0103' ORDER BY id LIMIT 1 OFFSET 2),
		(SELECT id FROM assets WHERE kind = 'road_repair' ORDER BY id LIMIT 1)`).Scan(&netless, &netted, &plain, &road); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sql.Exec(t.Context(), `DELETE FROM cover_register; INSERT INTO cover_register (asset_id, anti_fall_net, last_inspected_on) VALUES
		(`+itoa(netless)+`, false, '2025-03-01'), (`+itoa(netted)+`, true, NULL)`); err != nil {
		t.Fatal(err)
	}
	var f ogcFeature
	e.decode(t, "/ogc/collections/manhole/items/"+itoa(netless), &f)
	if f.Properties["owner_unit"] != "排水公司" || f.Properties["anti_fall_net"] != false || f.Properties["last_inspected_on"] != "2025-03-01" {
		t.Errorf("netless cover: %v", f.Properties)
	}
	f.Properties = nil
	e.decode(t, "/ogc/collections/manhole/items/"+itoa(plain), &f)
	if _, has := f.Properties["anti_fall_net"]; has || f.Properties["owner_unit"] != "排水公司" {
		t.Errorf("a cover without a register: %v", f.Properties)
	}
	if _, has := f.Properties["last_inspected_on"]; has {
		t.Errorf("a cover without a register: %v", f.Properties)
	}
	f.Properties = nil
	e.decode(t, "/ogc/collections/road_repair/items/"+itoa(road), &f)
	for _, k := range maint.RegisterColumns {
		if _, has := f.Properties[k]; has {
			t.Errorf("a road section carries %s", k)
		}
	}
	// The REST asset too.
	var a struct {
		Properties map[string]any `json:"properties"`
	}
	e.decode(t, "/api/v1/assets/"+itoa(netted), &a)
	if a.Properties["anti_fall_net"] != true || a.Properties["owner_unit"] != "排水公司" {
		t.Errorf("REST asset: %v", a.Properties)
	}
	// Filters.
	for _, c := range []struct {
		filter string
		want   []int64
	}{
		{"anti_fall_net=false", []int64{netless}},
		{"anti_fall_net=true", []int64{netted}},
		{"last_inspected_on<'2025-04-01'", []int64{netless}},
		{"anti_fall_net IS NULL AND id=" + itoa(plain), []int64{plain}},
	} {
		fs, n := e.items(t, "/ogc/collections/manhole/items?limit=10000&filter="+url.QueryEscape(c.filter))
		var ids []int64
		for _, f := range fs {
			ids = append(ids, f.ID)
		}
		if !slices.Equal(ids, c.want) || n != len(c.want) {
			t.Errorf("filter %s: %v (%d matched), want %v", c.filter, ids, n, c.want)
		}
	}
	// Queryables: the manhole collection's, not the road sections'.
	var q struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	e.decode(t, "/ogc/collections/manhole/queryables", &q)
	if q.Properties["anti_fall_net"]["type"] != "boolean" || q.Properties["owner_unit"]["type"] != "string" || q.Properties["last_inspected_on"]["format"] != "date" {
		t.Errorf("manhole queryables: %v", q.Properties)
	}
	q.Properties = nil
	e.decode(t, "/ogc/collections/road_repair/queryables", &q)
	if _, has := q.Properties["anti_fall_net"]; has {
		t.Error("road sections list anti_fall_net among their queryables")
	}
	res, _ := e.fetch("/ogc/collections/road_repair/items?filter=" + url.QueryEscape("anti_fall_net=false"))
	if res.StatusCode != 400 {
		t.Errorf("a road filter on anti_fall_net: %d, want 400", res.StatusCode)
	}
	// A new unit for the category shows at once (SaveCoverOwner also sends
	// a change notice for covers, so that cached pages are dropped).
	var crew string
	if err := e.sql.QueryRow(t.Context(), `SELECT name FROM crews WHERE active ORDER BY name LIMIT 1`).Scan(&crew); err != nil {
		t.Fatal(err)
	}
	e.fetch("/ogc/collections/manhole/items?limit=10000")
	staff := e.staff()
	if res := e.do("PUT", "/api/v1/cover-owners/0103", staff[maint.RoleAdmin], map[string]any{"unit": "雨水管理所", "unit_en": "Stormwater office", "crew": crew}, nil, nil); res.StatusCode != 200 {
		t.Fatalf("PUT cover owner: %d", res.StatusCode)
	}
	fs, _ := e.items(t, "/ogc/collections/manhole/items?limit=10000&filter="+url.QueryEscape("id="+itoa(netless)))
	if len(fs) != 1 || fs[0].Properties["owner_unit"] != "雨水管理所" {
		t.Errorf("after the owner changed: %v", fs)
	}
	// A REST write may not set it.
	tok := staff[maint.RoleEngineer]
	var etag string
	{
		r, _ := e.fetch("/api/v1/assets/" + itoa(netless))
		etag = r.Header.Get("ETag")
	}
	res = e.do("PATCH", "/api/v1/assets/"+itoa(netless), tok, map[string]any{"type": "Feature", "properties": map[string]any{"anti_fall_net": true}},
		map[string]string{"If-Match": etag}, nil)
	if res.StatusCode != 400 {
		t.Errorf("PATCH anti_fall_net: %d, want 400", res.StatusCode)
	}
}

// decode GETs path and decodes its JSON body, whatever its JSON media type.
func (e *env) decode(t *testing.T, path string, v any) {
	t.Helper()
	res, body := e.fetch(path)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
