package gis

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"
)

// ParseWKT decodes a WKT geometry, longitude first as PostGIS's ST_AsText
// writes it (the CSV export's wkt column), and checks it as ParseGeometry
// checks GeoJSON. An EWKT prefix "SRID=4326;" is accepted; any other SRID,
// 3-D or measured coordinates, empty geometries and GEOMETRYCOLLECTION are
// refused. go-geom's parser is a grammar, so its errors name the position.
func ParseWKT(s string, maxVertices int) (orb.Geometry, error) {
	g, err := DecodeWKT(s)
	if err != nil {
		return nil, err
	}
	if err := CheckGeometry(g, maxVertices); err != nil {
		return nil, err
	}
	return g, nil
}

// DecodeWKT decodes WKT as ParseWKT does but leaves the coordinates
// unchecked, for callers whose axis order is not yet longitude first.
func DecodeWKT(s string) (orb.Geometry, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("a geometry is required")
	}
	if len(s) > 5 && strings.EqualFold(s[:5], "SRID=") {
		srid, rest, ok := strings.Cut(s[5:], ";")
		if !ok {
			return nil, fmt.Errorf("not WKT: SRID=… must end with ';'")
		}
		if n, err := strconv.Atoi(strings.TrimSpace(srid)); err != nil || n != SRID {
			return nil, fmt.Errorf("coordinates must be WGS84 longitude/latitude (SRID %d), not SRID %q", SRID, srid)
		}
		s = strings.TrimSpace(rest)
	}
	t, err := wkt.Unmarshal(s)
	if err != nil {
		// go-geom's messages span lines (a caret under the position).
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return nil, fmt.Errorf("not valid WKT: %s", msg)
	}
	if t.Layout() != geom.XY {
		return nil, fmt.Errorf("only 2-D coordinates (longitude latitude) are read; this WKT has %s coordinates", t.Layout())
	}
	if err := checkNotEmpty(t); err != nil {
		return nil, err
	}
	g, err := fromGeom(t)
	if err != nil {
		return nil, fmt.Errorf("WKT type %s is not supported; use POINT, LINESTRING, POLYGON or their MULTI types", strings.TrimPrefix(fmt.Sprintf("%T", t), "*geom."))
	}
	return g, nil
}

// checkNotEmpty refuses EMPTY geometries and parts, which an asset cannot
// have (and which fromGeom cannot convert).
func checkNotEmpty(t geom.T) error {
	if t.Empty() {
		return fmt.Errorf("the geometry is empty")
	}
	if mp, ok := t.(*geom.MultiPoint); ok {
		for i := range mp.NumPoints() {
			if mp.Point(i).Empty() {
				return fmt.Errorf("point %d of the MULTIPOINT is empty", i+1)
			}
		}
	}
	return nil
}

// CheckGeometry checks a decoded geometry as ParseGeometry does: finite
// coordinates in range (naming a likely lat/lon swap), enough points for
// each part, closed rings, and at most maxVertices vertices.
func CheckGeometry(g orb.Geometry, maxVertices int) error {
	switch g.(type) {
	case nil:
		return fmt.Errorf("a geometry is required")
	case orb.Collection:
		return fmt.Errorf("GeometryCollection is not supported")
	}
	n := 0
	var bad error
	visit(g, func(p orb.Point) {
		n++
		if bad == nil {
			bad = checkPoint(p)
		}
	})
	if bad != nil {
		return bad
	}
	if n > maxVertices {
		return fmt.Errorf("the geometry has %d vertices; at most %d are accepted", n, maxVertices)
	}
	return checkParts(g)
}
