package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
)

// TestClusterTiles: a dense map tile comes as clusters whose counts add up
// to the assets whose point lies in the tile; a sparse one as the assets
// themselves; neighbouring tiles never count an asset twice.
func TestClusterTiles(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	if _, err := e.db.LoadAssets(t.Context(), seed.City(seed.CitySize{Manholes: 40000, Roads: 2000, Polygons: 10}), nil); err != nil {
		t.Fatal(err)
	}
	var lon, lat float64
	e.sql.QueryRow(t.Context(), `SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c FROM assets WHERE kind = 'manhole') x`).Scan(&lon, &lat)
	type fc struct {
		Clustered bool `json:"clustered"`
		Features  []struct {
			Geometry struct {
				Coordinates [2]float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	inTile := func(tile maptile.Tile) int {
		b := tile.Bound()
		return e.count(`SELECT count(*) FROM assets WHERE kind = 'manhole' AND ST_X(geom) >= $1 AND ST_X(geom) < $3 AND ST_Y(geom) >= $2 AND ST_Y(geom) < $4`,
			b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	}
	for _, z := range []maptile.Zoom{11, 17} {
		tile := maptile.At(orb.Point{lon, lat}, z)
		var got fc
		if res := e.get(fmt.Sprintf("/api/v1/clusters/manhole/%d/%d/%d", z, tile.X, tile.Y), &got); res.StatusCode != 200 {
			t.Fatalf("z%d: %d", z, res.StatusCode)
		}
		total := 0
		b := tile.Bound()
		for _, f := range got.Features {
			if c, ok := f.Properties["count"]; ok {
				total += int(c.(float64))
				// A cluster sits at its members' centre, inside the tile, and
				// its counts by status add up to its count.
				by := 0
				for _, n := range f.Properties["by_status"].(map[string]any) {
					by += int(n.(float64))
				}
				if by != int(c.(float64)) {
					t.Errorf("z%d: cluster of %v counts %d by status", z, c, by)
				}
				if pt := f.Geometry.Coordinates; !b.Contains(orb.Point(pt)) {
					t.Errorf("z%d: cluster at %v outside its tile %v", z, pt, b)
				}
			} else {
				total++
			}
		}
		want := inTile(tile)
		if total != want || (want > 1000) != got.Clustered || len(got.Features) > 1000 {
			t.Errorf("z%d: %d features (clustered %v) account for %d assets, want %d", z, len(got.Features), got.Clustered, total, want)
		}
		if z == 11 && (!got.Clustered || len(got.Features) > 64) {
			t.Errorf("z11 is not clustered on the 8 × 8 grid: %d features", len(got.Features))
		}
	}
	var p map[string]any
	if res := e.get("/api/v1/clusters/pipes/12/1/1", &p); res.StatusCode != 404 {
		t.Errorf("unknown kind: %d", res.StatusCode)
	}
	if res := e.get("/api/v1/clusters/manhole/5/99/1", &p); res.StatusCode != 404 {
		t.Errorf("tile out of range: %d", res.StatusCode)
	}
}
