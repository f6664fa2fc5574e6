package cql2

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"

	"inframap/gis"
)

// jsonParser converts CQL2 JSON, decoded with its numbers kept as text, to
// the untyped tree. encoding/json itself refuses nesting past 10,000 levels,
// and the filter's length bounds it far below that; the conversion checks
// MaxDepth before it recurses.
type jsonParser struct {
	crs gis.CRS
	budget
}

func parseJSON(src string, crs gis.CRS) (*node, error) {
	d := json.NewDecoder(strings.NewReader(src))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, invalid("not JSON: %v", err)
	}
	if d.More() {
		return nil, invalid("more than one JSON value")
	}
	p := &jsonParser{crs: crs}
	return p.boolean(v, 1)
}

// boolean converts an operator object.
func (p *jsonParser) boolean(v any, depth int) (*node, error) {
	if err := checkDepth(depth); err != nil {
		return nil, err
	}
	if err := p.node(); err != nil {
		return nil, err
	}
	if b, ok := v.(bool); ok {
		return &node{kind: kBool, b: b}, nil // true or false as a condition
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(`expected an operator object {"op": …, "args": […]} or a boolean`)
	}
	opv, ok := obj["op"].(string)
	if !ok {
		return nil, invalid(`an operator object needs "op" as a string`)
	}
	op := strings.ToLower(opv)
	args, ok := obj["args"].([]any)
	if !ok {
		return nil, invalid(`operator %q needs "args" as an array`, clip(opv))
	}
	for k := range obj {
		if k != "op" && k != "args" {
			return nil, invalid("operator %q has an unknown member %q", clip(opv), clip(k))
		}
	}
	n := &node{kind: kOp, op: op}
	want := func(k int) error {
		if len(args) != k {
			return invalid("%s takes %d arguments, got %d", strings.ToUpper(op), k, len(args))
		}
		return nil
	}
	switch {
	case op == "and" || op == "or":
		if len(args) < 2 {
			return nil, invalid("%s takes two or more arguments", strings.ToUpper(op))
		}
		for _, a := range args {
			m, err := p.boolean(a, depth+1)
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, m)
		}
	case op == "not":
		if err := want(1); err != nil {
			return nil, err
		}
		m, err := p.boolean(args[0], depth+1)
		if err != nil {
			return nil, err
		}
		n.args = []*node{m}
	case comparisons[op] || op == "like" || op == "s_intersects" || temporalOps[op]:
		if err := want(2); err != nil {
			return nil, err
		}
		if err := p.scalars(n, args, depth); err != nil {
			return nil, err
		}
	case op == "between":
		if err := want(3); err != nil {
			return nil, err
		}
		if err := p.scalars(n, args, depth); err != nil {
			return nil, err
		}
	case op == "isnull":
		if err := want(1); err != nil {
			return nil, err
		}
		if err := p.scalars(n, args, depth); err != nil {
			return nil, err
		}
	case op == "in":
		if err := want(2); err != nil {
			return nil, err
		}
		list, ok := args[1].([]any)
		if !ok {
			return nil, invalid("the second argument of IN is an array of values")
		}
		if len(list) > MaxList || len(list) == 0 {
			return nil, invalid("IN lists 1 to %d values", MaxList)
		}
		if err := p.scalars(n, args[:1], depth); err != nil {
			return nil, err
		}
		l := &node{kind: kList}
		if err := p.scalars(l, list, depth); err != nil {
			return nil, err
		}
		n.args = append(n.args, l)
	case unsupportedOps[op]:
		return nil, unsupported(op)
	default:
		return nil, invalid("operator %q is not supported", clip(opv))
	}
	return n, nil
}

func (p *jsonParser) scalars(n *node, args []any, depth int) error {
	for _, a := range args {
		m, err := p.scalar(a, depth+1)
		if err != nil {
			return err
		}
		n.args = append(n.args, m)
	}
	return nil
}

// scalar converts a property, a literal, a time or a geometry.
func (p *jsonParser) scalar(v any, depth int) (*node, error) {
	if err := checkDepth(depth); err != nil {
		return nil, err
	}
	if err := p.node(); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case string:
		if len(v) > MaxString {
			return nil, invalid("a string is longer than %d bytes", MaxString)
		}
		return &node{kind: kString, str: v}, nil
	case json.Number:
		f, err := v.Float64()
		if err != nil || math.IsInf(f, 0) || len(v) > 40 {
			return nil, invalid("%q is not a number", clip(string(v)))
		}
		return &node{kind: kNumber, num: f}, nil
	case bool:
		return &node{kind: kBool, b: v}, nil
	case map[string]any:
		return p.object(v, depth)
	case nil:
		return nil, invalid("null is not a value; use isNull")
	default:
		return nil, invalid("an array is a value only as the list of IN")
	}
}

func (p *jsonParser) object(obj map[string]any, depth int) (*node, error) {
	if _, ok := obj["op"]; ok {
		op, _ := obj["op"].(string)
		if unsupportedOps[strings.ToLower(op)] {
			return nil, unsupported(op)
		}
		return nil, invalid("a function or operator (%q) is not supported as a value", clip(op))
	}
	if name, ok := obj["property"].(string); ok && len(obj) == 1 {
		if name == "" || len(name) > 64 {
			return nil, invalid("property names have 1 to 64 bytes")
		}
		return &node{kind: kProp, str: name}, nil
	}
	if s, ok := obj["timestamp"].(string); ok && len(obj) == 1 {
		t, err := timestamp(s)
		return &node{kind: kTime, time: t}, err
	}
	if s, ok := obj["date"].(string); ok && len(obj) == 1 {
		t, err := date(s)
		return &node{kind: kTime, time: t}, err
	}
	if ends, ok := obj["interval"].([]any); ok && len(obj) == 1 {
		if len(ends) != 2 {
			return nil, invalid("an interval has two ends")
		}
		var r [2]*node
		for i, e := range ends {
			switch e := e.(type) {
			case string:
				r[i] = &node{kind: kTime}
				if e != ".." {
					t, err := instant(e)
					if err != nil {
						return nil, err
					}
					r[i].time = t
				}
			case map[string]any:
				m, err := p.object(e, depth+1)
				if err != nil {
					return nil, err
				}
				if m.kind != kTime || m.time == nil {
					return nil, invalid("interval ends are dates, date-times or \"..\"")
				}
				r[i] = m
			default:
				return nil, invalid("interval ends are dates, date-times or \"..\"")
			}
		}
		t, err := interval(r[0].time, r[1].time)
		return &node{kind: kTime, time: t}, err
	}
	if b, ok := obj["bbox"].([]any); ok && len(obj) == 1 {
		v := make([]float64, 0, 4)
		for _, x := range b {
			n, ok := x.(json.Number)
			f, err := n.Float64()
			if !ok || err != nil {
				return nil, invalid("bbox takes 4 numbers")
			}
			v = append(v, f)
		}
		g, err := geomFromBBox(v, p.crs)
		return &node{kind: kGeom, geom: g}, err
	}
	if _, ok := obj["type"]; ok {
		raw, err := json.Marshal(obj)
		if err != nil {
			return nil, invalid("not a GeoJSON geometry")
		}
		raw = bytes.TrimSpace(raw)
		g, err := geomFromGeoJSON(raw, p.crs)
		return &node{kind: kGeom, geom: g}, err
	}
	return nil, invalid(`expected {"property": …}, {"timestamp": …}, {"date": …}, {"interval": […]}, {"bbox": […]} or a GeoJSON geometry`)
}
