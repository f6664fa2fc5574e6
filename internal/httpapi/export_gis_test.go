package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"inframap/internal/exchange"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// writeTemp writes b to a file named name in a temporary folder.
func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// unzipTo unpacks a zip archive into a temporary folder.
func unzipTo(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the shapefile export is not a zip: %v", err)
	}
	dir := t.TempDir()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		os.WriteFile(filepath.Join(dir, filepath.Base(f.Name)), buf.Bytes(), 0o600)
	}
	return dir
}

var featureCount = regexp.MustCompile(`Feature Count: (\d+)`)

// layerCount is the feature count ogrinfo gives a layer.
func layerCount(t *testing.T, src, layer string) int {
	t.Helper()
	m := featureCount.FindStringSubmatch(gdal(t, "ogrinfo", "-ro", "-so", src, layer))
	if m == nil {
		t.Fatalf("ogrinfo %s %s: no feature count", src, layer)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestExportGeoPackage reads the whole district's GeoPackage with ogrinfo:
// a layer per kind with the stored count, WGS84 or CGCS2000 as asked, and
// the Chinese names.
func TestExportGeoPackage(t *testing.T) {
	e := newEnv(t, pgtest.District)
	for _, crs := range []string{"", "EPSG:4490"} {
		path := writeTemp(t, "d.gpkg", e.export(t, "gpkg&crs="+crs, ""))
		for _, kind := range maint.Kinds {
			want := e.count(`SELECT count(*) FROM assets WHERE kind = $1`, string(kind))
			if got := layerCount(t, path, string(kind)); got != want {
				t.Errorf("crs %q: layer %s has %d features, want %d", crs, kind, got, want)
			}
		}
		info := gdal(t, "ogrinfo", "-ro", "-so", path, "manhole")
		wantCRS := `ID["EPSG",4326]]`
		if crs != "" {
			wantCRS = `ID["EPSG",4490]]`
		}
		if !strings.Contains(info, wantCRS) {
			t.Errorf("crs %q: the GeoPackage's system is not %s:\n%s", crs, wantCRS, info)
		}
		var code, name string
		e.sql.QueryRow(t.Context(), `SELECT code, name FROM assets WHERE kind = 'parking_lot' ORDER BY id LIMIT 1`).Scan(&code, &name)
		out := gdal(t, "ogrinfo", "-ro", "-q", path, "parking_lot", "-where", "code = '"+code+"'")
		if !strings.Contains(out, "name (String) = "+name) {
			t.Errorf("crs %q: lot %s does not read back with its name %s:\n%s", crs, code, name, out)
		}
	}
}

// TestExportShapefile exports the manholes as a zipped shapefile in the
// Gauss–Krüger zone of 126°E with GBK text: the .cpg names the code page,
// the .dbf holds GBK bytes, ogrinfo reads the names and the system, and
// each point is within 5 cm of GDAL's own transform of ours.
func TestExportShapefile(t *testing.T) {
	e := newEnv(t, pgtest.District)
	dir := unzipTo(t, e.export(t, "shp&encoding=GBK&crs=EPSG:4551", "manhole"))
	cpg, err := os.ReadFile(filepath.Join(dir, "manhole_point.cpg"))
	if err != nil || strings.TrimSpace(string(cpg)) != "CP936" {
		t.Errorf(".cpg: %q %v, want CP936", cpg, err)
	}
	var code, name string
	var lon, lat float64
	e.sql.QueryRow(t.Context(), `SELECT code, name, ST_X(geom), ST_Y(geom) FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&code, &name, &lon, &lat)
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(name)
	dbf, _ := os.ReadFile(filepath.Join(dir, "manhole_point.dbf"))
	if !bytes.Contains(dbf, []byte(gbk)) || bytes.Contains(dbf, []byte(name)) {
		t.Errorf("the .dbf does not hold %s in GBK", name)
	}
	shp := filepath.Join(dir, "manhole_point.shp")
	if got, want := layerCount(t, shp, "manhole_point"), e.count(`SELECT count(*) FROM assets WHERE kind = 'manhole'`); got != want {
		t.Errorf("%d manholes in the shapefile, want %d", got, want)
	}
	info := gdal(t, "ogrinfo", "-ro", "-so", shp, "manhole_point")
	if !strings.Contains(info, "CGCS2000 / 3-degree Gauss-Kruger CM 126E") || !strings.Contains(info, "cover_cat: String") {
		t.Errorf("ogrinfo of the shapefile:\n%s", info)
	}
	out := gdal(t, "ogrinfo", "-ro", "-q", shp, "manhole_point", "-where", "code = '"+code+"'")
	if !strings.Contains(out, "name (String) = "+name) {
		t.Errorf("manhole %s does not read back with its name %s:\n%s", code, name, out)
	}
	m := regexp.MustCompile(`POINT \(([-\d.]+) ([-\d.]+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no point in:\n%s", out)
	}
	x, _ := strconv.ParseFloat(m[1], 64)
	y, _ := strconv.ParseFloat(m[2], 64)
	// GDAL (PROJ) transforms the stored WGS84 point itself.
	cmd := exec.CommandContext(t.Context(), "gdaltransform", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4551", "-output_xy")
	cmd.Stdin = strings.NewReader(fmt.Sprintf("%.9f %.9f\n", lon, lat)) // gdaltransform takes x y: lon lat for traditional GIS order
	ref, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var rx, ry float64
	fmt.Sscan(string(ref), &rx, &ry)
	if d := math.Hypot(x-rx, y-ry); d > 0.05 || rx < 400000 || rx > 500000 {
		t.Errorf("manhole %s at %.3f %.3f in EPSG:4551, PROJ says %.3f %.3f: %.3f m apart", code, x, y, rx, ry, d)
	}
}

// TestExportShapefileLayers: a kind of mixed geometry types is a shapefile
// per type; UTF-8 is the default encoding; bad parameters are 400s.
func TestExportShapefileLayers(t *testing.T) {
	e := newEnv(t, pgtest.District)
	dir := unzipTo(t, e.export(t, "shp", ""))
	total := 0
	entries, _ := os.ReadDir(dir)
	for _, f := range entries {
		if name, ok := strings.CutSuffix(f.Name(), ".shp"); ok {
			total += layerCount(t, filepath.Join(dir, f.Name()), name)
			if cpg, _ := os.ReadFile(filepath.Join(dir, name+".cpg")); strings.TrimSpace(string(cpg)) != "UTF-8" {
				t.Errorf("%s.cpg: %q, want UTF-8", name, cpg)
			}
		}
	}
	if want := e.count(`SELECT count(*) FROM assets`); total != want {
		t.Errorf("%d features in the shapefiles, want %d", total, want)
	}
	for _, q := range []string{"shp&encoding=latin1", "geojson&crs=EPSG:4551", "gpkg&crs=EPSG:3857", "csv&encoding=GBK"} {
		if res, body := e.fetch("/api/v1/export?format=" + q); res.StatusCode != 400 {
			t.Errorf("format=%s: %d %s, want 400", q, res.StatusCode, body)
		}
	}
}

// TestExportXLSX reads the .xlsx export back with excelize (Chinese
// headers, every asset, the names) and imports it into an empty database:
// the same assets.
func TestExportXLSX(t *testing.T) {
	src := newEnv(t, pgtest.District)
	file := src.export(t, "xlsx", "")
	f, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("资产")
	if err != nil {
		t.Fatal(err)
	}
	if want := src.count(`SELECT count(*) FROM assets`); len(rows) != want+1 {
		t.Errorf("%d rows, want a header and %d", len(rows), want)
	}
	if h := strings.Join(rows[0][:4], ","); h != "编号,资产类型,名称,英文名称" {
		t.Errorf("header %s", h)
	}
	var name string
	src.sql.QueryRow(t.Context(), `SELECT name FROM assets WHERE code = $1`, rows[1][0]).Scan(&name)
	if rows[1][2] != name || name == "" {
		t.Errorf("row 2: name %q, stored %q", rows[1][2], name)
	}
	dst := newEnv(t, pgtest.Empty)
	copyAreas(t, src, dst)
	all := src.stored(t, "")
	status, ans, p := dst.postImport(dst.staff()[maint.RoleEngineer], "?format=xlsx", "", file)
	if status != 200 || ans.Created != len(all) {
		t.Fatalf("import the .xlsx export: %d %+v %s %+v", status, ans, p.Detail, p.Errors[:min(5, len(p.Errors))])
	}
	sameAssets(t, "xlsx", all, dst, "")
}

// TestImportXLSXMapped builds a register as a district keeps it — Chinese
// headers, 经度/纬度, cover types by name — with excelize, and imports it
// with a mapping file: within 5 cm and with the same text.
func TestImportXLSXMapped(t *testing.T) {
	src := newEnv(t, pgtest.District)
	dst := newEnv(t, pgtest.Empty)
	copyAreas(t, src, dst)
	tok := dst.staff()[maint.RoleEngineer]
	type manhole struct {
		code, name, cover, road string
		lon, lat                float64
		attrs                   map[string]any
	}
	rows, err := src.sql.Query(t.Context(), `SELECT code, name, attrs->>'cover_category', attrs->>'road', ST_X(geom), ST_Y(geom)
		FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 50`)
	if err != nil {
		t.Fatal(err)
	}
	var ms []manhole
	for rows.Next() {
		var m manhole
		rows.Scan(&m.code, &m.name, &m.cover, &m.road, &m.lon, &m.lat)
		ms = append(ms, m)
	}
	rows.Close()
	names := map[string]string{}
	for _, c := range maint.CoverCategories {
		names[c.Code] = c.Name
	}
	stored := src.stored(t, "manhole")
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"编号", "名称", "经度", "纬度", "井盖类型", "道路名称", "承载等级", "病害类型", "病害等级", "备注"})
	for i, m := range ms {
		a := stored[m.code].Attrs
		f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &[]any{m.code, m.name, m.lon, m.lat, names[m.cover], m.road,
			a["load_class"], a["defect_type"], a["defect_grade"], ""})
	}
	var b bytes.Buffer
	f.Write(&b)

	// Without a mapping: there is no kind; with only the kind, the cover
	// names are not codes, and the answer proposes them.
	status, _, _ := dst.postImport(tok, "?dry_run=true&format=xlsx", "", b.Bytes())
	if status != 400 {
		t.Fatalf("a register without kinds: %d, want 400", status)
	}
	status, prop := proposal(t, dst, tok, "?dry_run=true&format=xlsx&mapping="+url.QueryEscape("kind: manhole"), b.Bytes())
	for _, m := range ms {
		if status != 422 || prop.Values["cover_category"][names[m.cover]] != m.cover {
			t.Fatalf("kind only: %d, proposal %+v lacks %s → %s", status, prop, names[m.cover], m.cover)
		}
	}
	mapping := `kind: manhole
fields: {编号: code, 名称: name, 井盖类型: cover_category, 备注: ""}
values:
  cover_category: {污水: "0102", 雨水: "0103", 电力: "0105"`
	for code, name := range names {
		if code != "0102" && code != "0103" && code != "0105" {
			mapping += fmt.Sprintf(", %s: %q", name, code)
		}
	}
	mapping += "}\n"
	ans := dst.importOK(tok, "?format=xlsx&mapping="+url.QueryEscape(mapping), "", b.Bytes())
	if ans.Created != len(ms) {
		t.Fatalf("import with a mapping: %+v", ans)
	}
	got := dst.stored(t, "manhole")
	for _, m := range ms {
		g := got[m.code]
		if g.Name != m.name || g.Attrs["cover_category"] != m.cover || g.Attrs["road"] != m.road {
			t.Errorf("manhole %s: %+v, want %s %s %s", m.code, g, m.name, m.cover, m.road)
		}
		var d float64
		dst.sql.QueryRow(t.Context(), `SELECT ST_Distance(geom::geography, ST_MakePoint($2, $3)::geography) FROM assets WHERE code = $1`,
			m.code, m.lon, m.lat).Scan(&d)
		if d > 0.05 {
			t.Errorf("manhole %s is %.3f m from where it was", m.code, d)
		}
	}
}

// proposal posts a file to import and returns the status and the mapping
// the problem answer proposes.
func proposal(t *testing.T, e *env, token, query string, file []byte) (int, exchange.Mapping) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/import"+query, bytes.NewReader(file))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Proposal exchange.Mapping `json:"mapping_proposal"`
	}
	json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body.Proposal
}

// TestImportBadXLSX: a file that is not a workbook is a problem of the dry
// run, not a 500.
func TestImportBadXLSX(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()[maint.RoleEngineer]
	for name, file := range map[string][]byte{
		"not a zip":  []byte("code,kind\r\n"),
		"empty":      {},
		"a zip only": func() []byte { var b bytes.Buffer; zip.NewWriter(&b).Close(); return b.Bytes() }(),
	} {
		status, _, p := e.postImport(tok, "?dry_run=true&format=xlsx", "", file)
		if status != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "file" && !strings.Contains(p.Errors[0].Field, "line") {
			t.Errorf("%s: %d %+v, want 400 naming the file", name, status, p)
		}
	}
}

// TestImportProposesMapping: GeoJSON with a register's Chinese properties
// fails (no kind, no code) with a proposal of what they are; sent back
// with the kind, it imports.
func TestImportProposesMapping(t *testing.T) {
	src := newEnv(t, pgtest.District)
	e := newEnv(t, pgtest.Empty)
	copyAreas(t, src, e)
	tok := e.staff()[maint.RoleEngineer]
	file := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[125.272,43.882]},` +
		`"properties":{"编号":"2201060103900007","名称":"雨水井","井盖类型":"雨水","道路名称":"景阳大路"}}]}`)
	status, p := proposal(t, e, tok, "?dry_run=true&format=geojson", file)
	if status != 422 || p.Fields["编号"] != "code" || p.Fields["名称"] != "name" || p.Values["cover_category"]["雨水"] != "0103" {
		t.Fatalf("%d, proposal %+v", status, p)
	}
	p.Kind = maint.KindManhole
	b, _ := json.Marshal(p)
	if ans := e.importOK(tok, "?mapping="+url.QueryEscape(string(b)), "geojson", file); ans.Created != 1 {
		t.Errorf("with the proposal: %+v", ans)
	}
}
