package httpapi_test

import (
	"os"
	"testing"

	"inframap/internal/httpapi"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// cityGraded gives the district the city's graded assets: 100,000 road
// sections with a PCI and 1,000,000 covers with a grade (as if every cover
// had been inspected), a tenth of them with an open case each.
const cityGraded = `
INSERT INTO assets (kind, code, name, attrs, geom, pci, condition_grade, condition_at)
SELECT 'road_repair', 'CB-RD-' || g, '城市路段 ' || g,
       jsonb_build_object('road_class', CASE WHEN g % 4 = 0 THEN 'arterial' ELSE 'local' END, 'width_m', 12, 'length_m', 100),
       ST_SetSRID(ST_MakeLine(ST_MakePoint(125.1 + (g % 400) * 0.0005, 43.8 + (g / 400) * 0.0005),
                              ST_MakePoint(125.1 + (g % 400) * 0.0005 + 0.0004, 43.8 + (g / 400) * 0.0005)), 4326),
       (g * 7919 % 1000) / 10.0, CASE WHEN g * 7919 % 1000 >= 800 THEN 'A' WHEN g * 7919 % 1000 >= 650 THEN 'B' WHEN g * 7919 % 1000 >= 600 THEN 'C' ELSE 'D' END, now()
FROM generate_series(1, 100000) g;
INSERT INTO assets (kind, code, name, attrs, geom, condition_grade, condition_at)
SELECT 'manhole', 'CB-MH-' || g, '城市井盖 ' || g, '{}',
       ST_SetSRID(ST_MakePoint(125.1 + (g % 1000) * 0.0002, 43.8 + (g / 1000) * 0.0002), 4326),
       (ARRAY['A','A','A','A','A','A','B','B','C','D'])[1 + g % 10], now()
FROM generate_series(1, 1000000) g;
INSERT INTO tasks (asset_id, title, status, source)
SELECT id, 'open', 'filed', 'inspector' FROM assets WHERE code LIKE 'CB-%' AND id % 10 = 0;
`

// BenchmarkWorkList measures GET /api/v1/worklist (first page of 50, and a
// filtered one) over the district's 140 graded sections and, with
// INFRAMAP_BENCH_CITY=1, over the city's 1.1 million graded assets. It
// reports the median and the 99th percentile.
func BenchmarkWorkList(b *testing.B) {
	scales := []string{"district"}
	if os.Getenv("INFRAMAP_BENCH_CITY") != "" {
		scales = append(scales, "city")
	}
	for _, scale := range scales {
		b.Run(scale, func(b *testing.B) {
			e := newEnvConfig(b, pgtest.District, httpapi.Config{BcryptCost: 4})
			if scale == "city" {
				if _, err := e.sql.Exec(b.Context(), cityGraded); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := e.sql.Exec(b.Context(), `VACUUM ANALYZE`); err != nil {
				b.Fatal(err)
			}
			b.Logf("%d graded assets, %d open cases", e.count(`SELECT count(*) FROM assets WHERE condition_grade IS NOT NULL`),
				e.count(`SELECT count(*) FROM tasks WHERE status NOT IN ('closed', 'rejected', 'cancelled')`))
			tok := e.staff()[maint.RoleEngineer]
			for _, q := range []string{"limit=50", "kind=road_repair&grade=D&limit=50"} {
				b.Run(q, func(b *testing.B) {
					benchGET(b, e.srv.URL+"/api/v1/worklist?"+q, tok)
				})
			}
		})
	}
}
