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

// TileAssets returns the assets of kind whose anchor (point on surface) lies in tile t,
// one by one when there are at most ClusterLimit of them (clusters is then
// nil), else as clusters on an 8 × 8 grid over the tile. A point belongs to
// exactly one tile, so a map that asks tile by tile draws each asset once.
func (db *DB) TileAssets(ctx context.Context, kind maint.Kind, t gis.Tile, emit func(*maint.Asset) error) (clusters []maint.Cluster, err error) {
	b := t.Bound()
	var n int
	err = db.readFrom(ctx).pool.QueryRow(ctx, `
		SELECT count(*) FROM (
			SELECT 1 FROM assets a
			WHERE a.kind = $1 AND a.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)
			  AND a.anchor_lon >= $2 AND a.anchor_lon < $4 AND a.anchor_lat >= $3 AND a.anchor_lat < $5
			LIMIT $6 + 1) c`,
		string(kind), b.Min[0], b.Min[1], b.Max[0], b.Max[1], ClusterLimit).Scan(&n)
	if err != nil {
		return nil, translate(err, "tile assets")
	}
	if n <= ClusterLimit {
		rows, err := db.readFrom(ctx).pool.Query(ctx, "SELECT "+replaceCut(replaceCut(assetColumnsOf(kind), "a.status"), "a.status_at")+assetsFrom(kind)+`
			WHERE a.kind = $1 AND a.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)
			  AND a.anchor_lon >= $2 AND a.anchor_lon < $4 AND a.anchor_lat >= $3 AND a.anchor_lat < $5
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
	// One pass: count and sum the coordinates per cell and status; the
	// cells' centres and status counts are put together here.
	rows, err := db.readFrom(ctx).pool.Query(ctx, `
		SELECT least(floor((a.anchor_lon - $2) / ($4 - $2) * $6), $6 - 1)::int AS cx,
		       least(floor((a.anchor_lat - $3) / ($5 - $3) * $6), $6 - 1)::int AS cy,
		       coalesce(a.status, 'none'), count(*)::int, sum(a.anchor_lon), sum(a.anchor_lat)
		FROM assets a
		WHERE a.kind = $1 AND a.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)
		  AND a.anchor_lon >= $2 AND a.anchor_lon < $4 AND a.anchor_lat >= $3 AND a.anchor_lat < $5
		GROUP BY 1, 2, 3
		ORDER BY 2, 1, 3`,
		string(kind), b.Min[0], b.Min[1], b.Max[0], b.Max[1], clusterGrid)
	if err != nil {
		return nil, translate(err, "tile clusters")
	}
	defer rows.Close()
	type cell struct{ x, y int }
	var sumX, sumY float64
	last := cell{-1, -1}
	flush := func() {
		if c := len(clusters) - 1; c >= 0 && clusters[c].Count > 0 {
			clusters[c].Lon, clusters[c].Lat = sumX/float64(clusters[c].Count), sumY/float64(clusters[c].Count)
		}
	}
	for rows.Next() {
		var at cell
		var status string
		var n int
		var sx, sy float64
		if err := rows.Scan(&at.x, &at.y, &status, &n, &sx, &sy); err != nil {
			return nil, translate(err, "tile clusters")
		}
		if at != last {
			flush()
			clusters = append(clusters, maint.Cluster{ByStatus: map[string]int{}})
			sumX, sumY, last = 0, 0, at
		}
		c := &clusters[len(clusters)-1]
		c.Count += n
		c.ByStatus[status] += n
		sumX += sx
		sumY += sy
	}
	flush()
	return clusters, translate(rows.Err(), "tile clusters")
}

// KindExtents counts each kind's assets and gives the box their anchors lie in.
func (db *DB) KindExtents(ctx context.Context) ([]maint.KindExtent, error) {
	rows, err := db.readFrom(ctx).pool.Query(ctx, `
		SELECT kind, count(*)::int, min(anchor_lon), min(anchor_lat), max(anchor_lon), max(anchor_lat)
		FROM assets GROUP BY kind ORDER BY kind`)
	if err != nil {
		return nil, translate(err, "kind extents")
	}
	defer rows.Close()
	var out []maint.KindExtent
	for rows.Next() {
		var e maint.KindExtent
		var kind string
		if err := rows.Scan(&kind, &e.Count, &e.Box.MinLon, &e.Box.MinLat, &e.Box.MaxLon, &e.Box.MaxLat); err != nil {
			return nil, translate(err, "kind extents")
		}
		e.Kind = maint.Kind(kind)
		out = append(out, e)
	}
	return out, translate(rows.Err(), "kind extents")
}
