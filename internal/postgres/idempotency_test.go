package postgres_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// TestIdempotentOutcome checks what the store keeps with an Idempotency-Key:
// a retry gets the domain value the first try made, field for field (an
// absent location stays absent, a point stays the point), writes nothing
// more, and a key is scoped: the same key from another caller or with
// another request is not the first try's.
func TestIdempotentOutcome(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := context.Background()
	var userID int64
	if err := sql.QueryRow(ctx, `INSERT INTO users (email, name, role, password_hash) VALUES ('idem@test', 'Idem', 'engineer', 'x') RETURNING id`).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	v := maint.Viewer{UserID: userID, Email: "idem@test", Role: maint.RoleEngineer}
	var assetID int64
	if err := sql.QueryRow(ctx, `SELECT min(id) FROM assets WHERE kind = 'manhole'`).Scan(&assetID); err != nil {
		t.Fatal(err)
	}
	tasks := func() int {
		var n int
		if err := sql.QueryRow(ctx, `SELECT count(*) FROM tasks`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	cases := []struct {
		name string
		in   maint.NewTask
	}{
		{"on an asset, no location", maint.NewTask{AssetID: &assetID, Title: "井盖破损", Source: maint.SourceEngineer}},
		{"at a point", maint.NewTask{Location: orb.Point{125.27, 43.88}, Title: "路面坑槽", Source: maint.SourceEngineer}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			idem := &maint.Idempotency{Scope: "user:1 POST /api/v1/tasks", Key: c.name, RequestHash: "h" + c.name}
			first, replayed, err := db.CreateTask(ctx, v, c.in, idem)
			if err != nil || replayed {
				t.Fatalf("CreateTask #1 = replayed %v, err %v; want a new task", replayed, err)
			}
			before := tasks()
			again, replayed, err := db.CreateTask(ctx, v, c.in, idem)
			if err != nil || !replayed {
				t.Fatalf("CreateTask #2 = replayed %v, err %v; want the first outcome replayed", replayed, err)
			}
			if diff := cmp.Diff(first, again); diff != "" {
				t.Errorf("replayed task differs from the first (-first +replayed):\n%s", diff)
			}
			if got := tasks(); got != before {
				t.Errorf("a replay wrote tasks: %d → %d", before, got)
			}
			if c.in.Location == nil && again.Location != nil {
				t.Errorf("replayed location = %s, want none", again.Location)
			}

			other := *idem
			other.RequestHash = "another request"
			if _, _, err := db.CreateTask(ctx, v, c.in, &other); maint.ErrorCode(err) != maint.CodeUnprocessable {
				t.Errorf("same key, other request: code %q, want %q", maint.ErrorCode(err), maint.CodeUnprocessable)
			}
			scoped := *idem
			scoped.Scope = "user:2 POST /api/v1/tasks"
			if _, replayed, err := db.CreateTask(ctx, v, c.in, &scoped); err != nil || replayed {
				t.Errorf("same key, other caller: replayed %v, err %v; want a new task", replayed, err)
			}
			if got, want := tasks(), before+1; got != want {
				t.Errorf("tasks after the scoped write = %d, want %d (case %d)", got, want, i)
			}
		})
	}
}
