package ogcapi

import (
	"strings"
	"time"

	"inframap/internal/maint"
)

// parseDatetime reads an OGC datetime: an instant or an interval whose open
// ends are ".." (or empty). Instants are RFC 3339 date-times, or dates,
// which mean the whole calendar day in the district's zone. Both ends of an
// interval are included.
func parseDatetime(s string) (from, to *time.Time, err error) {
	bad := func(format string, args ...any) error {
		return maint.Invalid("datetime", "datetime "+format+"; give an RFC 3339 instant (2024-05-01T08:00:00Z or 2024-05-01) or an interval start/end with .. for an open end", args...)
	}
	start, end, interval := strings.Cut(s, "/")
	if !interval {
		a, b, err := instant(s)
		if err != nil {
			return nil, nil, bad("%q is not a date or date-time", s)
		}
		return &a, &b, nil
	}
	if strings.Contains(end, "/") {
		return nil, nil, bad("%q has more than two ends", s)
	}
	if start != "" && start != ".." {
		a, _, err := instant(start)
		if err != nil {
			return nil, nil, bad("start %q is not a date or date-time", start)
		}
		from = &a
	}
	if end != "" && end != ".." {
		_, b, err := instant(end)
		if err != nil {
			return nil, nil, bad("end %q is not a date or date-time", end)
		}
		to = &b
	}
	if from != nil && to != nil && from.After(*to) {
		return nil, nil, bad("interval %q ends before it starts", s)
	}
	return from, to, nil
}

// instant returns the first and last microsecond an instant covers: a
// date-time covers itself, a date its whole day.
func instant(s string) (first, last time.Time, err error) {
	// An offset's "+" left unescaped in a URL arrives as a space.
	if n := len(s); n > 6 && s[n-6] == ' ' && s[n-3] == ':' {
		s = s[:n-6] + "+" + s[n-5:]
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err == nil {
		return t, t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, maint.Zone)
	if err != nil {
		return first, last, err
	}
	return d, maint.EndOfDay(d).Add(-time.Microsecond), nil
}
