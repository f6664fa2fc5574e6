package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/evaluation"
	"inframap/internal/maint"
	"inframap/internal/timelimit"
)

// The evaluation (考核评价) reads cases with their clocks in one pass; it
// computes nothing here (internal/evaluation does).

// evaluationCasesSQL is every case that may count in a window from $1 as
// known at $2, one row per clock (a case without clocks has one row of
// NULLs), in task and start order. A case that reached a final state before
// the window cannot count in it. The first history row says who reported;
// a verify clock's verifier is the actor of the row that left 处置完成.
//
// The sub-district of a case without an asset is that of its location, as
// subdistrict_of says, but found zone by zone (each zone's polygon tested
// against the points its index finds) rather than point by point: 300 ms
// less over 20,000 cases.
const evaluationCasesSQL = `
WITH zone AS MATERIALIZED (
    SELECT DISTINCT ON (t.id) t.id, s.name
    FROM areas s JOIN tasks t ON ST_Intersects(s.geom, t.location)
    WHERE s.kind = 'subdistrict' AND t.asset_id IS NULL
    ORDER BY t.id, s.id
)
SELECT t.id, t.created_at, t.work_type,
       coalesce(CASE WHEN t.asset_id IS NULL THEN z.name ELSE a.subdistrict END, ''),
       coalesce(CASE WHEN f.actor_role = 'inspector' THEN f.actor END, ''),
       c.step, coalesce(c.assignee, ''), c.started_at, c.deadline, coalesce(c.extensions, 0),
       coalesce(c.suspensions, 0), coalesce(c.rework, false), c.ended_at, coalesce(c.outcome, ''),
       coalesce(v.actor, '')
FROM tasks t
LEFT JOIN assets a ON a.id = t.asset_id
LEFT JOIN zone z ON z.id = t.id
LEFT JOIN LATERAL (SELECT e.actor, e.actor_role FROM task_events e
                   WHERE e.task_id = t.id ORDER BY e.at, e.id LIMIT 1) f ON true
LEFT JOIN task_clocks c ON c.task_id = t.id AND c.started_at <= $2
LEFT JOIN LATERAL (SELECT e.actor FROM task_events e
                   WHERE c.step = 'verify' AND c.ended_at IS NOT NULL AND e.task_id = t.id
                     AND e.from_status = 'done' AND e.at >= c.started_at
                   ORDER BY e.at, e.id LIMIT 1) v ON true
WHERE t.created_at <= $2
  AND NOT (t.status IN ('closed', 'rejected', 'cancelled') AND t.status_at < $1)
ORDER BY t.id, c.started_at, c.id`

// EvaluationCases streams the cases an evaluation of a window from `from`
// as known at asOf may count (evaluation.Store).
func (db *DB) EvaluationCases(ctx context.Context, from, asOf time.Time, emit func(*evaluation.Case) error) error {
	names, err := db.SubdistrictNames(ctx)
	if err != nil {
		return err
	}
	feedback, err := feedbackFacts(ctx, db.pool, asOf)
	if err != nil {
		return err
	}
	rows, err := db.pool.Query(ctx, evaluationCasesSQL, from, asOf)
	if err != nil {
		return translate(err, "evaluation cases")
	}
	defer rows.Close()
	var cur *evaluation.Case
	var (
		id                      int64
		created                 time.Time
		workType, sub, reporter string
		step                    *string
		start                   *time.Time
		k                       evaluation.Clock
		outcome                 string
	)
	for rows.Next() {
		if err := rows.Scan(&id, &created, &workType, &sub, &reporter, &step, &k.Assignee, &start, &k.Deadline,
			&k.Extensions, &k.Suspensions, &k.Rework, &k.End, &outcome, &k.Verifier); err != nil {
			return translate(err, "evaluation cases")
		}
		if cur == nil || cur.ID != id {
			if cur != nil {
				if err := emit(cur); err != nil {
					return err
				}
			}
			cur = &evaluation.Case{ID: id, ReportedAt: created, WorkType: workType, Subdistrict: sub,
				SubdistrictEn: names[sub], Inspector: reporter, Feedback: feedback[id]}
		}
		if step != nil && start != nil {
			k.Start = *start
			k.Step, k.Outcome = timelimit.Step(*step), timelimit.Outcome(outcome)
			cur.Clocks = append(cur.Clocks, k)
		}
		k = evaluation.Clock{}
	}
	if err := rows.Err(); err != nil {
		return translate(err, "evaluation cases")
	}
	if cur != nil {
		return emit(cur)
	}
	return nil
}

// RunningClocks streams the running clocks with their case's sub-district
// (evaluation.Store), for the map of lights.
func (db *DB) RunningClocks(ctx context.Context, emit func(string, *evaluation.RunningClock) error) error {
	rows, err := db.pool.Query(ctx, `
		WITH zone AS MATERIALIZED (
		    SELECT DISTINCT ON (t.id) t.id, s.name
		    FROM areas s JOIN tasks t ON ST_Intersects(s.geom, t.location)
		    WHERE s.kind = 'subdistrict' AND t.asset_id IS NULL
		    ORDER BY t.id, s.id
		)
		SELECT coalesce(CASE WHEN t.asset_id IS NULL THEN z.name ELSE a.subdistrict END, ''),
		       c.id, c.task_id, c.step, c.unit, c.n, c.assignee, c.started_at, c.deadline, c.extended,
		       c.extensions, c.paused_since, c.paused_seconds, c.suspensions, c.rework
		FROM task_clocks c
		JOIN tasks t ON t.id = c.task_id
		LEFT JOIN assets a ON a.id = t.asset_id
		LEFT JOIN zone z ON z.id = t.id
		WHERE c.ended_at IS NULL`)
	if err != nil {
		return translate(err, "running clocks")
	}
	defer rows.Close()
	for rows.Next() {
		var sub, step string
		var paused int64
		var c evaluation.RunningClock
		if err := rows.Scan(&sub, &c.ID, &c.TaskID, &step, &c.Rule.Unit, &c.Rule.N, &c.Assignee, &c.StartedAt,
			&c.Deadline, &c.Extended, &c.Extensions, &c.PausedSince, &paused, &c.Suspensions, &c.Rework); err != nil {
			return translate(err, "running clocks")
		}
		c.Step = timelimit.Step(step)
		c.Paused = time.Duration(paused) * time.Second
		if err := emit(sub, &c); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "running clocks")
}

// SubdistrictNames maps each sub-district's name to its English name.
func (db *DB) SubdistrictNames(ctx context.Context) (map[string]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, name_en FROM areas WHERE kind = 'subdistrict'`)
	if err != nil {
		return nil, translate(err, "sub-district names")
	}
	names := map[string]string{}
	var name, en string
	_, err = pgx.ForEachRow(rows, []any{&name, &en}, func() error {
		names[name] = en
		return nil
	})
	return names, translate(err, "sub-district names")
}

// EvaluationWeights returns the weights admins set (evaluation.Store).
func (db *DB) EvaluationWeights(ctx context.Context) ([]evaluation.Weight, error) {
	rows, err := db.pool.Query(ctx, `SELECT rate, weight FROM evaluation_weights ORDER BY rate`)
	if err != nil {
		return nil, translate(err, "evaluation weights")
	}
	ws, err := pgx.CollectRows(rows, pgx.RowToStructByPos[evaluation.Weight])
	return ws, translate(err, "evaluation weights")
}

// SetEvaluationWeights sets the weights given, with one audit row
// (evaluation.weights_set) saying what changed.
func (db *DB) SetEvaluationWeights(ctx context.Context, v maint.Viewer, ip string, ws []evaluation.Weight) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "set evaluation weights")
	}
	defer tx.Rollback(ctx)
	for _, w := range ws {
		if _, err := tx.Exec(ctx, `INSERT INTO evaluation_weights (rate, weight, updated_by) VALUES ($1, $2, $3)
			ON CONFLICT (rate) DO UPDATE SET weight = EXCLUDED.weight, updated_by = EXCLUDED.updated_by, updated_at = now()`,
			w.Rate, w.Weight, v.Email); err != nil {
			return translate(err, "set evaluation weight %s", w.Rate)
		}
	}
	if err := audit(ctx, tx, v, ip, "evaluation.weights_set", "evaluation_weights", nil, map[string]any{"weights": ws}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return translate(err, "set evaluation weights")
	}
	db.changed(ctx)
	return nil
}
