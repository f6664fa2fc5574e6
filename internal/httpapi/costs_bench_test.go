package httpapi_test

import (
	"strconv"
	"testing"

	"inframap/internal/cache"
	"inframap/internal/httpapi"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// costLinesFor gives every task of the database cost lines as a year of
// use would leave them: three lines in force (an estimate of labour, actual
// materials, actual equipment) and three superseded earlier, recorded over
// 2024.
const costLinesFor = `
INSERT INTO cost_lines (task_id, position, kind, category, quantity_milli, unit, unit_price_fen, amount_fen, recorded_at, superseded_at, recorded_by)
SELECT t.id, x.pos, x.kind, x.cat, x.q, x.unit, x.p, CASE WHEN x.q IS NULL THEN x.lump ELSE round(x.q::numeric * x.p / 1000)::bigint END,
       timestamptz '2024-01-01 09:00+08' + make_interval(days => (t.id % 300)::int) + x.later,
       CASE WHEN x.old THEN timestamptz '2024-01-01 09:00+08' + make_interval(days => (t.id % 300)::int) + interval '20 days' END, 'eng@ly'
FROM tasks t CROSS JOIN LATERAL (VALUES
  (0, 'estimate', 'labour',    (8000 + t.id % 5000)::bigint, 'h',  6000::bigint, NULL::bigint, interval '0', true),
  (1, 'actual',   'materials', (1250 + t.id % 900)::bigint,  't',  48000::bigint, NULL,       interval '0', true),
  (2, 'actual',   'equipment', NULL,                         '',   NULL,         120000 + t.id % 777, interval '0', true),
  (0, 'estimate', 'labour',    (9000 + t.id % 5000)::bigint, 'h',  6000::bigint, NULL,       interval '20 days', false),
  (1, 'actual',   'materials', (1500 + t.id % 900)::bigint,  't',  48000::bigint, NULL,       interval '20 days', false),
  (2, 'actual',   'equipment', NULL,                         '',   NULL,         150000 + t.id % 777, interval '20 days', false)
) AS x(pos, kind, cat, q, unit, p, lump, later, old)
`

// cityTasks adds n routine tasks, most on the district's assets (several
// to an asset, as years of work leave them), one in twenty at a point of
// its own, dispatched to six crews.
func cityTasks(n int) string {
	return `
INSERT INTO tasks (programme, title, source, asset_id, location, assignee, status)
SELECT 'routine', 'city ' || g, 'engineer',
       CASE WHEN g % 20 <> 0 THEN (SELECT min(id) FROM assets) + (g * 7919) % (SELECT count(*) FROM assets) END,
       CASE WHEN g % 20 = 0 THEN ST_SetSRID(ST_MakePoint(125.15 + (g % 97) * 0.001, 43.84 + (g % 89) * 0.001), 4326) END,
       (SELECT name FROM crews ORDER BY name OFFSET g % 6 LIMIT 1), 'in_progress'
FROM generate_series(1, ` + strconv.Itoa(n) + `) g`
}

// BenchmarkCostRollUp measures GET /api/v1/costs at the district's scale
// (its 1,609 tasks, each with three lines in force and three superseded)
// and at a city's (200,000 tasks more), by each grouping, now and as of a
// past day: cold (no response cache: each request computes the roll-up),
// and at the district's scale cached (a hit). It reports the median and the
// 99th percentile.
func BenchmarkCostRollUp(b *testing.B) {
	for _, scale := range []struct {
		name  string
		tasks int
		cache *cache.Cache
	}{{"district", 0, nil}, {"district-cached", 0, cache.New(64 << 20)}, {"city", 200_000, nil}} {
		b.Run(scale.name, func(b *testing.B) {
			e := newEnvConfig(b, pgtest.District, httpapi.Config{BcryptCost: 4, Cache: scale.cache})
			if scale.tasks > 0 {
				if _, err := e.sql.Exec(b.Context(), cityTasks(scale.tasks)); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := e.sql.Exec(b.Context(), costLinesFor); err != nil {
				b.Fatal(err)
			}
			if _, err := e.sql.Exec(b.Context(), `VACUUM ANALYZE`); err != nil {
				b.Fatal(err)
			}
			b.Logf("%d tasks, %d cost lines", e.count(`SELECT count(*) FROM tasks`), e.count(`SELECT count(*) FROM cost_lines`))
			tok := e.staff()[maint.RoleEngineer]
			for _, by := range []string{"programme", "subdistrict", "unit"} {
				for _, asOf := range []string{"", "2024-06-30"} {
					name := by
					if asOf != "" {
						name += "/as_of"
					}
					b.Run(name, func(b *testing.B) {
						u := e.srv.URL + "/api/v1/costs?by=" + by
						if asOf != "" {
							u += "&as_of=" + asOf
						}
						benchGET(b, u, tok)
					})
				}
			}
		})
	}
}
