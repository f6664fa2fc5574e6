package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// ---- Helpers shared by the store tests of tasks, photos, requests, users,
// audit, listen, errors, db and checksum (all prefixed b). ----

// bCrew is an active crew of the district dataset.
const bCrew = "绿园区市政养护一队"

// bResident is an anonymous caller.
var bResident = maint.Viewer{}

// bStaff creates one account per role (with a dummy hash: these tests do not
// sign in) and returns a viewer for each.
func bStaff(t testing.TB, db *postgres.DB) map[maint.Role]maint.Viewer {
	t.Helper()
	out := map[maint.Role]maint.Viewer{}
	for _, role := range maint.Roles {
		email := "b-" + string(role) + "@test"
		u, err := db.CreateUser(t.Context(), maint.Viewer{Email: "b-setup"}, "", maint.User{Email: email, Role: role, Name: string(role)}, "x")
		if err != nil {
			t.Fatalf("CreateUser(%s): %v", email, err)
		}
		out[role] = maint.Viewer{UserID: u.ID, Email: u.Email, Role: u.Role}
	}
	return out
}

// bCreateTask calls CreateTask; every test goes through it.
func bCreateTask(t testing.TB, db *postgres.DB, v maint.Viewer, in maint.NewTask, idem *maint.Idempotency) (task *maint.Task, replayed bool, err error) {
	t.Helper()
	return db.CreateTask(t.Context(), v, in, idem)
}

// bTransitionTask calls TransitionTask; every test goes through it.
func bTransitionTask(t testing.TB, db *postgres.DB, v maint.Viewer, id int64, version int, tr maint.Transition, idem *maint.Idempotency) (task *maint.Task, replayed bool, err error) {
	t.Helper()
	return db.TransitionTask(t.Context(), v, id, version, tr, idem)
}

// bAddPhoto calls AddPhoto; every test goes through it.
func bAddPhoto(t testing.TB, db *postgres.DB, v maint.Viewer, np maint.NewPhoto, idem *maint.Idempotency) (photo *maint.Photo, replayed bool, err error) {
	t.Helper()
	return db.AddPhoto(t.Context(), v, np, idem)
}

// bCreateReport calls CreateReport; every test goes through it.
func bCreateReport(t testing.TB, db *postgres.DB, v maint.Viewer, svc maint.Service, in maint.NewRequest, np *maint.NewPhoto,
	idem *maint.Idempotency) (req *maint.ServiceRequest, photo *maint.Photo, replayed bool, err error) {
	t.Helper()
	return db.CreateReport(t.Context(), v, svc, in, np, idem)
}

// bNewTask creates a task on an asset (0: none) and fails the test on error.
func bNewTask(t testing.TB, db *postgres.DB, v maint.Viewer, asset int64, title string) *maint.Task {
	t.Helper()
	in := maint.NewTask{Title: title, Source: maint.SourceEngineer}
	if asset != 0 {
		in.AssetID = &asset
	}
	task, _, err := bCreateTask(t, db, v, in, nil)
	if err != nil {
		t.Fatalf("CreateTask(%q): %v", title, err)
	}
	return task
}

// bRoleFor returns a role other than admin that the workflow table lets make
// the step, or admin when only admins may.
func bRoleFor(from, to maint.Status) maint.Role {
	for _, r := range maint.Roles {
		if r != maint.RoleAdmin && slices.Contains(maint.AllowedTransitions(from, r), to) {
			return r
		}
	}
	return maint.RoleAdmin
}

// bStep is the transition bDriveTo makes to reach to: with a note (some steps
// need one) and a crew when dispatching.
func bStep(to maint.Status) maint.Transition {
	tr := maint.Transition{To: to, Note: "b: to " + string(to)}
	if to == maint.StatusDispatched {
		tr.Assignee = bCrew
	}
	return tr
}

var bSHACounter atomic.Int64

// bSHA returns a fresh content hash.
func bSHA() string { return fmt.Sprintf("%064x", bSHACounter.Add(1)) }

// bNewPhoto is a photo of stage on a task (or, with task 0, on asset).
func bNewPhoto(task, asset int64, stage maint.Stage) maint.NewPhoto {
	np := maint.NewPhoto{Stage: stage, SHA256: bSHA(), MediaType: "image/jpeg", Bytes: 1234, Width: 640, Height: 480,
		OriginalKey: "o", DisplayKey: "d", ThumbKey: "t", Visible: true, FarMetres: 50}
	if task != 0 {
		np.TaskID = &task
	}
	if asset != 0 {
		np.AssetID = &asset
	}
	return np
}

// bAfterPhoto records a visible photo of the finished work, so a task can
// be closed.
func bAfterPhoto(t testing.TB, db *postgres.DB, v maint.Viewer, task int64) *maint.Photo {
	t.Helper()
	p, _, err := bAddPhoto(t, db, v, bNewPhoto(task, 0, maint.StageAfter), nil)
	if err != nil {
		t.Fatalf("AddPhoto(after, task %d): %v", task, err)
	}
	return p
}

// bMove makes one step as a role the workflow allows, failing the test on
// error.
func bMove(t testing.TB, db *postgres.DB, staff map[maint.Role]maint.Viewer, task *maint.Task, tr maint.Transition) *maint.Task {
	t.Helper()
	if tr.To == maint.StatusClosed {
		bAfterPhoto(t, db, staff[maint.RoleInspector], task.ID)
	}
	after, _, err := bTransitionTask(t, db, staff[bRoleFor(task.Status, tr.To)], task.ID, task.Version, tr, nil)
	if err != nil {
		t.Fatalf("TransitionTask(%d, %s → %s): %v", task.ID, task.Status, tr.To, err)
	}
	return after
}

// bPaths are the steps from reported to each state.
var bPaths = map[maint.Status][]maint.Status{
	maint.StatusReported:   {},
	maint.StatusFiled:      {maint.StatusFiled},
	maint.StatusDispatched: {maint.StatusFiled, maint.StatusDispatched},
	maint.StatusInProgress: {maint.StatusFiled, maint.StatusDispatched, maint.StatusInProgress},
	maint.StatusDone:       {maint.StatusFiled, maint.StatusDispatched, maint.StatusInProgress, maint.StatusDone},
	maint.StatusClosed:     {maint.StatusFiled, maint.StatusDispatched, maint.StatusInProgress, maint.StatusDone, maint.StatusClosed},
	maint.StatusRejected:   {maint.StatusRejected},
	maint.StatusCancelled:  {maint.StatusFiled, maint.StatusCancelled},
}

// bDriveTo creates a task on asset and moves it to state s.
func bDriveTo(t testing.TB, db *postgres.DB, staff map[maint.Role]maint.Viewer, asset int64, s maint.Status) *maint.Task {
	t.Helper()
	task := bNewTask(t, db, staff[maint.RoleEngineer], asset, "b: drive to "+string(s))
	for _, step := range bPaths[s] {
		task = bMove(t, db, staff, task, bStep(step))
	}
	if task.Status != s {
		t.Fatalf("drove task %d to %s, want %s", task.ID, task.Status, s)
	}
	return task
}

// bPlace is an asset and where it is.
type bPlace struct {
	ID       int64
	Lon, Lat float64
}

// bManholes returns the first n manholes of the district, by id.
func bManholes(t testing.TB, db *postgres.DB, n int) []bPlace {
	t.Helper()
	var out []bPlace
	_, err := db.ListAssets(t.Context(), maint.AssetFilter{Kinds: []maint.Kind{maint.KindManhole}, Limit: n}, func(a *maint.Asset) error {
		var g struct{ Coordinates [2]float64 }
		if err := json.Unmarshal(a.Geometry, &g); err != nil {
			return err
		}
		out = append(out, bPlace{a.ID, g.Coordinates[0], g.Coordinates[1]})
		return nil
	})
	if err != nil || len(out) != n {
		t.Fatalf("ListAssets(manholes): %d, %v", len(out), err)
	}
	return out
}

// bNorth returns the point metres north of p (a degree of latitude is
// about 111.1 km here).
func bNorth(p bPlace, metres float64) (lon, lat float64) {
	return p.Lon, p.Lat + metres/111_120
}

// bPoint is a point as CreateTask takes a location.
func bPoint(lon, lat float64) gis.Geometry { return orb.Point{lon, lat} }

// bCount runs a counting statement.
func bCount(t testing.TB, sql *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := sql.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// bTask reads a task as staff, failing the test on error.
func bTask(t testing.TB, db *postgres.DB, id int64, v maint.Viewer) *maint.Task {
	t.Helper()
	task, err := db.Task(t.Context(), id, v)
	if err != nil {
		t.Fatalf("Task(%d): %v", id, err)
	}
	return task
}

// bAssetStatus is the status an asset shows.
func bAssetStatus(t testing.TB, db *postgres.DB, id int64) (maint.Status, *time.Time) {
	t.Helper()
	a, err := db.Asset(t.Context(), id, maint.Viewer{})
	if err != nil {
		t.Fatalf("Asset(%d): %v", id, err)
	}
	if a.Status == nil {
		return "", nil
	}
	return *a.Status, a.StatusAt
}

// bWantCode fails unless err carries code.
func bWantCode(t testing.TB, call string, err error, code maint.Code) *maint.Error {
	t.Helper()
	if got := maint.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", call, got, err, code)
	}
	e, _ := maint.AsError(err)
	return e
}

// bFields lists the fields an error names.
func bFields(e *maint.Error) []string {
	var out []string
	if e != nil {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

// bUnchanged fails if a task moved on since before.
func bUnchanged(t testing.TB, db *postgres.DB, before *maint.Task) {
	t.Helper()
	now := bTask(t, db, before.ID, maint.Viewer{Role: maint.RoleAdmin})
	if now.Status != before.Status || now.Version != before.Version || !now.UpdatedAt.Equal(before.UpdatedAt) ||
		now.Assignee != before.Assignee || len(now.History) != len(before.History) {
		t.Errorf("task %d changed: status %s v%d updated %v assignee %q, %d events; was %s v%d updated %v assignee %q, %d events",
			before.ID, now.Status, now.Version, now.UpdatedAt, now.Assignee, len(now.History),
			before.Status, before.Version, before.UpdatedAt, before.Assignee, len(before.History))
	}
}

func bStatusSet(ss []maint.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	slices.Sort(out)
	return out
}

func bStatusOf(s *maint.Status) string {
	if s == nil {
		return "<nil>"
	}
	return string(*s)
}

// ---- ListTasks ----

// bListAll lists the tasks that match f, all pages of it.
func bListAll(t testing.TB, db *postgres.DB, f maint.TaskFilter, v maint.Viewer) []*maint.Task {
	t.Helper()
	var out []*maint.Task
	f.Limit = 100_000
	more, err := db.ListTasks(t.Context(), f, v, func(x *maint.Task) error { out = append(out, x); return nil })
	if err != nil || more {
		t.Fatalf("ListTasks(%+v): more %v, %v", f, more, err)
	}
	return out
}

func bIDs(ts []*maint.Task) []int64 {
	out := make([]int64, len(ts))
	for i, x := range ts {
		out[i] = x.ID
	}
	return out
}

// TestTasksListFilters checks each filter of ListTasks against the same
// rule applied by hand to every task of the district.
func TestTasksListFilters(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	admin := staff[maint.RoleAdmin]
	mh := bManholes(t, db, 2)
	// A second task on one asset, and one without an asset, located a few
	// metres from the other manhole.
	extra := bNewTask(t, db, staff[maint.RoleEngineer], mh[0].ID, "b: second task of the asset")
	lon, lat := bNorth(mh[1], 3)
	located, _, err := bCreateTask(t, db, staff[maint.RoleInspector], maint.NewTask{Location: bPoint(lon, lat), Title: "b: located pothole", Source: maint.SourceInspector}, nil)
	if err != nil {
		t.Fatalf("CreateTask(located): %v", err)
	}

	all := bListAll(t, db, maint.TaskFilter{}, admin)
	if n := bCount(t, sql, `SELECT count(*) FROM tasks`); len(all) != n || n < 1564 {
		t.Fatalf("ListTasks(no filter) = %d tasks; the table holds %d, want the district's 1,562 and more, + 2", len(all), n)
	}
	if !slices.IsSorted(bIDs(all)) {
		t.Errorf("ListTasks(no filter) is not in id order")
	}
	// Overdue: the running step's deadline has passed (before the clock
	// was suspended, if it is).
	now := time.Now()
	overdue := func(x *maint.Task) bool {
		if x.Clock == nil || x.Clock.Deadline == nil {
			return false
		}
		until := now
		if x.Clock.PausedSince != nil {
			until = *x.Clock.PausedSince
		}
		return x.Clock.Deadline.Before(until)
	}
	nOverdue := 0
	for _, x := range all {
		if x.Overdue != overdue(x) {
			t.Errorf("task %d: Overdue = %v; clock %+v, status %s", x.ID, x.Overdue, x.Clock, x.Status)
		}
		if (x.Clock != nil) != x.Status.Open() {
			t.Errorf("task %d is %s: clock %+v", x.ID, x.Status, x.Clock)
		}
		if overdue(x) {
			nOverdue++
		}
	}
	if nOverdue == 0 {
		t.Fatalf("no overdue task in the district: the overdue cases test nothing")
	}

	// The tasks of a tiny box around the second manhole, by hand.
	box := &gis.BBox{MinLon: mh[1].Lon - 0.0001, MinLat: mh[1].Lat - 0.0001, MaxLon: mh[1].Lon + 0.0001, MaxLat: mh[1].Lat + 0.0001}
	rows, err := sql.Query(t.Context(), `SELECT t.id FROM tasks t LEFT JOIN assets a ON a.id = t.asset_id
		WHERE ST_Intersects(coalesce(a.geom, t.location), ST_MakeEnvelope($1, $2, $3, $4, 4326))`, box.MinLon, box.MinLat, box.MaxLon, box.MaxLat)
	if err != nil {
		t.Fatal(err)
	}
	inBox := map[int64]bool{}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		inBox[id] = true
	}
	if !inBox[located.ID] || len(inBox) < 2 {
		t.Fatalf("the box around manhole %d holds tasks %v; want its task and the located task %d", mh[1].ID, inBox, located.ID)
	}
	first := all[0]
	q := strings.ToLower(first.Ref[:len(first.Ref)-2])
	cases := []struct {
		name string
		f    maint.TaskFilter
		want func(*maint.Task) bool
	}{
		{"status filed", maint.TaskFilter{Statuses: []maint.Status{maint.StatusFiled}}, func(x *maint.Task) bool { return x.Status == maint.StatusFiled }},
		{"statuses dispatched, done", maint.TaskFilter{Statuses: []maint.Status{maint.StatusDispatched, maint.StatusDone}},
			func(x *maint.Task) bool { return x.Status == maint.StatusDispatched || x.Status == maint.StatusDone }},
		{"kind manhole", maint.TaskFilter{Kinds: []maint.Kind{maint.KindManhole}}, func(x *maint.Task) bool { return x.AssetKind == maint.KindManhole }},
		{"kinds road repair, parking lot", maint.TaskFilter{Kinds: []maint.Kind{maint.KindRoadRepair, maint.KindParkingLot}},
			func(x *maint.Task) bool {
				return x.AssetKind == maint.KindRoadRepair || x.AssetKind == maint.KindParkingLot
			}},
		{"assignee", maint.TaskFilter{Assignee: "绿园区排水管理所"}, func(x *maint.Task) bool { return x.Assignee == "绿园区排水管理所" }},
		{"overdue", maint.TaskFilter{Overdue: new(true)}, overdue},
		// Open tasks without a due date are not overdue, and listed so.
		{"not overdue", maint.TaskFilter{Overdue: new(false)}, func(x *maint.Task) bool { return !overdue(x) }},
		{"bbox", maint.TaskFilter{BBox: box}, func(x *maint.Task) bool { return inBox[x.ID] }},
		{"bbox outside the district", maint.TaskFilter{BBox: &gis.BBox{MinLon: 10, MinLat: 10, MaxLon: 11, MaxLat: 11}}, func(*maint.Task) bool { return false }},
		{"asset", maint.TaskFilter{AssetID: &mh[0].ID}, func(x *maint.Task) bool { return x.AssetID != nil && *x.AssetID == mh[0].ID }},
		{"programme 2023-2024", maint.TaskFilter{Programme: maint.ProgrammePublished}, func(x *maint.Task) bool { return x.Programme == maint.ProgrammePublished }},
		{"programme routine", maint.TaskFilter{Programme: maint.ProgrammeRoutine}, func(x *maint.Task) bool { return x.Programme == maint.ProgrammeRoutine }},
		{"source resident", maint.TaskFilter{Source: maint.SourceResident}, func(x *maint.Task) bool { return x.Source == maint.SourceResident }},
		{"source inspector and in progress", maint.TaskFilter{Source: maint.SourceInspector, Statuses: []maint.Status{maint.StatusInProgress}},
			func(x *maint.Task) bool {
				return x.Source == maint.SourceInspector && x.Status == maint.StatusInProgress
			}},
		{"q: start of a case number", maint.TaskFilter{Q: q}, func(x *maint.Task) bool {
			return strings.HasPrefix(x.Ref, strings.ToUpper(q)) || strings.Contains(strings.ToLower(x.Title), q)
		}},
		{"q: words of a title", maint.TaskFilter{Q: "located POT"}, func(x *maint.Task) bool { return strings.Contains(strings.ToLower(x.Title), "located pot") }},
		// Wildcards are text: no case number or title holds these.
		{"q: a percent sign", maint.TaskFilter{Q: "%"}, func(x *maint.Task) bool { return strings.Contains(x.Title, "%") }},
		{"q: an underscore", maint.TaskFilter{Q: "_"}, func(x *maint.Task) bool { return strings.Contains(x.Title, "_") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []int64
			for _, x := range all {
				if c.want(x) {
					want = append(want, x.ID)
				}
			}
			var got []int64
			for _, x := range bListAll(t, db, c.f, admin) {
				got = append(got, x.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ListTasks(%s) = %d tasks, want %d (first got %v, first want %v)", c.name, len(got), len(want), got[:min(5, len(got))], want[:min(5, len(want))])
			}
			if c.name == "asset" && !slices.Contains(got, extra.ID) {
				t.Errorf("ListTasks(asset %d) misses its new task %d", mh[0].ID, extra.ID)
			}
		})
	}

	t.Run("cursor paging", func(t *testing.T) {
		for _, newest := range []bool{false, true} {
			var got []int64
			var after int64
			pages := 0
			for {
				var page []*maint.Task
				more, err := db.ListTasks(t.Context(), maint.TaskFilter{Limit: 400, After: after, Newest: newest}, admin,
					func(x *maint.Task) error { page = append(page, x); return nil })
				if err != nil {
					t.Fatalf("ListTasks(after %d, newest %v): %v", after, newest, err)
				}
				pages++
				got = append(got, bIDs(page)...)
				if wantMore := len(got) < len(all); more != wantMore {
					t.Fatalf("ListTasks(after %d, newest %v): more = %v after %d of %d tasks", after, newest, more, len(got), len(all))
				}
				if !more {
					break
				}
				after = page[len(page)-1].ID
			}
			want := bIDs(all)
			if newest {
				slices.Reverse(want)
			}
			if wantPages := (len(all) + 399) / 400; pages != wantPages || !slices.Equal(got, want) {
				t.Errorf("paging newest=%v: %d pages, %d ids, in order %v; want %d pages, the %d ids in order", newest, pages, len(got), slices.Equal(got, want), wantPages, len(want))
			}
		}
	})

	t.Run("default limit", func(t *testing.T) {
		n := 0
		more, err := db.ListTasks(t.Context(), maint.TaskFilter{}, admin, func(*maint.Task) error { n++; return nil })
		if err != nil || !more || n != maint.DefaultLimit {
			t.Errorf("ListTasks(no limit) = %d tasks, more %v, %v; want %d, true", n, more, err, maint.DefaultLimit)
		}
	})

	t.Run("reporters hidden from the public", func(t *testing.T) {
		withContact := 0
		for _, x := range all {
			if x.ReporterContact != "" {
				withContact++
			}
		}
		if withContact == 0 {
			t.Fatal("staff see no reporter contact in the district")
		}
		for _, x := range bListAll(t, db, maint.TaskFilter{}, bResident) {
			if x.ReporterName != "" || x.ReporterContact != "" {
				t.Fatalf("ListTasks(resident): task %d shows reporter %q %q", x.ID, x.ReporterName, x.ReporterContact)
			}
		}
	})

	t.Run("emit error stops the list", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		_, err := db.ListTasks(t.Context(), maint.TaskFilter{Limit: 10}, admin, func(*maint.Task) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("ListTasks with a failing emit: %d calls, %v; want 1 call, the emit's error", n, err)
		}
	})
}

// TestTasksTaskHistory checks Task: the whole history in order for staff,
// and for the public no internal notes, no staff names, no reporter.
func TestTasksTaskHistory(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	var id int64
	if err := sql.QueryRow(t.Context(), `SELECT e.task_id FROM task_events e JOIN tasks t ON t.id = e.task_id
		WHERE e.internal AND t.reporter_contact <> '' AND e.actor_role <> 'system' ORDER BY e.task_id LIMIT 1`).Scan(&id); err != nil {
		t.Fatalf("a task with an internal note and a reporter: %v", err)
	}
	events := bCount(t, sql, `SELECT count(*) FROM task_events WHERE task_id = $1`, id)
	internal := bCount(t, sql, `SELECT count(*) FROM task_events WHERE task_id = $1 AND internal`, id)

	got := bTask(t, db, id, staff[maint.RoleEngineer])
	if len(got.History) != events {
		t.Fatalf("Task(%d) as staff: %d events, want %d", id, len(got.History), events)
	}
	if got.ReporterContact == "" {
		t.Errorf("Task(%d) as staff hides the reporter", id)
	}
	for i, e := range got.History {
		if e.TaskID != id {
			t.Errorf("Task(%d): event %d belongs to task %d", id, e.ID, e.TaskID)
		}
		if i > 0 && e.At.Before(got.History[i-1].At) {
			t.Errorf("Task(%d): event %d at %v before event %d at %v", id, e.ID, e.At, got.History[i-1].ID, got.History[i-1].At)
		}
	}
	if e := got.History[0]; e.From != nil || bStatusOf(e.To) != string(maint.StatusReported) {
		t.Errorf("Task(%d): first event %s → %s, want <nil> → reported", id, bStatusOf(e.From), bStatusOf(e.To))
	}
	var last *maint.Status
	for _, e := range got.History {
		if e.To != nil {
			last = e.To
		}
	}
	if bStatusOf(last) != string(got.Status) {
		t.Errorf("Task(%d): status %s, but its history ends at %s", id, got.Status, bStatusOf(last))
	}

	pub := bTask(t, db, id, bResident)
	if len(pub.History) != events-internal {
		t.Errorf("Task(%d) as the public: %d events, want %d without the %d internal", id, len(pub.History), events-internal, internal)
	}
	for _, e := range pub.History {
		if e.Internal || e.Actor != e.ActorRole {
			t.Errorf("Task(%d) as the public: event %d internal %v, actor %q (role %q)", id, e.ID, e.Internal, e.Actor, e.ActorRole)
		}
	}
	if pub.ReporterName != "" || pub.ReporterContact != "" {
		t.Errorf("Task(%d) as the public shows reporter %q %q", id, pub.ReporterName, pub.ReporterContact)
	}

	_, err := db.Task(t.Context(), 99_999_999, staff[maint.RoleAdmin])
	bWantCode(t, "Task(99999999)", err, maint.CodeNotFound)
}

// TestTasksCreate checks CreateTask: a reported task with one history row,
// defaults, the asset's status, and what it refuses.
func TestTasksCreate(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	eng := staff[maint.RoleEngineer]
	mh := bManholes(t, db, 1)[0]

	due := time.Date(2031, 5, 6, 0, 0, 0, 0, time.UTC)
	in := maint.NewTask{AssetID: &mh.ID, Title: "b: cover rattles", Description: "d", WorkType: "cover", DueDate: &due,
		Source: maint.SourceEngineer, ReporterName: "王", ReporterContact: "139"}
	got, replayed, err := bCreateTask(t, db, eng, in, nil)
	if err != nil || replayed {
		t.Fatalf("CreateTask: replayed %v, %v", replayed, err)
	}
	wantRef := fmt.Sprintf("LY-%d-%06d", got.CreatedAt.In(maint.Zone).Year(), got.ID)
	if got.Ref != wantRef || got.Status != maint.StatusReported || got.Version != 1 || got.Programme != maint.ProgrammeRoutine ||
		got.Priority != maint.PriorityNormal || got.AssetKind != maint.KindManhole || got.AssetCode == "" || got.DueDate == nil ||
		!got.DueDate.Equal(due) || got.ReporterContact != "139" || got.Source != maint.SourceEngineer || got.ClosedAt != nil {
		t.Errorf("CreateTask = %+v; want ref %s, reported, v1, routine, normal, manhole, due %v", got, wantRef, due)
	}
	if len(got.History) != 1 {
		t.Fatalf("CreateTask: %d history rows, want 1", len(got.History))
	}
	e := got.History[0]
	if e.From != nil || bStatusOf(e.To) != "reported" || e.Actor != eng.Email || e.ActorRole != "engineer" || e.Note != in.Title || e.Internal {
		t.Errorf("CreateTask: first event %+v; want <nil> → reported by %s, the title as note", e, eng.Email)
	}
	if !e.At.Equal(got.CreatedAt) {
		t.Errorf("CreateTask: event at %v, task created at %v: not one transaction", e.At, got.CreatedAt)
	}
	if n := bCount(t, sql, `SELECT count(*) FROM task_events WHERE task_id = $1`, got.ID); n != 1 {
		t.Errorf("CreateTask wrote %d task_events rows, want 1", n)
	}
	if st, _ := bAssetStatus(t, db, mh.ID); st != maint.StatusReported {
		t.Errorf("asset %d status %q after CreateTask, want reported", mh.ID, st)
	}

	t.Run("note and resident", func(t *testing.T) {
		x, _, err := bCreateTask(t, db, bResident, maint.NewTask{AssetID: &mh.ID, Title: "b: t", Note: "seen on the way", Source: maint.SourceResident,
			Programme: maint.ProgrammePublished, Priority: maint.PriorityUrgent}, nil)
		if err != nil {
			t.Fatalf("CreateTask(resident): %v", err)
		}
		if x.Programme != maint.ProgrammePublished || x.Priority != maint.PriorityUrgent {
			t.Errorf("CreateTask: programme %s priority %s, want the given 2023-2024, urgent", x.Programme, x.Priority)
		}
		h := bTask(t, db, x.ID, staff[maint.RoleAdmin]).History
		if len(h) != 1 || h[0].Note != "seen on the way" || h[0].Actor != "resident" || h[0].ActorRole != "resident" {
			t.Errorf("CreateTask(resident): history %+v; want one row by resident with the note", h)
		}
	})

	t.Run("location without asset", func(t *testing.T) {
		x, _, err := bCreateTask(t, db, eng, maint.NewTask{Location: bPoint(125.2, 43.9), Title: "b: here", Source: maint.SourceEngineer}, nil)
		if err != nil {
			t.Fatalf("CreateTask(location): %v", err)
		}
		var g struct {
			Type        string
			Coordinates []float64
		}
		json.Unmarshal(x.Location, &g)
		if x.AssetID != nil || g.Type != "Point" || !slices.Equal(g.Coordinates, []float64{125.2, 43.9}) {
			t.Errorf("CreateTask(location): asset %v, location %s; want none, Point [125.2 43.9]", x.AssetID, x.Location)
		}
	})

	refused := []struct {
		name  string
		in    maint.NewTask
		code  maint.Code
		field string
	}{
		{"neither asset nor location", maint.NewTask{Title: "b: nowhere", Source: maint.SourceEngineer}, maint.CodeInvalid, ""},
		{"unknown asset", maint.NewTask{AssetID: new(int64(99_999_999)), Title: "b: x", Source: maint.SourceEngineer}, maint.CodeInvalid, "asset_id"},
		{"empty title", maint.NewTask{AssetID: &mh.ID, Source: maint.SourceEngineer}, maint.CodeInvalid, ""},
		{"unknown source", maint.NewTask{AssetID: &mh.ID, Title: "b: x", Source: "martians"}, maint.CodeInvalid, ""},
		{"a location outside the district", maint.NewTask{Location: bPoint(116.4, 39.9), Title: "b: Beijing", Source: maint.SourceEngineer}, maint.CodeInvalid, "location"},
		{"a location with lat and lon swapped", maint.NewTask{Location: bPoint(43.9, 125.2), Title: "b: swapped", Source: maint.SourceEngineer}, maint.CodeInvalid, "location"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := bCount(t, sql, `SELECT count(*) FROM tasks`)
			_, _, err := bCreateTask(t, db, eng, c.in, nil)
			e := bWantCode(t, "CreateTask("+c.name+")", err, c.code)
			if c.field != "" && !slices.Contains(bFields(e), c.field) {
				t.Errorf("CreateTask(%s): fields %v, want %s", c.name, bFields(e), c.field)
			}
			if n := bCount(t, sql, `SELECT count(*) FROM tasks`); n != before {
				t.Errorf("CreateTask(%s) refused but tasks went from %d to %d", c.name, before, n)
			}
		})
	}
}

// TestTasksPatch checks PatchTask: each field change is recorded from what
// to what in one history row, under If-Match.
func TestTasksPatch(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	eng := staff[maint.RoleEngineer]
	mh := bManholes(t, db, 1)[0]
	task := bNewTask(t, db, eng, mh.ID, "b: patch me")
	if err := db.SaveCrew(t.Context(), staff[maint.RoleAdmin], "", maint.Crew{Name: "b: retired crew", Active: false}); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		p       maint.TaskPatch
		changes map[string]any // nil: no history row, no new version
		check   func(*maint.Task) bool
	}{
		{"title", maint.TaskPatch{Title: maint.Opt[string]{Set: true, V: "b: patched"}},
			map[string]any{"title": []any{"b: patch me", "b: patched"}}, func(x *maint.Task) bool { return x.Title == "b: patched" }},
		{"same title, no note: nothing", maint.TaskPatch{Title: maint.Opt[string]{Set: true, V: "b: patched"}}, nil,
			func(x *maint.Task) bool { return x.Title == "b: patched" }},
		{"description and priority", maint.TaskPatch{Description: maint.Opt[string]{Set: true, V: "deep"}, Priority: maint.Opt[maint.Priority]{Set: true, V: maint.PriorityHigh}},
			map[string]any{"description": []any{"", "deep"}, "priority": []any{"normal", "high"}},
			func(x *maint.Task) bool { return x.Description == "deep" && x.Priority == maint.PriorityHigh }},
		{"assignee", maint.TaskPatch{Assignee: maint.Opt[string]{Set: true, V: bCrew}},
			map[string]any{"assignee": []any{nil, bCrew}}, func(x *maint.Task) bool { return x.Assignee == bCrew }},
		{"assignee cleared", maint.TaskPatch{Assignee: maint.Opt[string]{Set: true, Null: true}},
			map[string]any{"assignee": []any{bCrew, nil}}, func(x *maint.Task) bool { return x.Assignee == "" }},
		{"due date", maint.TaskPatch{DueDate: maint.Opt[time.Time]{Set: true, V: due}},
			map[string]any{"due_date": []any{nil, "2030-01-02"}}, func(x *maint.Task) bool { return x.DueDate != nil && x.DueDate.Equal(due) }},
		{"due date cleared", maint.TaskPatch{DueDate: maint.Opt[time.Time]{Set: true, Null: true}},
			map[string]any{"due_date": []any{"2030-01-02", nil}}, func(x *maint.Task) bool { return x.DueDate == nil }},
		{"quantities, phase, percent", maint.TaskPatch{QtyPlanned: maint.Opt[float64]{Set: true, V: 120.5}, QtyDone: maint.Opt[float64]{Set: true, V: 30},
			QtyUnit: maint.Opt[string]{Set: true, V: "m"}, Phase: maint.Opt[maint.Phase]{Set: true, V: "excavation"}, Percent: maint.Opt[int]{Set: true, V: 25}},
			map[string]any{"qty_planned": []any{nil, 120.5}, "qty_done": []any{nil, 30.0}, "qty_unit": []any{"", "m"}, "phase": []any{nil, "excavation"}, "percent": []any{nil, 25.0}},
			func(x *maint.Task) bool {
				return x.QtyPlanned != nil && *x.QtyPlanned == 120.5 && x.QtyDone != nil && *x.QtyDone == 30 && x.QtyUnit == "m" &&
					x.Phase != nil && *x.Phase == "excavation" && x.Percent != nil && *x.Percent == 25
			}},
		{"note only", maint.TaskPatch{Note: "checked on site"}, map[string]any{}, func(x *maint.Task) bool {
			return x.History[len(x.History)-1].Note == "checked on site"
		}},
		{"internal note", maint.TaskPatch{Note: "owner is difficult", Internal: true}, map[string]any{}, func(x *maint.Task) bool {
			return x.History[len(x.History)-1].Internal
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := bTask(t, db, task.ID, eng)
			got, err := db.PatchTask(t.Context(), eng, task.ID, before.Version, c.p)
			if err != nil {
				t.Fatalf("PatchTask(%s): %v", c.name, err)
			}
			if !c.check(got) {
				t.Errorf("PatchTask(%s) = %+v: the change is not there", c.name, got)
			}
			if c.changes == nil {
				after := bTask(t, db, task.ID, eng)
				if len(got.History) != len(before.History) {
					t.Errorf("PatchTask(%s) answered %d history events, want the %d it has", c.name, len(got.History), len(before.History))
				}
				if got.Version != before.Version || after.Version != before.Version || len(after.History) != len(before.History) {
					t.Errorf("PatchTask(%s): answered v%d, now v%d with %d events; want v%d with %d (nothing changes)",
						c.name, got.Version, after.Version, len(after.History), before.Version, len(before.History))
				}
				return
			}
			if got.Version != before.Version+1 || len(got.History) != len(before.History)+1 {
				t.Fatalf("PatchTask(%s): v%d with %d events, want v%d with %d", c.name, got.Version, len(got.History), before.Version+1, len(before.History)+1)
			}
			e := got.History[len(got.History)-1]
			var changes map[string]any
			json.Unmarshal(e.Changes, &changes)
			if e.From != nil || e.To != nil || e.Actor != eng.Email || fmt.Sprint(changes) != fmt.Sprint(c.changes) || e.Note != c.p.Note {
				t.Errorf("PatchTask(%s): event %s → %s by %s, changes %s, note %q; want no status, by %s, changes %v, note %q",
					c.name, bStatusOf(e.From), bStatusOf(e.To), e.Actor, e.Changes, e.Note, eng.Email, c.changes, c.p.Note)
			}
		})
	}
	t.Run("internal note hidden from the public", func(t *testing.T) {
		for _, e := range bTask(t, db, task.ID, bResident).History {
			if e.Note == "owner is difficult" {
				t.Errorf("Task(resident) shows the internal note of event %d", e.ID)
			}
		}
	})

	refused := []struct {
		name    string
		version int // 0: current
		p       maint.TaskPatch
		code    maint.Code
		field   string
	}{
		{"stale version", -1, maint.TaskPatch{Title: maint.Opt[string]{Set: true, V: "b: late"}}, maint.CodePreconditionFailed, ""},
		{"inactive crew", 0, maint.TaskPatch{Assignee: maint.Opt[string]{Set: true, V: "b: retired crew"}}, maint.CodeInvalid, "assignee"},
		{"unknown crew", 0, maint.TaskPatch{Assignee: maint.Opt[string]{Set: true, V: "b: nobody"}}, maint.CodeInvalid, "assignee"},
		{"percent over 100", 0, maint.TaskPatch{Percent: maint.Opt[int]{Set: true, V: 101}}, maint.CodeInvalid, ""},
		{"unknown phase", 0, maint.TaskPatch{Phase: maint.Opt[maint.Phase]{Set: true, V: "dreaming"}}, maint.CodeInvalid, ""},
		{"empty title", 0, maint.TaskPatch{Title: maint.Opt[string]{Set: true, V: ""}}, maint.CodeInvalid, ""},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := bTask(t, db, task.ID, eng)
			_, err := db.PatchTask(t.Context(), eng, task.ID, before.Version+c.version, c.p)
			e := bWantCode(t, "PatchTask("+c.name+")", err, c.code)
			if c.field != "" && !slices.Contains(bFields(e), c.field) {
				t.Errorf("PatchTask(%s): fields %v, want %s", c.name, bFields(e), c.field)
			}
			if c.code == maint.CodePreconditionFailed && e.CurrentVersion != before.Version {
				t.Errorf("PatchTask(%s): CurrentVersion %d, want %d", c.name, e.CurrentVersion, before.Version)
			}
			bUnchanged(t, db, before)
		})
	}
	t.Run("closed task", func(t *testing.T) {
		closed := bDriveTo(t, db, staff, mh.ID, maint.StatusClosed)
		_, err := db.PatchTask(t.Context(), eng, closed.ID, closed.Version, maint.TaskPatch{Title: maint.Opt[string]{Set: true, V: "b: reopen"}})
		bWantCode(t, "PatchTask(closed)", err, maint.CodeConflict)
		bUnchanged(t, db, bTask(t, db, closed.ID, eng))
	})
	t.Run("unknown task", func(t *testing.T) {
		_, err := db.PatchTask(t.Context(), eng, 99_999_999, 1, maint.TaskPatch{Note: "x"})
		bWantCode(t, "PatchTask(99999999)", err, maint.CodeNotFound)
	})
}

// TestTasksTransitionWorkflow makes every step of the workflow table and
// checks that each writes exactly one history row, in the transaction that
// changes the task, with from, to, actor and note; and that the asset's
// status follows.
func TestTasksTransitionWorkflow(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	mhs := bManholes(t, db, 20)
	steps := 0
	for _, from := range maint.Statuses {
		for _, to := range maint.NextStatuses(from) {
			mh := mhs[steps]
			steps++
			for _, role := range []maint.Role{bRoleFor(from, to), maint.RoleAdmin} {
				t.Run(fmt.Sprintf("%s→%s as %s", from, to, role), func(t *testing.T) {
					task := bDriveTo(t, db, staff, mh.ID, from)
					if to == maint.StatusClosed {
						bAfterPhoto(t, db, staff[maint.RoleInspector], task.ID)
					}
					v := staff[role]
					tr := bStep(to)
					tr.Note = fmt.Sprintf("b: %s to %s by %s", from, to, role)
					tr.Internal = to == maint.StatusInProgress
					total := bCount(t, sql, `SELECT count(*) FROM task_events`)
					got, replayed, err := bTransitionTask(t, db, v, task.ID, task.Version, tr, nil)
					if err != nil || replayed {
						t.Fatalf("TransitionTask(%s → %s as %s): replayed %v, %v", from, to, role, replayed, err)
					}
					if got.Status != to || got.Version != task.Version+1 {
						t.Errorf("TransitionTask: %s v%d, want %s v%d", got.Status, got.Version, to, task.Version+1)
					}
					if n := bCount(t, sql, `SELECT count(*) FROM task_events`); n != total+1 {
						t.Errorf("TransitionTask wrote %d task_events rows, want exactly 1", n-total)
					}
					if len(got.History) != len(task.History)+1 {
						t.Fatalf("TransitionTask: %d history rows, want %d", len(got.History), len(task.History)+1)
					}
					e := got.History[len(got.History)-1]
					if bStatusOf(e.From) != string(from) || bStatusOf(e.To) != string(to) || e.Actor != v.Email ||
						e.ActorRole != string(role) || e.Note != tr.Note || e.Internal != tr.Internal {
						t.Errorf("TransitionTask: event %s → %s by %s (%s) note %q internal %v; want %s → %s by %s (%s) note %q internal %v",
							bStatusOf(e.From), bStatusOf(e.To), e.Actor, e.ActorRole, e.Note, e.Internal, from, to, v.Email, role, tr.Note, tr.Internal)
					}
					// now() is the transaction's start: the same instant for
					// the task's new state and its history row.
					if !e.At.Equal(got.StatusAt) {
						t.Errorf("TransitionTask: event at %v, status at %v: not written in one transaction", e.At, got.StatusAt)
					}
					if (to == maint.StatusClosed) != (got.ClosedAt != nil) {
						t.Errorf("TransitionTask(→ %s): closed at %v", to, got.ClosedAt)
					}
					if to == maint.StatusDispatched && from == maint.StatusFiled && task.Assignee == "" && !strings.Contains(string(e.Changes), "assignee") {
						t.Errorf("TransitionTask(dispatch): changes %s do not record the crew", e.Changes)
					}
					reread := bTask(t, db, task.ID, v)
					if reread.Status != to || reread.Version != got.Version || len(reread.History) != len(got.History) {
						t.Errorf("Task after the step: %s v%d %d events; the step answered %s v%d %d events",
							reread.Status, reread.Version, len(reread.History), got.Status, got.Version, len(got.History))
					}
					if st, at := bAssetStatus(t, db, mh.ID); st != to || at == nil || !at.Equal(got.StatusAt) {
						t.Errorf("asset %d status %s at %v, want its latest task's %s at %v", mh.ID, st, at, to, got.StatusAt)
					}
				})
			}
		}
	}
	if steps != 9 {
		t.Errorf("the workflow table has %d steps; this test was written for 9", steps)
	}
}

// TestTasksTransitionInvalid tries every move the workflow has no step for:
// conflict, listing the allowed states, and nothing written.
func TestTasksTransitionInvalid(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	admin := staff[maint.RoleAdmin]
	mh := bManholes(t, db, 1)[0]
	for _, from := range maint.Statuses {
		t.Run(string(from), func(t *testing.T) {
			task := bDriveTo(t, db, staff, mh.ID, from)
			bAfterPhoto(t, db, staff[maint.RoleInspector], task.ID) // closing is not refused for want of one
			task = bTask(t, db, task.ID, admin)
			total := bCount(t, sql, `SELECT count(*) FROM task_events`)
			for _, to := range maint.Statuses {
				if slices.Contains(maint.NextStatuses(from), to) {
					continue
				}
				tr := bStep(to)
				_, _, err := bTransitionTask(t, db, admin, task.ID, task.Version, tr, nil)
				e := bWantCode(t, fmt.Sprintf("TransitionTask(%s → %s)", from, to), err, maint.CodeConflict)
				if e.Allowed == nil || !slices.Equal(bStatusSet(e.Allowed), bStatusSet(maint.NextStatuses(from))) {
					t.Errorf("TransitionTask(%s → %s): Allowed %v, want %v (never nil)", from, to, e.Allowed, maint.NextStatuses(from))
				}
			}
			_, _, err := bTransitionTask(t, db, admin, task.ID, task.Version, maint.Transition{To: "limbo", Note: "x"}, nil)
			bWantCode(t, "TransitionTask(→ limbo)", err, maint.CodeInvalid)
			bUnchanged(t, db, task)
			if n := bCount(t, sql, `SELECT count(*) FROM task_events`); n != total {
				t.Errorf("refused transitions wrote %d task_events rows", n-total)
			}
			if st, _ := bAssetStatus(t, db, mh.ID); st != from {
				t.Errorf("asset status %s after refused moves, want %s", st, from)
			}
		})
	}
}

// TestTasksTransitionStale checks If-Match: a stale version is refused with
// the current version, before any rule of the workflow.
func TestTasksTransitionStale(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	mh := bManholes(t, db, 1)[0]
	task := bDriveTo(t, db, staff, mh.ID, maint.StatusFiled)
	cases := []struct {
		name    string
		version int
		tr      maint.Transition
	}{
		{"older", task.Version - 1, bStep(maint.StatusDispatched)},
		{"newer", task.Version + 1, bStep(maint.StatusDispatched)},
		{"older and not a step", task.Version - 1, bStep(maint.StatusClosed)},
		{"older and missing its crew", task.Version - 1, maint.Transition{To: maint.StatusDispatched}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := bTransitionTask(t, db, staff[maint.RoleEngineer], task.ID, c.version, c.tr, nil)
			e := bWantCode(t, "TransitionTask(v"+fmt.Sprint(c.version)+")", err, maint.CodePreconditionFailed)
			if e.CurrentVersion != task.Version {
				t.Errorf("TransitionTask(v%d): CurrentVersion %d, want %d", c.version, e.CurrentVersion, task.Version)
			}
			bUnchanged(t, db, task)
		})
	}
	t.Run("unknown task", func(t *testing.T) {
		_, _, err := bTransitionTask(t, db, staff[maint.RoleEngineer], 99_999_999, 1, bStep(maint.StatusFiled), nil)
		bWantCode(t, "TransitionTask(99999999)", err, maint.CodeNotFound)
	})
}

// TestTasksTransitionNeeds checks the steps that need more than a target:
// a reason, a crew, a photo of the finished work.
func TestTasksTransitionNeeds(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	admin := staff[maint.RoleAdmin]
	mh := bManholes(t, db, 1)[0]
	if err := db.SaveCrew(t.Context(), admin, "", maint.Crew{Name: "b: retired crew", Active: false}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		from  maint.Status
		setup func(task *maint.Task)
		tr    maint.Transition
		code  maint.Code
		field string
	}{
		{"reject without a note", maint.StatusReported, nil, maint.Transition{To: maint.StatusRejected}, maint.CodeInvalid, "note"},
		{"reject with a blank note", maint.StatusReported, nil, maint.Transition{To: maint.StatusRejected, Note: " \t\n"}, maint.CodeInvalid, "note"},
		{"cancel without a note", maint.StatusFiled, nil, maint.Transition{To: maint.StatusCancelled}, maint.CodeInvalid, "note"},
		{"fail verification without a note", maint.StatusDone, nil, maint.Transition{To: maint.StatusInProgress}, maint.CodeInvalid, "note"},
		{"dispatch without a crew", maint.StatusFiled, nil, maint.Transition{To: maint.StatusDispatched, Note: "go"}, maint.CodeInvalid, "assignee"},
		{"dispatch to an inactive crew", maint.StatusFiled, nil, maint.Transition{To: maint.StatusDispatched, Assignee: "b: retired crew"}, maint.CodeInvalid, "assignee"},
		{"dispatch to an unknown crew", maint.StatusFiled, nil, maint.Transition{To: maint.StatusDispatched, Assignee: "b: nobody"}, maint.CodeInvalid, "assignee"},
		{"close without a photo", maint.StatusDone, nil, maint.Transition{To: maint.StatusClosed}, maint.CodeUnprocessable, "photos"},
		{"close with a photo taken during the work", maint.StatusDone, func(task *maint.Task) {
			if _, _, err := bAddPhoto(t, db, admin, bNewPhoto(task.ID, 0, maint.StageDuring), nil); err != nil {
				t.Fatal(err)
			}
		}, maint.Transition{To: maint.StatusClosed}, maint.CodeUnprocessable, "photos"},
		{"close with a hidden photo of the finished work", maint.StatusDone, func(task *maint.Task) {
			p := bAfterPhoto(t, db, admin, task.ID)
			if _, err := db.SetPhotoVisible(t.Context(), admin, "", p.ID, false, "b: wrong site"); err != nil {
				t.Fatal(err)
			}
		}, maint.Transition{To: maint.StatusClosed}, maint.CodeUnprocessable, "photos"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			task := bDriveTo(t, db, staff, mh.ID, c.from)
			if c.setup != nil {
				c.setup(task)
			}
			_, _, err := bTransitionTask(t, db, admin, task.ID, task.Version, c.tr, nil)
			e := bWantCode(t, "TransitionTask("+c.name+")", err, c.code)
			if !slices.Contains(bFields(e), c.field) {
				t.Errorf("TransitionTask(%s): fields %v, want %s", c.name, bFields(e), c.field)
			}
			bUnchanged(t, db, task)
		})
	}
	t.Run("redispatch keeps the crew", func(t *testing.T) {
		task := bDriveTo(t, db, staff, mh.ID, maint.StatusDispatched)
		task = bMove(t, db, staff, task, maint.Transition{To: maint.StatusFiled, Note: "b: back"})
		got, _, err := bTransitionTask(t, db, staff[maint.RoleEngineer], task.ID, task.Version, maint.Transition{To: maint.StatusDispatched}, nil)
		if err != nil || got.Assignee != bCrew {
			t.Fatalf("TransitionTask(re-dispatch without a crew) = %v, %v; want dispatched to %s", got, err, bCrew)
		}
	})
}

// TestTasksTransitionRoles checks that each step is refused, forbidden and
// without a trace, to every role the workflow table does not name, and
// allowed to admins.
func TestTasksTransitionRoles(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	staff[maint.RoleNone] = bResident
	mh := bManholes(t, db, 1)[0]
	for _, from := range maint.Statuses {
		for _, to := range maint.NextStatuses(from) {
			t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) {
				task := bDriveTo(t, db, staff, mh.ID, from)
				if to == maint.StatusClosed {
					bAfterPhoto(t, db, staff[maint.RoleInspector], task.ID)
					task = bTask(t, db, task.ID, staff[maint.RoleAdmin])
				}
				total := bCount(t, sql, `SELECT count(*) FROM task_events`)
				for _, role := range []maint.Role{maint.RoleNone, maint.RoleEngineer, maint.RoleInspector} {
					allowed := slices.Contains(maint.AllowedTransitions(from, role), to)
					if allowed {
						continue // made by TestTasksTransitionWorkflow
					}
					_, _, err := bTransitionTask(t, db, staff[role], task.ID, task.Version, bStep(to), nil)
					e := bWantCode(t, fmt.Sprintf("TransitionTask(%s → %s as %q)", from, to, role), err, maint.CodeForbidden)
					if !slices.Equal(bStatusSet(e.Allowed), bStatusSet(maint.AllowedTransitions(from, role))) {
						t.Errorf("TransitionTask(%s → %s as %q): Allowed %v, want %v", from, to, role, e.Allowed, maint.AllowedTransitions(from, role))
					}
				}
				bUnchanged(t, db, task)
				if n := bCount(t, sql, `SELECT count(*) FROM task_events`); n != total {
					t.Errorf("forbidden transitions wrote %d task_events rows", n-total)
				}
				if _, _, err := bTransitionTask(t, db, staff[maint.RoleAdmin], task.ID, task.Version, bStep(to), nil); err != nil {
					t.Errorf("TransitionTask(%s → %s as admin): %v", from, to, err)
				}
			})
		}
	}
	// The store's rule agrees with the permission table: only those who may
	// edit tasks file reports, and the public may not move a task at all.
	for _, role := range []maint.Role{maint.RoleNone, maint.RoleEngineer, maint.RoleInspector, maint.RoleAdmin} {
		files := slices.Contains(maint.AllowedTransitions(maint.StatusReported, role), maint.StatusFiled)
		if files != maint.Can(role, maint.PermEditTask) {
			t.Errorf("role %q: may file %v, but Can(edit_task) = %v", role, files, maint.Can(role, maint.PermEditTask))
		}
	}
}

// TestTasksTransitionConcurrent sends 50 transitions of one task with the
// same version at once: exactly one wins, the others are told the version
// moved on, and the history gains one row.
func TestTasksTransitionConcurrent(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	mh := bManholes(t, db, 1)[0]
	task := bNewTask(t, db, staff[maint.RoleEngineer], mh.ID, "b: race")
	total := bCount(t, sql, `SELECT count(*) FROM task_events`)
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, _, errs[i] = bTransitionTask(t, db, staff[maint.RoleEngineer], task.ID, task.Version,
				maint.Transition{To: maint.StatusFiled, Note: fmt.Sprintf("b: racer %d", i)}, nil)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch maint.ErrorCode(err) {
		case "":
			won++
		case maint.CodePreconditionFailed:
			if e, _ := maint.AsError(err); e.CurrentVersion != task.Version+1 {
				t.Errorf("racer %d: CurrentVersion %d, want %d", i, e.CurrentVersion, task.Version+1)
			}
		default:
			t.Errorf("racer %d: %v, want success or precondition_failed", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent transitions succeeded, want exactly 1", won, n)
	}
	got := bTask(t, db, task.ID, staff[maint.RoleEngineer])
	if got.Status != maint.StatusFiled || got.Version != task.Version+1 || len(got.History) != 2 {
		t.Errorf("after the race: %s v%d with %d events, want filed v%d with 2", got.Status, got.Version, len(got.History), task.Version+1)
	}
	if c := bCount(t, sql, `SELECT count(*) FROM task_events`); c != total+1 {
		t.Errorf("the race wrote %d task_events rows, want 1", c-total)
	}
}

// TestTasksEventsAppendOnly checks that the history cannot be rewritten.
func TestTasksEventsAppendOnly(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	mh := bManholes(t, db, 1)[0]
	task := bDriveTo(t, db, staff, mh.ID, maint.StatusFiled)
	before := bTask(t, db, task.ID, staff[maint.RoleAdmin]).History
	id := before[1].ID
	for _, stmt := range []string{
		`UPDATE task_events SET note = 'rewritten' WHERE id = $1`,
		`UPDATE task_events SET to_status = 'closed' WHERE task_id = (SELECT task_id FROM task_events WHERE id = $1)`,
		`DELETE FROM task_events WHERE id = $1`,
		`TRUNCATE task_events CASCADE`,
	} {
		t.Run(strings.Fields(stmt)[0], func(t *testing.T) {
			var err error
			if strings.Contains(stmt, "$1") {
				_, err = sql.Exec(t.Context(), stmt, id)
			} else {
				_, err = sql.Exec(t.Context(), stmt)
			}
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42501" || !strings.Contains(pe.Message, "append-only") {
				t.Errorf("%s: %v; want the append-only trigger's error (42501)", stmt, err)
			}
		})
	}
	after := bTask(t, db, task.ID, staff[maint.RoleAdmin]).History
	if len(after) != len(before) || after[1].Note != before[1].Note || bStatusOf(after[1].To) != bStatusOf(before[1].To) {
		t.Errorf("history changed: %+v, was %+v", after, before)
	}
}

// TestTasksAssetStatusFollowsLatest checks that an asset's status is that
// of its latest task, whatever older tasks do.
func TestTasksAssetStatusFollowsLatest(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	mh := bManholes(t, db, 1)[0]
	a, err := db.Asset(t.Context(), mh.ID, staff[maint.RoleAdmin])
	if err != nil || a.Status == nil || len(a.Tasks) == 0 || *a.Status != a.Tasks[0].Status {
		t.Fatalf("Asset(%d): %v; want a status equal to its newest task's", mh.ID, err)
	}
	want := func(step string, s maint.Status, latest *maint.Task) {
		t.Helper()
		st, at := bAssetStatus(t, db, mh.ID)
		if st != s || at == nil || !at.Equal(latest.StatusAt) {
			t.Errorf("%s: asset status %s at %v, want %s at %v", step, st, at, s, latest.StatusAt)
		}
	}
	older := bNewTask(t, db, staff[maint.RoleEngineer], mh.ID, "b: older")
	want("create older", maint.StatusReported, older)
	older = bMove(t, db, staff, older, bStep(maint.StatusFiled))
	want("file older", maint.StatusFiled, older)
	newer := bNewTask(t, db, staff[maint.RoleInspector], mh.ID, "b: newer")
	want("create newer", maint.StatusReported, newer)
	older = bMove(t, db, staff, older, bStep(maint.StatusDispatched))
	want("dispatch older", maint.StatusReported, newer)
	if _, err := db.PatchTask(t.Context(), staff[maint.RoleEngineer], older.ID, older.Version, maint.TaskPatch{Note: "b: note"}); err != nil {
		t.Fatal(err)
	}
	want("patch older", maint.StatusReported, newer)
	newer = bMove(t, db, staff, newer, bStep(maint.StatusRejected))
	want("reject newer", maint.StatusRejected, newer)
}

// TestTasksIdempotency checks retries with an Idempotency-Key: the first
// outcome again and nothing written; the key with another request refused.
func TestTasksIdempotency(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	eng := staff[maint.RoleEngineer]
	mh := bManholes(t, db, 1)[0]
	counts := func() [2]int {
		return [2]int{bCount(t, sql, `SELECT count(*) FROM tasks`), bCount(t, sql, `SELECT count(*) FROM task_events`)}
	}
	in := maint.NewTask{AssetID: &mh.ID, Title: "b: once", Source: maint.SourceEngineer}
	key := &maint.Idempotency{Scope: "user:1 POST /api/v1/tasks", Key: "k-create", RequestHash: "h1"}

	first, replayed, err := bCreateTask(t, db, eng, in, key)
	if err != nil || replayed {
		t.Fatalf("CreateTask(key): replayed %v, %v", replayed, err)
	}
	c0 := counts()
	again, replayed, err := bCreateTask(t, db, eng, in, key)
	if err != nil || !replayed || again.ID != first.ID || again.Ref != first.Ref || again.Version != 1 {
		t.Errorf("CreateTask(same key) = %+v, replayed %v, %v; want task %d replayed", again, replayed, err, first.ID)
	}
	if c := counts(); c != c0 {
		t.Errorf("CreateTask(same key) wrote: tasks, events %v → %v", c0, c)
	}
	other := *key
	other.RequestHash = "h2"
	_, _, err = bCreateTask(t, db, eng, maint.NewTask{AssetID: &mh.ID, Title: "b: other", Source: maint.SourceEngineer}, &other)
	bWantCode(t, "CreateTask(same key, other request)", err, maint.CodeUnprocessable)
	if c := counts(); c != c0 {
		t.Errorf("CreateTask(same key, other request) wrote: %v → %v", c0, c)
	}
	scoped := *key
	scoped.Scope = "user:2 POST /api/v1/tasks"
	if x, replayed, err := bCreateTask(t, db, eng, in, &scoped); err != nil || replayed || x.ID == first.ID {
		t.Errorf("CreateTask(same key, other scope) = %v, replayed %v, %v; want a new task", x, replayed, err)
	}

	t.Run("transition", func(t *testing.T) {
		task := bNewTask(t, db, eng, mh.ID, "b: step once")
		key := &maint.Idempotency{Scope: "user:1 POST /api/v1/tasks/x/transitions", Key: "k-step", RequestHash: "h1"}
		tr := bStep(maint.StatusFiled)
		moved, replayed, err := bTransitionTask(t, db, eng, task.ID, task.Version, tr, key)
		if err != nil || replayed {
			t.Fatalf("TransitionTask(key): replayed %v, %v", replayed, err)
		}
		c0 := counts()
		// The retry carries the version the first attempt read: it gets the
		// first answer, not a precondition failure.
		again, replayed, err := bTransitionTask(t, db, eng, task.ID, task.Version, tr, key)
		if err != nil || !replayed || again.ID != task.ID || again.Status != maint.StatusFiled || again.Version != moved.Version ||
			len(again.History) != len(moved.History) {
			t.Errorf("TransitionTask(same key) = %+v, replayed %v, %v; want the first answer (filed v%d) replayed", again, replayed, err, moved.Version)
		}
		if c := counts(); c != c0 {
			t.Errorf("TransitionTask(same key) wrote: %v → %v", c0, c)
		}
		other := *key
		other.RequestHash = "h2"
		_, _, err = bTransitionTask(t, db, eng, task.ID, moved.Version, bStep(maint.StatusDispatched), &other)
		bWantCode(t, "TransitionTask(same key, other request)", err, maint.CodeUnprocessable)
		bUnchanged(t, db, bTask(t, db, task.ID, eng))
		if got := bTask(t, db, task.ID, eng); got.Status != maint.StatusFiled {
			t.Errorf("after a refused retry the task is %s, want filed", got.Status)
		}
	})

	t.Run("concurrent retries", func(t *testing.T) {
		key := &maint.Idempotency{Scope: "user:1 POST /api/v1/tasks", Key: "k-race", RequestHash: "h"}
		c0 := counts()
		const n = 10
		ids := make([]int64, n)
		replays := make([]bool, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				x, r, err := bCreateTask(t, db, eng, in, key)
				if err != nil {
					t.Errorf("CreateTask(retry %d): %v", i, err)
					return
				}
				ids[i], replays[i] = x.ID, r
			})
		}
		wg.Wait()
		fresh := 0
		for i := range n {
			if !replays[i] {
				fresh++
			}
			if ids[i] != ids[0] {
				t.Errorf("retry %d got task %d, retry 0 task %d", i, ids[i], ids[0])
			}
		}
		if c := counts(); fresh != 1 || c[0] != c0[0]+1 || c[1] != c0[1]+1 {
			t.Errorf("%d concurrent retries: %d not replayed, tasks and events %v → %v; want 1 and one of each", n, fresh, c0, c)
		}
	})
}

// TestTasksFilingShowsReportPhotos checks that filing a report shows its
// report photos to the public, except those hidden for a reason.
func TestTasksFilingShowsReportPhotos(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	admin := staff[maint.RoleAdmin]
	mh := bManholes(t, db, 1)[0]
	task := bNewTask(t, db, staff[maint.RoleEngineer], mh.ID, "b: report")
	var ids [3]int64
	for i, stage := range []maint.Stage{maint.StageReport, maint.StageReport, maint.StageBefore} {
		np := bNewPhoto(task.ID, 0, stage)
		np.Visible = false
		p, _, err := bAddPhoto(t, db, bResident, np, nil)
		if err != nil {
			t.Fatalf("AddPhoto(%s): %v", stage, err)
		}
		ids[i] = p.ID
	}
	if _, err := db.SetPhotoVisible(t.Context(), admin, "", ids[1], false, "b: a face"); err != nil {
		t.Fatal(err)
	}
	if ps, _ := db.Photos(t.Context(), &task.ID, nil, bResident); len(ps) != 0 {
		t.Fatalf("Photos(resident) before filing: %d, want 0", len(ps))
	}
	bMove(t, db, staff, task, bStep(maint.StatusFiled))
	ps, err := db.Photos(t.Context(), &task.ID, nil, bResident)
	if err != nil || len(ps) != 1 || ps[0].ID != ids[0] {
		t.Errorf("Photos(resident) after filing = %d photos, %v; want only the report photo %d", len(ps), err, ids[0])
	}
}

// bWait waits for cond, up to a few seconds.
func bWait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
