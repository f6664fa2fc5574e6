package exchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"inframap/internal/maint"
)

// readAll reads every row of a file, stopping at the first error.
func readAll(t *testing.T, f Format, file string) ([]*maint.ImportRow, error) {
	t.Helper()
	src, err := NewReader(f, strings.NewReader(file))
	if err != nil {
		return nil, err
	}
	var rows []*maint.ImportRow
	for {
		row, err := src.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

// exported are assets of every kind as the store hands them to the
// writers: geometry as GeoJSON for GeoJSON, as WKT for CSV.
func exported(f Format) []maint.ExportedAsset {
	pt := func(lon, lat float64) (*float64, *float64) { return &lon, &lat }
	geom := map[string][2]string{
		"road":  {`{"type":"LineString","coordinates":[[125.25,43.87],[125.26,43.875]]}`, "LINESTRING(125.25 43.87,125.26 43.875)"},
		"lot":   {`{"type":"Polygon","coordinates":[[[125.3,43.88],[125.301,43.88],[125.301,43.881],[125.3,43.88]]]}`, "POLYGON((125.3 43.88,125.301 43.88,125.301 43.881,125.3 43.88))"},
		"bay":   {`{"type":"Polygon","coordinates":[[[125.3001,43.8801],[125.3002,43.8801],[125.3002,43.8802],[125.3001,43.8801]]]}`, "POLYGON((125.3001 43.8801,125.3002 43.8801,125.3002 43.8802,125.3001 43.8801))"},
		"cover": {`{"type":"Point","coordinates":[125.2712345,43.8812345]}`, "POINT(125.2712345 43.8812345)"},
	}
	g := func(k string) json.RawMessage {
		if f.Geometry() == maint.GeometryWKT {
			return json.RawMessage(geom[k][1])
		}
		return json.RawMessage(geom[k][0])
	}
	lon, lat := pt(125.2712345, 43.8812345)
	return []maint.ExportedAsset{
		{Asset: maint.Asset{ID: 1, Kind: maint.KindRoadRepair, Code: "DL-001", Name: "景阳大路（一段）", NameEn: "Jingyang Avenue, section 1",
			Subdistrict: "正阳街道", Attrs: json.RawMessage(`{"area_m2": 3626, "distresses": ["ravelling", "pothole"], "road": "景阳大路", "section": "0103", "note": "12", "empty": ""}`),
			Geometry: g("road")}},
		{Asset: maint.Asset{ID: 2, Kind: maint.KindParkingLot, Code: "TCC-01", Name: "停车场, \"东\"", Attrs: json.RawMessage(`{"spaces": 2, "space_types": {"standard": 1, "accessible": 1}, "open": true}`),
			Geometry: g("lot")}},
		{Asset: maint.Asset{ID: 3, Kind: maint.KindParkingSpace, Code: "TCC-01-001", Name: "1号泊位", Attrs: json.RawMessage(`{"space_type": "accessible", "number": 1}`),
			Geometry: g("bay")}, ParentCode: "TCC-01"},
		{Asset: maint.Asset{ID: 4, Kind: maint.KindManhole, Code: "2201060103000001", Name: "雨水井\n(北)", Attrs: json.RawMessage(`{"cover_category": "0103", "defect_grade": 2, "load_class": "D400", "x": null}`),
			Geometry: g("cover")}, Lon: lon, Lat: lat},
	}
}

func writeFile(t testing.TB, f Format, assets []maint.ExportedAsset) string {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(f, &b)
	keys := map[string]bool{}
	var order []string
	for _, a := range assets {
		var m map[string]json.RawMessage
		json.Unmarshal(a.Attrs, &m)
		for k := range m {
			if !keys[k] {
				keys[k] = true
				order = append(order, k)
			}
		}
	}
	if err := w.Begin(order); err != nil {
		t.Fatal(err)
	}
	for i := range assets {
		if err := w.Write(&assets[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestReadWhatIsWritten writes assets of every kind with the export's
// writers and reads them back: the same fields, attributes and geometry,
// without a problem.
func TestReadWhatIsWritten(t *testing.T) {
	for _, f := range ImportFormats {
		t.Run(string(f), func(t *testing.T) {
			assets := exported(f)
			file := writeFile(t, f, assets)
			variants := map[string]string{"as written": file}
			if f == CSV {
				variants["without BOM, LF line ends"] = strings.ReplaceAll(strings.TrimPrefix(file, bom), "\r\n", "\n")
			}
			for name, file := range variants {
				rows, err := readAll(t, f, file)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(rows) != len(assets) {
					t.Fatalf("%s: %d rows, want %d", name, len(rows), len(assets))
				}
				for i, row := range rows {
					a := assets[i]
					if len(row.Problems) > 0 {
						t.Errorf("%s: %s: problems %+v", name, a.Code, row.Problems)
					}
					var attrs map[string]any
					json.Unmarshal(a.Attrs, &attrs)
					want := maint.AssetRecord{Kind: a.Kind, Code: a.Code, Name: a.Name, NameEn: a.NameEn, ParentCode: a.ParentCode, Attrs: attrs}
					got := row.AssetRecord
					got.Geometry = nil
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s: %s mismatch (-written +read):\n%s", name, a.Code, diff)
					}
					if row.Geometry == nil || row.Geometry.GeoJSONType() != map[maint.Kind]string{maint.KindRoadRepair: "LineString",
						maint.KindParkingLot: "Polygon", maint.KindParkingSpace: "Polygon", maint.KindManhole: "Point"}[a.Kind] {
						t.Errorf("%s: %s geometry %v", name, a.Code, row.Geometry)
					}
				}
				if p, _ := rows[3].Geometry.(orb.Point); p != (orb.Point{125.2712345, 43.8812345}) {
					t.Errorf("%s: point read as %v", name, p)
				}
				wantRef := maint.RowRef{Line: 2, GeometryField: "wkt"}
				if f == GeoJSON {
					wantRef = maint.RowRef{Feature: 1, GeometryField: "geometry"}
				}
				if rows[0].RowRef != wantRef {
					t.Errorf("%s: first row at %+v, want %+v", name, rows[0].RowRef, wantRef)
				}
			}
		})
	}
}

// problem is a problem as the tests compare it: where and a word of what.
type problem struct {
	field, says string
}

func problemsOf(rows []*maint.ImportRow) []maint.ImportProblem {
	var out []maint.ImportProblem
	for _, r := range rows {
		out = append(out, r.Problems...)
	}
	return out
}

func checkProblems(t *testing.T, name string, got []maint.ImportProblem, want []problem) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d problems, want %d:\n%+v", name, len(got), len(want), got)
		return
	}
	for i, w := range want {
		if got[i].Field != w.field || !strings.Contains(got[i].Message, w.says) {
			t.Errorf("%s: problem %d is %q: %q, want %q: …%s…", name, i, got[i].Field, got[i].Message, w.field, w.says)
		}
	}
}

const csvHeader = "code,kind,name,name_en,parent_code,subdistrict,status,status_at,lon,lat,wkt,area_m2,spaces,space_type,cover_category\n"

func TestReadCSVProblems(t *testing.T) {
	cases := []struct {
		name, row string
		want      []problem
	}{
		{"fine", `DL-1,road_repair,路,,,,,,,,"LINESTRING(125.25 43.87,125.26 43.875)",12,,,`, nil},
		{"status ignored", `DL-1,road_repair,路,,,某街道,closed,2024-01-01T00:00:00Z,,,"LINESTRING(125.25 43.87,125.26 43.875)",12,,,`, nil},
		{"unknown kind", `DL-1,road,路,,,,,,,,"LINESTRING(125.25 43.87,125.26 43.875)",12,,,`,
			[]problem{{"line 2: kind", `unknown kind "road"`}}},
		{"no kind", `DL-1,,路,,,,,,,,"LINESTRING(125.25 43.87,125.26 43.875)",12,,,`,
			[]problem{{"line 2: kind", "kind is required"}}},
		{"missing attribute", `DL-1,road_repair,路,,,,,,,,"LINESTRING(125.25 43.87,125.26 43.875)",,,,`,
			[]problem{{"line 2: area_m2", `needs "area_m2"`}}},
		{"bad code", `DL 1,road_repair,路,,,,,,,,"LINESTRING(125.25 43.87,125.26 43.875)",12,,,`,
			[]problem{{"line 2: code", "a code has"}}},
		{"manhole code", `220106010300001,manhole,井,,,,,,125.27,43.88,,,,,0103`,
			[]problem{{"line 2: code", "16-digit"}}},
		{"no name", `DL-1,road_repair,,,,,,,,,"LINESTRING(125.25 43.87,125.26 43.875)",12,,,`,
			[]problem{{"line 2: name", "name"}}},
		{"bad wkt", `DL-1,road_repair,路,,,,,,,,"LINESTRING(125.25 43.87,125.26)",12,,,`,
			[]problem{{"line 2: wkt", "not valid WKT"}}},
		{"wrong geometry type", `DL-1,road_repair,路,,,,,,,,"POINT(125.25 43.87)",12,,,`,
			[]problem{{"line 2: wkt", "not Point"}}},
		{"open ring", `P-1,parking_lot,场,,,,,,,,"POLYGON((125.3 43.88,125.301 43.88,125.301 43.881,125.3 43.8801))",,4,,`,
			[]problem{{"line 2: wkt", "not closed"}}},
		{"swapped lat lon", `2201060103000001,manhole,井,,,,,,43.88,125.27,,,,,0103`,
			[]problem{{"line 2: lat", "look swapped"}}},
		{"lon not a number", `2201060103000001,manhole,井,,,,,,east,43.88,,,,,0103`,
			[]problem{{"line 2: lon", "number of degrees"}}},
		{"lat missing", `2201060103000001,manhole,井,,,,,,125.27,,,,,,0103`,
			[]problem{{"line 2: lat", "is empty"}}},
		{"lon/lat and wkt disagree", `2201060103000001,manhole,井,,,,,,125.27,43.88,POINT(125.28 43.88),,,,0103`,
			[]problem{{"line 2: lon/lat", "disagree"}}},
		{"lon/lat for a line", `DL-1,road_repair,路,,,,,,125.25,43.87,"LINESTRING(125.25 43.87,125.26 43.875)",12,,,`,
			[]problem{{"line 2: lon/lat", "for points"}}},
		{"no geometry", `DL-1,road_repair,路,,,,,,,,,12,,,`,
			[]problem{{"line 2: wkt", "no geometry"}}},
		{"bay without lot", `B-1,parking_space,位,,,,,,,,"POLYGON((125.3 43.88,125.301 43.88,125.301 43.881,125.3 43.88))",,,standard,`,
			[]problem{{"line 2: parent_code", "code of its lot"}}},
		{"parent of a road", `DL-1,road_repair,路,,P-1,,,,,,"LINESTRING(125.25 43.87,125.26 43.875)",12,,,`,
			[]problem{{"line 2: parent_code", "only parking spaces"}}},
		{"several at once", `DL 1,road_repair,,,,,,,,,"LINESTRING(125.25 43.87)",,,,`,
			[]problem{{"line 2: wkt", "only one point"}, {"line 2: code", "a code has"}, {"line 2: area_m2", "area_m2"}}},
		{"short row", `DL-1,road_repair,路`, []problem{{"line 2", "3 fields"}, {"line 2: wkt", "no geometry"}, {"line 2: area_m2", "area_m2"}}},
		{"bare quote", `DL-1,road_repair,路"x,,,,,,,,"LINESTRING(125.25 43.87,125.26 43.875)",12,,,`,
			[]problem{{"line 2", "cannot be read as CSV"}}},
		// 景阳大路 in GBK, as a spreadsheet saved in the local encoding has it.
		{"saved as GBK", "DL-1,road_repair,\xbe\xb0\xd1\xf4\xb4\xf3\xc2\xb7,,,,,,,,\"LINESTRING(125.25 43.87,125.26 43.875)\",12,,,",
			[]problem{{"line 2: name", "not UTF-8 text: save the file as “CSV UTF-8”"}}},
		{"huge number", `DL-1,road_repair,路,,,,,,,,"LINESTRING(125.25 43.87,125.26 43.875)",1e999,,,`,
			[]problem{{"line 2: area_m2", "cannot be read"}, {"line 2: area_m2", "area_m2"}}},
	}
	for _, c := range cases {
		rows, err := readAll(t, CSV, csvHeader+c.row+"\n")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(rows) != 1 {
			t.Errorf("%s: %d rows", c.name, len(rows))
			continue
		}
		checkProblems(t, c.name, rows[0].Problems, c.want)
	}
}

// TestReadCSVLines numbers rows by the line they start on, the header
// being line 1, across quoted line breaks and blank lines.
func TestReadCSVLines(t *testing.T) {
	file := bom + csvHeader +
		"DL-1,road_repair,\"路\n二行\",,,,,,,,\"LINESTRING(125.25 43.87,125.26 43.875)\",12,,,\r\n" +
		"\r\n" +
		",,,,,,,,,,,,,,\r\n" +
		"DL-2,road_repair,路,,,,,,,,\"LINESTRING(125.25 43.87,125.26 43.875)\",,,,\r\n"
	rows, err := readAll(t, CSV, file)
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, "lines", problemsOf(rows), []problem{{"line 6: area_m2", "area_m2"}})
	if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 6 {
		t.Errorf("rows at %v", rows)
	}
}

func TestReadCSVHeader(t *testing.T) {
	cases := []struct {
		name, header string
		want         []problem
	}{
		{"empty", "", []problem{{"line 1", "empty"}}},
		{"no kind", "code,name,wkt", []problem{{"line 1: kind", "no kind column"}}},
		{"no geometry", "code,kind,name,area_m2", []problem{{"line 1: wkt", "no geometry"}}},
		{"lon without lat", "code,kind,name,lon", []problem{{"line 1: lat", "no lat"}}},
		{"twice", "code,kind,name,wkt,road,road", []problem{{"line 1: road", "appears twice"}}},
		{"reserved", "code,kind,name,wkt,version", []problem{{"line 1: version", "fixed property"}}},
		{"computed pci", "code,kind,name,wkt,pci", []problem{{"line 1: pci", "fixed property"}}},
		{"computed grade", "code,kind,name,wkt,condition_grade", []problem{{"line 1: condition_grade", "fixed property"}}},
		{"unnamed", "code,kind,name,wkt,", []problem{{"line 1: column 5", "no name"}}},
		{"not UTF-8", "code,kind,name,wkt,\xc2\xb7\xc3\xfb", []problem{{"line 1: column 5", "not UTF-8"}}},
	}
	for _, c := range cases {
		_, err := readAll(t, CSV, c.header)
		var ie *maint.ImportError
		if !errors.As(err, &ie) || ie.Err.Code != maint.CodeInvalid {
			t.Errorf("%s: error %v, want an invalid ImportError", c.name, err)
			continue
		}
		checkProblems(t, c.name, ie.Problems, c.want)
	}
	// Lon and lat alone will do for points; id and the status columns are
	// read past.
	rows, err := readAll(t, CSV, "id,code,kind,name,lon,lat,cover_category,status\n7,2201060103000001,manhole,井,125.27,43.88,0103,closed\n")
	if err != nil || len(rows) != 1 || len(rows[0].Problems) > 0 || rows[0].Attrs["cover_category"] != "0103" || len(rows[0].Attrs) != 1 {
		t.Errorf("lon/lat file: %v, %+v", err, rows)
	}
}

func TestReadGeoJSONProblems(t *testing.T) {
	const line = `{"type":"LineString","coordinates":[[125.25,43.87],[125.26,43.875]]}`
	feature := func(geom, props string) string {
		return `{"type":"Feature","id":9,"geometry":` + geom + `,"properties":` + props + `}`
	}
	road := `{"code":"DL-1","kind":"road_repair","name":"路","name_en":null,"parent_code":"","subdistrict":"x","status":null,"status_at":null,"area_m2":12}`
	cases := []struct {
		name, feature string
		want          []problem
	}{
		{"fine", feature(line, road), nil},
		{"unknown kind", feature(line, strings.Replace(road, "road_repair", "road", 1)), []problem{{"feature 1: properties.kind", `unknown kind "road"`}}},
		{"kind a number", feature(line, strings.Replace(road, `"road_repair"`, "3", 1)), []problem{{"feature 1: properties.kind", "must be a string"}, {"feature 1: properties.kind", "kind is required"}}},
		{"missing attribute", feature(line, strings.Replace(road, `,"area_m2":12`, "", 1)), []problem{{"feature 1: properties.area_m2", `needs "area_m2"`}}},
		{"swapped", feature(`{"type":"LineString","coordinates":[[43.87,125.25],[43.875,125.26]]}`, road), []problem{{"feature 1: geometry", "swapped"}}},
		{"no geometry", feature("null", road), []problem{{"feature 1: geometry", "required"}}},
		{"reserved attribute", feature(line, strings.Replace(road, `"area_m2"`, `"version":3,"area_m2"`, 1)), []problem{{"feature 1: properties.version", "fixed property"}}},
		{"not a feature", `{"type":"Point","geometry":` + line + `,"properties":` + road + `}`, []problem{{"feature 1: type", "Feature"}}},
		{"properties an array", feature(line, "[1]"), []problem{{"feature 1: properties", "object"}, {"feature 1: properties.kind", "kind is required"}}},
		{"a number", `42`, []problem{{"feature 1", "JSON object"}}},
	}
	for _, c := range cases {
		file := `{"type":"FeatureCollection","name":"x","features":[` + feature(line, road) + ",\n" + c.feature + "]}"
		rows, err := readAll(t, GeoJSON, file)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(rows) != 2 {
			t.Errorf("%s: %d rows", c.name, len(rows))
			continue
		}
		for i := range c.want {
			c.want[i].field = strings.Replace(c.want[i].field, "feature 1", "feature 2", 1)
		}
		checkProblems(t, c.name, problemsOf(rows), c.want)
	}
}

// TestReadGeoJSONFile refuses files that are not one FeatureCollection,
// naming where they break.
func TestReadGeoJSONFile(t *testing.T) {
	f := `{"type":"Feature","geometry":{"type":"Point","coordinates":[125.27,43.88]},"properties":{"code":"2201060103000001","kind":"manhole","name":"井","cover_category":"0103"}}`
	cases := []struct {
		name, file string
		want       []problem
	}{
		{"empty", ``, []problem{{"file", "ends"}}},
		{"an array", `[]`, []problem{{"file", "FeatureCollection"}}},
		{"a feature", f, []problem{{"file", `"Feature"`}}},
		{"no features", `{"type":"FeatureCollection"}`, []problem{{"file", "no features"}}},
		{"features not an array", `{"type":"FeatureCollection","features":{}}`, []problem{{"file", "array"}}},
		{"broken in feature 2", `{"type":"FeatureCollection","features":[` + f + `,` + strings.Replace(f, `"properties":`, `"properties" `, 1) + `]}`, []problem{{"feature 2", "not valid JSON"}}},
		{"cut short", `{"type":"FeatureCollection","features":[` + f + `,` + f[:60], []problem{{"feature 2", "ends before"}}},
		{"trailing data", `{"type":"FeatureCollection","features":[]} {}`, []problem{{"file", "more data"}}},
		{"type after the features", `{"features":[` + f + `],"type":"Topology"}`, []problem{{"file", `"Topology"`}}},
	}
	for _, c := range cases {
		_, err := readAll(t, GeoJSON, c.file)
		var ie *maint.ImportError
		if !errors.As(err, &ie) || ie.Err.Code != maint.CodeInvalid {
			t.Errorf("%s: error %v, want an invalid ImportError", c.name, err)
			continue
		}
		checkProblems(t, c.name, ie.Problems, c.want)
	}
	// Foreign members and a type after the features are fine.
	rows, err := readAll(t, GeoJSON, `{"name":"x","crs":{"type":"name"},"features":[`+f+`],"bbox":[1,2,3,4],"type":"FeatureCollection"}`)
	if err != nil || len(rows) != 1 || len(rows[0].Problems) > 0 {
		t.Errorf("foreign members: %v %+v", err, rows)
	}
}

// TestReaderPassesReadErrors: an error of the reader underneath (a body
// over its limit) is not a problem of the file.
func TestReaderPassesReadErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, f := range ImportFormats {
		file := writeFile(t, f, exported(f))
		src, err := NewReader(f, io.MultiReader(strings.NewReader(file[:len(file)/2]), errReader{boom}))
		for err == nil {
			_, err = src.Next()
		}
		if !errors.Is(err, boom) {
			t.Errorf("%s: %v, want the read error", f, err)
		}
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
