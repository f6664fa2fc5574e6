package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"inframap/gis"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

func FuzzAssetFilter(f *testing.F) {
	for _, q := range []string{"kind=manhole&status=closed&limit=10", "bbox=125.2,43.8,125.3,43.9", "q=%27%3B+DROP+TABLE+assets%3B--",
		"as_of=2024-02-30", "limit=-1", "cursor=" + httpx.EncodeCursor(5), "kind=manhole,manhole", "parent=0", "subdistrict=" + strings.Repeat("x", 200)} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/api/v1/assets", nil)
		r.URL.RawQuery = q
		flt, err := assetFilter(r)
		if err != nil {
			if maint.ErrorCode(err) != maint.CodeInvalid {
				t.Fatalf("assetFilter(%q): code %s", q, maint.ErrorCode(err))
			}
			return
		}
		if flt.Limit < 1 || flt.Limit > maint.MaxLimit || len(flt.Q) > 100 {
			t.Fatalf("assetFilter(%q) accepted %+v", q, flt)
		}
		for _, k := range flt.Kinds {
			if !k.Valid() {
				t.Fatalf("assetFilter(%q) accepted kind %q", q, k)
			}
		}
		for _, s := range flt.Statuses {
			if !s.Valid() {
				t.Fatalf("assetFilter(%q) accepted status %q", q, s)
			}
		}
		if flt.BBox != nil && flt.BBox.Check() != nil {
			t.Fatalf("assetFilter(%q) accepted bbox %v", q, flt.BBox)
		}
	})
}

func FuzzNewAsset(f *testing.F) {
	for _, s := range []string{
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[125.27,43.88]},"properties":{"kind":"manhole","code":"2201060103000009","name":"井","cover_category":"0103"}}`,
		`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[125.27,43.88],[125.28,43.88]]},"properties":{"kind":"road_repair","code":"DL-1","name":"路","area_m2":10}}`,
		`{"type":"Feature","geometry":null,"properties":{"kind":"x"}}`, `{"type":"Feature","properties":{"kind":"parking_lot","spaces":1.5}}`, `[]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/assets", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		in, err := parseNewAsset(r)
		if err != nil {
			switch maint.ErrorCode(err) {
			case maint.CodeInvalid, maint.CodeUnsupportedMedia, maint.CodeTooLarge:
				return
			}
			t.Fatalf("parseNewAsset(%s): code %s", body, maint.ErrorCode(err))
		}
		if !in.Kind.Valid() || in.Geometry == nil || !in.Kind.AllowsGeometry(in.Geometry.GeoJSONType()) {
			t.Fatalf("parseNewAsset(%s) accepted %+v", body, in)
		}
		// What the parser accepts, the store can encode for PostGIS.
		if _, err := gis.EncodeEWKB(in.Geometry); err != nil {
			t.Fatalf("parseNewAsset(%s) accepted a geometry EWKB cannot carry: %v", body, err)
		}
		if maint.CheckAssetFields(in.Kind, in.Code, in.Name) != nil || maint.CheckAttrs(in.Kind, in.Code, in.Attrs) != nil {
			t.Fatalf("parseNewAsset(%s) accepted invalid fields", body)
		}
	})
}
