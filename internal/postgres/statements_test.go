package postgres_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// TestStatements checks that the statements handed to the load harness are
// the service's own: run as given, they answer what the store answers.
func TestStatements(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := context.Background()

	t.Run("tile", func(t *testing.T) {
		for _, z := range []maptile.Zoom{12, 14, 16} {
			tile := maptile.At(orb.Point{125.27, 43.88}, z)
			want, err := db.Tile(ctx, maint.Kinds, tile)
			if err != nil {
				t.Fatal(err)
			}
			clustered, err := db.TileClustered(ctx, int(z))
			if err != nil {
				t.Fatal(err)
			}
			s := postgres.TileStatement(clustered, tile)
			var got []byte
			if err := sql.QueryRow(ctx, s.SQL, s.Args...).Scan(&got); err != nil {
				t.Fatalf("TileStatement(z%d): %v", z, err)
			}
			if len(want) == 0 || string(got) != string(want) {
				t.Errorf("TileStatement(z%d) made %d bytes, the store %d; want the same non-empty bytes", z, len(got), len(want))
			}
		}
	})
	t.Run("viewport", func(t *testing.T) {
		box := gis.BBox{MinLon: 125.2638, MinLat: 43.8755, MaxLon: 125.2762, MaxLat: 43.8845}
		n := 0
		if _, err := db.ListAssets(ctx, maint.AssetFilter{BBox: &box, Limit: maint.MaxLimit}, func(*maint.Asset) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		s := postgres.ViewportStatement(box)
		rows, err := sql.Query(ctx, s.SQL, s.Args...)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for rows.Next() {
			got++
		}
		if rows.Err() != nil || n == 0 || got < n || got > n+1 {
			t.Errorf("ViewportStatement: %d rows (%v), the store listed %d; want that many (one more marks a next page)", got, rows.Err(), n)
		}
	})
	t.Run("collection", func(t *testing.T) {
		f := maint.FeatureQuery{Kind: maint.KindManhole, CRS: gis.CRS84, Limit: 10000}
		count, err := db.CountFeatures(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		ss := postgres.CollectionStatements(maint.KindManhole, 10000)
		var got int64
		if err := sql.QueryRow(ctx, ss[0].SQL, ss[0].Args...).Scan(&got); err != nil || got != count {
			t.Errorf("CollectionStatements count = %d, %v; the store counts %d", got, err, count)
		}
	})
}
