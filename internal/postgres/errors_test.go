package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// bOpenWith opens a second pool on db's database with extra URL parameters
// and config.
func bOpenWith(t testing.TB, db *postgres.DB, params map[string]string, cfg postgres.Config) *postgres.DB {
	t.Helper()
	u, err := url.Parse(db.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	cfg.URL = u.String()
	out, err := postgres.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open(%s): %v", cfg.URL, err)
	}
	t.Cleanup(out.Close)
	return out
}

// TestErrorsTranslate provokes real errors from PostgreSQL through the store
// methods and checks the domain code each becomes.
func TestErrorsTranslate(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	eng := staff[maint.RoleEngineer]
	mh := bManholes(t, db, 1)[0]
	task := bNewTask(t, db, eng, mh.ID, "b: errors")

	// A task row held locked by another session, for the lock and statement
	// timeouts.
	lock := func(t *testing.T) {
		tx, err := sql.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback(context.Background()) })
		if _, err := tx.Exec(t.Context(), `SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE`, task.ID); err != nil {
			t.Fatal(err)
		}
	}
	busy := bOpenWith(t, db, map[string]string{"lock_timeout": "100"}, postgres.Config{})
	slow := bOpenWith(t, db, map[string]string{"lock_timeout": "20000"}, postgres.Config{StatementTimeout: 150 * time.Millisecond})
	gone, err := postgres.Open(t.Context(), postgres.Config{URL: "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gone.Close)
	if _, err := db.CreateUser(t.Context(), staff[maint.RoleAdmin], "", maint.User{Email: "b-dup@test", Role: maint.RoleEngineer}, "x"); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name       string
		setup      func(t *testing.T)
		call       func(ctx context.Context) error
		code       maint.Code
		field      string
		retryAfter int
	}{
		{name: "no rows: task", call: func(ctx context.Context) error { _, err := db.Task(ctx, 99_999_999, eng); return err }, code: maint.CodeNotFound},
		{name: "no rows: photo", call: func(ctx context.Context) error { _, err := db.Photo(ctx, 99_999_999); return err }, code: maint.CodeNotFound},
		{name: "no rows: user", call: func(ctx context.Context) error { _, err := db.User(ctx, 99_999_999); return err }, code: maint.CodeNotFound},
		{name: "no rows: request token", call: func(ctx context.Context) error { _, err := db.RequestByToken(ctx, "b-none"); return err }, code: maint.CodeNotFound},
		{name: "unique violation", call: func(ctx context.Context) error {
			_, err := db.CreateUser(ctx, staff[maint.RoleAdmin], "", maint.User{Email: "B-DUP@test", Role: maint.RoleEngineer}, "x")
			return err
		}, code: maint.CodeConflict, field: "email"},
		{name: "foreign key: asset", call: func(ctx context.Context) error {
			_, _, err := bCreateTask(t, db, eng, maint.NewTask{AssetID: new(int64(99_999_999)), Title: "b: x", Source: maint.SourceEngineer}, nil)
			return err
		}, code: maint.CodeInvalid, field: "asset_id"},
		{name: "foreign key: task", call: func(ctx context.Context) error {
			_, _, err := bAddPhoto(t, db, eng, bNewPhoto(99_999_999, 0, maint.StageBefore), nil)
			return err
		}, code: maint.CodeInvalid, field: "task_id"},
		{name: "check violation", call: func(ctx context.Context) error {
			_, err := db.PatchTask(ctx, eng, task.ID, task.Version, maint.TaskPatch{Percent: maint.Opt[int]{Set: true, V: 150}})
			return err
		}, code: maint.CodeInvalid},
		{name: "check violation: audit action", call: func(ctx context.Context) error {
			return db.Audit(ctx, eng, "", "Not An Action", "", nil, nil)
		}, code: maint.CodeInvalid},
		{name: "bad data: NUL in text", call: func(ctx context.Context) error {
			_, _, err := bCreateTask(t, db, eng, maint.NewTask{AssetID: &mh.ID, Title: "b: a\x00b", Source: maint.SourceEngineer}, nil)
			return err
		}, code: maint.CodeInvalid},
		{name: "lock timeout", setup: lock, call: func(ctx context.Context) error {
			_, _, err := bTransitionTask(t, busy, eng, task.ID, task.Version, bStep(maint.StatusFiled), nil)
			return err
		}, code: maint.CodeConflict},
		{name: "statement timeout", setup: lock, call: func(ctx context.Context) error {
			_, _, err := bTransitionTask(t, slow, eng, task.ID, task.Version, bStep(maint.StatusFiled), nil)
			return err
		}, code: maint.CodeUnavailable, retryAfter: 5},
		{name: "unreachable", call: func(ctx context.Context) error { _, err := gone.Task(ctx, 1, eng); return err }, code: maint.CodeUnavailable, retryAfter: 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup(t)
			}
			err := c.call(t.Context())
			e := bWantCode(t, c.name, err, c.code)
			if c.field != "" && !slices.Contains(bFields(e), c.field) {
				t.Errorf("%s: fields %v, want %s", c.name, bFields(e), c.field)
			}
			if e.RetryAfter != c.retryAfter {
				t.Errorf("%s: RetryAfter %d, want %d", c.name, e.RetryAfter, c.retryAfter)
			}
		})
	}
	if got := bTask(t, db, task.ID, eng); got.Version != task.Version || got.Status != task.Status {
		t.Errorf("task %d after the failed calls: %s v%d, want %s v%d", task.ID, got.Status, got.Version, task.Status, task.Version)
	}

	// A caller that went away is not a fault of the database.
	for _, c := range []struct {
		name string
		ctx  func() context.Context
		want error
	}{
		{"cancelled", func() context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, context.Canceled},
		{"deadline", func() context.Context {
			ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		}, context.DeadlineExceeded},
	} {
		t.Run("context "+c.name, func(t *testing.T) {
			_, err := db.Task(c.ctx(), task.ID, eng)
			if !errors.Is(err, c.want) || maint.ErrorCode(err) == maint.CodeUnavailable {
				t.Errorf("Task with a %s context: %v (code %q); want %v passed through, not unavailable", c.name, err, maint.ErrorCode(err), c.want)
			}
		})
	}
}
