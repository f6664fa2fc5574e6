package gis

import (
	"fmt"

	"github.com/paulmach/orb"
)

// Geometry is a WGS84 geometry as the domain carries it: an orb geometry.
// The alias keeps orb out of the domain's imports.
type Geometry = orb.Geometry

// AsPoint returns g as a point, or an error naming its type.
func AsPoint(g Geometry) (orb.Point, error) {
	p, ok := g.(orb.Point)
	if !ok {
		return orb.Point{}, fmt.Errorf("want a Point, got %s", typeName(g))
	}
	return p, nil
}

func typeName(g Geometry) string {
	if g == nil {
		return "no geometry"
	}
	return g.GeoJSONType()
}
