package postgres_test

import (
	"context"
	"testing"

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
