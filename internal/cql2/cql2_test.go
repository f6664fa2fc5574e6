package cql2

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"inframap/gis"
	"inframap/internal/maint"
)

var testQueryables = []maint.Queryable{
	{Name: "id", Type: maint.QInteger},
	{Name: "code", Type: maint.QString},
	{Name: "subdistrict", Type: maint.QString},
	{Name: "status", Type: maint.QString},
	{Name: "status_at", Type: maint.QDateTime},
	{Name: "geometry", Type: maint.QGeometry},
	{Name: "defect_grade", Type: maint.QNumber, Attr: true},
	{Name: "ev", Type: maint.QBoolean, Attr: true},
}

// show writes a checked filter back as text, to compare parses.
func show(f *maint.Filter) string {
	switch f.Op {
	case maint.FAnd, maint.FOr:
		parts := make([]string, len(f.Args))
		for i, a := range f.Args {
			parts[i] = show(a)
		}
		return "(" + strings.Join(parts, " "+string(f.Op)+" ") + ")"
	case maint.FNot:
		return "not " + show(f.Args[0])
	case maint.FSIntersects:
		return "s_intersects(" + f.Prop.Name + ")"
	case maint.FTrue, maint.FFalse:
		return string(f.Op)
	}
	s := string(f.Op) + "(" + f.Prop.Name
	for _, v := range f.Values {
		switch v := v.(type) {
		case string:
			s += ",'" + v + "'"
		case float64:
			s += "," + strconv.FormatFloat(v, 'g', -1, 64)
		case bool:
			if v {
				s += ",true"
			} else {
				s += ",false"
			}
		}
	}
	if f.Time != nil {
		s += "," + fmtTime(f.Time.First) + "/" + fmtTime(f.Time.Last)
	}
	return s + ")"
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ".."
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func TestParse(t *testing.T) {
	for _, c := range []struct{ lang, in, want string }{
		{Text, "status = 'closed'", "=(status,'closed')"},
		{Text, "'closed' = status", "=(status,'closed')"},
		{Text, "defect_grade >= 3 AND subdistrict <> '正阳街道'", "(>=(defect_grade,3) and <>(subdistrict,'正阳街道'))"},
		{Text, "5 > defect_grade", "<(defect_grade,5)"},
		{Text, "(status = 'closed') OR (status = 'done') OR NOT (code LIKE 'A%')", "(=(status,'closed') or =(status,'done') or not like(code,'A%'))"},
		{Text, "code NOT LIKE 'x''y'", "not like(code,'x'y')"},
		{Text, `code LIKE 'x\\'`, `like(code,'x\\')`},
		{Text, "defect_grade BETWEEN 2 AND 4", "between(defect_grade,2,4)"},
		{Text, "defect_grade NOT BETWEEN 2 AND 4", "not between(defect_grade,2,4)"},
		{Text, "status IN ('closed', 'done')", "in(status,'closed','done')"},
		{Text, "status NOT IN ('closed')", "not in(status,'closed')"},
		{Text, "defect_grade IS NULL", "isNull(defect_grade)"},
		{Text, "defect_grade IS NOT NULL", "not isNull(defect_grade)"},
		{Text, "ev = TRUE", "=(ev,true)"},
		{Text, "TRUE", "true"},
		{Text, "FALSE OR (TRUE AND code = 'a')", "(false or (true and =(code,'a')))"},
		{JSON, "true", "true"},
		{JSON, `{"op":"not","args":[false]}`, "not false"},
		{Text, `"status" = 'closed'`, "=(status,'closed')"},
		{Text, "status_at > TIMESTAMP('2024-01-01T00:00:00Z')", ">(status_at,2024-01-01T00:00:00Z/2024-01-01T00:00:00Z)"},
		{Text, "status_at = DATE('2024-05-01')", "=(status_at,2024-04-30T16:00:00Z/2024-05-01T15:59:59.999999Z)"},
		{Text, "status_at >= '2024-05-01T00:00:00Z'", ">=(status_at,2024-05-01T00:00:00Z/2024-05-01T00:00:00Z)"},
		{Text, "T_BEFORE(status_at, DATE('2024-01-01'))", "t_before(status_at,2023-12-31T16:00:00Z/2024-01-01T15:59:59.999999Z)"},
		{Text, "T_BEFORE(DATE('2024-01-01'), status_at)", "t_after(status_at,2023-12-31T16:00:00Z/2024-01-01T15:59:59.999999Z)"},
		{Text, "T_DURING(status_at, INTERVAL('2024-01-01T00:00:00Z', '..'))", "t_during(status_at,2024-01-01T00:00:00Z/..)"},
		{Text, "t_intersects(status_at, interval('..', '2023-12-31'))", "t_intersects(status_at,../2023-12-31T15:59:59.999999Z)"},
		{Text, "S_INTERSECTS(geometry, POLYGON((125.2 43.8, 125.3 43.8, 125.3 43.9, 125.2 43.8)))", "s_intersects(geometry)"},
		{Text, "S_INTERSECTS(geometry, POINT (125.25 43.85)) AND id > 1", "(s_intersects(geometry) and >(id,1))"},
		{Text, "S_INTERSECTS(BBOX(125.2, 43.8, 125.3, 43.9), geometry)", "s_intersects(geometry)"},
		{LegacyText, "(status = 'closed') AND (code = 'x')", "(=(status,'closed') and =(code,'x'))"},
		{JSON, `{"op":"=","args":[{"property":"status"},"closed"]}`, "=(status,'closed')"},
		{JSON, `{"op":"and","args":[{"op":"<","args":[{"property":"defect_grade"},3]},{"op":"not","args":[{"op":"isNull","args":[{"property":"code"}]}]}]}`, "(<(defect_grade,3) and not isNull(code))"},
		{JSON, `{"op":"in","args":[{"property":"status"},["closed","done"]]}`, "in(status,'closed','done')"},
		{JSON, `{"op":"between","args":[{"property":"defect_grade"},1,2]}`, "between(defect_grade,1,2)"},
		{JSON, `{"op":"like","args":[{"property":"code"},"22%"]}`, "like(code,'22%')"},
		{JSON, `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[125.25,43.85]}]}`, "s_intersects(geometry)"},
		{JSON, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[125.2,43.8,125.3,43.9]}]}`, "s_intersects(geometry)"},
		{JSON, `{"op":"t_after","args":[{"property":"status_at"},{"timestamp":"2024-01-01T00:00:00Z"}]}`, "t_after(status_at,2024-01-01T00:00:00Z/2024-01-01T00:00:00Z)"},
		{JSON, `{"op":"t_during","args":[{"property":"status_at"},{"interval":["2024-01-01T00:00:00Z",".."]}]}`, "t_during(status_at,2024-01-01T00:00:00Z/..)"},
	} {
		f, err := Parse(c.in, c.lang, gis.CRS84, testQueryables)
		if err != nil {
			t.Errorf("Parse(%q, %s): %v", c.in, c.lang, err)
			continue
		}
		if got := show(f); got != c.want {
			t.Errorf("Parse(%q, %s) = %s, want %s", c.in, c.lang, got, c.want)
		}
	}
}

func TestParseLatLon(t *testing.T) {
	f, err := Parse("S_INTERSECTS(geometry, POINT(43.85 125.25))", Text, gis.EPSG4490, testQueryables)
	if err != nil {
		t.Fatal(err)
	}
	if p := f.Geom.Bound().Min; p[0] != 125.25 || p[1] != 43.85 || f.GeomSRID != 4490 {
		t.Errorf("lat-first point read as %v in %d", p, f.GeomSRID)
	}
	if _, err := Parse("S_INTERSECTS(geometry, POINT(125.25 43.85))", Text, gis.EPSG4326, testQueryables); err == nil {
		t.Errorf("a longitude-first point in EPSG:4326 was accepted")
	}
}

// TestParseRefused checks that what is wrong or not supported is a 400
// whose message names it.
func TestParseRefused(t *testing.T) {
	for _, c := range []struct{ lang, in, want string }{
		{Text, "", "empty"},
		{Text, "nope = 1", `"nope" is not a queryable`},
		{Text, "status = 1", "status is a string property, compared with a number"},
		{Text, "defect_grade = 'x'", "compared with a string"},
		{Text, "status LIKE 1", "LIKE"},
		{Text, "defect_grade LIKE 'a'", "LIKE"},
		{Text, "S_WITHIN(geometry, POINT(1 2))", "operator S_WITHIN is not supported"},
		{Text, "A_CONTAINS(code, ('a'))", "operator A_CONTAINS is not supported"},
		{Text, "T_MEETS(status_at, code)", "T_MEETS takes the date-time property and a TIMESTAMP, DATE or INTERVAL"},
		{Text, "CASEI(code) = 'a'", "operator CASEI is not supported"},
		{Text, "FOO(code) = 'a'", "function FOO is not supported"},
		{Text, "code = code", "comparing two properties"},
		{Text, "status = 'closed' AND", "expected a property or a value, but the filter ends"},
		{Text, "status = 'closed", "not closed"},
		{Text, "status != 'closed'", "use <>"},
		{Text, "status_at > TIMESTAMP('yesterday')", "RFC 3339"},
		{Text, "T_DURING(status_at, INTERVAL('2024-02-01', '2024-01-01'))", "ends before it starts"},
		{Text, "S_INTERSECTS(geometry, POINT(43.85 125.25))", "geometry in"},
		{Text, "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2)))", "not supported"},
		{Text, `code LIKE 'a\'`, "ends with the escape character"},
		{Text, `code LIKE 'a\\\'`, "ends with the escape character"},
		{Text, "ev < TRUE", "compare it with = or <>"},
		{Text, "code = 'a' code", "expected the end of the filter"},
		{JSON, `{"op":"=","args":[{"property":"status"}]}`, "= takes 2 arguments"},
		{JSON, `{"op":"s_within","args":[]}`, "operator S_WITHIN is not supported"},
		{JSON, `{"op":"and","args":[true]}`, "two or more"},
		{JSON, `"closed"`, "operator object"},
		{JSON, `[1]`, "operator object"},
		{JSON, `{"op":"=","args":[{"property":"status"},null]}`, "isNull"},
		{JSON, `{"op":"=","args":[{"property":"status"},"closed"]} {}`, "more than one"},
		{"sql", "1=1", "filter-lang"},
	} {
		_, err := Parse(c.in, c.lang, gis.CRS84, testQueryables)
		if err == nil {
			t.Errorf("Parse(%q, %s) accepted", c.in, c.lang)
			continue
		}
		if maint.ErrorCode(err) != maint.CodeInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q, %s) = %v (%s), want an invalid error with %q", c.in, c.lang, err, maint.ErrorCode(err), c.want)
		}
	}
}

// TestParseHostile checks that hostile filters are refused by the limits,
// quickly.
func TestParseHostile(t *testing.T) {
	deep := strings.Repeat("(", 100000) + "code = 'a'" + strings.Repeat(")", 100000)
	nots := strings.Repeat("NOT ", 2000) + "code = 'a'"
	deepJSON := strings.Repeat(`{"op":"not","args":[`, 400) + `{"op":"=","args":[{"property":"code"},"a"]}` + strings.Repeat("]}", 400)
	many := "code = 'a'" + strings.Repeat(" OR code = 'a'", 400)
	longIn := "code IN ('a'" + strings.Repeat(",'a'", 300) + ")"
	for _, c := range []struct{ name, lang, in, want string }{
		{"deep parentheses", Text, deep, "bytes"},
		{"deep parentheses within length", Text, strings.Repeat("(", 5000) + "code = 'a'" + strings.Repeat(")", 5000), "nested deeper"},
		{"deep NOT", Text, nots, "nested deeper"},
		{"deep JSON", JSON, deepJSON, "nested deeper"},
		{"many nodes", Text, many, "more than"},
		{"huge string", Text, "code = '" + strings.Repeat("x", 10000) + "'", "longer than"},
		{"huge JSON string", JSON, `{"op":"=","args":[{"property":"code"},"` + strings.Repeat("x", 10000) + `"]}`, "longer than"},
		{"long IN", Text, longIn, "IN lists at most"},
		{"huge number", Text, "defect_grade = 1e999", "not a number"},
		{"big polygon", Text, "S_INTERSECTS(geometry, LINESTRING(" + strings.Repeat("1 2,", 2500) + "1 2))", "vertices"},
		{"injection", Text, "code = 'a'; DROP TABLE assets; --'", "unexpected character"},
		{"injection in name", Text, `"code; DROP TABLE assets" = 'a'`, "not a queryable"},
		{"injection in JSON name", JSON, `{"op":"=","args":[{"property":"a.code) OR (1=1"},"a"]}`, "not a queryable"},
	} {
		start := time.Now()
		_, err := Parse(c.in, c.lang, gis.CRS84, testQueryables)
		took := time.Since(start)
		if err == nil || maint.ErrorCode(err) != maint.CodeInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Parse = %v, want an invalid error with %q", c.name, err, c.want)
		}
		if took > 100*time.Millisecond {
			t.Errorf("%s: refused in %v", c.name, took)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"status = 'closed' AND defect_grade >= 3", "code LIKE 'A%' OR NOT (id BETWEEN 1 AND 9)", "status IN ('a','b')",
		"S_INTERSECTS(geometry, POLYGON((125.2 43.8, 125.3 43.8, 125.3 43.9, 125.2 43.8)))", "S_INTERSECTS(geometry, BBOX(1,2,3,4))",
		"T_DURING(status_at, INTERVAL('2024-01-01', '..'))", "status_at < TIMESTAMP('2024-01-01T00:00:00Z')", "ev IS NOT NULL",
		`{"op":"and","args":[{"op":"=","args":[{"property":"status"},"closed"]},{"op":"in","args":[{"property":"id"},[1,2]]}]}`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[125.25,43.85]}]}`,
		`{"op":"t_before","args":[{"property":"status_at"},{"interval":["..","2024-01-01"]}]}`,
		"((((code = 'a'))))", "code = 'a''", `"code" = 'é'`, "POINT(1 2) = code",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, lang := range []string{Text, JSON} {
			done := make(chan struct{})
			var flt *maint.Filter
			var err error
			go func() { flt, err = Parse(s, lang, gis.CRS84, testQueryables); close(done) }()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				panic(fmt.Sprintf("HANG %s %q", lang, s))
			}
			if err != nil {
				if maint.ErrorCode(err) != maint.CodeInvalid {
					t.Fatalf("Parse(%q, %s): code %s: %v", s, lang, maint.ErrorCode(err), err)
				}
				continue
			}
			checkTree(t, s, flt, 0)
		}
	})
}

// checkTree checks what the store relies on: known operators, queryables
// from the list, literals of the queryable's type, bounded depth.
func checkTree(t *testing.T, s string, f *maint.Filter, depth int) {
	if depth > MaxDepth+1 {
		t.Fatalf("Parse(%q) accepted a tree deeper than %d", s, MaxDepth)
	}
	switch f.Op {
	case maint.FTrue, maint.FFalse:
		return
	case maint.FAnd, maint.FOr, maint.FNot:
		if len(f.Args) == 0 || f.Op == maint.FNot && len(f.Args) != 1 {
			t.Fatalf("Parse(%q): %s with %d args", s, f.Op, len(f.Args))
		}
		for _, a := range f.Args {
			checkTree(t, s, a, depth+1)
		}
		return
	}
	if f.Prop == nil {
		t.Fatalf("Parse(%q): %s without a property", s, f.Op)
	}
	known := false
	for _, q := range testQueryables {
		known = known || q.Name == f.Prop.Name && q.Type == f.Prop.Type
	}
	if !known {
		t.Fatalf("Parse(%q) accepted property %q", s, f.Prop.Name)
	}
	for _, v := range f.Values {
		switch v.(type) {
		case string:
			if f.Prop.Type != maint.QString || len(v.(string)) > MaxString {
				t.Fatalf("Parse(%q): string value for %s", s, f.Prop.Name)
			}
		case float64:
			if f.Prop.Type != maint.QNumber && f.Prop.Type != maint.QInteger {
				t.Fatalf("Parse(%q): number value for %s", s, f.Prop.Name)
			}
		case bool:
			if f.Prop.Type != maint.QBoolean {
				t.Fatalf("Parse(%q): boolean value for %s", s, f.Prop.Name)
			}
		default:
			t.Fatalf("Parse(%q): value %T", s, v)
		}
	}
	if f.Op == maint.FSIntersects && (f.Geom == nil || gis.CheckGeometry(f.Geom, MaxVertices) != nil) {
		t.Fatalf("Parse(%q) accepted geometry %v", s, f.Geom)
	}
}
