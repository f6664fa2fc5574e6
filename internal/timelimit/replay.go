package timelimit

import (
	"time"

	"inframap/internal/maint"
	"inframap/internal/workcal"
)

// Case is what the limits of a case depend on.
type Case struct {
	WorkType string
	Priority maint.Priority
	DueDate  *time.Time
	// Assignee is the unit the case is with now, for a 处置 step whose
	// dispatch does not name one.
	Assignee string
}

// Move is a row of a case's history, in order: a state change, or a change
// of the running clock.
type Move struct {
	At       time.Time
	From, To maint.Status // From is "" for the first row; To is "" for a clock's row
	// Assignee is the unit the move dispatched to, when it named one.
	Assignee string
	// Extend is an approved extension; Suspend and Resume start and end a
	// suspension.
	Extend          float64
	Suspend, Resume bool
}

// Replay rebuilds the clocks of a case from its history: the clocks of cases
// loaded in bulk or stored before the service kept clocks. Limits are those
// of t now; extensions and suspensions are those the history records.
func Replay(cal *workcal.Calendar, t *Table, c Case, moves []Move) []Clock {
	var out []Clock
	running := -1
	assignee := ""
	for _, m := range moves {
		if m.To == "" {
			if running >= 0 {
				k := &out[running]
				switch {
				case m.Extend > 0:
					k.Extend(cal, m.Extend, c.DueDate)
				case m.Suspend:
					k.Pause(m.At)
				case m.Resume:
					k.Resume(cal, m.At)
				}
			}
			continue
		}
		if m.Assignee != "" {
			assignee = m.Assignee
		}
		if running >= 0 {
			o, ends := OutcomeOf(m.From, m.To)
			if !ends {
				continue
			}
			out[running].End(cal, maxTime(m.At, out[running].StartedAt), o)
			running = -1
		}
		step := StepOf(m.To)
		if step == "" {
			continue
		}
		k := Start(cal, step, t.Rule(c.WorkType, c.Priority, step), m.At, c.DueDate)
		k.Rework = m.From == maint.StatusDone && m.To == maint.StatusInProgress
		if step == StepHandle {
			k.Assignee = assignee
			if k.Assignee == "" {
				k.Assignee = c.Assignee
			}
		}
		out = append(out, k)
		running = len(out) - 1
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}
