package postgres_test

import (
	"context"
	"testing"

	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
)

// TestLoadCity loads a small city through the bulk path, on top of the
// district, and checks what arrived.
func TestLoadCity(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := context.Background()
	size := seed.CitySize{Manholes: 5000, Roads: 2000, Polygons: 100}
	var calls int
	n, err := db.LoadAssets(ctx, seed.City(size), func(int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if want := seed.CityCount(size); n != int64(want) {
		t.Errorf("loaded %d, want %d", n, want)
	}
	if calls == 0 {
		t.Error("no progress reported")
	}
	checks := []struct {
		sql  string
		want int64
	}{
		{`SELECT count(*) FROM assets WHERE (attrs->>'city')::bool AND kind = 'manhole'`, 5000},
		{`SELECT count(*) FROM assets WHERE (attrs->>'city')::bool AND kind IN ('sewer_separation', 'parking_lot')`, 100},
		{`SELECT count(*) FROM assets WHERE NOT ST_IsValid(geom)`, 0},
		{`SELECT count(*) FROM assets WHERE kind = 'manhole'`, 6300},
		// The indexes dropped for the copy are back.
		{`SELECT count(*) FROM pg_indexes WHERE tablename = 'assets' AND indexname IN ('assets_geom_idx', 'assets_kind_idx', 'assets_status_idx')`, 3},
	}
	for _, c := range checks {
		var got int64
		if err := sql.QueryRow(ctx, c.sql).Scan(&got); err != nil || got != c.want {
			t.Errorf("%s = %d (%v), want %d", c.sql, got, err, c.want)
		}
	}
	tasks, err := db.AddCityTasks(ctx)
	if err != nil || tasks == 0 {
		t.Errorf("city tasks: %d %v", tasks, err)
	}
	var mismatched int
	sql.QueryRow(ctx, `SELECT count(*) FROM assets a JOIN tasks t ON t.asset_id = a.id WHERE (a.attrs->>'city')::bool AND a.status IS DISTINCT FROM t.status`).Scan(&mismatched)
	if mismatched != 0 {
		t.Errorf("%d assets disagree with their task's status", mismatched)
	}
}
