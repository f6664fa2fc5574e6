package postgres_test

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"inframap/internal/evaluation"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/timelimit"
	"inframap/internal/workcal"
)

// wantRow is a row of an evaluation as worked out by hand: each rate's
// numerator and denominator, the counts, the score and the rank.
type wantRow struct {
	Rank   int
	Score  float64 // -1: no score
	Rates  map[string][2]int
	Counts map[string]int
}

// gotRows turns a report into wantRows by key ("" is the total), checking
// that every rate is its numerator over its denominator.
func gotRows(t *testing.T, rep *evaluation.Report) map[string]wantRow {
	t.Helper()
	out := map[string]wantRow{}
	for _, r := range append(rep.Rows, rep.Total) {
		w := wantRow{Rank: r.Rank, Score: -1, Rates: map[string][2]int{}, Counts: r.Counts}
		if r.Score != nil {
			w.Score = *r.Score
		}
		for code, x := range r.Rates {
			w.Rates[code] = [2]int{x.Num, x.Den}
			switch {
			case x.Den == 0 && x.Rate != nil:
				t.Errorf("%s %s: rate %v with no denominator", r.Key, code, *x.Rate)
			case x.Den > 0 && (x.Rate == nil || math.Abs(*x.Rate-float64(x.Num)/float64(x.Den)) > 0.00005):
				t.Errorf("%s %s: rate %v is not %d/%d", r.Key, code, x.Rate, x.Num, x.Den)
			}
		}
		// The fixture has no reporters' answers (TestReporterFeedback in
		// internal/httpapi counts them): their rate and counts are zero here,
		// and left out of the comparisons.
		if x, ok := w.Rates[evaluation.SatisfactionRate]; ok && x != [2]int{} {
			t.Errorf("%s: satisfaction %v without answers", r.Key, x)
		}
		delete(w.Rates, evaluation.SatisfactionRate)
		counts := map[string]int{}
		for code, n := range r.Counts {
			switch code {
			case evaluation.NotFixed, evaluation.SatisfiedN, evaluation.BasicallyN, evaluation.DissatisfiedN:
				if n != 0 {
					t.Errorf("%s: %s %d without answers", r.Key, code, n)
				}
			default:
				counts[code] = n
			}
		}
		w.Counts = counts
		key := r.Key
		if r.Name == "合计" {
			key = "total"
		}
		out[key] = w
	}
	return out
}

// TestEvaluation evaluates the fixture (pgtest.EvaluationFixture) over
// September and October 2025 as known at the end of 10-31, by every
// grouping, against figures worked out by hand (docs/evaluation.md says
// what each rate counts).
func TestEvaluation(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	if _, err := sql.Exec(t.Context(), pgtest.EvaluationFixture); err != nil {
		t.Fatal(err)
	}
	checkFixtureDeadlines(t, sql)

	day := func(s string) time.Time {
		d, err := maint.ParseDate("d", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	from, to, asOf := day("2025-09-01"), day("2025-11-01"), maint.EndOfDay(day("2025-10-31"))

	// The whole district: every rate (see the fixture's table of cases).
	total := map[string][2]int{
		evaluation.OnTimeFiling:       {5, 7}, // C3 late, C6 running late
		evaluation.AccurateDispatch:   {5, 6}, // C3's first dispatch handed back; the rework is no dispatch
		evaluation.OnTimeHandling:     {3, 6}, // C3's rework late, C5 and C7 running late
		evaluation.OnTimeClosing:      {1, 3}, // C1; C2's 核查 and C3's filing and rework were late
		evaluation.Closure:            {3, 5}, // C1–C3 closed; C5, C7 due and open
		evaluation.ReworkRate:         {1, 4}, // one rework over four 处置 done
		evaluation.ValidReport:        {4, 5}, // C4 rejected
		evaluation.OnTimeVerification: {3, 4}, // C2's late
	}
	allCounts := map[string]int{"reported": 7, "extensions": 1, "suspensions": 1, "handbacks": 1, "extended": 1}
	pick := func(m map[string][2]int, codes ...string) map[string][2]int {
		out := map[string][2]int{}
		for _, c := range codes {
			out[c] = m[c]
		}
		return out
	}
	unitRates := []string{evaluation.OnTimeHandling, evaluation.OnTimeClosing, evaluation.Closure, evaluation.ReworkRate}
	inspRates := []string{evaluation.ValidReport, evaluation.OnTimeVerification}

	tests := []struct {
		by   evaluation.By
		want map[string]wantRow
	}{
		{evaluation.ByUnit, map[string]wantRow{
			// (0.75·30 + 0.3333·20 + 1·15 + 0.75·5) / 70
			"养护一队": {1, 68.5, map[string][2]int{"on_time_handling": {3, 4}, "on_time_closing": {1, 3}, "closure": {3, 3}, "rework": {1, 4}},
				map[string]int{"extensions": 1, "suspensions": 1, "handbacks": 0, "extended": 1}},
			"养护二队": {2, 0, map[string][2]int{"on_time_handling": {0, 2}, "on_time_closing": {0, 0}, "closure": {0, 2}, "rework": {0, 0}},
				map[string]int{"extensions": 0, "suspensions": 0, "handbacks": 1, "extended": 0}},
			// (0.5·30 + 0.3333·20 + 0.6·15 + 0.75·5) / 70
			"total": {0, 49.2, pick(total, unitRates...), allCounts},
		}},
		{evaluation.ByInspector, map[string]wantRow{
			"insp1@ly": {1, 100, map[string][2]int{"valid_report": {3, 3}, "on_time_verification": {2, 2}}, map[string]int{"reported": 3}},
			"insp2@ly": {2, 50, map[string][2]int{"valid_report": {1, 2}, "on_time_verification": {1, 2}}, map[string]int{"reported": 2}},
			"total":    {0, 77.5, pick(total, inspRates...), allCounts},
		}},
		{evaluation.BySubdistrict, map[string]wantRow{
			// 10 + 10 + 0.5·30 + 0.5·20 + 0.5·15 + 1·5 + 1·5 + 0.5·5
			"林园街道": {1, 65, map[string][2]int{"on_time_filing": {4, 4}, "accurate_dispatch": {4, 4}, "on_time_handling": {2, 4},
				"on_time_closing": {1, 2}, "closure": {2, 4}, "rework": {0, 2}, "valid_report": {4, 4}, "on_time_verification": {1, 2}},
				map[string]int{"reported": 4, "extensions": 1, "suspensions": 0, "handbacks": 0, "extended": 1}},
			// 0.3333·10 + 0.5·10 + 0.5·30 + 0·20 + 1·15 + 0.5·5 + 0·5 + 1·5
			"春城街道": {2, 45.8, map[string][2]int{"on_time_filing": {1, 3}, "accurate_dispatch": {1, 2}, "on_time_handling": {1, 2},
				"on_time_closing": {0, 1}, "closure": {1, 1}, "rework": {1, 2}, "valid_report": {0, 1}, "on_time_verification": {2, 2}},
				map[string]int{"reported": 3, "extensions": 0, "suspensions": 1, "handbacks": 1, "extended": 0}},
			// 0.7143·10 + 0.8333·10 + 0.5·30 + 0.3333·20 + 0.6·15 + 0.75·5 + 0.8·5 + 0.75·5
			"total": {0, 57.6, total, allCounts},
		}},
		{evaluation.ByService, map[string]wantRow{
			"road_surface": {1, 75, map[string][2]int{"on_time_filing": {1, 1}, "accurate_dispatch": {1, 1}, "on_time_handling": {1, 1},
				"on_time_closing": {0, 1}, "closure": {1, 1}, "rework": {0, 1}, "valid_report": {1, 1}, "on_time_verification": {0, 1}},
				map[string]int{"reported": 1, "extensions": 1, "suspensions": 0, "handbacks": 0, "extended": 1}},
			// 10 + 10 + 0.3333·30 + 20 + 0.3333·15 + 5 + 5 + 5
			"pothole": {2, 70, map[string][2]int{"on_time_filing": {3, 3}, "accurate_dispatch": {3, 3}, "on_time_handling": {1, 3},
				"on_time_closing": {1, 1}, "closure": {1, 3}, "rework": {0, 1}, "valid_report": {3, 3}, "on_time_verification": {1, 1}},
				map[string]int{"reported": 3, "extensions": 0, "suspensions": 0, "handbacks": 0, "extended": 0}},
			// 1·10 + 0·5 over 15
			"broken_cover": {3, 66.7, map[string][2]int{"on_time_filing": {1, 1}, "accurate_dispatch": {0, 0}, "on_time_handling": {0, 0},
				"on_time_closing": {0, 0}, "closure": {0, 0}, "rework": {0, 0}, "valid_report": {0, 1}, "on_time_verification": {0, 0}},
				map[string]int{"reported": 1, "extensions": 0, "suspensions": 0, "handbacks": 0, "extended": 0}},
			// (0 + 0.5·10 + 0.5·30 + 0 + 15 + 0.5·5 + 5) / 95 (no valid-report rate: a resident reported)
			"drain_blocked": {4, 44.7, map[string][2]int{"on_time_filing": {0, 1}, "accurate_dispatch": {1, 2}, "on_time_handling": {1, 2},
				"on_time_closing": {0, 1}, "closure": {1, 1}, "rework": {1, 2}, "valid_report": {0, 0}, "on_time_verification": {2, 2}},
				map[string]int{"reported": 1, "extensions": 0, "suspensions": 1, "handbacks": 1, "extended": 0}},
			"minor_repair": {5, 0, map[string][2]int{"on_time_filing": {0, 1}, "accurate_dispatch": {0, 0}, "on_time_handling": {0, 0},
				"on_time_closing": {0, 0}, "closure": {0, 0}, "rework": {0, 0}, "valid_report": {0, 0}, "on_time_verification": {0, 0}},
				map[string]int{"reported": 1, "extensions": 0, "suspensions": 0, "handbacks": 0, "extended": 0}},
			"total": {0, 57.6, total, allCounts},
		}},
		{evaluation.ByMonth, map[string]wantRow{
			// September: C1 and C2 reported, filed, dispatched (C2's extension
			// counts with its step's start; its extended 处置 ends in October).
			"2025-09": {1, 100, map[string][2]int{"on_time_filing": {2, 2}, "accurate_dispatch": {2, 2}, "on_time_handling": {0, 0},
				"on_time_closing": {0, 0}, "closure": {0, 0}, "rework": {0, 0}, "valid_report": {2, 2}, "on_time_verification": {0, 0}},
				map[string]int{"reported": 2, "extensions": 1, "suspensions": 0, "handbacks": 0, "extended": 0}},
			// 0.6·10 + 0.75·10 + 0.5·30 + 0.3333·20 + 0.6·15 + 0.75·5 + 0.6667·5 + 0.75·5
			"2025-10": {2, 55, map[string][2]int{"on_time_filing": {3, 5}, "accurate_dispatch": {3, 4}, "on_time_handling": {3, 6},
				"on_time_closing": {1, 3}, "closure": {3, 5}, "rework": {1, 4}, "valid_report": {2, 3}, "on_time_verification": {3, 4}},
				map[string]int{"reported": 5, "extensions": 0, "suspensions": 1, "handbacks": 1, "extended": 1}},
			"total": {0, 57.6, total, allCounts},
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.by), func(t *testing.T) {
			e := evaluation.New(evaluation.Query{From: from, To: to, AsOf: asOf, By: tt.by}, evaluation.DefaultWeights())
			if err := db.EvaluationCases(t.Context(), from, asOf, func(c *evaluation.Case) error {
				if c.ID == 8 {
					t.Errorf("case 8 closed before the window was read")
				}
				e.Add(c)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			rep := e.Report()
			if diff := cmp.Diff(tt.want, gotRows(t, rep)); diff != "" {
				t.Errorf("evaluation by %s mismatch (-want +got):\n%s", tt.by, diff)
			}
			for i := 1; i < len(rep.Rows) && tt.by != evaluation.ByMonth; i++ {
				if rep.Rows[i].Rank < rep.Rows[i-1].Rank {
					t.Errorf("rows are not in rank order: %d after %d", rep.Rows[i].Rank, rep.Rows[i-1].Rank)
				}
			}
		})
	}

	// Names: sub-districts in English from their areas, case types from the
	// services and defects, months in both languages.
	e := evaluation.New(evaluation.Query{From: from, To: to, AsOf: asOf, By: evaluation.BySubdistrict}, nil)
	db.EvaluationCases(t.Context(), from, asOf, func(c *evaluation.Case) error { e.Add(c); return nil })
	if r := e.Report().Rows[0]; r.Name != "林园街道" || r.NameEn != "Linyuan" {
		t.Errorf("sub-district row named %q / %q, want 林园街道 / Linyuan", r.Name, r.NameEn)
	}

	// As of 10-12 the story is shorter: C1 was the only case closed; C2 and
	// C3 were done but not yet verified, past their 处置 deadlines, so due
	// to close; C3's rework had not started.
	early := maint.EndOfDay(day("2025-10-12"))
	e = evaluation.New(evaluation.Query{From: from, To: to, AsOf: early, By: evaluation.ByUnit}, evaluation.DefaultWeights())
	db.EvaluationCases(t.Context(), from, early, func(c *evaluation.Case) error { e.Add(c); return nil })
	got := gotRows(t, e.Report())["total"].Rates
	want := map[string][2]int{"on_time_handling": {3, 3}, "on_time_closing": {1, 1}, "closure": {1, 3}, "rework": {0, 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("evaluation as of 10-12 mismatch (-want +got):\n%s", diff)
	}
}

// checkFixtureDeadlines checks the deadlines worked out by hand in the
// fixture against the time-limit code: the start, the limit with its
// extension, and the working time a suspension stood still.
func checkFixtureDeadlines(t *testing.T, sql *pgtest.Pool) {
	t.Helper()
	cal := workcal.Default()
	rows, err := sql.Query(t.Context(), `SELECT task_id, step, unit, n, started_at, deadline, extended, paused_seconds FROM task_clocks ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			task            int64
			step, unit      string
			n, extended     float64
			start, deadline time.Time
			paused          int64
		)
		if err := rows.Scan(&task, &step, &unit, &n, &start, &deadline, &extended, &paused); err != nil {
			t.Fatal(err)
		}
		c := timelimit.Start(cal, timelimit.Step(step), timelimit.Rule{Unit: unit, N: n}, start, nil)
		if extended > 0 {
			c.Extend(cal, extended, nil)
		}
		d := *c.Deadline
		if paused > 0 {
			d = cal.AddWorkingHours(d, time.Duration(paused)*time.Second)
		}
		if !d.Equal(deadline) {
			t.Errorf("case %d %s from %s: the fixture says due %s, the calendar %s", task, step,
				start.In(maint.Zone).Format(time.DateTime), deadline.In(maint.Zone).Format(time.DateTime), d.In(maint.Zone).Format(time.DateTime))
		}
	}
}
