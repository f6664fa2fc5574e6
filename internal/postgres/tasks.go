package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
	"inframap/internal/outbox"
	"inframap/internal/workcal"
)

// taskFrom is the FROM clause of task queries: a task with its asset's kind,
// code and name when it has one.
const taskFrom = ` FROM tasks t LEFT JOIN assets a ON a.id = t.asset_id
	LEFT JOIN task_clocks c ON c.task_id = t.id AND c.ended_at IS NULL`

// taskPlaceColumns are where a task is on a map: the place it was reported
// at, else its asset's anchor (a point on the asset).
const taskPlaceColumns = `coalesce(ST_X(ST_PointOnSurface(t.location)), a.anchor_lon), coalesce(ST_Y(ST_PointOnSurface(t.location)), a.anchor_lat)`

// taskAssetColumns are the asset's columns, the task's place and the running
// clock's.
const taskAssetColumns = `, a.kind, a.code, a.name, ` + taskPlaceColumns + `, ` + taskClockColumns

// taskFromNoClock and taskAssetColumnsNoClock read tasks as they were read
// before they had clocks (the benchmark of what the clocks cost).
const (
	taskFromNoClock         = ` FROM tasks t LEFT JOIN assets a ON a.id = t.asset_id`
	taskAssetColumnsNoClock = `, a.kind, a.code, a.name, ` + taskPlaceColumns + `, NULL::text, NULL::text, NULL::float8, NULL::timestamptz, NULL::timestamptz,
	NULL::float8, NULL::int, NULL::timestamptz, NULL::bigint, NULL::int, NULL::bool`
)

// clockReader reads running clocks: the calendar in force, the warning
// share and the instant they are read at.
type clockReader struct {
	cal  *workcal.Calendar
	warn float64
	now  time.Time
}

func (db *DB) reader(ctx context.Context, q querier) clockReader {
	return clockReader{cal: db.calendarIn(ctx, q), warn: db.warnShare, now: time.Now()}
}

// scanTaskRow reads taskColumns and taskAssetColumns into t, the running
// clock read by rd (none when rd has no calendar).
func scanTaskRow(row pgx.Row, t *maint.Task, v maint.Viewer, rd clockReader) error {
	var kind, code, name *string
	var lon, lat *float64
	var cs taskClock
	if err := scanTaskWith(row, t, v, append([]any{&kind, &code, &name, &lon, &lat}, cs.dest()...)...); err != nil {
		return err
	}
	t.AssetKind, t.AssetCode, t.AssetName = maint.Kind(deref(kind)), deref(code), deref(name)
	if lon != nil && lat != nil {
		// To 7 places (1 cm), as GeoJSON is written here.
		t.Place = &[2]float64{math.Round(*lon*1e7) / 1e7, math.Round(*lat*1e7) / 1e7}
	}
	if rd.cal != nil {
		attachClock(rd, t, &cs)
	}
	return nil
}

// Task returns one task with its history. The public sees no reporter
// details, no internal notes and no staff names.
func (db *DB) Task(ctx context.Context, id int64, v maint.Viewer) (*maint.Task, error) {
	var t maint.Task
	rd := db.reader(ctx, db.pool)
	err := scanTaskRow(db.pool.QueryRow(ctx, "SELECT "+taskColumns+taskAssetColumns+taskFrom+" WHERE t.id = $1", id), &t, v, rd)
	if err != nil {
		return nil, translate(err, "task %d", id)
	}
	evs, err := db.events(ctx, []int64{id}, v)
	if err != nil {
		return nil, err
	}
	t.History = evs
	if err := staffExtras(ctx, db.pool, &t, v); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTasks streams the tasks that match f in id order, fetching one beyond
// the limit to learn whether more remain.
func (db *DB) ListTasks(ctx context.Context, f maint.TaskFilter, v maint.Viewer, emit func(*maint.Task) error) (bool, error) {
	return db.listTasks(ctx, f, v, emit, true)
}

// listTasks is ListTasks, with the running clocks read or (for the
// benchmark of what they cost) not.
func (db *DB) listTasks(ctx context.Context, f maint.TaskFilter, v maint.Viewer, emit func(*maint.Task) error, clocks bool) (bool, error) {
	var q query
	if len(f.Statuses) > 0 {
		q.and("t.status = ANY(" + q.arg(statusStrings(f.Statuses)) + ")")
	}
	if len(f.Kinds) > 0 {
		q.and("a.kind = ANY(" + q.arg(maint.KindNames(f.Kinds)) + ")")
	}
	if f.Assignee != "" {
		q.and("t.assignee = " + q.arg(f.Assignee))
	}
	if f.Overdue != nil {
		// Overdue: the running step is past its deadline (a suspended one
		// when it was suspended after it). coalesce: no clock is not overdue.
		q.and(clockLate + " = " + q.arg(*f.Overdue))
	}
	if f.BBox != nil {
		b := f.BBox
		env := "ST_MakeEnvelope(" + q.arg(b.MinLon) + ", " + q.arg(b.MinLat) + ", " + q.arg(b.MaxLon) + ", " + q.arg(b.MaxLat) + ", 4326)"
		q.and("(ST_Intersects(a.geom, " + env + ") OR ST_Intersects(t.location, " + env + "))")
	}
	if f.AssetID != nil {
		q.and("t.asset_id = " + q.arg(*f.AssetID))
	}
	if f.Programme != "" {
		q.and("t.programme = " + q.arg(string(f.Programme)))
	}
	if f.Source != "" {
		q.and("t.source = " + q.arg(string(f.Source)))
	}
	if f.Q != "" {
		p := q.arg(f.Q)
		prefix := q.arg(strings.TrimSuffix(likePattern(f.Q), "%")[1:] + "%") // a case number's beginning, wildcards escaped
		q.and("(t.ref = upper(" + p + ") OR t.ref LIKE upper(" + prefix + ") OR t.title ILIKE " + q.arg(likePattern(f.Q)) + ")")
	}
	order := " ORDER BY t.id"
	if f.Near != nil {
		// Nearest first, by the distance on the ground (geography); tasks
		// with no place last.
		pt := "ST_SetSRID(ST_MakePoint(" + q.arg(f.Near[0]) + ", " + q.arg(f.Near[1]) + "), 4326)::geography"
		order = " ORDER BY ST_Distance(ST_SetSRID(ST_MakePoint(" + taskPlaceColumns + "), 4326)::geography, " + pt + ") NULLS LAST, t.id OFFSET " + q.arg(f.After)
	} else if f.ByPriority {
		// Most urgent first; within a priority the soonest deadline, then the
		// oldest report.
		order = " ORDER BY array_position(ARRAY['urgent','high','normal','low']::text[], t.priority::text), " +
			"(c.deadline IS NULL OR c.paused_since IS NOT NULL AND NOT " + clockLate + "), c.deadline, t.id OFFSET " + q.arg(f.After)
	} else if f.TimeLeft {
		// Soonest deadline first; suspended and untimed work last. The
		// cursor is a position: deadlines move as work is extended.
		order = " ORDER BY (c.deadline IS NULL OR c.paused_since IS NOT NULL AND NOT " + clockLate + "), c.deadline, t.id OFFSET " + q.arg(f.After)
	} else if f.Newest {
		order = " ORDER BY t.id DESC"
		if f.After > 0 {
			q.and("t.id < " + q.arg(f.After))
		}
	} else if f.After > 0 {
		q.and("t.id > " + q.arg(f.After))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = maint.DefaultLimit
	}
	rd, cols, from := db.reader(ctx, db.pool), taskAssetColumns, taskFrom
	if !clocks {
		rd, cols, from = clockReader{}, taskAssetColumnsNoClock, taskFromNoClock
	}
	rows, err := db.pool.Query(ctx, "SELECT "+taskColumns+cols+from+q.whereClause()+
		order+" LIMIT "+q.arg(limit+1), q.args...)
	if err != nil {
		return false, translate(err, "list tasks")
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if n++; n > limit {
			return true, nil
		}
		var t maint.Task
		if err := scanTaskRow(rows, &t, v, rd); err != nil {
			return false, translate(err, "list tasks")
		}
		if err := emit(&t); err != nil {
			return false, err
		}
	}
	return false, translate(rows.Err(), "list tasks")
}

// clockLate is true when a task's running step is past its deadline.
const clockLate = "coalesce(c.deadline < coalesce(c.paused_since, now()), false)"

// writeEvent appends a history row for a task change by v.
func writeEvent(ctx context.Context, tx pgx.Tx, v maint.Viewer, taskID int64, from, to *maint.Status, changes map[string]any, note string, internal bool) error {
	c := []byte("{}")
	if len(changes) > 0 {
		var err error
		if c, err = json.Marshal(changes); err != nil {
			return err
		}
	}
	var actorID *int64
	actor, role := v.Email, string(v.Role)
	if v.UserID != 0 {
		actorID = &v.UserID
	}
	if !v.Staff() {
		actor, role = "resident", "resident"
	}
	_, err := tx.Exec(ctx, `INSERT INTO task_events (task_id, actor_id, actor, actor_role, from_status, to_status, changes, note, internal)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		taskID, actorID, actor, role, (*string)(from), (*string)(to), c, note, internal)
	if err != nil {
		return translate(err, "task %d: history", taskID)
	}
	if internal {
		return nil
	}
	// The change's outgoing event, in the same transaction (internal/outbox).
	p := map[string]any{"actor_role": role}
	if actorID != nil {
		p["actor_id"] = *actorID
	}
	if from != nil {
		p["from"] = string(*from)
	}
	if to != nil {
		p["to"] = string(*to)
	}
	_, err = outbox.Enqueue(ctx, tx, outbox.Event{Kind: "task.changed", TaskID: taskID, Payload: p})
	return err
}

// CreateTask stores a new task, reported, with the first row of its history.
// With an idempotency key, a retry gets the task as the first try made it
// (replayed) and creates nothing.
func (db *DB) CreateTask(ctx context.Context, v maint.Viewer, in maint.NewTask, idem *maint.Idempotency) (*maint.Task, bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, false, translate(err, "create task")
	}
	defer tx.Rollback(ctx)
	var first maint.Task
	if ok, err := replay(ctx, tx, idem, &first); err != nil || ok {
		return &first, ok, err
	}
	if in.Location != nil {
		// A point of its own is held to the district as assets' are.
		loc, err := encodeGeometry("location", in.Location)
		if err == nil {
			err = db.checkGeometry(ctx, tx, "location", loc)
		}
		if err != nil {
			return nil, false, err
		}
	}
	id, err := createTask(ctx, tx, v, in)
	if err == nil {
		err = db.startNewClock(ctx, tx, id)
	}
	if err != nil {
		return nil, false, err
	}
	t, err := db.taskIn(ctx, tx, id, v)
	if err != nil {
		return nil, false, err
	}
	if err := remember(ctx, tx, idem, t); err != nil {
		return nil, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, translate(err, "create task")
	}
	db.changed(ctx)
	return t, false, nil
}

// taskIn reads a task with its history inside tx.
func (db *DB) taskIn(ctx context.Context, tx pgx.Tx, id int64, v maint.Viewer) (*maint.Task, error) {
	var t maint.Task
	rd := db.reader(ctx, tx)
	if err := scanTaskRow(tx.QueryRow(ctx, "SELECT "+taskColumns+taskAssetColumns+taskFrom+" WHERE t.id = $1", id), &t, v, rd); err != nil {
		return nil, translate(err, "task %d", id)
	}
	evs, err := events(ctx, tx, []int64{id}, v)
	if err != nil {
		return nil, err
	}
	t.History = evs
	if err := staffExtras(ctx, tx, &t, v); err != nil {
		return nil, err
	}
	return &t, nil
}

// staffExtras reads what staff see of one task beyond its row: the
// requests on its running clock and the inspection that opened it.
func staffExtras(ctx context.Context, q rowQuerier, t *maint.Task, v maint.Viewer) error {
	if !v.Staff() {
		return nil
	}
	var err error
	if t.Clock != nil {
		if t.Clock.Requests, err = clockRequests(ctx, q, t.ID); err != nil {
			return err
		}
	}
	var in maint.TaskInspection
	err = q.QueryRow(ctx, `SELECT i.id, t.inspection_item, i.plan_id, p.name, p.name_en, i.done_at
		FROM tasks t JOIN inspections i ON i.id = t.inspection_id JOIN inspection_plans p ON p.id = i.plan_id
		WHERE t.id = $1`, t.ID).Scan(&in.ID, &in.Item, &in.PlanID, &in.PlanName, &in.PlanNameEn, &in.DoneAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return translate(err, "task %d: its inspection", t.ID)
	}
	t.Inspection = &in
	return nil
}

func createTask(ctx context.Context, tx pgx.Tx, v maint.Viewer, in maint.NewTask) (int64, error) {
	var id int64
	loc, err := encodeGeometry("location", in.Location)
	if err != nil {
		return 0, err
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO tasks (asset_id, location, programme, title, description, work_type, priority, due_date,
		                   source, reporter_name, reporter_contact)
		VALUES ($1, ST_GeomFromEWKB($2), $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		in.AssetID, loc, string(orDefault(in.Programme, maint.ProgrammeRoutine)), in.Title, in.Description, in.WorkType,
		string(orDefault(in.Priority, maint.PriorityNormal)), in.DueDate, string(in.Source), in.ReporterName, in.ReporterContact).Scan(&id)
	if err != nil {
		return 0, translate(err, "create task")
	}
	to := maint.StatusReported
	note := in.Note
	if note == "" {
		note = in.Title
	}
	return id, writeEvent(ctx, tx, v, id, nil, &to, nil, note, false)
}

// lockTask reads a task for update and checks the caller's If-Match version
// before anything else: a stale version is a precondition failure that says
// which version is current.
func (db *DB) lockTask(ctx context.Context, tx pgx.Tx, id int64, version int, v maint.Viewer) (*maint.Task, error) {
	var t maint.Task
	rd := db.reader(ctx, tx)
	if err := scanTaskRow(tx.QueryRow(ctx, "SELECT "+taskColumns+taskAssetColumns+taskFrom+" WHERE t.id = $1 FOR UPDATE OF t", id), &t, v, rd); err != nil {
		return nil, translate(err, "task %d", id)
	}
	if t.Version != version {
		e := maint.Errorf(maint.CodePreconditionFailed, "task %d has changed since version %d (now version %d): reload it and apply your change again", id, version, t.Version)
		e.CurrentVersion = t.Version
		return nil, e
	}
	return &t, nil
}

// checkCrew refuses an assignee that is not an active crew.
func checkCrew(ctx context.Context, tx pgx.Tx, name string) error {
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM crews WHERE name = $1 AND active)`, name).Scan(&ok); err != nil {
		return translate(err, "crew")
	}
	if !ok {
		return maint.InvalidAs("assignee", "assignee_inactive", maint.Params{"name": name}, "%q is not an active crew or unit; admins keep the list", name)
	}
	return nil
}

func dateString(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Format(time.DateOnly)
}

// TransitionTask moves a task along the workflow: If-Match first, then the
// workflow's rules for v's role, then the step's own needs; the new state
// and its history row are written in one transaction.
func (db *DB) TransitionTask(ctx context.Context, v maint.Viewer, id int64, version int, tr maint.Transition,
	idem *maint.Idempotency) (*maint.Task, bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, false, translate(err, "transition task")
	}
	defer tx.Rollback(ctx)
	// A retried step (its first answer lost) gets that answer, not a 412.
	var first maint.Task
	if ok, err := replay(ctx, tx, idem, &first); err != nil || ok {
		return &first, ok, err
	}
	t, err := db.lockTask(ctx, tx, id, version, v)
	if err != nil {
		return nil, false, err
	}
	if err := maint.CheckTransition(t.Status, tr.To, v.Role); err != nil {
		return nil, false, err
	}
	if tr.To == maint.StatusDispatched && tr.Assignee == "" && t.Assignee == "" && t.AssetID != nil {
		// A cover's case goes to the cover's owner unit by default
		// (docs/inspections.md, the cover register).
		if tr.Assignee, err = coverOwnerCrew(ctx, tx, *t.AssetID); err != nil {
			return nil, false, err
		}
	}
	if err := maint.CheckTransitionInput(t, tr); err != nil {
		return nil, false, err
	}
	if tr.To == maint.StatusClosed {
		// 核查 is proved by a photo of the finished work.
		var after int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM photos WHERE task_id = $1 AND stage = 'after' AND visible`, id).Scan(&after); err != nil {
			return nil, false, translate(err, "transition task %d", id)
		}
		if after == 0 {
			return nil, false, maint.Invalid("photos", "closing needs at least one visible photo of the finished work (stage after)").WithCode(maint.CodeUnprocessable)
		}
	}
	if t.Status == maint.StatusReported && tr.To == maint.StatusFiled {
		// A filed report's photos are shown to the public from now on.
		if _, err := tx.Exec(ctx, `UPDATE photos SET visible = true WHERE task_id = $1 AND stage = 'report' AND hidden_reason = ''`, id); err != nil {
			return nil, false, translate(err, "transition task %d", id)
		}
	}
	changes := map[string]any{}
	assignee := t.Assignee
	if tr.Assignee != "" && tr.Assignee != t.Assignee {
		if err := checkCrew(ctx, tx, tr.Assignee); err != nil {
			return nil, false, err
		}
		changes["assignee"] = [2]any{nullIfEmpty(t.Assignee), tr.Assignee}
		assignee = tr.Assignee
	}
	due := t.DueDate
	if tr.DueDate != nil {
		changes["due_date"] = [2]any{dateString(t.DueDate), dateString(tr.DueDate)}
		due = tr.DueDate
	}
	_, err = tx.Exec(ctx, `UPDATE tasks SET status = $2, status_at = now(), version = version + 1, updated_at = now(),
			assignee = $3, due_date = $4, closed_at = CASE WHEN $2 = 'closed' THEN now() END
		WHERE id = $1`, id, string(tr.To), nullIfEmpty(assignee), due)
	if err != nil {
		return nil, false, translate(err, "transition task %d", id)
	}
	from := t.Status
	if err := db.advanceClock(ctx, tx, id, from, changes); err != nil {
		return nil, false, err
	}
	if err := writeEvent(ctx, tx, v, id, &from, &tr.To, changes, tr.Note, tr.Internal); err != nil {
		return nil, false, err
	}
	after, err := db.taskIn(ctx, tx, id, v)
	if err != nil {
		return nil, false, err
	}
	if err := remember(ctx, tx, idem, after); err != nil {
		return nil, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, translate(err, "transition task %d", id)
	}
	db.changed(ctx)
	return after, false, nil
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// PatchTask changes a task's fields under If-Match, recording what changed
// from what to what in its history.
func (db *DB) PatchTask(ctx context.Context, v maint.Viewer, id int64, version int, p maint.TaskPatch) (*maint.Task, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "update task")
	}
	defer tx.Rollback(ctx)
	t, err := db.lockTask(ctx, tx, id, version, v)
	if err != nil {
		return nil, err
	}
	// A finished case is not changed, but a resident's words in it may
	// still be moderated (title and description, with a reason).
	textOnly := t.Source == maint.SourceResident && (p.Title.Set || p.Description.Set) && !p.Priority.Set && !p.Assignee.Set && !p.DueDate.Set &&
		!p.QtyPlanned.Set && !p.QtyDone.Set && !p.QtyUnit.Set && !p.Phase.Set && !p.Percent.Set
	if t.Status.Final() && !textOnly {
		return nil, maint.Errorf(maint.CodeConflict, "task %d is %s (%s): it can no longer be changed", id, t.Status, t.Status.Name())
	}
	u := taskUpdate{changes: map[string]any{}}
	u.q.arg(id)
	if err := u.plan(ctx, tx, t, p); err != nil {
		return nil, err
	}
	changes, sets, q := u.changes, u.sets, u.q
	_, title := changes["title"]
	_, desc := changes["description"]
	if (title || desc) && t.Source == maint.SourceResident && (strings.TrimSpace(p.Note) == "" || p.Internal) {
		// Moderation: a resident's words are changed only with a reason they
		// are told (a public note); the history keeps the original for staff.
		return nil, maint.InvalidAs("note", "moderation_needs_reason", nil, "changing what a resident wrote needs a public note saying why")
	}
	if len(sets) == 0 && strings.TrimSpace(p.Note) == "" {
		// Nothing changes: answer with the task as it is, history and all.
		return db.taskIn(ctx, tx, id, v)
	}
	sets = append(sets, "version = version + 1", "updated_at = now()")
	if _, err := tx.Exec(ctx, "UPDATE tasks SET "+strings.Join(sets, ", ")+" WHERE id = $1", q.args...); err != nil {
		return nil, translate(err, "update task %d", id)
	}
	if err := db.followPatch(ctx, tx, id, changes); err != nil {
		return nil, err
	}
	if err := writeEvent(ctx, tx, v, id, nil, nil, changes, p.Note, p.Internal); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "update task %d", id)
	}
	db.changed(ctx)
	return db.Task(ctx, id, v)
}

// taskUpdate collects what a patch changes: the SET clauses with their
// arguments, and the from → to pairs the history records.
type taskUpdate struct {
	changes map[string]any
	sets    []string
	q       query
}

func (u *taskUpdate) set(col string, old, val any) {
	u.changes[col] = [2]any{old, val}
	u.sets = append(u.sets, col+" = "+u.q.arg(val))
}

// optNum sets a nullable number when it differs from old.
func (u *taskUpdate) optNum(col string, o maint.Opt[float64], old *float64) {
	if !o.Set {
		return
	}
	var val *float64
	if !o.Null {
		val = &o.V
	}
	if (val == nil) != (old == nil) || val != nil && *val != *old {
		u.set(col, old, val)
	}
}

// plan compares the patch with the task as it stands.
func (u *taskUpdate) plan(ctx context.Context, tx pgx.Tx, t *maint.Task, p maint.TaskPatch) error {
	if p.Title.Set && p.Title.V != t.Title {
		u.set("title", t.Title, p.Title.V)
	}
	if p.Description.Set && p.Description.V != t.Description {
		u.set("description", t.Description, p.Description.V)
	}
	if p.Priority.Set && p.Priority.V != t.Priority {
		u.set("priority", string(t.Priority), string(p.Priority.V))
	}
	if p.Assignee.Set {
		var val *string
		if !p.Assignee.Null && p.Assignee.V != "" {
			if p.Assignee.V != t.Assignee {
				if err := checkCrew(ctx, tx, p.Assignee.V); err != nil {
					return err
				}
			}
			val = &p.Assignee.V
		}
		if deref(val) != t.Assignee {
			u.set("assignee", nullIfEmpty(t.Assignee), val)
		}
	}
	if p.DueDate.Set {
		var val *time.Time
		if !p.DueDate.Null {
			val = &p.DueDate.V
		}
		if dateString(val) != dateString(t.DueDate) {
			u.changes["due_date"] = [2]any{dateString(t.DueDate), dateString(val)}
			u.sets = append(u.sets, "due_date = "+u.q.arg(val))
		}
	}
	u.optNum("qty_planned", p.QtyPlanned, t.QtyPlanned)
	u.optNum("qty_done", p.QtyDone, t.QtyDone)
	if p.QtyUnit.Set && p.QtyUnit.V != t.QtyUnit {
		u.set("qty_unit", t.QtyUnit, p.QtyUnit.V)
	}
	if p.Phase.Set {
		var val *string
		if !p.Phase.Null {
			s := string(p.Phase.V)
			val = &s
		}
		if deref(val) != deref((*string)(t.Phase)) {
			u.set("phase", (*string)(t.Phase), val)
		}
	}
	if p.Percent.Set {
		var val *int
		if !p.Percent.Null {
			val = &p.Percent.V
		}
		if (val == nil) != (t.Percent == nil) || val != nil && *val != *t.Percent {
			u.set("percent", t.Percent, val)
		}
	}
	return nil
}
