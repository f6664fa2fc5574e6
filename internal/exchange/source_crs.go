package exchange

import (
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"inframap/gis"
	"inframap/internal/maint"
)

// SourceCRS is the coordinate system of an imported file as the user names
// it (crs=): an EPSG code, which GDAL/PROJ transforms from, or one of the
// Chinese web-map offsets, which inframap reverses itself. Zero: the
// system the file names, else WGS84.
type SourceCRS struct {
	EPSG int
	// Offset is "gcj02" (Amap, Tencent) or "bd09" (Baidu): longitude and
	// latitude shifted from WGS84 by the public formulas.
	Offset string
}

// ParseSourceCRS reads crs= of an import: EPSG:4490, 4551 (CGCS2000
// Gauss–Krüger 126°E), any EPSG:n GDAL knows, wgs84, cgcs2000, gcj02 or
// bd09.
func ParseSourceCRS(param, s string) (SourceCRS, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch strings.ReplaceAll(t, "-", "") {
	case "":
		return SourceCRS{}, nil
	case "wgs84", "crs84":
		return SourceCRS{EPSG: 4326}, nil
	case "cgcs2000":
		return SourceCRS{EPSG: 4490}, nil
	case "gcj02":
		return SourceCRS{Offset: "gcj02"}, nil
	case "bd09":
		return SourceCRS{Offset: "bd09"}, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(t, "epsg:"))
	if err != nil || n < 1024 || n > 999999 {
		return SourceCRS{}, maint.Invalid(param, "crs %q is not a coordinate system: give EPSG:n (EPSG:4490 for CGCS2000, EPSG:4551 for CGCS2000 Gauss–Krüger 126°E), gcj02 or bd09", s)
	}
	return SourceCRS{EPSG: n}, nil
}

// Geographic reports whether coordinates in c are WGS84-like longitude and
// latitude that the native readers take as they are (CGCS2000 agrees with
// WGS84 to well under a metre).
func (c SourceCRS) Geographic() bool { return c.EPSG == 0 || c.EPSG == 4326 || c.EPSG == 4490 }

// String names c as crs= does.
func (c SourceCRS) String() string {
	if c.Offset != "" {
		return c.Offset
	}
	if c.EPSG == 0 {
		return ""
	}
	return "EPSG:" + strconv.Itoa(c.EPSG)
}

// FromOffset wraps src so that its geometries, read in c's GCJ-02 or BD-09
// longitude and latitude, come out in WGS84 (the iterative inverses of
// gis, to 1e-9°); without an offset src is returned as it is.
func FromOffset(src maint.RowSource, c SourceCRS) maint.RowSource {
	var f orb.Projection
	switch c.Offset {
	case "gcj02":
		f = gis.GCJ02ToWGS84
	case "bd09":
		f = gis.BD09ToWGS84
	default:
		return src
	}
	return offsetSource{src, f}
}

type offsetSource struct {
	maint.RowSource
	f orb.Projection
}

func (o offsetSource) Next() (*maint.ImportRow, error) {
	row, err := o.RowSource.Next()
	if row != nil && row.Geometry != nil {
		row.Geometry = project.Geometry(orb.Clone(row.Geometry), o.f)
	}
	return row, err
}
