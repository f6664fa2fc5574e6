package postgres_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// aNewAsset builds an asset to create.
func aNewAsset(t *testing.T, kind maint.Kind, code, name string, g orb.Geometry, attrs map[string]any) maint.NewAsset {
	t.Helper()
	in := maint.NewAsset{Kind: kind, Code: code, Name: name, Attrs: attrs}
	in.Geometry = g
	return in
}

// aGeometryPatch builds a patch that moves an asset to g.
func aGeometryPatch(t *testing.T, g orb.Geometry) maint.AssetPatch {
	t.Helper()
	return maint.AssetPatch{Geometry: g}
}

// aDecode reads a GeoJSON geometry.
func aDecode(t *testing.T, raw []byte) orb.Geometry {
	t.Helper()
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		t.Fatalf("geometry %s: %v", raw, err)
	}
	return g.Geometry()
}

// aZonePoints returns a point inside each of two sub-districts, with their
// names.
func aZonePoints(t *testing.T, db *postgres.DB) (p1 orb.Point, zone1 string, p2 orb.Point, zone2 string) {
	t.Helper()
	rows, err := pgtest.SQL(t, db).Query(t.Context(), `SELECT name, ST_X(p), ST_Y(p) FROM (
		SELECT id, name, ST_PointOnSurface(geom) AS p FROM areas WHERE kind = 'subdistrict') z ORDER BY id LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	var points []orb.Point
	for rows.Next() {
		var n string
		var p orb.Point
		if err := rows.Scan(&n, &p[0], &p[1]); err != nil {
			t.Fatal(err)
		}
		// Seven decimals, as GeoJSON comes back.
		names, points = append(names, n), append(points, orb.Round(p, 1e7).(orb.Point))
	}
	if len(points) != 2 {
		t.Fatalf("%d sub-districts", len(points))
	}
	return points[0], names[0], points[1], names[1]
}

// aAudit lists the audit events of an action.
func aAudit(t *testing.T, db *postgres.DB, action string) []maint.AuditEvent {
	t.Helper()
	evs, _, err := db.AuditLog(t.Context(), maint.AuditFilter{Action: action, Limit: maint.MaxLimit})
	if err != nil {
		t.Fatalf("AuditLog(%s): %v", action, err)
	}
	return evs
}

// aSquare is a square polygon of side d degrees with its south-west corner
// at p.
func aSquare(p orb.Point, d float64) orb.Polygon {
	return orb.Polygon{{p, {p[0] + d, p[1]}, {p[0] + d, p[1] + d}, {p[0], p[1] + d}, p}}
}

func aManholeAttrs() map[string]any {
	return map[string]any{"cover_category": "0101", "defect_type": "broken_cover", "defect_grade": 2, "load_class": "D400"}
}

// TestCreateAsset creates assets in the district and checks what is stored
// and audited, and each refusal.
func TestCreateAsset(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	inside, zone, inside2, _ := aZonePoints(t, db)
	// A write returns once the change feed has its notice: after commit.
	db, feed := withFeed(t, db)
	changes := feed.count

	t.Run("manhole", func(t *testing.T) {
		in := aNewAsset(t, maint.KindManhole, "2201060101999001", "测试井", inside, aManholeAttrs())
		in.NameEn = "Test manhole"
		a, err := db.CreateAsset(ctx, aStaff, "192.0.2.7", in)
		if err != nil {
			t.Fatal(err)
		}
		if n := changes(); n != 1 {
			t.Errorf("CreateAsset returned with %d change notices seen; want 1", n)
		}
		if a.ID == 0 || a.Kind != in.Kind || a.Code != in.Code || a.Name != in.Name || a.NameEn != in.NameEn ||
			a.Version != 1 || a.Status != nil || len(a.Tasks) != 0 || a.ParentID != nil {
			t.Errorf("CreateAsset(%s) = %+v", in.Code, a)
		}
		if a.Subdistrict != zone {
			t.Errorf("CreateAsset(%s).Subdistrict = %q, want %q, the zone it lies in", in.Code, a.Subdistrict, zone)
		}
		if g := aDecode(t, a.Geometry); !orb.Equal(g, inside) {
			t.Errorf("CreateAsset(%s).Geometry = %v, want %v", in.Code, g, inside)
		}
		var attrs map[string]any
		if err := json.Unmarshal(a.Attrs, &attrs); err != nil || attrs["cover_category"] != "0101" || attrs["defect_grade"] != 2.0 {
			t.Errorf("CreateAsset(%s).Attrs = %s (%v)", in.Code, a.Attrs, err)
		}
		evs := aAudit(t, db, "asset.created")
		if len(evs) != 1 {
			t.Fatalf("%d asset.created events, want 1", len(evs))
		}
		e := evs[0]
		var details map[string]any
		json.Unmarshal(e.Details, &details)
		if e.SubjectType != "asset" || e.SubjectID == nil || *e.SubjectID != a.ID || e.IP != "192.0.2.7" ||
			e.Actor != aStaff.Email || details["code"] != in.Code || details["kind"] != string(in.Kind) {
			t.Errorf("audit of the creation = %+v, details %s", e, e.Details)
		}
	})

	lotCode := "TCC-T-1"
	var lotID int64
	t.Run("lot and bay", func(t *testing.T) {
		lot, err := db.CreateAsset(ctx, aStaff, "", aNewAsset(t, maint.KindParkingLot, lotCode, "测试停车场", aSquare(inside2, 0.001), map[string]any{"spaces": 1}))
		if err != nil {
			t.Fatal(err)
		}
		lotID = lot.ID
		in := aNewAsset(t, maint.KindParkingSpace, "TCC-T-1-001", "1号泊位", aSquare(inside2, 0.0001), map[string]any{"space_type": "standard"})
		in.ParentID = &lot.ID
		bay, err := db.CreateAsset(ctx, aStaff, "", in)
		if err != nil {
			t.Fatal(err)
		}
		if bay.ParentID == nil || *bay.ParentID != lot.ID {
			t.Errorf("bay's parent = %v, want %d", bay.ParentID, lot.ID)
		}
		if g := aDecode(t, lot.Geometry); !orb.Equal(g, aSquare(inside2, 0.001)) {
			t.Errorf("lot geometry = %v", g)
		}
	})
	if lotID == 0 {
		t.FailNow()
	}
	manhole := aFirstIDs(t, db, maint.KindManhole, 1)[0]
	missing := aCount(t, sql, `SELECT max(id) + 1000 FROM assets`)
	outside := orb.Point{116.39, 39.91} // Beijing
	swapped := orb.Point{inside[1], inside[0]}
	bowtie := orb.Polygon{{inside, {inside[0] + 0.001, inside[1] + 0.001}, {inside[0] + 0.001, inside[1]}, {inside[0], inside[1] + 0.001}, inside}}
	bay := func(parent *int64) maint.NewAsset {
		in := aNewAsset(t, maint.KindParkingSpace, "TCC-T-1-002", "2号泊位", aSquare(inside2, 0.0001), map[string]any{"space_type": "standard"})
		in.ParentID = parent
		return in
	}
	withParent := aNewAsset(t, maint.KindManhole, "2201060101999002", "井", inside, aManholeAttrs())
	withParent.ParentID = &lotID

	cases := []struct {
		name  string
		in    maint.NewAsset
		code  maint.Code
		field string
		msg   string
	}{
		{"unknown kind", aNewAsset(t, "bogus", "X-1", "x", inside, nil), maint.CodeInvalid, "", ""},
		{"geometry type of another kind", aNewAsset(t, maint.KindManhole, "2201060101999003", "井", orb.LineString{inside, inside2}, aManholeAttrs()),
			maint.CodeInvalid, "", ""},
		{"invalid geometry", aNewAsset(t, maint.KindParkingLot, "TCC-T-2", "停车场", bowtie, map[string]any{"spaces": 1}),
			maint.CodeInvalid, "geometry", "not valid"},
		{"outside the district", aNewAsset(t, maint.KindManhole, "2201060101999004", "井", outside, aManholeAttrs()),
			maint.CodeInvalid, "geometry", "outside the district boundary"},
		{"lat and lon swapped", aNewAsset(t, maint.KindManhole, "2201060101999005", "井", swapped, aManholeAttrs()),
			maint.CodeInvalid, "geometry", "swapped"},
		{"unknown parent", bay(&missing), maint.CodeInvalid, "parent_id", "does not exist"},
		{"parent not a lot", bay(&manhole), maint.CodeInvalid, "parent_id", "not a parking lot"},
		{"bay without a lot", bay(nil), maint.CodeInvalid, "parent_id", "needs its lot"},
		{"parent of a manhole", withParent, maint.CodeInvalid, "parent_id", "only parking spaces"},
		{"code taken", aNewAsset(t, maint.KindParkingLot, lotCode, "停车场", aSquare(inside2, 0.002), map[string]any{"spaces": 1}),
			maint.CodeConflict, "code", "already exists"},
	}
	count := func() int64 { n, _ := db.CountAssets(ctx); return n }
	before, audits := count(), len(aAudit(t, db, "asset.created"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := db.CreateAsset(ctx, aStaff, "", c.in)
			if maint.ErrorCode(err) != c.code {
				t.Fatalf("CreateAsset(%s) = %v, %v; want code %s", c.name, a, err, c.code)
			}
			e, _ := maint.AsError(err)
			if c.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != c.field) {
				t.Errorf("CreateAsset(%s) = %v; want field %s", c.name, err, c.field)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("CreateAsset(%s) = %v; want it to say %q", c.name, err, c.msg)
			}
		})
	}
	if n, a := count(), len(aAudit(t, db, "asset.created")); n != before || a != audits || changes() != 3 {
		t.Errorf("after the refusals: %d assets, %d audit rows and %d changes; want %d, %d and 3", n, a, changes(), before, audits)
	}

	t.Run("outside, boundary not checked", func(t *testing.T) {
		loose := pgtest.Open(t, db.URL(), postgres.Config{AllowOutsideDistrict: true})
		a, err := loose.CreateAsset(ctx, aStaff, "", aNewAsset(t, maint.KindManhole, "2201060101999006", "井", outside, aManholeAttrs()))
		if err != nil {
			t.Fatalf("CreateAsset outside the district with the check off: %v", err)
		}
		if a.Subdistrict != "" {
			t.Errorf("an asset outside every zone has sub-district %q", a.Subdistrict)
		}
	})
}

// TestPatchAsset changes an asset under its version and checks what is
// stored and audited, and each refusal.
func TestPatchAsset(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	ctx := t.Context()
	p1, zone1, p2, zone2 := aZonePoints(t, db)
	a, err := db.CreateAsset(ctx, aStaff, "", aNewAsset(t, maint.KindManhole, "2201060101999101", "原名", p1,
		map[string]any{"cover_category": "0101", "defect_type": "broken_cover", "defect_grade": 2}))
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.CreateAsset(ctx, aStaff, "", aNewAsset(t, maint.KindManhole, "2201060101999102", "另一个", p2, aManholeAttrs()))
	if err != nil {
		t.Fatal(err)
	}
	if a.Subdistrict != zone1 {
		t.Fatalf("created in %q, want %q", a.Subdistrict, zone1)
	}
	db, feed := withFeed(t, db)
	changes := feed.count

	t.Run("name and attributes", func(t *testing.T) {
		p := maint.AssetPatch{Name: maint.Opt[string]{Set: true, V: "新名"}, Attrs: map[string]any{"defect_grade": 3, "defect_type": nil, "note": "x"}}
		got, err := db.PatchAsset(ctx, aStaff, "198.51.100.1", a.ID, 1, p)
		if err != nil {
			t.Fatal(err)
		}
		var attrs map[string]any
		json.Unmarshal(got.Attrs, &attrs)
		want := map[string]any{"cover_category": "0101", "defect_grade": 3.0, "note": "x"}
		if got.Version != 2 || got.Name != "新名" || len(attrs) != len(want) || attrs["defect_grade"] != 3.0 || attrs["note"] != "x" ||
			attrs["cover_category"] != "0101" {
			t.Errorf("PatchAsset(%d, v1, %+v) = version %d, name %q, attrs %s; want version 2, 新名, %v", a.ID, p, got.Version, got.Name, got.Attrs, want)
		}
		evs := aAudit(t, db, "asset.updated")
		if len(evs) != 1 || evs[0].SubjectID == nil || *evs[0].SubjectID != a.ID || evs[0].IP != "198.51.100.1" {
			t.Fatalf("asset.updated events = %+v, want one for asset %d", evs, a.ID)
		}
		var details struct {
			Code    string
			Changes map[string][2]any
		}
		if err := json.Unmarshal(evs[0].Details, &details); err != nil {
			t.Fatal(err)
		}
		wantChanges := map[string][2]any{"name": {"原名", "新名"}, "properties.defect_grade": {2.0, 3.0},
			"properties.defect_type": {"broken_cover", nil}, "properties.note": {nil, "x"}}
		if details.Code != a.Code || len(details.Changes) != len(wantChanges) {
			t.Errorf("audit details = %s, want changes %v", evs[0].Details, wantChanges)
		}
		for k, v := range wantChanges {
			if details.Changes[k] != v {
				t.Errorf("audit change %s = %v, want %v", k, details.Changes[k], v)
			}
		}
	})
	t.Run("geometry", func(t *testing.T) {
		moved := orb.Point{p2[0] + 0.0001, p2[1]}
		got, err := db.PatchAsset(ctx, aStaff, "", a.ID, 2, aGeometryPatch(t, moved))
		if err != nil {
			t.Fatal(err)
		}
		if g := aDecode(t, got.Geometry); !orb.Equal(g, moved) || got.Subdistrict != zone2 || got.Version != 3 {
			t.Errorf("moved to %v: geometry %v, sub-district %q, version %d; want %q, 3", moved, g, got.Subdistrict, got.Version, zone2)
		}
		evs := aAudit(t, db, "asset.updated")
		if len(evs) != 2 || !strings.Contains(string(evs[1].Details), `"geometry"`) {
			t.Errorf("audit of the move: %d events, last %s", len(evs), evs[len(evs)-1].Details)
		}
	})
	t.Run("nothing changes", func(t *testing.T) {
		got, err := db.PatchAsset(ctx, aStaff, "", a.ID, 3, maint.AssetPatch{Name: maint.Opt[string]{Set: true, V: "新名"}})
		if err != nil || got.Version != 3 {
			t.Errorf("PatchAsset with the same name = %v, %v; want version 3 unchanged", got, err)
		}
		// An attribute set to the value it has, or a missing one removed,
		// is no change either.
		var attrs map[string]any
		json.Unmarshal(got.Attrs, &attrs)
		same := maint.AssetPatch{Attrs: map[string]any{"defect_grade": attrs["defect_grade"], "never_there": nil}}
		if got, err := db.PatchAsset(ctx, aStaff, "", a.ID, 3, same); err != nil || got.Version != 3 {
			t.Errorf("PatchAsset with the same attributes = %v, %v; want version 3 unchanged", got, err)
		}
		if n := len(aAudit(t, db, "asset.updated")); n != 2 {
			t.Errorf("a patch that changes nothing was audited: %d events", n)
		}
	})

	namePatch := func(name string) maint.AssetPatch {
		return maint.AssetPatch{Name: maint.Opt[string]{Set: true, V: name}}
	}
	codePatch := maint.AssetPatch{Code: maint.Opt[string]{Set: true, V: other.Code}}
	lotShape := aGeometryPatch(t, aSquare(p1, 0.001))
	far := aGeometryPatch(t, orb.Point{116.39, 39.91})
	badAttr := maint.AssetPatch{Attrs: map[string]any{"cover_category": "9999"}}
	reserved := maint.AssetPatch{Attrs: map[string]any{"status": "closed"}}
	cases := []struct {
		name    string
		id      int64
		version int
		p       maint.AssetPatch
		code    maint.Code
		field   string
	}{
		{"stale version", a.ID, 2, namePatch("过时"), maint.CodePreconditionFailed, ""},
		{"no such asset", a.ID + 1000, 1, namePatch("无"), maint.CodeNotFound, ""},
		{"geometry of another kind", a.ID, 3, lotShape, maint.CodeInvalid, "geometry"},
		{"outside the district", a.ID, 3, far, maint.CodeInvalid, "geometry"},
		{"bad attribute", a.ID, 3, badAttr, maint.CodeInvalid, "properties.cover_category"},
		{"reserved attribute", a.ID, 3, reserved, maint.CodeInvalid, "properties.status"},
		{"empty name", a.ID, 3, namePatch(""), maint.CodeInvalid, "name"},
		{"code taken", a.ID, 3, codePatch, maint.CodeConflict, "code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := db.PatchAsset(ctx, aStaff, "", c.id, c.version, c.p)
			if maint.ErrorCode(err) != c.code {
				t.Fatalf("PatchAsset(%d, v%d, %s) = %v, %v; want code %s", c.id, c.version, c.name, got, err, c.code)
			}
			e, _ := maint.AsError(err)
			if c.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != c.field) {
				t.Errorf("PatchAsset(%s) = %v; want field %s", c.name, err, c.field)
			}
			if c.code == maint.CodePreconditionFailed && e.CurrentVersion != 3 {
				t.Errorf("PatchAsset(%s): current version %d, want 3", c.name, e.CurrentVersion)
			}
		})
	}
	now, err := db.Asset(ctx, a.ID, aStaff)
	if err != nil {
		t.Fatal(err)
	}
	if now.Version != 3 || now.Name != "新名" || now.Code != a.Code || now.Subdistrict != zone2 {
		t.Errorf("after the refusals: version %d, name %q, code %q, sub-district %q", now.Version, now.Name, now.Code, now.Subdistrict)
	}
	if n := len(aAudit(t, db, "asset.updated")); n != 2 || changes() != 2 {
		t.Errorf("after two patches that changed the asset: %d audit events and %d change notices; want 2 and 2", n, changes())
	}
}
