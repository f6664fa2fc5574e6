package workcal

import (
	"math"
	"time"
)

// The arithmetic places every instant on a working-time axis: the working
// days before its day (Calendar.before) times the length of a working day,
// plus the working time already done on its own day if that is a working
// day. Elapsed time is a difference on that axis and a deadline is the
// earliest instant that reaches a point on it, so nothing walks over days or
// minutes: the cost is the same for a span of an hour or of a year.

// split is the day number and the wall-clock offset from midnight of t in
// the calendar's zone.
func (c *Calendar) split(t time.Time) (int64, time.Duration) {
	t = t.In(c.loc)
	_, off := t.Zone()
	s := t.Unix() + int64(off)
	n := floorDiv(s, 86400)
	return n, time.Duration(s-n*86400)*time.Second + time.Duration(t.Nanosecond())
}

// at is the instant at wall-clock offset clk on day number n.
func (c *Calendar) at(n int64, clk time.Duration) time.Time {
	d := dateOf(n)
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, int(clk), c.loc)
}

// done is the working time of a working day done by wall-clock offset clk.
func (c *Calendar) done(clk time.Duration) time.Duration {
	for i, iv := range c.hours {
		if clk < iv.End {
			if clk > iv.Start {
				return c.cum[i] + clk - iv.Start
			}
			return c.cum[i]
		}
	}
	return c.perDay
}

// clockAt is the wall-clock offset at which r of a working day's working
// time is done, for r in (0, perDay]: the end of an interval rather than the
// start of the next when r falls on a boundary.
func (c *Calendar) clockAt(r time.Duration) time.Duration {
	for i, iv := range c.hours {
		if r <= c.cum[i+1] {
			return iv.Start + r - c.cum[i]
		}
	}
	return c.endDay
}

// pos is t on the working-time axis, as working days before its day and the
// working time done on its day.
func (c *Calendar) pos(t time.Time) (n, days int64, in time.Duration) {
	n, clk := c.split(t)
	days = c.before(n)
	if c.before(n+1) > days {
		in = c.done(clk)
	}
	return n, days, in
}

// nth is the working day m of the axis (the day with before(day) == m that
// is working), searched from day number from, which must have before(from)
// <= m. Each step jumps ahead by the working days still missing, which can
// never overshoot since a day adds at most one; across ordinary weeks it
// converges in a few steps.
func (c *Calendar) nth(m, from int64) int64 {
	e := from + 1
	for {
		w := c.before(e)
		if w > m {
			return e - 1
		}
		e += m + 1 - w
	}
}

// AddWorkingHours returns the instant at which d of working time has
// elapsed from t. Counting starts at t if t is within working hours, else at
// the next working instant (a start at 07:00 counts from 08:30, one during
// lunch from 13:00, one after 17:30 or on a day off from 08:30 of the next
// working day). A deadline that completes a working day is the end of that
// day's working hours (17:30), not the start of the next. The result is in
// the calendar's zone; d <= 0 returns t.
func (c *Calendar) AddWorkingHours(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	n, days, in := c.pos(t)
	// The target, days*perDay + in + d, written as whole days k and a rest
	// r in (0, perDay] so that a target on a day boundary ends a day.
	in += d
	if in < d { // overflow: beyond any date a time.Time holds sensibly
		in = math.MaxInt64
	}
	k := int64((in - 1) / c.perDay)
	r := in - time.Duration(k)*c.perDay
	return c.at(c.nth(days+k, n-1), c.clockAt(r))
}

// AddWorkingDays returns the deadline n working days after t: the end of
// working hours (17:30) on the n-th working day after the calendar day of t.
// The day of t is not counted, whatever the time of t (期间开始的当日不计入,
// Civil Code art. 201), and the last day ends when work stops (art. 203), so
// a case dispatched on Friday at 09:00 or at 17:00 with 1 working day is due
// on Monday at 17:30 (or on the next working day if Monday is a holiday).
// n <= 0 is the end of working hours of t's day if it is a working day, else
// of the next working day.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	day, _ := c.split(t)
	var target int64
	if n <= 0 {
		target = c.nth(c.before(day), day-1)
	} else {
		target = c.nth(c.before(day+1)+int64(n)-1, day)
	}
	return c.at(target, c.endDay)
}

// WorkingAxis is t's place on the working-time axis: the working time from
// a fixed origin to t. WorkingTimeBetween(a, b) is WorkingAxis(b) −
// WorkingAxis(a) when b is after a; reading several spans that share
// instants, place each instant once.
func (c *Calendar) WorkingAxis(t time.Time) time.Duration {
	_, days, in := c.pos(t)
	return time.Duration(days)*c.perDay + in
}

// WorkingTimeBetween is the working time elapsed from a to b: the working
// hours of working days that lie between them. It is 0 when b is not after
// a. For every t and d > 0, WorkingTimeBetween(t, AddWorkingHours(t, d)) == d.
func (c *Calendar) WorkingTimeBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	_, da, ia := c.pos(a)
	_, db, ib := c.pos(b)
	return time.Duration(db-da)*c.perDay + ib - ia
}
