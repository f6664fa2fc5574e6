package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"inframap/internal/postgres/pgtest"
)

// TestImportCommand exports the district to files and imports them into
// an empty database with `inframap import`: a dry run first, then for
// real, then again (nothing changes); a file with problems lists them and
// imports nothing. The progress bar goes to standard error.
func TestImportCommand(t *testing.T) {
	ctx := context.Background()
	srcURL := pgtest.NewURL(t, pgtest.District)
	dstURL := pgtest.NewURL(t, pgtest.Empty)
	dir := t.TempDir()
	inframap := func(url string, args ...string) (string, string, error) {
		getenv := func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"inframap"}, args...), getenv, strings.NewReader(""), &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}
	files := map[string]string{}
	for _, format := range []string{"csv", "geojson"} {
		files[format] = filepath.Join(dir, "lvyuan."+format)
		if _, stderr, err := inframap(srcURL, "export", "-format", format, "-o", files[format]); err != nil {
			t.Fatalf("export %s: %v\n%s", format, err, stderr)
		}
	}
	// A GeoPackage in CGCS2000 made by GDAL from the GeoJSON export.
	files["gpkg"] = filepath.Join(dir, "lvyuan.gpkg")
	if out, err := exec.Command("ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:4490", files["gpkg"], files["geojson"]).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr (apt-get install gdal-bin): %v\n%s", err, out)
	}
	dst := pgtest.Conn(t, dstURL)
	count := func() int {
		var n int
		if err := dst.QueryRow(ctx, "SELECT count(*) FROM assets").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	steps := []struct {
		args    []string
		stdout  string
		written int
	}{
		{[]string{"import", "-dry-run", files["csv"]}, files["csv"] + ": 2446 rows checked in", 0},
		{[]string{"import", files["csv"]}, "2446 rows imported in", 2446},
		{[]string{"import", files["geojson"]}, ": 0 created, 0 updated, 2446 unchanged", 2446},
		{[]string{"import", "-dry-run", "-crs", "EPSG:4490", files["gpkg"]}, ": 0 created, 0 updated, 2446 unchanged", 2446},
	}
	for _, s := range steps {
		stdout, stderr, err := inframap(dstURL, s.args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", s.args, err, stderr)
		}
		t.Logf("%v:\n%s%q", s.args, stdout, stderr)
		if !strings.Contains(stdout, s.stdout) || !strings.Contains(stdout, "manhole") {
			t.Errorf("%v: stdout %q, want …%s…", s.args, stdout, s.stdout)
		}
		// The bar shows the file's name and reaches its whole size.
		if base := filepath.Base(s.args[len(s.args)-1]); !strings.Contains(stderr, "import "+base) || !strings.Contains(stderr, "100%") {
			t.Errorf("%v: no progress on standard error: %q", s.args, stderr)
		}
		if n := count(); n != s.written {
			t.Errorf("%v: %d assets stored, want %d", s.args, n, s.written)
		}
	}

	// A file with problems: each on a line of its own, nothing written.
	csvFile, _ := os.ReadFile(files["csv"])
	lines := strings.Split(string(csvFile), "\r\n")
	lines[5] = strings.Replace(lines[5], "road_repair", "road", 1)
	lines[1500] = strings.Replace(lines[1500], ",manhole,", ",manhole,,", 1) // a field too many
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(strings.Join(lines, "\r\n")), 0o644)
	_, stderr, err := inframap(dstURL, "import", bad)
	if err == nil || !strings.Contains(err.Error(), "problems; nothing was imported") {
		t.Errorf("bad file: %v", err)
	}
	for _, want := range []string{"\nline 6: kind: unknown kind \"road\"", "\nline 1501: the row has"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("bad file: stderr lacks %q:\n%s", want, stderr)
		}
	}
	// Standard input, with the format named.
	in, _ := os.Open(files["geojson"])
	defer in.Close()
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": dstURL}[k] }
	var stdout bytes.Buffer
	if err := run(ctx, []string{"inframap", "import", "-format", "geojson", "-dry-run", "-"}, getenv, in, &stdout, io.Discard); err != nil || !strings.Contains(stdout.String(), "2446 unchanged") {
		t.Errorf("import from stdin: %v %s", err, stdout.String())
	}
	for _, args := range [][]string{{"import"}, {"import", "x.kml"}, {"import", "x.txt"}, {"import", "-format", "dxf", "x.csv"}} {
		if _, _, err := inframap(dstURL, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
