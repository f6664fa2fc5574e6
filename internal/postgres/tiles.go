package postgres

import (
	"context"
	"slices"
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

// tileName is an asset's name as tiles carry it, to anyone: personal data
// masked (mask_personal, internal/privacy.Mask in SQL), called only for
// names that could hold some (every pattern needs three digits in a row,
// an @ or a capital letter).
const tileName = `CASE WHEN a.name ~ '[0-9]{3}|[@A-Z]' THEN mask_personal(a.name) ELSE a.name END AS name`

// tilePlainSQL renders one tile of kinds none of which has more assets in
// the tile than it carries one by one: a layer per kind, named after it,
// with the features' id (also as the MVT feature id), kind, code, name,
// status and condition (pci, condition_grade, condition_score; absent until graded). One pass of the spatial index over the tile's envelope (with the
// buffer as margin, transformed once to the stored CRS); the geometry is
// drawn from its stored Web Mercator copy. Features and layers are ordered
// so that the same data gives the same bytes, which the ETag relies on.
//
// Each thing is done once: the envelope is computed once (a materialized
// CTE; inlined, a generic plan recomputed it for every row), and each
// feature is clipped once — the OFFSET 0 fence keeps the planner from
// pushing "geom IS NOT NULL" into the scan, where it ran ST_AsMVTGeom a
// second time (district z14: 2.1 → 1.2 ms of database CPU, same bytes).
const tilePlainSQL = `
	WITH env AS MATERIALIZED (
		SELECT ST_TileEnvelope($1, $2, $3)::box2d AS merc,
		       ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $5::int / $6::int::float8), 4326) AS q
	)
	SELECT coalesce(string_agg(mvt, ''::bytea ORDER BY kind), ''::bytea) FROM (
		SELECT f.kind, ST_AsMVT(f, f.kind, $6::int, 'geom', 'fid' ORDER BY f.fid) AS mvt
		FROM (
			SELECT a.kind, a.id AS fid, a.id, a.code, ` + tileName + `, a.status, NULL::int AS count,
			       a.pci::float8 AS pci, a.condition_grade, a.condition_score::float8 AS condition_score,
			       ST_AsMVTGeom(a.geom_merc, env.merc, $6::int, $5::int, true) AS geom
			FROM assets a, env
			WHERE a.geom && env.q AND a.kind = ANY($4)
			OFFSET 0
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
// and only the assets drawn one by one are fetched whole, by their row
// address within the same statement (a second pass of the index would fetch
// the clustered thousands again; the primary key cost three times the
// buffers). A cluster lies inside its tile by construction, so its point is
// put straight into tile coordinates, rounded as ST_AsMVTGeom rounds, with
// no clipping to do (city z14: 21 → 16 ms of database CPU, the same
// features decoded).
const tileSQL = `
	WITH env AS MATERIALIZED (
		SELECT merc::box2d AS merc, q, ST_XMin(merc) AS x0, ST_YMin(merc) AS y0, ST_XMax(merc) - ST_XMin(merc) AS size
		FROM (SELECT ST_TileEnvelope($1, $2, $3) AS merc,
		             ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $5::int / $6::int::float8), 4326) AS q) e
	), here AS MATERIALIZED (
		SELECT a.ctid AS tid, a.kind, a.status, a.anchor_lon, a.anchor_lat
		FROM assets a, env
		WHERE a.geom && env.q AND a.kind = ANY($4)
	), dense AS (
		SELECT coalesce(array_agg(kind), '{}') AS kinds
		FROM (SELECT kind FROM here GROUP BY kind HAVING count(*) > $7) d
	), features AS (
		SELECT * FROM (
			SELECT a.kind, a.id AS fid, a.id, a.code, ` + tileName + `, a.status, NULL::int AS count,
			       a.pci::float8 AS pci, a.condition_grade, a.condition_score::float8 AS condition_score,
			       ST_AsMVTGeom(a.geom_merc, env.merc, $6::int, $5::int, true) AS geom
			FROM here h JOIN assets a ON a.ctid = h.tid, env, dense
			WHERE h.kind <> ALL (dense.kinds)
			OFFSET 0
		) plain
		UNION ALL
		SELECT c.kind, NULL, NULL, NULL, NULL, c.status, c.count, NULL::float8, NULL::text, NULL::float8,
		       ST_Point(round((c.x - env.x0) / env.size * $6::int), round((env.y0 + env.size - c.y) / env.size * $6::int))
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
//
// For the populous kinds it also keeps how dense they are at their densest
// (see density), so that a tile of a high zoom that cannot hold too many of
// them is drawn by the plainer statement too (city z16: 1.9 → 0.8 ms).
type populous struct {
	snap      atomic.Pointer[populousSnap]
	count     singleflight.Group
	density   atomic.Pointer[densitySnap]
	measuring atomic.Bool
	// forgotten counts forgetPopulous calls: a measure begun before one is
	// not kept.
	forgotten atomic.Int64
}

type populousSnap struct {
	at    time.Time
	kinds map[maint.Kind]bool
}

// densitySnap is, for each populous kind, the most assets of that kind whose
// anchors lie in one z17 tile (about 300 m across at Changchun).
type densitySnap struct {
	at    time.Time
	max17 map[maint.Kind]int
}

const (
	populousTTL = 30 * time.Second
	// densityTTL is long: measuring reads every asset of the populous kinds
	// (0.8 s at city scale). It is measured again in the background, and
	// at once after this process's imports and loads.
	densityTTL = 10 * time.Minute
)

// clusterable returns the kinds of a tile at zoom z that may need
// clusters: the populous ones, less those too sparse anywhere to fill a
// tile of that zoom.
func (db *DB) clusterable(ctx context.Context, kinds []maint.Kind, z int) ([]maint.Kind, error) {
	snap := db.populous.snap.Load()
	if snap == nil || time.Since(snap.at) > populousTTL {
		v, err, _ := db.populous.count.Do("", func() (any, error) { return db.countPopulous(context.WithoutCancel(ctx)) }) // shared: one caller leaving must not fail the rest
		if err != nil {
			return kinds, err
		}
		snap = v.(*populousSnap)
	}
	var out []maint.Kind
	for _, k := range kinds {
		if snap.kinds[k] {
			out = append(out, k)
		}
	}
	if len(out) == 0 || z < 16 {
		return out, nil
	}
	d := db.density(snap)
	if d == nil {
		return out, nil // not measured yet: the clustering statement is always right
	}
	return slices.DeleteFunc(out, func(k maint.Kind) bool { return d.sparseAt(k, z) }), nil
}

// sparseAt reports whether no tile of zoom z (16 or more) can hold more
// than TileFeatureLimit assets of kind k, counting by anchor: a z16 tile and
// its buffer lie within 4 × 4 tiles of z17, a z17 tile's within 3 × 3, a
// higher zoom's within 2 × 2. Lines and areas are counted where their anchor
// lies, so one crossing in from outside is not counted; the bounds leave
// room for them, and a tile that still holds more is only larger.
func (d *densitySnap) sparseAt(k maint.Kind, z int) bool {
	m, ok := d.max17[k]
	if !ok {
		return false
	}
	cells := 4
	switch z {
	case 16:
		cells = 16
	case 17:
		cells = 9
	}
	return cells*m <= TileFeatureLimit
}

// density returns the density snapshot for the populous kinds of snap,
// measuring it in the background when it is missing, stale or for other
// kinds; nil until a measure has finished.
func (db *DB) density(snap *populousSnap) *densitySnap {
	d := db.populous.density.Load()
	covers := d != nil
	for k := range snap.kinds {
		if covers {
			_, covers = d.max17[k]
		}
	}
	if (!covers || time.Since(d.at) > densityTTL) && db.populous.measuring.CompareAndSwap(false, true) {
		go func() {
			defer db.populous.measuring.Store(false)
			if err := db.measureDensity(context.Background(), snap); err != nil {
				db.populous.density.Store(nil)
			}
		}()
	}
	if !covers {
		return nil // measured for other kinds, or not yet: not to be trusted
	}
	return d
}

// measureDensity counts the populous kinds' assets per z17 tile of their
// anchors and keeps the largest count of each kind.
func (db *DB) measureDensity(ctx context.Context, snap *populousSnap) error {
	gen := db.populous.forgotten.Load()
	kinds := make([]string, 0, len(snap.kinds))
	for k := range snap.kinds {
		kinds = append(kinds, string(k))
	}
	rows, err := db.pool.Query(ctx, `
		SELECT kind, max(n)::int FROM (
			SELECT kind, count(*) AS n FROM assets WHERE kind = ANY($1)
			GROUP BY kind, floor((anchor_lon + 180) / 360 * 131072),
			         floor((1 - ln(tan(radians(anchor_lat)) + 1 / cos(radians(anchor_lat))) / pi()) / 2 * 131072)
		) cells GROUP BY kind`, kinds)
	if err != nil {
		return translate(err, "measure density")
	}
	d := &densitySnap{at: time.Now(), max17: map[maint.Kind]int{}}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			rows.Close()
			return translate(err, "measure density")
		}
		d.max17[maint.Kind(k)] = n
	}
	if err := rows.Err(); err != nil {
		return translate(err, "measure density")
	}
	if db.populous.forgotten.Load() == gen {
		db.populous.density.Store(d)
	}
	return nil
}

// countPopulous counts which kinds are populous and keeps the answer.
// Counting stops at the limit for each kind: a few thousand index entries at
// most, whatever the size of the table.
func (db *DB) countPopulous(ctx context.Context) (*populousSnap, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT k FROM unnest($1::text[]) k
		WHERE (SELECT count(*) FROM (SELECT FROM assets WHERE kind = k LIMIT $2 + 1) x) > $2`,
		maint.KindNames(maint.Kinds), TileFeatureLimit)
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

// forgetPopulous makes the next tile count the kinds, and measure their
// density, again.
func (db *DB) forgetPopulous() {
	db.populous.forgotten.Add(1)
	db.populous.snap.Store(nil)
	db.populous.density.Store(nil)
}

// Tile renders the Mapbox Vector Tile t with one layer for each of kinds
// that has features in it. A tile without features is empty (zero bytes).
func (db *DB) Tile(ctx context.Context, kinds []maint.Kind, t gis.Tile) ([]byte, error) {
	dense, err := db.clusterable(ctx, kinds, int(t.Z))
	if err != nil {
		return nil, err
	}
	return db.renderTile(ctx, len(dense) > 0, kinds, t)
}

// renderTile renders t with the statement with clusters (populous) or the
// plain one.
func (db *DB) renderTile(ctx context.Context, populous bool, kinds []maint.Kind, t gis.Tile) ([]byte, error) {
	rd := db.readFrom(ctx)
	pool := rd.render
	if populous {
		pool = rd.cluster
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
		return tileSQL, []any{int(t.Z), int(t.X), int(t.Y), maint.KindNames(kinds), tileBuffer, tileExtent, TileFeatureLimit, tileGrid}, clusterSettings
	}
	return tilePlainSQL, []any{int(t.Z), int(t.X), int(t.Y), maint.KindNames(kinds), tileBuffer, tileExtent}, renderSettings
}
