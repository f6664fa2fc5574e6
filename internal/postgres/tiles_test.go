package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
)

// TestTileClusters loads a dense patch of city and checks that a tile too
// full to draw one by one carries clusters whose counts add up to what the
// tile holds, within a bounded size, while a sparse tile keeps its features.
func TestTileClusters(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	ctx := context.Background()
	if _, err := db.LoadAssets(ctx, seed.City(seed.CitySize{Manholes: 60000, Roads: 3000, Polygons: 10}), nil); err != nil {
		t.Fatal(err)
	}
	var lon, lat float64
	sql.QueryRow(ctx, `SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c FROM assets WHERE kind = 'manhole') x`).Scan(&lon, &lat)
	for _, z := range []maptile.Zoom{12, 18} {
		tile := maptile.At(orb.Point{lon, lat}, z)
		b, err := db.Tile(ctx, []maint.Kind{maint.KindManhole}, tile)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := mvt.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		// Drawn one by one, the tile carries its buffer's assets too;
		// clustered, only those whose point lies in the tile itself, so that
		// the clusters of neighbouring tiles add up.
		var inBuffer, inTile int
		sql.QueryRow(ctx, `SELECT count(*) FROM assets WHERE kind = 'manhole'
			AND geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326)`, int(z), int(tile.X), int(tile.Y)).Scan(&inBuffer)
		sql.QueryRow(ctx, `SELECT count(*) FROM assets, ST_TileEnvelope($1, $2, $3) e, ST_Transform(geom, 3857) p
			WHERE kind = 'manhole' AND ST_X(p) >= ST_XMin(e) AND ST_X(p) < ST_XMax(e) AND ST_Y(p) >= ST_YMin(e) AND ST_Y(p) < ST_YMax(e)`,
			int(z), int(tile.X), int(tile.Y)).Scan(&inTile)
		want := inBuffer
		if len(layers) != 1 {
			t.Fatalf("z%d: %d layers", z, len(layers))
		}
		feats := layers[0].Features
		total := 0
		clustered := false
		for _, f := range feats {
			if c, ok := f.Properties["count"]; ok {
				clustered = true
				total += int(c.(float64))
			} else {
				total++
			}
		}
		t.Logf("z%d: %d assets in the tile (%d with its buffer), %d features, %d bytes, clustered %v", z, inTile, inBuffer, len(feats), len(b), clustered)
		if clustered {
			want = inTile
		}
		if inBuffer > postgres.TileFeatureLimit {
			if !clustered || len(feats) > 64*64 || len(b) > 256<<10 {
				t.Errorf("z%d: %d features, %d bytes, clustered %v", z, len(feats), len(b), clustered)
			}
		} else if clustered || len(feats) != want {
			t.Errorf("z%d: a sparse tile was clustered or lost features: %d of %d", z, len(feats), want)
		}
		if total != want {
			t.Errorf("z%d: the tile accounts for %d assets, want %d", z, total, want)
		}
	}
}

// TestTilePlainStatement checks that where no kind is numerous enough to
// need clusters the plainer statement the service then uses draws exactly
// the bytes of the statement with clusters, and that the choice follows the
// data: the district picks it, a million-manhole city does not for manholes.
func TestTilePlainStatement(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	ctx := context.Background()
	populous, err := db.Populous(ctx, maint.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	if populous {
		t.Fatal("the district has a kind with more assets than a tile draws one by one")
	}
	centre := orb.Point{125.27, 43.88}
	for _, z := range []maptile.Zoom{10, 12, 14, 16, 18} {
		tile := maptile.At(centre, z)
		plain, err := db.TileWith(ctx, false, maint.Kinds, tile)
		if err != nil {
			t.Fatal(err)
		}
		full, err := db.TileWith(ctx, true, maint.Kinds, tile)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) == 0 || string(plain) != string(full) {
			t.Errorf("z%d: the plain statement drew %d bytes, the one with clusters %d, or they differ", z, len(plain), len(full))
		}
		layers, err := mvt.Unmarshal(plain)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range layers {
			n += len(l.Features)
		}
		t.Logf("z%d: %d layers, %d features, %d bytes", z, len(layers), n, len(plain))
	}
	if _, err := db.LoadAssets(ctx, seed.City(seed.CitySize{Manholes: 3500, Roads: 10, Polygons: 10}), nil); err != nil {
		t.Fatal(err)
	}
	if populous, err = db.Populous(ctx, []maint.Kind{maint.KindManhole}); err != nil || !populous {
		t.Errorf("after loading 3,500 more manholes: populous %v, %v", populous, err)
	}
	if populous, err = db.Populous(ctx, []maint.Kind{maint.KindParkingLot}); err != nil || populous {
		t.Errorf("parking lots: populous %v, %v", populous, err)
	}
}

// aTileIDs returns the ids of the assets of kind that a tile draws one by
// one: those whose Web Mercator geometry meets the tile with its buffer of
// 64 units of 4096.
func aTileIDs(t *testing.T, sql *pgxpool.Pool, kind maint.Kind, tile maptile.Tile) []int64 {
	t.Helper()
	return aIDs(t, sql, `SELECT id FROM assets WHERE kind = $1
		AND ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope($2, $3, $4, margin => 64.0 / 4096)) ORDER BY id`,
		string(kind), int(tile.Z), int(tile.X), int(tile.Y))
}

// TestTileLayers decodes district tiles and checks their layers: one per
// kind asked for that has features there, named after it, holding exactly
// the assets of the kind in the tile and its buffer, each with its id,
// kind, code, name and status, drawn where the asset lies.
func TestTileLayers(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	var lon, lat float64
	if err := sql.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	kinds := []maint.Kind{maint.KindManhole, maint.KindRoadRepair, maint.KindCapitalProject}
	listed, _ := aList(t, db, maint.AssetFilter{Kinds: kinds, Limit: aAll})
	assets := map[int64]maint.Asset{}
	for _, a := range listed {
		assets[a.ID] = a
	}
	for _, z := range []maptile.Zoom{13, 15, 17} {
		tile := maptile.At(orb.Point{lon, lat}, z)
		t.Run(fmt.Sprintf("z%d", z), func(t *testing.T) {
			b, err := db.Tile(ctx, kinds, tile)
			if err != nil {
				t.Fatal(err)
			}
			again, err := db.Tile(ctx, kinds, tile)
			if err != nil || !bytes.Equal(b, again) {
				t.Errorf("Tile(%v) twice: %d and %d bytes (%v); want the same bytes", tile, len(b), len(again), err)
			}
			layers, err := mvt.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]int64{}
			for _, k := range kinds {
				if ids := aTileIDs(t, sql, k, tile); len(ids) > 0 {
					want[string(k)] = ids
				}
			}
			if want[string(maint.KindManhole)] == nil {
				t.Fatalf("tile %v holds no manhole", tile)
			}
			got := map[string][]int64{}
			var names []string
			for _, l := range layers {
				names = append(names, l.Name)
				ids := []int64{}
				for _, f := range l.Features {
					id, _ := f.Properties["id"].(float64)
					ids = append(ids, int64(id))
					if fid, _ := f.ID.(float64); fid != id {
						t.Errorf("layer %s: feature id %v, property id %v", l.Name, f.ID, f.Properties["id"])
					}
					a, ok := assets[int64(id)]
					st, hasStatus := f.Properties["status"]
					if !ok || f.Properties["kind"] != l.Name || f.Properties["code"] != a.Code || f.Properties["name"] != a.Name ||
						a.Status != nil && st != string(*a.Status) || a.Status == nil && hasStatus {
						t.Errorf("layer %s feature %d: properties %v; want those of %+v", l.Name, int64(id), f.Properties, a)
					}
				}
				got[l.Name] = ids
			}
			if !slices.IsSorted(names) {
				t.Errorf("Tile(%v) layers %v, not in order", tile, names)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Tile(%v) features by layer (-want +got):\n%s", tile, diff)
			}

			// The manholes are drawn where they lie, within a unit of the
			// tile's grid.
			layers.ProjectToWGS84(tile)
			unit := 360.0 / float64(uint64(1)<<z) / 4096
			for _, l := range layers {
				if l.Name != string(maint.KindManhole) {
					continue
				}
				for _, f := range l.Features {
					id, _ := f.Properties["id"].(float64)
					at, _ := aDecode(t, assets[int64(id)].Geometry).(orb.Point)
					p, ok := f.Geometry.(orb.Point)
					if !ok || math.Abs(p[0]-at[0]) > unit || math.Abs(p[1]-at[1]) > unit {
						t.Errorf("manhole %d drawn at %v, lies at %v", int64(id), f.Geometry, at)
					}
				}
			}
		})
	}
}

// TestTileEmpty checks that a tile with no features of the kinds asked for
// is empty, and that a tile carries no layer of a kind not asked for.
func TestTileEmpty(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	var lon, lat float64
	if err := sql.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	here := maptile.At(orb.Point{lon, lat}, 16)
	if n := len(aTileIDs(t, sql, maint.KindCapitalProject, here)); n != 0 {
		t.Fatalf("tile %v holds %d capital projects", here, n)
	}
	cases := []struct {
		name  string
		kinds []maint.Kind
		tile  maptile.Tile
	}{
		{"ocean", maint.Kinds, maptile.New(0, 0, 14)},
		{"no asset of the kind", []maint.Kind{maint.KindCapitalProject}, here},
		{"no kind", nil, here},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := db.Tile(ctx, c.kinds, c.tile)
			if err != nil || len(b) != 0 {
				t.Errorf("Tile(%v, %v) = %d bytes, %v; want an empty tile", c.kinds, c.tile, len(b), err)
			}
		})
	}
	b, err := db.Tile(ctx, []maint.Kind{maint.KindRoadRepair}, here)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || layers[0].Name != string(maint.KindRoadRepair) || len(layers[0].Features) == 0 {
		t.Errorf("Tile(road_repair, %v) = %d layers; want one of road repairs only", here, len(layers))
	}
}
