package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"inframap/internal/inspection"
	"inframap/internal/maint"
)

// conditionFromInspection records what a checklist says of the asset's
// condition: a cover's grade from its checklist. (A road section's
// distresses stay in the result until the condition store of issue 15
// part 3, which computes PCI from them, is merged.)
func (db *DB) conditionFromInspection(ctx context.Context, tx pgx.Tx, v maint.Viewer, assetID int64, kind maint.Kind, r inspection.Result) error {
	if kind != maint.KindManhole {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE cover_register SET checklist_grade = $2 WHERE asset_id = $1`, assetID, inspection.CoverGrade(r))
	return translate(err, "asset %d: grade", assetID)
}

// coverGrade is a cover's condition grade from its last checklist, nil
// before its first.
func (db *DB) coverGrade(ctx context.Context, assetID int64) *int {
	var g *int
	if err := db.pool.QueryRow(ctx, `SELECT checklist_grade FROM cover_register WHERE asset_id = $1`, assetID).Scan(&g); err != nil {
		return nil
	}
	return g
}
