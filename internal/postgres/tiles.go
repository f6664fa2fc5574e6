package postgres

import (
	"context"

	"inframap/gis"
	"inframap/internal/maint"
)

// tileBuffer is the buffer around a tile, in tile units of the 4096 extent:
// features this close to the edge are kept so symbols and strokes that
// straddle it are drawn whole on both sides.
const (
	tileExtent = 4096
	tileBuffer = 64
)

// tileSQL renders one tile: a layer per kind, named after it, with the
// features' id (also as the MVT feature id), kind, code, name and status.
// The tile's envelope (with the buffer as margin) is transformed to the
// stored CRS for the index; the features are transformed to Web Mercator
// only for output. Features and layers are ordered so that the same data
// gives the same bytes, which the ETag relies on.
const tileSQL = `
	WITH env AS (
		SELECT ST_TileEnvelope($1, $2, $3) AS merc,
		       ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $5::int / $6::int::float8), 4326) AS q
	), features AS (
		SELECT a.kind, a.id AS fid, a.id, a.code, a.name, a.status,
		       ST_AsMVTGeom(ST_Transform(a.geom, 3857), env.merc, $6::int, $5::int, true) AS geom
		FROM assets a, env
		WHERE a.geom && env.q AND a.kind = ANY($4)
	)
	SELECT coalesce(string_agg(mvt, ''::bytea ORDER BY kind), ''::bytea) FROM (
		SELECT f.kind, ST_AsMVT(f, f.kind, $6::int, 'geom', 'fid' ORDER BY f.fid) AS mvt
		FROM features f GROUP BY f.kind
	) layers`

// Tile renders the Mapbox Vector Tile t with one layer for each of kinds
// that has features in it. A tile without features is empty (zero bytes).
func (db *DB) Tile(ctx context.Context, kinds []maint.Kind, t gis.Tile) ([]byte, error) {
	var b []byte
	err := db.Pool.QueryRow(ctx, tileSQL, int(t.Z), int(t.X), int(t.Y), kindStrings(kinds), tileBuffer, tileExtent).Scan(&b)
	if err != nil {
		return nil, translate(err, "tile %d/%d/%d", t.Z, t.X, t.Y)
	}
	return b, nil
}
