package postgres

import (
	"context"
	"maps"

	"inframap/gis"
	"inframap/internal/maint"
)

// The load harness (cmd/inframap-bench) measures each read against its
// ceiling: the same SQL run by pgbench. These hand it the statements the
// service itself runs, built by the same code, so the two cannot drift
// apart; turning them into pgbench scripts is the harness's business.

// Statement is one SQL statement as the service runs it.
type Statement struct {
	SQL  string
	Args []any // $1, $2, … in order
	// Settings are the session settings of the pool the service runs the
	// statement on, beyond those every session of Open has.
	Settings map[string]string
}

// ViewportStatement is the statement of GET /api/v1/assets?bbox=…&limit=1000.
func ViewportStatement(b gis.BBox) Statement {
	sql, args, _ := listAssetsSQL(maint.AssetFilter{BBox: &b, Limit: maint.MaxLimit})
	return Statement{SQL: sql, Args: args}
}

// CollectionStatements are the statements of the first page of
// GET /ogc/collections/{kind}/items?limit=N: the count, then the page.
func CollectionStatements(kind maint.Kind, limit int) []Statement {
	f := maint.FeatureQuery{Kind: kind, CRS: gis.CRS84, Limit: limit}
	count, countArgs := countFeaturesSQL(f)
	page, pageArgs := featuresSQL(f)
	return []Statement{{SQL: count, Args: countArgs}, {SQL: page, Args: pageArgs}}
}

// TileStatement is the statement of vector tile t drawing every kind: the
// one with clusters when populous (the data has a kind too numerous to draw
// one by one), else the plain one. Its first three parameters are the
// tile's z, x and y, as integers.
func TileStatement(populous bool, t gis.Tile) Statement {
	sql, args, settings := tileQuery(populous, maint.Kinds, t)
	return Statement{SQL: sql, Args: args, Settings: maps.Clone(settings)}
}

// TileClustered says whether the service renders a tile of every kind at
// zoom z with the clustering statement, as Tile would choose once the kinds
// are counted and their density measured (both done here, waiting for
// them, where Tile never waits for a measure).
func (db *DB) TileClustered(ctx context.Context, z int) (bool, error) {
	snap, err := db.countPopulous(ctx)
	if err != nil {
		return true, err
	}
	if len(snap.kinds) > 0 && z >= 16 {
		if err := db.measureDensity(ctx, snap); err != nil {
			return true, err
		}
	}
	ks, err := db.clusterable(ctx, maint.Kinds, z)
	return len(ks) > 0, err
}
