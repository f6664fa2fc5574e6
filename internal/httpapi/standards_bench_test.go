package httpapi_test

import (
	"testing"

	"inframap/internal/postgres/pgtest"
)

// Tiles over Jingyang Square (~125.27, 43.88) at three zooms, every layer.
func BenchmarkTile(b *testing.B) {
	e := newEnv(b, pgtest.District)
	for _, z := range []string{"12/3473/1491", "14/13893/5965", "16/55572/23860"} {
		b.Run("all/"+z, func(b *testing.B) {
			runParallelGets(b, []string{e.srv.URL + "/tiles/all/" + z + ".mvt"})
		})
	}
}

// BenchmarkOGCViewport1km is the 1 km viewport around Jingyang Square
// through OGC API Features, every feature of a kind in one page.
func BenchmarkOGCViewport1km(b *testing.B) {
	e := newEnv(b, pgtest.District)
	runParallelGets(b, []string{e.srv.URL + "/ogc/collections/manhole/items?limit=10000&bbox=" + viewport1km})
}

// BenchmarkOGCManholes fetches the whole manhole collection in one page.
func BenchmarkOGCManholes(b *testing.B) {
	e := newEnv(b, pgtest.District)
	runParallelGets(b, []string{e.srv.URL + "/ogc/collections/manhole/items?limit=10000"})
}

// BenchmarkOGCManholesRegister is BenchmarkOGCManholes with every cover's
// register known (its anti-fall net and last inspection), as in a district
// whose register was imported: each feature then carries all of it.
func BenchmarkOGCManholesRegister(b *testing.B) {
	e := newEnv(b, pgtest.District)
	if _, err := e.sql.Exec(b.Context(), `INSERT INTO cover_register (asset_id, anti_fall_net, last_inspected_on)
		SELECT id, id % 7 <> 0, DATE '2025-06-01' - (id % 90)::int FROM assets WHERE kind = 'manhole'
		ON CONFLICT (asset_id) DO NOTHING; ANALYZE cover_register`); err != nil {
		b.Fatal(err)
	}
	runParallelGets(b, []string{e.srv.URL + "/ogc/collections/manhole/items?limit=10000"})
}

// BenchmarkExport streams the whole district in each format.
func BenchmarkExport(b *testing.B) {
	e := newEnv(b, pgtest.District)
	for _, f := range []string{"geojson", "csv", "kml"} {
		b.Run(f, func(b *testing.B) {
			runParallelGets(b, []string{e.srv.URL + "/api/v1/export?format=" + f})
		})
	}
}
