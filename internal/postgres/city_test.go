package postgres_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"inframap/internal/maint"
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

// aManholeRecords yields n manholes on a line across the district, coded
// prefix + serial; the one at bad (1-based) has a geometry EWKB cannot
// carry.
func aManholeRecords(n int, prefix string, bad int) iter.Seq[*maint.AssetRecord] {
	return func(yield func(*maint.AssetRecord) bool) {
		for i := 1; i <= n; i++ {
			a := &maint.AssetRecord{Kind: maint.KindManhole, Code: fmt.Sprintf("%s%06d", prefix, i), Name: "井",
				Attrs:    map[string]any{"cover_category": "0101"},
				Geometry: orb.Point{125.20 + 0.08*float64(i)/float64(n), 43.88}}
			if i == bad {
				a.Geometry = orb.Collection{orb.Point{125.2, 43.88}}
			}
			if !yield(a) {
				return
			}
		}
	}
}

// TestLoadAssetsProgress checks that LoadAssets reports progress every
// 10,000 rows and at the end, stores every row, and leaves sub-districts
// for a later pass.
func TestLoadAssetsProgress(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	before, err := db.CountAssets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var calls []int
	n, err := db.LoadAssets(ctx, aManholeRecords(20001, "P", 0), func(n int) { calls = append(calls, n) })
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{10000, 20000, 20001}; n != 20001 || !slices.Equal(calls, want) {
		t.Errorf("LoadAssets(20001) = %d, progress %v; want 20001, %v", n, calls, want)
	}
	if after, _ := db.CountAssets(ctx); after != before+20001 {
		t.Errorf("CountAssets after loading 20001 = %d, want %d", after, before+20001)
	}
	if got := aCount(t, sql, `SELECT count(*) FROM assets WHERE code LIKE 'P%' AND subdistrict = '' AND kind = 'manhole'
		AND attrs = '{"cover_category": "0101"}' AND status IS NULL`); got != 20001 {
		t.Errorf("%d loaded manholes as given, with no sub-district yet; want 20001", got)
	}
}

// TestLoadAssetsAllOrNothing checks that a load that fails part way, or
// that repeats codes already stored, stores nothing and keeps the indexes.
func TestLoadAssetsAllOrNothing(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	indexes := `SELECT count(*) FROM pg_indexes WHERE tablename = 'assets'`
	nIndexes := aCount(t, sql, indexes)
	if _, err := db.LoadAssets(ctx, aManholeRecords(100, "Q", 0), nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		records iter.Seq[*maint.AssetRecord]
		code    maint.Code
	}{
		// The row's fault, not a query out of time (pgx aborts the COPY
		// and the server calls it cancelled).
		{"a geometry EWKB cannot carry", aManholeRecords(50, "R", 30), maint.CodeInvalid},
		{"codes already stored", aManholeRecords(50, "Q", 0), maint.CodeConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := db.LoadAssets(ctx, c.records, nil)
			if err == nil || c.code != "" && maint.ErrorCode(err) != c.code {
				t.Errorf("LoadAssets(%s) = %d, %v; want code %s", c.name, n, err, c.code)
			}
			if got, _ := db.CountAssets(ctx); got != 100 {
				t.Errorf("after a failed load: %d assets, want 100", got)
			}
			if got := aCount(t, sql, indexes); got != nIndexes {
				t.Errorf("after a failed load: %d indexes on assets, want %d", got, nIndexes)
			}
		})
	}
}

// TestAddCityTasksOnce checks that AddCityTasks gives only city manholes a
// case with one event, closes the closed ones, and adds nothing when run
// again.
func TestAddCityTasksOnce(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	tasks := `SELECT count(*) FROM tasks`
	before := aCount(t, sql, tasks)
	if _, err := db.LoadAssets(ctx, seed.City(seed.CitySize{Manholes: 2000, Roads: 10, Polygons: 5}), nil); err != nil {
		t.Fatal(err)
	}
	n, err := db.AddCityTasks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := aCount(t, sql, tasks) - before; n == 0 || got != n {
		t.Errorf("AddCityTasks = %d; %d tasks were added", n, got)
	}
	checks := []struct {
		name string
		sql  string
	}{
		{"tasks on other assets than city manholes", `SELECT count(*) FROM tasks t JOIN assets a ON a.id = t.asset_id
			WHERE t.source = 'import' AND t.programme = 'routine' AND NOT (a.kind = 'manhole' AND coalesce((a.attrs->>'city')::bool, false))`},
		{"city tasks without exactly one event", `SELECT count(*) FROM tasks t JOIN assets a ON a.id = t.asset_id
			WHERE (a.attrs->>'city')::bool AND (SELECT count(*) FROM task_events e WHERE e.task_id = t.id AND e.to_status = t.status) <> 1`},
		{"closed city tasks without closed_at", `SELECT count(*) FROM tasks t JOIN assets a ON a.id = t.asset_id
			WHERE (a.attrs->>'city')::bool AND t.status = 'closed' AND t.closed_at IS DISTINCT FROM t.status_at`},
	}
	for _, c := range checks {
		if got := aCount(t, sql, c.sql); got != 0 {
			t.Errorf("%s: %d", c.name, got)
		}
	}
	again, err := db.AddCityTasks(ctx)
	if err != nil || again != 0 {
		t.Errorf("AddCityTasks again = %d, %v; want 0", again, err)
	}
	if got := aCount(t, sql, tasks) - before; got != n {
		t.Errorf("after running twice: %d tasks added, want %d", got, n)
	}
}
