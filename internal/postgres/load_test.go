package postgres_test

import (
	"testing"
	"time"

	"github.com/paulmach/orb"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
)

// aBulk is a small dataset: a square district with three zones, two crews
// (one named twice), a lot whose bay comes before it, a manhole with a
// closed programme case and a road with an open routine case.
func aBulk() *maint.Bulk {
	at := func(day, hour int) time.Time { return time.Date(2023, 3, day, hour, 0, 0, 0, maint.Zone) }
	closed := []maint.EventRecord{
		{At: at(1, 9), Actor: "inspector", To: maint.StatusReported},
		{At: at(2, 9), Actor: "engineer", From: maint.StatusReported, To: maint.StatusFiled},
		{At: at(3, 9), Actor: "engineer", From: maint.StatusFiled, To: maint.StatusDispatched},
		{At: at(4, 9), Actor: "engineer", From: maint.StatusDispatched, To: maint.StatusInProgress},
		{At: at(5, 9), Actor: "engineer", From: maint.StatusInProgress, To: maint.StatusDone, Note: "内部", Internal: true},
		{At: at(6, 9), Actor: "inspector", From: maint.StatusDone, To: maint.StatusClosed},
	}
	due := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	return &maint.Bulk{
		District:       orb.Polygon{{{125.20, 43.85}, {125.30, 43.85}, {125.30, 43.93}, {125.20, 43.93}, {125.20, 43.85}}},
		DistrictName:   "测试区",
		DistrictNameEn: "Test District",
		Zones: []maint.ZoneCentre{
			{Name: "甲街道", NameEn: "A", Centre: orb.Point{125.22, 43.87}},
			{Name: "乙街道", NameEn: "B", Centre: orb.Point{125.28, 43.87}},
			{Name: "丙街道", NameEn: "C", Centre: orb.Point{125.25, 43.91}},
		},
		Crews: []string{"一队", "二队", "一队"},
		Assets: []maint.AssetRecord{
			{Kind: maint.KindParkingSpace, Code: "L-1-001", Name: "泊位", ParentCode: "L-1", Attrs: map[string]any{"space_type": "standard"},
				Geometry: aSquare(orb.Point{125.2801, 43.8701}, 0.0001)},
			{Kind: maint.KindParkingLot, Code: "L-1", Name: "停车场", Attrs: map[string]any{"spaces": 1},
				Geometry: aSquare(orb.Point{125.28, 43.87}, 0.001)},
			{Kind: maint.KindManhole, Code: "2201060101000001", Name: "井", NameEn: "Manhole", Attrs: aManholeAttrs(),
				Geometry: orb.Point{125.2201, 43.8701}},
			{Kind: maint.KindRoadRepair, Code: "DL-1", Name: "路", Attrs: map[string]any{"area_m2": 100},
				Geometry: orb.LineString{{125.25, 43.91}, {125.251, 43.91}}},
		},
		Tasks: []maint.TaskRecord{
			{Ref: "LY-2023-T1", AssetCode: "2201060101000001", Programme: maint.ProgrammePublished, Title: "窨井病害", Source: maint.SourceImport,
				ReporterName: "张先生", Events: closed, DueDate: &due},
			{Ref: "LY-2023-T2", AssetCode: "DL-1", Programme: maint.ProgrammeRoutine, Title: "坑槽", Source: maint.SourceInspector,
				Events: closed[:2]},
		},
		AssetsCreated: time.Date(2023, 1, 1, 9, 0, 0, 0, maint.Zone),
	}
}

// aByCodeOrFail returns the stored asset with code, with its tasks.
func aByCodeOrFail(t *testing.T, db *postgres.DB, code string) *maint.Asset {
	t.Helper()
	a := aByCode(t, db, code)
	if a == nil {
		t.Fatalf("no asset %s", code)
	}
	full, err := db.Asset(t.Context(), a.ID, aStaff)
	if err != nil {
		t.Fatal(err)
	}
	return full
}

// TestLoad loads a small dataset into an empty database and checks areas,
// crews, assets, parents, sub-districts and tasks with their history; then
// that loading again is refused and changes nothing.
func TestLoad(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	b := aBulk()
	if err := db.Load(ctx, b); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountAssets(ctx); err != nil || n != int64(len(b.Assets)) {
		t.Errorf("CountAssets after Load = %d, %v; want %d", n, err, len(b.Assets))
	}
	areas, err := db.Areas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string]bool{}
	for _, a := range areas {
		if a.Kind == "subdistrict" {
			zones[a.Name] = true
		}
	}
	if len(areas) != 4 || areas[0].Name != b.DistrictName || areas[0].NameEn != b.DistrictNameEn || len(zones) != 3 {
		t.Errorf("Areas after Load = %d areas, first %q, zones %v; want the district and 3 zones", len(areas), areas[0].Name, zones)
	}
	crews, err := db.Crews(ctx)
	if err != nil || len(crews) != 2 {
		t.Errorf("Crews after Load = %v, %v; want 2", crews, err)
	}

	lot, bay := aByCodeOrFail(t, db, "L-1"), aByCodeOrFail(t, db, "L-1-001")
	manhole, road := aByCodeOrFail(t, db, "2201060101000001"), aByCodeOrFail(t, db, "DL-1")
	if bay.ParentID == nil || *bay.ParentID != lot.ID {
		t.Errorf("the bay's parent = %v, want the lot %d", bay.ParentID, lot.ID)
	}
	for _, c := range []struct {
		a    *maint.Asset
		zone string
	}{{lot, "乙街道"}, {bay, "乙街道"}, {manhole, "甲街道"}, {road, "丙街道"}} {
		if c.a.Subdistrict != c.zone || !c.a.CreatedAt.Equal(b.AssetsCreated) {
			t.Errorf("asset %s: sub-district %q, created %v; want %q, %v", c.a.Code, c.a.Subdistrict, c.a.CreatedAt, c.zone, b.AssetsCreated)
		}
	}

	closedAt := b.Tasks[0].Events[5].At
	if len(manhole.Tasks) != 1 || manhole.Status == nil || *manhole.Status != maint.StatusClosed ||
		manhole.CompletedAt == nil || !manhole.CompletedAt.Equal(closedAt) {
		t.Fatalf("manhole after Load: %d tasks, status %v, completed %v; want one closed case, completed %v",
			len(manhole.Tasks), manhole.Status, manhole.CompletedAt, closedAt)
	}
	task := manhole.Tasks[0]
	if task.Ref != "LY-2023-T1" || task.Programme != maint.ProgrammePublished || len(task.History) != 6 || task.ClosedAt == nil ||
		!task.ClosedAt.Equal(closedAt) || !task.CreatedAt.Equal(b.Tasks[0].Events[0].At) || task.ReporterName != "张先生" ||
		task.Priority != maint.PriorityNormal || task.DueDate == nil {
		t.Errorf("manhole's task after Load = %+v", task)
	}
	for i, e := range task.History {
		want := b.Tasks[0].Events[i]
		if !e.At.Equal(want.At) || e.To == nil || *e.To != want.To || e.Internal != want.Internal || e.Actor != want.Actor ||
			e.ActorRole != want.Actor {
			t.Errorf("event %d = %+v, want %+v", i, e, want)
		}
	}
	if len(road.Tasks) != 1 || road.Status == nil || *road.Status != maint.StatusFiled || road.CompletedAt != nil ||
		!road.StatusAt.Equal(b.Tasks[1].Events[1].At) || road.Tasks[0].ClosedAt != nil {
		t.Errorf("road after Load: %d tasks, status %v at %v, completed %v; want one filed case", len(road.Tasks), road.Status, road.StatusAt, road.CompletedAt)
	}

	before := aCount(t, sql, `SELECT (SELECT count(*) FROM assets) + (SELECT count(*) FROM tasks) + (SELECT count(*) FROM areas)`)
	err = db.Load(ctx, aBulk())
	if maint.ErrorCode(err) != maint.CodeConflict {
		t.Errorf("Load again = %v, want code %s", err, maint.CodeConflict)
	}
	if after := aCount(t, sql, `SELECT (SELECT count(*) FROM assets) + (SELECT count(*) FROM tasks) + (SELECT count(*) FROM areas)`); after != before {
		t.Errorf("Load again changed the rows: %d, was %d", after, before)
	}
}

// TestLoadAllOrNothing checks that a dataset Load cannot store whole leaves
// an empty database empty.
func TestLoadAllOrNothing(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	orphan := aBulk()
	orphan.Assets[0].ParentCode = "L-NOPE"
	noHistory := aBulk()
	noHistory.Tasks[1].Events = nil
	cases := []struct {
		name string
		b    *maint.Bulk
		code maint.Code
	}{
		{"a bay whose lot is not loaded", orphan, maint.CodeInvalid},
		// The data's fault, not a query out of time.
		{"a task without history", noHistory, maint.CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := db.Load(ctx, c.b)
			if err == nil || c.code != "" && maint.ErrorCode(err) != c.code {
				t.Errorf("Load(%s) = %v, want code %s", c.name, err, c.code)
			}
			if n := aCount(t, sql, `SELECT (SELECT count(*) FROM assets) + (SELECT count(*) FROM tasks) + (SELECT count(*) FROM areas)
				+ (SELECT count(*) FROM crews)`); n != 0 {
				t.Errorf("Load(%s) failed and left %d rows", c.name, n)
			}
		})
	}
}

// TestLoadDistrict checks that the district dataset, loaded into the
// template every test database is cloned from, arrived whole.
func TestLoadDistrict(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ds, err := seed.District()
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	for _, task := range ds.Tasks {
		events += len(task.Events)
	}
	n, err := db.CountAssets(t.Context())
	if err != nil || n != int64(len(ds.Assets)) {
		t.Errorf("CountAssets = %d, %v; want the %d assets of the dataset", n, err, len(ds.Assets))
	}
	counts := []struct {
		sql  string
		want int
	}{
		{`SELECT count(*) FROM tasks`, len(ds.Tasks)},
		{`SELECT count(*) FROM task_events`, events},
		{`SELECT count(*) FROM areas WHERE kind = 'subdistrict'`, len(ds.Zones)},
		{`SELECT count(*) FROM crews`, len(ds.Crews)},
		{`SELECT count(*) FROM assets WHERE kind = 'parking_space' AND parent_id IS NULL`, 0},
	}
	for _, c := range counts {
		if got := aCount(t, sql, c.sql); got != int64(c.want) {
			t.Errorf("%s = %d, want %d", c.sql, got, c.want)
		}
	}
	if err := db.Load(t.Context(), ds); maint.ErrorCode(err) != maint.CodeConflict {
		t.Errorf("Load(district) into the district = %v, want code %s", err, maint.CodeConflict)
	}
}
