package postgres_test

import (
	"testing"

	"inframap/internal/inspection"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// TestPausePlan: a paused plan makes nothing for a new period, a stale
// version is refused (412) and changes nothing, and resuming makes the
// period's inspections again; each change has its audit row.
func TestPausePlan(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	sql := pgtest.SQL(t, db)
	eng := staff[maint.RoleEngineer]
	plans := iPlans(t, db, eng)
	roads := plans[2]
	off, on := false, true

	paused, err := db.PatchPlan(t.Context(), eng, roads.ID, roads.Version, inspection.PlanPatch{Active: &off})
	if err != nil || paused.Active || paused.Version != roads.Version+1 {
		t.Fatalf("pause: %+v, %v", paused, err)
	}
	// A stale version: 412, the plan stays paused.
	_, err = db.PatchPlan(t.Context(), eng, roads.ID, roads.Version, inspection.PlanPatch{Active: &on})
	if e, ok := maint.AsError(err); !ok || e.Code != maint.CodePreconditionFailed {
		t.Fatalf("stale version: %v; want precondition_failed", err)
	}
	covers := iCount(t, sql, `SELECT count(*) FROM assets WHERE kind = 'manhole'`)
	day := iDay("2026-03-10")
	if n, err := db.Generate(t.Context(), day); err != nil || n != covers {
		t.Fatalf("Generate with the road plan paused: %d, %v; want %d (the covers only)", n, err, covers)
	}
	if n := iCount(t, sql, `SELECT count(*) FROM inspections WHERE plan_id = $1`, roads.ID); n != 0 {
		t.Errorf("paused plan made %d inspections", n)
	}
	// A bad name: nothing written.
	if _, err := db.PatchPlan(t.Context(), eng, roads.ID, paused.Version, inspection.PlanPatch{Name: new(string)}); err == nil {
		t.Error("empty name accepted")
	}
	resumed, err := db.PatchPlan(t.Context(), eng, roads.ID, paused.Version, inspection.PlanPatch{Active: &on})
	if err != nil || !resumed.Active || resumed.Name != roads.Name {
		t.Fatalf("resume: %+v, %v", resumed, err)
	}
	sections := iCount(t, sql, `SELECT count(*) FROM assets WHERE kind = 'road_repair'`)
	if n, err := db.Generate(t.Context(), day); err != nil || n != sections {
		t.Errorf("Generate after resuming: %d, %v; want %d", n, err, sections)
	}
	if n := iCount(t, sql, `SELECT count(*) FROM audit_events WHERE action = 'plan.update'`); n != 2 {
		t.Errorf("%d plan.update audit rows; want 2", n)
	}
	if _, err := db.PatchPlan(t.Context(), eng, 999999, 1, inspection.PlanPatch{Active: &on}); err == nil {
		t.Error("no plan 999999: no error")
	} else if e, ok := maint.AsError(err); !ok || e.Code != maint.CodeNotFound {
		t.Errorf("no plan: %v; want not_found", err)
	}
}
