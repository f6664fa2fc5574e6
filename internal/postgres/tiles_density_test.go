package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
)

// TestTileDensity checks the choice of statement by zoom: a kind numerous
// in all but spread thin is drawn one by one at z16 once its density is
// measured — with the same bytes the clustering statement makes — while a
// dense patch keeps its clusters at z16 and every kind keeps them at z14.
func TestTileDensity(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	ctx := context.Background()
	// 20,000 manholes over the city grid: populous, but a few per z17 tile.
	if _, err := db.LoadAssets(ctx, seed.City(seed.CitySize{Manholes: 20000, Roads: 10, Polygons: 10}), nil); err != nil {
		t.Fatal(err)
	}
	manholes := []maint.Kind{maint.KindManhole}
	var lon, lat float64
	if err := sql.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	if ks, err := db.Clusterable(ctx, manholes, 14); err != nil || !slices.Equal(ks, manholes) {
		t.Fatalf("Clusterable(z14) = %v, %v; want manholes (populous, and z14 is not judged by density)", ks, err)
	}
	// The density is measured in the background: wait for its verdict.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ks, err := db.Clusterable(ctx, manholes, 16)
		if err != nil {
			t.Fatal(err)
		}
		if len(ks) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Clusterable(z16) still %v after 30 s; want none for sparse manholes", ks)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for z, want := range map[int]bool{14: true, 16: false} {
		if got, err := db.TileClustered(ctx, z); err != nil || got != want {
			t.Errorf("TileClustered(%d) = %v, %v; want %v", z, got, err, want)
		}
	}
	tile := maptile.At(orb.Point{lon, lat}, 16)
	got, err := db.Tile(ctx, manholes, tile)
	if err != nil {
		t.Fatal(err)
	}
	clustered, err := db.TileWith(ctx, true, manholes, tile)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || string(got) != string(clustered) {
		t.Errorf("z16 tile: plain %d bytes, clustering statement %d bytes; want the same non-empty bytes", len(got), len(clustered))
	}

	// A dense patch: 5,000 more manholes inside one z17 tile.
	if _, err := sql.Exec(ctx, `
		INSERT INTO assets (kind, code, name, geom)
		SELECT 'manhole', lpad((9000000000000000 + g)::text, 16, '0'), 'dense ' || g,
		       ST_SetSRID(ST_MakePoint($1 + (g % 70) * 0.00001, $2 + (g / 70) * 0.00001), 4326)
		FROM generate_series(1, 5000) g`, lon, lat); err != nil {
		t.Fatal(err)
	}
	db.ForgetPopulous()
	deadline = time.Now().Add(30 * time.Second)
	for {
		ks, err := db.Clusterable(ctx, manholes, 16)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(ks, manholes) && db.DensityMeasured() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Clusterable(z16) = %v after a dense patch; want manholes", ks)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
