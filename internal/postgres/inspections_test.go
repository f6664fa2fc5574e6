package postgres_test

import (
	"sync"
	"testing"
	"time"

	"inframap/internal/inspection"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

func iDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// iPlans stores the demo's three rounds: covers on arterials every 14
// days, other covers monthly, road sections weekly.
func iPlans(t testing.TB, db *postgres.DB, v maint.Viewer) []*inspection.Plan {
	t.Helper()
	arterials := []string{"景阳大路", "西安大路", "皓月大路", "西环城路", "西四环路", "长白公路"}
	var out []*inspection.Plan
	for _, p := range []inspection.Plan{
		{Name: "i: arterial covers", Kind: maint.KindManhole, Filter: inspection.Filter{Roads: arterials}, Frequency: inspection.Days, EveryDays: 14},
		{Name: "i: other covers", Kind: maint.KindManhole, Filter: inspection.Filter{NotRoads: arterials}, Frequency: inspection.Monthly},
		{Name: "i: road sections", Kind: maint.KindRoadRepair, Frequency: inspection.Weekly},
	} {
		p.StartsOn, p.Active = iDay("2026-01-05"), true
		got, err := db.CreatePlan(t.Context(), v, p)
		if err != nil {
			t.Fatalf("CreatePlan(%s): %v", p.Name, err)
		}
		out = append(out, got)
	}
	return out
}

func iCount(t testing.TB, pool *pgtest.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestGenerateOnce: generating twice in a row, and from two pools at once,
// makes one set — one inspection per plan, asset and period — each
// assigned to an inspector of the asset's sub-district when there is one.
func TestGenerateOnce(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	sql := pgtest.SQL(t, db)
	iPlans(t, db, staff[maint.RoleEngineer])
	// An inspector for one sub-district; the rest go to the district-wide one.
	var zone string
	if err := sql.QueryRow(t.Context(), `SELECT subdistrict FROM assets WHERE kind = 'manhole' AND subdistrict <> '' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`).Scan(&zone); err != nil {
		t.Fatal(err)
	}
	local, err := db.CreateUser(t.Context(), maint.Viewer{Email: "i-setup"}, "", maint.User{Email: "i-local@test", Role: maint.RoleInspector}, "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sql.Exec(t.Context(), `UPDATE users SET subdistrict = $2 WHERE id = $1`, local.ID, zone); err != nil {
		t.Fatal(err)
	}
	day := iDay("2026-03-10")
	want := iCount(t, sql, `SELECT count(*) FROM assets WHERE kind = 'manhole'`) + iCount(t, sql, `SELECT count(*) FROM assets WHERE kind = 'road_repair'`)

	n, err := db.Generate(t.Context(), day)
	if err != nil || n != want {
		t.Fatalf("Generate: %d, %v; want %d", n, err, want)
	}
	if n, err := db.Generate(t.Context(), day); err != nil || n != 0 {
		t.Errorf("Generate again: %d, %v; want 0", n, err)
	}
	// Two copies at once, on the next period of the weekly plan.
	next := iDay("2026-03-17")
	other := pgtest.Open(t, db.URL(), postgres.Config{})
	var wg sync.WaitGroup
	made := make([]int64, 2)
	errs := make([]error, 2)
	for i, d := range []*postgres.DB{db, other} {
		wg.Go(func() { made[i], errs[i] = d.Generate(t.Context(), next) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent Generate: %v, %v", errs[0], errs[1])
	}
	roads := iCount(t, sql, `SELECT count(*) FROM assets WHERE kind = 'road_repair'`)
	arterial := iCount(t, sql, `SELECT count(*) FROM assets WHERE kind = 'manhole' AND attrs->>'road' IN ('景阳大路', '西安大路', '皓月大路', '西环城路', '西四环路', '长白公路')`)
	// 2026-03-17: the weekly plan's new week and the 14-day plan's new period
	// (from 2026-03-16) are new; the month is the same.
	if got := made[0] + made[1]; got != roads+arterial {
		t.Errorf("concurrent Generate made %d + %d, want %d in all", made[0], made[1], roads+arterial)
	}
	if dup := iCount(t, sql, `SELECT count(*) FROM (SELECT 1 FROM inspections GROUP BY plan_id, asset_id, period_start HAVING count(*) > 1) d`); dup != 0 {
		t.Errorf("%d duplicated inspections", dup)
	}
	if got := iCount(t, sql, `SELECT count(*) FROM inspections`); got != want+roads+arterial {
		t.Errorf("%d inspections, want %d", got, want+roads+arterial)
	}
	// Assignment by area: the zone's assets to its inspector, others not.
	if bad := iCount(t, sql, `SELECT count(*) FROM inspections WHERE (subdistrict = $1) <> (inspector_id = $2)`, zone, local.ID); bad != 0 {
		t.Errorf("%d inspections assigned against their area", bad)
	}
	if bad := iCount(t, sql, `SELECT count(*) FROM inspections WHERE inspector_id IS NULL`); bad != 0 {
		t.Errorf("%d inspections unassigned with a district-wide inspector present", bad)
	}
	// Periods: the 14-day plan counts from its start (2026-01-05).
	if got := iCount(t, sql, `SELECT count(*) FROM inspections i JOIN inspection_plans p ON p.id = i.plan_id
		WHERE p.frequency = 'days' AND i.period_start = '2026-03-02' AND i.period_end = '2026-03-15'`); got != arterial {
		t.Errorf("14-day period 2026-03-02..15: %d, want %d", got, arterial)
	}
}

// TestMissedAndCoverage: a period ended without a result is missed (listed
// so before the job marks it, and marked by it); coverage equals a hand
// count from SQL.
func TestMissedAndCoverage(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	sql := pgtest.SQL(t, db)
	iPlans(t, db, staff[maint.RoleEngineer])
	if _, err := db.Generate(t.Context(), iDay("2026-03-10")); err != nil {
		t.Fatal(err)
	}
	// Some done by hand in a fixture: every third cover, every road section of one sub-district.
	if _, err := sql.Exec(t.Context(), `UPDATE inspections SET status = 'done', done_at = now(), result = '{}'
		WHERE (kind = 'manhole' AND asset_id % 3 = 0) OR (kind = 'road_repair' AND subdistrict = (SELECT min(subdistrict) FROM inspections WHERE kind = 'road_repair'))`); err != nil {
		t.Fatal(err)
	}
	cov, err := db.Coverage(t.Context(), iDay("2026-03-01"), iDay("2026-03-31"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sql.Query(t.Context(), `SELECT subdistrict, kind, sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END), count(*)
		FROM inspections WHERE period_start >= '2026-03-01' AND period_start <= '2026-03-31' GROUP BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	hand := map[[2]string][2]int64{}
	for rows.Next() {
		var s, k string
		var n, d int64
		if err := rows.Scan(&s, &k, &n, &d); err != nil {
			t.Fatal(err)
		}
		hand[[2]string{s, k}] = [2]int64{n, d}
	}
	if len(cov) != len(hand) || len(cov) == 0 {
		t.Fatalf("coverage has %d rows, hand count %d", len(cov), len(hand))
	}
	for _, c := range cov {
		h := hand[[2]string{c.Subdistrict, string(c.Kind)}]
		if c.Inspected != h[0] || c.Scheduled != h[1] || c.Share != inspection.ShareOf(h[0], h[1]) {
			t.Errorf("coverage %s/%s: %d/%d (%v), hand count %d/%d", c.Subdistrict, c.Kind, c.Inspected, c.Scheduled, c.Share, h[0], h[1])
		}
	}

	// The missed queue: on 2026-03-16 the week 03-09..15 and the 14-day
	// period 03-02..15 have ended; the month has not.
	day := iDay("2026-03-16")
	want := iCount(t, sql, `SELECT count(*) FROM inspections WHERE status = 'due' AND period_end < $1`, day)
	if want == 0 {
		t.Fatal("fixture: nothing to miss")
	}
	var listed int64
	for after := int64(0); ; {
		page, err := db.Inspections(t.Context(), inspection.Query{Status: inspection.Missed, After: after}, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, in := range page {
			if in.Status != inspection.Missed || !in.DueOn.Before(day) {
				t.Fatalf("listed as missed: %+v", in)
			}
		}
		listed += int64(len(page))
		after = page[len(page)-1].ID
	}
	if listed != want {
		t.Errorf("missed queue lists %d, want %d", listed, want)
	}
	if n, err := db.MarkMissed(t.Context(), day); err != nil || n != want {
		t.Errorf("MarkMissed: %d, %v; want %d", n, err, want)
	}
	if got := iCount(t, sql, `SELECT count(*) FROM inspections WHERE status = 'missed'`); got != want {
		t.Errorf("%d marked missed, want %d", got, want)
	}
	if n, _ := db.MarkMissed(t.Context(), day); n != 0 {
		t.Errorf("MarkMissed again marked %d", n)
	}
}

// TestRecordResult: a cover's checklist with two failed items opens two
// cases (source inspector, linked, at the position), updates the register;
// the same key again records nothing; a second result is a conflict; a bad
// checklist is refused with the field named and nothing written; the
// cover's case is dispatched to its owner unit by default.
func TestRecordResult(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	sql := pgtest.SQL(t, db)
	iPlans(t, db, staff[maint.RoleEngineer])
	if _, err := db.Generate(t.Context(), inspection.Today(time.Now())); err != nil {
		t.Fatal(err)
	}
	var id, asset int64
	var cat string
	if err := sql.QueryRow(t.Context(), `SELECT i.id, i.asset_id, a.attrs->>'cover_category' FROM inspections i JOIN assets a ON a.id = i.asset_id
		WHERE i.kind = 'manhole' AND a.attrs->>'cover_category' = '0101' ORDER BY i.id LIMIT 1`).Scan(&id, &asset, &cat); err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{}
	for _, item := range inspection.CoverItems {
		checks[item] = "ok"
	}
	bad := inspection.Result{Checks: map[string]string{"broken_cover": "fail"}}
	_, _, err := db.RecordResult(t.Context(), staff[maint.RoleInspector], id, bad, nil)
	if e, ok := maint.AsError(err); !ok || e.Code != maint.CodeInvalid || e.Fields[0].Field != "checks.missing_cover" {
		t.Errorf("incomplete checklist: %v, want invalid checks.missing_cover", err)
	}
	checks["broken_cover"], checks["missing_anti_fall_net"] = "fail", "fail"
	pos := [2]float64{125.25, 43.88}
	res := inspection.Result{Checks: checks, Position: &pos, Note: "i: two failed"}
	idem := &maint.Idempotency{Scope: "i-test", Key: "k1", RequestHash: "h1"}
	in, replayed, err := db.RecordResult(t.Context(), staff[maint.RoleInspector], id, res, idem)
	if err != nil || replayed {
		t.Fatalf("RecordResult: %v (replayed %v)", err, replayed)
	}
	if in.Status != inspection.Done || len(in.Cases) != 2 || in.Cases["broken_cover"].ID == 0 || in.Cases["missing_anti_fall_net"].ID == 0 {
		t.Errorf("recorded: %+v, want done with a case per failed item", in)
	}
	again, replayed, err := db.RecordResult(t.Context(), staff[maint.RoleInspector], id, res, idem)
	if err != nil || !replayed || again.Cases["broken_cover"] != in.Cases["broken_cover"] {
		t.Errorf("retry: %+v, %v, replayed %v; want the first answer", again, err, replayed)
	}
	if n := iCount(t, sql, `SELECT count(*) FROM tasks WHERE inspection_id = $1 AND source = 'inspector' AND asset_id = $2
		AND ST_X(location) = 125.25`, id, asset); n != 2 {
		t.Errorf("%d cases for the inspection, want 2", n)
	}
	_, _, err = db.RecordResult(t.Context(), staff[maint.RoleInspector], id, res, &maint.Idempotency{Scope: "i-test", Key: "k2", RequestHash: "h1"})
	if maint.ErrorCode(err) != maint.CodeConflict {
		t.Errorf("second result: %v, want conflict", err)
	}
	reg, err := db.CoverRegister(t.Context(), asset)
	if err != nil || reg.AntiFallNet == nil || *reg.AntiFallNet || reg.LastInspectedOn == nil || reg.Crew != "供水公司" ||
		reg.ConditionGrade == nil || *reg.ConditionGrade < "C" {
		t.Errorf("register: %+v, %v; want net missing, inspected today, 供水公司, grade C or D", reg, err)
	}

	// Dispatch without an assignee goes to the cover's owner, once its crew exists.
	if n, err := db.EnsureOwnerCrews(t.Context()); err != nil || n == 0 {
		t.Fatalf("EnsureOwnerCrews: %d, %v", n, err)
	}
	task, err := db.Task(t.Context(), in.Cases["broken_cover"].ID, staff[maint.RoleEngineer])
	if err != nil {
		t.Fatal(err)
	}
	if in := task.Inspection; in == nil || in.ID != id || in.Item != "broken_cover" || in.PlanName == "" || in.DoneAt == nil {
		t.Errorf("the case names its inspection as %+v, want inspection %d, broken_cover, its plan, done", in, id)
	}
	if pub, err := db.Task(t.Context(), task.ID, maint.Viewer{}); err != nil || pub.Inspection != nil {
		t.Errorf("the public read of the case: %v, inspection %+v; want none", err, pub.Inspection)
	}
	task = bMove(t, db, staff, task, bStep(maint.StatusFiled))
	task, _, err = db.TransitionTask(t.Context(), staff[maint.RoleEngineer], task.ID, task.Version, maint.Transition{To: maint.StatusDispatched}, nil)
	if err != nil || task.Assignee != "供水公司" {
		t.Errorf("dispatch by default: %v, assignee %q; want 供水公司", err, task.Assignee)
	}
	// A road section: distresses; a bad severity is refused.
	var road int64
	if err := sql.QueryRow(t.Context(), `SELECT id FROM inspections WHERE kind = 'road_repair' ORDER BY id LIMIT 1`).Scan(&road); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.RecordResult(t.Context(), staff[maint.RoleInspector], road, inspection.Result{Distresses: []inspection.Distress{{Type: "pothole", Extent: 2, Severity: "awful"}}}, nil)
	if e, ok := maint.AsError(err); !ok || e.Fields[0].Field != "distresses.0.severity" {
		t.Errorf("bad severity: %v", err)
	}
	rr, _, err := db.RecordResult(t.Context(), staff[maint.RoleInspector], road, inspection.Result{Distresses: []inspection.Distress{{Type: "pothole", Extent: 2, Severity: "heavy"}}}, nil)
	if err != nil || len(rr.Cases) != 1 {
		t.Errorf("road result: %+v, %v", rr, err)
	}
	// The distress is recorded for the section, and its PCI recomputed from it.
	if n := iCount(t, sql, `SELECT count(*) FROM road_distresses d JOIN inspections i ON i.id = d.inspection_id
		WHERE i.id = $1 AND d.asset_id = i.asset_id AND d.kind = 'pothole'`, road); n != 1 {
		t.Errorf("%d distresses recorded by the inspection, want 1", n)
	}
	if n := iCount(t, sql, `SELECT count(*) FROM condition_history WHERE inspection_id = ANY ($1) AND source = 'inspection'`, []int64{id, road}); n != 2 {
		t.Errorf("%d condition history rows from the inspections, want 2", n)
	}
	if n := iCount(t, sql, `SELECT count(*) FROM assets a JOIN inspections i ON i.asset_id = a.id WHERE i.id = $1 AND a.pci < 100`, road); n != 1 {
		t.Errorf("the section's PCI was not recomputed below 100")
	}
}

func TestWalk(t *testing.T) {
	pts := [][2]float64{{125.30, 43.88}, {125.21, 43.88}, {125.20, 43.88}, {125.25, 43.88}}
	got := inspection.Walk([2]float64{125.19, 43.88}, pts)
	want := []int{2, 1, 3, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Walk = %v, want %v", got, want)
		}
	}
}
