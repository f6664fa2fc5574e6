package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"inframap/internal/inspection"
	"inframap/internal/maint"
)

// conditionFromInspection records what a checklist says of the asset's
// condition.
func (db *DB) conditionFromInspection(ctx context.Context, tx pgx.Tx, v maint.Viewer, assetID int64, kind maint.Kind, r inspection.Result) error {
	return nil
}

// coverGrade is a cover's condition grade, nil when it has none.
func (db *DB) coverGrade(ctx context.Context, assetID int64) *string { return nil }
