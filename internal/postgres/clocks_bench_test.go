package postgres_test

import (
	"slices"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// BenchmarkTaskList1000 lists 1,000 open tasks, each with its running clock
// read (the light, the share, the time left), and the same list read without
// clocks, as before they existed. It reports the p50 and p99 of a list.
//
//	go test -run '^$' -bench TaskList1000 ./internal/postgres/
func BenchmarkTaskList1000(b *testing.B) {
	db := pgtest.NewDB(b, pgtest.District)
	sql := pgtest.SQL(b, db)
	ctx := b.Context()
	// 2,400 open cases on the district's manholes, in every open state,
	// started over the last weeks, with their histories' clocks.
	_, err := sql.Exec(ctx, `
		WITH t AS (
			INSERT INTO tasks (asset_id, title, work_type, source, status, status_at, created_at)
			SELECT a.id, '基准', 'manhole_remediation', 'inspector',
			       (ARRAY['reported', 'filed', 'dispatched', 'in_progress', 'done'])[1 + g % 5],
			       now() - make_interval(hours => g % 500), now() - make_interval(hours => g % 500)
			FROM generate_series(1, 2400) g JOIN assets a ON a.id = (SELECT min(id) FROM assets WHERE kind = 'manhole') + g % 1000
			RETURNING id, status, status_at)
		INSERT INTO task_events (task_id, at, actor, actor_role, to_status) SELECT id, status_at, 'bench', 'system', status FROM t`)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.EnsureClocks(ctx); err != nil {
		b.Fatal(err)
	}
	f := maint.TaskFilter{Statuses: maint.OpenStatuses, Limit: 1000}
	admin := maint.Viewer{Role: maint.RoleAdmin, Email: "bench@test", UserID: 1}
	for _, c := range []struct {
		name string
		list func(*postgres.DB) func(func(*maint.Task) error) (bool, error)
	}{
		{"clocks", func(db *postgres.DB) func(func(*maint.Task) error) (bool, error) {
			return func(emit func(*maint.Task) error) (bool, error) { return db.ListTasks(ctx, f, admin, emit) }
		}},
		{"without clocks", func(db *postgres.DB) func(func(*maint.Task) error) (bool, error) {
			return func(emit func(*maint.Task) error) (bool, error) {
				return db.ListTasksWithoutClocks(ctx, f, admin, emit)
			}
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			list := c.list(db)
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				n := 0
				if _, err := list(func(*maint.Task) error { n++; return nil }); err != nil || n != 1000 {
					b.Fatalf("%d tasks, %v", n, err)
				}
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
