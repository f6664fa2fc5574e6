package workcal

import (
	"math/rand/v2"
	"testing"
	"time"
)

// at is y-m-d hh:mm in the district's zone.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, Zone)
}

const h = time.Hour

// Working hours are 08:30–12:00 (3.5h) and 13:00–17:30 (4.5h), 8h a day.
func TestAddWorkingHours(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		name  string
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		// Tue 2024-03-05 is an ordinary working day.
		{"within the morning", at(2024, 3, 5, 9, 0), 2 * h, at(2024, 3, 5, 11, 0)},
		// 11:00→12:00 is 1h, lunch is not counted, 13:00→14:00 the other 1h.
		{"across lunch", at(2024, 3, 5, 11, 0), 2 * h, at(2024, 3, 5, 14, 0)},
		// 12:00 exactly: the morning is done, the clock restarts at 13:00.
		{"deadline at 12:00 ends the morning", at(2024, 3, 5, 11, 0), h, at(2024, 3, 5, 12, 0)},
		// Started during lunch: counting starts at 13:00, 1h → 14:00.
		{"start during lunch", at(2024, 3, 5, 12, 30), h, at(2024, 3, 5, 14, 0)},
		// Started at 07:00: counting starts at 08:30, 1h → 09:30.
		{"start before 08:30", at(2024, 3, 5, 7, 0), h, at(2024, 3, 5, 9, 30)},
		// Started at 18:00: nothing left today, Wed 08:30 + 1h → 09:30.
		{"start after 17:30", at(2024, 3, 5, 18, 0), h, at(2024, 3, 6, 9, 30)},
		// A whole day from 08:30 ends at 17:30 the same day, not at 08:30 the
		// next: the deadline is when the 8th hour is done.
		{"a whole day ends at 17:30", at(2024, 3, 5, 8, 30), 8 * h, at(2024, 3, 5, 17, 30)},
		// Fri 2024-03-08 16:00→17:30 is 1.5h, Sat/Sun off, Mon 03-11
		// 08:30 + 1.5h → 10:00.
		{"across a weekend", at(2024, 3, 8, 16, 0), 3 * h, at(2024, 3, 11, 10, 0)},
		// Sat 2024-02-03 is off; Sun 02-04 is a make-up working day
		// (春节调休): counting starts there at 08:30, 1h → 09:30.
		{"Sunday make-up day 2024-02-04", at(2024, 2, 3, 10, 0), h, at(2024, 2, 4, 9, 30)},
		// Fri 2024-02-09 (除夕, a working day in 2024) 16:00→17:30 = 1.5h;
		// 02-10..02-17 春节; Sun 02-18 is worked: 2.5h from 08:30 → 11:00.
		{"across Spring Festival 2024 to Sunday 02-18", at(2024, 2, 9, 16, 0), 4 * h, at(2024, 2, 18, 11, 0)},
		// Fri 2025-01-24 17:00→17:30 = 0.5h; Sat 01-25 off; Sun 01-26 worked:
		// 0.5h → 09:00.
		{"Sunday make-up day 2025-01-26", at(2025, 1, 24, 17, 0), h, at(2025, 1, 26, 9, 0)},
		// Mon 2025-01-27 15:00→17:30 = 2.5h; 01-28 (除夕, now a holiday)
		// through 02-04 off; Wed 02-05 1.5h → 10:00.
		{"across Spring Festival 2025", at(2025, 1, 27, 15, 0), 4 * h, at(2025, 2, 5, 10, 0)},
		// Fri 2025-02-07 16:00→17:30 = 1.5h; Sat 02-08 is worked: 0.5h → 09:00.
		{"Saturday make-up day 2025-02-08", at(2025, 2, 7, 16, 0), 2 * h, at(2025, 2, 8, 9, 0)},
		// Mon 2024-10-07 is inside National Day: counting starts on Tue 10-08
		// at 08:30, 1h → 09:30.
		{"start on National Day Monday", at(2024, 10, 7, 10, 0), h, at(2024, 10, 8, 9, 30)},
		// Fri 2024-10-11 17:00→17:30 = 0.5h; Sat 10-12 is worked: 0.5h → 09:00.
		{"Saturday make-up day 2024-10-12", at(2024, 10, 11, 17, 0), h, at(2024, 10, 12, 9, 0)},
		// Fri 2024-09-27 09:00→17:30 = 7.5h; Sat 09-28 off; Sun 09-29 worked
		// 8h (15.5h); Mon 09-30 8h (23.5h); 10-01..10-07 国庆; Tue 10-08 0.5h
		// → 09:00.
		{"three days across National Day 2024", at(2024, 9, 27, 9, 0), 24 * h, at(2024, 10, 8, 9, 0)},
		// Fri 2024-09-13 17:00→17:30 = 0.5h; Sat 09-14 worked (中秋): 0.5h →
		// 09:00.
		{"Saturday make-up day 2024-09-14", at(2024, 9, 13, 17, 0), h, at(2024, 9, 14, 9, 0)},
		// Fri 2023-12-29 17:00→17:30 = 0.5h; Dec 30–31 weekend; 2024-01-01
		// 元旦; Tue 01-02 0.5h → 09:00.
		{"across New Year", at(2023, 12, 29, 17, 0), h, at(2024, 1, 2, 9, 0)},
		// 10:00 Beijing is 02:00 UTC: the zone of the input does not matter.
		{"start given in UTC", time.Date(2024, 3, 5, 2, 0, 0, 0, time.UTC), h, at(2024, 3, 5, 11, 0)},
		// Sub-minute: 30 working minutes from 11:45:30 → 12:00 is 14.5 min,
		// the other 15.5 from 13:00 → 13:15:30.
		{"seconds across lunch", time.Date(2024, 3, 5, 11, 45, 30, 0, Zone), 30 * time.Minute, time.Date(2024, 3, 5, 13, 15, 30, 0, Zone)},
		{"zero", at(2024, 3, 9, 10, 0), 0, at(2024, 3, 9, 10, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.AddWorkingHours(tc.start, tc.d); !got.Equal(tc.want) {
				t.Errorf("AddWorkingHours(%v, %v) = %v, want %v", tc.start, tc.d, got, tc.want)
			}
		})
	}
}

// The deadline is 17:30 on the n-th working day after the day of the start;
// the start's own day never counts.
func TestAddWorkingDays(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		name  string
		start time.Time
		n     int
		want  time.Time
	}{
		// Tue 2024-03-05: the first working day after it is Wed 03-06.
		{"ordinary", at(2024, 3, 5, 10, 0), 1, at(2024, 3, 6, 17, 30)},
		// Same answer at 08:00 or 17:00: the day of the start is not counted.
		{"early start", at(2024, 3, 5, 8, 0), 1, at(2024, 3, 6, 17, 30)},
		{"late start", at(2024, 3, 5, 17, 0), 1, at(2024, 3, 6, 17, 30)},
		// Fri 2024-03-08 → Sat, Sun off → Mon 03-11.
		{"across a weekend", at(2024, 3, 8, 17, 0), 1, at(2024, 3, 11, 17, 30)},
		// Sat 2024-03-09 (not a working day) → Sun off → Mon 03-11.
		{"start on a Saturday", at(2024, 3, 9, 10, 0), 1, at(2024, 3, 11, 17, 30)},
		// Mon 2024-09-30 → 10-01..10-07 off → Tue 10-08.
		{"across National Day 2024", at(2024, 9, 30, 10, 0), 1, at(2024, 10, 8, 17, 30)},
		// Fri 2024-09-27 → Sat 09-28 off, Sun 09-29 worked (1st), Mon 09-30 (2nd).
		{"counting a make-up Sunday", at(2024, 9, 27, 10, 0), 2, at(2024, 9, 30, 17, 30)},
		// Mon 2024-10-07 (holiday) → Tue 10-08.
		{"start on National Day Monday", at(2024, 10, 7, 10, 0), 1, at(2024, 10, 8, 17, 30)},
		// Thu 2024-10-10 → Fri 10-11 (1st), Sat 10-12 worked (2nd).
		{"ending on the make-up Saturday 2024-10-12", at(2024, 10, 10, 10, 0), 2, at(2024, 10, 12, 17, 30)},
		// Fri 2025-01-24 → Sat 01-25 off → Sun 01-26 worked.
		{"ending on the make-up Sunday 2025-01-26", at(2025, 1, 24, 10, 0), 1, at(2025, 1, 26, 17, 30)},
		// Mon 2025-01-27 → 01-28..02-04 off → Wed 02-05.
		{"across Spring Festival 2025", at(2025, 1, 27, 10, 0), 1, at(2025, 2, 5, 17, 30)},
		// Mon 2025-01-27 → Wed 02-05 (1), Thu 02-06 (2), Fri 02-07 (3), Sat
		// 02-08 worked (4), Sun 02-09 off, Mon 02-10 (5).
		{"five days across Spring Festival 2025", at(2025, 1, 27, 10, 0), 5, at(2025, 2, 10, 17, 30)},
		// Fri 2023-12-29 → Dec 30–31 weekend, 2024-01-01 元旦 → Tue 01-02.
		{"across New Year", at(2023, 12, 29, 10, 0), 1, at(2024, 1, 2, 17, 30)},
		// Mon 2024-03-04 + 10: 03-05..03-08 (4), 03-11..03-15 (9), Mon 03-18 (10).
		{"two weeks", at(2024, 3, 4, 10, 0), 10, at(2024, 3, 18, 17, 30)},
		// n = 0: the end of the start's own working day, or of the next one.
		{"zero on a working day", at(2024, 3, 5, 10, 0), 0, at(2024, 3, 5, 17, 30)},
		{"zero on National Day", at(2024, 10, 5, 10, 0), 0, at(2024, 10, 8, 17, 30)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.AddWorkingDays(tc.start, tc.n); !got.Equal(tc.want) {
				t.Errorf("AddWorkingDays(%v, %d) = %v, want %v", tc.start, tc.n, got, tc.want)
			}
		})
	}
}

func TestWorkingTimeBetween(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		name string
		a, b time.Time
		want time.Duration
	}{
		{"within the morning", at(2024, 3, 5, 9, 0), at(2024, 3, 5, 11, 0), 2 * h},
		// 11:00→12:00 + 13:00→14:00.
		{"lunch is not counted", at(2024, 3, 5, 11, 0), at(2024, 3, 5, 14, 0), 2 * h},
		// From and to a time outside working hours: the whole day, 8h.
		{"a whole day", at(2024, 3, 5, 6, 0), at(2024, 3, 5, 20, 0), 8 * h},
		// Fri 16:00→17:30 1.5h + Mon 08:30→10:00 1.5h.
		{"across a weekend", at(2024, 3, 8, 16, 0), at(2024, 3, 11, 10, 0), 3 * h},
		{"b before a", at(2024, 3, 11, 10, 0), at(2024, 3, 8, 16, 0), 0},
		{"b equal to a", at(2024, 3, 11, 10, 0), at(2024, 3, 11, 10, 0), 0},
		// Mon 09-30 17:30 → Tue 10-08 08:30: only National Day between.
		{"all of National Day 2024", at(2024, 9, 30, 17, 30), at(2024, 10, 8, 8, 30), 0},
		// Sat 2024-10-12 is worked: 8h.
		{"make-up Saturday 2024-10-12", at(2024, 10, 12, 0, 0), at(2024, 10, 13, 0, 0), 8 * h},
		// Sun 2024-10-13 is not.
		{"ordinary Sunday", at(2024, 10, 13, 0, 0), at(2024, 10, 14, 0, 0), 0},
		// Thu 02-08 8h, Fri 02-09 8h, 02-10..02-17 off, Sun 02-18 8h.
		{"across Spring Festival 2024", at(2024, 2, 8, 8, 30), at(2024, 2, 19, 8, 30), 24 * h},
		// Mon 01-27 09:00→17:30 7.5h, off to 02-04, Wed 02-05 08:30→09:00 0.5h.
		{"across Spring Festival 2025", at(2025, 1, 27, 9, 0), at(2025, 2, 5, 9, 0), 8 * h},
		// Sun 2025-01-26 (worked) 12:30→Mon 01-27 09:00: lunch, 13:00→17:30
		// 4.5h, then 0.5h.
		{"from lunch on the make-up Sunday 2025-01-26", at(2025, 1, 26, 12, 30), at(2025, 1, 27, 9, 0), 5 * h},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.WorkingTimeBetween(tc.a, tc.b); got != tc.want {
				t.Errorf("WorkingTimeBetween(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// randomInstant is an instant in 2022-12-25 .. 2027-01-10 with a random
// second (and, half the time, nanosecond), so boundaries are hit rarely but
// times in and out of working hours both occur.
func randomInstant(rng *rand.Rand) time.Time {
	base := time.Date(2022, 12, 25, 0, 0, 0, 0, Zone)
	t := base.Add(time.Duration(rng.Int64N(int64(1478*24*h/time.Second))) * time.Second)
	if rng.IntN(2) == 0 {
		t = t.Add(time.Duration(rng.IntN(1e9)))
	}
	return t
}

// TestInverse: AddWorkingHours and WorkingTimeBetween undo each other, on
// random starts (fixed seed) with spans up to 40 working days.
func TestInverse(t *testing.T) {
	c := Default()
	rng := rand.New(rand.NewPCG(2024, 1001))
	for range 20000 {
		start := randomInstant(rng)
		d := time.Duration(1+rng.Int64N(int64(320*h/time.Second))) * time.Second
		end := c.AddWorkingHours(start, d)
		if !end.After(start) {
			t.Fatalf("AddWorkingHours(%v, %v) = %v, not after the start", start, d, end)
		}
		if got := c.WorkingTimeBetween(start, end); got != d {
			t.Fatalf("WorkingTimeBetween(%v, AddWorkingHours(…, %v) = %v) = %v, want %v", start, d, end, got, d)
		}
		// The earliest such instant: one nanosecond earlier, one less.
		if got := c.WorkingTimeBetween(start, end.Add(-1)); got != d-1 {
			t.Fatalf("AddWorkingHours(%v, %v) = %v is not the earliest: 1ns before it %v elapsed", start, d, end, got)
		}
		if !c.IsWorkingTime(end.Add(-1)) {
			t.Fatalf("AddWorkingHours(%v, %v) = %v: the clock was not running just before", start, d, end)
		}

		// The other way: from the elapsed time between two instants back to
		// the second, when the second is inside working hours (else to the
		// last working instant before it).
		a, b := randomInstant(rng), randomInstant(rng)
		if b.Before(a) {
			a, b = b, a
		}
		w := c.WorkingTimeBetween(a, b)
		if w == 0 {
			continue
		}
		back := c.AddWorkingHours(a, w)
		if back.After(b) || c.WorkingTimeBetween(back, b) != 0 {
			t.Fatalf("AddWorkingHours(%v, WorkingTimeBetween(…, %v) = %v) = %v", a, b, w, back)
		}
		if c.IsWorkingTime(b) && c.IsWorkingTime(b.Add(-1)) && !back.Equal(b) {
			t.Fatalf("AddWorkingHours(%v, %v) = %v, want %v (inside working time)", a, w, back, b)
		}
	}
}

// TestAgainstMinuteWalk checks the O(1) axis against the obvious slow
// method, minute by minute with IsWorkingTime (which reads the day table
// directly, not the prefix counts), on random spans up to ten days.
func TestAgainstMinuteWalk(t *testing.T) {
	c := Default()
	rng := rand.New(rand.NewPCG(7, 7))
	for range 300 {
		a := randomInstant(rng).Truncate(time.Minute)
		b := a.Add(time.Duration(rng.IntN(10*24*60)) * time.Minute)
		var walk time.Duration
		for m := a; m.Before(b); m = m.Add(time.Minute) {
			if c.IsWorkingTime(m) {
				walk += time.Minute
			}
		}
		if got := c.WorkingTimeBetween(a, b); got != walk {
			t.Fatalf("WorkingTimeBetween(%v, %v) = %v, a minute walk says %v", a, b, got, walk)
		}
	}
	// Working days counted one by one with IsWorkingDay, 2022 to 2027.
	for from := (Date{2022, 12, 1}); from.Year < 2027; from = from.AddDays(17) {
		to := from.AddDays(rng.IntN(400))
		n := 0
		for x := from; x.Compare(to) <= 0; x = x.AddDays(1) {
			if c.IsWorkingDay(x) {
				n++
			}
		}
		if got := c.WorkingDays(from, to); got != n {
			t.Fatalf("WorkingDays(%v, %v) = %d, counting says %d", from, to, got, n)
		}
	}
}

// TestOtherHours: the intervals are configuration, and a fixed +08:00 zone
// (no tzdata) gives the same instants as Asia/Shanghai.
func TestOtherHours(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	c, err := New(Config{
		Location: cst,
		Hours:    []Interval{{9 * h, 12 * h}, {14 * h, 17 * h}, {19 * h, 20 * h}}, // 7h a day
		Days:     Published(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.PerDay() != 7*h {
		t.Errorf("PerDay = %v, want 7h", c.PerDay())
	}
	// Fri 2024-10-11 16:00: 16→17 1h, 19→20 1h; Sat 10-12 worked: 09→12
	// 3h (5h), 14→16 2h → 16:00.
	start := time.Date(2024, 10, 11, 16, 0, 0, 0, cst)
	if got, want := c.AddWorkingHours(start, 7*h), time.Date(2024, 10, 12, 16, 0, 0, 0, cst); !got.Equal(want) {
		t.Errorf("AddWorkingHours(%v, 7h) = %v, want %v", start, got, want)
	}
	// 7h exactly from 09:00 ends at 20:00, the end of the last interval.
	start = time.Date(2024, 3, 5, 9, 0, 0, 0, cst)
	if got, want := c.AddWorkingHours(start, 7*h), time.Date(2024, 3, 5, 20, 0, 0, 0, cst); !got.Equal(want) {
		t.Errorf("AddWorkingHours(%v, 7h) = %v, want %v", start, got, want)
	}
	if got, want := c.AddWorkingDays(start, 1), time.Date(2024, 3, 6, 20, 0, 0, 0, cst); !got.Equal(want) {
		t.Errorf("AddWorkingDays(%v, 1) = %v, want %v", start, got, want)
	}

	fixed, err := New(Config{Location: cst, Days: Published()})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		s, d := randomInstant(rng), time.Duration(rng.Int64N(int64(200*h)))
		if a, b := Default().AddWorkingHours(s, d), fixed.AddWorkingHours(s, d); !a.Equal(b) {
			t.Fatalf("AddWorkingHours(%v, %v): Asia/Shanghai %v, fixed +08:00 %v", s, d, a, b)
		}
	}
}

// The axis gives the same spans as WorkingTimeBetween.
func TestWorkingAxis(t *testing.T) {
	cal := Default()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, Zone)
	for i := 0; i < 2000; i++ {
		a := start.Add(time.Duration(i*i%9973) * 37 * time.Minute)
		b := a.Add(time.Duration(i%700) * 53 * time.Minute)
		if got, want := cal.WorkingAxis(b)-cal.WorkingAxis(a), cal.WorkingTimeBetween(a, b); got != want {
			t.Fatalf("%v → %v: axis %v, between %v", a, b, got, want)
		}
	}
}
