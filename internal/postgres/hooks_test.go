// Hooks the external tests use to reach what the package keeps to itself.
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
	ks, err := db.clusterable(ctx, kinds, 0) // at zoom 0 density never spares a kind
	return len(ks) > 0, err
}

// Clusterable returns the kinds a tile of zoom z may have to cluster.
func (db *DB) Clusterable(ctx context.Context, kinds []maint.Kind, z int) ([]maint.Kind, error) {
	return db.clusterable(ctx, kinds, z)
}

// ForgetPopulous drops what the tiles know of the kinds' numbers.
func (db *DB) ForgetPopulous() { db.forgetPopulous() }

// DensityMeasured reports whether a density measure is in hand.
func (db *DB) DensityMeasured() bool { return db.populous.density.Load() != nil }

// ListTasksWithoutClocks lists tasks as they were read before they had
// clocks: no clock joined or read (the benchmark of what clocks cost).
func (db *DB) ListTasksWithoutClocks(ctx context.Context, f maint.TaskFilter, v maint.Viewer, emit func(*maint.Task) error) (bool, error) {
	return db.listTasks(ctx, f, v, emit, false)
}
