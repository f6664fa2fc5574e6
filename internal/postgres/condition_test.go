package postgres_test

import (
	"context"
	"testing"

	"inframap/internal/condition"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// The seeded PCIs come from the seeded distresses: recomputing each section
// from its records gives the stored figures, and its history holds both.
func TestSeededCondition(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := context.Background()
	var n, mismatched, graded, history int
	if err := sql.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE pci <> (attrs->>'pci_after')::numeric),
		count(*) FILTER (WHERE condition_grade IS NOT NULL),
		(SELECT count(*) FROM condition_history)
		FROM assets WHERE kind = 'road_repair'`).Scan(&n, &mismatched, &graded, &history); err != nil {
		t.Fatal(err)
	}
	if n != 140 || mismatched != 0 || graded != 140 || history != 280 {
		t.Errorf("%d sections, %d with pci ≠ pci_after, %d graded, %d history rows; want 140, 0, 140, 280", n, mismatched, graded, history)
	}
	// Recompute one section from its records, through the same code path.
	var id int64
	var before, after float64
	if err := sql.QueryRow(ctx, `SELECT id, (attrs->>'pci_before')::float8, pci::float8 FROM assets
		WHERE kind = 'road_repair' ORDER BY id LIMIT 1`).Scan(&id, &before, &after); err != nil {
		t.Fatal(err)
	}
	tx, err := sql.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := postgres.RecomputeCondition(ctx, tx, id, maint.ConditionSeed, nil); err != nil {
		t.Fatal(err)
	}
	var again float64
	if err := tx.QueryRow(ctx, `SELECT pci::float8 FROM assets WHERE id = $1`, id).Scan(&again); err != nil {
		t.Fatal(err)
	}
	if again != after || before >= after {
		t.Errorf("section %d: recomputed %v, stored %v, before %v", id, again, after, before)
	}
}

// Recording a distress lowers the section's PCI and grade and writes a
// history row; repairing it brings them back.
func TestRecordDistresses(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := context.Background()
	var id int64
	var class string
	var area float64
	if err := sql.QueryRow(ctx, `SELECT id, attrs->>'road_class', (attrs->>'length_m')::float8 * (attrs->>'width_m')::float8
		FROM assets WHERE kind = 'road_repair' ORDER BY id LIMIT 1`).Scan(&id, &class, &area); err != nil {
		t.Fatal(err)
	}
	tx, err := sql.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// Repair everything present, then add one heavy alligator crack over 10 %.
	if _, err := tx.Exec(ctx, `UPDATE road_distresses SET repaired_at = now() WHERE asset_id = $1 AND repaired_at IS NULL`, id); err != nil {
		t.Fatal(err)
	}
	insp := int64(77)
	in := []maint.DistressInput{{Kind: "alligator_crack", Severity: "heavy", ExtentM2: area / 10}}
	if err := postgres.RecordDistresses(ctx, tx, id, in, &insp, "inspector@example.com"); err != nil {
		t.Fatal(err)
	}
	var pci float64
	var grade, source string
	var gotInsp *int64
	if err := tx.QueryRow(ctx, `SELECT a.pci::float8, a.condition_grade, h.source, h.inspection_id FROM assets a
		JOIN condition_history h ON h.asset_id = a.id WHERE a.id = $1 ORDER BY h.id DESC LIMIT 1`, id).Scan(&pci, &grade, &source, &gotInsp); err != nil {
		t.Fatal(err)
	}
	want := condition.Round(100 - 40) // DP 40 at 10 %, alone: w = 1 (the extent is rounded to the cent)
	if pci < want-0.1 || pci > want+0.1 || grade != condition.Grade(condition.RoadClass(class), pci) || grade != "C" && grade != "D" ||
		source != "inspection" || gotInsp == nil || *gotInsp != 77 {
		t.Errorf("after a heavy alligator crack over 10 %%: pci %v grade %s source %s inspection %v", pci, grade, source, gotInsp)
	}
	if err := postgres.RecordDistresses(ctx, tx, id, []maint.DistressInput{{Kind: "crack", Severity: "heavy", ExtentM2: 1}}, nil, ""); maint.ErrorCode(err) != maint.CodeInvalid {
		t.Errorf("unknown kind: %v", err)
	}
	var manhole int64
	if err := tx.QueryRow(ctx, `SELECT id FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&manhole); err != nil {
		t.Fatal(err)
	}
	if err := postgres.RecordDistresses(ctx, tx, manhole, in, nil, ""); maint.ErrorCode(err) != maint.CodeInvalid {
		t.Errorf("distress on a manhole: %v", err)
	}
	if err := postgres.SetConditionGrade(ctx, tx, manhole, condition.ManholeGrade(condition.ManholeCheck{Missing: true}), maint.ConditionInspection, &insp); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `SELECT condition_grade FROM assets WHERE id = $1`, manhole).Scan(&grade); err != nil || grade != "D" {
		t.Errorf("manhole grade %s, %v", grade, err)
	}
	if err := postgres.SetConditionGrade(ctx, tx, manhole, "E", maint.ConditionInspection, nil); maint.ErrorCode(err) != maint.CodeInvalid {
		t.Errorf("grade E: %v", err)
	}
}
