package inspection

import (
	"testing"
	"time"

	"inframap/internal/maint"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestPeriod(t *testing.T) {
	for _, c := range []struct {
		p          Plan
		on         string
		start, end string
		ok         bool
	}{
		{Plan{Frequency: Weekly, StartsOn: day("2026-01-05")}, "2026-03-11", "2026-03-09", "2026-03-15", true},
		{Plan{Frequency: Weekly, StartsOn: day("2026-01-05")}, "2026-03-15", "2026-03-09", "2026-03-15", true},
		{Plan{Frequency: Monthly, StartsOn: day("2026-01-05")}, "2026-02-28", "2026-02-01", "2026-02-28", true},
		{Plan{Frequency: Days, EveryDays: 14, StartsOn: day("2026-01-05")}, "2026-01-18", "2026-01-05", "2026-01-18", true},
		{Plan{Frequency: Days, EveryDays: 14, StartsOn: day("2026-01-05")}, "2026-01-19", "2026-01-19", "2026-02-01", true},
		{Plan{Frequency: Monthly, StartsOn: day("2026-01-05")}, "2026-01-04", "", "", false},
	} {
		s, e, ok := c.p.Period(day(c.on))
		if ok != c.ok || ok && (s.Format(time.DateOnly) != c.start || e.Format(time.DateOnly) != c.end) {
			t.Errorf("%s %d: Period(%s) = %v..%v %v, want %s..%s %v", c.p.Frequency, c.p.EveryDays, c.on, s, e, ok, c.start, c.end, c.ok)
		}
	}
}

func TestCoverGrade(t *testing.T) {
	all := func(fail ...string) Result {
		r := Result{Checks: map[string]string{}}
		for _, i := range CoverItems {
			r.Checks[i] = "ok"
		}
		for _, f := range fail {
			r.Checks[f] = "fail"
		}
		return r
	}
	for _, c := range []struct {
		r       Result
		walkway bool
		want    string
	}{
		{all(), false, "A"}, {all("cover_frame_gap"), false, "B"}, {all("rocking_noise", "height_difference"), false, "B"},
		{all("missing_anti_fall_net"), false, "C"}, {all("missing_anti_fall_net"), true, "D"},
		{all("broken_frame", "cover_frame_gap"), false, "C"}, {all("missing_cover", "broken_cover"), false, "D"},
	} {
		if err := c.r.Check(maint.KindManhole); err != nil {
			t.Fatal(err)
		}
		if got := CoverGrade(c.r, c.walkway); got != c.want {
			t.Errorf("CoverGrade(%v, walkway %v) = %s, want %s", c.r.Failed(maint.KindManhole), c.walkway, got, c.want)
		}
	}
}
