package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/cache"
	"inframap/internal/costs"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/respcache"
)

// Costs (docs/costs.md): a task's estimated and actual cost lines, the
// roll-ups per programme, sub-district or unit against the budgets (JSON,
// CSV, .xlsx), and the budgets. Money is integer fen throughout; the files
// add 元 as text for people.

// asOfDay reads an optional as_of day: the end of that day in Asia/Shanghai,
// or nil for now (also for a day not yet over, whose end is still to come).
func asOfDay(p httpx.Params, now time.Time) (*time.Time, error) {
	d, err := p.Date("as_of")
	if err != nil || d == nil {
		return nil, err
	}
	end := maint.EndOfDay(*d)
	if !end.Before(now) {
		return nil, nil
	}
	return &end, nil
}

// getTaskCosts serves GET /api/v1/tasks/{id}/costs (staff), with as_of.
func (s *Server) getTaskCosts() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, id, err := target(r, httpx.Staff)
		if err != nil {
			return err
		}
		p, err := httpx.ReadParams(r, "as_of")
		if err != nil {
			return err
		}
		asOf, err := asOfDay(p, time.Now())
		if err != nil {
			return err
		}
		tc, err := s.store.TaskCosts(r.Context(), id, v, asOf)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(tc.Version))
		w.Header().Set("Cache-Control", "private, no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, tc)
		return nil
	})
}

// putTaskCosts serves PUT /api/v1/tasks/{id}/costs (engineers; If-Match
// with the task's version): the body's lines replace the task's, all or
// none.
func (s *Server) putTaskCosts() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		e, body, err := editWith(r, httpx.Can(maint.PermEditTask), httpx.Decode[costs.Body])
		if err != nil {
			return err
		}
		lines, err := costs.ParseLines(body)
		if err != nil {
			return err
		}
		tc, err := s.store.SetTaskCosts(r.Context(), e.v, e.id, e.version, lines)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(tc.Version))
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, tc)
		return nil
	})
}

// costsRequest is a parsed GET /api/v1/costs.
type costsRequest struct {
	q      costs.Query // q.AsOf zero: now
	format string
}

// parseCosts reads by, as_of and format (staff only, checked before the
// cache).
func parseCosts(r *http.Request) (costsRequest, error) {
	var c costsRequest
	if err := httpx.Staff(httpx.ViewerOf(r)); err != nil {
		return c, err
	}
	p, err := httpx.ReadParams(r, "by", "as_of", "format")
	if err != nil {
		return c, err
	}
	if c.q.By, err = costs.ParseBy(p.Str("by")); err != nil {
		return c, err
	}
	switch c.format = p.Str("format"); c.format {
	case "":
		c.format = "json"
	case "json", "csv", "xlsx":
	default:
		return c, maint.Invalid("format", "format is json, csv or xlsx; got %q", c.format)
	}
	asOf, err := asOfDay(p, time.Now())
	if asOf != nil {
		c.q.AsOf = *asOf
	}
	return c, err
}

// costsPolicy caches a roll-up under its grouping, format and day: a
// change of tasks (every cost change raises its task's version) or budgets
// drops it (migration 019's trigger), and an answer "now" is kept a minute
// at most (a sub-district's edge moved on an asset is seen within it).
func costsPolicy(r *http.Request, c costsRequest) (respcache.Policy, bool) {
	key := fmt.Sprintf("%s?by=%s&format=%s&as_of=%d", r.URL.Path, c.q.By, c.format, c.q.AsOf.Unix())
	return respcache.Policy{Key: key, Kinds: []string{"tasks"}, Area: cache.World, Heavy: true, MaxAge: time.Minute}, true
}

// getCosts serves GET /api/v1/costs?by=&as_of=&format= (staff).
func (s *Server) getCosts() http.Handler {
	return respcache.Route(s.responses, parseCosts, costsPolicy, func(w http.ResponseWriter, r *http.Request, c costsRequest) {
		now := time.Now()
		rep, err := s.store.CostRollUp(r.Context(), c.q)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		if c.q.AsOf.IsZero() {
			rep.AsOf = now
		}
		rep.AsOf = rep.AsOf.In(maint.Zone)
		w.Header().Set("Cache-Control", "private, no-cache")
		name := fmt.Sprintf("costs-%s-%s", rep.By, rep.AsOf.Add(-time.Nanosecond).Format(time.DateOnly))
		writeReport(w, r, c.format, name, func() table[costs.Row] { return costsTable(rep) }, rep)
	})
}

// costColumn is a column of an exported roll-up: an int64 is a number of
// fen or a count (a number cell), a string text, nil an empty cell.
type costColumn = tableColumn[costs.Row]

func fenCol(head string, f func(costs.Row) *int64) []costColumn {
	return []costColumn{
		{head: head + "（分）fen", whole: true, value: func(r costs.Row) any {
			if v := f(r); v != nil {
				return *v
			}
			return nil
		}},
		{head: head + "（元）yuan", right: true, value: func(r costs.Row) any {
			if v := f(r); v != nil {
				return costs.FormatYuan(*v)
			}
			return nil
		}},
	}
}

// costColumns are the columns of CSV and .xlsx: the group, then each sum in
// fen (the API's figure) and in 元 (for reading), the share spent and the
// count of tasks.
var costColumns = func() []costColumn {
	cols := []costColumn{
		{head: "代码 Key", value: func(r costs.Row) any { return r.Key }},
		{head: "名称", wide: true, value: func(r costs.Row) any { return r.Name }},
		{head: "Name", wide: true, value: func(r costs.Row) any { return r.NameEn }},
		{head: "类别 Scope", value: func(r costs.Row) any { return r.Scope }},
		{head: "期间起 From", value: func(r costs.Row) any { return r.PeriodFrom }},
		{head: "期间止 To", value: func(r costs.Row) any { return r.PeriodTo }},
	}
	cols = append(cols, fenCol("预算 Budget", func(r costs.Row) *int64 { return r.Budget })...)
	cols = append(cols, fenCol("估算 Estimated", func(r costs.Row) *int64 { return &r.Estimated })...)
	cols = append(cols, fenCol("实际 Actual", func(r costs.Row) *int64 { return &r.Actual })...)
	cols = append(cols, fenCol("余额 Remaining", func(r costs.Row) *int64 { return r.Remaining })...)
	cols = append(cols,
		costColumn{head: "支出占比 Share spent", percent: true, value: func(r costs.Row) any {
			if r.ShareSpent == nil {
				return nil
			}
			return r.ShareSpent.String()
		}},
		costColumn{head: "任务数 Tasks", whole: true, value: func(r costs.Row) any { return int64(r.Tasks) }})
	return cols
}()

// costsTable is a roll-up as a download: the groups, the total last; the
// .xlsx's sheet 费用 and its 说明 (as of when, grouped how, money in fen).
func costsTable(rep *costs.RollUp) table[costs.Row] {
	by := map[costs.By]string{costs.ByProgramme: "计划/项目 Programme", costs.BySubdistrict: "街道 Sub-district", costs.ByUnit: "处置单位 Unit"}[rep.By]
	about := [][2]string{
		{"截至 As of", rep.AsOf.In(maint.Zone).Format("2006-01-02 15:04")},
		{"分组 Grouped by", by},
		{"金额 Money", "分 fen（整数）；元 yuan = 分 / 100"},
		{"口径 Definitions", "docs/costs.md"},
	}
	if rep.Note != "" {
		about = append(about, [2]string{"注 Note", "项目在其计划之内，合计不重复计算 — " + rep.Note})
	}
	return table[costs.Row]{
		sheet: "费用", cols: costColumns, rows: append(append([]costs.Row{}, rep.Rows...), rep.Total),
		width: 16, wideWidth: 30, headHeight: 32,
		about: about, aboutA: 20, aboutBWidth: 60,
	}
}

// getBudgets serves GET /api/v1/costs/budgets (staff).
func (s *Server) getBudgets() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Staff); err != nil {
			return err
		}
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		bs, err := s.store.Budgets(r.Context())
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"budgets": bs})
		return nil
	})
}

// putBudget serves PUT /api/v1/costs/budgets/{key} (admin): {"budget_fen":
// n} sets a budget in whole fen, null clears it; audited.
func (s *Server) putBudget() http.Handler {
	type body struct {
		BudgetFen json.RawMessage `json:"budget_fen"`
	}
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Admin)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[body](r)
		if err != nil {
			return err
		}
		if len(in.BudgetFen) == 0 {
			return maint.InvalidAs("budget_fen", "cost_budget_required", nil, "send {\"budget_fen\": n} in whole fen, or null to clear it")
		}
		var amount *int64
		if string(in.BudgetFen) != "null" {
			n, err := costs.Fen("budget_fen", in.BudgetFen, costs.MaxBudgetFen)
			if err != nil {
				return err
			}
			amount = &n
		}
		b, err := s.store.SetBudget(r.Context(), v, s.clientIP(r), mux.Vars(r)["key"], amount)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, b)
		return nil
	})
}
