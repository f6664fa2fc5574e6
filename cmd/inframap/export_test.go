package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"inframap/internal/exchange"
	"inframap/internal/postgres/pgtest"
)

// TestExportCommand runs `inframap export` against the district into files
// and standard output, and counts what comes back.
func TestExportCommand(t *testing.T) {
	url := pgtest.NewURL(t, pgtest.District)
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }
	dir := t.TempDir()
	cases := []struct {
		args  []string
		count func([]byte) (int, error)
		want  int
	}{
		{[]string{"-kind", "manhole", "-format", "csv"}, csvRows, 1300},
		{[]string{"-format", "csv"}, csvRows, 2446},
		{[]string{"-kind", "parking_lot,parking_space", "-format", "geojson"}, geojsonFeatures, 9 + 944},
		{[]string{"-format", "kml"}, kmlPlacemarks, 2446},
		{[]string{"-kind", "manhole", "-format", "xlsx", "-crs", "EPSG:4551"}, xlsxRows, 1300},
		{[]string{"-kind", "manhole", "-format", "gpkg", "-crs", "cgcs2000"}, gpkgFeatures, 1300},
	}
	for _, c := range cases {
		out := filepath.Join(dir, strings.Join(c.args, "_"))
		var stderr bytes.Buffer
		err := run(context.Background(), append([]string{"inframap", "export", "-o", out}, c.args...), getenv, strings.NewReader(""), io.Discard, &stderr)
		if err != nil {
			t.Fatalf("export %v: %v\n%s", c.args, err, stderr.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := c.count(b); err != nil || n != c.want {
			t.Errorf("export %v: %d assets (%v), want %d", c.args, n, err, c.want)
		}
		if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
			t.Errorf("export %v left temporary files: %v", c.args, leftovers)
		}
	}
	// To standard output.
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"inframap", "export", "-kind", "capital_project"}, getenv, strings.NewReader(""), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if n, err := geojsonFeatures(stdout.Bytes()); err != nil || n != 1 {
		t.Errorf("export to stdout: %d features (%v)", n, err)
	}
	// Bad flags fail before touching any file.
	for _, args := range [][]string{{"-format", "dxf"}, {"-kind", "manholes"}, {"-format", "csv", "-crs", "EPSG:4551"}, {"-format", "gpkg", "-encoding", "GBK"}} {
		out := filepath.Join(dir, "bad")
		if err := run(context.Background(), append([]string{"inframap", "export", "-o", out}, args...), getenv, strings.NewReader(""), io.Discard, io.Discard); err == nil {
			t.Errorf("export %v: no error", args)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("export %v wrote a file", args)
		}
	}
}

func csvRows(b []byte) (int, error) {
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")))).ReadAll()
	return len(rows) - 1, err
}

func geojsonFeatures(b []byte) (int, error) {
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	err := json.Unmarshal(b, &fc)
	return len(fc.Features), err
}

func kmlPlacemarks(b []byte) (int, error) {
	var doc struct {
		Placemarks []struct{} `xml:"Document>Folder>Placemark"`
	}
	err := xml.Unmarshal(b, &doc)
	return len(doc.Placemarks), err
}

// xlsxRows counts the rows below the header of the .xlsx export, each with
// its easting in metres in the zone of 126°E.
func xlsxRows(b []byte) (int, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	rows, err := f.GetRows(exchange.XLSXSheet)
	if err != nil || len(rows) < 2 {
		return 0, err
	}
	if rows[0][8] != "东坐标E" {
		return 0, fmt.Errorf("header %v", rows[0])
	}
	if x, err := strconv.ParseFloat(rows[1][8], 64); err != nil || x < 400000 || x > 500000 {
		return 0, fmt.Errorf("easting %q", rows[1][8])
	}
	return len(rows) - 1, nil
}

// gpkgFeatures counts the features ogrinfo finds in a GeoPackage, and
// checks its system is CGCS2000.
func gpkgFeatures(b []byte) (int, error) {
	p := filepath.Join(os.TempDir(), fmt.Sprintf("inframap-test-%d.gpkg", os.Getpid()))
	defer os.Remove(p)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return 0, err
	}
	out, err := exec.Command("ogrinfo", "-ro", "-so", p, "manhole").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("ogrinfo: %v: %s", err, out)
	}
	if !strings.Contains(string(out), `ID["EPSG",4490]`) {
		return 0, fmt.Errorf("not CGCS2000:\n%s", out)
	}
	m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		return 0, fmt.Errorf("no count:\n%s", out)
	}
	return strconv.Atoi(m[1])
}
