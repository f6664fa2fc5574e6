package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"inframap/internal/cache"
	"inframap/internal/httpapi"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// cityCases gives the district dataset the city's load of cases: 20,000
// more over the last year (about 22,000 in all), each with its clocks as
// the time-limit code keeps them — filed on time or late, handled by one of
// five units, some handed back, reworked, extended or suspended, some still
// running.
const cityCases = `
INSERT INTO tasks (title, work_type, status, status_at, source, location, created_at, updated_at)
SELECT 'city ' || g, (ARRAY['pothole','road_surface','manhole_broken','drain_blocked','minor_repair'])[1 + g % 5],
       (ARRAY['closed','closed','closed','in_progress','done','reported'])[1 + g % 6],
       now() - make_interval(days => g % 360) + interval '5 days', 'inspector',
       ST_SetSRID(ST_MakePoint(125.20 + (g % 97) * 0.001, 43.84 + (g % 89) * 0.001), 4326),
       now() - make_interval(days => g % 360), now()
FROM generate_series(1, 20000) g;
INSERT INTO task_events (task_id, at, actor, actor_role, from_status, to_status)
SELECT id, created_at, 'insp' || (id % 12) || '@ly', 'inspector', NULL, 'reported' FROM tasks WHERE title LIKE 'city %';
INSERT INTO task_clocks (task_id, step, unit, n, assignee, started_at, deadline, ended_at, outcome, late)
SELECT id, 'file', 'working_hours', 2, '', created_at, created_at + interval '2 hours',
       CASE WHEN status <> 'reported' THEN created_at + make_interval(mins => (id % 180)::int) END,
       CASE WHEN status <> 'reported' THEN 'passed' END,
       CASE WHEN status <> 'reported' THEN id % 180 > 120 END
FROM tasks WHERE title LIKE 'city %';
INSERT INTO task_clocks (task_id, step, unit, n, assignee, started_at, deadline, extensions, extended, suspensions, paused_seconds, rework, ended_at, outcome, late)
SELECT id, 'handle', 'working_days', 5, '养护' || (id % 5) || '队', created_at + interval '3 hours', created_at + interval '7 days',
       (id % 17 = 0)::int, CASE WHEN id % 17 = 0 THEN 2 ELSE 0 END, (id % 23 = 0)::int, CASE WHEN id % 23 = 0 THEN 3600 ELSE 0 END, id % 19 = 0,
       CASE WHEN status IN ('closed', 'done') THEN created_at + make_interval(days => (id % 9)::int, hours => 4) END,
       CASE WHEN status IN ('closed', 'done') THEN 'passed' END,
       CASE WHEN status IN ('closed', 'done') THEN id % 9 >= 7 END
FROM tasks WHERE title LIKE 'city %' AND status <> 'reported';
INSERT INTO task_clocks (task_id, step, unit, n, assignee, started_at, deadline, ended_at, outcome, late)
SELECT id, 'verify', 'working_days', 1, '', created_at + make_interval(days => (id % 9)::int, hours => 4),
       created_at + make_interval(days => (id % 9)::int + 1, hours => 4),
       CASE WHEN status = 'closed' THEN created_at + make_interval(days => (id % 9)::int, hours => 8) END,
       CASE WHEN status = 'closed' THEN 'passed' END, CASE WHEN status = 'closed' THEN false END
FROM tasks WHERE title LIKE 'city %' AND status IN ('closed', 'done');
INSERT INTO task_events (task_id, at, actor, actor_role, from_status, to_status)
SELECT task_id, ended_at, 'insp' || (task_id % 7) || '@ly', 'inspector', 'done', 'closed' FROM task_clocks WHERE step = 'verify' AND ended_at IS NOT NULL;
`

// BenchmarkEvaluation measures GET /api/v1/evaluation over the last twelve
// months of about 22,000 cases: cold (no response cache: the read and the
// computation every time) and cached (a hit). It reports the median and the
// 99th percentile.
func BenchmarkEvaluation(b *testing.B) {
	for _, c := range []struct {
		name  string
		cache *cache.Cache
	}{{"cold", nil}, {"cached", cache.New(64 << 20)}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnvConfig(b, pgtest.District, httpapi.Config{BcryptCost: 4, Cache: c.cache})
			if _, err := e.sql.Exec(b.Context(), cityCases); err != nil {
				b.Fatal(err)
			}
			// As a database that has served a while: hint bits set, statistics known.
			if _, err := e.sql.Exec(b.Context(), `VACUUM ANALYZE`); err != nil {
				b.Fatal(err)
			}
			b.Logf("%d tasks, %d clocks", e.count(`SELECT count(*) FROM tasks`), e.count(`SELECT count(*) FROM task_clocks`))
			tok := e.staff()[maint.RoleEngineer]
			for _, by := range []string{"unit", "subdistrict", "month"} {
				b.Run(by, func(b *testing.B) {
					benchGET(b, e.srv.URL+"/api/v1/evaluation?by="+by+"&as_of="+time.Now().Format(time.DateOnly), tok)
				})
			}
		})
	}
}

func drain(res *http.Response) {
	buf := make([]byte, 32<<10)
	for {
		if _, err := res.Body.Read(buf); err != nil {
			break
		}
	}
	res.Body.Close()
}

// benchGET measures GET url with the bearer token tok, after one request
// first (the cached runs measure hits, the cold ones a database whose pages
// are in memory), and reports the p50 and p99 of the requests.
func benchGET(b *testing.B, url, tok string) {
	b.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		b.Fatalf("GET: %v %v", err, res)
	} else {
		drain(res)
	}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("GET: %v %v", err, res)
		}
		drain(res)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
