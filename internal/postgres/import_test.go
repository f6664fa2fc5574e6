package postgres_test

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// aRowSource is a file of rows held in memory; err, when set, is what
// Next returns after the rows instead of io.EOF.
type aRowSource struct {
	rows []*maint.ImportRow
	err  error
}

func (s *aRowSource) Next() (*maint.ImportRow, error) {
	if len(s.rows) == 0 {
		if s.err != nil {
			return nil, s.err
		}
		return nil, io.EOF
	}
	r := s.rows[0]
	s.rows = s.rows[1:]
	return r, nil
}

// aRow is a CSV row at line with its geometry as WKT.
func aRow(line int, kind maint.Kind, code, name string, g orb.Geometry, attrs map[string]any) *maint.ImportRow {
	return &maint.ImportRow{
		AssetRecord: maint.AssetRecord{Kind: kind, Code: code, Name: name, Attrs: attrs, Geometry: g},
		RowRef:      maint.RowRef{Line: line, GeometryField: "wkt"},
	}
}

// aFile returns a source of the rows.
func aFile(rows ...*maint.ImportRow) *aRowSource { return &aRowSource{rows: rows} }

// aByCode returns the stored asset with code, or nil.
func aByCode(t *testing.T, db *postgres.DB, code string) *maint.Asset {
	t.Helper()
	listed, _ := aList(t, db, maint.AssetFilter{Q: code, Limit: aAll})
	for _, a := range listed {
		if a.Code == code {
			return &a
		}
	}
	return nil
}

// aRowOf is the row a file exported from asset a has.
func aRowOf(t *testing.T, line int, a *maint.Asset) *maint.ImportRow {
	t.Helper()
	var attrs map[string]any
	if err := json.Unmarshal(a.Attrs, &attrs); err != nil {
		t.Fatal(err)
	}
	r := aRow(line, a.Kind, a.Code, a.Name, aDecode(t, a.Geometry), attrs)
	r.NameEn = a.NameEn
	return r
}

// aImportFixture is what the import tests start from: two stored manholes
// and a point inside a sub-district.
type aImportFixture struct {
	db         *postgres.DB
	m, n       *maint.Asset
	inside     orb.Point
	zone       string
	countFirst int64
}

func aImportSetup(t *testing.T) aImportFixture {
	t.Helper()
	db := pgtest.NewDB(t, pgtest.District)
	ids := aFirstIDs(t, db, maint.KindManhole, 2)
	f := aImportFixture{db: db}
	var err error
	if f.m, err = db.Asset(t.Context(), ids[0], aStaff); err != nil {
		t.Fatal(err)
	}
	if f.n, err = db.Asset(t.Context(), ids[1], aStaff); err != nil {
		t.Fatal(err)
	}
	f.inside, f.zone, _, _ = aZonePoints(t, db)
	if f.countFirst, err = db.CountAssets(t.Context()); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestImportAssets imports a file that creates a lot and its bay, renames a
// stored manhole and repeats another as stored: dry first, then for real,
// then again.
func TestImportAssets(t *testing.T) {
	f := aImportSetup(t)
	db, ctx := f.db, t.Context()
	file := func() *aRowSource {
		bay := aRow(3, maint.KindParkingSpace, "TCC-I-1-001", "1号泊位", aSquare(f.inside, 0.0001), map[string]any{"space_type": "standard"})
		bay.ParentCode = "TCC-I-1"
		renamed := aRowOf(t, 5, f.n)
		renamed.Name = "改名的井"
		return aFile(
			aRow(2, maint.KindParkingLot, "TCC-I-1", "导入停车场", aSquare(f.inside, 0.001), map[string]any{"spaces": 1}),
			bay,
			aRowOf(t, 4, f.m),
			renamed,
		)
	}
	want := &maint.ImportResult{DryRun: true, Rows: 4, Total: maint.ImportCounts{Created: 2, Updated: 1, Unchanged: 1},
		Kinds: map[maint.Kind]maint.ImportCounts{
			maint.KindParkingLot:   {Created: 1},
			maint.KindParkingSpace: {Created: 1},
			maint.KindManhole:      {Updated: 1, Unchanged: 1},
		}}
	opt := maint.ImportOptions{DryRun: true, Format: "csv", Name: "assets.csv"}
	db, feed := withFeed(t, db)
	changes := feed.count

	t.Run("dry run", func(t *testing.T) {
		res, err := db.ImportAssets(ctx, aStaff, "203.0.113.9", file(), opt)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("ImportAssets(dry) (-want +got):\n%s", diff)
		}
		if n, _ := db.CountAssets(ctx); n != f.countFirst {
			t.Errorf("a dry run left %d assets, want %d", n, f.countFirst)
		}
		if a := aByCode(t, db, f.n.Code); a.Name != f.n.Name || a.Version != f.n.Version {
			t.Errorf("a dry run changed %s: %q v%d", a.Code, a.Name, a.Version)
		}
		if evs := aAudit(t, db, "asset.imported"); len(evs) != 0 || changes() != 0 {
			t.Errorf("a dry run was audited (%+v) or sent %d change notices", evs, changes())
		}
	})
	t.Run("import", func(t *testing.T) {
		opt.DryRun = false
		res, err := db.ImportAssets(ctx, aStaff, "203.0.113.9", file(), opt)
		if err != nil {
			t.Fatal(err)
		}
		want.DryRun = false
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("ImportAssets (-want +got):\n%s", diff)
		}
		if n, _ := db.CountAssets(ctx); n != f.countFirst+2 || changes() == 0 {
			t.Errorf("after the import: %d assets and %d change notices, want %d and some", n, changes(), f.countFirst+2)
		}
		lot, bay := aByCode(t, db, "TCC-I-1"), aByCode(t, db, "TCC-I-1-001")
		if lot == nil || bay == nil {
			t.Fatalf("imported lot %v, bay %v", lot, bay)
		}
		if bay.ParentID == nil || *bay.ParentID != lot.ID || lot.Subdistrict != f.zone || lot.Kind != maint.KindParkingLot {
			t.Errorf("imported lot %d (%s, in %q), bay's parent %v; want the bay in the lot and the lot in %q", lot.ID, lot.Kind, lot.Subdistrict, bay.ParentID, f.zone)
		}
		if g := aDecode(t, lot.Geometry); !orb.Equal(g, orb.Round(aSquare(f.inside, 0.001), 1e7)) {
			t.Errorf("imported lot's geometry %v", g)
		}
		if n := aByCode(t, db, f.n.Code); n.Name != "改名的井" || n.Version != f.n.Version+1 {
			t.Errorf("renamed manhole: %q v%d; want 改名的井 v%d", n.Name, n.Version, f.n.Version+1)
		}
		if m := aByCode(t, db, f.m.Code); m.Version != f.m.Version || !m.UpdatedAt.Equal(f.m.UpdatedAt) {
			t.Errorf("the unchanged manhole went to v%d, updated %v", m.Version, m.UpdatedAt)
		}
		evs := aAudit(t, db, "asset.imported")
		if len(evs) != 1 {
			t.Fatalf("%d asset.imported events, want 1", len(evs))
		}
		var details struct {
			Format, File                      string
			Rows, Created, Updated, Unchanged int
		}
		json.Unmarshal(evs[0].Details, &details)
		if details.Format != "csv" || details.File != "assets.csv" || details.Rows != 4 || details.Created != 2 || details.Updated != 1 ||
			details.Unchanged != 1 || evs[0].IP != "203.0.113.9" || evs[0].Actor != aStaff.Email {
			t.Errorf("audit of the import: %+v, details %s", evs[0], evs[0].Details)
		}
	})
	t.Run("again", func(t *testing.T) {
		res, err := db.ImportAssets(ctx, aStaff, "", file(), opt)
		if err != nil {
			t.Fatal(err)
		}
		if want := (maint.ImportCounts{Unchanged: 4}); res.Total != want {
			t.Errorf("ImportAssets again: %+v, want %+v", res.Total, want)
		}
		if lot, n := aByCode(t, db, "TCC-I-1"), aByCode(t, db, f.n.Code); lot.Version != 1 || n.Version != f.n.Version+1 {
			t.Errorf("importing the same file again: lot v%d, manhole v%d; want v1 and v%d", lot.Version, n.Version, f.n.Version+1)
		}
	})
}

// TestImportAssetsProblems imports files with one bad row after a good one:
// each is refused whole, with the problem on the bad row's line and field.
func TestImportAssetsProblems(t *testing.T) {
	f := aImportSetup(t)
	db, ctx := f.db, t.Context()
	p := f.inside
	good := func() *maint.ImportRow {
		return aRow(2, maint.KindManhole, "2201060101999301", "新井", p, aManholeAttrs())
	}
	bay := func(parent string) *maint.ImportRow {
		r := aRow(3, maint.KindParkingSpace, "TCC-I-2-001", "泊位", aSquare(p, 0.0001), map[string]any{"space_type": "standard"})
		r.ParentCode = parent
		return r
	}
	readerProblem := aRow(3, maint.KindRoadRepair, "DL-I-1", "路", orb.LineString{p, {p[0] + 0.001, p[1]}}, nil)
	readerProblem.Add("properties.area_m2", "road_repair needs %q", "area_m2")
	feature := aRow(0, maint.KindManhole, "2201060101999302", "井", orb.Point{116.39, 39.91}, aManholeAttrs())
	feature.RowRef = maint.RowRef{Feature: 2, GeometryField: "geometry"}
	cases := []struct {
		name  string
		bad   *maint.ImportRow
		field string // as the problem names it
		code  string
		msg   string
	}{
		{"outside the district", aRow(3, maint.KindManhole, "2201060101999303", "井", orb.Point{116.39, 39.91}, aManholeAttrs()),
			"line 3: wkt", "2201060101999303", "outside the district boundary"},
		{"lat and lon swapped", aRow(3, maint.KindManhole, "2201060101999304", "井", orb.Point{p[1], p[0]}, aManholeAttrs()),
			"line 3: wkt", "2201060101999304", "WKT puts longitude first"},
		{"invalid geometry", aRow(3, maint.KindParkingLot, "TCC-I-3", "停车场",
			orb.Polygon{{p, {p[0] + 0.001, p[1] + 0.001}, {p[0] + 0.001, p[1]}, {p[0], p[1] + 0.001}, p}}, map[string]any{"spaces": 1}),
			"line 3: wkt", "TCC-I-3", "not valid"},
		{"duplicate code", aRow(3, maint.KindManhole, "2201060101999301", "又一个", p, aManholeAttrs()),
			"line 3: code", "2201060101999301", "first at line 2"},
		{"kind of a stored asset", aRow(3, maint.KindRoadRepair, f.m.Code, "路", orb.LineString{p, {p[0] + 0.001, p[1]}}, map[string]any{"area_m2": 1}),
			"line 3: kind", f.m.Code, "may not change"},
		{"no such lot", bay("TCC-NOPE"), "line 3: parent_code", "TCC-I-2-001", `no parking lot has code "TCC-NOPE"`},
		{"parent not a lot", bay(f.m.Code), "line 3: parent_code", "TCC-I-2-001", "is a manhole, not a parking lot"},
		{"the reader's problem", readerProblem, "line 3: area_m2", "DL-I-1", "needs"},
		{"a GeoJSON feature", feature, "feature 2: geometry", "2201060101999302", "outside the district boundary"},
	}
	for _, c := range cases {
		for _, dry := range []bool{false, true} {
			name := c.name
			if dry {
				name += ", dry"
			}
			t.Run(name, func(t *testing.T) {
				res, err := db.ImportAssets(ctx, aStaff, "", aFile(good(), c.bad), maint.ImportOptions{DryRun: dry})
				var ie *maint.ImportError
				if !errors.As(err, &ie) || maint.ErrorCode(err) != maint.CodeUnprocessable {
					t.Fatalf("ImportAssets(%s) = %+v, %v; want an import error, unprocessable", c.name, res, err)
				}
				if len(ie.Problems) != 1 || ie.Total != 1 {
					t.Fatalf("ImportAssets(%s): problems %+v (total %d); want one", c.name, ie.Problems, ie.Total)
				}
				got := ie.Problems[0]
				if got.Field != c.field || got.Code != c.code || !strings.Contains(got.Message, c.msg) {
					t.Errorf("ImportAssets(%s) problem = %+v; want field %q, code %s, message with %q", c.name, got, c.field, c.code, c.msg)
				}
				what := "nothing was imported"
				if dry {
					what = "a dry run: nothing was written"
				}
				if !strings.Contains(err.Error(), what) || len(ie.Err.Fields) != 1 || ie.Err.Fields[0].Field != c.field {
					t.Errorf("ImportAssets(%s) = %v, fields %+v; want it to say %q and name %s", c.name, err, ie.Err.Fields, what, c.field)
				}
				if n, _ := db.CountAssets(ctx); n != f.countFirst || aByCode(t, db, "2201060101999301") != nil {
					t.Errorf("a refused file left %d assets (want %d), or its good row", n, f.countFirst)
				}
			})
		}
	}
	if evs := aAudit(t, db, "asset.imported"); len(evs) != 0 {
		t.Errorf("refused files were audited: %+v", evs)
	}
	if m := aByCode(t, db, f.m.Code); m.Kind != maint.KindManhole || m.Version != f.m.Version {
		t.Errorf("a refused file changed %s: %s v%d", f.m.Code, m.Kind, m.Version)
	}
}

// TestImportAssetsUnreadable checks a file that cannot be read to its end:
// nothing is imported, and the reader's own verdict on the file is passed on
// with the problems found before it.
func TestImportAssetsUnreadable(t *testing.T) {
	f := aImportSetup(t)
	db, ctx := f.db, t.Context()
	broken := errors.New("unexpected end of the zip")
	src := aFile(aRow(2, maint.KindManhole, "2201060101999401", "井", f.inside, aManholeAttrs()))
	src.err = broken
	res, err := db.ImportAssets(ctx, aStaff, "", src, maint.ImportOptions{})
	if !errors.Is(err, broken) || res != nil {
		t.Errorf("ImportAssets(unreadable) = %+v, %v; want the reader's error", res, err)
	}

	early := aRow(2, maint.KindManhole, "2201060101999402", "井", f.inside, aManholeAttrs())
	early.Add("properties.defect_grade", "bad grade")
	src = aFile(early)
	src.err = maint.NewImportError(maint.CodeInvalid, []maint.ImportProblem{{Field: "line 3", Message: "unterminated quote", Line: 3}}, 1, "")
	_, err = db.ImportAssets(ctx, aStaff, "", src, maint.ImportOptions{})
	var ie *maint.ImportError
	if !errors.As(err, &ie) || maint.ErrorCode(err) != maint.CodeInvalid || len(ie.Problems) != 2 || ie.Total != 2 ||
		ie.Problems[0].Field != "line 2: defect_grade" || ie.Problems[1].Field != "line 3" {
		t.Errorf("ImportAssets(bad CSV) = %v (%+v); want invalid, with line 2's problem and then line 3's", err, ie)
	}
	if n, _ := db.CountAssets(ctx); n != f.countFirst {
		t.Errorf("unreadable files left %d assets, want %d", n, f.countFirst)
	}
	if evs := aAudit(t, db, "asset.imported"); len(evs) != 0 {
		t.Errorf("unreadable files were audited: %+v", evs)
	}
}
