package exchange

import (
	"slices"
	"strconv"
	"strings"

	"inframap/internal/maint"
)

// CRS is a coordinate reference system an export may be written in, by its
// EPSG code. The codes and their definitions were checked against PROJ's
// database (gdalsrsinfo -o proj4 EPSG:n; docs/exchange.md lists them).
type CRS int

const (
	WGS84    CRS = 4326 // the storage system; GeoJSON, CSV and KML are always in it
	CGCS2000 CRS = 4490 // geographic CGCS2000, as Tianditu and survey data give it
)

// ExportCRSs are the systems an export offers: WGS84, CGCS2000, and the
// CGCS2000 Gauss–Krüger projections the district lies in — the 3-degree
// zone of central meridian 126°E (without and with the zone number 42 in
// front of the easting) and the 6-degree zone of 123°E (zone 21).
var ExportCRSs = []CRS{WGS84, CGCS2000, 4551, 4530, 4510, 4499}

// crsNames are the short names accepted besides EPSG:n.
var crsNames = map[string]CRS{"wgs84": WGS84, "cgcs2000": CGCS2000}

// ParseCRS reads crs= of an export: EPSG:4326 (the default when empty),
// EPSG:4490, a Gauss–Krüger code of ExportCRSs, or wgs84/cgcs2000.
func ParseCRS(param, s string) (CRS, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return WGS84, nil
	}
	if c, ok := crsNames[strings.ToLower(s)]; ok {
		return c, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(s), "EPSG:"))
	if err != nil || !slices.Contains(ExportCRSs, CRS(n)) {
		return 0, maint.Invalid(param, "crs %q is not offered: use one of %s", s, crsList())
	}
	return CRS(n), nil
}

func crsList() string {
	names := make([]string, len(ExportCRSs))
	for i, c := range ExportCRSs {
		names[i] = c.String()
	}
	return strings.Join(names, ", ")
}

// String is the system as EPSG:n.
func (c CRS) String() string { return "EPSG:" + strconv.Itoa(int(c)) }

// Projected reports whether coordinates are metres (easting, northing)
// rather than degrees.
func (c CRS) Projected() bool { return c != WGS84 && c != CGCS2000 }

// SRID is the system's PostGIS SRID.
func (c CRS) SRID() int { return int(c) }

// AllowsCRS reports whether files in f may be written in c: GeoJSON (RFC
// 7946), KML and our CSV (which an import reads back) are WGS84 only.
func (f Format) AllowsCRS(c CRS) bool {
	switch f {
	case GeoPackage, Shapefile, XLSX:
		return true
	}
	return c == WGS84
}
