package workcal

import (
	"fmt"
	"time"
)

// Date is a civil (calendar) date with no time of day and no zone: the key of
// the holiday table. The zero Date is not a valid date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d, normalised the way time.Date normalises
// (2024-02-30 is 2024-03-01).
func NewDate(y int, m time.Month, d int) Date {
	if m >= time.January && m <= time.December && d >= 1 && d <= 28 {
		return Date{y, m, d}
	}
	t := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("workcal: a date is YYYY-MM-DD, got %q", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// MarshalText formats the date as YYYY-MM-DD (JSON and the store use this).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// valid reports whether d names a real day (2024-02-30 does not).
func (d Date) valid() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 && NewDate(d.Year, d.Month, d.Day) == d
}

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday { return weekdayOf(d.num()) }

// AddDays returns the date n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date { return dateOf(d.num() + int64(n)) }

// Compare returns -1, 0 or +1 as d is before, the same as or after e.
func (d Date) Compare(e Date) int {
	a, b := d.num(), e.num()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// num is the day number of d: days since 1970-01-01 (a Thursday), negative
// before it. The conversions are H. Hinnant's days_from_civil and
// civil_from_days, exact for every proleptic Gregorian date.
func (d Date) num() int64 {
	y := int64(d.Year)
	m := int64(d.Month)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400                     // [0, 399]
	mp := (m + 9) % 12                     // March = 0
	doy := (153*mp+2)/5 + int64(d.Day) - 1 // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}

// dateOf is the inverse of Date.num.
func dateOf(n int64) Date {
	n += 719468
	era := floorDiv(n, 146097)
	doe := n - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Date{int(y), time.Month(m), int(d)}
}

// weekdayOf is the day of the week of day number n (day 0 was a Thursday).
func weekdayOf(n int64) time.Weekday { return time.Weekday((floorMod(n, 7) + 4) % 7) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
