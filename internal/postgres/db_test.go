package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/tern/v2/migrate"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
	"inframap/migrations"
)

// bMigrations is the number of migration files: a migrated database is at
// that version.
func bMigrations(t testing.TB) int {
	t.Helper()
	names, err := migrate.FindMigrations(migrations.FS)
	if err != nil || len(names) == 0 {
		t.Fatalf("FindMigrations: %d, %v", len(names), err)
	}
	return len(names)
}

// TestDBOpen checks Open and its options: the URL's own settings kept, the
// pool's cap, the statement timeout, and the district check.
func TestDBOpen(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	eng := staff[maint.RoleEngineer]

	t.Run("bad URL", func(t *testing.T) {
		if _, err := postgres.Open(t.Context(), postgres.Config{URL: "postgres://%zz"}); err == nil || !strings.Contains(err.Error(), "database URL") {
			t.Errorf("Open(bad URL) = %v, want a database URL error", err)
		}
	})
	t.Run("URL and defaults", func(t *testing.T) {
		u := pgtest.NewURL(t, pgtest.Empty)
		d, err := postgres.Open(t.Context(), postgres.Config{URL: u})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if d.URL() != u {
			t.Errorf("Open: URL %q, want %q", d.URL(), u)
		}
		if err := d.Ready(t.Context()); err != nil {
			t.Errorf("Ready() on a migrated database = %v", err)
		}
		if err := db.Ready(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := bCount(t, sql, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'inframap' AND datname = current_database()`); n < 1 {
			t.Errorf("no session named inframap on the database after Ready")
		}
	})
	t.Run("pool cap and the URL's application name", func(t *testing.T) {
		capped := bOpenWith(t, db, map[string]string{"application_name": "b-capped"}, postgres.Config{MaxConns: 2})
		mh := bManholes(t, db, 1)[0]
		task := bNewTask(t, db, eng, mh.ID, "b: queue")
		tx, err := sql.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background())
		if _, err := tx.Exec(t.Context(), `SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE`, task.ID); err != nil {
			t.Fatal(err)
		}
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, _, errs[i] = bTransitionTask(t, capped, eng, task.ID, task.Version, bStep(maint.StatusFiled), nil)
			})
		}
		sessions := func(extra string) int {
			return bCount(t, sql, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'b-capped' AND datname = current_database()`+extra)
		}
		bWait(t, "two capped sessions waiting on the lock", func() bool { return sessions(` AND wait_event_type = 'Lock'`) == 2 })
		time.Sleep(200 * time.Millisecond)
		if got := sessions(""); got != 2 {
			t.Errorf("%d sessions named b-capped with %d callers waiting, want the cap of 2", got, n)
		}
		tx.Rollback(t.Context())
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if maint.ErrorCode(err) != maint.CodePreconditionFailed {
				t.Errorf("queued transition: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d queued transitions won, want 1", won)
		}
	})
	t.Run("statement timeout", func(t *testing.T) {
		slow := bOpenWith(t, db, nil, postgres.Config{StatementTimeout: 300 * time.Millisecond})
		mh := bManholes(t, db, 1)[0]
		task := bNewTask(t, db, eng, mh.ID, "b: slow")
		tx, err := sql.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background())
		if _, err := tx.Exec(t.Context(), `SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE`, task.ID); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, _, err = bTransitionTask(t, slow, eng, task.ID, task.Version, bStep(maint.StatusFiled), nil)
		took := time.Since(start)
		bWantCode(t, "TransitionTask(blocked, 300 ms statement timeout)", err, maint.CodeUnavailable)
		if took < 250*time.Millisecond || took > 3*time.Second {
			t.Errorf("the blocked transition failed after %v, want about 300 ms (not the 5 s lock timeout)", took)
		}
	})
	t.Run("district check", func(t *testing.T) {
		open := bOpenWith(t, db, nil, postgres.Config{AllowOutsideDistrict: true})
		in := maint.NewRequest{ServiceCode: "pothole", Lon: 116.4, Lat: 39.9, Description: "b: Beijing"}
		_, err := db.CreateRequest(t.Context(), bResident, bService(t, "pothole"), in)
		bWantCode(t, "CreateRequest(outside, default)", err, maint.CodeInvalid)
		r, err := open.CreateRequest(t.Context(), bResident, bService(t, "pothole"), in)
		if err != nil || r.Lon != 116.4 {
			t.Errorf("CreateRequest(outside, AllowOutsideDistrict) = %v, %v; want it filed", r, err)
		}
	})
}

// TestDBReady checks Ready: it fails on an unmigrated or partly migrated
// database and on one it cannot reach, and passes once migrated.
func TestDBReady(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Bare)
	sql := pgtest.SQL(t, db)
	if err := db.Ready(t.Context()); maint.ErrorCode(err) != maint.CodeUnavailable {
		t.Fatalf("Ready() on an unmigrated database = %v, want unavailable", err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := db.Ready(t.Context()); err != nil {
		t.Fatalf("Ready() after Migrate = %v", err)
	}
	if n := bCount(t, sql, `SELECT version FROM schema_version`); n != bMigrations(t) {
		t.Errorf("schema version %d after Migrate, want %d", n, bMigrations(t))
	}
	if _, err := sql.Exec(t.Context(), `UPDATE schema_version SET version = version - 1`); err != nil {
		t.Fatal(err)
	}
	err := db.Ready(t.Context())
	if e := bWantCode(t, "Ready(one migration behind)", err, maint.CodeUnavailable); !strings.Contains(e.Message, "version") {
		t.Errorf("Ready(one migration behind): %q does not say which version", e.Message)
	}
	gone, err := postgres.Open(t.Context(), postgres.Config{URL: "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable"})
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	bWantCode(t, "Ready(unreachable)", gone.Ready(t.Context()), maint.CodeUnavailable)
}

// TestDBMigrateTwice checks that migrating a migrated database changes
// nothing.
func TestDBMigrateTwice(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	schema := func() int {
		return bCount(t, sql, `SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace`) +
			1000*bCount(t, sql, `SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal`)
	}
	before, objects := bCount(t, sql, `SELECT version FROM schema_version`), schema()
	sums, err := db.Checksums(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate(again): %v", err)
		}
	}
	after, err := db.Checksums(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v := bCount(t, sql, `SELECT version FROM schema_version`); v != before || v != bMigrations(t) || schema() != objects {
		t.Errorf("Migrate twice: version %d → %d, objects %d → %d; want nothing changed at version %d", before, v, objects, schema(), bMigrations(t))
	}
	for name, s := range sums {
		if after[name] != s {
			t.Errorf("Migrate twice changed table %s: %+v → %+v", name, s, after[name])
		}
	}
}

// TestDBMigrateConcurrent migrates one new database from two pools at once:
// both succeed and each migration is applied once.
func TestDBMigrateConcurrent(t *testing.T) {
	u := pgtest.NewURL(t, pgtest.Bare)
	var dbs [2]*postgres.DB
	for i := range dbs {
		d, err := postgres.Open(t.Context(), postgres.Config{URL: u})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		dbs[i] = d
	}
	var wg sync.WaitGroup
	var errs [2]error
	start := make(chan struct{})
	for i, d := range dbs {
		wg.Go(func() {
			<-start
			errs[i] = d.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate from pool %d: %v", i, err)
		}
		if err := dbs[i].Ready(t.Context()); err != nil {
			t.Errorf("Ready() on pool %d: %v", i, err)
		}
	}
	sql := pgtest.SQL(t, dbs[0])
	if v := bCount(t, sql, `SELECT version FROM schema_version`); v != bMigrations(t) {
		t.Errorf("schema version %d, want %d", v, bMigrations(t))
	}
	if n := bCount(t, sql, `SELECT count(*) FROM pg_trigger WHERE tgname = 'task_events_append_only'`); n != 1 {
		t.Errorf("%d append-only triggers on task_events, want 1", n)
	}
}

// TestDBChangeFeed checks what a store opened with a change feed does after
// a write: it returns only once the feed has the write's notices (another
// session sees the write by then), and a refused or empty write sends none.
func TestDBChangeFeed(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	db, feed := withFeed(t, db)
	staff := bStaff(t, db)
	eng := staff[maint.RoleEngineer]
	mh := bManholes(t, db, 1)[0]
	before := feed.count()
	task := bNewTask(t, db, eng, mh.ID, "b: fed")
	if feed.count() == before {
		t.Errorf("CreateTask returned before the feed had its notice")
	}
	steps := []struct {
		name    string
		do      func() error
		notices bool
	}{
		{"transition", func() error {
			var err error
			task, _, err = bTransitionTask(t, db, eng, task.ID, task.Version, bStep(maint.StatusFiled), nil)
			return err
		}, true},
		{"refused transition", func() error {
			_, _, err := bTransitionTask(t, db, eng, task.ID, task.Version, bStep(maint.StatusClosed), nil)
			if maint.ErrorCode(err) == maint.CodeConflict {
				return nil
			}
			return fmt.Errorf("want a conflict, got %v", err)
		}, false},
		{"patch", func() error {
			var err error
			task, err = db.PatchTask(t.Context(), eng, task.ID, task.Version, maint.TaskPatch{Note: "b: hook"})
			return err
		}, true},
		{"patch that changes nothing", func() error {
			_, err := db.PatchTask(t.Context(), eng, task.ID, task.Version, maint.TaskPatch{Title: maint.Opt[string]{Set: true, V: task.Title}})
			return err
		}, false},
		{"request", func() error {
			lon, lat := bNorth(mh, 2)
			_, err := db.CreateRequest(t.Context(), bResident, bService(t, "manhole_broken"), maint.NewRequest{Lon: lon, Lat: lat})
			return err
		}, true},
	}
	for _, s := range steps {
		before := feed.count()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := feed.count() > before; got != s.notices {
			t.Errorf("%s: notices arrived before it returned: %v, want %v", s.name, got, s.notices)
		}
	}
}
