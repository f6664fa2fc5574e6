package evaluation

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"inframap/internal/maint"
	"inframap/internal/timelimit"
)

// Case is what the evaluation needs of a case.
type Case struct {
	ID         int64
	ReportedAt time.Time
	// WorkType is the case type (a work type, an Open311 service code or a
	// manhole defect code).
	WorkType      string
	Subdistrict   string
	SubdistrictEn string
	// Inspector is the actor of the case's first history row when that
	// row's role is inspector; "" for cases others reported.
	Inspector string
	// Clocks are the case's clocks in the order they started.
	Clocks []Clock
	// Feedback is what the reporter said after each closing, in order.
	Feedback []Feedback
}

// Feedback is a reporter's answer after 结案: fixed or not, and how
// satisfied (maint.Satisfaction; "" when not said).
type Feedback struct {
	At           time.Time
	Fixed        bool
	Satisfaction string
}

// Clock is one step's clock as the evaluation reads it (a task_clocks row).
type Clock struct {
	Step     timelimit.Step
	Assignee string
	Start    time.Time
	Deadline *time.Time
	// Extensions and Suspensions count the approved requests.
	Extensions  int
	Suspensions int
	Rework      bool
	End         *time.Time
	Outcome     timelimit.Outcome
	// Verifier is, for a verify step that ended, the actor of the history
	// row that ended it (the inspector who closed or sent back).
	Verifier string
}

// RunningClock is a running clock with what its light needs.
type RunningClock = timelimit.Clock

// Query says what to evaluate: events in [From, To), as known at AsOf.
type Query struct {
	From, To time.Time
	AsOf     time.Time
	By       By
}

// Ratio is a rate with its numerator and denominator; Rate is nil when the
// denominator is 0.
type Ratio struct {
	Num  int      `json:"num"`
	Den  int      `json:"den"`
	Rate *float64 `json:"rate"`
}

// Row is a group's figures.
type Row struct {
	Key    string           `json:"key"`
	Name   string           `json:"name"`
	NameEn string           `json:"name_en"`
	Rank   int              `json:"rank"`
	Score  *float64         `json:"score"`
	Rates  map[string]Ratio `json:"rates"`
	Counts map[string]int   `json:"counts"`
}

// Evaluator counts the cases it is given.
type Evaluator struct {
	q     Query
	w     Weights
	rows  map[string]*Row
	total *Row
	rates []string
	count []string
}

// New starts an evaluation.
func New(q Query, w Weights) *Evaluator {
	e := &Evaluator{q: q, w: w, rows: map[string]*Row{}, rates: q.By.rateCodes(), count: q.By.countCodes()}
	// The total shows the rates of its rows, so that its score compares
	// with theirs, and every count.
	var all []string
	for _, c := range Counts {
		all = append(all, c.Code)
	}
	e.total = e.newRow("", "合计", "Total", e.rates, all)
	return e
}

func (e *Evaluator) newRow(key, name, nameEn string, rates, counts []string) *Row {
	r := &Row{Key: key, Name: name, NameEn: nameEn, Rates: make(map[string]Ratio, len(rates)), Counts: make(map[string]int, len(counts))}
	for _, c := range rates {
		r.Rates[c] = Ratio{}
	}
	for _, c := range counts {
		r.Counts[c] = 0
	}
	return r
}

// group is who a fact is attributed to under a grouping: the unit and the
// inspector when known (ok false: the fact is not theirs, it counts in the
// total only).
type group struct {
	unit, inspector     string
	unitOK, inspectorOK bool
}

// in reports whether an event at t falls in the window, as known at AsOf.
func (e *Evaluator) in(t time.Time) bool {
	return !t.Before(e.q.From) && t.Before(e.q.To) && !t.After(e.q.AsOf)
}

// row is the row a fact of case c at t counts in, or nil.
func (e *Evaluator) row(c *Case, t time.Time, g group) *Row {
	var key, name, nameEn string
	switch e.q.By {
	case ByUnit:
		if !g.unitOK {
			return nil
		}
		key, name, nameEn = g.unit, g.unit, g.unit
		if key == "" {
			name, nameEn = "未指定单位", "No unit named"
		}
	case ByInspector:
		if !g.inspectorOK || g.inspector == "" {
			return nil
		}
		key, name, nameEn = g.inspector, g.inspector, g.inspector
	case BySubdistrict:
		key, name, nameEn = c.Subdistrict, c.Subdistrict, c.SubdistrictEn
		if key == "" {
			name, nameEn = "分区以外", "Outside the sub-districts"
		} else if nameEn == "" {
			nameEn = name
		}
	case ByService:
		key = c.WorkType
		name, nameEn = CaseTypeName(key)
	case ByMonth:
		key, name, nameEn = monthName(t)
	}
	r := e.rows[key]
	if r == nil {
		r = e.newRow(key, name, nameEn, e.rates, e.count)
		e.rows[key] = r
	}
	return r
}

// rate counts a fact of a rate: in the denominator, and in the numerator
// when good.
func (e *Evaluator) rate(c *Case, code string, t time.Time, g group, good bool) {
	if !e.in(t) {
		return
	}
	for _, r := range []*Row{e.total, e.row(c, t, g)} {
		if r == nil {
			continue
		}
		if _, shown := r.Rates[code]; !shown {
			continue
		}
		x := r.Rates[code]
		x.Den++
		if good {
			x.Num++
		}
		r.Rates[code] = x
	}
}

// part counts only one side of a rate whose numerator and denominator are
// different events (返工率, 结案率's open cases).
func (e *Evaluator) part(c *Case, code string, t time.Time, g group, num, den int) {
	if !e.in(t) {
		return
	}
	for _, r := range []*Row{e.total, e.row(c, t, g)} {
		if r == nil {
			continue
		}
		if _, shown := r.Rates[code]; !shown {
			continue
		}
		x := r.Rates[code]
		x.Num += num
		x.Den += den
		r.Rates[code] = x
	}
}

// add counts n of a count.
func (e *Evaluator) add(c *Case, code string, t time.Time, g group, n int) {
	if n == 0 || !e.in(t) {
		return
	}
	for _, r := range []*Row{e.total, e.row(c, t, g)} {
		if r == nil {
			continue
		}
		if _, shown := r.Counts[code]; shown {
			r.Counts[code] += n
		}
	}
}

// Add counts a case.
func (e *Evaluator) Add(c *Case) {
	asOf := e.q.AsOf
	if c.ReportedAt.After(asOf) {
		return
	}
	// What was known at AsOf: clocks started by then, those that ended
	// later still running.
	clocks := make([]Clock, 0, len(c.Clocks))
	for _, k := range c.Clocks {
		if k.Start.After(asOf) {
			continue
		}
		if k.End != nil && k.End.After(asOf) {
			k.End, k.Outcome, k.Verifier = nil, "", ""
		}
		clocks = append(clocks, k)
	}
	ins := group{inspector: c.Inspector, inspectorOK: true}
	none := group{}
	e.add(c, Reported, c.ReportedAt, ins, 1)

	lateAt := func(k Clock) bool { return k.Deadline != nil && k.Deadline.Before(asOf) }
	// A running clock whose deadline passed counts, as late, at its deadline.
	runningLate := func(k Clock) (time.Time, bool) {
		if k.End == nil && lateAt(k) {
			return *k.Deadline, true
		}
		return time.Time{}, false
	}
	onTime := func(k Clock) bool { return k.Deadline == nil || !k.End.After(*k.Deadline) }

	var lastHandle *Clock
	allOnTime := true
	for i := range clocks {
		k := &clocks[i]
		if k.End != nil && !onTime(*k) || k.End == nil && lateAt(*k) {
			allOnTime = false
		}
		unit := group{unit: k.Assignee, unitOK: k.Step == timelimit.StepHandle}
		e.add(c, Extensions, k.Start, unit, k.Extensions)
		e.add(c, Suspensions, k.Start, unit, k.Suspensions)
		switch k.Step {
		case timelimit.StepFile:
			if k.End != nil && (k.Outcome == timelimit.Passed || k.Outcome == timelimit.Rejected) {
				e.rate(c, OnTimeFiling, *k.End, none, onTime(*k))
				if c.Inspector != "" {
					e.rate(c, ValidReport, *k.End, ins, k.Outcome == timelimit.Passed)
				}
			} else if t, ok := runningLate(*k); ok {
				e.rate(c, OnTimeFiling, t, none, false)
			}
		case timelimit.StepHandle:
			lastHandle = k
			if !k.Rework {
				e.rate(c, AccurateDispatch, k.Start, none, k.Outcome != timelimit.HandedBack)
			} else {
				e.part(c, ReworkRate, k.Start, unit, 1, 0)
			}
			switch {
			case k.End != nil && k.Outcome == timelimit.Passed:
				e.rate(c, OnTimeHandling, *k.End, unit, onTime(*k))
				e.part(c, ReworkRate, *k.End, unit, 0, 1)
				if k.Extensions > 0 {
					e.add(c, Extended, *k.End, unit, 1)
				}
			case k.End != nil && k.Outcome == timelimit.HandedBack:
				e.add(c, Handbacks, *k.End, unit, 1)
			case k.End == nil && lateAt(*k):
				e.rate(c, OnTimeHandling, *k.Deadline, unit, false)
				if k.Extensions > 0 {
					e.add(c, Extended, *k.Deadline, unit, 1)
				}
			}
		case timelimit.StepVerify:
			if k.End != nil && (k.Outcome == timelimit.Passed || k.Outcome == timelimit.Rework) {
				e.rate(c, OnTimeVerification, *k.End, group{inspector: k.Verifier, inspectorOK: true}, onTime(*k))
			} else if t, ok := runningLate(*k); ok {
				e.rate(c, OnTimeVerification, t, none, false)
			}
		}
	}

	// Closing: the verify step that passed closes the case, held to every
	// step's time; a case still open past its 处置 deadline was due to close.
	var owner group
	if lastHandle != nil {
		owner = group{unit: lastHandle.Assignee, unitOK: true}
	}
	// The reporter's answers count for the unit that handled the case.
	for _, f := range c.Feedback {
		if f.At.After(asOf) {
			continue
		}
		if !f.Fixed {
			e.add(c, NotFixed, f.At, owner, 1)
		}
		if f.Satisfaction != "" {
			e.rate(c, SatisfactionRate, f.At, owner, f.Satisfaction != string(maint.Dissatisfied))
			e.add(c, f.Satisfaction, f.At, owner, 1)
		}
	}
	if n := len(clocks); n > 0 {
		last := clocks[n-1]
		if last.Step == timelimit.StepVerify && last.End != nil && last.Outcome == timelimit.Passed {
			e.rate(c, OnTimeClosing, *last.End, owner, allOnTime)
			e.part(c, Closure, *last.End, owner, 1, 1)
			return
		}
		open := last.End == nil || last.Outcome == timelimit.Rework
		if open && lastHandle != nil && lastHandle.Deadline != nil && lastHandle.Deadline.Before(asOf) &&
			lastHandle.Outcome != timelimit.HandedBack && lastHandle.Outcome != timelimit.Cancelled {
			e.part(c, Closure, *lastHandle.Deadline, owner, 0, 1)
		}
	}
}

// Report is the evaluation's answer.
type Report struct {
	From  string     `json:"from"`
	To    string     `json:"to"`
	By    By         `json:"by"`
	AsOf  time.Time  `json:"as_of"`
	Rates []RateInfo `json:"rates"`
	Rows  []Row      `json:"rows"`
	Total Row        `json:"total"`
}

// Report finishes the evaluation: rates and scores, the rows ranked by
// score (months in order, each still with its rank).
func (e *Evaluator) Report() *Report {
	rows := make([]Row, 0, len(e.rows))
	for _, r := range e.rows {
		e.finish(r)
		rows = append(rows, *r)
	}
	e.finish(e.total)
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmpScore(a.Score, b.Score), strings.Compare(a.Key, b.Key))
	})
	for i := range rows {
		rows[i].Rank = i + 1
		if i > 0 && cmpScore(rows[i].Score, rows[i-1].Score) == 0 {
			rows[i].Rank = rows[i-1].Rank
		}
	}
	if e.q.By == ByMonth {
		slices.SortFunc(rows, func(a, b Row) int { return strings.Compare(a.Key, b.Key) })
	}
	loc := maint.Zone
	return &Report{
		From: e.q.From.In(loc).Format(time.DateOnly), To: e.q.To.In(loc).Format(time.DateOnly),
		By: e.q.By, AsOf: e.q.AsOf.In(loc), Rates: RatesOf(e.q.By, e.w), Rows: rows, Total: *e.total,
	}
}

// cmpScore orders scores highest first, rows without a score last.
func cmpScore(a, b *float64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*b, *a)
}

// finish computes a row's rates and its score: the weighted mean of the
// rates it has (a lower-is-better rate counts as 1 − rate), out of 100.
func (e *Evaluator) finish(r *Row) {
	var sum, weights float64
	for code, x := range r.Rates {
		if x.Den == 0 {
			continue
		}
		rate := round(float64(x.Num)/float64(x.Den), 4)
		x.Rate = &rate
		r.Rates[code] = x
		w := e.w.Of(code)
		if w <= 0 {
			continue
		}
		v := rate
		if def, _ := LookupRate(code); def.Lower {
			v = max(0, 1-v)
		}
		sum += w * v
		weights += w
	}
	if weights > 0 {
		s := round(100*sum/weights, 1)
		r.Score = &s
	}
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// CaseTypeName names a case type in Chinese and English: the work types
// and the limits' case types, the Open311 services, the manhole defects.
func CaseTypeName(code string) (string, string) {
	if code == "" {
		return "未分类", "Unclassified"
	}
	for _, n := range timelimit.CaseTypes() {
		if n.Code == code {
			return n.Name, n.NameEn
		}
	}
	if s, ok := maint.LookupService(code); ok {
		return s.Name, s.NameEn
	}
	if d, ok := maint.Lookup(maint.ManholeDefects, code); ok {
		return d.Name, d.NameEn
	}
	return code, code
}
