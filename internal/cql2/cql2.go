// Package cql2 reads the filters of OGC API – Features Part 3: CQL2 text and
// CQL2 JSON (OGC 21-065r2), the subset docs/standards.md lists. It parses a
// filter into an untyped tree, then checks that tree against the
// collection's queryables into a maint.Filter the store translates to
// parameterised SQL. Every size is bounded — the filter's length, its depth,
// its number of nodes, each literal and list — so a hostile filter is a 400
// found in microseconds, before any SQL runs.
//
// It is written here rather than taken from a library: no Go module on the
// proxy parses both encodings with such bounds (planetlabs/go-ogc's filter
// package reads and writes CQL2 JSON only and has no text parser or limits;
// the other candidates are young, single-author and not on the proxy).
package cql2

import (
	"fmt"
	"strings"

	"inframap/gis"
	"inframap/internal/maint"
)

// Languages of the filter-lang parameter. "cql-text" is the name earlier
// drafts gave CQL2 text, which GDAL up to 3.8 still sends.
const (
	Text       = "cql2-text"
	JSON       = "cql2-json"
	LegacyText = "cql-text"
)

// Limits of a filter. They are generous for a person or a GIS client and
// small enough that parsing and checking take microseconds.
const (
	MaxLength   = 16 << 10 // bytes of the whole filter
	MaxDepth    = 20       // nested operators and parentheses
	MaxNodes    = 300      // operators and operands
	MaxString   = 500      // bytes of one string literal
	MaxList     = 200      // values of one IN list
	MaxVertices = 2000     // vertices of one geometry literal
)

// Parse reads filter in lang (Text when empty) and checks it against the
// queryables of a collection. Geometry literals are in crs. Every error is
// a maint.CodeInvalid naming the parameter "filter".
func Parse(filter, lang string, crs gis.CRS, queryables []maint.Queryable) (*maint.Filter, error) {
	if len(filter) > MaxLength {
		return nil, invalid("the filter has %d bytes; at most %d are accepted", len(filter), MaxLength)
	}
	if strings.TrimSpace(filter) == "" {
		return nil, invalid("the filter is empty")
	}
	var n *node
	var err error
	switch lang {
	case "", Text, LegacyText:
		n, err = parseText(filter, crs)
	case JSON:
		n, err = parseJSON(filter, crs)
	default:
		return nil, maint.Invalid("filter-lang", "filter-lang %q is not supported; use %s or %s", lang, Text, JSON)
	}
	if err != nil {
		return nil, err
	}
	c := checker{queryables: queryables}
	return c.boolean(n)
}

func invalid(format string, args ...any) error {
	return maint.Invalid("filter", "filter: "+format, args...)
}

// kind is what an untyped node is.
type kind int

const (
	kOp     kind = iota // an operator with args
	kProp               // a property reference
	kString             // a string literal
	kNumber             // a number literal
	kBool               // TRUE or FALSE
	kTime               // TIMESTAMP, DATE or INTERVAL
	kGeom               // a geometry literal or BBOX
	kList               // the list of IN
)

// node is the untyped tree both encodings parse to. Operators carry their
// CQL2 JSON names, lower case ("=", "and", "like", "isnull", "s_intersects").
type node struct {
	kind kind
	op   string
	args []*node
	str  string // a property's name or a string's value
	num  float64
	b    bool
	time *maint.TimeRange
	geom *geomLit
}

func (n *node) describe() string {
	switch n.kind {
	case kOp:
		return "the result of " + strings.ToUpper(n.op)
	case kProp:
		return fmt.Sprintf("property %q", n.str)
	case kString:
		return "a string"
	case kNumber:
		return "a number"
	case kBool:
		return "a boolean"
	case kTime:
		return "a temporal literal"
	case kGeom:
		return "a geometry"
	default:
		return "a list"
	}
}

// budget counts the nodes and depth of a parse.
type budget struct {
	nodes int
}

func (b *budget) node() error {
	b.nodes++
	if b.nodes > MaxNodes {
		return invalid("more than %d operators and values; split the filter", MaxNodes)
	}
	return nil
}

func checkDepth(depth int) error {
	if depth > MaxDepth {
		return invalid("nested deeper than %d levels", MaxDepth)
	}
	return nil
}
