package gis

import (
	"encoding/binary"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
)

// SRID is the spatial reference of every stored geometry: WGS84 lon/lat.
const SRID = 4326

// EncodeEWKB encodes g as little-endian EWKB with SRID 4326, the form PostGIS
// reads with ST_GeomFromEWKB.
func EncodeEWKB(g orb.Geometry) ([]byte, error) {
	t, err := toGeom(g)
	if err != nil {
		return nil, err
	}
	return ewkb.Marshal(t, binary.LittleEndian)
}

// DecodeEWKB decodes EWKB (as ST_AsEWKB returns it) into an orb geometry.
// Only 2D coordinates are kept.
func DecodeEWKB(b []byte) (orb.Geometry, error) {
	t, err := ewkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode EWKB: %w", err)
	}
	return fromGeom(t)
}

func coord(p orb.Point) geom.Coord { return geom.Coord{p[0], p[1]} }

func coords(ps []orb.Point) []geom.Coord {
	out := make([]geom.Coord, len(ps))
	for i, p := range ps {
		out[i] = coord(p)
	}
	return out
}

func rings(p orb.Polygon) [][]geom.Coord {
	out := make([][]geom.Coord, len(p))
	for i, r := range p {
		out[i] = coords(r)
	}
	return out
}

func toGeom(g orb.Geometry) (geom.T, error) {
	var t geom.T
	var err error
	switch g := g.(type) {
	case orb.Point:
		t, err = geom.NewPoint(geom.XY).SetCoords(coord(g))
	case orb.LineString:
		t, err = geom.NewLineString(geom.XY).SetCoords(coords(g))
	case orb.Polygon:
		t, err = geom.NewPolygon(geom.XY).SetCoords(rings(g))
	case orb.MultiPoint:
		t, err = geom.NewMultiPoint(geom.XY).SetCoords(coords(g))
	case orb.MultiLineString:
		cs := make([][]geom.Coord, len(g))
		for i, l := range g {
			cs[i] = coords(l)
		}
		t, err = geom.NewMultiLineString(geom.XY).SetCoords(cs)
	case orb.MultiPolygon:
		cs := make([][][]geom.Coord, len(g))
		for i, p := range g {
			cs[i] = rings(p)
		}
		t, err = geom.NewMultiPolygon(geom.XY).SetCoords(cs)
	default:
		return nil, fmt.Errorf("geometry type %T is not supported", g)
	}
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case *geom.Point:
		t.SetSRID(SRID)
	case *geom.LineString:
		t.SetSRID(SRID)
	case *geom.Polygon:
		t.SetSRID(SRID)
	case *geom.MultiPoint:
		t.SetSRID(SRID)
	case *geom.MultiLineString:
		t.SetSRID(SRID)
	case *geom.MultiPolygon:
		t.SetSRID(SRID)
	}
	return t, nil
}

func point(c geom.Coord) orb.Point { return orb.Point{c[0], c[1]} }

func points(cs []geom.Coord) []orb.Point {
	out := make([]orb.Point, len(cs))
	for i, c := range cs {
		out[i] = point(c)
	}
	return out
}

func polygon(rs [][]geom.Coord) orb.Polygon {
	out := make(orb.Polygon, len(rs))
	for i, r := range rs {
		out[i] = orb.Ring(points(r))
	}
	return out
}

func fromGeom(t geom.T) (orb.Geometry, error) {
	switch t := t.(type) {
	case *geom.Point:
		return point(t.Coords()), nil
	case *geom.LineString:
		return orb.LineString(points(t.Coords())), nil
	case *geom.Polygon:
		return polygon(t.Coords()), nil
	case *geom.MultiPoint:
		return orb.MultiPoint(points(t.Coords())), nil
	case *geom.MultiLineString:
		var out orb.MultiLineString
		for _, l := range t.Coords() {
			out = append(out, points(l))
		}
		return out, nil
	case *geom.MultiPolygon:
		var out orb.MultiPolygon
		for _, p := range t.Coords() {
			out = append(out, polygon(p))
		}
		return out, nil
	}
	return nil, fmt.Errorf("geometry type %T is not supported", t)
}
