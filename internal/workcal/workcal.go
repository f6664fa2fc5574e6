// Package workcal is working time on the State Council's holiday calendar:
// which days are working days in the district (the weekly rule, the public
// holidays and the 调休 make-up days of each year's 部分节假日安排 notice),
// the working hours of a working day, and the arithmetic case time limits
// need — a deadline N working hours or N working days after a start, the
// working time elapsed between two instants, and the share of a limit used.
//
// It owns the published holiday data for 2023–2026 (Notices, Published) and
// the counting rules (docs/calendar.md). The 2026 dates are those of the
// Xinhua release of the notice; its document number, 国办发明电〔2025〕7号,
// is as secondary sources quote it and unconfirmed. A store loads admin
// overrides on top of the published days through Config.Days. Standard
// library only.
//
// The arithmetic never walks over minutes or days: an instant is placed on a
// working-time axis by a closed-form count of weekdays plus a prefix sum of
// the table's exceptions, so a span of a year costs what a span of an hour
// does.
package workcal

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Zone is the district's time zone, Asia/Shanghai. Like maint.Zone (which
// this package does not import, to stay standard-library only) it falls back
// to a fixed +08:00 when the zone database is missing: China has had no
// daylight saving since 1991, so the offset is exact for every date the
// calendar serves.
var Zone = func() *time.Location {
	z, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return z
}()

// Kind is what a day is.
type Kind uint8

const (
	// Working is a working day: a weekday, or a Saturday or Sunday worked to
	// make up for a holiday (调休上班).
	Working Kind = iota + 1
	// Holiday is a day off of a public holiday (weekend days inside a
	// holiday's range included), or any other day off an admin declares.
	Holiday
	// Weekend is a Saturday or Sunday off by the weekly rule.
	Weekend
)

var kindNames = [...]string{Working: "working", Holiday: "holiday", Weekend: "weekend"}

func (k Kind) String() string {
	if k >= Working && k <= Weekend {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MarshalText writes "working", "holiday" or "weekend".
func (k Kind) MarshalText() ([]byte, error) {
	if k < Working || k > Weekend {
		return nil, fmt.Errorf("workcal: invalid kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads "working", "holiday" or "weekend".
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if i > 0 && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("workcal: a day kind is working, holiday or weekend, got %q", b)
}

// Day is one calendar day and why it is what it is. As an override (Config.Days)
// it replaces the weekly rule for its date.
type Day struct {
	Date Date `json:"date"`
	Kind Kind `json:"kind"`
	// Holiday names the public holiday the day belongs to or, on a make-up
	// working day, the holiday it serves; empty otherwise.
	Holiday   string `json:"holiday,omitempty"`
	HolidayEn string `json:"holiday_en,omitempty"`
	// Reason is the label for people: "春节", "春节调休上班", "周末"; empty on
	// an ordinary working day.
	Reason   string `json:"reason,omitempty"`
	ReasonEn string `json:"reason_en,omitempty"`
}

// Interval is a span of working time within a day, as offsets from midnight
// (wall clock in the calendar's zone): [Start, End).
type Interval struct {
	Start, End time.Duration
}

// DefaultHours are the district offices' working hours: 08:30–12:00 and
// 13:00–17:30, eight hours a day.
func DefaultHours() []Interval {
	return []Interval{
		{8*time.Hour + 30*time.Minute, 12 * time.Hour},
		{13 * time.Hour, 17*time.Hour + 30*time.Minute},
	}
}

// Config builds a Calendar.
type Config struct {
	// Location is the zone days and hours are read in; nil means Zone.
	Location *time.Location
	// Hours are the working intervals of every working day, in order and not
	// overlapping; nil means DefaultHours().
	Hours []Interval
	// Days override the weekly rule (Monday–Friday working, Saturday and
	// Sunday Weekend) date by date. Typically Published() followed by the
	// admin's own entries: a later entry replaces an earlier one for the same
	// date. Dates must lie in 1900–2199.
	Days []Day
}

// Calendar answers working-day and working-time questions. It is immutable
// and safe for concurrent use.
type Calendar struct {
	loc    *time.Location
	hours  []Interval
	cum    []time.Duration // cum[i]: working time of hours[:i]
	perDay time.Duration   // working time of a working day
	endDay time.Duration   // end of the last interval: a working-day deadline

	days map[int64]Day // overrides by day number
	// first is the day number of dlt[0]; dlt[i] is the number of working days
	// before day first+i beyond what the weekly rule counts (holidays on
	// weekdays subtract, make-up days add). Before first it is 0, from the
	// last entry on it stays dlt[len-1].
	first int64
	dlt   []int32
}

// New builds a calendar.
func New(cfg Config) (*Calendar, error) {
	c := &Calendar{loc: cfg.Location, days: make(map[int64]Day, len(cfg.Days))}
	if c.loc == nil {
		c.loc = Zone
	}
	hours := cfg.Hours
	if hours == nil {
		hours = DefaultHours()
	}
	if len(hours) == 0 {
		return nil, errors.New("workcal: a working day needs at least one interval of working hours")
	}
	c.hours = slices.Clone(hours)
	c.cum = make([]time.Duration, len(hours)+1)
	for i, iv := range c.hours {
		if iv.Start < 0 || iv.End > 24*time.Hour || iv.Start >= iv.End {
			return nil, fmt.Errorf("workcal: working hours %v–%v are not a span within a day", iv.Start, iv.End)
		}
		if i > 0 && iv.Start < c.hours[i-1].End {
			return nil, fmt.Errorf("workcal: working hours starting at %v overlap or precede the interval before", iv.Start)
		}
		c.cum[i+1] = c.cum[i] + iv.End - iv.Start
	}
	c.perDay = c.cum[len(hours)]
	c.endDay = c.hours[len(hours)-1].End

	lo, hi := int64(0), int64(-1)
	for _, day := range cfg.Days {
		if !day.Date.valid() || day.Date.Year < 1900 || day.Date.Year > 2199 {
			return nil, fmt.Errorf("workcal: day %v is not a date in 1900–2199", day.Date)
		}
		if day.Kind < Working || day.Kind > Weekend {
			return nil, fmt.Errorf("workcal: day %v has no valid kind", day.Date)
		}
		n := day.Date.num()
		c.days[n] = day
		if hi < lo {
			lo, hi = n, n
		}
		lo, hi = min(lo, n), max(hi, n)
	}
	if hi >= lo {
		c.first = lo
		c.dlt = make([]int32, hi-lo+2)
		for i := int64(0); i <= hi-lo; i++ {
			n := lo + i
			var delta int32
			if day, ok := c.days[n]; ok {
				if day.Kind == Working && !weekday(n) {
					delta = 1
				} else if day.Kind != Working && weekday(n) {
					delta = -1
				}
			}
			c.dlt[i+1] = c.dlt[i] + delta
		}
	}
	return c, nil
}

var defaultCal = sync.OnceValue(func() *Calendar {
	c, err := New(Config{Days: Published()})
	if err != nil {
		panic(err) // the published table is checked by the tests
	}
	return c
})

// Default is the calendar of the published notices with DefaultHours() in Zone.
func Default() *Calendar { return defaultCal() }

// Location is the zone the calendar reads days and hours in.
func (c *Calendar) Location() *time.Location { return c.loc }

// Hours are the working intervals of a working day.
func (c *Calendar) Hours() []Interval { return slices.Clone(c.hours) }

// PerDay is the working time of one working day (8h by default).
func (c *Calendar) PerDay() time.Duration { return c.perDay }

// DateOf is the calendar day of t in the calendar's zone.
func (c *Calendar) DateOf(t time.Time) Date {
	n, _ := c.split(t)
	return dateOf(n)
}

// IsWorkingDay reports whether d is a working day.
func (c *Calendar) IsWorkingDay(d Date) bool { return c.working(d.num()) }

// IsWorkingTime reports whether t falls within the working hours of a
// working day: whether a working-time clock runs at t.
func (c *Calendar) IsWorkingTime(t time.Time) bool {
	n, clk := c.split(t)
	if !c.working(n) {
		return false
	}
	for _, iv := range c.hours {
		if clk >= iv.Start && clk < iv.End {
			return true
		}
	}
	return false
}

// Day says what d is and why: the override for d if there is one, else
// Weekend ("周末") or an ordinary Working day (no reason).
func (c *Calendar) Day(d Date) Day {
	n := d.num()
	if day, ok := c.days[n]; ok {
		day.Date = d
		return day
	}
	if weekday(n) {
		return Day{Date: d, Kind: Working}
	}
	return Day{Date: d, Kind: Weekend, Reason: "周末", ReasonEn: "weekend"}
}

// Year lists every day of year y, January 1 first (for GET
// /api/v1/calendar?year=).
func (c *Calendar) Year(y int) []Day {
	start, end := Date{y, time.January, 1}.num(), Date{y + 1, time.January, 1}.num()
	out := make([]Day, 0, end-start)
	for n := start; n < end; n++ {
		out = append(out, c.Day(dateOf(n)))
	}
	return out
}

// WorkingDays counts the working days from a to b, both included (0 when b
// is before a).
func (c *Calendar) WorkingDays(a, b Date) int {
	if b.Compare(a) < 0 {
		return 0
	}
	return int(c.before(b.num()+1) - c.before(a.num()))
}

// weekday reports whether day number n is Monday to Friday.
func weekday(n int64) bool {
	w := weekdayOf(n)
	return w != time.Saturday && w != time.Sunday
}

// weekdaysBefore[r] counts Monday–Friday among the r days from a Thursday.
var weekdaysBefore = [7]int64{0, 1, 2, 2, 2, 3, 4}

// before is the number of working days before day number n, counted from
// day 0 (negative for n < 0): the prefix count every span computation takes
// differences of. before(n+1)-before(n) is 1 exactly when day n is working.
func (c *Calendar) before(n int64) int64 {
	q := floorDiv(n, 7)
	w := 5*q + weekdaysBefore[n-7*q]
	if i := n - c.first; i > 0 && len(c.dlt) > 0 {
		w += int64(c.dlt[min(i, int64(len(c.dlt)-1))])
	}
	return w
}

// working reports whether day number n is a working day.
func (c *Calendar) working(n int64) bool {
	if day, ok := c.days[n]; ok {
		return day.Kind == Working
	}
	return weekday(n)
}
