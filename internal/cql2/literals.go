package cql2

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"

	"inframap/gis"
	"inframap/internal/maint"
)

// geomLit is a geometry literal, longitude first in the datum of srid.
type geomLit struct {
	g    orb.Geometry
	srid int
}

// newGeom checks a decoded geometry given in crs: latitude-first CRSs are
// swapped to longitude first before the range checks.
func newGeom(g orb.Geometry, crs gis.CRS) (*geomLit, error) {
	if crs.LatLon && g != nil {
		g = project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} })
	}
	if err := gis.CheckGeometry(g, MaxVertices); err != nil {
		return nil, invalid("geometry in %s: %v", crs.URI, err)
	}
	return &geomLit{g: g, srid: crs.SRID}, nil
}

func geomFromWKT(s string, crs gis.CRS) (*geomLit, error) {
	g, err := gis.DecodeWKT(s)
	if err != nil {
		return nil, invalid("%v", err)
	}
	return newGeom(g, crs)
}

func geomFromGeoJSON(raw json.RawMessage, crs gis.CRS) (*geomLit, error) {
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil || g.Coordinates == nil {
		return nil, invalid("not a GeoJSON geometry of type Point, LineString, Polygon or their Multi types")
	}
	return newGeom(g.Coordinates, crs)
}

// geomFromBBox makes the polygon of a BBOX literal: four numbers in the
// axis order of crs (six, with heights, are not accepted).
func geomFromBBox(v []float64, crs gis.CRS) (*geomLit, error) {
	if len(v) != 4 {
		return nil, invalid("BBOX takes 4 numbers, got %d", len(v))
	}
	if v[0] > v[2] || v[1] > v[3] {
		return nil, invalid("BBOX must be min, min, max, max")
	}
	b := orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	return newGeom(b.ToPolygon(), crs)
}

// timestamp reads an RFC 3339 date-time.
func timestamp(s string) (*maint.TimeRange, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return nil, invalid("TIMESTAMP(%q) is not an RFC 3339 date-time such as 2024-05-01T08:00:00Z", clip(s))
	}
	return &maint.TimeRange{First: &t, Last: &t}, nil
}

// date reads YYYY-MM-DD: the whole calendar day in the district's zone.
func date(s string) (*maint.TimeRange, error) {
	d, err := time.ParseInLocation(time.DateOnly, s, maint.Zone)
	if err != nil {
		return nil, invalid("DATE(%q) is not a date such as 2024-05-01", clip(s))
	}
	last := maint.EndOfDay(d).Add(-time.Microsecond)
	return &maint.TimeRange{First: &d, Last: &last}, nil
}

// instant reads a string as a date when it has the shape of one, else as a
// timestamp.
func instant(s string) (*maint.TimeRange, error) {
	if len(s) == len(time.DateOnly) {
		return date(s)
	}
	return timestamp(s)
}

// interval joins two ends; nil is an open end ("..").
func interval(a, b *maint.TimeRange) (*maint.TimeRange, error) {
	r := &maint.TimeRange{}
	if a != nil {
		r.First = a.First
	}
	if b != nil {
		r.Last = b.Last
	}
	if r.First != nil && r.Last != nil && r.First.After(*r.Last) {
		return nil, invalid("the INTERVAL ends before it starts")
	}
	return r, nil
}

// clip shortens a literal quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
