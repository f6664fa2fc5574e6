package gis

import (
	"math"

	"github.com/paulmach/orb"
)

// The GCJ-02 ("Mars") offset that Chinese web maps such as Amap apply to
// WGS84, and Baidu's BD-09 on top of it. The formula is the public one; its
// constants are those of the Krasovsky ellipsoid it was published with.
const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
)

// InChina reports whether the GCJ-02 offset applies at p. Outside this box
// the transforms leave coordinates unchanged.
func InChina(p orb.Point) bool {
	return p[0] >= 72.004 && p[0] <= 137.8347 && p[1] >= 0.8293 && p[1] <= 55.8271
}

func gcjLat(x, y float64) float64 {
	r := -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20*math.Sin(6*math.Pi*x) + 20*math.Sin(2*math.Pi*x)) * 2 / 3
	r += (20*math.Sin(math.Pi*y) + 40*math.Sin(math.Pi*y/3)) * 2 / 3
	r += (160*math.Sin(math.Pi*y/12) + 320*math.Sin(math.Pi*y/30)) * 2 / 3
	return r
}

func gcjLon(x, y float64) float64 {
	r := 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20*math.Sin(6*math.Pi*x) + 20*math.Sin(2*math.Pi*x)) * 2 / 3
	r += (20*math.Sin(math.Pi*x) + 40*math.Sin(math.Pi*x/3)) * 2 / 3
	r += (150*math.Sin(math.Pi*x/12) + 300*math.Sin(math.Pi*x/30)) * 2 / 3
	return r
}

// WGS84ToGCJ02 shifts a WGS84 lon/lat onto GCJ-02.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if !InChina(p) {
		return p
	}
	x, y := p[0]-105, p[1]-35
	dLat, dLon := gcjLat(x, y), gcjLon(x, y)
	phi := p[1] * math.Pi / 180
	m := 1 - gcjEE*math.Sin(phi)*math.Sin(phi)
	s := math.Sqrt(m)
	dLat = dLat * 180 / ((gcjA * (1 - gcjEE)) / (m * s) * math.Pi)
	dLon = dLon * 180 / (gcjA / s * math.Cos(phi) * math.Pi)
	return orb.Point{p[0] + dLon, p[1] + dLat}
}

// GCJ02ToWGS84 inverts WGS84ToGCJ02 by fixed-point iteration to 1e-9 degrees.
func GCJ02ToWGS84(g orb.Point) orb.Point {
	if !InChina(g) {
		return g
	}
	w := g
	for range 30 {
		c := WGS84ToGCJ02(w)
		dx, dy := c[0]-g[0], c[1]-g[1]
		w = orb.Point{w[0] - dx, w[1] - dy}
		if math.Abs(dx) < 1e-9 && math.Abs(dy) < 1e-9 {
			break
		}
	}
	return w
}

// GCJ02ToBD09 converts GCJ-02 to Baidu's BD-09.
func GCJ02ToBD09(p orb.Point) orb.Point {
	const xPi = math.Pi * 3000 / 180
	x, y := p[0], p[1]
	z := math.Sqrt(x*x+y*y) + 2e-5*math.Sin(y*xPi)
	theta := math.Atan2(y, x) + 3e-6*math.Cos(x*xPi)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// BD09ToGCJ02 inverts GCJ02ToBD09: the closed-form approximation, then
// fixed-point iteration to 1e-9 degrees (a few centimetres would do; this
// is well below).
func BD09ToGCJ02(b orb.Point) orb.Point {
	const xPi = math.Pi * 3000 / 180
	x, y := b[0]-0.0065, b[1]-0.006
	z := math.Sqrt(x*x+y*y) - 2e-5*math.Sin(y*xPi)
	theta := math.Atan2(y, x) - 3e-6*math.Cos(x*xPi)
	g := orb.Point{z * math.Cos(theta), z * math.Sin(theta)}
	for range 30 {
		c := GCJ02ToBD09(g)
		dx, dy := c[0]-b[0], c[1]-b[1]
		g = orb.Point{g[0] - dx, g[1] - dy}
		if math.Abs(dx) < 1e-9 && math.Abs(dy) < 1e-9 {
			break
		}
	}
	return g
}

// BD09ToWGS84 reverses Baidu's BD-09 to WGS84 through GCJ-02.
func BD09ToWGS84(b orb.Point) orb.Point { return GCJ02ToWGS84(BD09ToGCJ02(b)) }
