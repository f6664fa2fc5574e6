package workcal

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func date(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDateConversions(t *testing.T) {
	// Day numbers round-trip and agree with the time package over four
	// centuries either side of 1970.
	for n := int64(-146097); n <= 146097*2; n += 13 {
		d := dateOf(n)
		if d.num() != n {
			t.Fatalf("dateOf(%d) = %v, whose num is %d", n, d, d.num())
		}
		tm := time.Unix(n*86400, 0).UTC()
		if d != (Date{tm.Year(), tm.Month(), tm.Day()}) || d.Weekday() != tm.Weekday() {
			t.Fatalf("day %d: %v (%v), time says %v (%v)", n, d, d.Weekday(), tm.Format(time.DateOnly), tm.Weekday())
		}
	}
	for _, s := range []string{"2024-02-30", "2024-13-01", "24-01-01", ""} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) accepted", s)
		}
	}
	if got := NewDate(2024, 2, 30); got != (Date{2024, 3, 1}) {
		t.Errorf("NewDate(2024, 2, 30) = %v, want 2024-03-01", got)
	}
	if got := date(t, "2024-12-31").AddDays(1); got != (Date{2025, 1, 1}) {
		t.Errorf("2024-12-31 + 1 day = %v", got)
	}
}

func TestDay(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		date    string
		kind    Kind
		holiday string
		reason  string
	}{
		{"2024-02-04", Working, "春节", "春节调休上班"}, // Sunday worked before Spring Festival
		{"2024-02-18", Working, "春节", "春节调休上班"}, // Sunday worked after it
		{"2024-02-09", Working, "", ""},         // 除夕 2024 is a Friday at work: only "encouraged" as leave
		{"2024-02-10", Holiday, "春节", "春节"},
		{"2024-10-07", Holiday, "国庆节", "国庆节"}, // a Monday inside National Day
		{"2024-10-08", Working, "", ""},       // the day after it
		{"2024-10-12", Working, "国庆节", "国庆节调休上班"},
		{"2024-10-13", Weekend, "", "周末"},
		{"2025-01-26", Working, "春节", "春节调休上班"}, // Sunday
		{"2025-01-28", Holiday, "春节", "春节"},     // 除夕 2025: off since the 2024 revision
		{"2025-02-04", Holiday, "春节", "春节"},
		{"2025-02-08", Working, "春节", "春节调休上班"}, // Saturday
		{"2025-05-05", Holiday, "劳动节", "劳动节"},
		{"2025-10-08", Holiday, "国庆节、中秋节", "国庆节、中秋节"},
		{"2023-01-02", Holiday, "元旦", "元旦"},
		{"2022-12-31", Holiday, "元旦", "元旦"}, // 2023's notice starts 元旦 on 2022's last day
		{"2026-02-23", Holiday, "春节", "春节"},
		{"2026-02-28", Working, "春节", "春节调休上班"},
		{"2026-09-20", Working, "国庆节", "国庆节调休上班"},
		{"2027-02-06", Weekend, "", "周末"}, // beyond the data: the weekly rule
		{"2027-02-08", Working, "", ""},
	} {
		t.Run(tc.date, func(t *testing.T) {
			d := date(t, tc.date)
			got := c.Day(d)
			if got.Date != d || got.Kind != tc.kind || got.Holiday != tc.holiday || got.Reason != tc.reason {
				t.Errorf("Day(%s) = %+v, want kind %v, holiday %q, reason %q", tc.date, got, tc.kind, tc.holiday, tc.reason)
			}
			if c.IsWorkingDay(d) != (tc.kind == Working) {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.date, c.IsWorkingDay(d), tc.kind == Working)
			}
			if got.Reason != "" && got.ReasonEn == "" {
				t.Errorf("Day(%s) has no English reason", tc.date)
			}
		})
	}
}

func TestYearJSON(t *testing.T) {
	days := Default().Year(2024)
	if len(days) != 366 || days[0].Date != (Date{2024, 1, 1}) || days[365].Date != (Date{2024, 12, 31}) {
		t.Fatalf("Year(2024) runs %v..%v (%d days)", days[0].Date, days[len(days)-1].Date, len(days))
	}
	b, err := json.Marshal(days[285]) // 2024-10-12: day 286 of a leap year (274 to Sep 30, + 12)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"date":"2024-10-12","kind":"working","holiday":"国庆节","holiday_en":"National Day","reason":"国庆节调休上班","reason_en":"make-up working day for National Day"}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var back Day
	if err := json.Unmarshal(b, &back); err != nil || back != days[285] {
		t.Errorf("round trip = %+v, %v, want %+v", back, err, days[285])
	}
	if err := json.Unmarshal([]byte(`{"date":"2024-10-12","kind":"off"}`), &back); err == nil {
		t.Error("kind \"off\" accepted")
	}
}

// TestOverride: what an admin edits is what the arithmetic uses.
func TestOverride(t *testing.T) {
	closure := Day{Date: Date{2024, 3, 6}, Kind: Holiday, Reason: "暴雪停工", ReasonEn: "closed for a blizzard"}
	worked := Day{Date: Date{2024, 10, 13}, Kind: Working, Reason: "防汛值守", ReasonEn: "flood duty"}
	undo := Day{Date: Date{2024, 10, 7}, Kind: Working} // a later entry replaces the published one
	c, err := New(Config{Days: append(Published(), closure, worked, undo)})
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(closure.Date) || !c.IsWorkingDay(worked.Date) || !c.IsWorkingDay(undo.Date) {
		t.Fatalf("overrides not applied: %v %v %v", c.Day(closure.Date), c.Day(worked.Date), c.Day(undo.Date))
	}
	// Tue 2024-03-05 17:00 + 1h: 0.5h on Tuesday, Wednesday closed, 0.5h
	// on Thursday 03-07 → 09:00.
	start := time.Date(2024, 3, 5, 17, 0, 0, 0, Zone)
	if got, want := c.AddWorkingHours(start, time.Hour), time.Date(2024, 3, 7, 9, 0, 0, 0, Zone); !got.Equal(want) {
		t.Errorf("AddWorkingHours(%v, 1h) = %v, want %v", start, got, want)
	}
	// 2024: 251 published working days, −1 closure, +1 Sunday, +1 Monday.
	if n := c.WorkingDays(Date{2024, 1, 1}, Date{2024, 12, 31}); n != 252 {
		t.Errorf("overridden 2024 has %d working days, want 252", n)
	}
	// Data for a later year an admin enters (2027 here) extends the table.
	c2, err := New(Config{Days: append(Published(), Day{Date: Date{2027, 1, 1}, Kind: Holiday, Reason: "元旦"})})
	if err != nil {
		t.Fatal(err)
	}
	if c2.IsWorkingDay(Date{2027, 1, 1}) || !c2.IsWorkingDay(Date{2026, 12, 31}) || !c2.IsWorkingDay(Date{2027, 1, 4}) {
		t.Error("a 2027 override is not applied or leaks")
	}
}

func TestNewRejects(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no hours":        {Hours: []Interval{}},
		"backwards":       {Hours: []Interval{{12 * time.Hour, 9 * time.Hour}}},
		"overlap":         {Hours: []Interval{{9 * time.Hour, 12 * time.Hour}, {11 * time.Hour, 14 * time.Hour}}},
		"past midnight":   {Hours: []Interval{{20 * time.Hour, 25 * time.Hour}}},
		"no kind":         {Days: []Day{{Date: Date{2024, 1, 2}}}},
		"invalid date":    {Days: []Day{{Date: Date{2024, 2, 30}, Kind: Holiday}}},
		"year out of use": {Days: []Day{{Date: Date{1800, 1, 1}, Kind: Holiday}}},
	} {
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "workcal: ") {
			t.Errorf("New(%s) = %v, want a workcal error", name, err)
		}
	}
}

func TestIsWorkingTime(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2024, 3, 5, 8, 29, 59, 0, Zone), false},
		{time.Date(2024, 3, 5, 8, 30, 0, 0, Zone), true},
		{time.Date(2024, 3, 5, 12, 0, 0, 0, Zone), false}, // intervals are [start, end)
		{time.Date(2024, 3, 5, 13, 0, 0, 0, Zone), true},
		{time.Date(2024, 3, 5, 17, 30, 0, 0, Zone), false},
		{time.Date(2024, 10, 12, 10, 0, 0, 0, Zone), true},                          // make-up Saturday
		{time.Date(2024, 10, 7, 10, 0, 0, 0, Zone), false},                          // National Day Monday
		{time.Date(2024, 3, 5, 2, 0, 0, 0, time.UTC), true},                         // 10:00 in Changchun
		{time.Date(2024, 3, 4, 16, 30, 0, 0, time.UTC), false},                      // 00:30 Tuesday there
		{time.Date(2024, 3, 5, 10, 0, 0, 0, time.FixedZone("-05", -5*3600)), false}, // 23:00 there
	} {
		if got := c.IsWorkingTime(tc.at); got != tc.want {
			t.Errorf("IsWorkingTime(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}
