package postgres

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/evaluation"
	"inframap/internal/maint"
)

// ReportFeedback records what the reporter of a closed case says of it,
// proved by the request's token (given to them, and only them, when they
// reported). "Not fixed" sends the case back to 核查 (done) with their note
// and photo, its verification clock started again; either answer is a
// history row in the same transaction. One answer per closing: another is
// a conflict. With an idempotency key a retry gets the first answer.
func (db *DB) ReportFeedback(ctx context.Context, ref, token string, fb maint.Feedback, np *maint.NewPhoto,
	idem *maint.Idempotency) (*maint.ServiceRequest, bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, false, translate(err, "feedback")
	}
	defer tx.Rollback(ctx)
	var first maint.ServiceRequest
	if ok, err := replay(ctx, tx, idem, &first); err != nil || ok {
		return &first, ok, err
	}
	var (
		id       int64
		status   string
		closedAt *time.Time
		stored   *string
	)
	err = tx.QueryRow(ctx, `SELECT id, status, closed_at, request_token FROM tasks
		WHERE ref = $1 AND service_code IS NOT NULL FOR UPDATE`, ref).Scan(&id, &status, &closedAt, &stored)
	if err == pgx.ErrNoRows {
		return nil, false, maint.Errorf(maint.CodeNotFound, "no service request %s", ref)
	}
	if err != nil {
		return nil, false, translate(err, "feedback on %s", ref)
	}
	if stored == nil || subtle.ConstantTimeCompare([]byte(*stored), []byte(token)) != 1 {
		return nil, false, maint.Errorf(maint.CodeForbidden, "only the reporter of %s (with the key given when it was reported) may answer for it", ref).Because("feedback_key")
	}
	if maint.Status(status) != maint.StatusClosed || closedAt == nil {
		return nil, false, maint.Errorf(maint.CodeConflict, "%s is %s (%s): it is answered after 结案", ref, status, maint.Status(status).Name()).Because("feedback_not_closed")
	}
	v := maint.Viewer{} // the resident
	var photoID *int64
	if np != nil {
		np.TaskID = &id
		np.Stage, np.Visible = maint.StageReport, false
		p, err := addPhoto(ctx, tx, v, *np)
		if err != nil {
			return nil, false, err
		}
		photoID = &p.ID
	}
	var sat *string
	if fb.Satisfaction != "" {
		s := string(fb.Satisfaction)
		sat = &s
	}
	tag, err := tx.Exec(ctx, `INSERT INTO report_feedback (task_id, closed_at, fixed, satisfaction, note, photo_id)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (task_id, closed_at) DO NOTHING`, id, *closedAt, fb.Fixed, sat, fb.Note, photoID)
	if err != nil {
		return nil, false, translate(err, "feedback on %s", ref)
	}
	if tag.RowsAffected() == 0 {
		return nil, false, maint.Errorf(maint.CodeConflict, "%s has been answered for this closing already", ref).Because("feedback_answered")
	}
	changes := map[string]any{"fixed": [2]any{nil, fb.Fixed}}
	if sat != nil {
		changes["satisfaction"] = [2]any{nil, *sat}
	}
	if fb.Fixed {
		if err := writeEvent(ctx, tx, v, id, nil, nil, changes, "居民反馈：已解决", false); err != nil {
			return nil, false, err
		}
	} else {
		// Back to 核查: the case is verified again on site.
		from, to := maint.StatusClosed, maint.StatusDone
		if _, err := tx.Exec(ctx, `UPDATE tasks SET status = 'done', status_at = now(), closed_at = NULL,
			version = version + 1, updated_at = now() WHERE id = $1`, id); err != nil {
			return nil, false, translate(err, "feedback on %s", ref)
		}
		if err := db.advanceClock(ctx, tx, id, from, changes); err != nil {
			return nil, false, err
		}
		note := "居民反馈未解决"
		if fb.Note != "" {
			note += "：" + fb.Note
		}
		if err := writeEvent(ctx, tx, v, id, &from, &to, changes, note, false); err != nil {
			return nil, false, err
		}
	}
	reqs, err := serviceRequests(ctx, tx, maint.RequestFilter{Refs: []string{ref}})
	if err != nil || len(reqs) == 0 {
		return nil, false, translate(err, "feedback on %s", ref)
	}
	if err := remember(ctx, tx, idem, reqs[0]); err != nil {
		return nil, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, translate(err, "feedback on %s", ref)
	}
	db.changed(ctx)
	return &reqs[0], false, nil
}

// feedbackFacts are the answers given by asOf, by task, for the evaluation.
func feedbackFacts(ctx context.Context, q querier, asOf time.Time) (map[int64][]evaluation.Feedback, error) {
	rows, err := q.Query(ctx, `SELECT task_id, created_at, fixed, coalesce(satisfaction, '') FROM report_feedback
		WHERE created_at <= $1 ORDER BY task_id, created_at`, asOf)
	if err != nil {
		return nil, translate(err, "feedback")
	}
	defer rows.Close()
	out := map[int64][]evaluation.Feedback{}
	for rows.Next() {
		var id int64
		var f evaluation.Feedback
		if err := rows.Scan(&id, &f.At, &f.Fixed, &f.Satisfaction); err != nil {
			return nil, translate(err, "feedback")
		}
		out[id] = append(out[id], f)
	}
	return out, translate(rows.Err(), "feedback")
}
