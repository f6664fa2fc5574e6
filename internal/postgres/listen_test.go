package postgres_test

import (
	"context"
	"math"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// bFeed records what the listener delivers.
type bFeed struct {
	changes  chan postgres.Change
	lost     atomic.Int32
	restored atomic.Int32
}

func (f *bFeed) Changed(c postgres.Change) { f.changes <- c }
func (f *bFeed) Lost()                     { f.lost.Add(1) }
func (f *bFeed) Restored()                 { f.restored.Add(1) }

// bUntilBarrier collects the notices up to a marker notice of its own:
// notices arrive in commit order, so by then every earlier one has.
func bUntilBarrier(t testing.TB, sql *pgtest.Pool, f *bFeed, id string) []postgres.Change {
	t.Helper()
	if _, err := sql.Exec(t.Context(), `SELECT pg_notify($1, json_build_object('kind', 'b-marker', 'id', $2::text)::text)`, postgres.ChangeChannel, id); err != nil {
		t.Fatalf("marker %s: %v", id, err)
	}
	var out []postgres.Change
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c := <-f.changes:
			if c.Kind == "b-marker" && c.ID == id {
				return out
			}
			out = append(out, c)
		case <-timeout:
			t.Fatalf("barrier %s did not arrive; got %+v", id, out)
		}
	}
}

func bHasKind(cs []postgres.Change, kind string) *postgres.Change {
	for i := range cs {
		if cs[i].Kind == kind {
			return &cs[i]
		}
	}
	return nil
}

// TestListenChanges checks that writes to tasks and assets reach a listener
// as notices, in commit order behind a barrier, and that the listener comes
// back after its connection is killed.
func TestListenChanges(t *testing.T) {
	plain := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, plain)
	staff := bStaff(t, plain)
	mh := bManholes(t, plain, 1)[0]
	u, err := url.Parse(plain.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "b-listener")
	u.RawQuery = q.Encode()

	// The store's sessions, its listener among them, are named b-listener
	// so that the test can find the listener's connection and break it.
	feed := &bFeed{changes: make(chan postgres.Change, 1000)}
	db := pgtest.Open(t, u.String(), postgres.Config{Changes: feed})
	var logged atomic.Int32
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.ListenChanges(ctx, func(error) { logged.Add(1) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	bWait(t, "the listener to start", func() bool { return feed.restored.Load() == 1 })

	task := bNewTask(t, db, staff[maint.RoleEngineer], mh.ID, "b: noticed")
	t.Run("a task moves its asset", func(t *testing.T) {
		bUntilBarrier(t, sql, feed, "b-0")
		task = bMove(t, db, staff, task, bStep(maint.StatusFiled))
		got := bUntilBarrier(t, sql, feed, "b-1")
		if bHasKind(got, "tasks") == nil {
			t.Errorf("notices after a transition = %+v; want a tasks notice before the barrier", got)
		}
		m := bHasKind(got, string(maint.KindManhole))
		want := gis.BBox{MinLon: mh.Lon, MinLat: mh.Lat, MaxLon: mh.Lon, MaxLat: mh.Lat}
		if m == nil || m.Area() == nil {
			t.Fatalf("notices after a transition = %+v; want a manhole notice with its box", got)
		}
		a := *m.Area()
		if math.Abs(a.MinLon-want.MinLon) > 1e-6 || math.Abs(a.MinLat-want.MinLat) > 1e-6 || math.Abs(a.MaxLon-want.MaxLon) > 1e-6 || math.Abs(a.MaxLat-want.MaxLat) > 1e-6 {
			t.Errorf("manhole notice box %+v, want the manhole's point %+v", a, want)
		}
	})
	t.Run("a task change alone", func(t *testing.T) {
		patched, err := db.PatchTask(t.Context(), staff[maint.RoleEngineer], task.ID, task.Version, maint.TaskPatch{Note: "b: just a note"})
		if err != nil {
			t.Fatal(err)
		}
		task = patched
		got := bUntilBarrier(t, sql, feed, "b-2")
		if bHasKind(got, "tasks") == nil || bHasKind(got, string(maint.KindManhole)) != nil {
			t.Errorf("notices after a patch = %+v; want tasks only (the asset did not change)", got)
		}
	})
	t.Run("an unreadable notice is a change to everything", func(t *testing.T) {
		before := logged.Load()
		if _, err := sql.Exec(t.Context(), `SELECT pg_notify($1, 'not json')`, postgres.ChangeChannel); err != nil {
			t.Fatal(err)
		}
		got := bUntilBarrier(t, sql, feed, "b-3")
		if len(got) != 1 || got[0].Kind != "" || got[0].Area() != nil {
			t.Errorf("notices after an unreadable one = %+v; want one change to everything", got)
		}
		if logged.Load() == before {
			t.Errorf("the unreadable notice was not logged")
		}
		if feed.lost.Load() != 0 {
			t.Errorf("an unreadable notice told the feed it was lost")
		}
	})
	t.Run("reconnect", func(t *testing.T) {
		lost, restored := feed.lost.Load(), feed.restored.Load()
		n := bCount(t, sql, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'b-listener' AND datname = current_database() AND query ILIKE 'listen%'`)
		if n != 1 {
			t.Fatalf("terminated %d listener connections, want 1", n)
		}
		bWait(t, "Lost and Restored after the connection broke", func() bool {
			return feed.lost.Load() > lost && feed.restored.Load() == restored+1
		})
		bMove(t, db, staff, task, bStep(maint.StatusDispatched))
		got := bUntilBarrier(t, sql, feed, "b-4")
		if bHasKind(got, "tasks") == nil || bHasKind(got, string(maint.KindManhole)) == nil {
			t.Errorf("notices after the reconnect = %+v; want tasks and manhole", got)
		}
	})
	t.Run("stops with its context", func(t *testing.T) {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("ListenChanges did not return after its context ended")
		}
	})
}

// TestListenChangeArea checks Change.Area: a box only from four numbers.
func TestListenChangeArea(t *testing.T) {
	cases := []struct {
		bbox []float64
		want *gis.BBox
	}{
		{nil, nil},
		{[]float64{1, 2, 3}, nil},
		{[]float64{125.1, 43.8, 125.2, 43.9}, &gis.BBox{MinLon: 125.1, MinLat: 43.8, MaxLon: 125.2, MaxLat: 43.9}},
	}
	for _, c := range cases {
		got := postgres.Change{Kind: "manhole", BBox: c.bbox}.Area()
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("Change{BBox: %v}.Area() = %v, want %v", c.bbox, got, c.want)
		}
	}
}
