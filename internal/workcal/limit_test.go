package workcal

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestDeadline(t *testing.T) {
	c := Default()
	// Fri 2024-09-27 16:00, three units, across the make-up Sunday 09-29 and
	// National Day.
	start := at(2024, 9, 27, 16, 0)
	for _, tc := range []struct {
		limit Limit
		want  time.Time
	}{
		// 16:00→17:30 1.5h, Sun 09-29 (worked) 0.5h → 09:00.
		{Limit{WorkingHours, 2}, at(2024, 9, 29, 9, 0)},
		// 1.5h Fri, 8h Sun, 8h Mon 09-30 (17.5h), Oct 1–7 off, Tue 10-08 0.5h.
		{Limit{WorkingHours, 18}, at(2024, 10, 8, 9, 0)},
		// Half an hour: 16:30.
		{Limit{WorkingHours, 0.5}, at(2024, 9, 27, 16, 30)},
		// Sun 09-29 (1st), Mon 09-30 (2nd), 10-08 (3rd).
		{Limit{WorkingDays, 3}, at(2024, 10, 8, 17, 30)},
		// Clock time: Sat 09-28 16:00.
		{Limit{NaturalHours, 24}, at(2024, 9, 28, 16, 0)},
		{Limit{NaturalHours, 0.25}, at(2024, 9, 27, 16, 15)},
		// Nothing to use: due at the start.
		{Limit{WorkingHours, 0}, start},
		{Limit{WorkingDays, -1}, start},
	} {
		t.Run(tc.limit.String(), func(t *testing.T) {
			if got := c.Deadline(start, tc.limit); !got.Equal(tc.want) {
				t.Errorf("Deadline(%v, %v) = %v, want %v", start, tc.limit, got, tc.want)
			}
		})
	}
}

func TestElapsed(t *testing.T) {
	c := Default()
	start := at(2024, 9, 27, 16, 0) // Fri, see TestDeadline
	for _, tc := range []struct {
		name  string
		now   time.Time
		limit Limit
		want  float64
	}{
		{"before the start", at(2024, 9, 27, 15, 0), Limit{WorkingHours, 2}, 0},
		// 16:00→17:00 is 1h of 2.
		{"half the working hours", at(2024, 9, 27, 17, 0), Limit{WorkingHours, 2}, 0.5},
		// Saturday 09-28 is off: still 1.5h of 2 used.
		{"paused over the Saturday", at(2024, 9, 28, 12, 0), Limit{WorkingHours, 2}, 0.75},
		{"at the deadline", at(2024, 9, 29, 9, 0), Limit{WorkingHours, 2}, 1},
		// Sun 09-29 17:30: 1.5h + 8h of 2h.
		{"overdue", at(2024, 9, 29, 17, 30), Limit{WorkingHours, 2}, 4.75},
		// 3 working days from Fri 16:00 are 1.5 + 8 + 8 + 8 = 25.5h of
		// working time; by Mon 09-30 12:00 1.5 + 8 + 3.5 = 13h are used.
		{"working days", at(2024, 9, 30, 12, 0), Limit{WorkingDays, 3}, 13 / 25.5},
		// Across National Day nothing more is used.
		{"working days paused on National Day", at(2024, 10, 5, 12, 0), Limit{WorkingDays, 3}, 17.5 / 25.5},
		{"working days at the deadline", at(2024, 10, 8, 17, 30), Limit{WorkingDays, 3}, 1},
		// After 17:30 on the last day the deadline has passed, but no working
		// time has: the share stays 1 until work resumes.
		{"working days evening of the deadline", at(2024, 10, 8, 20, 0), Limit{WorkingDays, 3}, 1},
		{"working days a day late", at(2024, 10, 9, 17, 30), Limit{WorkingDays, 3}, 33.5 / 25.5},
		// Clock time runs through the weekend: 18h of 24.
		{"natural hours", at(2024, 9, 28, 10, 0), Limit{NaturalHours, 24}, 0.75},
		{"no limit", at(2024, 9, 27, 16, 1), Limit{WorkingHours, 0}, math.Inf(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Elapsed(start, tc.now, tc.limit); math.Abs(got-tc.want) > 1e-12 && got != tc.want {
				t.Errorf("Elapsed(%v, %v, %v) = %v, want %v", start, tc.now, tc.limit, got, tc.want)
			}
		})
	}
}

// TestElapsedMatchesDeadline: for every unit, the share reaches 1 exactly at
// the deadline and is below 1 a second before it.
func TestElapsedMatchesDeadline(t *testing.T) {
	c := Default()
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		start := randomInstant(rng)
		l := []Limit{
			{WorkingHours, float64(1 + rng.IntN(80))},
			{WorkingDays, float64(1 + rng.IntN(15))},
			{NaturalHours, float64(1 + rng.IntN(72))},
		}[rng.IntN(3)]
		dl := c.Deadline(start, l)
		if got := c.Elapsed(start, dl, l); math.Abs(got-1) > 1e-12 {
			t.Fatalf("Elapsed(%v, Deadline = %v, %v) = %v, want 1", start, dl, l, got)
		}
		if got := c.Elapsed(start, dl.Add(-time.Second), l); got >= 1 {
			t.Fatalf("Elapsed(%v, 1s before Deadline %v, %v) = %v, want < 1", start, dl, l, got)
		}
	}
}

func TestLimitValidateAndJSON(t *testing.T) {
	for _, l := range []Limit{{WorkingHours, 0.5}, {WorkingDays, 5}, {NaturalHours, 2}} {
		if err := l.Validate(); err != nil {
			t.Errorf("Validate(%v) = %v", l, err)
		}
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var back Limit
		if err := json.Unmarshal(b, &back); err != nil || back != l {
			t.Errorf("json %s came back as %v, %v", b, back, err)
		}
	}
	if b, _ := json.Marshal(Limit{WorkingDays, 5}); string(b) != `{"unit":"working_days","n":5}` {
		t.Errorf("json = %s", b)
	}
	for _, l := range []Limit{{WorkingDays, 1.5}, {WorkingHours, 0}, {WorkingHours, -2}, {WorkingHours, math.NaN()}, {0, 3}, {9, 3}} {
		if err := l.Validate(); err == nil {
			t.Errorf("Validate(%v) accepted", l)
		}
	}
	var u Unit
	if err := json.Unmarshal([]byte(`"fortnights"`), &u); err == nil {
		t.Error("unit fortnights accepted")
	}
}
