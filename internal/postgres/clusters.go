package postgres

import (
	"context"

	"inframap/gis"
	"inframap/internal/maint"
)

// ClusterLimit is the most assets a map tile of the clusters endpoint gives
// one by one; past it they come as clusters.
const ClusterLimit = 1000

// clusterGrid is the cells of a cluster tile on a side: 8 × 8 cells of 32
// pixels on a 256-pixel tile.
const clusterGrid = 8

// TileAssets returns the assets of kind whose point on surface lies in tile t,
// one by one when there are at most ClusterLimit of them (clusters is then
// nil), else as clusters on an 8 × 8 grid over the tile. A point belongs to
// exactly one tile, so a map that asks tile by tile draws each asset once.
func (db *DB) TileAssets(ctx context.Context, kind maint.Kind, t gis.Tile, emit func(*maint.Asset) error) (clusters []maint.Cluster, err error) {
	b := t.Bound()
	var n int
	err = db.Pool.QueryRow(ctx, `
		SELECT count(*) FROM (
			SELECT 1 FROM assets a
			WHERE a.kind = $1 AND a.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)
			  AND ST_Intersects(ST_PointOnSurface(a.geom), ST_MakeEnvelope($2, $3, $4, $5, 4326))
			  AND ST_X(ST_PointOnSurface(a.geom)) < $4 AND ST_Y(ST_PointOnSurface(a.geom)) < $5
			LIMIT $6 + 1) c`,
		string(kind), b.Min[0], b.Min[1], b.Max[0], b.Max[1], ClusterLimit).Scan(&n)
	if err != nil {
		return nil, translate(err, "tile assets")
	}
	if n <= ClusterLimit {
		rows, err := db.Pool.Query(ctx, "SELECT "+replaceCut(replaceCut(assetColumns, "a.status"), "a.status_at")+` FROM assets a
			WHERE a.kind = $1 AND a.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)
			  AND ST_Intersects(ST_PointOnSurface(a.geom), ST_MakeEnvelope($2, $3, $4, $5, 4326))
			  AND ST_X(ST_PointOnSurface(a.geom)) < $4 AND ST_Y(ST_PointOnSurface(a.geom)) < $5
			ORDER BY a.id`, string(kind), b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		if err != nil {
			return nil, translate(err, "tile assets")
		}
		defer rows.Close()
		var a maint.Asset
		for rows.Next() {
			if err := scanAssetRaw(rows, &a); err != nil {
				return nil, translate(err, "tile assets")
			}
			if err := emit(&a); err != nil {
				return nil, err
			}
		}
		return nil, translate(rows.Err(), "tile assets")
	}
	rows, err := db.Pool.Query(ctx, `
		WITH p AS (
			SELECT ST_PointOnSurface(a.geom) AS pt, coalesce(a.status, 'none') AS status
			FROM assets a
			WHERE a.kind = $1 AND a.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)
		), cells AS (
			SELECT least(floor((ST_X(pt) - $2) / ($4 - $2) * $6), $6 - 1) AS cx,
			       least(floor((ST_Y(pt) - $3) / ($5 - $3) * $6), $6 - 1) AS cy, pt, status
			FROM p
			WHERE ST_X(pt) >= $2 AND ST_X(pt) < $4 AND ST_Y(pt) >= $3 AND ST_Y(pt) < $5
		), by_status AS (
			SELECT cx, cy, status, count(*) AS n FROM cells GROUP BY cx, cy, status
		)
		SELECT ST_X(c.centre), ST_Y(c.centre), c.n, s.statuses
		FROM (SELECT cx, cy, ST_Centroid(ST_Collect(pt)) AS centre, count(*)::int AS n FROM cells GROUP BY cx, cy) c
		JOIN (SELECT cx, cy, jsonb_object_agg(status, n) AS statuses FROM by_status GROUP BY cx, cy) s USING (cx, cy)
		ORDER BY c.cy, c.cx`,
		string(kind), b.Min[0], b.Min[1], b.Max[0], b.Max[1], clusterGrid)
	if err != nil {
		return nil, translate(err, "tile clusters")
	}
	defer rows.Close()
	for rows.Next() {
		var c maint.Cluster
		if err := rows.Scan(&c.Lon, &c.Lat, &c.Count, &c.ByStatus); err != nil {
			return nil, translate(err, "tile clusters")
		}
		clusters = append(clusters, c)
	}
	return clusters, translate(rows.Err(), "tile clusters")
}
