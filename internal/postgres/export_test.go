package postgres_test

// The tests of export.go. export_test.go, the usual name, is taken by the
// hooks package postgres exports to its tests.

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom/encoding/ewkb"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// aExported is what a test keeps of an exported asset.
type aExported struct {
	ID         int64
	Kind       maint.Kind
	Code       string
	ParentCode string
	Lon, Lat   *float64
	Attrs      map[string]any
	Geometry   orb.Geometry
}

// aExport runs ExportAssets and decodes what it emits.
func aExport(t *testing.T, db *postgres.DB, f maint.ExportFilter) (keys []string, got []aExported) {
	t.Helper()
	starts := 0
	err := db.ExportAssets(t.Context(), f, func(k []string) error {
		starts++
		if len(got) > 0 {
			t.Errorf("ExportAssets(%+v): start after %d assets", f, len(got))
		}
		keys = slices.Clone(k)
		return nil
	}, func(e *maint.ExportedAsset) error {
		x := aExported{ID: e.ID, Kind: e.Kind, Code: e.Code, ParentCode: e.ParentCode, Lon: e.Lon, Lat: e.Lat}
		if err := json.Unmarshal(e.Attrs, &x.Attrs); err != nil {
			t.Errorf("asset %d: attrs %s: %v", e.ID, e.Attrs, err)
		}
		var err error
		switch f.Geometry {
		case maint.GeometryGeoJSON:
			x.Geometry = aDecode(t, e.Geometry)
		case maint.GeometryWKT:
			x.Geometry, err = gis.ParseWKT(string(e.Geometry), gis.MaxVertices)
		case maint.GeometryEWKB:
			x.Geometry, err = gis.DecodeEWKB(e.Geometry)
			if g, err := ewkb.Unmarshal(e.Geometry); err != nil || g.SRID() != gis.SRID {
				t.Errorf("asset %d: EWKB %x without SRID %d (%v)", e.ID, e.Geometry, gis.SRID, err)
			}
		}
		if err != nil {
			t.Errorf("asset %d: geometry %q: %v", e.ID, e.Geometry, err)
		} else {
			// EWKB keeps every bit, the text encodings seven decimals.
			x.Geometry = orb.Round(x.Geometry, 1e7)
		}
		got = append(got, x)
		return nil
	})
	if err != nil {
		t.Fatalf("ExportAssets(%+v): %v", f, err)
	}
	if starts != 1 {
		t.Errorf("ExportAssets(%+v) called start %d times", f, starts)
	}
	return keys, got
}

// TestExportAssets exports a few assets in each geometry encoding and
// checks the header, the order (kinds in their order, then id), parents'
// codes, point coordinates, attributes and geometries.
func TestExportAssets(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	ctx := t.Context()
	p := orb.Point{125.2512345, 43.8812345}
	create := func(in maint.NewAsset) aExported {
		t.Helper()
		a, err := db.CreateAsset(ctx, aStaff, "", in)
		if err != nil {
			t.Fatalf("CreateAsset(%s): %v", in.Code, err)
		}
		var attrs map[string]any
		b, _ := json.Marshal(in.Attrs)
		json.Unmarshal(b, &attrs)
		return aExported{ID: a.ID, Kind: a.Kind, Code: a.Code, Attrs: attrs, Geometry: aDecode(t, a.Geometry)}
	}
	manhole := create(aNewAsset(t, maint.KindManhole, "2201060101000001", "井", p, aManholeAttrs()))
	manhole.Lon, manhole.Lat = &p[0], &p[1]
	road := create(aNewAsset(t, maint.KindRoadRepair, "DL-T-1", "路", orb.LineString{p, {p[0] + 0.001, p[1]}}, map[string]any{"area_m2": 120.5}))
	lot := create(aNewAsset(t, maint.KindParkingLot, "TCC-T-1", "停车场", aSquare(p, 0.001), map[string]any{"spaces": 2, "tariff": "free"}))
	var bays []aExported
	for i, code := range []string{"TCC-T-1-002", "TCC-T-1-001"} {
		in := aNewAsset(t, maint.KindParkingSpace, code, "泊位", aSquare(orb.Point{p[0] + 0.0002*float64(i), p[1]}, 0.0001), map[string]any{"space_type": "standard"})
		in.ParentID = &lot.ID
		bay := create(in)
		bay.ParentCode = lot.Code
		bays = append(bays, bay)
	}
	if manhole.Geometry == nil || !orb.Equal(manhole.Geometry, p) {
		t.Fatalf("the manhole was stored at %v, not %v", manhole.Geometry, p)
	}

	// A cover's row carries its register among its attributes, first.
	if _, err := pgtest.SQL(t, db).Exec(ctx, `INSERT INTO cover_register (asset_id, anti_fall_net, last_inspected_on) VALUES ($1, false, '2025-03-01')`, manhole.ID); err != nil {
		t.Fatal(err)
	}
	manhole.Attrs["owner_unit"], manhole.Attrs["anti_fall_net"], manhole.Attrs["last_inspected_on"] = "供水公司", false, "2025-03-01"
	register := []string{"owner_unit", "anti_fall_net", "last_inspected_on"}

	all := append(append([]aExported{road, lot}, bays...), manhole)
	allKeys := slices.Concat(register, []string{"area_m2", "spaces", "tariff", "space_type", "cover_category", "defect_grade", "defect_type", "load_class"})
	cases := []struct {
		name  string
		f     maint.ExportFilter
		keys  []string
		want  []aExported
		kinds []maint.Kind
	}{
		{"every kind as GeoJSON", maint.ExportFilter{Geometry: maint.GeometryGeoJSON}, allKeys, all, nil},
		{"every kind as WKT", maint.ExportFilter{Geometry: maint.GeometryWKT}, allKeys, all, nil},
		{"every kind as EWKB", maint.ExportFilter{Geometry: maint.GeometryEWKB}, allKeys, all, nil},
		{"kinds out of order", maint.ExportFilter{Kinds: []maint.Kind{maint.KindManhole, maint.KindParkingSpace, maint.KindParkingLot}},
			slices.Concat(register, []string{"spaces", "tariff", "space_type", "cover_category", "defect_grade", "defect_type", "load_class"}),
			append(append([]aExported{lot}, bays...), manhole), []maint.Kind{maint.KindParkingLot, maint.KindParkingSpace, maint.KindManhole}},
		{"one kind", maint.ExportFilter{Kinds: []maint.Kind{maint.KindRoadRepair}, Geometry: maint.GeometryWKT},
			[]string{"area_m2"}, []aExported{road}, []maint.Kind{maint.KindRoadRepair}},
		{"a kind with no assets", maint.ExportFilter{Kinds: []maint.Kind{maint.KindCapitalProject}}, []string{}, nil, []maint.Kind{maint.KindCapitalProject}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys, got := aExport(t, db, c.f)
			if diff := cmp.Diff(c.keys, keys, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ExportAssets(%+v) attribute keys (-want +got):\n%s", c.f, diff)
			}
			attrKeys := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(register, k) })
			if stored, err := db.AttributeKeys(ctx, c.kinds); err != nil || !slices.Equal(stored, attrKeys) {
				t.Errorf("ExportAssets(%+v) keys %v; AttributeKeys says %v (%v)", c.f, keys, stored, err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("ExportAssets(%+v) (-want +got):\n%s", c.f, diff)
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		stop := errors.New("stop")
		started, emitted := 0, 0
		start := func([]string) error { started++; return nil }
		emit := func(*maint.ExportedAsset) error { emitted++; return stop }
		if err := db.ExportAssets(ctx, maint.ExportFilter{Geometry: 99}, start, emit); err == nil || started != 0 {
			t.Errorf("ExportAssets(encoding 99) = %v after %d starts; want an error before starting", err, started)
		}
		if err := db.ExportAssets(ctx, maint.ExportFilter{}, start, emit); !errors.Is(err, stop) || emitted != 1 {
			t.Errorf("ExportAssets with emit failing = %v after %d assets; want emit's error after one", err, emitted)
		}
		emitted = 0
		if err := db.ExportAssets(ctx, maint.ExportFilter{}, func([]string) error { return stop }, emit); !errors.Is(err, stop) || emitted != 0 {
			t.Errorf("ExportAssets with start failing = %v after %d assets; want start's error and none", err, emitted)
		}
	})
}
