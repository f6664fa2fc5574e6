package postgres_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// Helpers shared by the store tests of assets, features, tiles, clusters,
// stats, areas, export, import and load. Their names start with "a".

// aStaff is the signed-in admin the tests write as. It has no user row, so
// audit rows carry its e-mail and no actor id.
var aStaff = maint.Viewer{Email: "admin@inframap.test", Role: maint.RoleAdmin}

// aIDs runs a query of one bigint column and returns its values.
func aIDs(t *testing.T, sql *pgxpool.Pool, query string, args ...any) []int64 {
	t.Helper()
	rows, err := sql.Query(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids
}

// aCount runs a query of one number and returns it.
func aCount(t *testing.T, sql *pgxpool.Pool, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := sql.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// aList lists the assets that match f, copying what ListAssets lends.
func aList(t *testing.T, db *postgres.DB, f maint.AssetFilter) ([]maint.Asset, bool) {
	t.Helper()
	var out []maint.Asset
	more, err := db.ListAssets(t.Context(), f, func(a *maint.Asset) error {
		c := *a
		c.Attrs = slices.Clone(a.Attrs)
		c.Geometry = slices.Clone(a.Geometry)
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("ListAssets(%+v): %v", f, err)
	}
	return out, more
}

// aListIDs lists the ids of the assets that match f.
func aListIDs(t *testing.T, db *postgres.DB, f maint.AssetFilter) ([]int64, bool) {
	t.Helper()
	ids := []int64{}
	more, err := db.ListAssets(t.Context(), f, func(a *maint.Asset) error {
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("ListAssets(%+v): %v", f, err)
	}
	return ids, more
}

// aFirstIDs returns the ids of the first n assets of kind.
func aFirstIDs(t *testing.T, db *postgres.DB, kind maint.Kind, n int) []int64 {
	t.Helper()
	ids, _ := aListIDs(t, db, maint.AssetFilter{Kinds: []maint.Kind{kind}, Limit: n})
	if len(ids) != n {
		t.Fatalf("%d assets of kind %s, want %d", len(ids), kind, n)
	}
	return ids
}

// aDay is midnight of a calendar day in the district's zone.
func aDay(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, maint.Zone)
	return &t
}

// aAll is a limit above the number of assets of any test database.
const aAll = 100000

// TestListAssetsFilters checks every filter of ListAssets against the ids
// that a query of its own picks out of the district.
func TestListAssetsFilters(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	total := aCount(t, sql, `SELECT count(*) FROM assets`)
	lot := aFirstIDs(t, db, maint.KindParkingLot, 1)[0]
	var zone string
	var zoneLon, zoneLat float64
	if err := sql.QueryRow(t.Context(), `SELECT name, ST_X(p), ST_Y(p) FROM (
		SELECT name, ST_PointOnSurface(geom) AS p FROM areas WHERE kind = 'subdistrict' AND name = '春城街道') z`).Scan(&zone, &zoneLon, &zoneLat); err != nil {
		t.Fatal(err)
	}
	box := &gis.BBox{MinLon: zoneLon - 0.01, MinLat: zoneLat - 0.01, MaxLon: zoneLon + 0.01, MaxLat: zoneLat + 0.01}
	envelope := `ST_MakeEnvelope($1, $2, $3, $4, 4326)`
	boxArgs := []any{box.MinLon, box.MinLat, box.MaxLon, box.MaxLat}
	var firstDay time.Time
	if err := sql.QueryRow(t.Context(), `SELECT (completed_at AT TIME ZONE 'Asia/Shanghai')::date::timestamp
		FROM assets WHERE completed_at IS NOT NULL ORDER BY id LIMIT 1`).Scan(&firstDay); err != nil {
		t.Fatal(err)
	}
	day := aDay(firstDay.Year(), firstDay.Month(), firstDay.Day())
	// A match of q, as a plain substring of name, name_en or code in any case.
	contains := `(strpos(lower(name), lower($1)) > 0 OR strpos(lower(name_en), lower($1)) > 0 OR strpos(lower(code), lower($1)) > 0)`
	shanghai := `(completed_at AT TIME ZONE 'Asia/Shanghai')`

	cases := []struct {
		name   string
		f      maint.AssetFilter
		where  string
		args   []any
		absent bool // the filter is expected to match nothing in the district
	}{
		{"one kind", maint.AssetFilter{Kinds: []maint.Kind{maint.KindManhole}}, `kind = 'manhole'`, nil, false},
		{"two kinds", maint.AssetFilter{Kinds: []maint.Kind{maint.KindCapitalProject, maint.KindParkingLot}},
			`kind IN ('parking_lot', 'capital_project')`, nil, false},
		{"one status", maint.AssetFilter{Statuses: []maint.Status{maint.StatusInProgress}}, `status = 'in_progress'`, nil, false},
		{"two statuses", maint.AssetFilter{Statuses: []maint.Status{maint.StatusReported, maint.StatusFiled}},
			`status IN ('reported', 'filed')`, nil, false},
		{"bbox", maint.AssetFilter{BBox: box}, `ST_Intersects(geom, ` + envelope + `)`, boxArgs, false},
		{"q in name", maint.AssetFilter{Q: "迎宾"}, contains, []any{"迎宾"}, false},
		{"q in name_en, any case", maint.AssetFilter{Q: "yingBIN"}, contains, []any{"yingBIN"}, false},
		{"q in code", maint.AssetFilter{Q: "dl-01"}, contains, []any{"dl-01"}, false},
		{"q with _ is literal", maint.AssetFilter{Q: "_"}, contains, []any{"_"}, true},
		{"q with % is literal", maint.AssetFilter{Q: "%"}, contains, []any{"%"}, true},
		{"subdistrict", maint.AssetFilter{Subdistrict: zone}, `subdistrict = $1`, []any{zone}, false},
		{"parent", maint.AssetFilter{ParentID: &lot}, `parent_id = $1`, []any{lot}, false},
		{"completed within a month", maint.AssetFilter{CompletedFrom: aDay(2024, 3, 1), CompletedTo: aDay(2024, 3, 31)},
			`to_char(` + shanghai + `, 'YYYY-MM') = '2024-03'`, nil, false},
		{"completed from", maint.AssetFilter{CompletedFrom: aDay(2024, 8, 1)}, shanghai + `::date >= '2024-08-01'`, nil, false},
		{"completed to, the day included", maint.AssetFilter{CompletedTo: aDay(2023, 2, 28)}, shanghai + `::date <= '2023-02-28'`, nil, false},
		{"completed on one day", maint.AssetFilter{CompletedFrom: day, CompletedTo: day}, shanghai + `::date = $1::date`,
			[]any{firstDay.Format(time.DateOnly)}, false},
		{"after", maint.AssetFilter{After: 2000}, `id > 2000`, nil, false},
		{"kind, status, zone and box together",
			maint.AssetFilter{Kinds: []maint.Kind{maint.KindManhole}, Statuses: []maint.Status{maint.StatusClosed}, Subdistrict: zone, BBox: box},
			`kind = 'manhole' AND status = 'closed' AND subdistrict = $5 AND ST_Intersects(geom, ` + envelope + `)`,
			append(slices.Clone(boxArgs), zone), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := aIDs(t, sql, `SELECT id FROM assets WHERE `+c.where+` ORDER BY id`, c.args...)
			if c.absent != (len(want) == 0) || int64(len(want)) == total {
				t.Fatalf("the district does not test this filter: %d of %d assets match", len(want), total)
			}
			f := c.f
			f.Limit = aAll
			got, more := aListIDs(t, db, f)
			if more {
				t.Errorf("ListAssets(%+v): more = true with a limit above every asset", f)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ListAssets(%+v): %d ids, want %d (-want +got):\n%s", f, len(got), len(want), diff)
			}
		})
	}
}

// TestListAssetsRows checks that a listed asset carries what Asset returns
// for it (without tasks), for every kind.
func TestListAssetsRows(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ids := aIDs(t, sql, `SELECT min(id) FROM assets GROUP BY kind UNION SELECT max(id) FROM assets GROUP BY kind ORDER BY 1`)
	listed, _ := aList(t, db, maint.AssetFilter{Limit: aAll})
	byID := map[int64]maint.Asset{}
	for _, a := range listed {
		byID[a.ID] = a
	}
	if len(byID) != len(listed) {
		t.Errorf("ListAssets emitted %d assets, %d distinct", len(listed), len(byID))
	}
	for _, id := range ids {
		one, err := db.Asset(t.Context(), id, aStaff)
		if err != nil {
			t.Fatalf("Asset(%d): %v", id, err)
		}
		one.Tasks = nil
		got, ok := byID[id]
		if !ok {
			t.Errorf("ListAssets did not list asset %d", id)
			continue
		}
		if diff := cmp.Diff(*one, got); diff != "" {
			t.Errorf("asset %d listed differs from Asset(%d) (-Asset +ListAssets):\n%s", id, id, diff)
		}
		var attrs map[string]any
		var geom struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		}
		if err := json.Unmarshal(got.Attrs, &attrs); err != nil || attrs == nil {
			t.Errorf("asset %d: attrs %q are not a JSON object: %v", id, got.Attrs, err)
		}
		if err := json.Unmarshal(got.Geometry, &geom); err != nil || geom.Type == "" || len(geom.Coordinates) == 0 {
			t.Errorf("asset %d: geometry %q is not GeoJSON: %v", id, got.Geometry, err)
		}
	}
}

// TestListAssetsPaging walks the district page by page with the keyset
// cursor and checks the pages add up to the whole, and when more is set.
func TestListAssetsPaging(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	all := aIDs(t, sql, `SELECT id FROM assets ORDER BY id`)
	for _, limit := range []int{100, 700} {
		var got []int64
		f := maint.AssetFilter{Limit: limit}
		for page := 0; ; page++ {
			ids, more := aListIDs(t, db, f)
			if len(ids) > limit {
				t.Fatalf("ListAssets(%+v) = %d assets, more than the limit", f, len(ids))
			}
			got = append(got, ids...)
			if wantMore := len(got) < len(all); more != wantMore {
				t.Errorf("ListAssets(%+v): more = %v after %d of %d assets, want %v", f, more, len(got), len(all), wantMore)
			}
			if !more || len(ids) == 0 || page > len(all) {
				break
			}
			if len(ids) != limit {
				t.Errorf("ListAssets(%+v) = %d assets on a page that is not the last, want %d", f, len(ids), limit)
			}
			f.After = ids[len(ids)-1]
		}
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("pages of %d: (-all +pages):\n%s", limit, diff)
		}
	}

	lots := aCount(t, sql, `SELECT count(*) FROM assets WHERE kind = 'parking_lot'`)
	cases := []struct {
		name     string
		f        maint.AssetFilter
		want     int
		wantMore bool
	}{
		{"limit exactly the matches", maint.AssetFilter{Kinds: []maint.Kind{maint.KindParkingLot}, Limit: int(lots)}, int(lots), false},
		{"limit one short", maint.AssetFilter{Kinds: []maint.Kind{maint.KindParkingLot}, Limit: int(lots) - 1}, int(lots) - 1, true},
		{"no limit means the default", maint.AssetFilter{}, maint.DefaultLimit, true},
		{"after the last id", maint.AssetFilter{After: all[len(all)-1]}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids, more := aListIDs(t, db, c.f)
			if len(ids) != c.want || more != c.wantMore {
				t.Errorf("ListAssets(%+v) = %d, more %v; want %d, more %v", c.f, len(ids), more, c.want, c.wantMore)
			}
		})
	}
}

// TestListAssetsAsOf replays statuses at the end of past days: against a
// replay of the history written here, and against the completion dates the
// trigger keeps on the assets.
func TestListAssetsAsOf(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	// replay is each asset's status at the cut: the last status reached
	// before it by the newest task that had reached one.
	const replay = `
		SELECT a.id, coalesce(h.to_status, 'none') FROM assets a LEFT JOIN (
			SELECT DISTINCT ON (t.asset_id) t.asset_id, e.to_status
			FROM tasks t JOIN task_events e ON e.task_id = t.id
			WHERE e.at < $1 AND e.to_status IS NOT NULL
			ORDER BY t.asset_id, t.created_at DESC, t.id DESC, e.at DESC, e.id DESC) h ON h.asset_id = a.id
		ORDER BY a.id`
	for _, day := range []*time.Time{aDay(2022, 12, 31), aDay(2023, 6, 30), aDay(2024, 8, 31), aDay(2024, 10, 15)} {
		t.Run(day.Format(time.DateOnly), func(t *testing.T) {
			cut := maint.EndOfDay(*day)
			rows, err := sql.Query(t.Context(), replay, cut)
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]string{}
			var id int64
			var status string
			if _, err := pgx.ForEachRow(rows, []any{&id, &status}, func() error { want[id] = status; return nil }); err != nil {
				t.Fatal(err)
			}
			listed, _ := aList(t, db, maint.AssetFilter{AsOf: day, Limit: aAll})
			got := map[int64]string{}
			for _, a := range listed {
				got[a.ID] = "none"
				if a.Status != nil {
					got[a.ID] = string(*a.Status)
					if a.StatusAt == nil || !a.StatusAt.Before(cut) {
						t.Errorf("asset %d as of %s: status at %v, not before the cut %v", a.ID, day.Format(time.DateOnly), a.StatusAt, cut)
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ListAssets(AsOf %s) statuses (-replay +got):\n%s", day.Format(time.DateOnly), diff)
			}

			// Every programme case runs inside the window and routine work
			// starts after it: until then an asset is closed exactly when
			// its completion (kept on the asset) came before the cut.
			closed, _ := aListIDs(t, db, maint.AssetFilter{AsOf: day, Statuses: []maint.Status{maint.StatusClosed}, Limit: aAll})
			if day.Before(*aDay(2024, 9, 1)) {
				wantClosed := aIDs(t, sql, `SELECT id FROM assets WHERE completed_at < $1 ORDER BY id`, cut)
				if diff := cmp.Diff(wantClosed, closed); diff != "" {
					t.Errorf("ListAssets(AsOf %s, closed) (-completed before the cut +got):\n%s", day.Format(time.DateOnly), diff)
				}
			}
			n := 0
			for _, s := range got {
				if s == "closed" {
					n++
				}
			}
			if len(closed) != n {
				t.Errorf("ListAssets(AsOf %s, closed) = %d, want %d as the unfiltered replay says", day.Format(time.DateOnly), len(closed), n)
			}
		})
	}
	// The replay differs from today's statuses: later routine work reopened
	// assets that the programme had closed.
	then, _ := aListIDs(t, db, maint.AssetFilter{AsOf: aDay(2024, 8, 31), Statuses: []maint.Status{maint.StatusClosed}, Limit: aAll})
	now, _ := aListIDs(t, db, maint.AssetFilter{Statuses: []maint.Status{maint.StatusClosed}, Limit: aAll})
	if want := aCount(t, sql, `SELECT count(*) FROM assets WHERE status = 'closed'`); int64(len(now)) != want || len(then) <= len(now) {
		t.Errorf("closed assets: %d on 2024-08-31, %d now; want %d now and more before the routine work", len(then), len(now), want)
	}
}

// TestAsset reads one asset with its tasks for staff and for the public,
// one without tasks, and one that does not exist.
func TestAsset(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	// An asset with more than one task, one of them reported by a resident
	// and with internal notes.
	id := aCount(t, sql, `SELECT min(t.asset_id) FROM tasks t WHERE t.reporter_name <> ''
		AND EXISTS (SELECT 1 FROM task_events e WHERE e.task_id = t.id AND e.internal)
		AND (SELECT count(*) FROM tasks o WHERE o.asset_id = t.asset_id) > 1`)
	taskIDs := aIDs(t, sql, `SELECT id FROM tasks WHERE asset_id = $1 ORDER BY created_at DESC, id DESC`, id)

	t.Run("staff", func(t *testing.T) {
		a, err := db.Asset(ctx, id, aStaff)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		reporters := 0
		for _, task := range a.Tasks {
			got = append(got, task.ID)
			if task.ReporterName != "" {
				reporters++
			}
			events := aCount(t, sql, `SELECT count(*) FROM task_events WHERE task_id = $1`, task.ID)
			if int64(len(task.History)) != events {
				t.Errorf("task %d: %d events, want %d", task.ID, len(task.History), events)
			}
			if !slices.IsSortedFunc(task.History, func(x, y maint.Event) int { return x.At.Compare(y.At) }) {
				t.Errorf("task %d: history out of order", task.ID)
			}
		}
		if diff := cmp.Diff(taskIDs, got); diff != "" {
			t.Errorf("Asset(%d) tasks (-newest first +got):\n%s", id, diff)
		}
		if reporters == 0 {
			t.Errorf("Asset(%d) as staff: no task shows its reporter", id)
		}
		if a.Status == nil || len(a.Tasks) == 0 || *a.Status != a.Tasks[0].Status {
			t.Errorf("Asset(%d).Status = %v, want the newest task's", id, a.Status)
		}
	})
	t.Run("public", func(t *testing.T) {
		a, err := db.Asset(ctx, id, maint.Viewer{})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Tasks) != len(taskIDs) {
			t.Fatalf("Asset(%d) as the public: %d tasks, want %d", id, len(a.Tasks), len(taskIDs))
		}
		for _, task := range a.Tasks {
			if task.ReporterName != "" || task.ReporterContact != "" {
				t.Errorf("task %d shows its reporter (%q, %q) to the public", task.ID, task.ReporterName, task.ReporterContact)
			}
			events := aCount(t, sql, `SELECT count(*) FROM task_events WHERE task_id = $1 AND NOT internal`, task.ID)
			if int64(len(task.History)) != events {
				t.Errorf("task %d as the public: %d events, want the %d that are not internal", task.ID, len(task.History), events)
			}
			for _, e := range task.History {
				if e.Internal || e.Actor != e.ActorRole {
					t.Errorf("task %d event %d: internal %v, actor %q (role %q) shown to the public", task.ID, e.ID, e.Internal, e.Actor, e.ActorRole)
				}
			}
		}
	})
	t.Run("without tasks", func(t *testing.T) {
		bare := aCount(t, sql, `SELECT min(id) FROM assets a WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE asset_id = a.id)`)
		a, err := db.Asset(ctx, bare, aStaff)
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != bare || len(a.Tasks) != 0 || a.Status != nil || a.StatusAt != nil {
			t.Errorf("Asset(%d) = id %d, %d tasks, status %v at %v; want no tasks and no status", bare, a.ID, len(a.Tasks), a.Status, a.StatusAt)
		}
	})
	t.Run("not found", func(t *testing.T) {
		missing := aCount(t, sql, `SELECT max(id) + 1000 FROM assets`)
		a, err := db.Asset(ctx, missing, aStaff)
		if maint.ErrorCode(err) != maint.CodeNotFound {
			t.Errorf("Asset(%d) = %v, %v; want code %s", missing, a, err, maint.CodeNotFound)
		}
	})
}
