// Package exchange owns the files inframap exchanges with other systems:
// GeoJSON, CSV and KML exports of the assets (and, later, the imports that
// read them back). The column set and the cell encoding are one contract
// for both directions: docs/exchange.md describes them.
package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"inframap/internal/maint"
)

// Format is an exchange file format.
type Format string

const (
	GeoJSON Format = "geojson"
	CSV     Format = "csv"
	KML     Format = "kml"
	// GeoPackage and Shapefile (a zip of one shapefile per kind and
	// geometry type) are written by GDAL's ogr2ogr (ogr.go); XLSX by
	// excelize (xlsx.go).
	GeoPackage Format = "gpkg"
	Shapefile  Format = "shp"
	XLSX       Format = "xlsx"
)

// Formats lists the formats in the order they are offered.
var Formats = []Format{GeoJSON, CSV, KML, GeoPackage, Shapefile, XLSX}

// ParseFormat reads a format name; "" is GeoJSON.
func ParseFormat(param, s string) (Format, error) {
	if s == "" {
		return GeoJSON, nil
	}
	f := Format(strings.ToLower(s))
	if !slices.Contains(Formats, f) {
		return "", maint.Invalid(param, "format %q is not one of geojson, csv, kml, gpkg, shp, xlsx", s)
	}
	return f, nil
}

// ContentType is the media type of files in f.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8; header=present"
	case KML:
		return "application/vnd.google-earth.kml+xml"
	case GeoPackage:
		return "application/geopackage+sqlite3"
	case Shapefile:
		return "application/zip"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/geo+json"
}

// Ext is the file name extension of f, without the dot.
func (f Format) Ext() string {
	if f == Shapefile {
		return "shp.zip"
	}
	return string(f)
}

// Geometry is the geometry encoding the writer of f needs from the store.
func (f Format) Geometry() maint.GeometryEncoding {
	switch f {
	case CSV, XLSX:
		return maint.GeometryWKT
	case KML:
		return maint.GeometryEWKB
	}
	return maint.GeometryGeoJSON
}

// FileName is a sensible name for an export of kinds (all when empty) made
// at t: lvyuan-manhole-20240901.csv, the day in the district's zone.
func FileName(f Format, kinds []maint.Kind, t time.Time) string {
	what := "all"
	if len(kinds) > 0 {
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		what = strings.Join(names, "+")
	}
	return "lvyuan-" + what + "-" + t.In(maint.Zone).Format("20060102") + "." + f.Ext()
}

// Writer writes assets to a file in one format: Begin once with the names
// of the attributes the assets carry, Write for each asset, End once.
type Writer interface {
	Begin(attrKeys []string) error
	Write(a *maint.ExportedAsset) error
	End() error
}

// ExportOptions are the choices of an export beyond its format.
type ExportOptions struct {
	// CRS of the coordinates; zero is WGS84. The store transforms them
	// (maint.ExportFilter.SRID); the writer labels them.
	CRS CRS
	// Encoding of a shapefile's attribute text: "UTF-8" (the default) or
	// "GBK", named in its .cpg file.
	Encoding string
}

// NewWriter returns a writer of f onto w.
func NewWriter(f Format, w io.Writer) Writer {
	return NewWriterOptions(context.Background(), f, w, ExportOptions{})
}

// NewWriterOptions returns a writer of f onto w with opt. ctx bounds the
// GDAL run of GeoPackage and shapefile exports.
func NewWriterOptions(ctx context.Context, f Format, w io.Writer, opt ExportOptions) Writer {
	if opt.CRS == 0 {
		opt.CRS = WGS84
	}
	switch f {
	case GeoPackage, Shapefile:
		return newOGRWriter(ctx, f, w, opt)
	case XLSX:
		return newXLSXWriter(w, opt)
	case CSV:
		return newCSVWriter(w)
	case KML:
		return newKMLWriter(w)
	}
	return newGeoJSONWriter(w)
}

// Columns are the fixed columns of a CSV export, in order, and the fixed
// properties of GeoJSON and KML exports. An import reads code, kind, name,
// name_en, parent_code, the geometry (wkt, or lon and lat) and the
// attribute columns; subdistrict, status and status_at are derived by the
// service and an import ignores them. No attribute may take one of these
// names.
var Columns = []string{"code", "kind", "name", "name_en", "parent_code", "subdistrict", "status", "status_at", "lon", "lat", "wkt"}

// Reserved reports whether name is a fixed column rather than an
// attribute: one of Columns, id, or a cover's register column
// (maint.RegisterColumns: owner_unit, anti_fall_net, last_inspected_on),
// which the store writes among the attributes of a cover's row.
func Reserved(name string) bool {
	return slices.Contains(Columns, name) || name == "id" || slices.Contains(maint.RegisterColumns, name)
}

// checkKeys refuses attribute names that would write a fixed column twice.
// The register columns come from the store, not from attributes.
func checkKeys(keys []string) error {
	for _, k := range keys {
		if slices.Contains(Columns, k) || k == "id" {
			return fmt.Errorf("attribute %q has the name of a fixed column; rename it before exporting", k)
		}
	}
	return nil
}

// EncodeCell writes an attribute value (JSON) as the text of a CSV cell or a
// KML Data value. Strings are written as they are, so people read and edit
// them plainly; numbers, booleans, null, arrays and objects as compact JSON.
// A string that would read back as something else (one that is itself valid
// JSON, such as "12" or "true", or the empty string) is written as a JSON
// string literal, quotes included. DecodeCell reverses it exactly.
func EncodeCell(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		if s != "" && !json.Valid([]byte(s)) {
			return s, nil
		}
		return string(v), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

// DecodeCell reads a cell written by EncodeCell. An empty cell is an absent
// attribute (ok false); text that is valid JSON is that value; any other
// text is a string.
func DecodeCell(s string) (v json.RawMessage, ok bool) {
	if s == "" {
		return nil, false
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s), true
	}
	b, _ := json.Marshal(s)
	return b, true
}

// attrCells splits an asset's attributes into cells by name.
func attrCells(attrs []byte) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(attrs, &m); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	cells := make(map[string]string, len(m))
	for k, v := range m {
		c, err := EncodeCell(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		cells[k] = c
	}
	return cells, nil
}

func formatTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func statusText(s *maint.Status) string {
	if s == nil {
		return ""
	}
	return string(*s)
}
