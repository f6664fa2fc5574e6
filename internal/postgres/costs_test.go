package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"inframap/internal/costs"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// costRow is a roll-up row as worked out by hand: estimated, actual,
// budget (-1: none), remaining (-1: none), share spent ("": none), tasks.
type costRow struct {
	Est, Act, Budget, Remaining int64
	Share                       string
	Tasks                       int
}

func costRows(rep *costs.RollUp) map[string]costRow {
	out := map[string]costRow{}
	for _, r := range append(rep.Rows, rep.Total) {
		c := costRow{Est: r.Estimated, Act: r.Actual, Budget: -1, Remaining: -1, Tasks: r.Tasks}
		if r.Budget != nil {
			c.Budget = *r.Budget
		}
		if r.Remaining != nil {
			c.Remaining = *r.Remaining
		}
		if r.ShareSpent != nil {
			c.Share = r.ShareSpent.String()
		}
		key := r.Key
		if r.Name == "合计" {
			key = "TOTAL"
		}
		out[key] = c
	}
	return out
}

func costsFixture(t *testing.T) *postgres.DB {
	t.Helper()
	db := pgtest.NewDB(t, pgtest.Empty)
	if _, err := pgtest.SQL(t, db).Exec(t.Context(), pgtest.CostsFixture); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestCostRollUp sums pgtest.CostsFixture by programme, sub-district and
// unit, now and as of 2025-10-31, against sums worked out by hand (the
// fixture's comment lists each line).
func TestCostRollUp(t *testing.T) {
	db := costsFixture(t)
	asOf := maint.EndOfDay(time.Date(2025, 10, 31, 12, 0, 0, 0, maint.Zone))
	none := int64(-1)
	const xhb = 9248780000
	tests := []struct {
		by   costs.By
		asOf time.Time
		want map[string]costRow
	}{
		{costs.ByProgramme, time.Time{}, map[string]costRow{
			"2023-2024": {Est: 63000 + 30863 + 40000, Act: 100000 + 72000 + 36250, Budget: none, Remaining: none, Tasks: 3},
			"routine":   {Est: 9999, Act: 25000 + 9999 + 1000, Budget: 500000, Remaining: 500000 - 35999, Share: "0.0720", Tasks: 3},
			"XHB-1-1":   {Est: 93863 + 9999, Act: 100000 + 72000 + 9999, Budget: xhb, Remaining: xhb - 181999, Share: "0.0000", Tasks: 3},
			"TOTAL":     {Est: 143862, Act: 244249, Budget: none, Remaining: none, Tasks: 6},
		}},
		{costs.ByProgramme, asOf, map[string]costRow{
			"2023-2024": {Est: 133863, Act: 100000 + 60000 + 36250, Budget: none, Remaining: none, Tasks: 3},
			"routine":   {Est: 9999, Act: 9999 + 1000, Budget: 500000, Remaining: 500000 - 10999, Share: "0.0220", Tasks: 2},
			"XHB-1-1":   {Est: 103862, Act: 100000 + 60000 + 9999, Budget: xhb, Remaining: xhb - 169999, Share: "0.0000", Tasks: 3},
			"TOTAL":     {Est: 143862, Act: 207249, Budget: none, Remaining: none, Tasks: 5},
		}},
		{costs.BySubdistrict, time.Time{}, map[string]costRow{
			"林园街道":  {Est: 103862, Act: 100000 + 72000 + 25000 + 9999, Budget: none, Remaining: none, Tasks: 4},
			"春城街道":  {Est: 40000, Act: 36250, Budget: none, Remaining: none, Tasks: 1},
			"":      {Est: 0, Act: 1000, Budget: none, Remaining: none, Tasks: 1},
			"TOTAL": {Est: 143862, Act: 244249, Budget: none, Remaining: none, Tasks: 6},
		}},
		{costs.BySubdistrict, asOf, map[string]costRow{
			"林园街道":  {Est: 103862, Act: 169999, Budget: none, Remaining: none, Tasks: 3},
			"春城街道":  {Est: 40000, Act: 36250, Budget: none, Remaining: none, Tasks: 1},
			"":      {Est: 0, Act: 1000, Budget: none, Remaining: none, Tasks: 1},
			"TOTAL": {Est: 143862, Act: 207249, Budget: none, Remaining: none, Tasks: 5},
		}},
		{costs.ByUnit, time.Time{}, map[string]costRow{
			"养护一队":  {Est: 133863, Act: 137250, Budget: none, Remaining: none, Tasks: 3},
			"养护二队":  {Est: 0, Act: 97000, Budget: none, Remaining: none, Tasks: 2},
			"":      {Est: 9999, Act: 9999, Budget: none, Remaining: none, Tasks: 1},
			"TOTAL": {Est: 143862, Act: 244249, Budget: none, Remaining: none, Tasks: 6},
		}},
		// By the units as they were on the day: T3 not yet dispatched, T6 still with 养护二队.
		{costs.ByUnit, asOf, map[string]costRow{
			"养护一队":  {Est: 93863, Act: 100000, Budget: none, Remaining: none, Tasks: 1},
			"养护二队":  {Est: 0, Act: 60000 + 1000, Budget: none, Remaining: none, Tasks: 2},
			"":      {Est: 40000 + 9999, Act: 36250 + 9999, Budget: none, Remaining: none, Tasks: 2},
			"TOTAL": {Est: 143862, Act: 207249, Budget: none, Remaining: none, Tasks: 5},
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.by)+"@"+tc.asOf.Format(time.DateOnly), func(t *testing.T) {
			rep, err := db.CostRollUp(t.Context(), costs.Query{By: tc.by, AsOf: tc.asOf})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, costRows(rep)); diff != "" {
				t.Errorf("CostRollUp(%s, %v) mismatch (-want +got):\n%s", tc.by, tc.asOf, diff)
			}
		})
	}
}

func int64p(n int64) *int64 { return &n }

// TestSetTaskCosts replaces a task's lines under If-Match: a history row
// (staff only) says what the totals became, the old lines stay in force for
// what an earlier as_of showed, a stale version changes nothing, and the
// same lines again change nothing.
func TestSetTaskCosts(t *testing.T) {
	db := costsFixture(t)
	ctx := t.Context()
	sql := pgtest.SQL(t, db)
	eng := maint.Viewer{Email: "eng@ly", Role: maint.RoleEngineer}
	before := time.Now()
	var version int
	if err := sql.QueryRow(ctx, `SELECT version FROM tasks WHERE id = 4`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	lines := []costs.NewLine{
		{Kind: costs.Estimate, Category: costs.Labour, QuantityMilli: int64p(2250), UnitPriceFen: int64p(4000), Unit: "h", AmountFen: 9000},
		{Kind: costs.Actual, Category: costs.Materials, Description: "沥青", QuantityMilli: int64p(500), Unit: "t", UnitPriceFen: int64p(48001), AmountFen: 24001},
	}
	if _, err := db.SetTaskCosts(ctx, eng, 4, version+1, lines); maint.ErrorCode(err) != maint.CodePreconditionFailed {
		t.Fatalf("stale version: %v, want precondition_failed", err)
	}
	tc, err := db.SetTaskCosts(ctx, eng, 4, version, lines)
	if err != nil {
		t.Fatal(err)
	}
	if tc.Version != version+1 || tc.Totals.Estimate.Total != 9000 || tc.Totals.Actual.Total != 24001 || tc.Totals.Actual.Materials != 24001 || len(tc.Lines) != 2 {
		t.Errorf("SetTaskCosts = %+v", tc)
	}
	var changes []byte
	var internal bool
	if err := sql.QueryRow(ctx, `SELECT changes, internal FROM task_events WHERE task_id = 4 ORDER BY id DESC LIMIT 1`).Scan(&changes, &internal); err != nil {
		t.Fatal(err)
	}
	var got map[string][2]int64
	if err := json.Unmarshal(changes, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int64{"cost_lines": {1, 2}, "estimate_fen": {0, 9000}, "actual_fen": {25000, 24001}}
	if diff := cmp.Diff(want, got); diff != "" || !internal {
		t.Errorf("history row (internal %v) mismatch (-want +got):\n%s", internal, diff)
	}
	// What an instant before the change showed is kept.
	old, err := db.TaskCosts(ctx, 4, eng, &before)
	if err != nil {
		t.Fatal(err)
	}
	if len(old.Lines) != 1 || old.Totals.Actual.Total != 25000 {
		t.Errorf("as of before the change: %+v", old)
	}
	// The same lines again: nothing new.
	again, err := db.SetTaskCosts(ctx, eng, 4, version+1, lines)
	if err != nil || again.Version != version+1 {
		t.Errorf("same lines again: version %v, %v", again, err)
	}
	var n int
	if err := sql.QueryRow(ctx, `SELECT count(*) FROM task_events WHERE task_id = 4`).Scan(&n); err != nil || n != 1 {
		t.Errorf("history rows of task 4: %d, %v (want 1)", n, err)
	}
	// Lines are append-only.
	if _, err := sql.Exec(ctx, `UPDATE cost_lines SET amount_fen = 1 WHERE task_id = 4`); err == nil {
		t.Error("a cost line's amount was changed")
	}
	if _, err := sql.Exec(ctx, `DELETE FROM cost_lines WHERE task_id = 4`); err == nil {
		t.Error("a cost line was deleted")
	}
	// An amount that is not quantity × price is refused by the database too.
	if _, err := sql.Exec(ctx, `INSERT INTO cost_lines (task_id, position, kind, category, quantity_milli, unit_price_fen, amount_fen, recorded_by)
		VALUES (4, 9, 'actual', 'labour', 1000, 100, 101, 'x')`); err == nil {
		t.Error("a wrong amount was stored")
	}
}

// TestBudgets: the seeded budgets, Xihu North's at 9,248.78万元, and an
// admin's change, audited.
func TestBudgets(t *testing.T) {
	url := pgtest.NewURL(t, pgtest.Empty)
	db := pgtest.Open(t, url, postgres.Config{URL: url})
	ctx := t.Context()
	// A budget's change is announced on the change feed, so that cached
	// roll-ups are dropped.
	listen := pgtest.Conn(t, url)
	if _, err := listen.Exec(ctx, `LISTEN inframap_changes`); err != nil {
		t.Fatal(err)
	}
	bs, err := db.Budgets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*int64{}
	for _, b := range bs {
		got[b.Key] = b.BudgetFen
	}
	if len(bs) != 3 || got["2023-2024"] != nil || got["routine"] != nil || got["XHB-1-1"] == nil || *got["XHB-1-1"] != 9_248_780_000 {
		t.Errorf("seeded budgets: %+v", bs)
	}
	admin := maint.Viewer{UserID: 0, Email: "admin@ly", Role: maint.RoleAdmin}
	b, err := db.SetBudget(ctx, admin, "127.0.0.1", "routine", int64p(123456))
	if err != nil || b.BudgetFen == nil || *b.BudgetFen != 123456 {
		t.Fatalf("SetBudget = %+v, %v", b, err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if n, err := listen.WaitForNotification(wait); err != nil || n.Payload != `{"kind":"tasks"}` {
		t.Errorf("no change notice for the budget: %v, %v", n, err)
	}
	var n int
	if err := pgtest.SQL(t, db).QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'costs.budget_set'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit rows: %d, %v", n, err)
	}
	if _, err := db.SetBudget(ctx, admin, "", "nope", nil); maint.ErrorCode(err) != maint.CodeNotFound {
		t.Errorf("unknown budget: %v", err)
	}
}
