package exchange

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"

	"inframap/gis"
	"inframap/internal/maint"
)

// The readers take files from anyone with an engineer's account, up to
// 200 MB: they must never panic, must place every problem on its row, and
// whatever they accept must be a valid asset that the writers write back
// to the same record.

func FuzzReadCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, file []byte) { fuzzRead(t, CSV, file) })
}

func FuzzReadGeoJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, file []byte) { fuzzRead(t, GeoJSON, file) })
}

// FuzzReadXLSX starts from workbooks the export writes (its seeds are made
// here rather than kept in testdata: a workbook is a zip).
func FuzzReadXLSX(f *testing.F) {
	f.Add([]byte(writeFile(f, XLSX, exported(XLSX))))
	f.Add([]byte{})
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, file []byte) { fuzzRead(t, XLSX, file) })
}

func fuzzRead(t *testing.T, f Format, file []byte) {
	src, err := NewReader(f, bytes.NewReader(file))
	if err != nil {
		checkFileError(t, err)
		return
	}
	last := 0
	for {
		row, err := src.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			checkFileError(t, err)
			return
		}
		// Rows are placed, in file order.
		at := row.Line + row.Feature
		if at <= last || (f != GeoJSON) != (row.Line > 0) || row.Line > 0 && row.Feature > 0 {
			t.Fatalf("row at %+v after %d", row.RowRef, last)
		}
		last = at
		for _, p := range row.Problems {
			if p.Line != row.Line || p.Feature != row.Feature || !strings.HasPrefix(p.Field, row.String()) || p.Message == "" {
				t.Fatalf("problem %+v of the row at %+v", p, row.RowRef)
			}
		}
		if len(row.Problems) == 0 {
			checkAccepted(t, f, row)
		}
	}
}

func checkFileError(t *testing.T, err error) {
	t.Helper()
	if maint.ErrorCode(err) == maint.CodeTooLarge { // a workbook's rows beyond the limit
		return
	}
	var ie *maint.ImportError
	if !errors.As(err, &ie) || ie.Err.Code != maint.CodeInvalid || len(ie.Problems) == 0 || ie.Total < len(ie.Problems) {
		t.Fatalf("reading stopped with %v, want an invalid ImportError with its problems", err)
	}
}

// checkAccepted: a row without problems passes the checks of an API
// write, encodes for PostGIS, and reads back the same once written.
func checkAccepted(t *testing.T, f Format, row *maint.ImportRow) {
	t.Helper()
	a := row.AssetRecord
	if err := maint.CheckAssetFields(a.Kind, a.Code, a.Name); err != nil {
		t.Fatalf("accepted %+v: %v", a, err)
	}
	if err := maint.CheckAttrs(a.Kind, a.Code, a.Attrs); err != nil {
		t.Fatalf("accepted %+v: %v", a, err)
	}
	if a.Geometry == nil || !a.Kind.AllowsGeometry(a.Geometry.GeoJSONType()) || gis.CheckGeometry(a.Geometry, gis.MaxVertices) != nil {
		t.Fatalf("accepted %+v with geometry %v", a, a.Geometry)
	}
	if _, err := gis.EncodeEWKB(a.Geometry); err != nil {
		t.Fatalf("accepted %v: %v", a.Geometry, err)
	}
	// Written by the export's writer, read again: the same record.
	e := maint.ExportedAsset{Asset: maint.Asset{Kind: a.Kind, Code: a.Code, Name: a.Name, NameEn: a.NameEn, Attrs: a.AttrsJSON()}, ParentCode: a.ParentCode}
	if f.Geometry() == maint.GeometryWKT {
		e.Geometry = []byte(wkt.MarshalString(a.Geometry))
	} else {
		e.Geometry, _ = geojson.NewGeometry(a.Geometry).MarshalJSON()
	}
	var keys []string
	for k := range a.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	w := NewWriter(f, &b)
	if err := w.Begin(keys); err != nil {
		t.Fatalf("write %+v: %v", a, err)
	}
	if err := w.Write(&e); err != nil {
		t.Fatalf("write %+v: %v", a, err)
	}
	w.End()
	src, err := NewReader(f, &b)
	if err != nil {
		t.Fatalf("read back %q: %v", b.String(), err)
	}
	back, err := src.Next()
	if err != nil {
		t.Fatalf("read back %q: %v", b.String(), err)
	}
	if len(back.Problems) > 0 {
		t.Fatalf("read back %q: %+v", b.String(), back.Problems)
	}
	if diff := cmp.Diff(a, back.AssetRecord); diff != "" {
		t.Fatalf("read back mismatch (-read +written and read again):\n%s\nfile: %q", diff, b.String())
	}
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// TestFuzzSeeds writes the seed corpora of FuzzReadCSV and FuzzReadGeoJSON
// with -update-seeds: files of every kind as the writers write them, and
// files broken in the ways people and programs break them. Without the
// flag it checks that the committed corpora are there.
func TestFuzzSeeds(t *testing.T) {
	seeds := map[string]map[string]string{"FuzzReadCSV": {}, "FuzzReadGeoJSON": {}}
	for _, f := range []Format{GeoJSON, CSV} { // the fuzzed readers
		target := map[Format]string{CSV: "FuzzReadCSV", GeoJSON: "FuzzReadGeoJSON"}[f]
		file := writeFile(t, f, exported(f))
		seeds[target]["export"] = file
		seeds[target]["empty"] = ""
		seeds[target]["cut"] = file[:len(file)*2/3]
	}
	csvSeeds := seeds["FuzzReadCSV"]
	csvSeeds["no-bom-lf"] = strings.ReplaceAll(strings.TrimPrefix(seeds["FuzzReadCSV"]["export"], bom), "\r\n", "\n")
	csvSeeds["bom-only"] = bom
	csvSeeds["header-only"] = bom + strings.Join(Columns, ",") + "\r\n"
	csvSeeds["lon-lat"] = "code,kind,name,lon,lat,cover_category,defect_grade\n2201060103000001,manhole,井,125.27,43.88,0103,2\n2201060103000002,manhole,井,43.88,125.27,0103,\n2201060103000003,manhole,井,,43.88,0103,9\n"
	csvSeeds["problems"] = csvHeader +
		"DL-1,road_repair,路,,,,,,,,\"LINESTRING(125.25 43.87,125.26 43.875)\",12,,,\n" +
		"DL-1,road,路\"x,,,,,,,,\"LINESTRING(125.25 43.87)\",,,,\n" +
		"P-1,parking_lot,场,,,,,,,,\"POLYGON((125.27 43.88,125.28 43.89,125.28 43.88,125.27 43.89,125.27 43.88))\",,1e999,,\n" +
		"B-1,parking_space,位,,P-1,,,,,,\"SRID=4326;POLYGON((1 1,2 1,2 2,1 1))\",,,ev_charging,\n" +
		"X,manhole,井,,,,,,1,2,\"MULTIPOINT(1 2,EMPTY)\",,,,0103\n" +
		",,,,,,,,,,,,,,\n" +
		"\"unterminated,road_repair"
	geo := seeds["FuzzReadGeoJSON"]
	const point = `{"type":"Point","coordinates":[125.27,43.88]}`
	geo["members"] = `{"name":"x","crs":{"type":"name"},"features":[{"type":"Feature","id":1,"geometry":` + point +
		`,"properties":{"code":"2201060103000001","kind":"manhole","name":"井","cover_category":"0103","status":null}}],"bbox":[1,2,3,4],"type":"FeatureCollection"}`
	geo["problems"] = `{"type":"FeatureCollection","features":[42,{"type":"Feature","geometry":null,"properties":null},` +
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[43.88,125.27]},"properties":{"code":7,"kind":"manhole","version":1}},` +
		`{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[]},"properties":[1]},` +
		`{"type":"Feature","geometry":` + point + `,"properties":{"code":"A","kind":"road_repair","name":"x","area_m2":-1}}]}`
	geo["a-feature"] = `{"type":"Feature","geometry":` + point + `,"properties":{}}`
	geo["trailing"] = `{"type":"FeatureCollection","features":[]} []`
	geo["not-json"] = "code,kind,name\n"

	for target, files := range seeds {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, file := range files {
			path := filepath.Join(dir, "seed-"+name)
			if !*updateSeeds {
				if _, err := os.Stat(path); err != nil {
					t.Errorf("%s: %v (write the corpora with go test -run TestFuzzSeeds -update-seeds)", path, err)
				}
				continue
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", file), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
