package postgres

import (
	"context"
	"strings"

	"inframap/internal/inspection"
	"inframap/internal/maint"
)

// PatchPlan pauses, resumes or renames a plan at the version its writer
// read, with its audit row (plan.update), in one transaction. A paused plan
// makes no inspections (Generate skips it); those already made stay.
func (db *DB) PatchPlan(ctx context.Context, v maint.Viewer, id int64, version int, p inspection.PlanPatch) (*inspection.Plan, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "update plan")
	}
	defer tx.Rollback(ctx)
	cur, err := scanPlan(tx.QueryRow(ctx, `SELECT `+planColumns+` FROM inspection_plans WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		return nil, translate(err, "plan %d", id)
	}
	if cur.Version != version {
		e := maint.Errorf(maint.CodePreconditionFailed, "plan %d has changed since version %d (now version %d): reload it and apply your change again", id, version, cur.Version)
		e.CurrentVersion = cur.Version
		return nil, e
	}
	next := cur
	if p.Active != nil {
		next.Active = *p.Active
	}
	if p.Name != nil {
		next.Name = strings.TrimSpace(*p.Name)
	}
	if p.NameEn != nil {
		next.NameEn = strings.TrimSpace(*p.NameEn)
		if len([]rune(next.NameEn)) > 200 {
			return nil, maint.InvalidAs("name_en", "plan_name", nil, "name_en is at most 200 characters")
		}
	}
	if err := next.Check(); err != nil {
		return nil, err
	}
	out, err := scanPlan(tx.QueryRow(ctx, `UPDATE inspection_plans SET active = $2, name = $3, name_en = $4,
		updated_at = now(), version = version + 1 WHERE id = $1 RETURNING `+planColumns, id, next.Active, next.Name, next.NameEn))
	if err != nil {
		return nil, translate(err, "update plan %d", id)
	}
	detail := map[string]any{"plan": out.Name, "plan_kind": out.Kind, "active": out.Active}
	if out.Name != cur.Name {
		detail["was"] = cur.Name
	}
	if err := audit(ctx, tx, v, "", "plan.update", "inspection_plan", &out.ID, detail); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "update plan %d", id)
	}
	return &out, nil
}
