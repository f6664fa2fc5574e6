package workcal

import (
	"math/rand/v2"
	"testing"
	"time"
)

// task is what a list of cases needs for its lights: a start and a limit.
type task struct {
	start time.Time
	limit Limit
}

// tasks are 1,000 cases started at random in 2024–2026 with the limits a
// 数字城管 platform mixes: 立案 in working hours, 处置 in working days (spans of
// one to three weeks), emergencies in natural hours.
func tasks() []task {
	rng := rand.New(rand.NewPCG(1, 1000))
	out := make([]task, 1000)
	for i := range out {
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, Zone).Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
		var l Limit
		switch rng.IntN(3) {
		case 0:
			l = Limit{WorkingHours, float64(1 + rng.IntN(120))}
		case 1:
			l = Limit{WorkingDays, float64(5 + rng.IntN(11))}
		default:
			l = Limit{NaturalHours, float64(1 + rng.IntN(48))}
		}
		out[i] = task{start, l}
	}
	return out
}

// BenchmarkDeadline is one Deadline call (ns/op) over the mixed list.
func BenchmarkDeadline(b *testing.B) {
	c, ts := Default(), tasks()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		t := ts[i%len(ts)]
		c.Deadline(t.start, t.limit)
		i++
	}
}

// BenchmarkDeadlineWorkingDays is one Deadline of 5–15 working days.
func BenchmarkDeadlineWorkingDays(b *testing.B) {
	c, ts := Default(), tasks()
	for i := range ts {
		ts[i].limit = Limit{WorkingDays, float64(5 + i%11)}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		t := ts[i%len(ts)]
		c.Deadline(t.start, t.limit)
		i++
	}
}

// BenchmarkAddWorkingHoursYear is one AddWorkingHours spanning a year of
// working time (2,000h): the cost does not grow with the span.
func BenchmarkAddWorkingHoursYear(b *testing.B) {
	c, ts := Default(), tasks()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.AddWorkingHours(ts[i%len(ts)].start, 2000*time.Hour)
		i++
	}
}

// BenchmarkLights1000 is a whole list: deadline and share used for 1,000
// cases (ns/op is per list).
func BenchmarkLights1000(b *testing.B) {
	c, ts := Default(), tasks()
	now := time.Date(2025, 6, 3, 10, 0, 0, 0, Zone)
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range ts {
			c.Deadline(t.start, t.limit)
			c.Elapsed(t.start, now, t.limit)
		}
	}
}
