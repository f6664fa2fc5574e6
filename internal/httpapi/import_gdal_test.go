package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"inframap/gis"
	"inframap/internal/httpapi"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// The files of these tests are made by GDAL's ogr2ogr from the district's
// own GeoJSON export, as a GIS engineer's tools would make them, and
// imported back into an empty database: the same assets, within 5 cm, with
// the same Chinese text.

// gdalKinds are the kinds of one geometry type each, as a shapefile needs.
var gdalKinds = []string{"road_repair", "parking_lot", "parking_space", "manhole", "capital_project"}

// exportFile writes the district's GeoJSON export to a file.
func exportFile(t *testing.T, e *env, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "district.geojson")
	if err := os.WriteFile(p, e.export(t, "geojson", strings.Join(gdalKinds, ",")), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// zipDir zips the files under dir (names relative to it).
func zipDir(t *testing.T, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// within5cm compares the imported assets with the exported ones: kind,
// names, parent and string attributes equal, geometries within 5 cm
// (Hausdorff distance in the Gauss–Krüger projection, in metres).
func within5cm(t *testing.T, what string, src map[string]stored, dst *env) {
	t.Helper()
	labelsAndPlaces(t, what, src, dst, true)
}

// labelsAndPlaces is within5cm; with full false it compares what a CAD drawing
// carries (the kind, the code, the Chinese name and the geometry) and not
// the English name, parent or attributes.
func labelsAndPlaces(t *testing.T, what string, src map[string]stored, dst *env, full bool) {
	t.Helper()
	got := dst.stored(t, "")
	if len(got) != len(src) {
		t.Errorf("%s: %d assets imported, %d exported", what, len(got), len(src))
	}
	bad := 0
	codes := make([]string, 0, len(src))
	geoms := make([][]byte, 0, len(src))
	for code, w := range src {
		codes, geoms = append(codes, code), append(geoms, w.EWKB)
		g, ok := got[code]
		if !ok {
			continue
		}
		same := g.Kind == w.Kind && g.Name == w.Name
		if full {
			same = same && g.NameEn == w.NameEn && g.ParentCode == w.ParentCode
			for k, v := range w.Attrs {
				if s, isString := v.(string); isString && g.Attrs[k] != s {
					same = false
				}
			}
		}
		if !same {
			if bad++; bad <= 3 {
				t.Errorf("%s: asset %s: imported %+v, exported %+v", what, code, g, w)
			}
		}
	}
	var far []string
	var worst float64
	err := dst.sql.QueryRow(t.Context(), `
		SELECT coalesce(array_agg(x.code) FILTER (WHERE d IS NULL OR d >= 0.05), '{}'), coalesce(max(d), 0)
		FROM unnest($1::text[], $2::bytea[]) AS x (code, wkb)
		LEFT JOIN assets a ON a.code = x.code
		CROSS JOIN LATERAL (SELECT ST_HausdorffDistance(ST_Transform(a.geom, 4551), ST_Transform(ST_GeomFromEWKB(x.wkb), 4551)) AS d) h`,
		codes, geoms).Scan(&far, &worst)
	if err != nil {
		t.Fatal(err)
	}
	if len(far) > 0 {
		t.Errorf("%s: %d geometries moved 5 cm or more, e.g. %v", what, len(far), far[:min(3, len(far))])
	}
	t.Logf("%s: %d assets, farthest vertex %.4f m away", what, len(got), worst)
}

func gdalImport(t *testing.T, src *env, src0 map[string]stored, what, query string, file []byte) {
	t.Helper()
	dst := newEnv(t, pgtest.Empty)
	copyAreas(t, src, dst)
	tok := dst.staff()[maint.RoleEngineer]
	status, ans, p := dst.postImport(tok, query+"&dry_run=true", "", file)
	if status != 200 || ans.Created != len(src0) {
		t.Fatalf("%s, dry run: %d %s %+v (%+v)", what, status, p.Detail, p.Errors[:min(5, len(p.Errors))], ans)
	}
	status, ans, p = dst.postImport(tok, query, "", file)
	if status != 200 || ans.Created != len(src0) {
		t.Fatalf("%s: %d %s %+v (%+v)", what, status, p.Detail, p.Errors[:min(5, len(p.Errors))], ans)
	}
	within5cm(t, what, src0, dst)
}

// TestImportGDALFormats: a zipped shapefile per kind in CGCS2000 Gauss–
// Krüger 126°E (EPSG:4551) with GBK text, a GeoPackage in EPSG:4490, a
// zipped File Geodatabase, and GBK shapefiles without their .cpg.
func TestImportGDALFormats(t *testing.T) {
	src := newEnv(t, pgtest.District)
	var src0 = map[string]stored{}
	for _, k := range gdalKinds {
		for code, s := range src.stored(t, k) {
			src0[code] = s
		}
	}
	dir := t.TempDir()
	geojson := exportFile(t, src, dir)

	t.Run("shapefile GK 126E GBK", func(t *testing.T) {
		shp := filepath.Join(dir, "shp")
		os.Mkdir(shp, 0o700)
		for _, k := range gdalKinds {
			gdal(t, "ogr2ogr", "-f", "ESRI Shapefile", "-t_srs", "EPSG:4551", "-lco", "ENCODING=CP936",
				"-where", "kind = '"+k+"'", filepath.Join(shp, k+".shp"), geojson)
		}
		if cpg := string(readFile(t, filepath.Join(shp, "manhole.cpg"))); !strings.Contains(cpg, "936") {
			t.Fatalf("ogr2ogr wrote a .cpg of %q", cpg)
		}
		if prj := string(readFile(t, filepath.Join(shp, "manhole.prj"))); !strings.Contains(prj, "CGCS2000") || !strings.Contains(prj, "126") {
			t.Fatalf("ogr2ogr wrote a .prj of %q", prj)
		}
		gdalImport(t, src, src0, "shapefile", "?format=shp", zipDir(t, shp))

		// Without the .cpg the text is GBK, not UTF-8, and read as GBK.
		for _, k := range gdalKinds {
			os.Remove(filepath.Join(shp, k+".cpg"))
		}
		gdalImport(t, src, src0, "shapefile without .cpg", "?format=zip", zipDir(t, shp))
	})
	t.Run("GeoPackage CGCS2000", func(t *testing.T) {
		gpkg := filepath.Join(dir, "district.gpkg")
		gdal(t, "ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:4490", gpkg, geojson)
		if info := gdal(t, "ogrinfo", "-so", "-al", gpkg); !strings.Contains(info, "CGCS2000") {
			t.Fatalf("the GeoPackage is not in CGCS2000:\n%s", info)
		}
		gdalImport(t, src, src0, "GeoPackage", "?format=gpkg", readFile(t, gpkg))
	})
	t.Run("File Geodatabase", func(t *testing.T) {
		gdb := filepath.Join(dir, "gdb")
		os.Mkdir(gdb, 0o700)
		types := map[string]string{"road_repair": "MULTILINESTRING", "manhole": "POINT"}
		for i, k := range gdalKinds {
			nlt := types[k]
			if nlt == "" {
				nlt = "MULTIPOLYGON"
			}
			args := []string{"-f", "OpenFileGDB", "-where", "kind = '" + k + "'", "-nln", k, "-nlt", nlt, filepath.Join(gdb, "district.gdb"), geojson}
			if i > 0 {
				args = append(args, "-update")
			}
			gdal(t, "ogr2ogr", args...)
		}
		gdalImport(t, src, src0, "File Geodatabase", "?format=gdb", zipDir(t, gdb))
	})
}

// TestImportGDALCRS: a shapefile in Gauss–Krüger metres without its .prj
// needs crs=, which the dry run says with the likely zone; given the
// wrong zone, the dry run names the right one; a GeoPackage digitised on
// Amap (GCJ-02) comes back with crs=gcj02.
func TestImportGDALCRS(t *testing.T) {
	src := newEnv(t, pgtest.District)
	manholes := src.stored(t, "manhole")
	dir := t.TempDir()
	geojson := exportFile(t, src, dir)
	shp := filepath.Join(dir, "shp")
	os.Mkdir(shp, 0o700)
	gdal(t, "ogr2ogr", "-f", "ESRI Shapefile", "-t_srs", "EPSG:4551", "-lco", "ENCODING=UTF-8", "-where", "kind = 'manhole'", filepath.Join(shp, "manhole.shp"), geojson)
	os.Remove(filepath.Join(shp, "manhole.prj"))
	file := zipDir(t, shp)

	e := newEnv(t, pgtest.Empty)
	copyAreas(t, src, e)
	tok := e.staff()[maint.RoleEngineer]
	status, _, p := e.postImport(tok, "?format=shp&dry_run=true", "", file)
	if status != 422 || len(p.Errors) != 1 || p.Errors[0].Layer != "manhole" || !strings.Contains(p.Errors[0].Message, "EPSG:4551") {
		t.Errorf("no .prj: %d %+v", status, p.Errors)
	}
	status, _, p = e.postImport(tok, "?format=shp&dry_run=true&crs=EPSG:4552", "", file)
	if status != 422 || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "crs=EPSG:4551") {
		t.Errorf("wrong zone: %d %+v", status, p.Errors)
	}
	gdalImport(t, src, manholes, "no .prj, crs=EPSG:4551", "?format=shp&crs=EPSG:4551", file)

	// Latitude written first, in a GeoPackage that says WGS84.
	swappedJSON := filepath.Join(dir, "swapped.geojson")
	fc := gdal(t, "ogr2ogr", "-f", "GeoJSON", "/vsistdout/", "-where", "kind = 'manhole'", geojson)
	if err := os.WriteFile(swappedJSON, []byte(movePoints(t, fc, func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} })), 0o600); err != nil {
		t.Fatal(err)
	}
	swapped := filepath.Join(dir, "swapped.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", "-a_srs", "EPSG:4326", swapped, swappedJSON)
	status, _, p = e.postImport(tok, "?format=gpkg&dry_run=true", "", readFile(t, swapped))
	if status != 422 || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "swapped") {
		t.Errorf("swapped: %d %+v", status, p.Errors)
	}

	// GCJ-02: the coordinates as Amap shows them, in a GeoPackage.
	gcj := filepath.Join(dir, "gcj.geojson")
	shifted := gdal(t, "ogr2ogr", "-f", "GeoJSON", "/vsistdout/", "-where", "kind = 'manhole'", geojson)
	if err := os.WriteFile(gcj, []byte(movePoints(t, shifted, gis.WGS84ToGCJ02)), 0o600); err != nil {
		t.Fatal(err)
	}
	gpkg := filepath.Join(dir, "gcj.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", "-a_srs", "EPSG:4326", gpkg, gcj)
	gdalImport(t, src, manholes, "GCJ-02", "?format=gpkg&crs=gcj02", readFile(t, gpkg))
}

// TestImportGDALBadFiles: a bad file of each kind is a problem, not a 500.
func TestImportGDALBadFiles(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()[maint.RoleEngineer]
	dir := t.TempDir()
	// A shapefile cut short, a .dbf missing.
	os.WriteFile(filepath.Join(dir, "a.shp"), []byte("not a shapefile at all"), 0o600)
	cut := zipDir(t, dir)
	cases := []struct {
		name, query string
		file        []byte
		status      int
	}{
		{"shapefile not zipped", "?format=shp", []byte("garbage"), 400},
		{"shapefile without .dbf", "?format=shp", cut, 400},
		{"GeoPackage", "?format=gpkg", []byte("SQLite format 3\x00 but not really"), 400},
		{"geodatabase", "?format=gdb", zipOf(t, map[string]string{"x.gdb/a00000001.gdbtable": "junk"}), 400},
		{"KML", "?format=kml", []byte("<kml><Document><Placemark>"), 400},
		{"DXF", "?format=dxf", []byte("0\nSECTION\n2\nENTITIES\n0\nPOINT\n"), 400},
		{"GML", "?format=gml", []byte("<gml:FeatureCollection"), 400},
		{"empty zip", "?format=zip", zipOf(t, map[string]string{"readme.txt": "hello"}), 400},
		{"zip slip", "?format=shp", zipOf(t, map[string]string{"../../etc/evil.shp": "x"}), 400},
		{"absolute entry", "?format=shp", zipOf(t, map[string]string{"/tmp/evil.shp": "x"}), 400},
		{"bad crs", "?format=gpkg&crs=EPSG:abc", []byte("x"), 400},
	}
	for _, c := range cases {
		status, _, p := e.postImport(tok, c.query+"&dry_run=true", "", c.file)
		if status != c.status {
			t.Errorf("%s: %d (want %d) %s %+v", c.name, status, c.status, p.Detail, p.Errors)
		}
		if status >= 500 {
			t.Errorf("%s: %d", c.name, status)
		}
	}
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	zw.Close()
	return b.Bytes()
}

// TestImportArchiveLimits: too many entries, or more unpacked bytes than
// the limit, refused before anything is unpacked.
func TestImportArchiveLimits(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()[maint.RoleEngineer]
	many := map[string]string{}
	for i := range 10001 {
		many["f/"+strings.Repeat("a", 1+i%7)+string(rune('a'+i%26))+strconv.Itoa(i)] = ""
	}
	status, _, p := e.postImport(tok, "?format=zip&dry_run=true", "", zipOf(t, many))
	if status != 400 || !strings.Contains(p.Errors[0].Message, "entries") {
		t.Errorf("10,001 entries: %d %+v", status, p.Errors)
	}
	// A zip bomb: 3 GB of zeros compress to a few MB.
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("bomb.dxf")
	zero := make([]byte, 1<<20)
	for range 3 << 10 {
		w.Write(zero)
	}
	zw.Close()
	for _, f := range []string{"zip", "kmz"} { // GDAL reads a KMZ itself, after the check
		status, _, p = e.postImport(tok, "?format="+f+"&dry_run=true", "", b.Bytes())
		if status != 400 || !strings.Contains(p.Errors[0].Message, "MB") {
			t.Errorf("a zip bomb as %s: %d %+v", f, status, p.Errors)
		}
	}
}

// movePoints moves the points of a GeoJSON FeatureCollection: onto
// GCJ-02, as a point digitised on Amap is; or swaps their axes.
func movePoints(t *testing.T, fc string, move func(orb.Point) orb.Point) string {
	t.Helper()
	var c struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}
	if err := json.Unmarshal([]byte(fc), &c); err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Features {
		xy := f["geometry"].(map[string]any)["coordinates"].([]any)
		g := move(orb.Point{xy[0].(float64), xy[1].(float64)})
		xy[0], xy[1] = g[0], g[1]
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// TestImportWithoutGDAL: where GDAL is not installed, the problem names
// the package to install.
func TestImportWithoutGDAL(t *testing.T) {
	e := newEnvConfig(t, pgtest.Empty, httpapi.Config{BcryptCost: 4, GDALBin: t.TempDir()})
	tok := e.staff()[maint.RoleEngineer]
	status, _, p := e.postImport(tok, "?format=gpkg", "", []byte("x"))
	if status != 503 || !strings.Contains(p.Detail, "gdal-bin") {
		t.Errorf("without GDAL: %d %s", status, p.Detail)
	}
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Fatal("the other tests need ogr2ogr (apt-get install gdal-bin)")
	}
}

// TestImportGDALKMLAndDXF: the district's own KML export imports back
// through GDAL. A CAD drawing made from our data by ogr2ogr — each manhole
// a label "code name" at its place, on the layer "manhole", Chinese text as
// DXF writes it — imports back to the same manholes within 5 cm with the
// same names (the cover category from the code; CAD keeps no other
// attribute). A drawing of bare points, without labels, is a problem of
// each feature, not a failure of the request.
func TestImportGDALKMLAndDXF(t *testing.T) {
	src := newEnv(t, pgtest.District)
	manholes := src.stored(t, "manhole")
	kml := src.export(t, "kml", "manhole")
	gdalImport(t, src, manholes, "KML", "?format=kml", kml)

	dir := t.TempDir()
	geojson := exportFile(t, src, dir)
	labelled := filepath.Join(dir, "labelled.dxf")
	gdal(t, "ogr2ogr", "-f", "DXF", labelled, geojson, "-dialect", "sqlite", "-sql",
		`SELECT geometry, kind AS Layer, 'LABEL(f:"Arial",t:"' || code || ' ' || name || '")' AS OGR_STYLE FROM lvyuan_assets WHERE kind = 'manhole'`)
	if raw := string(readFile(t, labelled)); !strings.Contains(raw, `\U+`) || !strings.Contains(raw, "MTEXT") {
		t.Fatalf("ogr2ogr wrote no labels with Chinese text as DXF escapes")
	}
	e := newEnv(t, pgtest.Empty)
	copyAreas(t, src, e)
	tok := e.staff()[maint.RoleEngineer]
	status, ans, p := e.postImport(tok, "?format=dxf", "", readFile(t, labelled))
	if status != 200 || ans.Created != len(manholes) {
		t.Fatalf("labelled DXF: %d %s %+v (%+v)", status, p.Detail, p.Errors[:min(5, len(p.Errors))], ans)
	}
	labelsAndPlaces(t, "DXF labels", manholes, e, false)

	bare := filepath.Join(dir, "bare.dxf")
	gdal(t, "ogr2ogr", "-f", "DXF", "-where", "kind = 'manhole'", bare, geojson)
	e2 := newEnv(t, pgtest.Empty)
	copyAreas(t, src, e2)
	status, _, p = e2.postImport(e2.staff()[maint.RoleEngineer], "?format=dxf&dry_run=true", "", readFile(t, bare))
	if status != 422 || p.ErrorCount < 1300 || p.Errors[0].Layer != "entities" || p.Errors[0].Feature != 1 {
		t.Errorf("DXF without labels: %d %s %+v", status, p.Detail, p.Errors[:min(3, len(p.Errors))])
	}
}

// TestImportCSVInGCJ02: a CSV of manholes digitised on Amap (GCJ-02 lon/lat)
// and one on Baidu (BD-09) come back within 5 cm with crs=gcj02 and
// crs=bd09.
func TestImportCSVInGCJ02(t *testing.T) {
	src := newEnv(t, pgtest.District)
	manholes := src.stored(t, "manhole")
	file := src.export(t, "csv", "manhole")
	for _, c := range []struct {
		crs   string
		shift func(orb.Point) orb.Point
	}{
		{"gcj02", gis.WGS84ToGCJ02},
		{"bd09", func(p orb.Point) orb.Point { return gis.GCJ02ToBD09(gis.WGS84ToGCJ02(p)) }},
	} {
		shifted := editCSV(t, file, func(i int, row []string, col map[string]int) []string {
			if i == 0 {
				return row
			}
			lon, _ := strconv.ParseFloat(row[col["lon"]], 64)
			lat, _ := strconv.ParseFloat(row[col["lat"]], 64)
			p := c.shift(orb.Point{lon, lat})
			row[col["lon"]], row[col["lat"]] = strconv.FormatFloat(p[0], 'f', 8, 64), strconv.FormatFloat(p[1], 'f', 8, 64)
			row[col["wkt"]] = ""
			return row
		})
		gdalImport(t, src, manholes, "CSV in "+c.crs, "?format=csv&crs="+c.crs, shifted)
	}
}
