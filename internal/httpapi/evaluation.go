package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"inframap/internal/cache"
	"inframap/internal/evaluation"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/respcache"
	"inframap/internal/timelimit"
)

// The evaluation (考核评价, docs/evaluation.md): the rates of the case flow
// per unit, inspector, sub-district, case type or month, as JSON, CSV or
// .xlsx; the lights of the running clocks per sub-district; the weights of
// the composite score.

// evalRequest is a parsed GET /api/v1/evaluation.
type evalRequest struct {
	q      evaluation.Query
	format string
}

// maxEvalWindow bounds a window, so that one request cannot ask for decades.
const maxEvalWindow = 5 * 366 * 24 * time.Hour

// asOfNow is the instant an evaluation without as_of is known at: now, to
// the minute, so that answers for "now" are cached for up to a minute.
func asOfNow(now time.Time) time.Time { return now.Truncate(time.Minute) }

// parseEvaluation reads from, to, by, as_of and format. Dates are days in
// Asia/Shanghai; to is exclusive; as_of is the end of its day, or now
// (to the minute) when absent or not yet over. The default window is the
// twelve months to as_of: from the first of the month eleven months before
// as_of's month to the end of as_of's day.
func parseEvaluation(r *http.Request, now time.Time) (evalRequest, error) {
	if err := httpx.Staff(httpx.ViewerOf(r)); err != nil {
		return evalRequest{}, err
	}
	p, err := httpx.ReadParams(r, "from", "to", "by", "as_of", "format")
	if err != nil {
		return evalRequest{}, err
	}
	var q evalRequest
	if q.q.By, err = evaluation.ParseBy(p.Str("by")); err != nil {
		return q, err
	}
	switch q.format = p.Str("format"); q.format {
	case "":
		q.format = "json"
	case "json", "csv", "xlsx":
	default:
		return q, maint.Invalid("format", "format is json, csv or xlsx; got %q", q.format)
	}
	q.q.AsOf = asOfNow(now)
	asOf, err := p.Date("as_of")
	if err != nil {
		return q, err
	}
	if asOf != nil && maint.EndOfDay(*asOf).Before(q.q.AsOf) {
		q.q.AsOf = maint.EndOfDay(*asOf)
	}
	day := q.q.AsOf.Add(-time.Nanosecond).In(maint.Zone)
	q.q.To = maint.EndOfDay(day)
	q.q.From = time.Date(day.Year(), day.Month()-11, 1, 0, 0, 0, 0, maint.Zone)
	from, err := p.Date("from")
	if err != nil {
		return q, err
	}
	to, err := p.Date("to")
	if err != nil {
		return q, err
	}
	if from != nil {
		q.q.From = *from
	}
	if to != nil {
		q.q.To = *to
	}
	switch {
	case !q.q.From.Before(q.q.To):
		return q, maint.InvalidAs("to", "window_order", nil, "to (exclusive) must be after from: %s is not after %s",
			q.q.To.Format(time.DateOnly), q.q.From.Format(time.DateOnly))
	case q.q.To.Sub(q.q.From) > maxEvalWindow:
		return q, maint.InvalidAs("to", "window_too_long", nil, "a window is at most five years")
	}
	return q, nil
}

// evalPolicy caches an evaluation under its window, grouping, format and
// the instant it is known at; any change of tasks, clocks or weights drops it.
func evalPolicy(r *http.Request, q evalRequest) (respcache.Policy, bool) {
	key := fmt.Sprintf("%s?by=%s&format=%s&from=%d&to=%d&as_of=%d", r.URL.Path, q.q.By, q.format,
		q.q.From.Unix(), q.q.To.Unix(), q.q.AsOf.Unix())
	return respcache.Policy{Key: key, Kinds: []string{"tasks"}, Area: cache.World, Heavy: true, MaxAge: clockMaxAge}, true
}

// evaluate runs an evaluation.
func (s *Server) evaluate(r *http.Request, q evaluation.Query) (*evaluation.Report, error) {
	ws, err := s.store.EvaluationWeights(r.Context())
	if err != nil {
		return nil, err
	}
	e := evaluation.New(q, evaluation.WeightsFrom(ws))
	err = s.store.EvaluationCases(r.Context(), q.From, q.AsOf, func(c *evaluation.Case) error {
		e.Add(c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e.Report(), nil
}

// getEvaluation serves GET /api/v1/evaluation (staff).
func (s *Server) getEvaluation() http.Handler {
	return respcache.Route(s.responses, func(r *http.Request) (evalRequest, error) { return parseEvaluation(r, time.Now()) },
		evalPolicy, func(w http.ResponseWriter, r *http.Request, q evalRequest) {
			rep, err := s.evaluate(r, q.q)
			if err != nil {
				httpx.WriteError(w, r, err)
				return
			}
			w.Header().Set("Cache-Control", "private, no-cache")
			name := fmt.Sprintf("evaluation-%s-%s-%s", q.q.By, rep.From, rep.To)
			writeReport(w, r, q.format, name, func() table[evaluation.Row] { return evaluationTable(rep) }, rep)
		})
}

// evalColumn is a column of an exported evaluation: an int or float64 is a
// number cell, a string text, nil an empty cell.
type evalColumn = tableColumn[evaluation.Row]

// evalColumns are the columns of an export: rank, key, names, score, each
// rate's numerator, denominator and rate, then the counts.
func evalColumns(rep *evaluation.Report) []evalColumn {
	cols := []evalColumn{
		{head: "排名 Rank", value: func(r evaluation.Row) any {
			if r.Rank == 0 {
				return nil
			}
			return r.Rank
		}},
		{head: "代码 Code", value: func(r evaluation.Row) any { return r.Key }},
		{head: "名称", wide: true, value: func(r evaluation.Row) any { return r.Name }},
		{head: "Name", wide: true, value: func(r evaluation.Row) any { return r.NameEn }},
		{head: "综合得分 Score", value: func(r evaluation.Row) any {
			if r.Score == nil {
				return nil
			}
			return *r.Score
		}},
	}
	for _, rate := range rep.Rates {
		code := rate.Code
		cols = append(cols,
			evalColumn{head: rate.Name + "分子 " + rate.NameEn + " numerator", value: func(r evaluation.Row) any { return r.Rates[code].Num }},
			evalColumn{head: rate.Name + "分母 " + rate.NameEn + " denominator", value: func(r evaluation.Row) any { return r.Rates[code].Den }},
			evalColumn{head: rate.Name + " " + rate.NameEn, percent: true, value: func(r evaluation.Row) any {
				if x := r.Rates[code].Rate; x != nil {
					return *x
				}
				return nil
			}})
	}
	for _, c := range evaluation.Counts {
		code := c.Code
		if _, ok := rep.Total.Counts[code]; !ok {
			continue
		}
		cols = append(cols, evalColumn{head: c.Name + " " + c.NameEn, value: func(r evaluation.Row) any {
			n, ok := r.Counts[code]
			if !ok {
				return nil
			}
			return n
		}})
	}
	return cols
}

// evaluationTable is the report as a download: the groups, then the total,
// rates as decimals (0.8571; percentages in .xlsx); the .xlsx's sheet 考核评价
// and its 说明 (the period, as of when, grouped how).
func evaluationTable(rep *evaluation.Report) table[evaluation.Row] {
	by := map[evaluation.By][2]string{
		evaluation.ByUnit: {"处置单位", "Unit"}, evaluation.ByInspector: {"监督员", "Inspector"},
		evaluation.BySubdistrict: {"街道", "Sub-district"}, evaluation.ByService: {"案件类型", "Case type"},
		evaluation.ByMonth: {"月份", "Month"},
	}[rep.By]
	to, _ := time.ParseInLocation(time.DateOnly, rep.To, maint.Zone)
	return table[evaluation.Row]{
		sheet: "考核评价", cols: evalColumns(rep), rows: append(slices.Clone(rep.Rows), rep.Total),
		width: 14, wideWidth: 24, headHeight: 45,
		about: [][2]string{
			{"统计起始 From", rep.From},
			{"统计截止（含） To (inclusive)", to.AddDate(0, 0, -1).Format(time.DateOnly)},
			{"截至 As of", rep.AsOf.In(maint.Zone).Format("2006-01-02 15:04")},
			{"分组 Grouped by", by[0] + " " + by[1]},
			{"口径 Definitions", "docs/evaluation.md"},
		},
		aboutA: 28, aboutBWidth: 24,
	}
}

// lightsView is the answer of GET /api/v1/evaluation/lights.
type lightsView struct {
	AsOf      time.Time    `json:"as_of"`
	WarnShare float64      `json:"warn_share"`
	Lights    []lightName  `json:"lights"`
	Rows      []lightsRow  `json:"rows"`
	Total     lightsCounts `json:"total"`
}

type lightName struct {
	Code   timelimit.Light `json:"code"`
	Name   string          `json:"name"`
	NameEn string          `json:"name_en"`
}

var lightNames = []lightName{
	{timelimit.Red, "超时", "Late"}, {timelimit.Yellow, "预警", "Warning"}, {timelimit.Green, "正常", "On time"},
	{timelimit.Paused, "挂账", "Suspended"}, {timelimit.NoneL, "不计时", "Not timed"},
}

type lightsCounts map[timelimit.Light]int

type lightsRow struct {
	Key    string       `json:"key"`
	Name   string       `json:"name"`
	NameEn string       `json:"name_en"`
	Counts lightsCounts `json:"counts"`
	Total  int          `json:"total"`
}

func newLightsCounts() lightsCounts {
	c := lightsCounts{}
	for _, l := range timelimit.Lights {
		c[l] = 0
	}
	return c
}

// getLights serves GET /api/v1/evaluation/lights (staff): the running
// clocks of each sub-district by light, read now on the working calendar.
func (s *Server) getLights() http.Handler {
	parse := func(r *http.Request) (time.Time, error) {
		if err := httpx.Staff(httpx.ViewerOf(r)); err != nil {
			return time.Time{}, err
		}
		if _, err := httpx.ReadParams(r); err != nil {
			return time.Time{}, err
		}
		return asOfNow(time.Now()), nil
	}
	policy := func(r *http.Request, now time.Time) (respcache.Policy, bool) {
		return respcache.Policy{Key: r.URL.Path + "@" + strconv.FormatInt(now.Unix(), 10), Kinds: []string{"tasks"}, Area: cache.World, Heavy: true,
			MaxAge: clockMaxAge}, true
	}
	return respcache.Route(s.responses, parse, policy, func(w http.ResponseWriter, r *http.Request, now time.Time) {
		v, err := s.lights(r, now)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "private, no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, v)
	})
}

func (s *Server) lights(r *http.Request, now time.Time) (*lightsView, error) {
	names, err := s.store.SubdistrictNames(r.Context())
	if err != nil {
		return nil, err
	}
	cal, warn := s.store.Calendar(r.Context()), s.store.WarnShare()
	rows := map[string]*lightsRow{}
	row := func(sub string) *lightsRow {
		x := rows[sub]
		if x == nil {
			x = &lightsRow{Key: sub, Name: sub, NameEn: names[sub], Counts: newLightsCounts()}
			if sub == "" {
				x.Name, x.NameEn = "分区以外", "Outside the sub-districts"
			} else if x.NameEn == "" {
				x.NameEn = sub
			}
			rows[sub] = x
		}
		return x
	}
	for sub := range names {
		row(sub)
	}
	v := &lightsView{AsOf: now.In(maint.Zone), WarnShare: warn, Lights: lightNames, Total: newLightsCounts()}
	err = s.store.RunningClocks(r.Context(), func(sub string, c *evaluation.RunningClock) error {
		l := c.Read(cal, now, warn).Light
		x := row(sub)
		x.Counts[l]++
		x.Total++
		v.Total[l]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, x := range rows {
		v.Rows = append(v.Rows, *x)
	}
	slices.SortFunc(v.Rows, func(a, b lightsRow) int {
		if (a.Key == "") != (b.Key == "") {
			if a.Key == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return v, nil
}

// weightsView is the answer of the weights endpoints.
type weightsView struct {
	Weights []weightView `json:"weights"`
}

type weightView struct {
	Rate    string  `json:"rate"`
	Name    string  `json:"name"`
	NameEn  string  `json:"name_en"`
	Weight  float64 `json:"weight"`
	Default float64 `json:"default"`
}

func (s *Server) weightsView(r *http.Request) (*weightsView, error) {
	ws, err := s.store.EvaluationWeights(r.Context())
	if err != nil {
		return nil, err
	}
	w := evaluation.WeightsFrom(ws)
	v := &weightsView{}
	for _, rate := range evaluation.Rates {
		v.Weights = append(v.Weights, weightView{rate.Code, rate.Name, rate.NameEn, w.Of(rate.Code), rate.Weight})
	}
	return v, nil
}

// getWeights serves GET /api/v1/evaluation/weights (staff).
func (s *Server) getWeights() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Staff); err != nil {
			return err
		}
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		v, err := s.weightsView(r)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, v)
		return nil
	})
}

// putWeights serves PUT /api/v1/evaluation/weights (admin): {weights:
// [{rate, weight}]} sets the rates named, audited; the others keep theirs.
func (s *Server) putWeights() http.Handler {
	type body struct {
		Weights []evaluation.Weight `json:"weights"`
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
		if len(in.Weights) == 0 {
			return maint.InvalidAs("weights", "weights_required", nil, "give at least one {rate, weight}")
		}
		seen := map[string]bool{}
		for _, x := range in.Weights {
			if err := evaluation.CheckWeight(x.Rate, x.Weight); err != nil {
				return err
			}
			if seen[x.Rate] {
				return maint.Invalid("rate", "rate %q is given twice", x.Rate)
			}
			seen[x.Rate] = true
		}
		if err := s.store.SetEvaluationWeights(r.Context(), v, s.clientIP(r), in.Weights); err != nil {
			return err
		}
		out, err := s.weightsView(r)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, out)
		return nil
	})
}
