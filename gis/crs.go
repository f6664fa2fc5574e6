package gis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CRS is a coordinate reference system the service can answer in. Every
// stored geometry is WGS84 longitude/latitude (SRID 4326); the others are
// views of it that PostGIS produces on the way out.
type CRS struct {
	// URI is the OGC identifier clients name it by.
	URI string
	// SRID is the PostGIS spatial reference to transform to.
	SRID int
	// LatLon is true when the CRS's axis order is latitude first, as the
	// EPSG definitions of 4326 and 4490 say; CRS84 is longitude first.
	LatLon bool
}

// The CRSs of the standards endpoints. EPSG:4490 is CGCS2000, China's
// geodetic datum; at the district's scale it agrees with WGS84 to the
// centimetre, but clients that work in it should get it named as such.
var (
	CRS84    = CRS{URI: "http://www.opengis.net/def/crs/OGC/1.3/CRS84", SRID: 4326}
	EPSG4326 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4326", SRID: 4326, LatLon: true}
	EPSG4490 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4490", SRID: 4490, LatLon: true}
)

// CRSs lists the supported CRSs, the default first.
var CRSs = []CRS{CRS84, EPSG4326, EPSG4490}

// ParseCRS finds a supported CRS by its URI (or the equivalent safe CURIE
// "[EPSG:4326]", which OGC API Part 2 also allows). An empty string is the
// default, CRS84.
func ParseCRS(s string) (CRS, error) {
	if s == "" {
		return CRS84, nil
	}
	uri := s
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		auth, code, ok := strings.Cut(s[1:len(s)-1], ":")
		if ok {
			switch strings.ToUpper(auth) {
			case "EPSG":
				uri = "http://www.opengis.net/def/crs/EPSG/0/" + code
			case "OGC":
				uri = "http://www.opengis.net/def/crs/OGC/1.3/" + code
			}
		}
	}
	uri = strings.Replace(uri, "https://", "http://", 1)
	for _, c := range CRSs {
		if c.URI == uri {
			return c, nil
		}
	}
	names := make([]string, len(CRSs))
	for i, c := range CRSs {
		names[i] = c.URI
	}
	return CRS{}, fmt.Errorf("CRS %q is not supported; supported: %s", s, strings.Join(names, ", "))
}

// ParseBBoxIn parses a bounding box given in crs: "minLon,minLat,maxLon,maxLat"
// for CRS84, "minLat,minLon,maxLat,maxLon" for the latitude-first CRSs. The
// result is in longitude/latitude order of that CRS's datum.
func ParseBBoxIn(s string, crs CRS) (BBox, error) {
	if !crs.LatLon {
		return ParseBBox(s)
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return BBox{}, fmt.Errorf("bbox must be minLat,minLon,maxLat,maxLon in %s (4 numbers), got %d values", crs.URI, len(parts))
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return BBox{}, fmt.Errorf("bbox value %d (%q) is not a number", i+1, p)
		}
		v[i] = f
	}
	b := BBox{MinLat: v[0], MinLon: v[1], MaxLat: v[2], MaxLon: v[3]}
	if len(v) == 6 {
		b = BBox{MinLat: v[0], MinLon: v[1], MaxLat: v[3], MaxLon: v[4]}
	}
	if err := b.Check(); err != nil {
		return BBox{}, fmt.Errorf("%w (in %s the order is minLat,minLon,maxLat,maxLon)", err, crs.URI)
	}
	return b, nil
}
