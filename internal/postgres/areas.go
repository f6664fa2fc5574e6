package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
)

// Areas returns the district boundary and its sub-district zones.
func (db *DB) Areas(ctx context.Context) ([]maint.Area, error) {
	rows, err := db.readFrom(ctx).pool.Query(ctx, `
		SELECT id, kind, name, name_en, approximate, source, ST_AsGeoJSON(geom, 6)::text
		FROM areas ORDER BY kind, id`)
	if err != nil {
		return nil, translate(err, "areas")
	}
	areas, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.Area, error) {
		var a maint.Area
		var geom string
		err := row.Scan(&a.ID, &a.Kind, &a.Name, &a.NameEn, &a.Approximate, &a.Source, &geom)
		a.Geometry = []byte(geom)
		return a, err
	})
	return areas, translate(err, "areas")
}
