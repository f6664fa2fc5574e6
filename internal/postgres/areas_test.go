package postgres_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"inframap/internal/postgres/pgtest"
)

// TestAreas checks that Areas gives the district and every sub-district
// stored, the district first, each geometry a valid GeoJSON multipolygon
// inside the district, and nothing for an empty database.
func TestAreas(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	areas, err := db.Areas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sql.Query(ctx, `SELECT kind || ' ' || name || ' ' || name_en FROM areas ORDER BY kind, id`)
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		want = append(want, s)
	}
	subdistricts := 0
	for _, a := range areas {
		got = append(got, a.Kind+" "+a.Name+" "+a.NameEn)
		if a.Kind == "subdistrict" {
			subdistricts++
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Areas (-stored +got):\n%s", diff)
	}
	if n := aCount(t, sql, `SELECT count(*) FROM areas WHERE kind = 'subdistrict'`); len(areas) == 0 || areas[0].Kind != "district" ||
		int64(subdistricts) != n || n == 0 {
		t.Fatalf("Areas = %d areas, %d sub-districts; want the district first and %d sub-districts", len(areas), subdistricts, n)
	}

	district, ok := aDecode(t, areas[0].Geometry).(orb.MultiPolygon)
	if !ok {
		t.Fatalf("district geometry is a %T, want a MultiPolygon", aDecode(t, areas[0].Geometry))
	}
	outline := district.Bound().Pad(1e-6) // GeoJSON of six decimals
	total := 0.0
	for _, a := range areas {
		g, ok := aDecode(t, a.Geometry).(orb.MultiPolygon)
		if !ok || len(g) == 0 {
			t.Errorf("area %s: geometry %T, want a non-empty MultiPolygon", a.Name, aDecode(t, a.Geometry))
			continue
		}
		for _, p := range g {
			for _, r := range p {
				if len(r) < 4 || !r.Closed() {
					t.Errorf("area %s: a ring of %d points, closed %v", a.Name, len(r), r.Closed())
				}
			}
		}
		if b := g.Bound(); !outline.Contains(b.Min) || !outline.Contains(b.Max) {
			t.Errorf("area %s lies outside the district: %v not in %v", a.Name, b, outline)
		}
		if a.Kind == "subdistrict" {
			total += planar.Area(g)
		}
		if a.Source == "" || a.ID == 0 {
			t.Errorf("area %s: id %d, source %q", a.Name, a.ID, a.Source)
		}
	}
	// The zones tile the district: their areas add up to its area.
	if whole := planar.Area(district); total < whole*0.999 || total > whole*1.001 {
		t.Errorf("sub-districts cover %g square degrees of the district's %g", total, whole)
	}
	// PostGIS reads each geometry back as a valid one.
	for _, a := range areas {
		var valid bool
		if err := sql.QueryRow(ctx, `SELECT ST_IsValid(ST_GeomFromGeoJSON($1::text))`, string(a.Geometry)).Scan(&valid); err != nil || !valid {
			t.Errorf("area %s: valid %v, %v", a.Name, valid, err)
		}
	}

	empty, err := pgtest.NewDB(t, pgtest.Empty).Areas(ctx)
	if err != nil || len(empty) != 0 {
		t.Errorf("Areas of an empty database = %v, %v; want none", empty, err)
	}
}
