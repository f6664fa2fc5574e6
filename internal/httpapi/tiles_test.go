package httpapi_test

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"

	"inframap/internal/httpx"
	"inframap/internal/postgres/pgtest"
)

// jingyangTile is the z14 tile over Jingyang Square (~125.27, 43.88).
const jingyangTile = "14/13893/5965"

func TestTileAddresses(t *testing.T) {
	e := newEnv(t, pgtest.District)
	cases := []struct {
		path   string
		status int
	}{
		{"/tiles/manhole/" + jingyangTile + ".mvt", 200},
		{"/tiles/all/" + jingyangTile + ".mvt", 200},
		{"/tiles/all/0/0/0.mvt", 200},
		{"/tiles/all/22/0/0.mvt", 200},
		{"/tiles/all/14/0/0.mvt", 200}, // far away: an empty tile
		{"/tiles/all/23/0/0.mvt", 404},
		{"/tiles/all/1/2/0.mvt", 404},
		{"/tiles/all/1/0/2.mvt", 404},
		{"/tiles/all/99999999999/0/0.mvt", 400},
		{"/tiles/all/a/0/0.mvt", 400},
		{"/tiles/all/1/-1/0.mvt", 400},
		{"/tiles/all/1/+1/0.mvt", 400},
		{"/tiles/all/1/0/0.5.mvt", 400},
		{"/tiles/all/1/0/0.mvt?kind=manhole", 400},
		{"/tiles/manholes/1/0/0.mvt", 404},
		{"/tiles/all/1/0/0.pbf", 404},
		{"/tiles/manholes.json", 404},
	}
	for _, c := range cases {
		res, body := e.fetch(c.path)
		if res.StatusCode != c.status {
			t.Errorf("GET %s: %d, want %d (%s)", c.path, res.StatusCode, c.status, body)
			continue
		}
		if c.status == 200 && res.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
			t.Errorf("GET %s: Content-Type %q", c.path, res.Header.Get("Content-Type"))
		}
		if c.status != 200 {
			var p httpx.Problem
			if err := json.Unmarshal(body, &p); err != nil || p.Status != c.status {
				t.Errorf("GET %s: not a problem: %s", c.path, body)
			}
		}
	}
	if res, body := e.fetch("/tiles/all/14/0/0.mvt"); len(body) != 0 || res.Header.Get("ETag") == "" {
		t.Errorf("empty tile: %d bytes, ETag %q", len(body), res.Header.Get("ETag"))
	}
}

// TestTileETag checks the validators: a repeat is a 304, and the ETag
// changes as soon as an asset in the tile or its task changes, and only
// then.
func TestTileETag(t *testing.T) {
	e := newEnv(t, pgtest.District)
	path := "/tiles/manhole/" + jingyangTile + ".mvt"
	etag := func(want int, ifNoneMatch string) string {
		t.Helper()
		var res *http.Response
		if ifNoneMatch != "" {
			res, _ = e.fetch(path, "If-None-Match", ifNoneMatch)
		} else {
			res, _ = e.fetch(path)
		}
		if res.StatusCode != want {
			t.Fatalf("GET %s (If-None-Match %s): %d, want %d", path, ifNoneMatch, res.StatusCode, want)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=60" {
			t.Errorf("Cache-Control %q", cc)
		}
		return res.Header.Get("ETag")
	}
	first := etag(200, "")
	if first == "" || etag(304, first) != first || etag(304, "W/"+first) != first {
		t.Fatalf("no stable ETag: %q", first)
	}
	// A manhole inside the tile, and one far from it.
	var inside, outside int64
	err := e.sql.QueryRow(t.Context(), `
		SELECT (SELECT min(id) FROM assets WHERE kind = 'manhole' AND ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(14, 13893, 5965))),
		       (SELECT min(id) FROM assets WHERE kind = 'manhole' AND NOT ST_DWithin(ST_Transform(geom, 3857), ST_TileEnvelope(14, 13893, 5965), 5000))`).Scan(&inside, &outside)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := e.sql.Exec(t.Context(), sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`UPDATE assets SET name = name || '（复核）' WHERE id = $1`, outside)
	if etag(304, first) != first {
		t.Error("an edit outside the tile changed its ETag")
	}
	exec(`UPDATE assets SET name = name || '（复核）' WHERE id = $1`, inside)
	second := etag(200, first)
	if second == first {
		t.Fatal("an edit of a manhole in the tile kept the ETag")
	}
	// A task's transition moves its asset's status.
	exec(`UPDATE tasks SET status = CASE status WHEN 'in_progress' THEN 'dispatched' ELSE 'in_progress' END, status_at = now()
		WHERE id = (SELECT id FROM tasks WHERE asset_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1)`, inside)
	third := etag(200, second)
	if third == second {
		t.Fatal("a task transition in the tile kept the ETag")
	}
	// Moving the manhole out of the tile changes it too.
	exec(`UPDATE assets SET geom = (SELECT geom FROM assets WHERE id = $2) WHERE id = $1`, inside, outside)
	if etag(200, third) == third {
		t.Fatal("moving a manhole out of the tile kept the ETag")
	}
}

func TestTileJSON(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var box [4]float64
	if err := e.sql.QueryRow(t.Context(), `SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (SELECT ST_Extent(geom) x FROM assets) t`).
		Scan(&box[0], &box[1], &box[2], &box[3]); err != nil {
		t.Fatal(err)
	}
	for _, layer := range []string{"all", "manhole", "parking_space"} {
		var tj struct {
			TileJSON     string    `json:"tilejson"`
			Tiles        []string  `json:"tiles"`
			MinZoom      int       `json:"minzoom"`
			MaxZoom      int       `json:"maxzoom"`
			Bounds       []float64 `json:"bounds"`
			Center       []float64 `json:"center"`
			VectorLayers []struct {
				ID     string            `json:"id"`
				Fields map[string]string `json:"fields"`
			} `json:"vector_layers"`
		}
		if res := e.get("/tiles/"+layer+".json", &tj); res.StatusCode != 200 {
			t.Fatalf("%s: %d", layer, res.StatusCode)
		}
		if tj.TileJSON != "3.0.0" || tj.MinZoom != 0 || tj.MaxZoom != 22 || len(tj.Tiles) != 1 ||
			tj.Tiles[0] != e.srv.URL+"/tiles/"+layer+"/{z}/{x}/{y}.mvt" || len(tj.Bounds) != 4 || len(tj.Center) != 3 {
			t.Errorf("%s: %+v", layer, tj)
		}
		want := 1
		if layer == "all" {
			want = 6
			for i := range box {
				if math.Abs(tj.Bounds[i]-box[i]) > 1e-7 {
					t.Errorf("bounds %v, PostGIS says %v", tj.Bounds, box)
					break
				}
			}
		}
		if len(tj.VectorLayers) != want || (layer != "all" && tj.VectorLayers[0].ID != layer) {
			t.Errorf("%s: vector layers %+v", layer, tj.VectorLayers)
		}
		for _, f := range []string{"id", "kind", "code", "name", "status"} {
			if tj.VectorLayers[0].Fields[f] == "" {
				t.Errorf("%s: field %s undescribed", layer, f)
			}
		}
	}
}
