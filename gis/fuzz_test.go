package gis

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"125.2,43.8,125.3,43.9", "1,2,3", "NaN,0,1,1", "-180,-90,180,90", "1e309,0,1,1", "125.2,43.8,0,125.3,43.9,10", ",,,", "0x10,1,2,3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBBox(s)
		if err != nil {
			return
		}
		// Whatever is accepted is a finite, ordered box within range.
		for _, v := range []float64{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("ParseBBox(%q) accepted %v", s, b)
			}
		}
		if b.MinLon > b.MaxLon || b.MinLat > b.MaxLat || math.Abs(b.MinLat) > 90 || math.Abs(b.MaxLat) > 90 || math.Abs(b.MinLon) > 180 || math.Abs(b.MaxLon) > 180 {
			t.Fatalf("ParseBBox(%q) accepted %v", s, b)
		}
	})
}

func FuzzParseGeometry(f *testing.F) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[125.27,43.88]}`,
		`{"type":"LineString","coordinates":[[125.27,43.88],[125.28,43.89]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`,
		`{"type":"Point","coordinates":[43.88,125.27]}`,
		`{"type":"GeometryCollection","geometries":[]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0]]]}`,
		`{"type":"Point","coordinates":[]}`, `null`, `{}`, `[`, `{"type":"LineString","coordinates":[[1e400,0],[0,0]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		g, err := ParseGeometry(json.RawMessage(raw), 1000)
		if err != nil {
			return
		}
		// What is accepted has in-range coordinates and encodes for PostGIS
		// and back unchanged.
		n := 0
		visit(g, func(p orb.Point) {
			n++
			if checkPoint(p) != nil {
				t.Fatalf("accepted out-of-range point %v from %s", p, raw)
			}
		})
		if n > 1000 {
			t.Fatalf("accepted %d vertices", n)
		}
		b, err := EncodeEWKB(g)
		if err != nil {
			t.Fatalf("accepted %s but cannot encode it: %v", raw, err)
		}
		back, err := DecodeEWKB(b)
		if err != nil || !orb.Equal(back, g) {
			t.Fatalf("EWKB round trip of %s: %v", raw, err)
		}
	})
}
