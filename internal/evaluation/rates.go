// Package evaluation is the 考核评价 of the case workflow: from the facts of
// cases and the clocks of their steps (task_clocks, docs/time-limits.md) it
// counts, per group (unit, inspector, sub-district, case type, month), the
// rates of docs/evaluation.md — each with its numerator and denominator —
// and a composite score whose weights are data. It is pure: the store
// streams the cases in, this package counts them.
package evaluation

import (
	"context"
	"fmt"
	"slices"
	"time"

	"inframap/internal/maint"
)

// RateDef is a rate the evaluation counts.
type RateDef struct {
	Code   string
	Name   string
	NameEn string
	// Weight is the default weight in the composite score.
	Weight float64
	// Lower means fewer is better (返工率): the score counts 1 − rate.
	Lower bool
}

// The rates, in the order of the case flow. docs/evaluation.md defines each.
const (
	OnTimeFiling       = "on_time_filing"
	AccurateDispatch   = "accurate_dispatch"
	OnTimeHandling     = "on_time_handling"
	OnTimeClosing      = "on_time_closing"
	Closure            = "closure"
	ReworkRate         = "rework"
	ValidReport        = "valid_report"
	OnTimeVerification = "on_time_verification"
	// SatisfactionRate is the reporters' 满意率: satisfied or basically
	// satisfied among those who answered after 结案.
	SatisfactionRate = "satisfaction"
)

// Rates lists every rate with its default weight (they sum to 100).
var Rates = []RateDef{
	{OnTimeFiling, "按时立案率", "On-time filing", 10, false},
	{AccurateDispatch, "准确派遣率", "Accurate dispatch", 10, false},
	{OnTimeHandling, "按期处置率", "On-time handling", 30, false},
	{OnTimeClosing, "按期结案率", "On-time closing", 20, false},
	{Closure, "结案率", "Closure", 15, false},
	{ReworkRate, "返工率", "Rework", 5, true},
	{ValidReport, "有效上报率", "Valid reports", 5, false},
	{OnTimeVerification, "按时核查率", "On-time verification", 5, false},
	// Shown, weighted 0 until an admin weights it: residents' answers are
	// few while the loop is new.
	{SatisfactionRate, "群众满意率", "Reporters satisfied", 0, false},
}

// LookupRate returns the rate with the given code.
func LookupRate(code string) (RateDef, bool) {
	for _, r := range Rates {
		if r.Code == code {
			return r, true
		}
	}
	return RateDef{}, false
}

// The counts every row carries (those that apply to its grouping).
const (
	Reported    = "reported"    // cases reported (上报)
	Extensions  = "extensions"  // approved extensions (延期) of steps started
	Suspensions = "suspensions" // approved suspensions (挂账) of steps started
	Handbacks   = "handbacks"   // 回退: 处置 steps handed back
	Extended    = "extended"    // 处置 steps judged on an extended deadline
	NotFixed    = "not_fixed"   // reporters who said "not fixed" after 结案
	// The satisfaction answers, counted by their codes (maint.Satisfaction).
	SatisfiedN    = "satisfied"
	BasicallyN    = "basically_satisfied"
	DissatisfiedN = "dissatisfied"
)

// CountDef names a count.
type CountDef struct{ Code, Name, NameEn string }

// Counts lists the counts.
var Counts = []CountDef{
	{Reported, "上报数", "Reported"},
	{Extensions, "延期次数", "Extensions"},
	{Suspensions, "挂账次数", "Suspensions"},
	{Handbacks, "回退数", "Hand-backs"},
	{Extended, "延期处置数", "Extended handling steps"},
	{NotFixed, "反馈未解决数", "Reported not fixed"},
	{SatisfiedN, "满意", "Satisfied"},
	{BasicallyN, "基本满意", "Basically satisfied"},
	{DissatisfiedN, "不满意", "Dissatisfied"},
}

// By is a grouping of the rows.
type By string

const (
	ByUnit        By = "unit"        // the unit held to 处置 (the handle step's assignee)
	ByInspector   By = "inspector"   // the 监督员 who reported or verified
	BySubdistrict By = "subdistrict" // the sub-district of the case
	ByService     By = "service"     // the case type (work type or service code)
	ByMonth       By = "month"       // the Asia/Shanghai month of the event
)

// Groupings lists the groupings.
var Groupings = []By{ByUnit, ByInspector, BySubdistrict, ByService, ByMonth}

// ParseBy reads a grouping.
func ParseBy(s string) (By, error) {
	if s == "" {
		return ByUnit, nil
	}
	if !slices.Contains(Groupings, By(s)) {
		return "", maint.Invalid("by", "by is one of unit, inspector, subdistrict, service, month; got %q", s)
	}
	return By(s), nil
}

// rateCodes are the rates a grouping shows: the centre's rates (filing,
// dispatch accuracy) are not a unit's, and an inspector is judged on
// reports and verification only.
func (b By) rateCodes() []string {
	switch b {
	case ByUnit:
		return []string{OnTimeHandling, OnTimeClosing, Closure, ReworkRate, SatisfactionRate}
	case ByInspector:
		return []string{ValidReport, OnTimeVerification}
	}
	codes := make([]string, len(Rates))
	for i, r := range Rates {
		codes[i] = r.Code
	}
	return codes
}

// countCodes are the counts a grouping shows.
func (b By) countCodes() []string {
	switch b {
	case ByUnit:
		return []string{Extensions, Suspensions, Handbacks, Extended, NotFixed, SatisfiedN, BasicallyN, DissatisfiedN}
	case ByInspector:
		return []string{Reported}
	}
	return []string{Reported, Extensions, Suspensions, Handbacks, Extended, NotFixed, SatisfiedN, BasicallyN, DissatisfiedN}
}

// RatesOf lists the rates a grouping shows, with the weights in force.
func RatesOf(b By, w Weights) []RateInfo {
	var out []RateInfo
	for _, code := range b.rateCodes() {
		r, _ := LookupRate(code)
		out = append(out, RateInfo{Code: r.Code, Name: r.Name, NameEn: r.NameEn, Weight: w.Of(code), Lower: r.Lower})
	}
	return out
}

// RateInfo describes a rate of a report.
type RateInfo struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	NameEn string  `json:"name_en"`
	Weight float64 `json:"weight"`
	Lower  bool    `json:"lower_is_better"`
}

// Weights are the weights of the rates in the composite score: the
// defaults with an admin's changes on top.
type Weights map[string]float64

// DefaultWeights returns the default weights.
func DefaultWeights() Weights {
	w := Weights{}
	for _, r := range Rates {
		w[r.Code] = r.Weight
	}
	return w
}

// Of is the weight of a rate.
func (w Weights) Of(code string) float64 {
	if v, ok := w[code]; ok {
		return v
	}
	r, _ := LookupRate(code)
	return r.Weight
}

// CheckWeight says what is wrong with a weight an admin sets.
func CheckWeight(code string, v float64) error {
	if _, ok := LookupRate(code); !ok {
		return maint.Invalid("rate", "rate %q is unknown; the rates are on_time_filing, accurate_dispatch, on_time_handling, on_time_closing, closure, rework, valid_report, on_time_verification, satisfaction", code)
	}
	if v < 0 || v > 100 || v != v {
		return maint.Invalid("weight", "a weight is a number from 0 to 100, got %v", v)
	}
	return nil
}

// Weight is a rate's weight as stored.
type Weight struct {
	Rate   string  `json:"rate"`
	Weight float64 `json:"weight"`
}

// Store is what the evaluation reads of the database.
type Store interface {
	// EvaluationCases streams, in task order, every case that may count
	// for a window starting at from as known at asOf: cases reported
	// before asOf and not ended before from, each with its clocks started
	// before asOf.
	EvaluationCases(ctx context.Context, from, asOf time.Time, emit func(*Case) error) error
	// RunningClocks streams the clocks running now with the sub-district
	// of their case, for the lights.
	RunningClocks(ctx context.Context, emit func(subdistrict string, c *RunningClock) error) error
	// EvaluationWeights returns the admins' weights; SetEvaluationWeights
	// changes them, audited.
	EvaluationWeights(ctx context.Context) ([]Weight, error)
	SetEvaluationWeights(ctx context.Context, v maint.Viewer, ip string, ws []Weight) error
	// SubdistrictNames maps each sub-district's name to its English name.
	SubdistrictNames(ctx context.Context) (map[string]string, error)
}

// WeightsFrom puts the stored weights over the defaults.
func WeightsFrom(ws []Weight) Weights {
	w := DefaultWeights()
	for _, x := range ws {
		w[x.Rate] = x.Weight
	}
	return w
}

func monthName(t time.Time) (key, zh, en string) {
	t = t.In(maint.Zone)
	return t.Format("2006-01"), fmt.Sprintf("%d年%d月", t.Year(), int(t.Month())), t.Format("Jan 2006")
}
