package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/costs"
	"inframap/internal/maint"
)

// Costs (docs/costs.md): a task's cost lines, append-only with
// superseded_at, and the roll-ups of the lines in force at an instant.

// inForce selects the cost lines in force: now (none superseded), or at an
// instant $1 — recorded before it and not superseded by then.
func inForce(asOf *time.Time, q *query) string {
	if asOf == nil {
		return "c.superseded_at IS NULL"
	}
	p := q.arg(*asOf)
	return "c.recorded_at < " + p + " AND (c.superseded_at IS NULL OR c.superseded_at >= " + p + ")"
}

const costLineColumns = `c.id, c.kind, c.category, c.description, c.quantity_milli, c.unit, c.unit_price_fen,
	c.amount_fen, c.recorded_at, c.recorded_by`

func scanCostLine(row pgx.CollectableRow) (costs.Line, error) {
	var l costs.Line
	var kind, cat string
	err := row.Scan(&l.ID, &kind, &cat, &l.Description, &l.QuantityMilli, &l.Unit, &l.UnitPriceFen,
		&l.AmountFen, &l.RecordedAt, &l.RecordedBy)
	l.Kind, l.Category = costs.Kind(kind), costs.Category(cat)
	return l, err
}

func costLines(ctx context.Context, q querier, taskID int64, asOf *time.Time) ([]costs.Line, error) {
	var qq query
	qq.arg(taskID)
	rows, err := q.Query(ctx, `SELECT `+costLineColumns+` FROM cost_lines c WHERE c.task_id = $1 AND `+
		inForce(asOf, &qq)+` ORDER BY c.position, c.id`, qq.args...)
	if err != nil {
		return nil, translate(err, "task %d: cost lines", taskID)
	}
	ls, err := pgx.CollectRows(rows, scanCostLine)
	if err != nil {
		return nil, translate(err, "task %d: cost lines", taskID)
	}
	return ls, nil
}

// TaskCosts returns a task's cost lines in force now, or at asOf.
func (db *DB) TaskCosts(ctx context.Context, id int64, v maint.Viewer, asOf *time.Time) (*costs.TaskCosts, error) {
	tc := &costs.TaskCosts{TaskID: id, AsOf: asOf}
	if err := db.pool.QueryRow(ctx, `SELECT ref, version FROM tasks WHERE id = $1`, id).Scan(&tc.Ref, &tc.Version); err != nil {
		return nil, translate(err, "task %d", id)
	}
	ls, err := costLines(ctx, db.pool, id, asOf)
	if err != nil {
		return nil, err
	}
	tc.Lines, tc.Totals = ls, costs.TotalsOf(ls)
	return tc, nil
}

// sameLines says whether the new lines are the lines in force, in order.
func sameLines(old []costs.Line, lines []costs.NewLine) bool {
	return slices.EqualFunc(old, lines, func(o costs.Line, n costs.NewLine) bool {
		eq := func(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
		return o.Kind == n.Kind && o.Category == n.Category && o.Description == n.Description && o.Unit == n.Unit &&
			eq(o.QuantityMilli, n.QuantityMilli) && eq(o.UnitPriceFen, n.UnitPriceFen) && o.AmountFen == n.AmountFen
	})
}

// SetTaskCosts replaces a task's cost lines under If-Match: the lines in
// force are superseded and the new ones recorded at the transaction's time,
// the task's version raised, and a history row (staff only) says what the
// totals were and became — all in one transaction, so a refused line leaves
// nothing written.
func (db *DB) SetTaskCosts(ctx context.Context, v maint.Viewer, id int64, version int, lines []costs.NewLine) (*costs.TaskCosts, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "task %d: costs", id)
	}
	defer tx.Rollback(ctx)
	t, err := db.lockTask(ctx, tx, id, version, v)
	if err != nil {
		return nil, err
	}
	old, err := costLines(ctx, tx, id, nil)
	if err != nil {
		return nil, err
	}
	if sameLines(old, lines) {
		return &costs.TaskCosts{TaskID: id, Ref: t.Ref, Version: t.Version, Lines: old, Totals: costs.TotalsOf(old)}, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE cost_lines SET superseded_at = now() WHERE task_id = $1 AND superseded_at IS NULL`, id); err != nil {
		return nil, translate(err, "task %d: costs", id)
	}
	n := len(lines)
	pos, kind, cat, desc, unit := make([]int32, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	qty, price, amount := make([]*int64, n), make([]*int64, n), make([]int64, n)
	for i, l := range lines {
		pos[i], kind[i], cat[i], desc[i], unit[i] = int32(i), string(l.Kind), string(l.Category), l.Description, l.Unit
		qty[i], price[i], amount[i] = l.QuantityMilli, l.UnitPriceFen, l.AmountFen
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO cost_lines (task_id, position, kind, category, description, quantity_milli, unit, unit_price_fen, amount_fen, recorded_by)
		SELECT $1, x.pos, x.kind, x.cat, x.descr, x.qty, x.unit, x.price, x.amount, $10
		FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::bigint[])
		     AS x(pos, kind, cat, descr, qty, unit, price, amount)`,
		id, pos, kind, cat, desc, qty, unit, price, amount, v.Email)
	if err != nil {
		return nil, translate(err, "task %d: costs", id)
	}
	if _, err := tx.Exec(ctx, `UPDATE tasks SET version = version + 1, updated_at = now() WHERE id = $1`, id); err != nil {
		return nil, translate(err, "task %d: costs", id)
	}
	now, err := costLines(ctx, tx, id, nil)
	if err != nil {
		return nil, err
	}
	before, after := costs.TotalsOf(old), costs.TotalsOf(now)
	changes := map[string]any{"cost_lines": [2]int{len(old), len(now)}}
	if before.Estimate.Total != after.Estimate.Total {
		changes["estimate_fen"] = [2]int64{before.Estimate.Total, after.Estimate.Total}
	}
	if before.Actual.Total != after.Actual.Total {
		changes["actual_fen"] = [2]int64{before.Actual.Total, after.Actual.Total}
	}
	// Internal: costs are staff matters, neither shown to the public nor
	// sent to subscribers.
	if err := writeEvent(ctx, tx, v, id, nil, nil, changes, "", true); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "task %d: costs", id)
	}
	db.changed(ctx)
	return &costs.TaskCosts{TaskID: id, Ref: t.Ref, Version: t.Version + 1, Lines: now, Totals: after}, nil
}

// costSums are the sums of the lines in force per task, the heart of every
// roll-up: one row per task that has lines.
func costSums(asOf *time.Time, q *query) string {
	return `SELECT c.task_id,
	       coalesce(sum(c.amount_fen) FILTER (WHERE c.kind = 'estimate'), 0)::bigint AS est,
	       coalesce(sum(c.amount_fen) FILTER (WHERE c.kind = 'actual'), 0)::bigint AS act
	FROM cost_lines c WHERE ` + inForce(asOf, q) + ` GROUP BY c.task_id`
}

// costGroupKey is the key of a grouping of task t (asset a), as it stood
// at asOf when one is given. A task's unit then is the one its history had
// given it by that instant (the last assignee change at or before it), or,
// when it was first given one later, the one before that change (none);
// a task whose history never changed its unit (imported, seeded) keeps
// the one it has.
func costGroupKey(by costs.By, asOf *time.Time, q *query) string {
	switch by {
	case costs.ByProgramme:
		return "t.programme"
	case costs.BySubdistrict:
		return "coalesce(a.subdistrict, subdistrict_of(t.location))"
	}
	if asOf == nil {
		return "coalesce(t.assignee, '')"
	}
	at := q.arg(*asOf)
	return `coalesce(
		(SELECT coalesce(e.changes -> 'assignee' ->> 1, '') FROM task_events e
		  WHERE e.task_id = t.id AND e.changes ? 'assignee' AND e.at <= ` + at + ` ORDER BY e.at DESC, e.id DESC LIMIT 1),
		(SELECT coalesce(e.changes -> 'assignee' ->> 0, '') FROM task_events e
		  WHERE e.task_id = t.id AND e.changes ? 'assignee' AND e.at > ` + at + ` ORDER BY e.at, e.id LIMIT 1),
		t.assignee, '')`
}

// projectMember says whether task t (asset a, maybe none) counts against
// project p: its asset is the project or a part of it, or lies within the
// project's area (a point on its surface, or the task's own location).
const projectMember = `(a.id = p.id OR a.parent_id = p.id
	OR (a.geom && p.geom AND ST_Covers(p.geom, ST_PointOnSurface(a.geom)))
	OR (a.id IS NULL AND ST_Covers(p.geom, t.location)))`

type costSum struct {
	key      string
	est, act int64
	tasks    int
}

// CostRollUp sums the cost lines in force at q.AsOf per programme (with the
// projects' rows, which lie within their programmes), sub-district or unit.
func (db *DB) CostRollUp(ctx context.Context, q costs.Query) (*costs.RollUp, error) {
	var asOf *time.Time
	if !q.AsOf.IsZero() {
		asOf = &q.AsOf
	}
	var qq query
	sums := costSums(asOf, &qq)
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, translate(err, "cost roll-up")
	}
	defer tx.Rollback(ctx)
	// One statement: the sums per task once, then per group, and by
	// programme per project too (marked 'p').
	projects := ""
	if q.By == costs.ByProgramme {
		projects = ` UNION ALL
		SELECT 'p', b.key, sum(l.est)::bigint, sum(l.act)::bigint, count(*)::int
		FROM cost_budgets b JOIN assets p ON p.code = b.asset_code AND b.scope = 'project'
		CROSS JOIN l JOIN tasks t ON t.id = l.task_id LEFT JOIN assets a ON a.id = t.asset_id
		WHERE ` + projectMember + `
		GROUP BY b.key`
	}
	rows, err := tx.Query(ctx, `WITH l AS MATERIALIZED (`+sums+`)
		SELECT 'g', `+costGroupKey(q.By, asOf, &qq)+` AS key, sum(l.est)::bigint, sum(l.act)::bigint, count(*)::int
		FROM l JOIN tasks t ON t.id = l.task_id LEFT JOIN assets a ON a.id = t.asset_id
		GROUP BY 2`+projects, qq.args...)
	if err != nil {
		return nil, translate(err, "cost roll-up")
	}
	by, projectSums := map[string]costSum{}, map[string]costSum{}
	var which string
	var sum1 costSum
	_, err = pgx.ForEachRow(rows, []any{&which, &sum1.key, &sum1.est, &sum1.act, &sum1.tasks}, func() error {
		if which == "p" {
			projectSums[sum1.key] = sum1
		} else {
			by[sum1.key] = sum1
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, "cost roll-up")
	}
	budgets, err := budgets(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := &costs.RollUp{By: q.By, AsOf: q.AsOf, Rows: []costs.Row{}}
	seen := map[string]bool{}
	add := func(r costs.Row) {
		s := by[r.Key]
		r.Estimated, r.Actual, r.Tasks = s.est, s.act, s.tasks
		seen[r.Key] = true
		out.Rows = append(out.Rows, r)
	}
	switch q.By {
	case costs.ByProgramme:
		for _, b := range budgets {
			r := costs.Row{Key: b.Key, Name: b.Name, NameEn: b.NameEn, Scope: b.Scope, PeriodFrom: b.PeriodFrom,
				PeriodTo: b.PeriodTo, Budget: b.BudgetFen}
			if b.Scope == "project" {
				s := projectSums[b.Key]
				r.Estimated, r.Actual, r.Tasks = s.est, s.act, s.tasks
				out.Rows = append(out.Rows, r)
				continue
			}
			add(r)
		}
		out.Note = "projects lie within their programmes: the total counts each task once"
	case costs.BySubdistrict:
		rows, err := tx.Query(ctx, `SELECT name, name_en FROM areas WHERE kind = 'subdistrict' ORDER BY name`)
		if err != nil {
			return nil, translate(err, "cost roll-up")
		}
		var name, en string
		_, err = pgx.ForEachRow(rows, []any{&name, &en}, func() error {
			add(costs.Row{Key: name, Name: name, NameEn: en})
			return nil
		})
		if err != nil {
			return nil, translate(err, "cost roll-up")
		}
	case costs.ByUnit:
		rows, err := tx.Query(ctx, `SELECT name FROM crews WHERE active ORDER BY name`)
		if err != nil {
			return nil, translate(err, "cost roll-up")
		}
		var name string
		_, err = pgx.ForEachRow(rows, []any{&name}, func() error {
			add(costs.Row{Key: name, Name: name, NameEn: name})
			return nil
		})
		if err != nil {
			return nil, translate(err, "cost roll-up")
		}
	}
	// Groups with lines that no list above names: a sub-district outside
	// the zones, an unassigned task, a crew no longer active.
	var rest []string
	for k := range by {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		r := costs.Row{Key: k, Name: k, NameEn: k}
		if k == "" {
			r.Name, r.NameEn = "分区以外", "Outside the sub-districts"
			if q.By == costs.ByUnit {
				r.Name, r.NameEn = "未派遣", "Not dispatched"
			}
		}
		add(r)
	}
	tot := costs.Row{Key: "", Name: "合计", NameEn: "Total"}
	for _, s := range by {
		tot.Estimated += s.est
		tot.Actual += s.act
		tot.Tasks += s.tasks
	}
	// The total's budget is the programmes' (each task is in one), when
	// every programme has one.
	var sum int64
	all := true
	for _, b := range budgets {
		if b.Scope == "programme" {
			if b.BudgetFen == nil {
				all = false
			} else {
				sum += *b.BudgetFen
			}
		}
	}
	if all {
		tot.Budget = &sum
	}
	for i := range out.Rows {
		out.Rows[i].Finish()
	}
	tot.Finish()
	out.Total = tot
	return out, nil
}

func budgets(ctx context.Context, q querier) ([]costs.Budget, error) {
	rows, err := q.Query(ctx, `SELECT key, scope, name, name_en, budget_fen, coalesce(period_from::text, ''),
		coalesce(period_to::text, ''), source FROM cost_budgets ORDER BY sort, key`)
	if err != nil {
		return nil, translate(err, "budgets")
	}
	bs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[costs.Budget])
	return bs, translate(err, "budgets")
}

// Budgets lists the programmes' and projects' budgets.
func (db *DB) Budgets(ctx context.Context) ([]costs.Budget, error) { return budgets(ctx, db.pool) }

// SetBudget sets (or clears, nil) a budget's amount, audited.
func (db *DB) SetBudget(ctx context.Context, v maint.Viewer, ip, key string, budgetFen *int64) (*costs.Budget, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "budget %s", key)
	}
	defer tx.Rollback(ctx)
	var old *int64
	if err := tx.QueryRow(ctx, `SELECT budget_fen FROM cost_budgets WHERE key = $1 FOR UPDATE`, key).Scan(&old); err != nil {
		return nil, translate(err, "budget %s", key)
	}
	if _, err := tx.Exec(ctx, `UPDATE cost_budgets SET budget_fen = $2, updated_by = $3, updated_at = now() WHERE key = $1`,
		key, budgetFen, v.Email); err != nil {
		return nil, translate(err, "budget %s", key)
	}
	if err := audit(ctx, tx, v, ip, "costs.budget_set", "budget", nil, map[string]any{"key": key, "budget_fen": [2]*int64{old, budgetFen}}); err != nil {
		return nil, err
	}
	bs, err := budgets(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "budget %s", key)
	}
	for i := range bs {
		if bs[i].Key == key {
			return &bs[i], nil
		}
	}
	return nil, maint.Errorf(maint.CodeNotFound, "no budget %q", key)
}
