package gis

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// earthRadius is the WGS84 mean radius in metres.
const earthRadius = 6371008.8

// Frame is a local equirectangular frame in metres around an origin: x east,
// y north. Over a district (tens of kilometres) its error is a few parts in
// ten thousand, which is all that laying out generated geometry needs.
type Frame struct {
	Origin orb.Point
	kx, ky float64 // metres per degree
}

// NewFrame returns a local frame centred on origin.
func NewFrame(origin orb.Point) Frame {
	ky := earthRadius * math.Pi / 180
	return Frame{Origin: origin, kx: ky * math.Cos(origin[1]*math.Pi/180), ky: ky}
}

// ToLocal converts lon/lat to metres in the frame.
func (f Frame) ToLocal(p orb.Point) orb.Point {
	return orb.Point{(p[0] - f.Origin[0]) * f.kx, (p[1] - f.Origin[1]) * f.ky}
}

// ToLonLat converts metres in the frame to lon/lat.
func (f Frame) ToLonLat(p orb.Point) orb.Point {
	return orb.Point{f.Origin[0] + p[0]/f.kx, f.Origin[1] + p[1]/f.ky}
}

// LineToLonLat converts a local line to lon/lat.
func (f Frame) LineToLonLat(l orb.LineString) orb.LineString {
	out := make(orb.LineString, len(l))
	for i, p := range l {
		out[i] = f.ToLonLat(p)
	}
	return out
}

// RingToLonLat converts a local ring to lon/lat.
func (f Frame) RingToLonLat(r orb.Ring) orb.Ring {
	return orb.Ring(f.LineToLonLat(orb.LineString(r)))
}

// LineToLocal converts a lon/lat line to local metres.
func (f Frame) LineToLocal(l orb.LineString) orb.LineString {
	out := make(orb.LineString, len(l))
	for i, p := range l {
		out[i] = f.ToLocal(p)
	}
	return out
}

// RingToLocal converts a lon/lat ring to local metres.
func (f Frame) RingToLocal(r orb.Ring) orb.Ring {
	return orb.Ring(f.LineToLocal(orb.LineString(r)))
}

// Length returns the length of a local line in metres.
func Length(l orb.LineString) float64 { return planar.Length(l) }

// Densify returns l with extra vertices so that no segment is longer than
// step (in l's units).
func Densify(l orb.LineString, step float64) orb.LineString {
	if len(l) < 2 {
		return l
	}
	out := orb.LineString{l[0]}
	for i := 1; i < len(l); i++ {
		a, b := l[i-1], l[i]
		d := planar.Distance(a, b)
		n := int(math.Ceil(d / step))
		for k := 1; k <= n; k++ {
			t := float64(k) / float64(n)
			out = append(out, orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t})
		}
	}
	return out
}

// Along returns the point at distance d along a local line and the unit
// direction of the segment it falls on.
func Along(l orb.LineString, d float64) (p orb.Point, dir orb.Point) {
	for i := 1; i < len(l); i++ {
		a, b := l[i-1], l[i]
		seg := planar.Distance(a, b)
		if seg == 0 {
			continue
		}
		dir = orb.Point{(b[0] - a[0]) / seg, (b[1] - a[1]) / seg}
		if d <= seg || i == len(l)-1 {
			t := math.Min(d, seg)
			return orb.Point{a[0] + dir[0]*t, a[1] + dir[1]*t}, dir
		}
		d -= seg
	}
	if len(l) > 0 {
		return l[len(l)-1], orb.Point{1, 0}
	}
	return orb.Point{}, orb.Point{1, 0}
}

// SubLine returns the part of a local line between distances from and to
// along it.
func SubLine(l orb.LineString, from, to float64) orb.LineString {
	var out orb.LineString
	start, _ := Along(l, from)
	out = append(out, start)
	acc := 0.0
	for i := 1; i < len(l); i++ {
		acc += planar.Distance(l[i-1], l[i])
		if acc > from && acc < to {
			out = append(out, l[i])
		}
	}
	end, _ := Along(l, to)
	return append(out, end)
}
