package gis

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// MaxVertices bounds the vertices of one geometry accepted from a client.
const MaxVertices = 10000

// ParseGeometry decodes a GeoJSON geometry and checks what can be checked
// without a database: a known type, finite coordinates in range (naming a
// likely lat/lon swap), enough points for each part, closed rings, and at
// most maxVertices vertices. Validity in the OGC sense (self-intersections)
// is PostGIS's to judge.
func ParseGeometry(raw json.RawMessage, maxVertices int) (orb.Geometry, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("a geometry is required")
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, fmt.Errorf("not a GeoJSON geometry: %v", err)
	}
	if g.Coordinates == nil {
		return nil, fmt.Errorf("geometry type %q is not supported; use Point, LineString, Polygon or their Multi types", g.Type)
	}
	if err := CheckGeometry(g.Coordinates, maxVertices); err != nil {
		return nil, err
	}
	return g.Coordinates, nil
}

func checkPoint(p orb.Point) error {
	lon, lat := p[0], p[1]
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return fmt.Errorf("coordinates must be finite numbers")
	}
	if math.Abs(lat) > 90 {
		if math.Abs(lon) <= 90 && math.Abs(lat) <= 180 {
			return fmt.Errorf("latitude %g is out of range: the coordinates look swapped (GeoJSON puts longitude first: [lon, lat])", lat)
		}
		return fmt.Errorf("latitude %g is out of range (±90)", lat)
	}
	if math.Abs(lon) > 180 {
		return fmt.Errorf("longitude %g is out of range (±180)", lon)
	}
	return nil
}

func visit(g orb.Geometry, f func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		f(g)
	case orb.MultiPoint:
		for _, p := range g {
			f(p)
		}
	case orb.LineString:
		for _, p := range g {
			f(p)
		}
	case orb.MultiLineString:
		for _, l := range g {
			visit(l, f)
		}
	case orb.Polygon:
		for _, r := range g {
			visit(orb.LineString(r), f)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			visit(p, f)
		}
	}
}

func checkParts(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.MultiPoint:
		if len(g) == 0 {
			return fmt.Errorf("a MultiPoint needs at least one point")
		}
	case orb.LineString:
		if len(g) < 2 {
			return fmt.Errorf("a LineString needs at least 2 positions")
		}
	case orb.MultiLineString:
		if len(g) == 0 {
			return fmt.Errorf("a MultiLineString needs at least one line")
		}
		for _, l := range g {
			if err := checkParts(l); err != nil {
				return err
			}
		}
	case orb.Polygon:
		if len(g) == 0 {
			return fmt.Errorf("a Polygon needs an exterior ring")
		}
		for i, r := range g {
			if len(r) < 4 {
				return fmt.Errorf("ring %d has %d positions; a ring needs at least 4", i+1, len(r))
			}
			if !r.Closed() {
				return fmt.Errorf("ring %d is not closed: its first and last positions differ", i+1)
			}
		}
	case orb.MultiPolygon:
		if len(g) == 0 {
			return fmt.Errorf("a MultiPolygon needs at least one polygon")
		}
		for _, p := range g {
			if err := checkParts(p); err != nil {
				return err
			}
		}
	}
	return nil
}
