package httpapi_test

import (
	"encoding/csv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"inframap/internal/postgres/pgtest"
)

// GDAL is the reference client of the standards endpoints: QGIS reads OGC
// API Features and vector tiles through it. The tests need ogrinfo and
// ogr2ogr (Debian's gdal-bin, which make deps-test installs); without them
// they fail rather than skip.

func gdal(t *testing.T, name string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (apt-get install gdal-bin, or make deps-test): %v", name, err)
	}
	cmd := exec.CommandContext(t.Context(), path, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_VSIL_CURL_USE_HEAD=NO")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestGDALOAPIF opens /ogc with GDAL's OGC API Features driver, finds every
// collection, and copies all manholes into a GeoPackage with no loss of
// count or position.
func TestGDALOAPIF(t *testing.T) {
	e := newEnv(t, pgtest.District)
	src := "OAPIF:" + e.srv.URL + "/ogc"
	out := gdal(t, "ogrinfo", "-ro", "-q", src)
	for _, id := range []string{"road_repair", "sewer_separation", "parking_lot", "parking_space", "manhole", "capital_project"} {
		if !regexp.MustCompile(`(?m)^\d+: ` + id + ` `).MatchString(out) {
			t.Errorf("ogrinfo does not list collection %s:\n%s", id, out)
		}
	}
	summary := gdal(t, "ogrinfo", "-ro", "-so", src, "manhole")
	if !strings.Contains(summary, "Feature Count: 1300") {
		t.Errorf("ogrinfo -so manhole:\n%s", summary)
	}

	dir := t.TempDir()
	gpkg := filepath.Join(dir, "manholes.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", gpkg, src, "manhole")
	// Read the GeoPackage back through GDAL as CSV with X and Y columns.
	csvPath := filepath.Join(dir, "manholes.csv")
	gdal(t, "ogr2ogr", "-f", "CSV", "-lco", "GEOMETRY=AS_XY", csvPath, gpkg, "manhole")
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	got := map[string][2]float64{}
	for _, r := range rows[1:] {
		x, _ := strconv.ParseFloat(r[col["X"]], 64)
		y, _ := strconv.ParseFloat(r[col["Y"]], 64)
		got[r[col["code"]]] = [2]float64{x, y}
	}
	dbRows, err := e.sql.Query(t.Context(), `SELECT code, ST_X(geom), ST_Y(geom) FROM assets WHERE kind = 'manhole'`)
	if err != nil {
		t.Fatal(err)
	}
	defer dbRows.Close()
	n, moved := 0, 0
	for dbRows.Next() {
		var code string
		var x, y float64
		dbRows.Scan(&code, &x, &y)
		n++
		p, ok := got[code]
		// Seven decimals of a degree: within 1e-7 (about a centimetre).
		if !ok || math.Abs(p[0]-x) > 1e-7 || math.Abs(p[1]-y) > 1e-7 {
			moved++
			if moved < 5 {
				t.Errorf("manhole %s: GeoPackage has %v (found %v), the database (%v %v)", code, p, ok, x, y)
			}
		}
	}
	if n != 1300 || len(got) != n || moved > 0 {
		t.Errorf("the database has %d manholes, the GeoPackage %d; %d missing or moved", n, len(got), moved)
	}
}

// TestGDALReadsTile downloads the z14 tile over Jingyang Square and reads it
// with GDAL's MVT driver: each kind's layer has the features PostGIS finds
// in the tile and its buffer.
func TestGDALReadsTile(t *testing.T) {
	e := newEnv(t, pgtest.District)
	for _, layer := range []string{"manhole", "all"} {
		res, body := e.fetch("/tiles/" + layer + "/" + jingyangTile + ".mvt")
		if res.StatusCode != 200 || len(body) == 0 {
			t.Fatalf("%s: %d, %d bytes", layer, res.StatusCode, len(body))
		}
		// GDAL georeferences a tile from its z/x/y path.
		path := filepath.Join(t.TempDir(), jingyangTile+".mvt")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		out := gdal(t, "ogrinfo", "-ro", "-al", "-so", path)
		got := map[string]int{}
		var cur string
		for _, line := range strings.Split(out, "\n") {
			if s, ok := strings.CutPrefix(line, "Layer name: "); ok {
				cur = strings.TrimSpace(s)
			}
			if s, ok := strings.CutPrefix(line, "Feature Count: "); ok {
				got[cur], _ = strconv.Atoi(strings.TrimSpace(s))
			}
		}
		rows, err := e.sql.Query(t.Context(), `
			SELECT kind, count(*) FROM assets
			WHERE ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(14, 13893, 5965, margin => 64.0 / 4096))
			  AND ($1 = 'all' OR kind = $1)
			GROUP BY kind`, layer)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		for rows.Next() {
			var k string
			var n int
			rows.Scan(&k, &n)
			want[k] = n
		}
		rows.Close()
		if want["manhole"] == 0 {
			t.Fatalf("no manholes in the tile: the test tests nothing")
		}
		if len(got) != len(want) {
			t.Errorf("%s: GDAL finds layers %v, PostGIS %v", layer, got, want)
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: layer %s has %d features, PostGIS finds %d", layer, k, got[k], n)
			}
		}
		if layer == "manhole" {
			attrs := gdal(t, "ogrinfo", "-ro", "-al", "-q", path)
			for _, f := range []string{"kind (String) = manhole", "code (String) = 2201", "status (String) = ", "name (String) = ", "id (Integer"} {
				if !strings.Contains(attrs, f) {
					t.Errorf("tile features lack %q", f)
				}
			}
		}
	}
}

// TestGDALOAPIFFilter reads a filtered collection through GDAL's OGC API
// Features driver: GDAL finds cql-text in filter-lang's enum in /ogc/api,
// turns -where into a CQL2 text filter on the queryable properties it finds
// there, and the server answers the features the same SQL selects.
func TestGDALOAPIFFilter(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var sub string
	var want int
	if err := e.sql.QueryRow(t.Context(), `
		SELECT subdistrict, count(*) FROM assets
		WHERE kind = 'manhole' AND status = 'closed' AND subdistrict IS NOT NULL
		GROUP BY 1 ORDER BY 2 DESC LIMIT 1`).Scan(&sub, &want); err != nil {
		t.Fatal(err)
	}
	if want <= 7 {
		t.Fatalf("only %d closed manholes in %s: the paging below tests nothing", want, sub)
	}
	where := "status = 'closed' AND subdistrict = '" + sub + "'"
	out := gdal(t, "ogrinfo", "-ro", "-so", "--debug", "on", "-oo", "PAGE_SIZE=1000", "-where", where,
		"OAPIF:"+e.srv.URL+"/ogc", "manhole")
	if !strings.Contains(out, "Feature Count: "+strconv.Itoa(want)+"\n") {
		t.Errorf("ogrinfo -where %q: want Feature Count: %d\n%s", where, want, out)
	}
	// The filter went to the server, as CQL2 text, whole.
	if !strings.Contains(out, "filter-lang=cql-text") || strings.Contains(out, "evaluated on client side") {
		t.Errorf("GDAL did not send the filter to the server:\n%s", out)
	}
	// ogr2ogr copies the filtered features, page by page (the filter rides
	// the next links).
	gpkg := filepath.Join(t.TempDir(), "closed.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", "-where", where, "-oo", "PAGE_SIZE=7", gpkg, "OAPIF:"+e.srv.URL+"/ogc", "manhole")
	if copied := gdal(t, "ogrinfo", "-ro", "-so", gpkg, "manhole"); !strings.Contains(copied, "Feature Count: "+strconv.Itoa(want)+"\n") {
		t.Errorf("ogr2ogr -where %q: want %d features\n%s", where, want, copied)
	}
}
