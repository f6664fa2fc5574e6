package maint

import (
	"time"

	"github.com/paulmach/orb"
)

// A filter (OGC API – Features Part 3, CQL2) reaches the store as a checked
// tree: every property is a queryable of the collection, every literal has
// the queryable's type, and every size is bounded. The store translates it
// to SQL with parameters only; the parser (internal/cql2) owns the checks.

// QueryableType is the JSON Schema type a queryable is published with.
type QueryableType string

const (
	QString   QueryableType = "string"
	QNumber   QueryableType = "number"
	QInteger  QueryableType = "integer"
	QBoolean  QueryableType = "boolean"
	QDateTime QueryableType = "date-time" // status_at, an instant
	QGeometry QueryableType = "geometry"
)

// Queryable is a property a filter may name.
type Queryable struct {
	Name  string
	Title string
	Type  QueryableType
	// Enum lists the allowed values of a code list (status).
	Enum []string
	// Attr is true for an attribute of the kind (kept in the attrs JSON),
	// false for the asset's own columns.
	Attr bool
}

// FilterOp is the operator of a filter node.
type FilterOp string

// The operators a filter may hold. Comparisons take one value of the
// property's type, In one or more, Between two; the temporal operators take
// a TimeRange, SIntersects a geometry.
const (
	FAnd         FilterOp = "and"
	FOr          FilterOp = "or"
	FNot         FilterOp = "not"
	FEq          FilterOp = "="
	FNe          FilterOp = "<>"
	FLt          FilterOp = "<"
	FLe          FilterOp = "<="
	FGt          FilterOp = ">"
	FGe          FilterOp = ">="
	FLike        FilterOp = "like"
	FIn          FilterOp = "in"
	FBetween     FilterOp = "between"
	FIsNull      FilterOp = "isNull"
	FSIntersects FilterOp = "s_intersects"
	FTBefore     FilterOp = "t_before"
	FTAfter      FilterOp = "t_after"
	FTDuring     FilterOp = "t_during"
	FTIntersects FilterOp = "t_intersects"
	FTEquals     FilterOp = "t_equals"
	// The rest of CQL2's temporal functions. The status date is an instant
	// (an interval whose start is its end): it meets an interval starting
	// there, starts or finishes one beginning or ending there, and never
	// contains, overlaps, is overlapped by, is started by or finished by one.
	FTDisjoint     FilterOp = "t_disjoint"
	FTContains     FilterOp = "t_contains"
	FTMeets        FilterOp = "t_meets"
	FTMetBy        FilterOp = "t_metby"
	FTOverlaps     FilterOp = "t_overlaps"
	FTOverlappedBy FilterOp = "t_overlappedby"
	FTStarts       FilterOp = "t_starts"
	FTStartedBy    FilterOp = "t_startedby"
	FTFinishes     FilterOp = "t_finishes"
	FTFinishedBy   FilterOp = "t_finishedby"
	// FTrue and FFalse are the boolean literals a filter may be, or hold.
	FTrue  FilterOp = "true"
	FFalse FilterOp = "false"
)

// Filter is one node of a checked filter.
type Filter struct {
	Op FilterOp
	// Args are the operands of and, or (two or more) and not (one).
	Args []*Filter
	// Prop is the queryable a predicate tests.
	Prop *Queryable
	// Values are the literals of a comparison, like, in or between:
	// string, float64 or bool, as Prop's type has it. Comparisons of a
	// date-time queryable use Time instead.
	Values []any
	// Time is the literal of a date-time comparison or temporal operator.
	Time *TimeRange
	// Geom is the literal of s_intersects, in longitude/latitude order of
	// the datum GeomSRID.
	Geom     orb.Geometry
	GeomSRID int
}

// TimeRange is a temporal literal: an instant (a timestamp covers itself, a
// date its whole day in the district's zone) or an interval. Nil ends are
// open; both ends are included.
type TimeRange struct {
	First, Last *time.Time
}
