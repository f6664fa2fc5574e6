package maint

import (
	"time"

	"inframap/gis"
)

// The standards endpoints (OGC API Features, vector tiles, exports) read the
// public face of the assets: their own fields and attributes, never anything
// of the tasks beyond the status they give the asset.

// FeatureQuery selects the features of one collection (one kind).
type FeatureQuery struct {
	Kind Kind
	// BBox filters by intersection; it is in the datum of BBoxSRID, in
	// longitude/latitude order.
	BBox     *gis.BBox
	BBoxSRID int
	// From and To bound status_at, both ends included; nil is open.
	// HasTime false means no temporal filter at all.
	HasTime  bool
	From, To *time.Time
	Statuses []Status
	// Props are equality filters on the other public properties: the
	// asset's own fields or its kind's attributes.
	Props []PropertyFilter
	// Filter is a checked CQL2 filter (OGC API – Features Part 3); nil
	// filters nothing.
	Filter *Filter
	// CRS is the CRS of the geometries returned.
	CRS    gis.CRS
	Offset int
	Limit  int
}

// PropertyFilter is one property=value filter.
type PropertyFilter struct {
	Name, Value string
}

// FeatureProperties are the asset's own fields a property filter may name;
// any other name must be an attribute of the kind.
var FeatureProperties = []string{"code", "name", "name_en", "subdistrict"}

// Extent is the spatial and temporal extent of the assets of one kind.
type Extent struct {
	Kind  Kind
	Count int64
	// BBox is nil when there are no assets.
	BBox *gis.BBox
	// First and Last bound the assets' status_at; nil when none has one.
	First, Last *time.Time
}

// GeometryEncoding is how an export carries geometries.
type GeometryEncoding int

const (
	GeometryGeoJSON GeometryEncoding = iota // GeoJSON text
	GeometryWKT                             // WKT text
	GeometryEWKB                            // EWKB bytes
)

// ExportFilter selects the assets of an export.
type ExportFilter struct {
	// Kinds to export, in this order; empty means every kind in Kinds order.
	Kinds    []Kind
	Geometry GeometryEncoding
	// SRID of the coordinates written; zero is WGS84 (4326), the storage's.
	SRID int
}

// ExportedAsset is an asset as exports write it: Geometry holds the
// encoding the filter asked for.
type ExportedAsset struct {
	Asset
	// ParentCode is the code of the parent asset (a bay's lot), "" if none.
	ParentCode string
	// Lon and Lat are set for points.
	Lon, Lat *float64
}
