package maint

import (
	"encoding/json"
	"time"

	"inframap/gis"
)

// Asset is a mapped piece of infrastructure: a road section under repair, a
// compound being retrofitted, a parking lot or bay, a manhole, a project.
type Asset struct {
	ID          int64
	Kind        Kind
	Code        string // stable human code (the 16-digit component code for manholes)
	Name        string
	NameEn      string
	Subdistrict string
	ParentID    *int64 // a parking space's lot
	// Attrs holds the kind's attributes (area_m2, spaces, cover_category …) as
	// a JSON object.
	Attrs json.RawMessage
	// Geometry is GeoJSON (RFC 7946, WGS84).
	Geometry json.RawMessage
	// Status is that of the asset's latest task; nil when it has none.
	Status   *Status
	StatusAt *time.Time
	// CompletedAt is when the asset's case of the published programme
	// closed (结案), if it has.
	CompletedAt *time.Time
	// PCI and ConditionGrade are the asset's condition (docs/condition.md):
	// a road's PCI and grade, a cover's grade; nil until graded.
	PCI            *float64
	ConditionGrade *string
	// ConditionScore ranks the work list (worst first); nil until graded.
	ConditionScore *float64
	// OwnerUnit, AntiFallNet and LastInspectedOn are a cover's register
	// (一井一档案, docs/inspections.md): the unit responsible for its
	// category, whether it has an anti-fall net, and the day it was last
	// inspected (a day, midnight UTC); nil when unknown, and for other
	// kinds.
	OwnerUnit       *string
	AntiFallNet     *bool
	LastInspectedOn *time.Time
	Version         int
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// Tasks holds the asset's tasks with their history, newest first, when
	// asked for.
	Tasks []Task
}

// AssetFilter selects assets for a list. Zero values mean no filter.
type AssetFilter struct {
	Kinds       []Kind
	Statuses    []Status
	BBox        *gis.BBox
	Q           string // name (zh or en) or code
	Subdistrict string
	ParentID    *int64
	// AsOf replays statuses at the end of that day (Asia/Shanghai).
	AsOf *time.Time
	// CompletedFrom and CompletedTo select assets whose programme case
	// closed within those days (inclusive, Asia/Shanghai).
	CompletedFrom, CompletedTo *time.Time
	// After is the keyset cursor: only ids greater than After.
	After int64
	Limit int
}

// Page limits shared by list endpoints.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Zone is the district's time zone: "by month" and "as of a date" mean
// calendar days here.
var Zone = mustZone()

func mustZone() *time.Location {
	z, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// The zone database may be missing on minimal systems; China has had
		// no daylight saving since 1991, so a fixed offset is exact here.
		return time.FixedZone("CST", 8*3600)
	}
	return z
}

// EndOfDay returns the first instant after the calendar day of d in Zone.
func EndOfDay(d time.Time) time.Time {
	y, m, day := d.In(Zone).Date()
	return time.Date(y, m, day+1, 0, 0, 0, 0, Zone)
}

// ParseDate parses YYYY-MM-DD as a calendar day in Zone.
func ParseDate(param, s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, Zone)
	if err != nil {
		return time.Time{}, Invalid(param, "%s must be a date as YYYY-MM-DD, got %q", param, s)
	}
	return t, nil
}

// Area is the district or one of its sub-districts (街道/镇).
type Area struct {
	ID          int64
	Kind        string // "district" or "subdistrict"
	Name        string
	NameEn      string
	Approximate bool
	Source      string
	Geometry    json.RawMessage
}

// KindExtent is how many assets of a kind there are and the box they lie in.
type KindExtent struct {
	Kind  Kind
	Count int
	Box   gis.BBox
}

// Cluster is a group of assets drawn as one point on a map at low zoom.
type Cluster struct {
	Lon, Lat float64
	Count    int
	// ByStatus counts the members by status ("none" for no task).
	ByStatus map[string]int
}
