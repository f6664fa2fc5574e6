package exchange

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"inframap/internal/maint"
)

// readMapped reads every row of file with mapping m.
func readMapped(t *testing.T, f Format, file string, m *Mapping) []*maint.ImportRow {
	t.Helper()
	src, err := NewMappedReader(f, strings.NewReader(file), m)
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	var rows []*maint.ImportRow
	for {
		row, err := src.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

const mappingYAML = `# A register of manhole covers
kind: manhole
fields:
  编号: code
  名称: name
  井盖类型: cover_category
  道路名称: road
  权属单位: owner
  备注: ""
values:
  cover_category: {污水: "0102", 雨水: "0103", 电力: "0105"}
`

const mappingJSON = `{"kind": "manhole", "fields": {"编号": "code", "名称": "name", "井盖类型": "cover_category",
 "道路名称": "road", "权属单位": "owner", "备注": ""}, "values": {"cover_category": {"污水": "0102", "雨水": "0103", "电力": "0105"}}}`

// TestMapping maps a register's Chinese fields and cover names to ours, in
// CSV and GeoJSON, with the mapping in YAML and in JSON.
func TestMapping(t *testing.T) {
	want := []maint.AssetRecord{
		{Kind: maint.KindManhole, Code: "2201060102000001", Name: "污水井1", Attrs: map[string]any{"cover_category": "0102", "road": "景阳大路", "owner": "市排水公司"}},
		{Kind: maint.KindManhole, Code: "2201060105000002", Name: "电力井2", Attrs: map[string]any{"cover_category": "0105", "road": "西安大路", "owner": "供电公司"}},
	}
	csv := "编号,名称,井盖类型,道路名称,权属单位,备注,lon,lat\n" +
		"2201060102000001,污水井1,污水,景阳大路,市排水公司,旧井,125.27,43.88\n" +
		"2201060105000002,电力井2,电力,西安大路,供电公司,,125.28,43.87\n"
	geojson := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[125.27,43.88]},"properties":{"编号":"2201060102000001","名称":"污水井1","井盖类型":"污水","道路名称":"景阳大路","权属单位":"市排水公司","备注":"旧井"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[125.28,43.87]},"properties":{"编号":"2201060105000002","名称":"电力井2","井盖类型":"电力","道路名称":"西安大路","权属单位":"供电公司"}}]}`
	for name, text := range map[string]string{"yaml": mappingYAML, "json": mappingJSON} {
		m, err := ParseMapping([]byte(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for f, file := range map[Format]string{CSV: csv, GeoJSON: geojson} {
			rows := readMapped(t, f, file, m)
			var got []maint.AssetRecord
			for _, r := range rows {
				if len(r.Problems) > 0 {
					t.Errorf("%s %s: %s: %+v", name, f, r.Code, r.Problems)
				}
				a := r.AssetRecord
				a.Geometry = nil
				got = append(got, a)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s mapping, %s mismatch (-want +got):\n%s", name, f, diff)
			}
		}
	}
}

// TestMappingProposal: a CSV whose columns are not ours is a header
// problem that proposes a mapping by known synonyms.
func TestMappingProposal(t *testing.T) {
	_, err := NewReader(CSV, strings.NewReader("编号,名称,经度,纬度,井盖类型,权属单位\n1,井,125.2,43.8,污水,x\n"))
	var ie *maint.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("%v, want the header's problems", err)
	}
	p, _ := ie.Proposal.(*Mapping)
	if p == nil {
		t.Fatal("no mapping proposed")
	}
	want := map[string]string{"编号": "code", "名称": "name", "经度": "lon", "纬度": "lat", "井盖类型": "cover_category", "权属单位": "owner"}
	if diff := cmp.Diff(want, p.Fields); diff != "" {
		t.Errorf("proposal mismatch (-want +got):\n%s", diff)
	}
	if got := ProposeMapping([]string{"井盖类型"}, map[string][]string{"井盖类型": {"污水", "雨水井", "Power", "0103"}}); got == nil ||
		!cmp.Equal(got.Values["cover_category"], map[string]string{"污水": "0102", "雨水井": "0103", "Power": "0105"}) {
		t.Errorf("values proposed: %v", got)
	}
	// GeoJSON: after reading, the features' Chinese properties and cover
	// names.
	src, err := NewReader(GeoJSON, strings.NewReader(`{"type":"FeatureCollection","features":[`+
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.27,43.88]},"properties":{"编号":"1","井盖类型":"雨水","道路名称":"景阳大路"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = src.Next()
	}
	gp := src.(Proposer).Proposal()
	wantGeo := &Mapping{Fields: map[string]string{"编号": "code", "井盖类型": "cover_category", "道路名称": "road"},
		Values: map[string]map[string]string{"cover_category": {"雨水": "0103"}}}
	if diff := cmp.Diff(wantGeo, gp); diff != "" {
		t.Errorf("GeoJSON proposal mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{"fieldz": {}}`, "kind: manholes\n", "fields: [1, 2]\n"} {
		if _, err := ParseMapping([]byte(bad)); maint.ErrorCode(err) != maint.CodeInvalid {
			t.Errorf("ParseMapping(%q): %v, want invalid", bad, err)
		}
	}
}
