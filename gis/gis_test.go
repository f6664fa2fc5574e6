package gis

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

func TestParseBBox(t *testing.T) {
	good := map[string]BBox{
		"125.2,43.8,125.3,43.9":       {125.2, 43.8, 125.3, 43.9},
		" 125.2, 43.8 ,125.3,43.9":    {125.2, 43.8, 125.3, 43.9},
		"125.2,43.8,0,125.3,43.9,100": {125.2, 43.8, 125.3, 43.9},
		"-180,-90,180,90":             {-180, -90, 180, 90},
	}
	for in, want := range good {
		got, err := ParseBBox(in)
		if err != nil {
			t.Errorf("ParseBBox(%q): %v", in, err)
		} else if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseBBox(%q) mismatch (-want +got):\n%s", in, diff)
		}
	}
	for _, in := range []string{"", "1,2,3", "1,2,3,4,5", "a,2,3,4", "NaN,1,2,3", "Inf,1,2,3",
		"125.3,43.8,125.2,43.9", "125.2,43.9,125.3,43.8", "0,-91,1,0", "-181,0,0,1", "43.8,125.2,43.9,125.3"} {
		if _, err := ParseBBox(in); err == nil {
			t.Errorf("ParseBBox(%q) accepted", in)
		}
	}
}

func near(a, b orb.Point, tol float64) bool {
	return math.Abs(a[0]-b[0]) <= tol && math.Abs(a[1]-b[1]) <= tol
}

// The test vectors of DOMAIN.md §3.
func TestGCJ02(t *testing.T) {
	if got, want := WGS84ToGCJ02(orb.Point{116.404, 39.915}), (orb.Point{116.41024449916938, 39.91640428150164}); !near(got, want, 1e-9) {
		t.Errorf("WGS84ToGCJ02 = %v, want %v", got, want)
	}
	if got, want := GCJ02ToBD09(orb.Point{116.404, 39.915}), (orb.Point{116.41036949371029, 39.92133699351021}); !near(got, want, 1e-9) {
		t.Errorf("GCJ02ToBD09 = %v, want %v", got, want)
	}
	if got, want := WGS84ToGCJ02(orb.Point{125.27, 43.88}), (orb.Point{125.27639937, 43.8823372}); !near(got, want, 1e-7) {
		t.Errorf("WGS84ToGCJ02 (Changchun) = %v, want %v", got, want)
	}
	for _, p := range []orb.Point{{125.27, 43.88}, {116.404, 39.915}, {125.06, 43.77}} {
		if back := GCJ02ToWGS84(WGS84ToGCJ02(p)); !near(back, p, 1e-8) {
			t.Errorf("GCJ02ToWGS84(WGS84ToGCJ02(%v)) = %v", p, back)
		}
	}
	// BD-09 back to GCJ-02 and WGS84: the vector, and the district to 1e-8°
	// (about 1 mm; a few centimetres are asked for).
	if got, want := BD09ToGCJ02(orb.Point{116.41036949371029, 39.92133699351021}), (orb.Point{116.404, 39.915}); !near(got, want, 1e-9) {
		t.Errorf("BD09ToGCJ02 = %v, want %v", got, want)
	}
	for _, p := range []orb.Point{{125.27, 43.88}, {125.06, 43.77}, {125.3, 44.0}} {
		if back := BD09ToWGS84(GCJ02ToBD09(WGS84ToGCJ02(p))); !near(back, p, 1e-8) {
			t.Errorf("BD09ToWGS84(BD-09 of %v) = %v", p, back)
		}
	}
	if p := (orb.Point{2.35, 48.85}); WGS84ToGCJ02(p) != p {
		t.Error("a point outside China moved")
	}
}

func TestEWKBRoundTrip(t *testing.T) {
	geoms := []orb.Geometry{
		orb.Point{125.27, 43.88},
		orb.LineString{{125.1, 43.8}, {125.2, 43.9}},
		orb.Polygon{{{125.1, 43.8}, {125.2, 43.8}, {125.2, 43.9}, {125.1, 43.8}}},
		orb.MultiPoint{{1, 2}, {3, 4}},
		orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
	}
	for _, g := range geoms {
		b, err := EncodeEWKB(g)
		if err != nil {
			t.Fatalf("EncodeEWKB(%v): %v", g, err)
		}
		// Little-endian EWKB with the SRID flag and SRID 4326.
		if b[0] != 1 || b[4]&0x20 == 0 || b[5] != 0xE6 || b[6] != 0x10 {
			t.Errorf("EncodeEWKB(%s) header % x", g.GeoJSONType(), b[:9])
		}
		back, err := DecodeEWKB(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(g, back); diff != "" {
			t.Errorf("round trip of %s (-want +got):\n%s", g.GeoJSONType(), diff)
		}
	}
}

func TestFrame(t *testing.T) {
	f := NewFrame(orb.Point{125.2, 43.89})
	p := orb.Point{125.27, 43.88}
	if back := f.ToLonLat(f.ToLocal(p)); !near(back, p, 1e-12) {
		t.Errorf("frame round trip %v", back)
	}
	// 0.01° of latitude is about 1,112 m.
	if d := f.ToLocal(orb.Point{125.2, 43.90})[1]; math.Abs(d-1111.95) > 0.5 {
		t.Errorf("0.01° north = %.2f m", d)
	}
	l := orb.LineString{{0, 0}, {100, 0}, {100, 100}}
	if got := Length(SubLine(l, 50, 150)); math.Abs(got-100) > 1e-9 {
		t.Errorf("SubLine length %v", got)
	}
	if got := len(Densify(l, 10)); got != 21 {
		t.Errorf("Densify gave %d points", got)
	}
}
