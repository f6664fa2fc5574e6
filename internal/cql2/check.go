package cql2

import (
	"strings"

	"inframap/internal/maint"
)

// checker resolves the properties of an untyped tree against the
// queryables and checks each literal against its property's type.
type checker struct {
	queryables []maint.Queryable
}

func (c *checker) boolean(n *node) (*maint.Filter, error) {
	if n.kind == kBool {
		if n.b {
			return &maint.Filter{Op: maint.FTrue}, nil
		}
		return &maint.Filter{Op: maint.FFalse}, nil
	}
	if n.kind != kOp {
		return nil, invalid("%s is not a condition", n.describe())
	}
	switch n.op {
	case "and", "or", "not":
		f := &maint.Filter{Op: maint.FAnd}
		if n.op == "or" {
			f.Op = maint.FOr
		} else if n.op == "not" {
			f.Op = maint.FNot
		}
		for _, a := range n.args {
			g, err := c.boolean(a)
			if err != nil {
				return nil, err
			}
			f.Args = append(f.Args, g)
		}
		return f, nil
	case "=", "<>", "<", "<=", ">", ">=":
		return c.comparison(n)
	case "like":
		q, err := c.property(n, n.args[0])
		if err != nil {
			return nil, err
		}
		if q.Type != maint.QString || n.args[1].kind != kString {
			return nil, invalid("LIKE compares a text property with a quoted pattern; %s is %s", q.Name, q.Type)
		}
		pat := n.args[1].str
		// An odd run of backslashes at the end escapes nothing.
		if (len(pat)-len(strings.TrimRight(pat, `\`)))%2 == 1 {
			return nil, invalid(`the LIKE pattern %q ends with the escape character \`, clip(pat))
		}
		return &maint.Filter{Op: maint.FLike, Prop: q, Values: []any{pat}}, nil
	case "between":
		q, err := c.property(n, n.args[0])
		if err != nil {
			return nil, err
		}
		if q.Type != maint.QNumber && q.Type != maint.QInteger {
			return nil, invalid("BETWEEN compares a numeric property; %s is %s", q.Name, q.Type)
		}
		lo, err := c.value(q, n.args[1])
		if err != nil {
			return nil, err
		}
		hi, err := c.value(q, n.args[2])
		if err != nil {
			return nil, err
		}
		return &maint.Filter{Op: maint.FBetween, Prop: q, Values: []any{lo, hi}}, nil
	case "in":
		q, err := c.property(n, n.args[0])
		if err != nil {
			return nil, err
		}
		if q.Type == maint.QGeometry || q.Type == maint.QDateTime {
			return nil, invalid("IN compares a text, numeric or boolean property; %s is %s", q.Name, q.Type)
		}
		f := &maint.Filter{Op: maint.FIn, Prop: q}
		for _, a := range n.args[1].args {
			v, err := c.value(q, a)
			if err != nil {
				return nil, err
			}
			f.Values = append(f.Values, v)
		}
		return f, nil
	case "isnull":
		q, err := c.property(n, n.args[0])
		if err != nil {
			return nil, err
		}
		return &maint.Filter{Op: maint.FIsNull, Prop: q}, nil
	case "s_intersects":
		prop, lit := n.args[0], n.args[1]
		if prop.kind != kProp {
			prop, lit = lit, prop
		}
		q, err := c.property(n, prop)
		if err != nil {
			return nil, err
		}
		if q.Type != maint.QGeometry || lit.kind != kGeom {
			return nil, invalid("S_INTERSECTS takes the geometry property and a geometry literal (WKT, GeoJSON or BBOX)")
		}
		return &maint.Filter{Op: maint.FSIntersects, Prop: q, Geom: lit.geom.g, GeomSRID: lit.geom.srid}, nil
	default: // temporal
		op := maint.FilterOp(n.op)
		prop, lit := n.args[0], n.args[1]
		if prop.kind != kProp {
			// T_BEFORE(literal, p) is T_AFTER(p, literal), and so on: each
			// relation read from the property's side.
			prop, lit = lit, prop
			if inv, ok := inverse[op]; ok {
				op = inv
			}
		}
		q, err := c.property(n, prop)
		if err != nil {
			return nil, err
		}
		if q.Type != maint.QDateTime || lit.kind != kTime {
			return nil, invalid("%s takes the date-time property and a TIMESTAMP, DATE or INTERVAL", strings.ToUpper(n.op))
		}
		return &maint.Filter{Op: op, Prop: q, Time: lit.time}, nil
	}
}

// inverse is each temporal relation read from its second operand's side
// (the symmetric ones, equals, intersects and disjoint, are their own).
var inverse = map[maint.FilterOp]maint.FilterOp{
	maint.FTBefore: maint.FTAfter, maint.FTAfter: maint.FTBefore,
	maint.FTDuring: maint.FTContains, maint.FTContains: maint.FTDuring,
	maint.FTMeets: maint.FTMetBy, maint.FTMetBy: maint.FTMeets,
	maint.FTOverlaps: maint.FTOverlappedBy, maint.FTOverlappedBy: maint.FTOverlaps,
	maint.FTStarts: maint.FTStartedBy, maint.FTStartedBy: maint.FTStarts,
	maint.FTFinishes: maint.FTFinishedBy, maint.FTFinishedBy: maint.FTFinishes,
}

// flipped is the comparison with its operands swapped.
var flipped = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

func (c *checker) comparison(n *node) (*maint.Filter, error) {
	op, prop, lit := n.op, n.args[0], n.args[1]
	if prop.kind != kProp {
		op, prop, lit = flipped[op], lit, prop
	}
	if lit.kind == kProp {
		return nil, invalid("comparing two properties is not supported")
	}
	q, err := c.property(n, prop)
	if err != nil {
		return nil, err
	}
	f := &maint.Filter{Op: maint.FilterOp(op), Prop: q}
	switch q.Type {
	case maint.QGeometry:
		return nil, invalid("the geometry is compared with S_INTERSECTS")
	case maint.QDateTime:
		t, err := c.time(q, lit)
		if err != nil {
			return nil, err
		}
		f.Time = t
		return f, nil
	case maint.QBoolean:
		if op != "=" && op != "<>" {
			return nil, invalid("%s is a boolean; compare it with = or <>", q.Name)
		}
	}
	v, err := c.value(q, lit)
	if err != nil {
		return nil, err
	}
	f.Values = []any{v}
	return f, nil
}

// property resolves the queryable n names.
func (c *checker) property(op, n *node) (*maint.Queryable, error) {
	if n.kind != kProp {
		return nil, invalid("%s needs a property, not %s", strings.ToUpper(op.op), n.describe())
	}
	for i := range c.queryables {
		if c.queryables[i].Name == n.str {
			return &c.queryables[i], nil
		}
	}
	names := make([]string, len(c.queryables))
	for i, q := range c.queryables {
		names[i] = q.Name
	}
	return nil, invalid("%q is not a queryable of this collection; queryables: %s", clip(n.str), strings.Join(names, ", "))
}

// value checks a literal against q's type.
func (c *checker) value(q *maint.Queryable, n *node) (any, error) {
	switch {
	case q.Type == maint.QString && n.kind == kString:
		return n.str, nil
	case (q.Type == maint.QNumber || q.Type == maint.QInteger) && n.kind == kNumber:
		return n.num, nil
	case q.Type == maint.QBoolean && n.kind == kBool:
		return n.b, nil
	}
	return nil, invalid("%s is a %s property, compared with %s", q.Name, q.Type, n.describe())
}

// time reads the literal of a date-time comparison: TIMESTAMP, DATE, or a
// string that is one of them.
func (c *checker) time(q *maint.Queryable, n *node) (*maint.TimeRange, error) {
	switch n.kind {
	case kTime:
		if n.time.First == nil || n.time.Last == nil {
			return nil, invalid("compare %s with an instant; intervals go with T_DURING or T_INTERSECTS", q.Name)
		}
		return n.time, nil
	case kString:
		return instant(n.str)
	}
	return nil, invalid("%s is a date-time, compared with %s; use TIMESTAMP('…') or DATE('…')", q.Name, n.describe())
}
