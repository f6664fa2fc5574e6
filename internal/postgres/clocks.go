package postgres

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"inframap/internal/maint"
	"inframap/internal/timelimit"
	"inframap/internal/workcal"
)

// The clocks of the steps of cases (docs/time-limits.md): every write that
// moves a case starts or ends a row of task_clocks in its own transaction.

// clockState is the working calendar in force and when it was read.
type clockState struct {
	cal  *workcal.Calendar
	read time.Time
}

// calendarTTL is how long a copy trusts the calendar it read: another copy's
// admin may have changed it.
const calendarTTL = time.Minute

// Calendar is the working calendar in force: the published notices with the
// admins' entries on top. It is read again after calendarTTL, and at once
// after an admin's change in this copy; when the database cannot be read the
// last calendar read (or the published one) stays.
func (db *DB) Calendar(ctx context.Context) *workcal.Calendar { return db.calendarIn(ctx, db.pool) }

// calendarIn is Calendar read through q: a transaction must not wait for a
// second connection of the pool.
func (db *DB) calendarIn(ctx context.Context, q querier) *workcal.Calendar {
	st := db.clock.Load()
	if st != nil && time.Since(st.read) < calendarTTL {
		return st.cal
	}
	cal, err := loadCalendar(ctx, q, db.hours)
	if err != nil {
		if st != nil {
			return st.cal
		}
		return db.fallbackCalendar()
	}
	db.clock.Store(&clockState{cal: cal, read: time.Now()})
	return cal
}

// fallbackCalendar is the published calendar with the configured hours, for
// when the admins' entries cannot be read.
func (db *DB) fallbackCalendar() *workcal.Calendar {
	if cal, err := workcal.New(workcal.Config{Hours: db.hours, Days: workcal.Published()}); err == nil {
		return cal
	}
	return workcal.Default()
}

// WarnShare is the share of a limit after which a light turns yellow.
func (db *DB) WarnShare() float64 { return db.warnShare }

// CalendarEntries returns the admins' entries, oldest date first.
func (db *DB) CalendarEntries(ctx context.Context) ([]workcal.Day, error) {
	return calendarEntries(ctx, db.pool)
}

func calendarEntries(ctx context.Context, q querier) ([]workcal.Day, error) {
	rows, err := q.Query(ctx, `SELECT day, kind, holiday, holiday_en, reason, reason_en FROM calendar_days ORDER BY day`)
	if err != nil {
		return nil, translate(err, "calendar")
	}
	defer rows.Close()
	var out []workcal.Day
	for rows.Next() {
		var day time.Time
		var kind string
		var d workcal.Day
		if err := rows.Scan(&day, &kind, &d.Holiday, &d.HolidayEn, &d.Reason, &d.ReasonEn); err != nil {
			return nil, translate(err, "calendar")
		}
		d.Date = workcal.NewDate(day.Year(), day.Month(), day.Day())
		if err := d.Kind.UnmarshalText([]byte(kind)); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, translate(rows.Err(), "calendar")
}

func loadCalendar(ctx context.Context, q querier, hours []workcal.Interval) (*workcal.Calendar, error) {
	entries, err := calendarEntries(ctx, q)
	if err != nil {
		return nil, err
	}
	return workcal.New(workcal.Config{Hours: hours, Days: append(workcal.Published(), entries...)})
}

// SetCalendarDay records an admin's entry for a day (or, with nil, removes
// it), with its audit row.
func (db *DB) SetCalendarDay(ctx context.Context, v maint.Viewer, ip string, date workcal.Date, d *workcal.Day) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "calendar")
	}
	defer tx.Rollback(ctx)
	day := time.Date(date.Year, date.Month, date.Day, 0, 0, 0, 0, time.UTC)
	action := "calendar.set"
	if d == nil {
		tag, err := tx.Exec(ctx, `DELETE FROM calendar_days WHERE day = $1`, day)
		if err != nil {
			return translate(err, "calendar")
		}
		if tag.RowsAffected() == 0 {
			return maint.Errorf(maint.CodeNotFound, "no entry of an admin for %s", date)
		}
		action = "calendar.reset"
	} else {
		kind, _ := d.Kind.MarshalText()
		_, err = tx.Exec(ctx, `INSERT INTO calendar_days (day, kind, holiday, holiday_en, reason, reason_en, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, holiday = EXCLUDED.holiday, holiday_en = EXCLUDED.holiday_en,
				reason = EXCLUDED.reason, reason_en = EXCLUDED.reason_en, updated_by = EXCLUDED.updated_by, updated_at = now()`,
			day, string(kind), d.Holiday, d.HolidayEn, d.Reason, d.ReasonEn, v.Email)
		if err != nil {
			return translate(err, "calendar")
		}
	}
	details := map[string]any{"date": date.String()}
	if d != nil {
		details["day"] = d
	}
	if err := audit(ctx, tx, v, ip, action, "calendar", nil, details); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return translate(err, "calendar")
	}
	db.clock.Store(nil) // read again at the next use
	return nil
}

// limitTable reads the limits in force.
func limitTable(ctx context.Context, q querier) (*timelimit.Table, error) {
	ov, err := limitOverrides(ctx, q)
	if err != nil {
		return nil, err
	}
	return timelimit.NewTable(ov), nil
}

func limitOverrides(ctx context.Context, q querier) ([]timelimit.Limit, error) {
	rows, err := q.Query(ctx, `SELECT case_type, step, unit, n FROM time_limits ORDER BY case_type, step`)
	if err != nil {
		return nil, translate(err, "time limits")
	}
	var out []timelimit.Limit
	for rows.Next() {
		var l timelimit.Limit
		var step string
		if err := rows.Scan(&l.CaseType, &step, &l.Unit, &l.N); err != nil {
			rows.Close()
			return nil, translate(err, "time limits")
		}
		l.Step = timelimit.Step(step)
		out = append(out, l)
	}
	rows.Close()
	return out, translate(rows.Err(), "time limits")
}

// TimeLimits returns the limits in force.
func (db *DB) TimeLimits(ctx context.Context) ([]timelimit.Entry, error) {
	t, err := limitTable(ctx, db.pool)
	if err != nil {
		return nil, err
	}
	return t.List(), nil
}

// SetTimeLimit records an admin's limit for a case type and step (nil: back
// to the default), with its audit row.
func (db *DB) SetTimeLimit(ctx context.Context, v maint.Viewer, ip, caseType string, step timelimit.Step, r *timelimit.Rule) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "time limit")
	}
	defer tx.Rollback(ctx)
	var before *timelimit.Rule
	var old timelimit.Rule
	err = tx.QueryRow(ctx, `SELECT unit, n FROM time_limits WHERE case_type = $1 AND step = $2 FOR UPDATE`, caseType, string(step)).Scan(&old.Unit, &old.N)
	switch {
	case err == nil:
		before = &old
	case err != pgx.ErrNoRows:
		return translate(err, "time limit")
	}
	action := "time_limit.set"
	if r == nil {
		if before == nil {
			return maint.Errorf(maint.CodeNotFound, "the limit of %s, step %s, is the default already", caseType, step)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM time_limits WHERE case_type = $1 AND step = $2`, caseType, string(step)); err != nil {
			return translate(err, "time limit")
		}
		action = "time_limit.reset"
	} else if _, err := tx.Exec(ctx, `INSERT INTO time_limits (case_type, step, unit, n, updated_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (case_type, step) DO UPDATE SET unit = EXCLUDED.unit, n = EXCLUDED.n, updated_by = EXCLUDED.updated_by, updated_at = now()`,
		caseType, string(step), r.Unit, r.N, v.Email); err != nil {
		return translate(err, "time limit")
	}
	details := map[string]any{"case_type": caseType, "step": step, "before": before, "after": r}
	if err := audit(ctx, tx, v, ip, action, "time_limit", nil, details); err != nil {
		return err
	}
	return translate(tx.Commit(ctx), "time limit")
}

// view is the clock as a task shows it, read at now.
func clockView(cal *workcal.Calendar, warn float64, c timelimit.Clock, now time.Time) *maint.Clock {
	r := c.Read(cal, now, warn)
	v := &maint.Clock{Step: string(c.Step), Unit: c.Rule.Unit, N: c.Rule.N, Extended: c.Extended, StartedAt: c.StartedAt,
		Deadline: c.Deadline, Light: string(r.Light), PausedSince: c.PausedSince, Rework: c.Rework,
		Extensions: c.Extensions, Suspensions: c.Suspensions}
	if c.Deadline != nil {
		share, left := r.Share, r.Left
		if math.IsInf(share, 0) {
			share = 999
		}
		share = math.Round(share*1000) / 1000
		v.Share, v.Left = &share, &left
	}
	return v
}

// caseFacts reads what a task's limits depend on, its state and when it
// entered it. A resident's report is timed by its service.
func caseFacts(ctx context.Context, tx pgx.Tx, id int64) (timelimit.Case, maint.Status, time.Time, error) {
	var c timelimit.Case
	var priority, status string
	var assignee *string
	var at time.Time
	err := tx.QueryRow(ctx, `SELECT coalesce(service_code, work_type), priority, due_date, assignee, status, status_at
		FROM tasks WHERE id = $1`, id).Scan(&c.WorkType, &priority, &c.DueDate, &assignee, &status, &at)
	c.Priority, c.Assignee = maint.Priority(priority), deref(assignee)
	return c, maint.Status(status), at, translate(err, "task %d: clock", id)
}

// insertClock stores a new running clock.
func insertClock(ctx context.Context, tx pgx.Tx, c *timelimit.Clock) error {
	err := tx.QueryRow(ctx, `INSERT INTO task_clocks (task_id, step, unit, n, assignee, started_at, deadline, rework)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		c.TaskID, string(c.Step), c.Rule.Unit, c.Rule.N, c.Assignee, c.StartedAt, c.Deadline, c.Rework).Scan(&c.ID)
	return translate(err, "task %d: clock", c.TaskID)
}

// saveClock writes a clock's changes back.
func saveClock(ctx context.Context, tx pgx.Tx, c *timelimit.Clock) error {
	var outcome *string
	if c.EndedAt != nil {
		o := string(c.Outcome)
		outcome = &o
	}
	// A new deadline (an extension, a due date changed) is told of afresh.
	_, err := tx.Exec(ctx, `UPDATE task_clocks SET assignee = $2, deadline = $3, extended = $4, extensions = $5,
			told_light = CASE WHEN deadline IS DISTINCT FROM $3 THEN NULL ELSE told_light END,
			paused_since = $6, paused_seconds = $7, suspensions = $8, ended_at = $9, outcome = $10, late = $11
		WHERE id = $1`, c.ID, c.Assignee, c.Deadline, c.Extended, c.Extensions, c.PausedSince,
		int64(c.Paused/time.Second), c.Suspensions, c.EndedAt, outcome, c.Late)
	return translate(err, "task %d: clock", c.TaskID)
}

// runningClock locks and returns a task's running clock, if it has one.
func runningClock(ctx context.Context, tx pgx.Tx, taskID int64) (*timelimit.Clock, error) {
	var s taskClock
	var id int64
	var assignee string
	err := tx.QueryRow(ctx, "SELECT c.id, c.assignee, "+taskClockColumns+" FROM task_clocks c WHERE c.task_id = $1 AND c.ended_at IS NULL FOR UPDATE",
		taskID).Scan(append([]any{&id, &assignee}, s.dest()...)...)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "task %d: clock", taskID)
	}
	c, _ := s.clock()
	c.ID, c.TaskID, c.Assignee = id, taskID, assignee
	return &c, nil
}

// startNewClock starts the first clock of a task just created.
func (db *DB) startNewClock(ctx context.Context, tx pgx.Tx, id int64) error {
	c, st, at, err := caseFacts(ctx, tx, id)
	if err != nil {
		return err
	}
	return startClock(ctx, tx, db.calendarIn(ctx, tx), id, c, st, at, false, nil)
}

// advanceClock moves a task's clocks along a state change from one state to
// the one the task is now in (the task row already updated): the running
// step ends — unless 处置 continues — and the next one starts. changes, the
// history row's, gets whether the ended step was late and the new deadline.
func (db *DB) advanceClock(ctx context.Context, tx pgx.Tx, id int64, from maint.Status, changes map[string]any) error {
	c, to, now, err := caseFacts(ctx, tx, id)
	if err != nil {
		return err
	}
	cal := db.calendarIn(ctx, tx)
	run, err := runningClock(ctx, tx, id)
	if err != nil {
		return err
	}
	if run != nil {
		o, ends := timelimit.OutcomeOf(from, to)
		if !ends {
			return nil
		}
		run.End(cal, now, o)
		if err := saveClock(ctx, tx, run); err != nil {
			return err
		}
		if run.Late != nil {
			changes["late"] = [2]any{nil, *run.Late}
		}
	}
	return startClock(ctx, tx, cal, id, c, to, now, from == maint.StatusDone && to == maint.StatusInProgress, changes)
}

// startClock starts the clock of the step a task in state st is timed on.
func startClock(ctx context.Context, tx pgx.Tx, cal *workcal.Calendar, id int64, cs timelimit.Case, st maint.Status, at time.Time,
	rework bool, changes map[string]any) error {
	step := timelimit.StepOf(st)
	if step == "" {
		return nil
	}
	table, err := limitTable(ctx, tx)
	if err != nil {
		return err
	}
	c := timelimit.Start(cal, step, table.Rule(cs.WorkType, cs.Priority, step), at, cs.DueDate)
	c.TaskID, c.Rework = id, rework
	if step == timelimit.StepHandle {
		c.Assignee = cs.Assignee
	}
	if changes != nil && c.Deadline != nil {
		changes["deadline"] = [2]any{nil, c.Deadline.UTC().Format(time.RFC3339)}
	}
	return insertClock(ctx, tx, &c)
}

// followPatch keeps the running clock in step with a task's edited fields: a
// new assignee is the unit held to 处置, a new due date moves a due-date
// deadline (with the extensions granted on top).
func (db *DB) followPatch(ctx context.Context, tx pgx.Tx, id int64, changes map[string]any) error {
	_, assignee := changes["assignee"]
	_, due := changes["due_date"]
	if !assignee && !due {
		return nil
	}
	run, err := runningClock(ctx, tx, id)
	if err != nil || run == nil {
		return err
	}
	cs, _, _, err := caseFacts(ctx, tx, id)
	if err != nil {
		return err
	}
	if assignee && run.Step == timelimit.StepHandle {
		run.Assignee = cs.Assignee
	}
	if due && (run.Rule.Unit == timelimit.DueDate || run.Rule.Unit == timelimit.None) {
		old := run.Deadline
		if run.Rule.Unit == timelimit.None && cs.DueDate != nil {
			run.Rule.Unit = timelimit.DueDate
		}
		run.Redeadline(db.calendarIn(ctx, tx), cs.DueDate)
		if !sameTime(old, run.Deadline) {
			changes["deadline"] = [2]any{rfc3339(old), rfc3339(run.Deadline)}
		}
	}
	return saveClock(ctx, tx, run)
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

func rfc3339(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// taskClockColumns are a clock's columns as a task, the lights and a
// clock action read them, in taskClock's order (NULL when a task has none).
const taskClockColumns = `c.step, c.unit, c.n, c.started_at, c.deadline, c.extended, c.extensions, c.paused_since,
	c.paused_seconds, c.suspensions, c.rework`

// taskClock scans taskClockColumns without allocating: a list reads a
// thousand of them.
type taskClock struct {
	step, unit                     pgtype.Text
	n, extended                    pgtype.Float8
	started, deadline, pausedSince pgtype.Timestamptz
	extensions, suspensions        pgtype.Int4
	paused                         pgtype.Int8
	rework                         pgtype.Bool
}

func (s *taskClock) dest() []any {
	return []any{&s.step, &s.unit, &s.n, &s.started, &s.deadline, &s.extended, &s.extensions, &s.pausedSince,
		&s.paused, &s.suspensions, &s.rework}
}

// clock is the scanned clock, ok false when the row had none (a LEFT JOIN
// that found none).
func (s *taskClock) clock() (c timelimit.Clock, ok bool) {
	if !s.step.Valid {
		return c, false
	}
	c = timelimit.Clock{Step: timelimit.Step(s.step.String), Rule: timelimit.Rule{Unit: s.unit.String, N: s.n.Float64},
		StartedAt: s.started.Time, Extended: s.extended.Float64, Extensions: int(s.extensions.Int32),
		Paused: time.Duration(s.paused.Int64) * time.Second, Suspensions: int(s.suspensions.Int32), Rework: s.rework.Bool}
	if s.deadline.Valid {
		c.Deadline = &s.deadline.Time
	}
	if s.pausedSince.Valid {
		c.PausedSince = &s.pausedSince.Time
	}
	return c, true
}

// attachClock gives t the view of its running clock, read by rd.
func attachClock(rd clockReader, t *maint.Task, s *taskClock) {
	c, ok := s.clock()
	if !ok {
		t.Clock, t.Overdue = nil, false
		return
	}
	c.TaskID = t.ID
	t.Clock = clockView(rd.cal, rd.warn, c, rd.now)
	t.Overdue = t.Clock.Late()
}

// ClockAction applies a request, decision or resumption to a task's running
// clock under If-Match, with its history row.
func (db *DB) ClockAction(ctx context.Context, v maint.Viewer, id int64, version int, a maint.ClockAction) (*maint.Task, error) {
	if !v.Staff() {
		return nil, maint.Errorf(maint.CodeForbidden, "only staff change a case's clock")
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "task %d: clock", id)
	}
	defer tx.Rollback(ctx)
	t, err := db.lockTask(ctx, tx, id, version, v)
	if err != nil {
		return nil, err
	}
	run, err := runningClock(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if run == nil {
		return nil, maint.Errorf(maint.CodeConflict, "task %d is %s (%s): no step of it is timed", id, t.Status, t.Status.Name()).Because("not_timed")
	}
	var now time.Time
	if err := tx.QueryRow(ctx, "SELECT now()").Scan(&now); err != nil {
		return nil, translate(err, "task %d: clock", id)
	}
	changes := map[string]any{}
	note, err := db.applyClockAction(ctx, tx, v, run, a, now, changes)
	if err != nil {
		return nil, err
	}
	if err := saveClock(ctx, tx, run); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE tasks SET version = version + 1, updated_at = now() WHERE id = $1`, id); err != nil {
		return nil, translate(err, "task %d: clock", id)
	}
	if err := writeEvent(ctx, tx, v, id, nil, nil, changes, note, false); err != nil {
		return nil, err
	}
	after, err := db.taskIn(ctx, tx, id, v)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "task %d: clock", id)
	}
	db.changed(ctx)
	return after, nil
}

// decider reports whether v may decide clock requests and resume clocks.
func decider(v maint.Viewer) bool { return v.Role == maint.RoleEngineer || v.Role == maint.RoleAdmin }

// applyClockAction changes run (not yet saved) and the requests, and says
// the history row's note.
func (db *DB) applyClockAction(ctx context.Context, tx pgx.Tx, v maint.Viewer, run *timelimit.Clock, a maint.ClockAction,
	now time.Time, changes map[string]any) (string, error) {
	cal := db.calendarIn(ctx, tx)
	id := run.TaskID
	switch a.Action {
	case "request_extension", "request_suspension":
		kind := "extension"
		if a.Action == "request_suspension" {
			kind = "suspension"
			if run.PausedSince != nil {
				return "", maint.Errorf(maint.CodeConflict, "the clock of task %d is suspended already", id).Because("already_suspended")
			}
		} else {
			if run.Rule.Unit == timelimit.None {
				return "", maint.Errorf(maint.CodeConflict, "task %d's %s step has no time limit to extend", id, run.Step).Because("no_limit")
			}
			if err := checkExtension(run, a.N); err != nil {
				return "", err
			}
		}
		var pending bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM clock_requests WHERE clock_id = $1 AND kind = $2 AND decision IS NULL)`,
			run.ID, kind).Scan(&pending); err != nil {
			return "", translate(err, "task %d: clock request", id)
		}
		if pending {
			return "", maint.Errorf(maint.CodeConflict, "task %d already has a %s request waiting for a decision", id, kind).Because("pending_request")
		}
		n := 0.0
		if kind == "extension" {
			n = a.N
		}
		var rid int64
		if err := tx.QueryRow(ctx, `INSERT INTO clock_requests (task_id, clock_id, kind, n, reason, requested_by, requested_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, id, run.ID, kind, n, a.Reason, v.Email, now).Scan(&rid); err != nil {
			return "", translate(err, "task %d: clock request", id)
		}
		changes[kind+"_requested"] = [2]any{nil, rid}
		if kind == "extension" {
			return "申请延期 " + extensionText(run, n) + "：" + a.Reason, nil
		}
		return "申请挂账：" + a.Reason, nil

	case "approve", "refuse":
		if !decider(v) {
			return "", maint.Errorf(maint.CodeForbidden, "an engineer or admin decides extension and suspension requests").Because("not_a_decider")
		}
		var kind, by, decision string
		var n float64
		var decided *string
		err := tx.QueryRow(ctx, `SELECT kind, n, requested_by, decision FROM clock_requests WHERE id = $1 AND clock_id = $2 FOR UPDATE`,
			a.Request, run.ID).Scan(&kind, &n, &by, &decided)
		if err == pgx.ErrNoRows {
			return "", maint.Invalid("request", "request %d is not a request of task %d's running step", a.Request, id).WithCode(maint.CodeNotFound)
		}
		if err != nil {
			return "", translate(err, "task %d: clock request", id)
		}
		if decided != nil {
			return "", maint.Errorf(maint.CodeConflict, "request %d was %s already", a.Request, *decided).Because("already_decided")
		}
		if by == v.Email && v.Role != maint.RoleAdmin {
			return "", maint.Errorf(maint.CodeForbidden, "another engineer decides a request you made").Because("own_request")
		}
		decision = "refused"
		var note string
		if a.Action == "approve" {
			decision = "approved"
			old := run.Deadline
			if kind == "extension" {
				cs, _, _, err := caseFacts(ctx, tx, id)
				if err != nil {
					return "", err
				}
				before := run.Extended
				run.Extend(cal, n, cs.DueDate)
				changes["extended"] = [2]any{before, run.Extended}
				note = "批准延期 " + extensionText(run, n)
			} else {
				if run.PausedSince != nil {
					return "", maint.Errorf(maint.CodeConflict, "the clock of task %d is suspended already", id).Because("already_suspended")
				}
				run.Pause(now)
				changes["suspended"] = [2]any{false, true}
				note = "批准挂账，计时暂停"
			}
			if !sameTime(old, run.Deadline) {
				changes["deadline"] = [2]any{rfc3339(old), rfc3339(run.Deadline)}
			}
		} else if kind == "extension" {
			note = "不予延期"
		} else {
			note = "不予挂账"
		}
		if _, err := tx.Exec(ctx, `UPDATE clock_requests SET decision = $2, decided_by = $3, decided_at = $4, decision_note = $5 WHERE id = $1`,
			a.Request, decision, v.Email, now, a.Note); err != nil {
			return "", translate(err, "task %d: clock request", id)
		}
		changes[kind+"_"+decision] = [2]any{nil, a.Request}
		if a.Note != "" {
			note += "：" + a.Note
		}
		return note, nil

	case "resume":
		if !decider(v) {
			return "", maint.Errorf(maint.CodeForbidden, "an engineer or admin ends a suspension").Because("not_a_decider")
		}
		if run.PausedSince == nil {
			return "", maint.Errorf(maint.CodeConflict, "the clock of task %d is not suspended", id).Because("not_suspended")
		}
		old := run.Deadline
		run.Resume(cal, now)
		if _, err := tx.Exec(ctx, `UPDATE clock_requests SET ended_at = $2
			WHERE clock_id = $1 AND kind = 'suspension' AND decision = 'approved' AND ended_at IS NULL`, run.ID, now); err != nil {
			return "", translate(err, "task %d: clock request", id)
		}
		changes["suspended"] = [2]any{true, false}
		if !sameTime(old, run.Deadline) {
			changes["deadline"] = [2]any{rfc3339(old), rfc3339(run.Deadline)}
		}
		note := "挂账结束，恢复计时"
		if a.Note != "" {
			note += "：" + a.Note
		}
		return note, nil
	}
	return "", maint.Invalid("action", "action is one of %s, got %q", strings.Join(maint.ClockActions, ", "), a.Action)
}

// checkExtension refuses an amount the clock's unit cannot take.
func checkExtension(run *timelimit.Clock, n float64) error {
	unit := run.Rule.Unit
	if unit == timelimit.DueDate {
		unit = timelimit.WorkingDays
	}
	if err := (timelimit.Rule{Unit: unit, N: n}).Check(); err != nil {
		return maint.InvalidAs("n", "extension_amount", maint.Params{"unit": unit}, "an extension of this step is a positive amount of %s (whole for working days), got %v", unit, n)
	}
	return nil
}

// extensionText says an extension for the history: "2 个工作日".
func extensionText(run *timelimit.Clock, n float64) string {
	s := strconv.FormatFloat(n, 'f', -1, 64)
	switch run.Rule.Unit {
	case timelimit.WorkingHours:
		return s + " 个工作小时"
	case timelimit.NaturalHours:
		return s + " 小时"
	}
	return s + " 个工作日"
}

// clockRequests reads the requests of a task's running step.
func clockRequests(ctx context.Context, q querier, taskID int64) ([]maint.ClockRequest, error) {
	rows, err := q.Query(ctx, `SELECT r.id, r.kind, r.n, r.reason, r.requested_by, r.requested_at, coalesce(r.decision, ''),
			coalesce(r.decided_by, ''), r.decided_at, r.decision_note, r.ended_at
		FROM clock_requests r JOIN task_clocks c ON c.id = r.clock_id AND c.ended_at IS NULL
		WHERE r.task_id = $1 ORDER BY r.requested_at, r.id`, taskID)
	if err != nil {
		return nil, translate(err, "task %d: clock requests", taskID)
	}
	defer rows.Close()
	var out []maint.ClockRequest
	for rows.Next() {
		var r maint.ClockRequest
		if err := rows.Scan(&r.ID, &r.Kind, &r.N, &r.Reason, &r.RequestedBy, &r.RequestedAt, &r.Decision, &r.DecidedBy,
			&r.DecidedAt, &r.Note, &r.EndedAt); err != nil {
			return nil, translate(err, "task %d: clock requests", taskID)
		}
		out = append(out, r)
	}
	return out, translate(rows.Err(), "task %d: clock requests", taskID)
}

// rebuildClocks gives every task without clocks the clocks of its history
// (timelimit.Replay): tasks loaded in bulk, and those stored before the
// service kept clocks. It returns how many clocks it made.
func (db *DB) rebuildClocks(ctx context.Context, tx pgx.Tx) (int64, error) {
	table, err := limitTable(ctx, tx)
	if err != nil {
		return 0, err
	}
	cal := db.calendarIn(ctx, tx)
	rows, err := tx.Query(ctx, `
		SELECT t.id, coalesce(t.service_code, t.work_type), t.priority, t.due_date, coalesce(t.assignee, ''),
		       e.at, coalesce(e.from_status, ''), coalesce(e.to_status, ''), coalesce(e.changes->'assignee'->>1, ''),
		       coalesce((e.changes->'extended'->>1)::float8 - coalesce((e.changes->'extended'->>0)::float8, 0), 0),
		       coalesce(e.changes->'suspended'->>1, '')
		FROM tasks t JOIN task_events e ON e.task_id = t.id
		  AND (e.to_status IS NOT NULL OR e.changes ?| array['extended', 'suspended'])
		WHERE NOT EXISTS (SELECT 1 FROM task_clocks c WHERE c.task_id = t.id)
		ORDER BY t.id, e.at, e.id`)
	if err != nil {
		return 0, translate(err, "clocks of the history")
	}
	var out [][]any
	var cur int64
	var cs timelimit.Case
	var moves []timelimit.Move
	flush := func() {
		for _, c := range timelimit.Replay(cal, table, cs, moves) {
			var outcome *string
			if c.EndedAt != nil {
				o := string(c.Outcome)
				outcome = &o
			}
			out = append(out, []any{cur, string(c.Step), c.Rule.Unit, c.Rule.N, c.Assignee, c.StartedAt, c.Deadline, c.Rework,
				c.EndedAt, outcome, c.Late, c.Extended, c.Extensions, c.PausedSince, int64(c.Paused / time.Second), c.Suspensions})
		}
		moves = moves[:0]
	}
	for rows.Next() {
		var id int64
		var priority, from, to, assignee, suspended string
		var m timelimit.Move
		var next timelimit.Case
		if err := rows.Scan(&id, &next.WorkType, &priority, &next.DueDate, &next.Assignee, &m.At, &from, &to, &assignee,
			&m.Extend, &suspended); err != nil {
			rows.Close()
			return 0, translate(err, "clocks of the history")
		}
		if id != cur {
			if cur != 0 {
				flush()
			}
			cur, cs = id, next
			cs.Priority = maint.Priority(priority)
		}
		m.From, m.To, m.Assignee = maint.Status(from), maint.Status(to), assignee
		m.Suspend, m.Resume = to == "" && suspended == "true", to == "" && suspended == "false"
		moves = append(moves, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, translate(err, "clocks of the history")
	}
	if cur != 0 {
		flush()
	}
	if len(out) == 0 {
		return 0, nil
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"task_clocks"}, []string{"task_id", "step", "unit", "n", "assignee", "started_at",
		"deadline", "rework", "ended_at", "outcome", "late", "extended", "extensions", "paused_since", "paused_seconds",
		"suspensions"}, pgx.CopyFromRows(out))
	return n, translate(err, "clocks of the history")
}

// EnsureClocks gives the tasks stored before the service kept clocks the
// clocks of their histories; it does nothing when every task has them.
func (db *DB) EnsureClocks(ctx context.Context) (int64, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err, "clocks of the history")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return 0, translate(err, "clocks of the history")
	}
	// One copy at a time: several servers start at once.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('inframap.clocks'))"); err != nil {
		return 0, translate(err, "clocks of the history")
	}
	n, err := db.rebuildClocks(ctx, tx)
	if err != nil {
		return 0, err
	}
	return n, translate(tx.Commit(ctx), "clocks of the history")
}
