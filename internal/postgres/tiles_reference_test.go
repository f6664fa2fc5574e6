package postgres_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/maptile"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
)

// The tile statements as they were before each thing was done once (issue
// 19): the reference the faster statements must draw the same as.
const (
	referencePlainSQL = `
	WITH env AS (
		SELECT ST_TileEnvelope($1, $2, $3) AS merc,
		       ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $5::int / $6::int::float8), 4326) AS q
	)
	SELECT coalesce(string_agg(mvt, ''::bytea ORDER BY kind), ''::bytea) FROM (
		SELECT f.kind, ST_AsMVT(f, f.kind, $6::int, 'geom', 'fid' ORDER BY f.fid) AS mvt
		FROM (
			SELECT a.kind, a.id AS fid, a.id, a.code, a.name, a.status, NULL::int AS count, a.pci::float8 AS pci, a.condition_grade, a.condition_score::float8 AS condition_score,
			       ST_AsMVTGeom(a.geom_merc, env.merc, $6::int, $5::int, true) AS geom
			FROM assets a, env
			WHERE a.geom && env.q AND a.kind = ANY($4)
		) f
		WHERE f.geom IS NOT NULL GROUP BY f.kind
	) layers`
	referenceClusterSQL = `
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
		SELECT a.kind, a.id AS fid, a.id, a.code, a.name, a.status, NULL::int AS count, a.pci::float8 AS pci, a.condition_grade, a.condition_score::float8 AS condition_score,
		       ST_AsMVTGeom(a.geom_merc, env.merc, $6::int, $5::int, true) AS geom
		FROM here h JOIN assets a ON a.id = h.id, env, dense
		WHERE h.kind <> ALL (dense.kinds)
		UNION ALL
		SELECT c.kind, NULL, NULL, NULL, NULL, c.status, c.count, NULL::float8, NULL::text, NULL::float8,
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
)

// TestTilesAsBefore decodes tiles at z12, z14 and z16 — the district's, and
// a dense patch of city where tiles cluster — from the store and from the
// reference statements, and compares every layer's features: geometry in
// tile coordinates, id and attributes.
func TestTilesAsBefore(t *testing.T) {
	ctx := context.Background()
	district := pgtest.NewDB(t, pgtest.District)
	city := pgtest.NewDB(t, pgtest.Empty)
	if _, err := city.LoadAssets(ctx, seed.City(seed.CitySize{Manholes: 60000, Roads: 3000, Polygons: 10}), nil); err != nil {
		t.Fatal(err)
	}
	var lon, lat float64
	if err := pgtest.SQL(t, city).QueryRow(ctx, `SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c FROM assets WHERE kind = 'manhole') x`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	kinds := maint.KindNames(maint.Kinds)
	for _, c := range []struct {
		name      string
		db        *postgres.DB
		at        orb.Point
		clustered bool
	}{
		{"district", district, orb.Point{125.27, 43.88}, false},
		{"city", city, orb.Point{lon, lat}, true},
	} {
		sql := pgtest.SQL(t, c.db)
		for _, z := range []maptile.Zoom{12, 14, 16} {
			t.Run(fmt.Sprintf("%s z%d", c.name, z), func(t *testing.T) {
				tile := maptile.At(c.at, z)
				got, err := c.db.Tile(ctx, maint.Kinds, tile)
				if err != nil {
					t.Fatal(err)
				}
				ref, args := referencePlainSQL, []any{int(z), int(tile.X), int(tile.Y), kinds, 64, 4096}
				if c.clustered {
					ref, args = referenceClusterSQL, append(args, 3000, 64)
				}
				var want []byte
				if err := sql.QueryRow(ctx, ref, args...).Scan(&want); err != nil {
					t.Fatal(err)
				}
				g, w := decodeTile(t, got), decodeTile(t, want)
				if len(w) == 0 {
					t.Fatal("the reference tile is empty: nothing compared")
				}
				for layer, wf := range w {
					if gf := g[layer]; strings.Join(gf, "\n") != strings.Join(wf, "\n") {
						t.Errorf("layer %s: %d features, the reference %d; first differing: %v", layer, len(gf), len(wf), firstDiff(gf, wf))
					}
				}
				if len(g) != len(w) {
					t.Errorf("%d layers, the reference %d", len(g), len(w))
				}
			})
		}
	}
}

// decodeTile lists each layer's features as text, in a stable order.
func decodeTile(t *testing.T, b []byte) map[string][]string {
	t.Helper()
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	out := map[string][]string{}
	for _, l := range ls {
		for _, f := range l.Features {
			var props []string
			for k, v := range f.Properties {
				props = append(props, fmt.Sprintf("%s=%v", k, v))
			}
			sort.Strings(props)
			out[l.Name] = append(out[l.Name], fmt.Sprintf("%v %s %s", f.ID, wkt.MarshalString(f.Geometry), strings.Join(props, " ")))
		}
		sort.Strings(out[l.Name])
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + " ≠ " + b[i]
		}
	}
	return "(one list is longer)"
}
