package postgres_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
)

// aMember is an asset as a cluster tile sees it: its anchor and status.
type aMember struct {
	id     int64
	anchor orb.Point
	status string
}

// aMembersByTile puts each asset of kind into the tile of zoom z its point
// on surface lies in, as orb's tile maths say.
func aMembersByTile(t *testing.T, db *postgres.DB, kind maint.Kind, z maptile.Zoom) map[maptile.Tile][]aMember {
	t.Helper()
	rows, err := pgtest.SQL(t, db).Query(t.Context(), `SELECT id, ST_X(p), ST_Y(p), coalesce(status, 'none')
		FROM (SELECT id, status, ST_PointOnSurface(geom) AS p FROM assets WHERE kind = $1) a ORDER BY id`, string(kind))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[maptile.Tile][]aMember{}
	for rows.Next() {
		var m aMember
		if err := rows.Scan(&m.id, &m.anchor[0], &m.anchor[1], &m.status); err != nil {
			t.Fatal(err)
		}
		tile := maptile.At(m.anchor, z)
		out[tile] = append(out[tile], m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// aCheckTileAssets asks for every tile of zoom z that holds assets of kind
// and checks each answer against the assets whose anchor lies in it: one by
// one, exactly those, when there are at most ClusterLimit of them, else
// clusters that add up to them by status. It returns how many tiles came
// one by one and how many as clusters.
func aCheckTileAssets(t *testing.T, db *postgres.DB, kind maint.Kind, z maptile.Zoom) (sparse, dense int) {
	t.Helper()
	for tile, members := range aMembersByTile(t, db, kind, z) {
		var emitted []int64
		clusters, err := db.TileAssets(t.Context(), kind, tile, func(a *maint.Asset) error {
			if a.Kind != kind {
				t.Errorf("TileAssets(%s, %v) emitted asset %d of kind %s", kind, tile, a.ID, a.Kind)
			}
			emitted = append(emitted, a.ID)
			return nil
		})
		if err != nil {
			t.Fatalf("TileAssets(%s, %v): %v", kind, tile, err)
		}
		if len(members) <= postgres.ClusterLimit {
			sparse++
			want := make([]int64, len(members))
			for i, m := range members {
				want[i] = m.id
			}
			if clusters != nil {
				t.Errorf("TileAssets(%s, %v) of %d assets gave %d clusters, want none", kind, tile, len(members), len(clusters))
			}
			if diff := cmp.Diff(want, emitted); diff != "" {
				t.Errorf("TileAssets(%s, %v) (-anchors in the tile +emitted):\n%s", kind, tile, diff)
			}
			continue
		}
		dense++
		if len(emitted) != 0 {
			t.Errorf("TileAssets(%s, %v) of %d assets emitted %d one by one besides clusters", kind, tile, len(members), len(emitted))
		}
		want := map[string]int{}
		for _, m := range members {
			want[m.status]++
		}
		got := map[string]int{}
		total := 0
		bound := tile.Bound()
		for _, c := range clusters {
			sum := 0
			for s, n := range c.ByStatus {
				sum += n
				got[s] += n
			}
			if sum != c.Count || c.Count == 0 {
				t.Errorf("TileAssets(%s, %v): a cluster of %d whose statuses add up to %d", kind, tile, c.Count, sum)
			}
			if !bound.Contains(orb.Point{c.Lon, c.Lat}) {
				t.Errorf("TileAssets(%s, %v): a cluster at %v, outside the tile %v", kind, tile, orb.Point{c.Lon, c.Lat}, bound)
			}
			total += c.Count
		}
		if len(clusters) > 64 {
			t.Errorf("TileAssets(%s, %v) = %d clusters, more than the 8 × 8 grid has cells", kind, tile, len(clusters))
		}
		if total != len(members) {
			t.Errorf("TileAssets(%s, %v): clusters of %d assets, want %d", kind, tile, total, len(members))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("TileAssets(%s, %v) by status (-anchors in the tile +clusters):\n%s", kind, tile, diff)
		}
	}
	return sparse, dense
}

// TestTileAssetsSparse asks for the district's assets tile by tile: each
// asset comes once, in the tile its anchor lies in.
func TestTileAssetsSparse(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	for _, kind := range []maint.Kind{maint.KindManhole, maint.KindParkingSpace, maint.KindRoadRepair} {
		for _, z := range []maptile.Zoom{13, 16} {
			sparse, dense := aCheckTileAssets(t, db, kind, z)
			if sparse == 0 || dense != 0 {
				t.Errorf("%s at z%d: %d tiles one by one and %d with clusters; want only the former", kind, z, sparse, dense)
			}
		}
	}
	if _, err := db.TileAssets(t.Context(), maint.KindManhole, maptile.New(0, 0, 14), func(*maint.Asset) error {
		t.Error("an ocean tile emitted an asset")
		return nil
	}); err != nil {
		t.Error(err)
	}
}

// TestTileAssetsClusters loads a dense patch of city with a share of tasks
// and checks that full tiles come as clusters that add up, by status, to
// what the tile holds, and that the sparse ones still come one by one.
func TestTileAssetsClusters(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	ctx := t.Context()
	if _, err := db.LoadAssets(ctx, seed.City(seed.CitySize{Manholes: 4000, Roads: 10, Polygons: 5}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddCityTasks(ctx); err != nil {
		t.Fatal(err)
	}
	sparse, dense := 0, 0
	for _, z := range []maptile.Zoom{8, 10, 12} {
		s, d := aCheckTileAssets(t, db, maint.KindManhole, z)
		sparse, dense = sparse+s, dense+d
	}
	if sparse == 0 || dense == 0 {
		t.Errorf("%d tiles one by one and %d with clusters; the data should give both", sparse, dense)
	}
}

// TestKindExtents checks each kind's count and the box of its anchors
// against the district, and that an empty database has none.
func TestKindExtents(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	rows, err := sql.Query(ctx, `SELECT kind, count(*), min(ST_X(p)), min(ST_Y(p)), max(ST_X(p)), max(ST_Y(p))
		FROM (SELECT kind, ST_PointOnSurface(geom) AS p FROM assets) a GROUP BY kind ORDER BY kind`)
	if err != nil {
		t.Fatal(err)
	}
	var want []maint.KindExtent
	for rows.Next() {
		var e maint.KindExtent
		var b gis.BBox
		if err := rows.Scan(&e.Kind, &e.Count, &b.MinLon, &b.MinLat, &b.MaxLon, &b.MaxLat); err != nil {
			t.Fatal(err)
		}
		e.Box = b
		want = append(want, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(maint.Kinds) {
		t.Fatalf("the district has %d kinds", len(want))
	}
	got, err := db.KindExtents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("KindExtents (-want +got):\n%s", diff)
	}
	if got, err := pgtest.NewDB(t, pgtest.Empty).KindExtents(ctx); err != nil || len(got) != 0 {
		t.Errorf("KindExtents of an empty database = %v, %v; want none", got, err)
	}
}
