package postgres_test

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"inframap/internal/inspection"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
)

// BenchmarkInspectionsCity measures inspection rounds at city scale
// (docs/inspections.md): the district with the city dataset on top
// (INFRAMAP_BENCH_COVERS manholes, default 1,000,000, and a tenth as many
// street segments), 26 inspectors over the sub-districts; a month's
// generation — every cover monthly, every street segment weekly — and the
// coverage query with 40% of the month done (median and 99th percentile
// of 30 runs). Run it once:
//
//	go test -run '^$' -bench BenchmarkInspectionsCity -benchtime 1x -timeout 60m ./internal/postgres/
func BenchmarkInspectionsCity(b *testing.B) {
	covers := 1_000_000
	if s := os.Getenv("INFRAMAP_BENCH_COVERS"); s != "" {
		var err error
		if covers, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	db := pgtest.NewDB(b, pgtest.District)
	sql := pgtest.SQL(b, db)
	ctx := b.Context()
	start := time.Now()
	if _, err := db.LoadAssets(ctx, seed.City(seed.CitySize{Manholes: covers, Roads: covers / 10, Polygons: 10}), nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("city loaded (%d covers, %d segments) in %s", covers, covers/10, time.Since(start).Round(time.Second))
	if _, err := sql.Exec(ctx, `INSERT INTO users (email, role, password_hash, subdistrict)
		SELECT 'bench' || g || '-' || a.id || '@test', 'inspector', 'x', a.name FROM areas a, generate_series(1, 2) g WHERE a.kind = 'subdistrict'
		UNION ALL SELECT 'bench-district' || g || '@test', 'inspector', 'x', '' FROM generate_series(1, 2) g`); err != nil {
		b.Fatal(err)
	}
	monthStart := iDay("2026-03-01")
	for _, p := range []inspection.Plan{
		{Name: "bench: covers monthly", Kind: maint.KindManhole, Frequency: inspection.Monthly},
		{Name: "bench: segments weekly", Kind: maint.KindRoadRepair, Frequency: inspection.Weekly},
	} {
		p.StartsOn, p.Active = iDay("2026-01-05"), true
		if _, err := db.CreatePlan(ctx, maint.Viewer{Email: "bench"}, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		// The month: its first day makes the covers' month and the first
		// week; each Monday after makes a week.
		start := time.Now()
		var made int64
		for _, day := range []string{"2026-03-01", "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"} {
			n, err := db.Generate(ctx, iDay(day))
			if err != nil {
				b.Fatal(err)
			}
			made += n
		}
		gen := time.Since(start)
		again := time.Now()
		if n, err := db.Generate(ctx, iDay("2026-03-02")); err != nil || n != 0 {
			b.Fatalf("generate again: %d, %v", n, err)
		}
		b.ReportMetric(gen.Seconds(), "generate-month-s")
		b.ReportMetric(float64(made), "inspections")
		b.ReportMetric(time.Since(again).Seconds(), "regenerate-s")
		b.Logf("a month generated: %d inspections in %s; again (nothing to make) in %s", made, gen.Round(time.Millisecond), time.Since(again).Round(time.Millisecond))
	}
	b.StopTimer()
	if _, err := sql.Exec(ctx, `UPDATE inspections SET status = 'done', done_at = now(), result = '{}' WHERE asset_id % 5 < 2`); err != nil {
		b.Fatal(err)
	}
	if _, err := sql.Exec(ctx, `VACUUM ANALYZE inspections`); err != nil {
		b.Fatal(err)
	}
	var times []time.Duration
	var rows int
	for range 30 {
		t0 := time.Now()
		cov, err := db.Coverage(ctx, monthStart, iDay("2026-03-31"))
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
		rows = len(cov)
	}
	slices.Sort(times)
	p50, p99 := times[len(times)/2], times[len(times)*99/100]
	b.ReportMetric(float64(p50.Microseconds())/1000, "coverage-p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "coverage-p99-ms")
	b.Logf("coverage of the month (%d rows): p50 %s, p99 %s", rows, p50.Round(time.Millisecond), p99.Round(time.Millisecond))
	t0 := time.Now()
	page, err := db.Inspections(ctx, inspection.Query{Status: inspection.Missed, Limit: 100}, iDay("2026-04-01"))
	if err != nil || len(page) != 100 {
		b.Fatalf("missed queue: %d, %v", len(page), err)
	}
	b.Logf("missed queue, first page of 100: %s", time.Since(t0).Round(time.Millisecond))
}
