package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

type costRowOut struct {
	Key        string
	Name       string
	NameEn     string `json:"name_en"`
	Scope      string
	PeriodFrom string       `json:"period_from"`
	PeriodTo   string       `json:"period_to"`
	Estimated  int64        `json:"estimated_fen"`
	Actual     int64        `json:"actual_fen"`
	Budget     *int64       `json:"budget_fen"`
	Remaining  *int64       `json:"remaining_fen"`
	ShareSpent *json.Number `json:"share_spent"`
	Tasks      int
}

type costsOut struct {
	By    string
	AsOf  string `json:"as_of"`
	Rows  []costRowOut
	Total costRowOut
}

// yuan writes fen as 元 text as the files do, worked out independently.
func yuan(fen int64) string {
	s := strconv.FormatInt(fen/100, 10)
	var parts []string
	for len(s) > 3 {
		parts = append([]string{s[len(s)-3:]}, parts...)
		s = s[:len(s)-3]
	}
	parts = append([]string{s}, parts...)
	c := fen % 100
	return strings.Join(parts, ",") + "." + string(rune('0'+c/10)) + string(rune('0'+c%10))
}

// costTable is the table a CSV or sheet must hold for rep.
func costTable(rep costsOut) [][]string {
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	optY := func(p *int64) string {
		if p == nil {
			return ""
		}
		return yuan(*p)
	}
	var out [][]string
	for _, r := range append(rep.Rows, rep.Total) {
		share := ""
		if r.ShareSpent != nil {
			share = r.ShareSpent.String()
		}
		out = append(out, []string{r.Key, r.Name, r.NameEn, r.Scope, r.PeriodFrom, r.PeriodTo,
			opt(r.Budget), optY(r.Budget), opt(&r.Estimated), optY(&r.Estimated), opt(&r.Actual), optY(&r.Actual),
			opt(r.Remaining), optY(r.Remaining), share, strconv.Itoa(r.Tasks)})
	}
	return out
}

// sameCostCell compares a cell with what it should hold; a share (a decimal) as a number.
func sameCostCell(want, got string, share bool) bool {
	if want == got {
		return true
	}
	if share && want != "" && got != "" {
		a, err1 := strconv.ParseFloat(want, 64)
		b, err2 := strconv.ParseFloat(got, 64)
		return err1 == nil && err2 == nil && a == b
	}
	return false
}

func compareCostTable(t *testing.T, what string, want, got [][]string) {
	t.Helper()
	if len(got) != len(want)+1 {
		t.Fatalf("%s: %d rows, want a header and %d", what, len(got), len(want))
	}
	for i, w := range want {
		g := got[i+1]
		for len(g) < len(w) {
			g = append(g, "")
		}
		for j := range w {
			if !sameCostCell(w[j], g[j], j == 14) {
				t.Errorf("%s row %d (%s) column %d (%s): %q, want %q", what, i+1, w[0], j+1, got[0][j], g[j], w[j])
			}
		}
	}
}

// TestCostRollUpFormats: the CSV and the .xlsx of every roll-up, now and as
// of 2025-10-31, carry the JSON's figures cell by cell (fen as whole
// numbers, 元 as text, read back with excelize); the JSON's are the hand
// sums of internal/postgres's TestCostRollUp, checked here for one row.
func TestCostRollUpFormats(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	if _, err := e.sql.Exec(t.Context(), pgtest.CostsFixture); err != nil {
		t.Fatal(err)
	}
	tok := e.staff()
	eng := tok[maint.RoleEngineer]
	for _, by := range []string{"programme", "subdistrict", "unit"} {
		for _, asOf := range []string{"", "2025-10-31"} {
			t.Run(by+"@"+asOf, func(t *testing.T) {
				q := "/api/v1/costs?by=" + by
				if asOf != "" {
					q += "&as_of=" + asOf
				}
				var rep costsOut
				if res := e.do("GET", q, eng, nil, nil, &rep); res.StatusCode != 200 {
					t.Fatalf("GET %s: %d %s", q, res.StatusCode, body(res))
				}
				if by == "programme" && asOf != "" {
					if rep.AsOf != "2025-11-01T00:00:00+08:00" || rep.Total.Actual != 207249 || rep.Total.Tasks != 5 {
						t.Errorf("GET %s: as_of %s, total %+v", q, rep.AsOf, rep.Total)
					}
					for _, r := range rep.Rows {
						if r.Key == "XHB-1-1" && (r.Budget == nil || *r.Budget != 9248780000 || r.Actual != 169999) {
							t.Errorf("Xihu North: %+v", r)
						}
					}
				}
				want := costTable(rep)

				res := e.do("GET", q+"&format=csv", eng, nil, nil, nil)
				raw := []byte(body(res))
				if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(raw, []byte("\ufeff")) {
					t.Fatalf("CSV: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
				}
				recs, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				compareCostTable(t, "CSV", want, recs)

				res = e.do("GET", q+"&format=xlsx", eng, nil, nil, nil)
				f, err := excelize.OpenReader(res.Body)
				if err != nil {
					t.Fatalf("xlsx: %d: %v", res.StatusCode, err)
				}
				defer f.Close()
				if sheets := f.GetSheetList(); len(sheets) == 0 || sheets[0] != "费用" {
					t.Errorf("sheets %q, want 费用 first", sheets)
				}
				rows, err := f.GetRows("费用", excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				compareCostTable(t, "xlsx", want, rows)
				// Fen are number cells.
				if typ, _ := f.GetCellType("费用", "K2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
					t.Errorf("xlsx K2 (actual fen) is of type %v, want a number", typ)
				}
			})
		}
	}
	if res := e.do("GET", "/api/v1/costs?by=month", eng, nil, nil, nil); res.StatusCode != 400 || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
		t.Errorf("by=month: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res := e.do("GET", "/api/v1/costs", "", nil, nil, nil); res.StatusCode != 401 {
		t.Errorf("anonymous: %d, want 401", res.StatusCode)
	}
}

// TestTaskCostsAPI: an engineer replaces a task's lines with If-Match;
// every bad input is a problem and writes nothing, not even the good lines
// beside it; the history says what changed (staff only); a budget is an
// admin's to set.
func TestTaskCostsAPI(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	if _, err := e.sql.Exec(t.Context(), pgtest.CostsFixture); err != nil {
		t.Fatal(err)
	}
	tok := e.staff()
	eng := tok[maint.RoleEngineer]
	const path = "/api/v1/tasks/4/costs"
	type costsView struct {
		Version int
		Lines   []map[string]any
		Totals  struct {
			Estimate, Actual struct {
				Labour    int64 `json:"labour_fen"`
				Materials int64 `json:"materials_fen"`
				Equipment int64 `json:"equipment_fen"`
				Total     int64 `json:"total_fen"`
			}
		}
	}
	var before costsView
	res := e.do("GET", path, eng, nil, nil, &before)
	if res.StatusCode != 200 || len(before.Lines) != 1 || before.Totals.Actual.Equipment != 25000 {
		t.Fatalf("GET %s: %d %+v", path, res.StatusCode, before)
	}
	etag := res.Header.Get("ETag")
	good := `{"kind":"estimate","category":"labour","description":"两人","hours":10.25,"rate_fen":6001}`
	lump := `{"kind":"actual","category":"equipment","amount_fen":120000}`
	priced := `{"kind":"actual","category":"materials","quantity":0.125,"unit":"t","unit_price_fen":48000}`
	bad := []struct {
		name, line string
		status     int
		code       string
	}{
		{"fraction of a fen", `{"kind":"actual","category":"labour","hours":1,"rate_fen":60.5}`, 422, "cost_fen_integer"},
		{"fen as a string", `{"kind":"actual","category":"equipment","amount_fen":"120000"}`, 422, "cost_fen_integer"},
		{"exponent", `{"kind":"actual","category":"equipment","amount_fen":1e5}`, 422, "cost_fen_integer"},
		{"negative", `{"kind":"actual","category":"equipment","amount_fen":-1}`, 422, "cost_negative"},
		{"unknown category", `{"kind":"actual","category":"fuel","amount_fen":1}`, 422, "cost_category_unknown"},
		{"unknown kind", `{"kind":"budget","category":"labour","hours":1,"rate_fen":1}`, 422, "cost_kind_unknown"},
		{"hours to three places", `{"kind":"actual","category":"labour","hours":1.005,"rate_fen":1}`, 422, "cost_quantity_places"},
		{"hours as a string", `{"kind":"actual","category":"labour","hours":"1","rate_fen":1}`, 422, "cost_quantity_number"},
		{"labour as a lump", `{"kind":"actual","category":"labour","amount_fen":100}`, 422, "cost_labour_fields"},
		{"both priced and lump", `{"kind":"actual","category":"materials","quantity":1,"unit_price_fen":1,"amount_fen":1}`, 422, "cost_priced_fields"},
		{"unknown field", `{"kind":"actual","category":"equipment","amount_fen":1,"vat":1}`, 422, "cost_line_shape"},
		{"too large", `{"kind":"actual","category":"equipment","amount_fen":1000000000000000}`, 422, "cost_too_large"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			raw := json.RawMessage(`{"lines":[` + good + `,` + b.line + `]}`)
			var p struct {
				Code   string
				Errors []struct{ Field, Code string }
			}
			res := e.do("PUT", path, eng, raw, map[string]string{"If-Match": etag}, &p)
			if res.StatusCode != b.status || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") ||
				len(p.Errors) == 0 || p.Errors[0].Code != b.code || !strings.HasPrefix(p.Errors[0].Field, "lines[1]") {
				t.Errorf("PUT %s: %d %+v, want %d %s on lines[1]", b.line, res.StatusCode, p, b.status, b.code)
			}
		})
	}
	for _, c := range []struct {
		name   string
		token  string
		hdr    map[string]string
		body   any
		status int
	}{
		{"no If-Match", eng, nil, json.RawMessage(`{"lines":[]}`), 428},
		{"stale If-Match", eng, map[string]string{"If-Match": `"99"`}, json.RawMessage(`{"lines":[]}`), 412},
		{"inspector", tok[maint.RoleInspector], map[string]string{"If-Match": etag}, json.RawMessage(`{"lines":[]}`), 403},
		{"no lines", eng, map[string]string{"If-Match": etag}, json.RawMessage(`{}`), 400},
		{"not JSON", eng, map[string]string{"If-Match": etag}, json.RawMessage(`{"lines":[}`), 400},
	} {
		if res := e.do("PUT", path, c.token, c.body, c.hdr, nil); res.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, res.StatusCode, body(res), c.status)
		}
	}
	// Nothing was written by any of them.
	var after costsView
	e.do("GET", path, eng, nil, nil, &after)
	if after.Version != before.Version || len(after.Lines) != 1 || e.count(`SELECT count(*) FROM cost_lines WHERE task_id = 4`) != 1 ||
		e.count(`SELECT count(*) FROM task_events WHERE task_id = 4`) != 0 {
		t.Fatalf("a refused PUT wrote something: %+v", after)
	}

	var put costsView
	res = e.do("PUT", path, eng, json.RawMessage(`{"lines":[`+good+`,`+lump+`,`+priced+`]}`), map[string]string{"If-Match": etag}, &put)
	if res.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", res.StatusCode, body(res))
	}
	// 10.25 h × 60.01 = 615.1025 → 615.10; 0.125 t × 480.00 = 60.00.
	if put.Version != before.Version+1 || res.Header.Get("ETag") != `"`+strconv.Itoa(put.Version)+`"` ||
		put.Totals.Estimate.Labour != 61510 || put.Totals.Actual.Equipment != 120000 || put.Totals.Actual.Materials != 6000 ||
		put.Totals.Actual.Total != 126000 || len(put.Lines) != 3 || put.Lines[0]["hours"] != 10.25 || put.Lines[2]["quantity"] != 0.125 {
		t.Errorf("PUT: %+v", put)
	}
	// The history: one internal row with the totals' change, which staff see.
	var task taskOut
	e.do("GET", "/api/v1/tasks/4", eng, nil, nil, &task)
	var found bool
	for _, h := range task.History {
		ch, _ := h["changes"].(map[string]any)
		if ch["actual_fen"] != nil {
			found = true
			if a := ch["actual_fen"].([]any); a[0] != 25000.0 || a[1] != 126000.0 {
				t.Errorf("history actual_fen %v", a)
			}
		}
	}
	if !found || task.Version != put.Version {
		t.Errorf("no history row of the costs (version %d): %+v", task.Version, task.History)
	}
	// As of a day before the change: the old line.
	var old costsView
	e.do("GET", path+"?as_of=2025-11-30", eng, nil, nil, &old)
	if len(old.Lines) != 1 || old.Totals.Actual.Total != 25000 {
		t.Errorf("as of 2025-11-30: %+v", old)
	}

	// Budgets: admins set them in whole fen.
	const bpath = "/api/v1/costs/budgets/2023-2024"
	if res := e.do("PUT", bpath, eng, map[string]any{"budget_fen": 100}, nil, nil); res.StatusCode != 403 {
		t.Errorf("engineer sets a budget: %d", res.StatusCode)
	}
	if res := e.do("PUT", bpath, tok[maint.RoleAdmin], json.RawMessage(`{"budget_fen": 100.5}`), nil, nil); res.StatusCode != 422 {
		t.Errorf("budget with a fraction: %d", res.StatusCode)
	}
	if res := e.do("PUT", "/api/v1/costs/budgets/nope", tok[maint.RoleAdmin], map[string]any{"budget_fen": 1}, nil, nil); res.StatusCode != 404 {
		t.Errorf("unknown budget: %d", res.StatusCode)
	}
	var b struct {
		BudgetFen *int64 `json:"budget_fen"`
	}
	if res := e.do("PUT", bpath, tok[maint.RoleAdmin], map[string]any{"budget_fen": 50000000}, nil, &b); res.StatusCode != 200 || b.BudgetFen == nil || *b.BudgetFen != 50000000 {
		t.Errorf("PUT budget: %d %+v", res.StatusCode, b)
	}
	var rep costsOut
	e.do("GET", "/api/v1/costs", eng, nil, nil, &rep)
	if rep.Total.Budget == nil || *rep.Total.Budget != 50000000+500000 {
		t.Errorf("total budget %v, want both programmes'", rep.Total.Budget)
	}
}
