package timelimit

import (
	"math"
	"time"

	"inframap/internal/maint"
	"inframap/internal/workcal"
)

// Outcome is how a step ended.
type Outcome string

const (
	Passed     Outcome = "passed"      // the step's work was done: filed, dispatched, done, closed
	HandedBack Outcome = "handed_back" // 回退: the unit sent the case back as not theirs
	Rework     Outcome = "rework"      // verification failed: 处置 starts again
	Rejected   Outcome = "rejected"    // 不予立案: the filing step's decision
	Cancelled  Outcome = "cancelled"   // the case was withdrawn
)

// Light is what a running clock shows.
type Light string

const (
	Green  Light = "green"  // within the limit
	Yellow Light = "yellow" // past the warning share of the limit
	Red    Light = "red"    // past the deadline
	Paused Light = "paused" // suspended (挂账): the clock stands still
	NoneL  Light = "none"   // no limit applies
)

// Lights lists the lights in order of urgency.
var Lights = []Light{Red, Yellow, Green, Paused, NoneL}

// DefaultWarnShare is the share of a limit after which a light turns yellow.
const DefaultWarnShare = 0.8

// Clock is one step of one case held to its limit.
type Clock struct {
	ID     int64
	TaskID int64
	Step   Step
	Rule   Rule
	// Assignee is the unit held to the step (处置: the unit dispatched to).
	Assignee  string
	StartedAt time.Time
	// Deadline includes approved extensions and ended suspensions; nil when
	// no limit applies.
	Deadline *time.Time
	// Extended is the approved extension in the rule's unit (working days
	// for a due-date rule); Extensions counts the approvals.
	Extended   float64
	Extensions int
	// PausedSince is set while a suspension runs; Paused is the time the
	// ended suspensions stood still, in the limit's own time (working time
	// for the working units and due dates, clock time for natural hours).
	PausedSince *time.Time
	Paused      time.Duration
	Suspensions int
	Rework      bool
	EndedAt     *time.Time
	Outcome     Outcome
	Late        *bool
}

// Start makes the clock of a step starting at start under rule r. A due-date
// rule is held to due (a date: its day in the calendar's zone), or to
// nothing when the case has none.
func Start(cal *workcal.Calendar, step Step, r Rule, start time.Time, due *time.Time) Clock {
	c := Clock{Step: step, Rule: r, StartedAt: start}
	if r.Unit == DueDate && due == nil {
		c.Rule = Rule{Unit: None}
	}
	c.Deadline = c.deadline(cal, due)
	return c
}

// working reports whether the clock counts working time.
func (c *Clock) working() bool { return c.Rule.Unit != NaturalHours }

// deadline computes the deadline from the start, the rule, the extensions and
// the ended suspensions.
func (c *Clock) deadline(cal *workcal.Calendar, due *time.Time) *time.Time {
	var base time.Time
	switch c.Rule.Unit {
	case None, "":
		return nil
	case DueDate:
		if due == nil {
			if c.Deadline == nil {
				return nil
			}
			// Keep the due date the clock had, without its extensions.
			return c.Deadline
		}
		y, m, d := due.Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, cal.Location())
		base = endOfHours(cal, day)
		if c.Extended > 0 {
			base = cal.AddWorkingDays(base, int(math.Ceil(c.Extended)))
		}
	default:
		l := c.Rule.limit()
		l.N += c.Extended
		base = cal.Deadline(c.StartedAt, l)
	}
	if c.Paused > 0 {
		if c.working() {
			base = cal.AddWorkingHours(base, c.Paused)
		} else {
			base = base.Add(c.Paused)
		}
	}
	return &base
}

// endOfHours is the end of working hours on t's day (17:30 by default).
func endOfHours(cal *workcal.Calendar, t time.Time) time.Time {
	h := cal.Hours()
	y, m, d := t.In(cal.Location()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, cal.Location()).Add(h[len(h)-1].End)
}

// Extend adds n of the rule's unit (working days for a due-date rule) to the
// limit and moves the deadline. due is the case's due date.
func (c *Clock) Extend(cal *workcal.Calendar, n float64, due *time.Time) {
	c.Extended += n
	c.Extensions++
	if c.Rule.Unit == DueDate && c.Deadline != nil && due == nil {
		d := cal.AddWorkingDays(*c.Deadline, int(math.Ceil(n)))
		c.Deadline = &d
		return
	}
	c.Deadline = c.deadline(cal, due)
}

// Redeadline computes the deadline again after the case's due date changed:
// a due-date clock follows it (no due date, no limit).
func (c *Clock) Redeadline(cal *workcal.Calendar, due *time.Time) {
	if c.Rule.Unit == DueDate && due == nil {
		c.Rule = Rule{Unit: None}
	}
	if c.Rule.Unit == None {
		c.Deadline = nil
		return
	}
	c.Deadline = c.deadline(cal, due)
}

// Pause stops the clock at t (a suspension starts).
func (c *Clock) Pause(t time.Time) {
	if c.PausedSince == nil {
		c.PausedSince = &t
		c.Suspensions++
	}
}

// Resume starts a paused clock again at t: the deadline moves by the time it
// stood still.
func (c *Clock) Resume(cal *workcal.Calendar, t time.Time) {
	if c.PausedSince == nil {
		return
	}
	var d time.Duration
	if c.working() {
		d = cal.WorkingTimeBetween(*c.PausedSince, t)
	} else if t.After(*c.PausedSince) {
		d = t.Sub(*c.PausedSince)
	}
	c.PausedSince = nil
	c.Paused += d
	if c.Deadline != nil && d > 0 {
		var nd time.Time
		if c.working() {
			nd = cal.AddWorkingHours(*c.Deadline, d)
		} else {
			nd = c.Deadline.Add(d)
		}
		c.Deadline = &nd
	}
}

// End ends the step at t with outcome o: a suspension still running ends
// with it, and the step is late when it ended after its deadline.
func (c *Clock) End(cal *workcal.Calendar, t time.Time, o Outcome) {
	c.Resume(cal, t)
	c.EndedAt, c.Outcome = &t, o
	if c.Deadline != nil {
		late := t.After(*c.Deadline)
		c.Late = &late
	}
}

// Reading is a clock read at an instant.
type Reading struct {
	Light Light
	// Share is the part of the limit used: 0 at the start, 1 at the
	// deadline; NaN when no limit applies.
	Share float64
	// Left is the limit's own time left to the deadline (working time for
	// the working units); negative when late.
	Left time.Duration
}

// Read reads the clock at now: a paused clock reads as it stood when it was
// paused, an ended one as it stood when it ended.
func (c *Clock) Read(cal *workcal.Calendar, now time.Time, warn float64) Reading {
	at := now
	if c.EndedAt != nil {
		at = *c.EndedAt
	}
	if c.PausedSince != nil && c.PausedSince.Before(at) {
		at = *c.PausedSince
	}
	if c.Deadline == nil {
		return Reading{Light: NoneL, Share: math.NaN()}
	}
	dl := *c.Deadline
	var used, whole, left time.Duration
	if c.working() {
		// Each instant placed once on the working-time axis.
		s, a, d := cal.WorkingAxis(c.StartedAt), cal.WorkingAxis(at), cal.WorkingAxis(dl)
		used, whole, left = max(a-s, 0)-c.Paused, max(d-s, 0)-c.Paused, d-a
	} else {
		used = at.Sub(c.StartedAt) - c.Paused
		whole = dl.Sub(c.StartedAt) - c.Paused
		left = dl.Sub(at)
	}
	r := Reading{Left: left}
	switch {
	case whole > 0:
		r.Share = max(0, float64(used)/float64(whole))
	case at.After(dl):
		r.Share = math.Inf(1)
	default:
		r.Share = 1
	}
	switch {
	case at.After(dl):
		r.Light = Red
	case c.PausedSince != nil && c.EndedAt == nil:
		r.Light = Paused
	case r.Share >= warn:
		r.Light = Yellow
	default:
		r.Light = Green
	}
	return r
}

// OutcomeOf is how a transition from one state to another ends the running
// step, and whether it ends it at all: dispatched → in_progress continues
// 处置.
func OutcomeOf(from, to maint.Status) (Outcome, bool) {
	switch {
	case from == maint.StatusDispatched && to == maint.StatusInProgress:
		return "", false
	case to == maint.StatusCancelled:
		return Cancelled, true
	case to == maint.StatusRejected:
		return Rejected, true
	case from == maint.StatusDispatched && to == maint.StatusFiled:
		return HandedBack, true
	case from == maint.StatusDone && to == maint.StatusInProgress:
		return Rework, true
	}
	return Passed, true
}
