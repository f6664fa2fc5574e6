// Package timelimit holds cases to time: the limit of each step of a case by
// its type (docs/time-limits.md), the clock of a step — its deadline on the
// working calendar, moved by extensions and stopped by suspensions — and its
// light. It is pure: the store keeps the clocks, this package computes them.
package timelimit

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"inframap/internal/maint"
	"inframap/internal/workcal"
)

// Step is a timed step of the case flow.
type Step string

const (
	StepFile     Step = "file"     // 立案: from 上报 to the filing decision
	StepDispatch Step = "dispatch" // 派遣: from 立案 to dispatch
	StepHandle   Step = "handle"   // 处置: from dispatch to 处置完成
	StepVerify   Step = "verify"   // 核查: from 处置完成 to 结案 or rework
)

// Steps lists the steps in the order of the flow.
var Steps = []Step{StepFile, StepDispatch, StepHandle, StepVerify}

var stepNames = map[Step][2]string{
	StepFile:     {"立案", "Filing"},
	StepDispatch: {"派遣", "Dispatch"},
	StepHandle:   {"处置", "Handling"},
	StepVerify:   {"核查", "Verification"},
}

// Valid reports whether s is a known step.
func (s Step) Valid() bool { _, ok := stepNames[s]; return ok }

// Name returns the Chinese name of the step.
func (s Step) Name() string { return stepNames[s][0] }

// NameEn returns the English name of the step.
func (s Step) NameEn() string { return stepNames[s][1] }

// StepOf is the step a case in state st is timed on; "" for the final states.
// 处置 runs from dispatch through 处置中 to 处置完成.
func StepOf(st maint.Status) Step {
	switch st {
	case maint.StatusReported:
		return StepFile
	case maint.StatusFiled:
		return StepDispatch
	case maint.StatusDispatched, maint.StatusInProgress:
		return StepHandle
	case maint.StatusDone:
		return StepVerify
	}
	return ""
}

// Units a limit is counted in: the working calendar's three, and DueDate —
// the case's own due date (17:30 of that day) for planned works with no
// standard limit.
const (
	WorkingHours = "working_hours"
	WorkingDays  = "working_days"
	NaturalHours = "natural_hours"
	DueDate      = "due_date"
	// None: no limit applies (a due-date step of a case without a due date).
	None = "none"
)

// Units lists the units an admin may set.
var Units = []string{WorkingHours, WorkingDays, NaturalHours, DueDate}

// Rule is a time limit: N of Unit (N is 0 for DueDate).
type Rule struct {
	Unit string  `json:"unit"`
	N    float64 `json:"n"`
}

// Check says what is wrong with a rule an admin gives.
func (r Rule) Check() error {
	if !slices.Contains(Units, r.Unit) {
		return maint.InvalidAs("unit", "limit_unit", nil, "a time limit is counted in working_hours, working_days, natural_hours or due_date, got %q", r.Unit)
	}
	if r.Unit == DueDate {
		if r.N != 0 {
			return maint.InvalidAs("n", "limit_due_no_amount", nil, "a due-date limit has no amount (n is 0), got %v", r.N)
		}
		return nil
	}
	if err := r.limit().Validate(); err != nil {
		return maint.InvalidAs("n", "limit_amount", nil, "a time limit is a positive amount up to 100000 (whole for working days), got %v", r.N)
	}
	return nil
}

// limit is the rule as the calendar's limit (working units only).
func (r Rule) limit() workcal.Limit {
	var u workcal.Unit
	_ = u.UnmarshalText([]byte(r.Unit))
	return workcal.Limit{Unit: u, N: r.N}
}

// String says the rule for logs: "3 working_days".
func (r Rule) String() string {
	if r.Unit == DueDate || r.Unit == None {
		return r.Unit
	}
	return strconv.FormatFloat(r.N, 'f', -1, 64) + " " + r.Unit
}

// Limit is a rule for a case type and step. CaseType is a task's work type or
// an Open311 service code; Urgent is the rule for urgent cases whose type has
// none of its own; Any is the rule for every other case.
type Limit struct {
	CaseType string `json:"case_type"`
	Step     Step   `json:"step"`
	Rule
}

// The special case types.
const (
	Urgent = "urgent"
	Any    = "*"
)

func wh(n float64) Rule { return Rule{WorkingHours, n} }
func wd(n float64) Rule { return Rule{WorkingDays, n} }
func nh(n float64) Rule { return Rule{NaturalHours, n} }

var due = Rule{DueDate, 0}

// defaults are the limits the service starts with, documented with their
// reasons in docs/time-limits.md. Steps a type leaves out fall back to
// urgent (for urgent cases) and then to *.
var defaults = []Limit{
	{Any, StepFile, wh(2)}, {Any, StepDispatch, wh(2)}, {Any, StepHandle, wd(5)}, {Any, StepVerify, wd(1)},
	{Urgent, StepFile, nh(0.5)}, {Urgent, StepDispatch, nh(0.5)}, {Urgent, StepHandle, nh(24)}, {Urgent, StepVerify, nh(4)},

	// Open311 services (what residents report).
	{"manhole_missing", StepFile, nh(0.5)}, {"manhole_missing", StepDispatch, nh(0.5)},
	{"manhole_missing", StepHandle, nh(2)}, {"manhole_missing", StepVerify, nh(4)},
	{"manhole_broken", StepHandle, wd(1)},
	{"manhole_sunken", StepHandle, wd(3)},
	{"pothole", StepHandle, wd(2)},
	{"road_surface", StepHandle, wd(5)},
	{"drain_blocked", StepHandle, wd(1)},
	{"flooding", StepFile, nh(1)}, {"flooding", StepDispatch, nh(1)}, {"flooding", StepHandle, nh(6)},
	{"sewage_overflow", StepHandle, nh(24)},
	{"parking_damage", StepHandle, wd(5)},

	// Manhole defects an inspector reports (DOMAIN.md §4).
	{"missing_cover", StepFile, nh(0.5)}, {"missing_cover", StepDispatch, nh(0.5)},
	{"missing_cover", StepHandle, nh(2)}, {"missing_cover", StepVerify, nh(4)},
	{"broken_cover", StepHandle, wd(1)},
	{"broken_frame", StepHandle, wd(3)},
	{"cover_frame_gap", StepHandle, wd(10)},
	{"height_difference", StepHandle, wd(5)},
	{"raised_sunk", StepHandle, wd(3)},
	{"rocking_noise", StepHandle, wd(5)},
	{"surrounding_pavement", StepHandle, wd(5)},
	{"buried", StepHandle, wd(3)},
	{"wrong_marking", StepHandle, wd(10)},
	{"missing_anti_fall_net", StepHandle, wd(3)},

	// Work types of routine maintenance.
	{"manhole_remediation", StepHandle, wd(3)},
	{"minor_repair", StepHandle, wd(10)},
	{"sewer_maintenance", StepHandle, wd(3)},
	{"parking_maintenance", StepHandle, wd(5)},

	// Planned works of the programme are filed into the plan and tendered
	// in weeks, and held to their own due dates.
	{"minor_repair", StepFile, wd(5)}, {"minor_repair", StepDispatch, wd(5)},
	{"sewer_separation", StepFile, wd(20)}, {"sewer_separation", StepDispatch, wd(20)}, {"sewer_separation", StepHandle, due},
	{"parking_construction", StepFile, wd(20)}, {"parking_construction", StepDispatch, wd(20)}, {"parking_construction", StepHandle, due},
	{"capital_works", StepFile, wd(20)}, {"capital_works", StepDispatch, wd(20)}, {"capital_works", StepHandle, due},
}

// Defaults returns the default limits.
func Defaults() []Limit { return slices.Clone(defaults) }

// CaseTypes lists the case types that have a default of their own, with
// their names, for the admin's table.
func CaseTypes() []maint.Named {
	var out []maint.Named
	seen := map[string]bool{}
	for _, l := range defaults {
		if seen[l.CaseType] {
			continue
		}
		seen[l.CaseType] = true
		out = append(out, maint.Named{Code: l.CaseType, Name: caseTypeName(l.CaseType, false), NameEn: caseTypeName(l.CaseType, true)})
	}
	return out
}

var workTypeNames = map[string][2]string{
	Any:                    {"其他案件", "Any other case"},
	Urgent:                 {"紧急案件", "Urgent cases"},
	"manhole_remediation":  {"窨井病害整治", "Manhole remediation"},
	"minor_repair":         {"道路小修", "Minor road repair"},
	"sewer_maintenance":    {"排水设施维护", "Drainage maintenance"},
	"parking_maintenance":  {"停车设施维护", "Parking maintenance"},
	"sewer_separation":     {"雨污分流改造", "Sewer separation works"},
	"parking_construction": {"停车场建设", "Car park construction"},
	"capital_works":        {"建设项目", "Capital works"},
}

func caseTypeName(code string, en bool) string {
	i := 0
	if en {
		i = 1
	}
	if n, ok := workTypeNames[code]; ok {
		return n[i]
	}
	if s, ok := maint.LookupService(code); ok {
		return [2]string{s.Name, s.NameEn}[i]
	}
	if d, ok := maint.Lookup(maint.ManholeDefects, code); ok {
		return [2]string{d.Name, d.NameEn}[i]
	}
	return code
}

type key struct {
	caseType string
	step     Step
}

// Table is the limits in force: the defaults with an admin's changes on top.
type Table struct {
	rules map[key]Rule
}

// NewTable builds the table from the defaults and the overrides, a later
// entry replacing an earlier one.
func NewTable(overrides []Limit) *Table {
	t := &Table{rules: make(map[key]Rule, len(defaults)+len(overrides))}
	for _, l := range defaults {
		t.rules[key{l.CaseType, l.Step}] = l.Rule
	}
	for _, l := range overrides {
		t.rules[key{l.CaseType, l.Step}] = l.Rule
	}
	return t
}

// Rule is the limit of a case of the given type and priority on step s: the
// type's own, else the urgent rule for an urgent case, else the rule for any
// case.
func (t *Table) Rule(caseType string, p maint.Priority, s Step) Rule {
	if r, ok := t.rules[key{caseType, s}]; ok && caseType != "" {
		return r
	}
	if p == maint.PriorityUrgent {
		if r, ok := t.rules[key{Urgent, s}]; ok {
			return r
		}
	}
	if r, ok := t.rules[key{Any, s}]; ok {
		return r
	}
	return Rule{Unit: None}
}

// List returns every rule in force, by case type then step, each with the
// default it replaces (nil where the admin added a type of their own).
func (t *Table) List() []Entry {
	def := map[key]Rule{}
	for _, l := range defaults {
		def[key{l.CaseType, l.Step}] = l.Rule
	}
	out := make([]Entry, 0, len(t.rules))
	for k, r := range t.rules {
		e := Entry{Limit: Limit{k.caseType, k.step, r}, Name: caseTypeName(k.caseType, false), NameEn: caseTypeName(k.caseType, true)}
		if d, ok := def[k]; ok {
			e.Default = &d
		}
		out = append(out, e)
	}
	rank := func(e Entry) int {
		switch e.CaseType {
		case Any:
			return 0
		case Urgent:
			return 1
		}
		return 2
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(rank(a)-rank(b), strings.Compare(a.CaseType, b.CaseType),
			slices.Index(Steps, a.Step)-slices.Index(Steps, b.Step))
	})
	return out
}

// Entry is a rule in force with the default it replaces.
type Entry struct {
	Limit
	Name    string `json:"name"`
	NameEn  string `json:"name_en"`
	Default *Rule  `json:"default"`
}

// CheckCaseType says what is wrong with a case type an admin names.
func CheckCaseType(s string) error {
	if s == Any {
		return nil
	}
	if len(s) == 0 || len(s) > 64 {
		return maint.Invalid("case_type", "a case type is a work type or service code of 1 to 64 characters a–z, 0–9 and _, or *")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return maint.Invalid("case_type", "a case type is a work type or service code of 1 to 64 characters a–z, 0–9 and _, or *; got %q", s)
		}
	}
	return nil
}
