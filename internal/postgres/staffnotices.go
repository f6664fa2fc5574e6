package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
	"inframap/internal/outbox"
	"inframap/internal/timelimit"
)

// Notices for staff about their own work (docs/notifications.md), besides
// the hand-backs of routeStaff: a unit hears of work dispatched to it and
// of its work falling due; whoever looks after a sub-district hears of new
// reports there. Never the person who made the change.

// WatchClocks tells of work falling due: a running clock turning yellow
// (past the warning share of its limit) writes one task.due_soon event, one
// turning red one task.overdue, each once per deadline (an extension clears
// it). Every copy runs it; SKIP LOCKED gives each clock to one. Returns how
// many events it wrote.
func (db *DB) WatchClocks(ctx context.Context) (int, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err, "watch clocks")
	}
	defer tx.Rollback(ctx)
	rd := db.reader(ctx, tx)
	// Only clocks close to their deadline can have turned: a limit is at
	// most a few weeks, and the warning comes in its last fifth.
	rows, err := tx.Query(ctx, `SELECT c.id, c.task_id, c.assignee, coalesce(c.told_light, ''), `+taskClockColumns+`
		FROM task_clocks c
		WHERE c.ended_at IS NULL AND c.paused_since IS NULL AND c.deadline IS NOT NULL
		  AND c.told_light IS DISTINCT FROM 'red' AND c.deadline < now() + interval '20 days'
		ORDER BY c.deadline LIMIT 2000 FOR UPDATE OF c SKIP LOCKED`)
	if err != nil {
		return 0, translate(err, "watch clocks")
	}
	type turned struct {
		id, task int64
		assignee string
		light    timelimit.Light
		clock    timelimit.Clock
	}
	var due []turned
	for rows.Next() {
		var t turned
		var told string
		var s taskClock
		if err := rows.Scan(append([]any{&t.id, &t.task, &t.assignee, &told}, s.dest()...)...); err != nil {
			rows.Close()
			return 0, translate(err, "watch clocks")
		}
		t.clock, _ = s.clock()
		t.light = t.clock.Read(rd.cal, rd.now, rd.warn).Light
		if (t.light == timelimit.Yellow && told == "") || (t.light == timelimit.Red && told != "red") {
			due = append(due, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, translate(err, "watch clocks")
	}
	for _, t := range due {
		kind := "task.due_soon"
		if t.light == timelimit.Red {
			kind = "task.overdue"
		}
		p := map[string]any{"step": string(t.clock.Step), "assignee": t.assignee}
		if t.clock.Deadline != nil {
			p["deadline"] = t.clock.Deadline
		}
		if _, err := outbox.Enqueue(ctx, tx, outbox.Event{Kind: kind, TaskID: t.task, Payload: p}); err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `UPDATE task_clocks SET told_light = $2 WHERE id = $1`, t.id, string(t.light)); err != nil {
			return 0, translate(err, "watch clocks")
		}
	}
	return len(due), translate(tx.Commit(ctx), "watch clocks")
}

// routeWork finds the staff a change of work concerns:
//   - task.changed to 派遣: the members of the unit dispatched to
//     (task.dispatched_to_unit);
//   - task.changed of a new case: whoever looks after its sub-district
//     (task.new_in_area);
//   - task.due_soon and task.overdue: for 处置, the unit's members and the
//     engineer who dispatched; for the other steps, the staff of the step's
//     role who look after the case's sub-district.
//
// Each is an in-app notice "<user id>:<kind>", never to the actor.
func routeWork(ctx context.Context, tx pgx.Tx, kind string, taskID int64, payload json.RawMessage) ([]outbox.Recipient, error) {
	if taskID == 0 {
		return nil, nil
	}
	var p struct {
		From, To string
		ActorID  int64  `json:"actor_id"`
		Step     string `json:"step"`
		Assignee string `json:"assignee"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return nil, nil
	}
	var sql string
	var args []any
	notice := kind
	// The case's sub-district, by where it is on the map.
	const area = `(SELECT subdistrict_of(ST_SetSRID(ST_MakePoint(` + taskPlaceColumns + `), 4326))
		FROM tasks t LEFT JOIN assets a ON a.id = t.asset_id WHERE t.id = $1)`
	switch {
	case kind == "task.changed" && p.To == string(maint.StatusDispatched):
		notice = "task.dispatched_to_unit"
		sql = `SELECT u.id FROM users u, tasks t WHERE t.id = $1 AND u.active AND u.crew = t.assignee AND u.id <> $2`
		args = []any{taskID, p.ActorID}
	case kind == "task.changed" && p.From == "" && p.To != "":
		notice = "task.new_in_area"
		sql = `SELECT u.id FROM users u WHERE u.active AND u.role IN ('engineer', 'admin') AND u.id <> $2
			AND u.subdistrict <> '' AND u.subdistrict = ` + area
		args = []any{taskID, p.ActorID}
	case (kind == "task.due_soon" || kind == "task.overdue") && p.Step == string(timelimit.StepHandle):
		sql = `SELECT u.id FROM users u WHERE u.active AND u.crew = $2 AND $2 <> ''
			UNION SELECT e.actor_id FROM (SELECT actor_id FROM task_events WHERE task_id = $1 AND to_status = 'dispatched'
				ORDER BY at DESC, id DESC LIMIT 1) e WHERE e.actor_id IS NOT NULL`
		args = []any{taskID, p.Assignee}
	case kind == "task.due_soon" || kind == "task.overdue":
		role := "engineer"
		if p.Step == string(timelimit.StepVerify) {
			role = "inspector"
		}
		sql = `SELECT u.id FROM users u WHERE u.active AND u.role = $2 AND u.subdistrict <> '' AND u.subdistrict = ` + area
		args = []any{taskID, role}
	default:
		return nil, nil
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", kind, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	out := make([]outbox.Recipient, len(ids))
	for i, id := range ids {
		out[i] = outbox.Recipient{Channel: "inapp", Address: strconv.FormatInt(id, 10) + ":" + notice}
	}
	return out, nil
}
