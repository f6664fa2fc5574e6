package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"inframap/internal/inspection"
	"inframap/internal/maint"
)

// conditionFromInspection records what a checklist says of the asset's
// condition, through the condition store (condition.go) in the result's
// transaction: a cover's grade from its checklist (SetConditionGrade); a
// road section's distresses, from which its PCI and grade are recomputed
// (RecordDistresses; a clean section is recomputed too).
func (db *DB) conditionFromInspection(ctx context.Context, tx pgx.Tx, v maint.Viewer, inspID, assetID int64, kind maint.Kind,
	loadClass string, r inspection.Result) error {
	if kind == maint.KindManhole {
		return SetConditionGrade(ctx, tx, assetID, inspection.CoverGrade(r, inspection.Walkway(loadClass)), maint.ConditionInspection, &inspID)
	}
	ds := make([]maint.DistressInput, 0, len(r.Distresses))
	for _, d := range r.Distresses {
		ds = append(ds, maint.DistressInput{Kind: d.Type, Severity: d.Severity, ExtentM2: d.Extent, Note: r.Note})
	}
	actor := v.Email
	if actor == "" {
		actor = "inspection"
	}
	return RecordDistresses(ctx, tx, assetID, ds, &inspID, actor)
}

// coverGrade is an asset's condition grade, nil when it has none.
func (db *DB) coverGrade(ctx context.Context, assetID int64) *string {
	var g *string
	if err := db.pool.QueryRow(ctx, `SELECT condition_grade FROM assets WHERE id = $1`, assetID).Scan(&g); err != nil {
		return nil
	}
	return g
}
