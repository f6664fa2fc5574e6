package postgres

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/singleflight"

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

// tilePlainSQL renders one tile of kinds none of which has more assets in
// all than a tile carries one by one: a layer per kind, named after it, with
// the features' id (also as the MVT feature id), kind, code, name and status.
// One pass of the spatial index over the tile's envelope (with the buffer as
// margin, transformed once to the stored CRS); the geometry is drawn from its
// stored Web Mercator copy. Features and layers are ordered so that the same
// data gives the same bytes, which the ETag relies on.
const tilePlainSQL = `
	WITH env AS (
		SELECT ST_TileEnvelope($1, $2, $3) AS merc,
		       ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $5::int / $6::int::float8), 4326) AS q
	)
	SELECT coalesce(string_agg(mvt, ''::bytea ORDER BY kind), ''::bytea) FROM (
		SELECT f.kind, ST_AsMVT(f, f.kind, $6::int, 'geom', 'fid' ORDER BY f.fid) AS mvt
		FROM (
			SELECT a.kind, a.id AS fid, a.id, a.code, a.name, a.status, NULL::int AS count,
			       ST_AsMVTGeom(a.geom_merc, env.merc, $6::int, $5::int, true) AS geom
			FROM assets a, env
			WHERE a.geom && env.q AND a.kind = ANY($4)
		) f
		WHERE f.geom IS NOT NULL GROUP BY f.kind
	) layers`

// tileSQL renders one tile as tilePlainSQL does, except that kinds with more
// than $7 features in the tile are clustered: a point per cell of a $8 × $8
// grid with the kind, the count and the most common status, at its members'
// mean position. A clustered asset belongs to the one tile its anchor (point
// on surface) lies in, not to the buffer of its neighbours, so the clusters
// of neighbouring tiles add up.
//
// One pass over the tile's envelope reads each asset's id, kind, status and
// anchor; the kinds are counted from it, clusters are made from it with the
// spherical Mercator formulas on the stored anchor (no geometry unpacked),
// and only the assets drawn one by one are fetched whole (a second pass of
// the index would fetch the clustered thousands again).
const tileSQL = `
	WITH env AS (
		SELECT merc, q, ST_XMin(merc) AS x0, ST_YMin(merc) AS y0, ST_XMax(merc) - ST_XMin(merc) AS size
		FROM (SELECT ST_TileEnvelope($1, $2, $3) AS merc,
		             ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $5::int / $6::int::float8), 4326) AS q) e
	), here AS MATERIALIZED (
		SELECT a.id, a.kind, a.status, a.anchor_lon, a.anchor_lat
		FROM assets a, env
		WHERE a.geom && env.q AND a.kind = ANY($4)
	), dense AS (
		SELECT coalesce(array_agg(kind), '{}') AS kinds
		FROM (SELECT kind FROM here GROUP BY kind HAVING count(*) > $7) d
	), features AS (
		SELECT a.kind, a.id AS fid, a.id, a.code, a.name, a.status, NULL::int AS count,
		       ST_AsMVTGeom(a.geom_merc, env.merc, $6::int, $5::int, true) AS geom
		FROM here h JOIN assets a ON a.id = h.id, env, dense
		WHERE h.kind <> ALL (dense.kinds)
		UNION ALL
		SELECT c.kind, NULL, NULL, NULL, NULL, c.status, c.count,
		       ST_AsMVTGeom(ST_Point(c.x, c.y, 3857), env.merc, $6::int, $5::int, true)
		FROM env, LATERAL (
			SELECT s.kind, sum(s.n)::int AS count, (array_agg(s.status ORDER BY s.n DESC, s.status))[1] AS status,
			       sum(s.sx) / sum(s.n) AS x, sum(s.sy) / sum(s.n) AS y
			FROM (
				SELECT m.kind, m.status, floor((m.x - env.x0) / env.size * $8)::int AS cx, floor((m.y - env.y0) / env.size * $8)::int AS cy,
				       count(*) AS n, sum(m.x) AS sx, sum(m.y) AS sy
				FROM (
					SELECT h.kind, h.status, 6378137 * radians(h.anchor_lon) AS x,
					       6378137 * ln(tan(pi() / 4 + radians(least(greatest(h.anchor_lat, -85.06), 85.06)) / 2)) AS y
					FROM here h, dense
					WHERE h.kind = ANY (dense.kinds)
					OFFSET 0
				) m
				WHERE m.x >= env.x0 AND m.x < env.x0 + env.size AND m.y >= env.y0 AND m.y < env.y0 + env.size
				GROUP BY m.kind, cx, cy, m.status
			) s
			GROUP BY s.kind, s.cx, s.cy
		) c
	)
	SELECT coalesce(string_agg(mvt, ''::bytea ORDER BY kind), ''::bytea) FROM (
		SELECT f.kind, ST_AsMVT(f, f.kind, $6::int, 'geom', 'fid' ORDER BY f.fid, f.geom) AS mvt
		FROM features f WHERE f.geom IS NOT NULL GROUP BY f.kind
	) layers`

// populous answers which of kinds have more assets in all than a tile
// carries one by one: only those can need clusters, and a tile of none of
// them is rendered by the plainer statement (a district tile in two thirds
// of the time). The answer is kept for populousTTL and forgotten when this
// process writes; another copy's import shows within populousTTL, and until
// then its tiles are only larger, never wrong.
//
// Readers never wait on a lock: the answer is an immutable snapshot behind
// an atomic pointer, and concurrent tiles that find it stale count once
// between them (singleflight) and all use that count.
type populous struct {
	snap  atomic.Pointer[populousSnap]
	count singleflight.Group
}

type populousSnap struct {
	at    time.Time
	kinds map[maint.Kind]bool
}

const populousTTL = 30 * time.Second

func (db *DB) anyPopulous(ctx context.Context, kinds []maint.Kind) (bool, error) {
	snap := db.populous.snap.Load()
	if snap == nil || time.Since(snap.at) > populousTTL {
		v, err, _ := db.populous.count.Do("", func() (any, error) { return db.countPopulous(context.WithoutCancel(ctx)) }) // shared: one caller leaving must not fail the rest
		if err != nil {
			return true, err
		}
		snap = v.(*populousSnap)
	}
	for _, k := range kinds {
		if snap.kinds[k] {
			return true, nil
		}
	}
	return false, nil
}

// countPopulous counts which kinds are populous and keeps the answer.
// Counting stops at the limit for each kind: a few thousand index entries at
// most, whatever the size of the table.
func (db *DB) countPopulous(ctx context.Context) (*populousSnap, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT k FROM unnest($1::text[]) k
		WHERE (SELECT count(*) FROM (SELECT FROM assets WHERE kind = k LIMIT $2 + 1) x) > $2`,
		kindStrings(maint.Kinds), TileFeatureLimit)
	if err != nil {
		return nil, translate(err, "count assets by kind")
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[maint.Kind])
	if err != nil {
		return nil, translate(err, "count assets by kind")
	}
	snap := &populousSnap{at: time.Now(), kinds: map[maint.Kind]bool{}}
	for _, k := range got {
		snap.kinds[k] = true
	}
	db.populous.snap.Store(snap)
	return snap, nil
}

// forgetPopulous makes the next tile count the kinds again.
func (db *DB) forgetPopulous() { db.populous.snap.Store(nil) }

// Tile renders the Mapbox Vector Tile t with one layer for each of kinds
// that has features in it. A tile without features is empty (zero bytes).
func (db *DB) Tile(ctx context.Context, kinds []maint.Kind, t gis.Tile) ([]byte, error) {
	populous, err := db.anyPopulous(ctx, kinds)
	if err != nil {
		return nil, err
	}
	return db.renderTile(ctx, populous, kinds, t)
}

// renderTile renders t with the statement with clusters (populous) or the
// plain one.
func (db *DB) renderTile(ctx context.Context, populous bool, kinds []maint.Kind, t gis.Tile) ([]byte, error) {
	pool := db.render
	if populous {
		pool = db.cluster
	}
	sql, args, _ := tileQuery(populous, kinds, t)
	var b []byte
	if err := pool.QueryRow(ctx, sql, args...).Scan(&b); err != nil {
		return nil, translate(err, "tile %d/%d/%d", t.Z, t.X, t.Y)
	}
	return b, nil
}

// tileQuery is the statement that renders t, its arguments and the settings
// of the pool it runs on: the cluster pool's with clusters (populous), else
// the render pool's.
func tileQuery(populous bool, kinds []maint.Kind, t gis.Tile) (string, []any, map[string]string) {
	if populous {
		return tileSQL, []any{int(t.Z), int(t.X), int(t.Y), kindStrings(kinds), tileBuffer, tileExtent, TileFeatureLimit, tileGrid}, clusterSettings
	}
	return tilePlainSQL, []any{int(t.Z), int(t.X), int(t.Y), kindStrings(kinds), tileBuffer, tileExtent}, renderSettings
}
