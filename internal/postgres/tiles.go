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

// TileFeatureLimit is the most features of one kind a tile carries one by
// one. Past it (a city's manholes at z12–z14 number tens of thousands) the
// kind is drawn as clusters: the features of each cell of a 64 × 64 grid
// over the tile become one point with their count, so no tile grows past a
// few hundred kilobytes and no render takes long.
const (
	TileFeatureLimit = 3000
	tileGrid         = 64
)

// tileSQL renders one tile: a layer per kind, named after it, with the
// features' id (also as the MVT feature id), kind, code, name and status.
// Kinds with more than $7 features in the tile are clustered instead: a
// point per grid cell with the kind, the count and the most common status.
// The tile's envelope (with the buffer as margin) is transformed to the
// stored CRS for the index; the features are transformed to Web Mercator
// only for output. Features and layers are ordered so that the same data
// gives the same bytes, which the ETag relies on.
const tileSQL = `
	WITH env AS (
		SELECT ST_TileEnvelope($1, $2, $3) AS merc,
		       ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $5::int / $6::int::float8), 4326) AS q
	), dense AS (
		-- The kinds too numerous here to draw one by one; counting stops at
		-- the limit, so a dense tile costs no more to classify than a sparse one.
		SELECT k.kind FROM unnest($4::text[]) AS k (kind), env
		WHERE (SELECT count(*) FROM (SELECT 1 FROM assets a WHERE a.geom && env.q AND a.kind = k.kind LIMIT $7 + 1) c) > $7
	), features AS (
		SELECT a.kind, a.id AS fid, a.id, a.code, a.name, a.status, NULL::int AS count,
		       ST_AsMVTGeom(ST_Transform(a.geom, 3857), env.merc, $6::int, $5::int, true) AS geom
		FROM assets a, env
		WHERE a.geom && env.q AND a.kind = ANY($4) AND a.kind NOT IN (SELECT kind FROM dense)
		UNION ALL
		SELECT c.kind, NULL, NULL, NULL, NULL, c.status, c.count,
		       ST_AsMVTGeom(c.centre, env.merc, $6::int, $5::int, true)
		FROM env, LATERAL (
			SELECT a.kind, count(*)::int AS count, mode() WITHIN GROUP (ORDER BY a.status) AS status,
			       ST_Centroid(ST_Collect(ST_Transform(ST_PointOnSurface(a.geom), 3857))) AS centre,
			       min(a.id) AS first
			FROM assets a
			WHERE a.geom && env.q AND a.kind IN (SELECT kind FROM dense)
			GROUP BY a.kind, ST_SnapToGrid(ST_Transform(ST_PointOnSurface(a.geom), 3857),
			         (ST_XMax(env.merc) - ST_XMin(env.merc)) / $8)
		) c
	)
	SELECT coalesce(string_agg(mvt, ''::bytea ORDER BY kind), ''::bytea) FROM (
		SELECT f.kind, ST_AsMVT(f, f.kind, $6::int, 'geom', 'fid' ORDER BY f.fid, f.geom) AS mvt
		FROM features f WHERE f.geom IS NOT NULL GROUP BY f.kind
	) layers`

// Tile renders the Mapbox Vector Tile t with one layer for each of kinds
// that has features in it. A tile without features is empty (zero bytes).
func (db *DB) Tile(ctx context.Context, kinds []maint.Kind, t gis.Tile) ([]byte, error) {
	var b []byte
	err := db.Pool.QueryRow(ctx, tileSQL, int(t.Z), int(t.X), int(t.Y), kindStrings(kinds), tileBuffer, tileExtent,
		TileFeatureLimit, tileGrid).Scan(&b)
	if err != nil {
		return nil, translate(err, "tile %d/%d/%d", t.Z, t.X, t.Y)
	}
	return b, nil
}
