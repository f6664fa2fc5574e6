package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
)

// auditLog is every audited event: task history rows and the other audit
// events, in one stream ordered by time.
const auditLog = `(
	SELECT 'task' AS source, e.id, e.at, e.actor_id, e.actor,
	       CASE WHEN e.from_status IS NULL AND e.to_status IS NOT NULL THEN 'task.created'
	            WHEN e.to_status IS NOT NULL THEN 'task.transition' ELSE 'task.updated' END AS action,
	       'task' AS subject_type, e.task_id AS subject_id, '' AS ip,
	       jsonb_build_object('from', e.from_status, 'to', e.to_status, 'note', e.note,
	                          'internal', e.internal, 'changes', e.changes) AS details
	FROM task_events e
	UNION ALL
	SELECT 'audit', id, at, actor_id, actor, action, subject_type, subject_id, ip, details FROM audit_events
) x`

// AuditLog lists audited events by actor, task, action and time range.
func (db *DB) AuditLog(ctx context.Context, f maint.AuditFilter) ([]maint.AuditEvent, bool, error) {
	var q query
	if f.ActorID != nil {
		q.and("x.actor_id = " + q.arg(*f.ActorID))
	}
	if f.Actor != "" {
		q.and("lower(x.actor) = lower(" + q.arg(f.Actor) + ")")
	}
	if f.TaskID != nil {
		q.and("x.subject_type = 'task' AND x.subject_id = " + q.arg(*f.TaskID))
	}
	if f.Action != "" {
		q.and("x.action = " + q.arg(f.Action))
	}
	if f.From != nil {
		q.and("x.at >= " + q.arg(*f.From))
	}
	if f.To != nil {
		q.and("x.at < " + q.arg(*f.To))
	}
	order, cmp := " ORDER BY x.at, x.source, x.id", " > "
	if f.Newest {
		order, cmp = " ORDER BY x.at DESC, x.source DESC, x.id DESC", " < "
	}
	if f.After != nil {
		q.and("(x.at, x.source, x.id)" + cmp + "(" + q.arg(f.After.At) + ", " + q.arg(f.After.Source) + ", " + q.arg(f.After.ID) + ")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = maint.DefaultLimit
	}
	rows, err := db.pool.Query(ctx, `SELECT x.source, x.id, x.at, x.actor_id, x.actor, x.action, x.subject_type, x.subject_id, x.ip, x.details
		FROM `+auditLog+q.whereClause()+order+` LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return nil, false, translate(err, "audit log")
	}
	evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.AuditEvent, error) {
		var e maint.AuditEvent
		err := row.Scan(&e.Source, &e.ID, &e.At, &e.ActorID, &e.Actor, &e.Action, &e.SubjectType, &e.SubjectID, &e.IP, &e.Details)
		return e, err
	})
	if err != nil {
		return nil, false, translate(err, "audit log")
	}
	more := len(evs) > limit
	if more {
		evs = evs[:limit]
	}
	return evs, more, nil
}

// Crews lists the crews, active ones first.
func (db *DB) Crews(ctx context.Context) ([]maint.Crew, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, active FROM crews ORDER BY NOT active, name`)
	if err != nil {
		return nil, translate(err, "crews")
	}
	crews, err := pgx.CollectRows(rows, pgx.RowToStructByPos[maint.Crew])
	return crews, translate(err, "crews")
}

// SaveCrew adds a crew or changes whether it is active, audited.
func (db *DB) SaveCrew(ctx context.Context, v maint.Viewer, ip string, c maint.Crew) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "save crew")
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `INSERT INTO crews (name, active) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET active = EXCLUDED.active WHERE crews.active <> EXCLUDED.active`, c.Name, c.Active)
	if err != nil {
		return translate(err, "save crew")
	}
	if tag.RowsAffected() > 0 {
		if err := audit(ctx, tx, v, ip, "crew.saved", "crew", nil, map[string]any{"name": c.Name, "active": c.Active}); err != nil {
			return err
		}
	}
	return translate(tx.Commit(ctx), "save crew")
}
