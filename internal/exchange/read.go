package exchange

import (
	"io"
	"mime"
	"path/filepath"
	"strings"
	"time"

	"inframap/internal/maint"
)

// ImportFormats are the formats an import reads with its own readers; the
// formats of gdalFormats are read through GDAL (read_gdal.go).
var ImportFormats = []Format{GeoJSON, CSV, XLSX}

// NewReader starts reading a file in format f — a CSV file's header, a
// GeoJSON file up to its first feature — and returns its rows one at a
// time. Each row is checked as an API write is checked (kind, code, name,
// attributes, geometry and its type for the kind, the parent rule) and
// carries its problems; what needs the database is the store's to check.
// The file is read as it streams: nothing but the current row is held.
func NewReader(f Format, r io.Reader) (maint.RowSource, error) {
	return NewMappedReader(f, r, nil)
}

// NewMappedReader is NewReader with a mapping of the source's fields and
// values to ours (nil: none), applied to each row before it is read.
func NewMappedReader(f Format, r io.Reader, m *Mapping) (maint.RowSource, error) {
	switch f {
	case XLSX:
		return newXLSXReader(r, m)
	case CSV:
		return newMappedCSVReader(r, m)
	case GeoJSON:
		g, err := newGeoJSONReader(r)
		if err != nil {
			return nil, err
		}
		g.m = m
		return g, nil
	}
	return nil, maint.Errorf(maint.CodeUnsupportedMedia, "%s files cannot be imported; import GeoJSON, CSV or .xlsx", f)
}

// FormatOfMediaType returns the import format a Content-Type names. CSV
// comes as text/csv, or as application/vnd.ms-excel from browsers on
// Windows; GeoJSON as application/geo+json or application/json.
func FormatOfMediaType(contentType string) (Format, bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	switch mt {
	case "text/csv", "application/csv", "application/vnd.ms-excel":
		return CSV, true
	case "application/geo+json", "application/vnd.geo+json", "application/json":
		return GeoJSON, true
	case "application/vnd.google-earth.kml+xml":
		return KML, true
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return XLSX, true
	}
	return "", false
}

// FormatOfName returns the format a file name's extension names.
func FormatOfName(name string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return CSV, true
	case ".geojson", ".json":
		return GeoJSON, true
	case ".kml":
		return KML, true
	case ".xlsx":
		return XLSX, true
	}
	return "", false
}

// ignoredOnImport are exported fields the service derives itself.
var ignoredOnImport = []string{"subdistrict", "status", "status_at"}

var kindList = func() string {
	names := make([]string, len(maint.Kinds))
	for i, k := range maint.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}()

// now is the clock the register's dates are judged by (tests set it).
var now = time.Now

// checkRegister reads a row's register columns: a cover's anti-fall net
// and last inspection go to its register; another kind has none.
func checkRegister(row *maint.ImportRow) {
	for _, col := range []string{maint.ColAntiFallNet, maint.ColLastInspectedOn} {
		v, ok := row.RegisterRaw[col]
		if !ok {
			continue
		}
		if row.Kind != maint.KindManhole {
			row.AddError(maint.RegisterOnlyCovers(row.Kind, col))
			continue
		}
		switch col {
		case maint.ColAntiFallNet:
			b, err := maint.ParseAntiFallNet(v)
			if err != nil {
				row.AddError(err)
				continue
			}
			row.Register.AntiFallNet = &b
		case maint.ColLastInspectedOn:
			d, err := maint.ParseLastInspectedOn(v, now())
			if err != nil {
				row.AddError(err)
				continue
			}
			row.Register.LastInspectedOn = &d
		}
	}
}

// checkRow runs the checks of an API write on a row whose fields are read.
// Checks that depend on the kind wait for a known kind; the geometry was
// judged as it was read.
func checkRow(row *maint.ImportRow) {
	if !row.Kind.Valid() {
		if row.Kind == "" {
			row.Add("kind", "kind is required: one of %s", kindList)
		} else {
			row.Add("kind", "unknown kind %q; known kinds: %s", row.Kind, kindList)
		}
	} else if err := maint.CheckAssetFields(row.Kind, row.Code, row.Name); err != nil {
		row.AddError(err)
	}
	if len([]rune(row.NameEn)) > 200 {
		row.Add("name_en", "name_en is limited to 200 characters")
	}
	if !row.Kind.Valid() {
		return
	}
	if err := maint.CheckAttrs(row.Kind, row.Code, row.Attrs); err != nil {
		row.AddError(err)
	}
	checkRegister(row)
	switch {
	case row.Kind == maint.KindParkingSpace && row.ParentCode == "":
		row.Add("parent_code", "a parking space needs the code of its lot (parent_code)")
	case row.Kind != maint.KindParkingSpace && row.ParentCode != "":
		row.Add("parent_code", "only parking spaces belong to a parent (their lot); leave parent_code empty for a %s", row.Kind)
	}
	if row.Geometry != nil && !row.Kind.AllowsGeometry(row.Geometry.GeoJSONType()) {
		row.Add("geometry", "a %s has a %v geometry, not %s", row.Kind, row.Kind.GeometryTypes(), row.Geometry.GeoJSONType())
	}
}
