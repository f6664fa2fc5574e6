package workcal

import (
	"testing"
	"time"
)

// TestNoticeItems holds every item of the data to the notice's own wording:
// the range spans the notice's 共N天, each make-up day is a Saturday or a
// Sunday outside every range, and no date is entered twice.
func TestNoticeItems(t *testing.T) {
	seen := map[Date]string{}
	for _, n := range Notices() {
		for _, h := range n.Holidays {
			t.Run(n.Number+" "+h.Name, func(t *testing.T) {
				if got := int(h.To.num()-h.From.num()) + 1; got != h.Days {
					t.Errorf("%s %v–%v spans %d days, the notice says %d", h.Name, h.From, h.To, got, h.Days)
				}
				if h.From.Year < n.Year-1 || h.To.Year != n.Year {
					t.Errorf("%s %v–%v is not in %d", h.Name, h.From, h.To, n.Year)
				}
				for x := h.From; x.Compare(h.To) <= 0; x = x.AddDays(1) {
					if prev, ok := seen[x]; ok {
						t.Errorf("%v entered twice (%s, %s)", x, prev, h.Name)
					}
					seen[x] = h.Name
				}
				for _, m := range h.MakeUp {
					if w := m.Weekday(); w != time.Saturday && w != time.Sunday {
						t.Errorf("make-up day %v for %s is a %v, not a weekend day", m, h.Name, w)
					}
					if prev, ok := seen[m]; ok {
						t.Errorf("make-up day %v for %s is also %s", m, h.Name, prev)
					}
					seen[m] = h.Name + " make-up"
				}
			})
		}
	}
}

// TestStatutoryDays: a notice moves days around but never adds any. Holidays
// on weekdays minus make-up days worked on weekends must equal the days the
// national regulation (全国年节及纪念日放假办法) grants all citizens: 11 until
// 2024, 13 from 2025 (春节 and 劳动节 one more each, November 2024 revision).
func TestStatutoryDays(t *testing.T) {
	want := map[int]int{2023: 11, 2024: 11, 2025: 13, 2026: 13}
	for _, n := range Notices() {
		t.Run(n.Number, func(t *testing.T) {
			off, made := 0, 0
			for _, day := range n.Days() {
				w := day.Date.Weekday()
				weekend := w == time.Saturday || w == time.Sunday
				switch {
				case day.Kind == Holiday && !weekend:
					off++
				case day.Kind == Working && weekend:
					made++
				}
			}
			if off-made != want[n.Year] {
				t.Errorf("%d: %d weekdays off − %d make-up days = %d, want %d statutory days", n.Year, off, made, off-made, want[n.Year])
			}
		})
	}
}

// TestYearCounts counts each year of Year() by hand. weekend is the
// Saturdays and Sundays of the year; holidays the days marked Holiday (the
// whole ranges the notices give, weekend days inside them included, only
// those in the year); onWeekend how many of those fall on a weekend; makeUp
// the weekend days worked. Working days must then be
// (days − weekend) − (holidays − onWeekend) + makeUp.
func TestYearCounts(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		year                                       int
		days, weekend, holidays, onWeekend, makeUp int
		working                                    int
	}{
		// 2023 starts on a Sunday: 52 weeks and one more Sunday, 105 weekend
		// days. Holidays: 元旦 Jan 1–2 (Dec 31 is 2022's), 春节 7, 清明 1, 劳动 5,
		// 端午 3, 中秋国庆 8 = 26, of them on weekends Jan 1; Jan 21, 22;
		// Apr 29, 30; Jun 24; Sep 30, Oct 1 = 8. Make-up: Jan 28, 29; Apr 23;
		// May 6; Jun 25; Oct 7, 8 = 7. 260 − 18 + 7 = 249.
		{2023, 365, 105, 26, 8, 7, 249},
		// 2024 (leap) starts on a Monday: 52 weeks and Mon, Tue, 104 weekend
		// days. Holidays: 元旦 1, 春节 8, 清明 3, 劳动 5, 端午 1, 中秋 3, 国庆 7
		// = 28, of them on weekends Feb 10, 11, 17; Apr 6; May 4, 5; Sep 15;
		// Oct 5, 6 = 9. Make-up: Feb 4, 18; Apr 7, 28; May 11; Sep 14, 29;
		// Oct 12 = 8. 262 − 19 + 8 = 251.
		{2024, 366, 104, 28, 9, 8, 251},
		// 2025 starts on a Wednesday: 104 weekend days. Holidays: 元旦 1, 春节 8,
		// 清明 3, 劳动 5, 端午 3, 国庆中秋 8 = 28, of them on weekends Feb 1, 2;
		// Apr 5, 6; May 3, 4; May 31, Jun 1; Oct 4, 5 = 10. Make-up: Jan 26;
		// Feb 8; Apr 27; Sep 28; Oct 11 = 5. 261 − 18 + 5 = 248.
		{2025, 365, 104, 28, 10, 5, 248},
		// 2026 starts on a Thursday: 104 weekend days. Holidays: 元旦 3, 春节 9,
		// 清明 3, 劳动 5, 端午 3, 中秋 3, 国庆 7 = 33, of them on weekends Jan 3;
		// Feb 15, 21, 22; Apr 4, 5; May 2, 3; Jun 20, 21; Sep 26, 27; Oct 3, 4
		// = 14. Make-up: Jan 4; Feb 14, 28; May 9; Sep 20; Oct 10 = 6.
		// 261 − 19 + 6 = 248.
		{2026, 365, 104, 33, 14, 6, 248},
	} {
		t.Run(time.Date(tc.year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"), func(t *testing.T) {
			if tc.working != (tc.days-tc.weekend)-(tc.holidays-tc.onWeekend)+tc.makeUp {
				t.Fatalf("the hand count for %d does not add up", tc.year)
			}
			var days, weekend, holidays, onWeekend, makeUp, working int
			for _, day := range c.Year(tc.year) {
				days++
				w := day.Date.Weekday()
				isWeekend := w == time.Saturday || w == time.Sunday
				if isWeekend {
					weekend++
				}
				switch day.Kind {
				case Holiday:
					holidays++
					if isWeekend {
						onWeekend++
					}
				case Working:
					working++
					if isWeekend {
						makeUp++
					}
				}
			}
			got := [6]int{days, weekend, holidays, onWeekend, makeUp, working}
			want := [6]int{tc.days, tc.weekend, tc.holidays, tc.onWeekend, tc.makeUp, tc.working}
			if got != want {
				t.Errorf("Year(%d): days, weekend, holidays, holidays on weekends, make-up, working = %v, want %v", tc.year, got, want)
			}
			jan1, dec31 := Date{tc.year, time.January, 1}, Date{tc.year, time.December, 31}
			if n := c.WorkingDays(jan1, dec31); n != tc.working {
				t.Errorf("WorkingDays(%v, %v) = %d, want %d", jan1, dec31, n, tc.working)
			}
			// The working-time axis agrees: a year is its working days × 8h.
			a := time.Date(tc.year, 1, 1, 0, 0, 0, 0, Zone)
			if got, want := c.WorkingTimeBetween(a, a.AddDate(1, 0, 0)), time.Duration(tc.working)*8*time.Hour; got != want {
				t.Errorf("WorkingTimeBetween over %d = %v, want %v", tc.year, got, want)
			}
		})
	}
}
