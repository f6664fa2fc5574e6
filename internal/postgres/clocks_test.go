package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/timelimit"
	"inframap/internal/workcal"
)

// cClock is a task_clocks row as the tests read it.
type cClock struct {
	Step     string
	Unit     string
	N        float64
	Assignee string
	Started  time.Time
	Deadline *time.Time
	Ended    *time.Time
	Outcome  *string
	Late     *bool
	Rework   bool
}

func cClocks(t testing.TB, db *postgres.DB, task int64) []cClock {
	t.Helper()
	rows, err := pgtest.SQL(t, db).Query(t.Context(), `SELECT step, unit, n, assignee, started_at, deadline, ended_at, outcome, late, rework
		FROM task_clocks WHERE task_id = $1 ORDER BY started_at, id`, task)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []cClock
	for rows.Next() {
		var c cClock
		if err := rows.Scan(&c.Step, &c.Unit, &c.N, &c.Assignee, &c.Started, &c.Deadline, &c.Ended, &c.Outcome, &c.Late, &c.Rework); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func cOutcome(c cClock) string {
	if c.Outcome == nil {
		return "running"
	}
	return *c.Outcome
}

// TestClockFlow follows a case through the flow: each step's clock starts
// with the state, 处置 runs from dispatch through 处置中, a hand-back and a
// failed verification end their steps as such, and the task shows its
// running clock.
func TestClockFlow(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	mh := bManholes(t, db, 1)
	cal := db.Calendar(t.Context())
	task := bNewTask(t, db, staff[maint.RoleEngineer], mh[0].ID, "c: clock flow")
	if task.Clock == nil || task.Clock.Step != "file" || task.Clock.Unit != "working_hours" || task.Clock.N != 2 {
		t.Fatalf("a new case's clock: %+v, want 立案 within 2 working hours", task.Clock)
	}
	if want := cal.AddWorkingHours(task.Clock.StartedAt, 2*time.Hour); !task.Clock.Deadline.Equal(want) {
		t.Errorf("deadline %v, want %v", task.Clock.Deadline, want)
	}
	task = bMove(t, db, staff, task, bStep(maint.StatusFiled))
	task = bMove(t, db, staff, task, bStep(maint.StatusDispatched))
	if task.Clock.Step != "handle" || task.Clock.Unit != "working_days" || task.Clock.N != 5 {
		t.Errorf("dispatched: %+v, want 处置 within 5 working days", task.Clock)
	}
	started := task.Clock.StartedAt
	// 回退: the unit hands the case back; the dispatch step starts again.
	task = bMove(t, db, staff, task, maint.Transition{To: maint.StatusFiled, Note: "c: not ours"})
	if task.Clock.Step != "dispatch" {
		t.Errorf("handed back: %+v", task.Clock)
	}
	task = bMove(t, db, staff, task, bStep(maint.StatusDispatched))
	task = bMove(t, db, staff, task, bStep(maint.StatusInProgress))
	if task.Clock.Step != "handle" || task.Clock.StartedAt.Equal(started) {
		t.Errorf("in progress: %+v, want the second dispatch's 处置", task.Clock)
	}
	task = bMove(t, db, staff, task, bStep(maint.StatusDone))
	task = bMove(t, db, staff, task, maint.Transition{To: maint.StatusInProgress, Note: "c: still rocking"})
	if !task.Clock.Rework || task.Clock.Step != "handle" {
		t.Errorf("sent back: %+v, want a rework 处置", task.Clock)
	}
	task = bMove(t, db, staff, task, bStep(maint.StatusDone))
	task = bMove(t, db, staff, task, bStep(maint.StatusClosed))
	if task.Clock != nil || task.Overdue {
		t.Errorf("closed: clock %+v overdue %v", task.Clock, task.Overdue)
	}
	got := cClocks(t, db, task.ID)
	want := []struct{ step, outcome string }{
		{"file", "passed"}, {"dispatch", "passed"}, {"handle", "handed_back"}, {"dispatch", "passed"},
		{"handle", "passed"}, {"verify", "rework"}, {"handle", "passed"}, {"verify", "passed"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d clocks, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Step != w.step || cOutcome(got[i]) != w.outcome || got[i].Late == nil || *got[i].Late {
			t.Errorf("clock %d: %s %s late %v, want %s %s on time", i, got[i].Step, cOutcome(got[i]), got[i].Late, w.step, w.outcome)
		}
	}
	if got[2].Assignee != bCrew || !got[6].Rework {
		t.Errorf("the 处置 clocks: %+v", got)
	}
	// The history says each step's deadline and whether the ended one was late.
	var changes map[string][2]any
	last := task.History[len(task.History)-1]
	if err := json.Unmarshal(last.Changes, &changes); err != nil || changes["late"][1] != false {
		t.Errorf("closing row's changes: %s", last.Changes)
	}
}

// TestClockActions asks for, decides and ends an extension and a
// suspension.
func TestClockActions(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	ctx := t.Context()
	staff := bStaff(t, db)
	eng, admin, insp := staff[maint.RoleEngineer], staff[maint.RoleAdmin], staff[maint.RoleInspector]
	cal := db.Calendar(ctx)
	mh := bManholes(t, db, 1)
	task := bDriveTo(t, db, staff, mh[0].ID, maint.StatusDispatched)
	act := func(v maint.Viewer, a maint.ClockAction) (*maint.Task, error) {
		t.Helper()
		cur := bTask(t, db, task.ID, admin)
		return db.ClockAction(ctx, v, task.ID, cur.Version, a)
	}
	must := func(v maint.Viewer, a maint.ClockAction) *maint.Task {
		t.Helper()
		got, err := act(v, a)
		if err != nil {
			t.Fatalf("%s: %v", a.Action, err)
		}
		return got
	}
	before := *task.Clock.Deadline
	got := must(insp, maint.ClockAction{Action: "request_extension", N: 2, Reason: "c: frozen ground"})
	if len(got.Clock.Requests) != 1 || got.Clock.Requests[0].Decision != "" || !got.Clock.Deadline.Equal(before) {
		t.Fatalf("after the request: %+v", got.Clock)
	}
	rid := got.Clock.Requests[0].ID
	_, err := act(insp, maint.ClockAction{Action: "request_extension", N: 1, Reason: "c: again"})
	if e := bWantCode(t, "a second pending extension", err, maint.CodeConflict); e.Reason != "pending_request" {
		t.Errorf("a second pending extension: reason %q", e.Reason)
	}
	_, err = act(insp, maint.ClockAction{Action: "approve", Request: rid})
	bWantCode(t, "an inspector approves", err, maint.CodeForbidden)
	_, err = act(eng, maint.ClockAction{Action: "approve", Request: 999999})
	bWantCode(t, "approve no such request", err, maint.CodeNotFound)
	got = must(eng, maint.ClockAction{Action: "approve", Request: rid, Note: "c: agreed"})
	if want := cal.Deadline(got.Clock.StartedAt, workcal.Limit{Unit: workcal.WorkingDays, N: 7}); !got.Clock.Deadline.Equal(want) ||
		got.Clock.Extended != 2 || got.Clock.Extensions != 1 {
		t.Errorf("approved: deadline %v extended %v (%d), want %v after 5 + 2 working days", got.Clock.Deadline, got.Clock.Extended, got.Clock.Extensions, want)
	}
	_, err = act(eng, maint.ClockAction{Action: "refuse", Request: rid})
	bWantCode(t, "decide twice", err, maint.CodeConflict)

	// An engineer's own request is for another to decide; an admin may.
	got = must(eng, maint.ClockAction{Action: "request_suspension", Reason: "c: gas main in the way"})
	sid := got.Clock.Requests[len(got.Clock.Requests)-1].ID
	_, err = act(eng, maint.ClockAction{Action: "approve", Request: sid})
	if e := bWantCode(t, "approve one's own request", err, maint.CodeForbidden); e.Reason != "own_request" {
		t.Errorf("approve one's own request: reason %q", e.Reason)
	}
	_, err = act(eng, maint.ClockAction{Action: "resume"})
	if e := bWantCode(t, "resume a running clock", err, maint.CodeConflict); e.Reason != "not_suspended" {
		t.Errorf("resume a running clock: reason %q", e.Reason)
	}
	got = must(admin, maint.ClockAction{Action: "approve", Request: sid})
	if got.Clock.Light != "paused" || got.Clock.PausedSince == nil || got.Overdue {
		t.Fatalf("suspended: %+v", got.Clock)
	}
	paused, deadline := *got.Clock.PausedSince, *got.Clock.Deadline
	got = must(eng, maint.ClockAction{Action: "resume", Note: "c: moved"})
	resumed := got.History[len(got.History)-1].At
	if want := cal.AddWorkingHours(deadline, cal.WorkingTimeBetween(paused, resumed)); got.Clock.PausedSince != nil || !got.Clock.Deadline.Equal(want) ||
		got.Clock.Suspensions != 1 {
		t.Errorf("resumed: %+v, want deadline %v", got.Clock, want)
	}
	var changes map[string][2]any
	if err := json.Unmarshal(got.History[len(got.History)-1].Changes, &changes); err != nil || changes["suspended"] != [2]any{true, false} {
		t.Errorf("resume row: %s", got.History[len(got.History)-1].Changes)
	}
	// Every action wrote one history row.
	if n := bCount(t, pgtest.SQL(t, db), `SELECT count(*) FROM task_events WHERE task_id = $1 AND to_status IS NULL`, task.ID); n != 5 {
		t.Errorf("%d clock rows in the history, want 5", n)
	}
	// A closed case has no clock to change; residents change none.
	closed := bDriveTo(t, db, staff, mh[0].ID, maint.StatusClosed)
	_, err = db.ClockAction(ctx, eng, closed.ID, closed.Version, maint.ClockAction{Action: "request_suspension", Reason: "x"})
	bWantCode(t, "a closed case", err, maint.CodeConflict)
	_, err = db.ClockAction(ctx, bResident, task.ID, got.Version, maint.ClockAction{Action: "resume"})
	bWantCode(t, "a resident", err, maint.CodeForbidden)
}

// TestTimeLimitsAndCalendar: an admin's limit holds the steps that start
// afterwards, an admin's day changes the calendar, both with audit rows.
func TestTimeLimitsAndCalendar(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	ctx := t.Context()
	staff := bStaff(t, db)
	admin := staff[maint.RoleAdmin]
	sql := pgtest.SQL(t, db)
	if err := db.SetTimeLimit(ctx, admin, "", "c_fast", timelimit.StepFile, &timelimit.Rule{Unit: timelimit.NaturalHours, N: 0.5}); err != nil {
		t.Fatal(err)
	}
	mh := bManholes(t, db, 1)
	task, _, err := bCreateTask(t, db, staff[maint.RoleEngineer], maint.NewTask{AssetID: &mh[0].ID, Title: "c: fast", WorkType: "c_fast", Source: maint.SourceEngineer}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if task.Clock.Unit != "natural_hours" || !task.Clock.Deadline.Equal(task.Clock.StartedAt.Add(30*time.Minute)) {
		t.Errorf("c_fast: %+v", task.Clock)
	}
	limits, err := db.TimeLimits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range limits {
		if l.CaseType == "c_fast" && l.Step == timelimit.StepFile {
			found = l.Default == nil && l.N == 0.5
		}
	}
	if !found {
		t.Errorf("the admin's limit is not listed as one without a default")
	}
	if err := db.SetTimeLimit(ctx, admin, "", "c_fast", timelimit.StepFile, nil); err != nil {
		t.Fatal(err)
	}
	err = db.SetTimeLimit(ctx, admin, "", "c_fast", timelimit.StepFile, nil)
	bWantCode(t, "reset a default", err, maint.CodeNotFound)

	// 2026-12-07 is a Monday; an admin makes it a day off.
	day := workcal.NewDate(2026, 12, 7)
	if !db.Calendar(ctx).IsWorkingDay(day) {
		t.Fatal("2026-12-07 is not a working day")
	}
	if err := db.SetCalendarDay(ctx, admin, "", day, &workcal.Day{Date: day, Kind: workcal.Holiday, Reason: "区政府通知", ReasonEn: "District notice"}); err != nil {
		t.Fatal(err)
	}
	if db.Calendar(ctx).IsWorkingDay(day) || db.Calendar(ctx).Day(day).Reason != "区政府通知" {
		t.Errorf("after the admin's entry: %+v", db.Calendar(ctx).Day(day))
	}
	if err := db.SetCalendarDay(ctx, admin, "", day, nil); err != nil {
		t.Fatal(err)
	}
	if !db.Calendar(ctx).IsWorkingDay(day) {
		t.Errorf("after the reset, 2026-12-07 is still off")
	}
	if n := bCount(t, sql, `SELECT count(*) FROM audit_events WHERE action IN ('time_limit.set', 'time_limit.reset', 'calendar.set', 'calendar.reset')`); n != 4 {
		t.Errorf("%d audit rows, want 4", n)
	}
}

// TestClocksOfTheHistory: the district's cases get the clocks of their
// histories on load, the special cases of the seed among them, and a second
// pass finds nothing to do.
func TestClocksOfTheHistory(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	if n := bCount(t, sql, `SELECT count(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM task_clocks c WHERE c.task_id = t.id)`); n != 0 {
		t.Errorf("%d tasks without clocks", n)
	}
	open := bCount(t, sql, `SELECT count(*) FROM tasks WHERE status IN ('reported', 'filed', 'dispatched', 'in_progress', 'done')`)
	if n := bCount(t, sql, `SELECT count(*) FROM task_clocks WHERE ended_at IS NULL`); n != open || open != 60 {
		t.Errorf("%d running clocks, %d open cases, want 60 each", n, open)
	}
	// The open routine cases that carry the special events, one each.
	const running = ` c JOIN tasks t ON t.id = c.task_id AND t.status IN ('reported', 'filed', 'dispatched', 'in_progress', 'done') WHERE `
	for what, q := range map[string]string{
		"an extension":         `c.extensions = 1 AND c.extended = 3 AND c.ended_at IS NULL`,
		"a running suspension": `c.paused_since IS NOT NULL`,
		"an ended suspension":  `c.suspensions = 1 AND c.paused_since IS NULL AND c.paused_seconds > 0 AND c.ended_at IS NULL`,
		"a hand-back":          `c.outcome = 'handed_back'`,
		"a rework":             `c.rework AND c.ended_at IS NULL`,
	} {
		if n := bCount(t, sql, `SELECT count(*) FROM task_clocks`+running+q); n != 1 {
			t.Errorf("%s: %d clocks, want 1", what, n)
		}
	}
	// The routine work finished in the year before: a hand-back, a rework,
	// an extension and a suspension among them, some steps late.
	const closed = ` c JOIN tasks t ON t.id = c.task_id AND t.programme = 'routine' AND t.status = 'closed' WHERE `
	for what, q := range map[string]string{
		"late steps":  `c.late`,
		"hand-backs":  `c.outcome = 'handed_back'`,
		"reworks":     `c.rework`,
		"extensions":  `c.extensions > 0`,
		"suspensions": `c.suspensions > 0`,
	} {
		if n := bCount(t, sql, `SELECT count(*) FROM task_clocks`+closed+q); n == 0 {
			t.Errorf("closed routine cases with %s: none", what)
		}
	}
	// Programme works are held to their due dates.
	if n := bCount(t, sql, `SELECT count(*) FROM task_clocks c JOIN tasks t ON t.id = c.task_id
		WHERE t.work_type = 'capital_works' AND c.step = 'handle' AND c.unit = 'due_date' AND c.deadline IS NOT NULL`); n != 1 {
		t.Errorf("the capital project's 处置: %d clocks on its due date", n)
	}
	if n, err := db.EnsureClocks(context.Background()); err != nil || n != 0 {
		t.Errorf("EnsureClocks again: %d, %v", n, err)
	}
}
