package timelimit

import (
	"math"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/workcal"
)

var cal = workcal.Default()

// at is an instant in the calendar's zone (Asia/Shanghai).
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, cal.Location())
}

func TestRuleLookup(t *testing.T) {
	tab := NewTable(nil)
	cases := []struct {
		caseType string
		p        maint.Priority
		step     Step
		want     Rule
	}{
		{"manhole_missing", maint.PriorityNormal, StepHandle, nh(2)}, // its own, whatever the priority
		{"manhole_missing", maint.PriorityNormal, StepFile, nh(0.5)},
		{"pothole", maint.PriorityNormal, StepHandle, wd(2)},
		{"pothole", maint.PriorityNormal, StepFile, wh(2)},       // no rule of its own: *
		{"pothole", maint.PriorityUrgent, StepFile, nh(0.5)},     // urgent before *
		{"pothole", maint.PriorityUrgent, StepHandle, wd(2)},     // its own before urgent
		{"something_new", maint.PriorityLow, StepVerify, wd(1)},  // unknown type: *
		{"capital_works", maint.PriorityNormal, StepHandle, due}, // planned works: their due date
		{"", maint.PriorityNormal, StepDispatch, wh(2)},
	}
	for _, c := range cases {
		if got := tab.Rule(c.caseType, c.p, c.step); got != c.want {
			t.Errorf("Rule(%q, %s, %s) = %v, want %v", c.caseType, c.p, c.step, got, c.want)
		}
	}
	// An admin's rule replaces the default, for that type and step only.
	tab = NewTable([]Limit{{"pothole", StepHandle, wd(4)}, {Any, StepFile, wh(1)}})
	if got := tab.Rule("pothole", maint.PriorityNormal, StepHandle); got != wd(4) {
		t.Errorf("override: %v", got)
	}
	if got := tab.Rule("road_surface", maint.PriorityNormal, StepFile); got != wh(1) {
		t.Errorf("override of *: %v", got)
	}
	if got := tab.Rule("road_surface", maint.PriorityNormal, StepHandle); got != wd(5) {
		t.Errorf("untouched: %v", got)
	}
	// Every default is a rule an admin could set.
	for _, l := range Defaults() {
		if err := l.Rule.Check(); err != nil {
			t.Errorf("default %s/%s: %v", l.CaseType, l.Step, err)
		}
		if err := CheckCaseType(l.CaseType); err != nil {
			t.Errorf("default case type %q: %v", l.CaseType, err)
		}
	}
}

func TestRuleCheck(t *testing.T) {
	for _, bad := range []Rule{{"days", 3}, {WorkingDays, 1.5}, {WorkingHours, 0}, {WorkingHours, -1}, {DueDate, 2}, {NaturalHours, math.NaN()}} {
		if bad.Check() == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	for _, good := range []Rule{{WorkingDays, 3}, {WorkingHours, 0.5}, {NaturalHours, 2}, {DueDate, 0}} {
		if err := good.Check(); err != nil {
			t.Errorf("%v: %v", good, err)
		}
	}
}

func mustDeadline(t *testing.T, c Clock, want time.Time) {
	t.Helper()
	if c.Deadline == nil {
		t.Fatalf("no deadline, want %v", want)
	}
	if !c.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want %v", c.Deadline.In(cal.Location()), want)
	}
}

// A 处置 of 3 working days dispatched on the eve of National Day 2025
// (10-01 to 10-08 off, Saturday 10-11 a make-up working day): 10-09 (1),
// 10-10 (2), 10-11 (3).
func TestClockAcrossNationalDay(t *testing.T) {
	c := Start(cal, StepHandle, wd(3), at(2025, 9, 30, 10, 0), nil)
	mustDeadline(t, c, at(2025, 10, 11, 17, 30))
	// Halfway through the working time: 9-30 10:00–17:30 is 6.5 h of the
	// 6.5 + 24 = 30.5 working hours.
	r := c.Read(cal, at(2025, 10, 5, 12, 0), DefaultWarnShare)
	if want := 6.5 / 30.5; math.Abs(r.Share-want) > 1e-9 || r.Light != Green {
		t.Errorf("during the holiday: share %v light %s, want %v green", r.Share, r.Light, want)
	}
	if r.Left != 24*time.Hour {
		t.Errorf("left %v, want 24h of working time", r.Left)
	}
	// Yellow past 80 %: 24.4 working hours used is 10-11 08:30 + 1.9 h.
	if r := c.Read(cal, at(2025, 10, 11, 10, 30), DefaultWarnShare); r.Light != Yellow {
		t.Errorf("10-11 10:30: %s (share %v), want yellow", r.Light, r.Share)
	}
	// Red from the deadline on; late by working time, so by nothing until
	// work starts again on Monday.
	if r := c.Read(cal, at(2025, 10, 12, 12, 0), DefaultWarnShare); r.Light != Red || r.Left != 0 {
		t.Errorf("Sunday: %s left %v, want red, 0 working time late", r.Light, r.Left)
	}
	if r := c.Read(cal, at(2025, 10, 13, 9, 0), DefaultWarnShare); r.Light != Red || r.Left != -30*time.Minute {
		t.Errorf("Monday 09:00: %s left %v, want red, 30 working minutes late", r.Light, r.Left)
	}
	// An approved extension of 2 working days: Monday 10-13 (4), 10-14 (5).
	c.Extend(cal, 2, nil)
	mustDeadline(t, c, at(2025, 10, 14, 17, 30))
	if c.Extensions != 1 || c.Extended != 2 {
		t.Errorf("extension counted %d, %v", c.Extensions, c.Extended)
	}
	c.End(cal, at(2025, 10, 14, 9, 0), Passed)
	if c.Late == nil || *c.Late {
		t.Errorf("done within the extension: late %v", c.Late)
	}
}

// A 立案 of 2 working hours from Monday 09:00, suspended 10:00–14:00: the
// clock stands still for 10:00–12:00 and 13:00–14:00 (3 working hours), so
// the deadline moves from 11:00 to 15:00.
func TestClockSuspension(t *testing.T) {
	c := Start(cal, StepFile, wh(2), at(2025, 3, 3, 9, 0), nil)
	mustDeadline(t, c, at(2025, 3, 3, 11, 0))
	c.Pause(at(2025, 3, 3, 10, 0))
	r := c.Read(cal, at(2025, 3, 3, 13, 30), DefaultWarnShare)
	if r.Light != Paused || r.Share != 0.5 {
		t.Errorf("suspended: %s share %v, want paused at 0.5", r.Light, r.Share)
	}
	c.Resume(cal, at(2025, 3, 3, 14, 0))
	mustDeadline(t, c, at(2025, 3, 3, 15, 0))
	if c.Paused != 3*time.Hour || c.Suspensions != 1 {
		t.Errorf("paused %v, %d suspensions", c.Paused, c.Suspensions)
	}
	if r := c.Read(cal, at(2025, 3, 3, 14, 30), DefaultWarnShare); r.Light != Green || r.Share != 0.75 {
		t.Errorf("14:30: %s %v, want green 0.75", r.Light, r.Share)
	}
	if r := c.Read(cal, at(2025, 3, 3, 14, 54), DefaultWarnShare); r.Light != Yellow || r.Left != 6*time.Minute {
		t.Errorf("14:54: %s left %v, want yellow, 6 min left", r.Light, r.Left)
	}
	c.End(cal, at(2025, 3, 3, 15, 30), Passed)
	if c.Late == nil || !*c.Late {
		t.Errorf("filed at 15:30: late %v", c.Late)
	}
}

// An open shaft is secured within 2 natural hours, holiday or night.
func TestClockNaturalHours(t *testing.T) {
	c := Start(cal, StepHandle, nh(2), at(2025, 10, 1, 23, 0), nil)
	mustDeadline(t, c, at(2025, 10, 2, 1, 0))
	if r := c.Read(cal, at(2025, 10, 2, 0, 36), DefaultWarnShare); r.Light != Yellow || r.Left != 24*time.Minute {
		t.Errorf("00:36: %s left %v", r.Light, r.Left)
	}
	c.Pause(at(2025, 10, 2, 0, 0))
	c.Resume(cal, at(2025, 10, 2, 0, 30))
	mustDeadline(t, c, at(2025, 10, 2, 1, 30))
}

// Planned works are due at the end of working hours of their due date; a
// case without one has no limit.
func TestClockDueDate(t *testing.T) {
	due := time.Date(2025, 6, 20, 0, 0, 0, 0, time.UTC)
	c := Start(cal, StepHandle, due_(), at(2025, 6, 2, 9, 0), &due)
	mustDeadline(t, c, at(2025, 6, 20, 17, 30))
	c.Extend(cal, 1, &due) // Friday 06-20 + 1 working day: Monday 06-23
	mustDeadline(t, c, at(2025, 6, 23, 17, 30))
	none := Start(cal, StepHandle, due_(), at(2025, 6, 2, 9, 0), nil)
	if none.Deadline != nil || none.Rule.Unit != None {
		t.Fatalf("no due date: %+v", none)
	}
	if r := none.Read(cal, at(2025, 7, 1, 9, 0), DefaultWarnShare); r.Light != NoneL || !math.IsNaN(r.Share) {
		t.Errorf("untimed: %+v", r)
	}
	later := time.Date(2025, 6, 27, 0, 0, 0, 0, time.UTC)
	none.Redeadline(cal, &later) // a due date given later does not make the rule a due-date one by itself
	if none.Deadline != nil {
		t.Errorf("None stays untimed: %v", none.Deadline)
	}
}

func due_() Rule { return due }

func TestReplay(t *testing.T) {
	tab := NewTable(nil)
	c := Case{WorkType: "pothole", Priority: maint.PriorityNormal, Assignee: "crew B"}
	mv := func(d, h int, from, to maint.Status, who string) Move {
		return Move{At: at(2025, 3, d, h, 0), From: from, To: to, Assignee: who}
	}
	moves := []Move{
		mv(3, 9, "", maint.StatusReported, ""),
		mv(3, 10, maint.StatusReported, maint.StatusFiled, ""),         // 1 h of 2: on time
		mv(3, 14, maint.StatusFiled, maint.StatusDispatched, "crew A"), // 3 working h of 2: late
		mv(4, 9, maint.StatusDispatched, maint.StatusFiled, ""),        // handed back
		mv(4, 10, maint.StatusFiled, maint.StatusDispatched, "crew B"), // 1 h: on time
		mv(4, 11, maint.StatusDispatched, maint.StatusInProgress, ""),  // 处置 continues
		mv(6, 11, maint.StatusInProgress, maint.StatusDone, ""),        // 2 wd from 03-04 → 03-06 17:30: on time
		mv(7, 9, maint.StatusDone, maint.StatusInProgress, ""),         // verification failed: rework
		mv(12, 9, maint.StatusInProgress, maint.StatusDone, ""),        // rework from 03-07 09:00, 2 wd → 03-11 17:30: late
		mv(12, 10, maint.StatusDone, maint.StatusClosed, ""),           // verified within a working day
	}
	got := Replay(cal, tab, c, moves)
	type row struct {
		step     Step
		outcome  Outcome
		late     bool
		rework   bool
		assignee string
	}
	want := []row{
		{StepFile, Passed, false, false, ""},
		{StepDispatch, Passed, true, false, ""},
		{StepHandle, HandedBack, false, false, "crew A"},
		{StepDispatch, Passed, false, false, ""},
		{StepHandle, Passed, false, false, "crew B"},
		{StepVerify, Rework, false, false, ""},
		{StepHandle, Passed, true, true, "crew B"},
		{StepVerify, Passed, false, false, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d clocks, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Step != w.step || g.Outcome != w.outcome || g.Late == nil || *g.Late != w.late || g.Rework != w.rework || g.Assignee != w.assignee {
			late := "nil"
			if g.Late != nil {
				late = map[bool]string{true: "true", false: "false"}[*g.Late]
			}
			t.Errorf("clock %d: %s %s late=%s rework=%v assignee=%q, want %+v", i, g.Step, g.Outcome, late, g.Rework, g.Assignee, w)
		}
	}
	mustDeadline(t, got[6], at(2025, 3, 11, 17, 30))
	// A case still open ends with its running clock.
	open := Replay(cal, tab, c, moves[:3])
	if n := len(open); n != 3 || open[2].EndedAt != nil || open[2].Step != StepHandle {
		t.Errorf("open case: %+v", open)
	}
	// An import's single row starts the clock of the state it gives.
	imp := Replay(cal, tab, c, []Move{{At: at(2025, 3, 3, 9, 0), To: maint.StatusDispatched}})
	if len(imp) != 1 || imp[0].Step != StepHandle || imp[0].EndedAt != nil {
		t.Errorf("import: %+v", imp)
	}
	if cl := Replay(cal, tab, c, []Move{{At: at(2025, 3, 3, 9, 0), To: maint.StatusClosed}}); len(cl) != 0 {
		t.Errorf("closed import: %+v", cl)
	}
}
