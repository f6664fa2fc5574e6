package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"mime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"inframap/internal/exchange"
	"inframap/internal/httpx"
	"inframap/internal/postgres/pgtest"
)

// dbAsset is an asset as the database holds it, to compare exports with.
type dbAsset struct {
	Kind, Name, NameEn, ParentCode string
	Attrs                          map[string]any
	Point                          []float64 // lon, lat of a point
}

func (e *env) dbAssets(t *testing.T, kind string) map[string]dbAsset {
	t.Helper()
	rows, err := e.sql.Query(t.Context(), `
		SELECT a.code, a.kind, a.name, a.name_en, coalesce(p.code, ''), a.attrs::text,
		       CASE WHEN GeometryType(a.geom) = 'POINT' THEN ARRAY[ST_X(a.geom), ST_Y(a.geom)] END
		FROM assets a LEFT JOIN assets p ON p.id = a.parent_id
		WHERE $1 = '' OR a.kind = $1`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]dbAsset{}
	for rows.Next() {
		var code, attrs string
		var a dbAsset
		if err := rows.Scan(&code, &a.Kind, &a.Name, &a.NameEn, &a.ParentCode, &attrs, &a.Point); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal([]byte(attrs), &a.Attrs)
		out[code] = a
	}
	return out
}

// decodeCells rebuilds attributes from exported cells, as an import will.
func decodeCells(t *testing.T, cells map[string]string) map[string]any {
	t.Helper()
	attrs := map[string]any{}
	for k, c := range cells {
		raw, ok := exchange.DecodeCell(c)
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("cell %s=%q: %v", k, c, err)
		}
		attrs[k] = v
	}
	return attrs
}

func compareAssets(t *testing.T, format string, want, got map[string]dbAsset) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d assets exported, the database has %d", format, len(got), len(want))
	}
	bad := 0
	for code, w := range want {
		g, ok := got[code]
		if !ok {
			t.Errorf("%s: asset %s missing", format, code)
			continue
		}
		if w.Point != nil && g.Point != nil {
			for i := range w.Point {
				if d := w.Point[i] - g.Point[i]; d > 1e-7 || d < -1e-7 {
					t.Errorf("%s: %s at %v, the database %v", format, code, g.Point, w.Point)
				}
			}
		}
		w.Point, g.Point = nil, nil
		if diff := cmp.Diff(w, g); diff != "" {
			if bad++; bad < 4 {
				t.Errorf("%s: asset %s mismatch (-database +export):\n%s", format, code, diff)
			}
		}
	}
}

// TestExportFormats downloads the district in each format, parses it back
// and finds every asset with its names, parent and attributes intact.
func TestExportFormats(t *testing.T) {
	e := newEnv(t, pgtest.District)
	for _, kind := range []string{"", "manhole"} {
		want := e.dbAssets(t, kind)
		for _, format := range []string{"geojson", "csv", "kml"} {
			path := "/api/v1/export?format=" + format
			if kind != "" {
				path += "&kind=" + kind
			}
			res, body := e.fetch(path)
			if res.StatusCode != 200 {
				t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
			}
			_, dp, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
			what := kind
			if what == "" {
				what = "all"
			}
			if err != nil || !strings.HasPrefix(dp["filename"], "lvyuan-"+what+"-") || !strings.HasSuffix(dp["filename"], "."+format) {
				t.Errorf("GET %s: Content-Disposition %q", path, res.Header.Get("Content-Disposition"))
			}
			var got map[string]dbAsset
			switch format {
			case "geojson":
				got = parseGeoJSONExport(t, body)
			case "csv":
				got = parseCSVExport(t, body)
			case "kml":
				got = parseKMLExport(t, body)
			}
			compareAssets(t, path, want, got)
		}
	}
	for _, q := range []string{"format=dxf", "kind=manholes", "colour=red"} {
		var p httpx.Problem
		if res := e.get("/api/v1/export?"+q, &p); res.StatusCode != 400 {
			t.Errorf("export?%s: %d, want 400", q, res.StatusCode)
		}
	}
}

func parseGeoJSONExport(t *testing.T, body []byte) map[string]dbAsset {
	t.Helper()
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(body, &fc); err != nil || fc.Type != "FeatureCollection" {
		t.Fatalf("geojson: %v", err)
	}
	out := map[string]dbAsset{}
	for _, f := range fc.Features {
		p := f.Properties
		a := dbAsset{Kind: p["kind"].(string), Name: p["name"].(string), NameEn: p["name_en"].(string), ParentCode: p["parent_code"].(string), Attrs: map[string]any{}}
		for k, v := range p {
			if !exchange.Reserved(k) {
				a.Attrs[k] = v
			}
		}
		if f.Geometry.Type == "Point" {
			json.Unmarshal(f.Geometry.Coordinates, &a.Point)
		}
		out[p["code"].(string)] = a
	}
	return out
}

func parseCSVExport(t *testing.T, body []byte) map[string]dbAsset {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Error("csv: no UTF-8 byte order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	header := rows[0]
	if diff := cmp.Diff(exchange.Columns, header[:len(exchange.Columns)]); diff != "" {
		t.Errorf("csv header mismatch (-want +got):\n%s", diff)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	out := map[string]dbAsset{}
	for _, r := range rows[1:] {
		cells := map[string]string{}
		for i := len(exchange.Columns); i < len(header); i++ {
			if !exchange.Reserved(header[i]) { // a cover's register columns
				cells[header[i]] = r[i]
			}
		}
		a := dbAsset{Kind: r[col["kind"]], Name: r[col["name"]], NameEn: r[col["name_en"]], ParentCode: r[col["parent_code"]], Attrs: decodeCells(t, cells)}
		if r[col["wkt"]] == "" {
			t.Errorf("csv: %s has no WKT", r[col["code"]])
		}
		if strings.HasPrefix(r[col["wkt"]], "POINT") {
			if err := json.Unmarshal([]byte("["+r[col["lon"]]+","+r[col["lat"]]+"]"), &a.Point); err != nil {
				t.Fatalf("csv: %s: lon %q lat %q", r[col["code"]], r[col["lon"]], r[col["lat"]])
			}
		} else if r[col["lon"]] != "" {
			t.Errorf("csv: %s is not a point but has lon %q", r[col["code"]], r[col["lon"]])
		}
		out[r[col["code"]]] = a
	}
	return out
}

type kmlDoc struct {
	XMLName  xml.Name `xml:"http://www.opengis.net/kml/2.2 kml"`
	Document struct {
		Folders []struct {
			Name       string `xml:"name"`
			Placemarks []struct {
				Name        string `xml:"name"`
				Description string `xml:"description"`
				Data        []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value"`
				} `xml:"ExtendedData>Data"`
				Point *struct {
					Coordinates string `xml:"coordinates"`
				} `xml:"Point"`
			} `xml:"Placemark"`
		} `xml:"Folder"`
	} `xml:"Document"`
}

func parseKMLExport(t *testing.T, body []byte) map[string]dbAsset {
	t.Helper()
	var doc kmlDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("kml: %v", err)
	}
	out := map[string]dbAsset{}
	for _, f := range doc.Document.Folders {
		for _, pm := range f.Placemarks {
			fields, cells := map[string]string{}, map[string]string{}
			for _, d := range pm.Data {
				if exchange.Reserved(d.Name) {
					fields[d.Name] = d.Value
				} else {
					cells[d.Name] = d.Value
				}
			}
			a := dbAsset{Kind: fields["kind"], Name: pm.Name, NameEn: fields["name_en"], ParentCode: fields["parent_code"], Attrs: decodeCells(t, cells)}
			if pm.Description != a.NameEn {
				t.Errorf("kml: %s: description %q", fields["code"], pm.Description)
			}
			if pm.Point != nil {
				if err := json.Unmarshal([]byte("["+strings.TrimSpace(pm.Point.Coordinates)+"]"), &a.Point); err != nil {
					t.Fatalf("kml: %s: coordinates %q", fields["code"], pm.Point.Coordinates)
				}
			}
			out[fields["code"]] = a
		}
	}
	return out
}
