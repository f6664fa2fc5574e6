package postgres

import (
	"context"

	"inframap/gis"
	"inframap/internal/maint"
)

// TileWith renders a tile with the clustering statement (populous) or the
// plain one, whichever the data would pick.
func (db *DB) TileWith(ctx context.Context, populous bool, kinds []maint.Kind, t gis.Tile) ([]byte, error) {
	return db.renderTile(ctx, populous, kinds, t)
}

// Populous says whether the statement with clusters would render kinds.
func (db *DB) Populous(ctx context.Context, kinds []maint.Kind) (bool, error) {
	return db.anyPopulous(ctx, kinds)
}
