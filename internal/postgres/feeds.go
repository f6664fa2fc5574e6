package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
)

// PublicEvents lists the public changes of cases, newest first: state
// changes (an internal note on one is left out, the change kept) and public
// notes, of the cases in f's area and services.
func (db *DB) PublicEvents(ctx context.Context, f maint.FeedFilter) ([]maint.FeedEvent, error) {
	var q query
	q.and("(e.to_status IS NOT NULL OR (NOT e.internal AND e.note <> ''))")
	if f.Ref != "" {
		q.and("t.ref = " + q.arg(f.Ref))
	}
	if len(f.Services) > 0 {
		q.and("coalesce(t.service_code, t.work_type) = ANY(" + q.arg(f.Services) + ")")
	}
	if f.Subdistrict != "" {
		q.and("coalesce(a.subdistrict, subdistrict_of(t.location)) = " + q.arg(f.Subdistrict))
	}
	if b := f.BBox; b != nil {
		env := "ST_MakeEnvelope(" + q.arg(b.MinLon) + ", " + q.arg(b.MinLat) + ", " + q.arg(b.MaxLon) + ", " + q.arg(b.MaxLat) + ", 4326)"
		q.and("ST_Intersects(coalesce(t.location, a.geom), " + env + ")")
	}
	limit := f.Limit
	if limit <= 0 || limit > maint.MaxLimit {
		limit = 50
	}
	rows, err := db.pool.Query(ctx, `
		SELECT e.id, e.at, e.from_status, e.to_status, CASE WHEN e.internal THEN '' ELSE e.note END,
		       t.id, t.ref, t.title, t.description, coalesce(t.service_code, t.work_type), t.status, t.asset_id,
		       coalesce(ST_X(t.location), a.anchor_lon, 0), coalesce(ST_Y(t.location), a.anchor_lat, 0),
		       coalesce(a.subdistrict, subdistrict_of(t.location))
		FROM task_events e JOIN tasks t ON t.id = e.task_id LEFT JOIN assets a ON a.id = t.asset_id`+
		q.whereClause()+` ORDER BY e.at DESC, e.id DESC LIMIT `+q.arg(limit), q.args...)
	if err != nil {
		return nil, translate(err, "feed")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.FeedEvent, error) {
		var e maint.FeedEvent
		var from, to *string
		var status string
		err := row.Scan(&e.ID, &e.At, &from, &to, &e.Note, &e.TaskID, &e.Ref, &e.Title, &e.Description, &e.Service, &status,
			&e.AssetID, &e.Lon, &e.Lat, &e.Subdistrict)
		e.From, e.To, e.Status = (*maint.Status)(from), (*maint.Status)(to), maint.Status(status)
		return e, err
	})
	return out, translate(err, "feed")
}

// Support records 我也遇到 on an open case from a device (the hash of its
// id), once per device, and keeps the count on the task.
func (db *DB) Support(ctx context.Context, taskID int64, device []byte) (int, bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, false, translate(err, "me too")
	}
	defer tx.Rollback(ctx)
	var status string
	var n int
	if err := tx.QueryRow(ctx, `SELECT status, supports FROM tasks WHERE id = $1 FOR UPDATE`, taskID).Scan(&status, &n); err != nil {
		return 0, false, translate(err, "task %d", taskID)
	}
	if !maint.Status(status).Open() {
		return n, false, maint.Errorf(maint.CodeConflict, "task %d is %s (%s): only open cases take 我也遇到", taskID, status, maint.Status(status).Name()).Because("case_closed")
	}
	tag, err := tx.Exec(ctx, `INSERT INTO task_supports (task_id, device_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING`, taskID, device)
	if err != nil {
		return 0, false, translate(err, "me too")
	}
	if tag.RowsAffected() == 0 {
		return n, false, nil
	}
	if err := tx.QueryRow(ctx, `UPDATE tasks SET supports = supports + 1 WHERE id = $1 RETURNING supports`, taskID).Scan(&n); err != nil {
		return 0, false, translate(err, "me too")
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, false, translate(err, "me too")
	}
	db.changed(ctx)
	return n, true, nil
}
