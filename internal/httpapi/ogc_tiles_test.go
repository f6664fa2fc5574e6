package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"inframap/internal/postgres/pgtest"
)

type tileLinkJSON struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type"`
	Templated bool   `json:"templated"`
}

func tileLinkOf(links []tileLinkJSON, rel string) tileLinkJSON {
	for _, l := range links {
		if l.Rel == rel {
			return l
		}
	}
	return tileLinkJSON{}
}

// getJSON fetches an absolute or server-relative URL and decodes its JSON.
func (e *env) getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, body := e.fetch(u)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: %d %s: %s", u, res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// TestOGCTiles follows OGC API – Tiles from the landing page as a client
// does — tilesets, tileset, tile matrix set, the tile template — checking
// the elements the standard (and TMS 2.0) require, and that the tile it
// leads to is the one /tiles serves, with the same ETag and cache policy,
// and that GDAL's MVT driver reads it. (GDAL 3.6's OGCAPI driver follows
// the same links, but makes no layers of a vector tileset in Web
// Mercator; GDAL 3.8 and later do.)
func TestOGCTiles(t *testing.T) {
	e := newEnv(t, pgtest.District)
	const tiles = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"

	var conf struct{ ConformsTo []string }
	e.getJSON(t, "/ogc/conformance", &conf)
	for _, c := range []string{"ogcapi-tiles-1/1.0/conf/core", "ogcapi-tiles-1/1.0/conf/tileset", "ogcapi-tiles-1/1.0/conf/tilesets-list",
		"ogcapi-tiles-1/1.0/conf/geodata-tilesets", "ogcapi-tiles-1/1.0/conf/dataset-tilesets", "ogcapi-tiles-1/1.0/conf/mvt",
		"tms/2.0/conf/tilematrixset", "tms/2.0/conf/json-tilematrixset"} {
		if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/"+c) {
			t.Errorf("conformance lacks %s", c)
		}
	}

	var landing struct{ Links []tileLinkJSON }
	e.getJSON(t, "/ogc", &landing)
	if l := tileLinkOf(landing.Links, tiles); l.Href != e.srv.URL+"/ogc/tiles" || l.Type != "application/json" {
		t.Errorf("landing: dataset tilesets link %+v", l)
	}
	schemes := tileLinkOf(landing.Links, "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes").Href

	// The tile matrix sets: WebMercatorQuad, in TMS 2.0.
	var sets struct {
		TileMatrixSets []struct {
			ID, URI string
			Links   []tileLinkJSON
		}
	}
	e.getJSON(t, schemes, &sets)
	if len(sets.TileMatrixSets) != 1 || sets.TileMatrixSets[0].ID != "WebMercatorQuad" ||
		sets.TileMatrixSets[0].URI != "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad" {
		t.Fatalf("tile matrix sets: %+v", sets)
	}
	var tms struct {
		ID, CRS      string
		TileMatrices []struct {
			ID                                               string
			ScaleDenominator, CellSize                       float64
			CornerOfOrigin                                   string
			PointOfOrigin                                    []float64
			TileWidth, TileHeight, MatrixWidth, MatrixHeight int
		}
	}
	e.getJSON(t, tileLinkOf(sets.TileMatrixSets[0].Links, "self").Href, &tms)
	if tms.ID != "WebMercatorQuad" || tms.CRS != "http://www.opengis.net/def/crs/EPSG/0/3857" || len(tms.TileMatrices) != 23 {
		t.Fatalf("WebMercatorQuad: %s %s, %d matrices", tms.ID, tms.CRS, len(tms.TileMatrices))
	}
	for z, m := range tms.TileMatrices {
		if m.ID != strconv.Itoa(z) || m.MatrixWidth != 1<<z || m.MatrixHeight != 1<<z || m.TileWidth != 256 || m.TileHeight != 256 ||
			len(m.PointOfOrigin) != 2 || m.PointOfOrigin[0] != -20037508.3427892 || m.PointOfOrigin[1] != 20037508.3427892 ||
			m.CellSize*256*float64(m.MatrixWidth) < 40075016.68 || m.CellSize*256*float64(m.MatrixWidth) > 40075016.69 ||
			m.ScaleDenominator/m.CellSize < 3571.42 || m.ScaleDenominator/m.CellSize > 3571.43 {
			t.Errorf("tile matrix %d: %+v", z, m)
		}
	}

	// A collection's tilesets, then its tileset, then a tile.
	var coll struct{ Links []tileLinkJSON }
	e.getJSON(t, "/ogc/collections/manhole", &coll)
	var list struct {
		Links    []tileLinkJSON
		Tilesets []struct {
			DataType, CRS, TileMatrixSetURI string
			Links                           []tileLinkJSON
		}
	}
	e.getJSON(t, tileLinkOf(coll.Links, tiles).Href, &list)
	if len(list.Tilesets) != 1 || list.Tilesets[0].DataType != "vector" || list.Tilesets[0].CRS != tms.CRS ||
		list.Tilesets[0].TileMatrixSetURI != sets.TileMatrixSets[0].URI || tileLinkOf(list.Links, "self").Href == "" {
		t.Fatalf("manhole tilesets: %+v", list)
	}
	type tilesetJSON struct {
		DataType, CRS, TileMatrixSetURI string
		Links                           []tileLinkJSON
		Layers                          []struct {
			ID, DataType      string
			GeometryDimension *int
		}
		TileMatrixSetLimits []struct {
			TileMatrix                                     string
			MinTileRow, MaxTileRow, MinTileCol, MaxTileCol int
		}
		BoundingBox struct{ LowerLeft, UpperRight []float64 }
	}
	var ts tilesetJSON
	e.getJSON(t, tileLinkOf(list.Tilesets[0].Links, "self").Href, &ts)
	if ts.DataType != "vector" || ts.CRS != tms.CRS || ts.TileMatrixSetURI != sets.TileMatrixSets[0].URI ||
		tileLinkOf(ts.Links, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme").Href != tileLinkOf(sets.TileMatrixSets[0].Links, "self").Href {
		t.Errorf("manhole tileset: %+v", ts)
	}
	if len(ts.Layers) != 1 || ts.Layers[0].ID != "manhole" || ts.Layers[0].GeometryDimension == nil || *ts.Layers[0].GeometryDimension != 0 {
		t.Errorf("manhole tileset layers: %+v", ts.Layers)
	}
	// Jingyang Square's z14 tile (column 13893, row 5965) holds manholes.
	if len(ts.TileMatrixSetLimits) != 23 {
		t.Fatalf("limits: %+v", ts.TileMatrixSetLimits)
	}
	if l := ts.TileMatrixSetLimits[14]; l.TileMatrix != "14" || l.MinTileCol > 13893 || l.MaxTileCol < 13893 || l.MinTileRow > 5965 || l.MaxTileRow < 5965 {
		t.Errorf("z14 limits %+v leave out the tile over Jingyang Square", l)
	}
	item := tileLinkOf(ts.Links, "item")
	if !item.Templated || item.Type != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("tile template: %+v", item)
	}
	url := strings.NewReplacer("{tileMatrix}", "14", "{tileRow}", "5965", "{tileCol}", "13893").Replace(item.Href)
	res, tile := e.fetch(url)
	direct, want := e.fetch("/tiles/manhole/" + jingyangTile + ".mvt")
	if res.StatusCode != 200 || !bytes.Equal(tile, want) || len(tile) == 0 || res.Header.Get("ETag") != direct.Header.Get("ETag") ||
		res.Header.Get("Cache-Control") != "public, max-age=60" || res.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Errorf("GET %s: %d, %d bytes (/tiles has %d), ETag %s (/tiles %s), Cache-Control %q",
			url, res.StatusCode, len(tile), len(want), res.Header.Get("ETag"), direct.Header.Get("ETag"), res.Header.Get("Cache-Control"))
	}
	if res, _ := e.fetch(url, "If-None-Match", direct.Header.Get("ETag")); res.StatusCode != 304 {
		t.Errorf("revalidation: %d", res.StatusCode)
	}
	// Its length is told, on HEAD too (GDAL's /vsicurl/ sizes files so),
	// and is the compressed one when the tile is sent compressed.
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, c := range []struct{ method, encoding string }{{"HEAD", "identity"}, {"GET", "identity"}, {"GET", "gzip"}} {
		req, _ := http.NewRequest(c.method, url, nil)
		req.Header.Set("Accept-Encoding", c.encoding)
		res, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			unzipped, _ := io.ReadAll(zr)
			if !bytes.Equal(unzipped, tile) || (res.ContentLength >= 0 && res.ContentLength != int64(len(b))) {
				t.Errorf("gzipped tile: %d bytes (Content-Length %d), %d unzipped, want %d", len(b), res.ContentLength, len(unzipped), len(tile))
			}
			continue
		}
		if res.ContentLength != int64(len(tile)) || c.method == "GET" && !bytes.Equal(b, tile) {
			t.Errorf("%s %s (%s): Content-Length %d, %d bytes; want %d", c.method, url, c.encoding, res.ContentLength, len(b), len(tile))
		}
	}
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/ogc/collections/manhole/tiles/WebMercatorQuad/14/5965/13893?f=mvt", 200},
		{"/ogc/collections/manhole/tiles/WebMercatorQuad/14/5965/13893?f=json", 400},
		{"/ogc/collections/manhole/tiles/WebMercatorQuad/14/16384/0", 404},
		{"/ogc/collections/manhole/tiles/WebMercatorQuad/23/0/0", 404},
		{"/ogc/collections/manhole/tiles/WebMercatorQuad/a/0/0", 400},
		{"/ogc/collections/manhole/tiles/WorldCRS84Quad", 404},
		{"/ogc/collections/manholes/tiles", 404},
		{"/ogc/collections/all/tiles/WebMercatorQuad/0/0/0", 404},
		{"/ogc/tileMatrixSets/WorldCRS84Quad", 404},
	} {
		if res, body := e.fetch(c.path); res.StatusCode != c.status {
			t.Errorf("GET %s: %d, want %d: %s", c.path, res.StatusCode, c.status, body)
		}
	}

	// The dataset's tileset: a layer per kind, tiles of every kind.
	var dlist struct {
		Tilesets []struct{ Links []tileLinkJSON }
	}
	e.getJSON(t, tileLinkOf(landing.Links, tiles).Href, &dlist)
	var dts tilesetJSON
	e.getJSON(t, tileLinkOf(dlist.Tilesets[0].Links, "self").Href, &dts)
	if len(dts.Layers) != 6 {
		t.Errorf("dataset tileset layers: %+v", dts.Layers)
	}
	durl := strings.NewReplacer("{tileMatrix}", "14", "{tileRow}", "5965", "{tileCol}", "13893").Replace(tileLinkOf(dts.Links, "item").Href)
	_, dtile := e.fetch(durl)
	_, dwant := e.fetch("/tiles/all/" + jingyangTile + ".mvt")
	if !bytes.Equal(dtile, dwant) || len(dtile) == 0 {
		t.Errorf("dataset tile %s: %d bytes, /tiles/all has %d", durl, len(dtile), len(dwant))
	}

	// GDAL reads, over HTTP, the tile the landing page led to (landing →
	// collection → its tilesets → the tileset → the item template): the
	// features PostGIS finds in it (and its buffer). GDAL 3.6's OGCAPI
	// driver lists our collections but builds no layer from vector
	// tilesets, so its MVT driver reads the tile at the template's address
	// (the OGC order is matrix/row/col, hence the tile's place given).
	out := gdal(t, "ogrinfo", "-ro", "-so", "-oo", "Z=14", "-oo", "X=13893", "-oo", "Y=5965",
		"/vsicurl?list_dir=no&url="+neturl.QueryEscape(url), "manhole")
	var n int
	e.sql.QueryRow(t.Context(), `SELECT count(*) FROM assets WHERE kind = 'manhole'
		AND ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(14, 13893, 5965, margin => 64.0 / 4096))`).Scan(&n)
	if n == 0 || !strings.Contains(out, "Feature Count: "+strconv.Itoa(n)+"\n") {
		t.Errorf("GDAL reads the OGC tile as:\n%s\nPostGIS finds %d manholes in it", out, n)
	}
}
