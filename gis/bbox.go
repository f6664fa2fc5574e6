// Package gis is inframap's pure geometry: bounding boxes, GeoJSON, the EWKB
// codec at the database boundary, local metric frames, tile maths, the
// GCJ-02/BD-09 transforms and geometry validation. It is the one place that
// converts between orb (the web side) and go-geom (the database side).
package gis

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// BBox is a WGS84 bounding box in degrees.
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// Bound returns b as an orb.Bound.
func (b BBox) Bound() orb.Bound {
	return orb.Bound{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}}
}

// BBoxOf returns the bounding box of an orb.Bound.
func BBoxOf(b orb.Bound) BBox {
	return BBox{MinLon: b.Min[0], MinLat: b.Min[1], MaxLon: b.Max[0], MaxLat: b.Max[1]}
}

// ParseBBox parses "minLon,minLat,maxLon,maxLat" (a 6-number box with
// heights, as OGC API Features allows, keeps the horizontal part). The box
// must lie within longitude ±180 and latitude ±90 and must not be inverted.
func ParseBBox(s string) (BBox, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return BBox{}, fmt.Errorf("bbox must be minLon,minLat,maxLon,maxLat (4 numbers), got %d values", len(parts))
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return BBox{}, fmt.Errorf("bbox value %d (%q) is not a number", i+1, p)
		}
		v[i] = f
	}
	b := BBox{v[0], v[1], v[2], v[3]}
	if len(v) == 6 {
		b = BBox{v[0], v[1], v[3], v[4]}
	}
	return b, b.Check()
}

// Check reports whether b is a valid WGS84 box.
func (b BBox) Check() error {
	switch {
	case b.MinLat < -90 || b.MinLat > 90 || b.MaxLat < -90 || b.MaxLat > 90:
		return fmt.Errorf("bbox latitude must be within ±90 (is the order minLon,minLat,maxLon,maxLat?)")
	case b.MinLon < -180 || b.MinLon > 180 || b.MaxLon < -180 || b.MaxLon > 180:
		return fmt.Errorf("bbox longitude must be within ±180")
	case b.MinLon > b.MaxLon:
		return fmt.Errorf("bbox is inverted: minLon %g is greater than maxLon %g", b.MinLon, b.MaxLon)
	case b.MinLat > b.MaxLat:
		return fmt.Errorf("bbox is inverted: minLat %g is greater than maxLat %g", b.MinLat, b.MaxLat)
	}
	return nil
}

// Contains reports whether p lies inside b (edges included).
func (b BBox) Contains(p orb.Point) bool {
	return p[0] >= b.MinLon && p[0] <= b.MaxLon && p[1] >= b.MinLat && p[1] <= b.MaxLat
}

// Rounded returns the box with its coordinates to 7 decimals (about a
// centimetre), as extents and TileJSON bounds are published.
func (b BBox) Rounded() [4]float64 {
	r := func(v float64) float64 { return math.Round(v*1e7) / 1e7 }
	return [4]float64{r(b.MinLon), r(b.MinLat), r(b.MaxLon), r(b.MaxLat)}
}
