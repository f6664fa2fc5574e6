package gis

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

func TestParseWKT(t *testing.T) {
	good := map[string]orb.Geometry{
		"POINT(125.2712345 43.8812345)":          orb.Point{125.2712345, 43.8812345},
		" point ( 125.27   43.88 ) ":             orb.Point{125.27, 43.88},
		"SRID=4326;POINT(125.27 43.88)":          orb.Point{125.27, 43.88},
		"LINESTRING(125.25 43.87,125.26 43.875)": orb.LineString{{125.25, 43.87}, {125.26, 43.875}},
		"MULTIPOINT((1 2),(3 4))":                orb.MultiPoint{{1, 2}, {3, 4}},
		"MULTIPOINT(1 2,3 4)":                    orb.MultiPoint{{1, 2}, {3, 4}},
		"POLYGON((0 0,1 0,1 1,0 0),(0.1 0.1,0.2 0.1,0.2 0.2,0.1 0.1))": orb.Polygon{
			{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0.1, 0.1}, {0.2, 0.1}, {0.2, 0.2}, {0.1, 0.1}}},
		"MULTILINESTRING((0 0,1 1),(2 2,3 3))":                  orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}},
		"MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))": orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}},
	}
	for in, want := range good {
		got, err := ParseWKT(in, 100)
		if err != nil {
			t.Errorf("ParseWKT(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseWKT(%q) mismatch (-want +got):\n%s", in, diff)
		}
	}
	bad := map[string]string{
		"":                                    "required",
		"POINT()":                             "not valid WKT",
		"POINT(0x1p3 2)":                      "not valid WKT",
		"POINT(1 2)x":                         "not valid WKT",
		"POINT Z (1 2 3)":                     "2-D",
		"POINT EMPTY":                         "empty",
		"MULTIPOINT(EMPTY,(1 2))":             "empty",
		"GEOMETRYCOLLECTION(POINT(1 2))":      "not supported",
		"SRID=3857;POINT(1 2)":                "SRID",
		"SRID=4326 POINT(1 2)":                "';'",
		"POINT(43.88 125.27)":                 "swapped",
		"POINT(1e400 2)":                      "not valid WKT",
		"POLYGON((0 0,1 0,1 1,0 0.5))":        "not closed",
		"LINESTRING(0 0,1 1,2 2,3 3,4 4,5 5)": "vertices",
	}
	for in, want := range bad {
		_, err := ParseWKT(in, 5)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseWKT(%q) = %v, want an error saying %q", in, err, want)
		}
	}
}
