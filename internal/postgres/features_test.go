package postgres_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// aFeatureIDs runs Features and returns the ids it emits. Geometries come
// in CRS84 unless q names a CRS (the zero CRS is no CRS to PostGIS).
func aFeatureIDs(t *testing.T, db *postgres.DB, q maint.FeatureQuery) []int64 {
	t.Helper()
	if q.CRS.SRID == 0 {
		q.CRS = gis.CRS84
	}
	ids := []int64{}
	err := db.Features(t.Context(), q, func(a *maint.Asset) error {
		if a.Kind != q.Kind {
			t.Errorf("Features(%+v) emitted asset %d of kind %s", q, a.ID, a.Kind)
		}
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("Features(%+v): %v", q, err)
	}
	return ids
}

// TestFeatures checks the OGC API Features reads of one collection, each
// filter against a query of its own, and that CountFeatures counts what
// Features gives without paging.
func TestFeatures(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	var lon, lat float64
	if err := sql.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas
		WHERE kind = 'subdistrict' AND name = '春城街道') z`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	box := &gis.BBox{MinLon: lon - 0.01, MinLat: lat - 0.01, MaxLon: lon + 0.01, MaxLat: lat + 0.01}
	from, to := time.Date(2023, 6, 1, 0, 0, 0, 0, maint.Zone), time.Date(2023, 7, 1, 0, 0, 0, 0, maint.Zone)
	var stamp time.Time // a status_at that some manhole has, as an inclusive bound
	if err := sql.QueryRow(ctx, `SELECT status_at FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&stamp); err != nil {
		t.Fatal(err)
	}
	var code, zone string
	if err := sql.QueryRow(ctx, `SELECT code, subdistrict FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1 OFFSET 7`).Scan(&code, &zone); err != nil {
		t.Fatal(err)
	}
	manhole := maint.KindManhole
	cases := []struct {
		name  string
		q     maint.FeatureQuery
		where string
		args  []any
	}{
		{"kind", maint.FeatureQuery{Kind: manhole}, `true`, nil},
		{"another kind", maint.FeatureQuery{Kind: maint.KindRoadRepair}, `true`, nil},
		{"bbox", maint.FeatureQuery{Kind: manhole, BBox: box}, `ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))`,
			[]any{box.MinLon, box.MinLat, box.MaxLon, box.MaxLat}},
		{"bbox in CRS84 by SRID", maint.FeatureQuery{Kind: manhole, BBox: box, BBoxSRID: 4326}, `ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))`,
			[]any{box.MinLon, box.MinLat, box.MaxLon, box.MaxLat}},
		{"datetime interval", maint.FeatureQuery{Kind: manhole, HasTime: true, From: &from, To: &to}, `status_at BETWEEN $1 AND $2`, []any{from, to}},
		{"datetime open start", maint.FeatureQuery{Kind: manhole, HasTime: true, To: &to}, `status_at <= $1`, []any{to}},
		{"datetime open end", maint.FeatureQuery{Kind: manhole, HasTime: true, From: &from}, `status_at >= $1`, []any{from}},
		{"datetime instant included", maint.FeatureQuery{Kind: manhole, HasTime: true, From: &stamp, To: &stamp}, `status_at = $1`, []any{stamp}},
		{"no temporal filter without HasTime", maint.FeatureQuery{Kind: manhole, From: &from, To: &to}, `true`, nil},
		{"status", maint.FeatureQuery{Kind: manhole, Statuses: []maint.Status{maint.StatusReported, maint.StatusFiled}},
			`status IN ('reported', 'filed')`, nil},
		{"property code", maint.FeatureQuery{Kind: manhole, Props: []maint.PropertyFilter{{Name: "code", Value: code}}}, `code = $1`, []any{code}},
		{"property subdistrict", maint.FeatureQuery{Kind: manhole, Props: []maint.PropertyFilter{{Name: "subdistrict", Value: zone}}},
			`subdistrict = $1`, []any{zone}},
		{"attribute", maint.FeatureQuery{Kind: manhole, Props: []maint.PropertyFilter{{Name: "cover_category", Value: "0103"}}},
			`attrs @> '{"cover_category": "0103"}'`, nil},
		{"numeric attribute", maint.FeatureQuery{Kind: manhole, Props: []maint.PropertyFilter{{Name: "defect_grade", Value: "3"}}},
			`attrs @> '{"defect_grade": 3}'`, nil},
		{"two properties", maint.FeatureQuery{Kind: manhole, Props: []maint.PropertyFilter{
			{Name: "subdistrict", Value: zone}, {Name: "load_class", Value: "D400"}}},
			`subdistrict = $1 AND attrs @> '{"load_class": "D400"}'`, []any{zone}},
		{"unknown attribute", maint.FeatureQuery{Kind: manhole, Props: []maint.PropertyFilter{{Name: "nope", Value: "1"}}}, `false`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := aIDs(t, sql, `SELECT id FROM assets WHERE kind = '`+string(c.q.Kind)+`' AND `+c.where+` ORDER BY id`, c.args...)
			q := c.q
			q.Limit = aAll
			got := aFeatureIDs(t, db, q)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Features(%s): %d, want %d (-want +got):\n%s", c.name, len(got), len(want), diff)
			}
			// Paging does not change the count.
			q.Offset, q.Limit = 3, 2
			n, err := db.CountFeatures(ctx, q)
			if err != nil || n != int64(len(want)) {
				t.Errorf("CountFeatures(%s) = %d, %v; want %d", c.name, n, err, len(want))
			}
		})
	}

	t.Run("limit and offset", func(t *testing.T) {
		all := aFeatureIDs(t, db, maint.FeatureQuery{Kind: manhole, Limit: aAll})
		for _, page := range []struct{ offset, limit int }{{0, 10}, {10, 5}, {len(all) - 3, 10}, {len(all), 10}, {0, 0}} {
			got := aFeatureIDs(t, db, maint.FeatureQuery{Kind: manhole, Offset: page.offset, Limit: page.limit})
			want := all[page.offset:min(page.offset+page.limit, len(all))]
			if !slices.Equal(got, want) {
				t.Errorf("Features(offset %d, limit %d) = %v, want %v", page.offset, page.limit, got, want)
			}
		}
	})
}

// TestFeature reads single features in CRS84 and in the latitude-first
// CRSs, and refuses an id of another collection.
func TestFeature(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	id := aFirstIDs(t, db, maint.KindManhole, 1)[0]
	var lon, lat float64
	if err := sql.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM assets WHERE id = $1`, id).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		crs  gis.CRS
		want orb.Point
	}{{gis.CRS84, orb.Point{lon, lat}}, {gis.EPSG4326, orb.Point{lat, lon}}, {gis.EPSG4490, orb.Point{lat, lon}}} {
		a, err := db.Feature(ctx, maint.KindManhole, id, c.crs)
		if err != nil {
			t.Fatalf("Feature(manhole, %d, %s): %v", id, c.crs.URI, err)
		}
		p, ok := aDecode(t, a.Geometry).(orb.Point)
		if !ok || a.ID != id || a.Kind != maint.KindManhole || !orb.Equal(orb.Round(p, 1e6), orb.Round(c.want, 1e6)) {
			t.Errorf("Feature(manhole, %d, %s) = id %d, geometry %s; want %v", id, c.crs.URI, a.ID, a.Geometry, c.want)
		}
	}
	missing := aCount(t, sql, `SELECT max(id) + 1 FROM assets`)
	for _, c := range []struct {
		kind maint.Kind
		id   int64
	}{{maint.KindRoadRepair, id}, {maint.KindManhole, missing}} {
		a, err := db.Feature(ctx, c.kind, c.id, gis.CRS84)
		if maint.ErrorCode(err) != maint.CodeNotFound {
			t.Errorf("Feature(%s, %d) = %v, %v; want code %s", c.kind, c.id, a, err, maint.CodeNotFound)
		}
	}
}

// TestExtents checks each kind's count, box and time span against the
// district, in the order of maint.Kinds, and that an empty database has
// none.
func TestExtents(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	exts, err := db.Extents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []maint.Extent
	for _, k := range maint.Kinds {
		e := maint.Extent{Kind: k, BBox: &gis.BBox{}}
		var first, last *time.Time
		err := sql.QueryRow(ctx, `SELECT count(*), min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom)),
			min(status_at), max(status_at) FROM assets WHERE kind = $1`, string(k)).
			Scan(&e.Count, &e.BBox.MinLon, &e.BBox.MinLat, &e.BBox.MaxLon, &e.BBox.MaxLat, &first, &last)
		if err != nil {
			t.Fatal(err)
		}
		e.First, e.Last = first, last
		want = append(want, e)
	}
	if diff := cmp.Diff(want, exts); diff != "" {
		t.Errorf("Extents (-want +got):\n%s", diff)
	}

	empty := pgtest.NewDB(t, pgtest.Empty)
	if exts, err := empty.Extents(ctx); err != nil || len(exts) != 0 {
		t.Errorf("Extents of an empty database = %v, %v; want none", exts, err)
	}
}

// TestAttributeKeys checks the attribute names of the district's kinds: by
// kind in the order asked, then by name, each once.
func TestAttributeKeys(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	keysOf := map[maint.Kind][]string{}
	rows, err := sql.Query(ctx, `SELECT DISTINCT kind, jsonb_object_keys(attrs) FROM assets ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, key string
		if err := rows.Scan(&k, &key); err != nil {
			t.Fatal(err)
		}
		keysOf[maint.Kind(k)] = append(keysOf[maint.Kind(k)], key)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	expect := func(kinds []maint.Kind) []string {
		out := []string{}
		for _, k := range kinds {
			for _, key := range keysOf[k] {
				if !slices.Contains(out, key) {
					out = append(out, key)
				}
			}
		}
		return out
	}
	for _, kinds := range [][]maint.Kind{nil, {maint.KindManhole}, {maint.KindParkingLot, maint.KindRoadRepair}, {maint.KindRoadRepair, maint.KindParkingLot}} {
		want := expect(kinds)
		if kinds == nil {
			want = expect(maint.Kinds)
		}
		got, err := db.AttributeKeys(ctx, kinds)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("AttributeKeys(%v) (-want +got):\n%s", kinds, diff)
		}
	}
}

// TestAttributeTypes checks each attribute's majority JSON type against a
// count made in Go.
func TestAttributeTypes(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	for _, k := range maint.Kinds {
		rows, err := sql.Query(ctx, `SELECT attrs::text FROM assets WHERE kind = $1`, string(k))
		if err != nil {
			t.Fatal(err)
		}
		docs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]map[string]int{}
		for _, d := range docs {
			var m map[string]any
			if err := json.Unmarshal([]byte(d), &m); err != nil {
				t.Fatal(err)
			}
			for key, v := range m {
				typ := ""
				switch v.(type) {
				case string:
					typ = "string"
				case float64:
					typ = "number"
				case bool:
					typ = "boolean"
				default:
					continue
				}
				if counts[key] == nil {
					counts[key] = map[string]int{}
				}
				counts[key][typ]++
			}
		}
		want := []maint.AttributeType{}
		for key, c := range counts {
			best := ""
			for _, typ := range []string{"string", "number", "boolean"} {
				if best == "" || c[typ] > c[best] {
					best = typ
				}
			}
			want = append(want, maint.AttributeType{Name: key, Type: best})
		}
		slices.SortFunc(want, func(a, b maint.AttributeType) int { return strings.Compare(a.Name, b.Name) })
		got, err := db.AttributeTypes(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil {
			got = []maint.AttributeType{}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("AttributeTypes(%s) (-want +got):\n%s", k, diff)
		}
	}
}
