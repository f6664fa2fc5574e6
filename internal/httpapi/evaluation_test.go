package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"inframap/internal/cache"
	"inframap/internal/httpapi"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

type evalOut struct {
	From, To, By string
	Rates        []struct{ Code, Name, NameEn string }
	Rows         []evalRowOut
	Total        evalRowOut
}

type evalRowOut struct {
	Key, Name string
	NameEn    string `json:"name_en"`
	Rank      int
	Score     *float64
	Rates     map[string]struct {
		Num, Den int
		Rate     *float64
	}
	Counts map[string]int
}

// TestEvaluationFormats checks that the CSV and the .xlsx of an evaluation
// carry the numbers of its JSON, cell by cell, for every grouping; that the
// second answer comes from the cache; and that a weight an admin sets
// changes the score at once.
func TestEvaluationFormats(t *testing.T) {
	responses := cache.New(64 << 20)
	e := newEnvConfig(t, pgtest.Empty, httpapi.Config{BcryptCost: 4, Cache: responses})
	if _, err := e.sql.Exec(t.Context(), pgtest.EvaluationFixture); err != nil {
		t.Fatal(err)
	}
	tok := e.staff()
	eng := tok[maint.RoleEngineer]
	for _, by := range []string{"unit", "inspector", "subdistrict", "service", "month"} {
		t.Run(by, func(t *testing.T) {
			q := "/api/v1/evaluation?from=2025-09-01&to=2025-11-01&as_of=2025-10-31&by=" + by
			var rep evalOut
			if res := e.do("GET", q, eng, nil, nil, &rep); res.StatusCode != 200 {
				t.Fatalf("GET %s: %d %s", q, res.StatusCode, body(res))
			}
			if len(rep.Rows) < 2 || rep.From != "2025-09-01" || rep.To != "2025-11-01" {
				t.Fatalf("GET %s: %+v", q, rep)
			}
			want := expectedTable(rep)

			res := e.do("GET", q+"&format=csv", eng, nil, nil, nil)
			raw := []byte(body(res))
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(raw, []byte("\ufeff")) {
				t.Fatalf("CSV: %d %s, starts % x", res.StatusCode, res.Header.Get("Content-Type"), raw[:min(3, len(raw))])
			}
			if !strings.Contains(res.Header.Get("Content-Disposition"), ".csv") {
				t.Errorf("CSV Content-Disposition %q", res.Header.Get("Content-Disposition"))
			}
			recs, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			compareTable(t, "CSV", want, recs)

			res = e.do("GET", q+"&format=xlsx", eng, nil, nil, nil)
			f, err := excelize.OpenReader(res.Body)
			if err != nil {
				t.Fatalf("xlsx: %d: %v", res.StatusCode, err)
			}
			defer f.Close()
			if sheets := f.GetSheetList(); len(sheets) == 0 || sheets[0] != "考核评价" {
				t.Errorf("sheets %q, want 考核评价 first", sheets)
			}
			rows, err := f.GetRows("考核评价", excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			compareTable(t, "xlsx", want, rows)
			// Numbers are numbers, rates shown as percentages.
			cell, _ := excelize.CoordinatesToCellName(8, 2) // the first rate of the first row
			if typ, _ := f.GetCellType("考核评价", cell); rep.Rows[0].Rates[rep.Rates[0].Code].Rate != nil && typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
				t.Errorf("xlsx %s is of type %v, want a number", cell, typ)
			}
			if shown, _ := f.GetCellValue("考核评价", cell); rep.Rows[0].Rates[rep.Rates[0].Code].Rate != nil && !strings.HasSuffix(shown, "%") {
				t.Errorf("xlsx %s shows %q, want a percentage", cell, shown)
			}

			res = e.do("GET", q, eng, nil, nil, nil)
			if res.Header.Get("X-Cache") != "hit" {
				t.Errorf("the second GET %s was not answered from the cache", q)
			}
		})
	}

	// Weights: the unit ranking's 养护一队 scores 68.5 with the defaults;
	// with on-time handling weighted 0 it is (0.3333·20 + 15 + 0.75·5) / 40.
	q := "/api/v1/evaluation?from=2025-09-01&to=2025-11-01&as_of=2025-10-31&by=unit"
	if res := e.do("PUT", "/api/v1/evaluation/weights", tok[maint.RoleAdmin], map[string]any{"weights": []map[string]any{{"rate": "on_time_handling", "weight": 0}}}, nil, nil); res.StatusCode != 200 {
		t.Fatalf("PUT weights: %d %s", res.StatusCode, body(res))
	}
	// The change feed's part (cmd/inframap wires it; migration 011's
	// trigger announces a weight change as a change of tasks).
	responses.Changed("tasks", cache.World)
	var rep evalOut
	e.do("GET", q, eng, nil, nil, &rep)
	if s := rep.Rows[0].Score; rep.Rows[0].Key != "养护一队" || s == nil || *s != 63.5 {
		t.Errorf("after the weight change the first row is %s with %v, want 养护一队 with 63.5", rep.Rows[0].Key, s)
	}
	if n := e.count(`SELECT count(*) FROM audit_events WHERE action = 'evaluation.weights_set'`); n != 1 {
		t.Errorf("%d audit rows for the weight change, want 1", n)
	}
}

// expectedTable is the table a CSV or sheet must hold for rep: a header, a
// row per group then the total; rank, key, names, score, each rate's
// numerator, denominator and rate, then the counts the total has.
func expectedTable(rep evalOut) [][]string {
	var counts []string
	for _, c := range []string{"reported", "extensions", "suspensions", "handbacks", "extended"} {
		if _, ok := rep.Total.Counts[c]; ok {
			counts = append(counts, c)
		}
	}
	num := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	var out [][]string
	for _, r := range append(rep.Rows, rep.Total) {
		rank := ""
		if r.Rank > 0 {
			rank = strconv.Itoa(r.Rank)
		}
		rec := []string{rank, r.Key, r.Name, r.NameEn, num(r.Score)}
		for _, rate := range rep.Rates {
			x := r.Rates[rate.Code]
			rec = append(rec, strconv.Itoa(x.Num), strconv.Itoa(x.Den), num(x.Rate))
		}
		for _, c := range counts {
			if n, ok := r.Counts[c]; ok {
				rec = append(rec, strconv.Itoa(n))
			} else {
				rec = append(rec, "")
			}
		}
		out = append(out, rec)
	}
	return out
}

// compareTable compares the body of a table (its header row skipped) with
// want, numbers as numbers.
func compareTable(t *testing.T, what string, want, got [][]string) {
	t.Helper()
	if len(got) != len(want)+1 {
		t.Fatalf("%s has %d rows, want a header and %d", what, len(got), len(want))
	}
	if h := strings.Join(got[0], "|"); !strings.Contains(h, "排名 Rank") || !strings.Contains(h, "numerator") {
		t.Errorf("%s header %q", what, h)
	}
	for i, w := range want {
		g := got[i+1]
		for len(g) < len(w) {
			g = append(g, "")
		}
		for j := range w {
			if !sameCell(w[j], g[j]) {
				t.Errorf("%s row %d column %d (%s) = %q, JSON says %q", what, i+1, j+1, got[0][j], g[j], w[j])
			}
		}
	}
}

func sameCell(want, got string) bool {
	if want == got {
		return true
	}
	a, err1 := strconv.ParseFloat(want, 64)
	b, err2 := strconv.ParseFloat(got, 64)
	return err1 == nil && err2 == nil && fmt.Sprint(a) == fmt.Sprint(b)
}

// TestEvaluationBadParams: every bad parameter is a problem+json 400 naming
// it; anonymous callers are asked to sign in.
func TestEvaluationBadParams(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	eng := e.staff()[maint.RoleEngineer]
	for _, c := range []struct{ query, field string }{
		{"by=crew", "by"},
		{"from=2025-02-30", "from"},
		{"to=tomorrow", "to"},
		{"as_of=2025/10/31", "as_of"},
		{"from=2025-02-01&to=2025-01-01", "to"},
		{"from=2010-01-01&to=2025-01-01", "to"},
		{"format=pdf", "format"},
		{"by=unit&by=month", "by"},
		{"month=2025-10", "month"},
	} {
		var p struct {
			Status int
			Errors []struct{ Field string }
		}
		res := e.do("GET", "/api/v1/evaluation?"+c.query, eng, nil, nil, &p)
		if res.StatusCode != 400 || res.Header.Get("Content-Type") != "application/problem+json" || len(p.Errors) == 0 || p.Errors[0].Field != c.field {
			t.Errorf("GET /api/v1/evaluation?%s: %d %s %+v, want a 400 problem naming %s", c.query, res.StatusCode, res.Header.Get("Content-Type"), p, c.field)
		}
	}
	for _, path := range []string{"/api/v1/evaluation", "/api/v1/evaluation/lights", "/api/v1/evaluation/weights"} {
		if res := e.do("GET", path, "", nil, nil, nil); res.StatusCode != 401 || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("anonymous GET %s: %d %s, want a 401 problem", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	var lights struct {
		Rows  []struct{ Key string }
		Total map[string]int
	}
	if res := e.do("GET", "/api/v1/evaluation/lights", eng, nil, nil, &lights); res.StatusCode != 200 || len(lights.Total) != 5 {
		t.Errorf("lights: %d %+v", res.StatusCode, lights)
	}
}
