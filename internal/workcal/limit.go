package workcal

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Unit is what a time limit counts.
type Unit uint8

const (
	// WorkingHours counts working time (立案 within N working hours).
	WorkingHours Unit = iota + 1
	// WorkingDays counts whole working days after the start's day (处置 within
	// N working days); see AddWorkingDays.
	WorkingDays
	// NaturalHours counts clock time, day and night, holidays included
	// (emergencies).
	NaturalHours
)

var unitNames = [...]string{WorkingHours: "working_hours", WorkingDays: "working_days", NaturalHours: "natural_hours"}

func (u Unit) String() string {
	if u >= WorkingHours && u <= NaturalHours {
		return unitNames[u]
	}
	return fmt.Sprintf("Unit(%d)", uint8(u))
}

// MarshalText writes working_hours, working_days or natural_hours.
func (u Unit) MarshalText() ([]byte, error) {
	if u < WorkingHours || u > NaturalHours {
		return nil, fmt.Errorf("workcal: invalid unit %d", uint8(u))
	}
	return []byte(unitNames[u]), nil
}

// UnmarshalText reads working_hours, working_days or natural_hours.
func (u *Unit) UnmarshalText(b []byte) error {
	for i, n := range unitNames {
		if i > 0 && n == string(b) {
			*u = Unit(i)
			return nil
		}
	}
	return fmt.Errorf("workcal: a limit unit is working_hours, working_days or natural_hours, got %q", b)
}

// Limit is a case time limit: N of Unit. N may be fractional for the hour
// units (0.5 working hours is 30 minutes, rounded to the second); a number of
// working days must be whole.
type Limit struct {
	Unit Unit    `json:"unit"`
	N    float64 `json:"n"`
}

// Validate reports a limit the arithmetic cannot use.
func (l Limit) Validate() error {
	switch {
	case l.Unit < WorkingHours || l.Unit > NaturalHours:
		return fmt.Errorf("workcal: a limit unit is working_hours, working_days or natural_hours, got %v", l.Unit)
	case math.IsNaN(l.N) || l.N <= 0 || l.N > 100000:
		return fmt.Errorf("workcal: a limit is a positive amount up to 100000, got %v", l.N)
	case l.Unit == WorkingDays && l.N != math.Trunc(l.N):
		return fmt.Errorf("workcal: a limit in working days is a whole number, got %v", l.N)
	}
	return nil
}

func (l Limit) String() string {
	n := strconv.FormatFloat(l.N, 'f', -1, 64)
	switch l.Unit {
	case WorkingHours:
		return n + " working hours"
	case WorkingDays:
		return n + " working days"
	case NaturalHours:
		return n + " hours"
	}
	return n + " " + l.Unit.String()
}

// hours is an hour-unit limit as a duration, to the second.
func (l Limit) hours() time.Duration {
	return time.Duration(math.Round(l.N*3600)) * time.Second
}

// Deadline is the instant a case started at start is due under l:
// AddWorkingHours, AddWorkingDays (N rounded up) or start plus N hours. A
// limit that Validate rejects for its amount (zero, negative) is due at start;
// an unknown unit counts as natural hours.
func (c *Calendar) Deadline(start time.Time, l Limit) time.Time {
	if !(l.N > 0) {
		return start
	}
	switch l.Unit {
	case WorkingHours:
		return c.AddWorkingHours(start, l.hours())
	case WorkingDays:
		return c.AddWorkingDays(start, int(math.Ceil(min(l.N, 1e6))))
	}
	return start.Add(l.hours())
}

// Elapsed is the share of l used between start and now, for traffic lights:
// 0 until the clock runs, 1 at the deadline, above 1 when overdue. The time
// counted is the limit's own: working time for both working units (a
// working-days limit's whole is the working time from start to its
// deadline), clock time for natural hours. It is 0 when now is not after
// start, and +Inf after start for a limit with nothing to use (see Deadline).
func (c *Calendar) Elapsed(start, now time.Time, l Limit) float64 {
	if !now.After(start) {
		return 0
	}
	if !(l.N > 0) {
		return math.Inf(1)
	}
	var used, whole time.Duration
	switch l.Unit {
	case WorkingHours:
		used, whole = c.WorkingTimeBetween(start, now), l.hours()
	case WorkingDays:
		used, whole = c.WorkingTimeBetween(start, now), c.WorkingTimeBetween(start, c.Deadline(start, l))
	default:
		used, whole = now.Sub(start), l.hours()
	}
	if whole <= 0 {
		return math.Inf(1)
	}
	return float64(used) / float64(whole)
}
