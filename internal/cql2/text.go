package cql2

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"inframap/gis"
)

// The text encoding is read by recursive descent over a lazy lexer, so a
// geometry literal's WKT can be handed whole to the WKT decoder. Each level
// of the descent checks the depth before it recurses, so no input can grow
// the stack past MaxDepth levels.

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tQuoted // a "double-quoted" property name
	tString
	tNumber
	tPunct
)

type token struct {
	kind tokKind
	text string // the identifier, the unescaped string, the punctuation
	num  float64
	pos  int
}

type textParser struct {
	src string
	pos int
	tok token // the current token
	crs gis.CRS
	budget
}

func parseText(src string, crs gis.CRS) (*node, error) {
	p := &textParser{src: src, crs: crs}
	if err := p.next(); err != nil {
		return nil, err
	}
	n, err := p.or(1)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("the end of the filter")
	}
	return n, nil
}

// next reads the following token into p.tok.
func (p *textParser) next() error {
	s := p.src
	for p.pos < len(s) && (s[p.pos] == ' ' || s[p.pos] == '\t' || s[p.pos] == '\n' || s[p.pos] == '\r') {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(s) {
		p.tok = token{kind: tEOF, pos: start}
		return nil
	}
	c := s[p.pos]
	switch {
	case c == '\'':
		var b strings.Builder
		p.pos++
		for {
			if p.pos >= len(s) {
				return invalid("the string starting at character %d is not closed with '", start+1)
			}
			if s[p.pos] == '\'' {
				if p.pos+1 < len(s) && s[p.pos+1] == '\'' {
					b.WriteByte('\'')
					p.pos += 2
					continue
				}
				p.pos++
				break
			}
			b.WriteByte(s[p.pos])
			p.pos++
			if b.Len() > MaxString {
				return invalid("the string starting at character %d is longer than %d bytes", start+1, MaxString)
			}
		}
		p.tok = token{kind: tString, text: b.String(), pos: start}
	case c == '"':
		end := strings.IndexByte(s[p.pos+1:], '"')
		if end < 0 {
			return invalid("the quoted name starting at character %d is not closed with \"", start+1)
		}
		name := s[p.pos+1 : p.pos+1+end]
		if len(name) > 64 || name == "" {
			return invalid("property names have 1 to 64 bytes")
		}
		p.pos += end + 2
		p.tok = token{kind: tQuoted, text: name, pos: start}
	case c >= '0' && c <= '9' || c == '.' || (c == '-' || c == '+') && p.pos+1 < len(s) && (s[p.pos+1] >= '0' && s[p.pos+1] <= '9' || s[p.pos+1] == '.'):
		p.pos++
		for p.pos < len(s) {
			d := s[p.pos]
			if d >= '0' && d <= '9' || d == '.' || d == 'e' || d == 'E' ||
				(d == '-' || d == '+') && (s[p.pos-1] == 'e' || s[p.pos-1] == 'E') {
				p.pos++
				continue
			}
			break
		}
		text := s[start:p.pos]
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(f, 0) || len(text) > 40 {
			return invalid("%q at character %d is not a number", clip(text), start+1)
		}
		p.tok = token{kind: tNumber, text: text, num: f, pos: start}
	case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)) || c >= utf8.RuneSelf:
		for p.pos < len(s) {
			r, size := utf8.DecodeRuneInString(s[p.pos:])
			if r == '_' || r == ':' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) {
				p.pos += size
				continue
			}
			break
		}
		if p.pos == start {
			return invalid("unexpected character %q at character %d", s[start:start+1], start+1)
		}
		if p.pos-start > 64 {
			return invalid("the name at character %d is longer than 64 bytes", start+1)
		}
		p.tok = token{kind: tIdent, text: s[start:p.pos], pos: start}
	default:
		for _, op := range []string{"<>", "<=", ">=", "!=", "=", "<", ">", "(", ")", ","} {
			if strings.HasPrefix(s[p.pos:], op) {
				if op == "!=" {
					return invalid("use <> for not equal (at character %d)", start+1)
				}
				p.pos += len(op)
				p.tok = token{kind: tPunct, text: op, pos: start}
				return nil
			}
		}
		r, _ := utf8.DecodeRuneInString(s[p.pos:])
		return invalid("unexpected character %q at character %d", r, start+1)
	}
	return nil
}

// is reports whether the current token is the keyword kw.
func (p *textParser) is(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *textParser) isPunct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }

func (p *textParser) expect(s string) error {
	if !p.isPunct(s) {
		return p.unexpected("'" + s + "'")
	}
	return p.next()
}

func (p *textParser) unexpected(want string) error {
	if p.tok.kind == tEOF {
		return invalid("expected %s, but the filter ends", want)
	}
	return invalid("expected %s at character %d, found %q", want, p.tok.pos+1, clip(p.tokText()))
}

func (p *textParser) tokText() string {
	switch p.tok.kind {
	case tString:
		return "'" + p.tok.text + "'"
	case tQuoted:
		return `"` + p.tok.text + `"`
	}
	return p.tok.text
}

// peekParen reports whether '(' follows the current token.
func (p *textParser) peekParen() bool {
	i := p.pos
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t' || p.src[i] == '\n' || p.src[i] == '\r') {
		i++
	}
	return i < len(p.src) && p.src[i] == '('
}

func (p *textParser) op(op string, args ...*node) (*node, error) {
	if err := p.node(); err != nil {
		return nil, err
	}
	return &node{kind: kOp, op: op, args: args}, nil
}

func (p *textParser) or(depth int) (*node, error) {
	if err := checkDepth(depth); err != nil {
		return nil, err
	}
	n, err := p.and(depth)
	if err != nil || !p.is("OR") {
		return n, err
	}
	args := []*node{n}
	for p.is("OR") {
		if err := p.next(); err != nil {
			return nil, err
		}
		m, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		args = append(args, m)
	}
	return p.op("or", args...)
}

func (p *textParser) and(depth int) (*node, error) {
	n, err := p.not(depth)
	if err != nil || !p.is("AND") {
		return n, err
	}
	args := []*node{n}
	for p.is("AND") {
		if err := p.next(); err != nil {
			return nil, err
		}
		m, err := p.not(depth)
		if err != nil {
			return nil, err
		}
		args = append(args, m)
	}
	return p.op("and", args...)
}

func (p *textParser) not(depth int) (*node, error) {
	if !p.is("NOT") {
		return p.primary(depth)
	}
	if err := checkDepth(depth + 1); err != nil {
		return nil, err
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	n, err := p.not(depth + 1)
	if err != nil {
		return nil, err
	}
	return p.op("not", n)
}

func (p *textParser) primary(depth int) (*node, error) {
	if p.isPunct("(") {
		if err := p.next(); err != nil {
			return nil, err
		}
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		return n, p.expect(")")
	}
	if p.tok.kind == tIdent && p.peekParen() {
		name := strings.ToLower(p.tok.text)
		switch {
		case name == "s_intersects" || strings.HasPrefix(name, "t_") && temporalOps[name]:
			return p.function(name, depth)
		case unsupportedOps[name]:
			return nil, unsupported(name)
		}
	}
	return p.predicate()
}

// function reads OP(a, b) of the spatial and temporal operators.
func (p *textParser) function(name string, depth int) (*node, error) {
	if err := checkDepth(depth + 1); err != nil {
		return nil, err
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	a, err := p.scalar()
	if err != nil {
		return nil, err
	}
	if err := p.expect(","); err != nil {
		return nil, err
	}
	b, err := p.scalar()
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return p.op(name, a, b)
}

var comparisons = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

func (p *textParser) predicate() (*node, error) {
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tPunct && comparisons[p.tok.text] {
		op := p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
		right, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return p.op(op, left, right)
	}
	negate := false
	if p.is("NOT") {
		negate = true
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	var n *node
	switch {
	case p.is("LIKE"):
		if err := p.next(); err != nil {
			return nil, err
		}
		pat, err := p.scalar()
		if err != nil {
			return nil, err
		}
		n, err = p.op("like", left, pat)
		if err != nil {
			return nil, err
		}
	case p.is("BETWEEN"):
		if err := p.next(); err != nil {
			return nil, err
		}
		lo, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if !p.is("AND") {
			return nil, p.unexpected("AND of BETWEEN")
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		hi, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if n, err = p.op("between", left, lo, hi); err != nil {
			return nil, err
		}
	case p.is("IN"):
		if err := p.next(); err != nil {
			return nil, err
		}
		list, err := p.list()
		if err != nil {
			return nil, err
		}
		if n, err = p.op("in", left, list); err != nil {
			return nil, err
		}
	case p.is("IS") && !negate:
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.is("NOT") {
			negate = true
			if err := p.next(); err != nil {
				return nil, err
			}
		}
		if !p.is("NULL") {
			return nil, p.unexpected("NULL")
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if n, err = p.op("isnull", left); err != nil {
			return nil, err
		}
	default:
		if negate {
			return nil, p.unexpected("LIKE, BETWEEN or IN after NOT")
		}
		if left.kind == kBool {
			return left, nil // TRUE or FALSE as a condition
		}
		return nil, p.unexpected("a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL) after " + left.describe())
	}
	if negate {
		return p.op("not", n)
	}
	return n, nil
}

// list reads the parenthesised values of IN.
func (p *textParser) list() (*node, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	l := &node{kind: kList}
	for {
		v, err := p.scalar()
		if err != nil {
			return nil, err
		}
		l.args = append(l.args, v)
		if len(l.args) > MaxList {
			return nil, invalid("IN lists at most %d values", MaxList)
		}
		if p.isPunct(")") {
			return l, p.next()
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// geometryWords are the WKT types a geometry literal may start with.
var geometryWords = map[string]bool{
	"point": true, "linestring": true, "polygon": true, "multipoint": true,
	"multilinestring": true, "multipolygon": true, "geometrycollection": true,
}

// scalar reads a property, a literal or a time or geometry literal.
func (p *textParser) scalar() (*node, error) {
	if err := p.node(); err != nil {
		return nil, err
	}
	t := p.tok
	switch t.kind {
	case tString:
		return &node{kind: kString, str: t.text}, p.next()
	case tNumber:
		return &node{kind: kNumber, num: t.num}, p.next()
	case tQuoted:
		return &node{kind: kProp, str: t.text}, p.next()
	case tIdent:
	default:
		return nil, p.unexpected("a property or a value")
	}
	word := strings.ToLower(t.text)
	switch {
	case word == "true" || word == "false":
		return &node{kind: kBool, b: word == "true"}, p.next()
	case geometryWords[word]:
		return p.wkt()
	case !p.peekParen():
		if reserved[word] {
			return nil, p.unexpected("a property or a value")
		}
		return &node{kind: kProp, str: t.text}, p.next()
	case word == "timestamp" || word == "date":
		if err := p.next(); err != nil {
			return nil, err
		}
		s, err := p.stringArg()
		if err != nil {
			return nil, err
		}
		tr, err := date(s)
		if word == "timestamp" {
			tr, err = timestamp(s)
		}
		return &node{kind: kTime, time: tr}, err
	case word == "interval":
		return p.interval()
	case word == "bbox":
		return p.bbox()
	case unsupportedOps[word]:
		return nil, unsupported(word)
	default:
		return nil, invalid("function %s is not supported", strings.ToUpper(t.text))
	}
}

// stringArg reads ('text').
func (p *textParser) stringArg() (string, error) {
	if err := p.expect("("); err != nil {
		return "", err
	}
	if p.tok.kind != tString {
		return "", p.unexpected("a quoted date or date-time")
	}
	s := p.tok.text
	if err := p.next(); err != nil {
		return "", err
	}
	return s, p.expect(")")
}

// interval reads INTERVAL('start', 'end'), each end a date, a date-time or
// '..' for an open end.
func (p *textParser) interval() (*node, error) {
	if err := p.next(); err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var r [2]*node
	for i := range 2 {
		var tr *node
		switch {
		case p.tok.kind == tString && p.tok.text == "..":
			tr = &node{kind: kTime}
			if err := p.next(); err != nil {
				return nil, err
			}
		case p.tok.kind == tString:
			v, err := instant(p.tok.text)
			if err != nil {
				return nil, err
			}
			tr = &node{kind: kTime, time: v}
			if err := p.next(); err != nil {
				return nil, err
			}
		default:
			v, err := p.scalar()
			if err != nil {
				return nil, err
			}
			if v.kind != kTime || v.time == nil {
				return nil, invalid("INTERVAL takes dates, date-times or '..'")
			}
			tr = v
		}
		r[i] = tr
		if i == 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	v, err := interval(r[0].time, r[1].time)
	return &node{kind: kTime, time: v}, err
}

// bbox reads BBOX(a, b, c, d).
func (p *textParser) bbox() (*node, error) {
	if err := p.next(); err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var v []float64
	for {
		if p.tok.kind != tNumber {
			return nil, p.unexpected("a number of BBOX")
		}
		v = append(v, p.tok.num)
		if len(v) > 6 {
			return nil, invalid("BBOX takes 4 numbers")
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.isPunct(")") {
			break
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	g, err := geomFromBBox(v, p.crs)
	return &node{kind: kGeom, geom: g}, err
}

// wkt hands the text from the geometry word to its closing parenthesis to
// the WKT decoder.
func (p *textParser) wkt() (*node, error) {
	start := p.tok.pos
	i := p.pos
	depth, opened := 0, false
	for ; i < len(p.src); i++ {
		c := p.src[i]
		if c == '(' {
			depth++
			opened = true
			if depth > 4 {
				return nil, invalid("the geometry at character %d is nested too deep", start+1)
			}
		} else if c == ')' {
			depth--
			if depth == 0 {
				i++
				break
			}
		} else if !opened && c != ' ' && !unicode.IsLetter(rune(c)) {
			break
		}
	}
	if !opened || depth != 0 {
		return nil, invalid("the geometry at character %d has unbalanced parentheses", start+1)
	}
	g, err := geomFromWKT(p.src[start:i], p.crs)
	if err != nil {
		return nil, err
	}
	p.pos = i
	return &node{kind: kGeom, geom: g}, p.next()
}

// reserved are the keywords that cannot name a property unquoted.
var reserved = map[string]bool{"and": true, "or": true, "not": true, "like": true, "between": true, "in": true, "is": true, "null": true}

// temporalOps are the temporal operators implemented, on the status date.
var temporalOps = map[string]bool{"t_before": true, "t_after": true, "t_during": true, "t_intersects": true, "t_equals": true,
	"t_disjoint": true, "t_contains": true, "t_meets": true, "t_metby": true, "t_overlaps": true, "t_overlappedby": true,
	"t_starts": true, "t_startedby": true, "t_finishes": true, "t_finishedby": true}

// unsupportedOps are the CQL2 operators and functions not implemented, so
// the 400 can name them as such rather than as unknown.
var unsupportedOps = map[string]bool{
	"s_contains": true, "s_crosses": true, "s_disjoint": true, "s_equals": true, "s_overlaps": true,
	"s_touches": true, "s_within": true,
	"t_contains": true, "t_disjoint": true, "t_finishedby": true, "t_finishes": true, "t_meets": true,
	"t_metby": true, "t_overlappedby": true, "t_overlaps": true, "t_startedby": true, "t_starts": true,
	"a_equals": true, "a_contains": true, "a_containedby": true, "a_overlaps": true,
	"casei": true, "accenti": true,
}

func unsupported(op string) error {
	return invalid("operator %s is not supported; supported: AND, OR, NOT, =, <>, <, <=, >, >=, LIKE, IN, BETWEEN, IS NULL, S_INTERSECTS and the temporal functions (T_AFTER, T_BEFORE, T_CONTAINS, T_DISJOINT, T_DURING, T_EQUALS, T_FINISHEDBY, T_FINISHES, T_INTERSECTS, T_MEETS, T_METBY, T_OVERLAPPEDBY, T_OVERLAPS, T_STARTEDBY, T_STARTS)", strings.ToUpper(op))
}
