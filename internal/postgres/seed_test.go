package postgres_test

import (
	"context"
	"testing"
	"time"

	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
)

// TestDistrictInvariants checks the loaded district in PostGIS: the published
// figures exactly, every geometry valid and inside the boundary, unique codes,
// and placement a surveyor would accept.
func TestDistrictInvariants(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := context.Background()
	checks := []struct {
		name string
		sql  string
		want int64
	}{
		{"road repairs", `SELECT count(*) FROM assets WHERE kind = 'road_repair'`, 140},
		{"road area m²", `SELECT sum((attrs->>'area_m2')::int) FROM assets WHERE kind = 'road_repair'`, 511200},
		{"sewer sites", `SELECT count(*) FROM assets WHERE kind = 'sewer_separation' AND NOT coalesce((attrs->>'corridor')::bool, false)`, 51},
		{"Yingbin Road corridor", `SELECT count(*) FROM assets WHERE kind = 'sewer_separation' AND (attrs->>'corridor')::bool
			AND name LIKE '迎宾路%' AND GeometryType(geom) = 'LINESTRING'`, 1},
		{"parking lots", `SELECT count(*) FROM assets WHERE kind = 'parking_lot'`, 9},
		{"lot spaces", `SELECT sum((attrs->>'spaces')::int) FROM assets WHERE kind = 'parking_lot'`, 944},
		{"parking bays", `SELECT count(*) FROM assets WHERE kind = 'parking_space'`, 944},
		{"bays per lot match the lot", `SELECT count(*) FROM assets l WHERE l.kind = 'parking_lot'
			AND (l.attrs->>'spaces')::int <> (SELECT count(*) FROM assets s WHERE s.parent_id = l.id)`, 0},
		{"space types sum to spaces", `SELECT count(*) FROM assets l WHERE kind = 'parking_lot' AND (attrs->>'spaces')::int <>
			(SELECT sum(value::int) FROM jsonb_each_text(attrs->'space_types'))`, 0},
		{"lots with an accessible bay", `SELECT count(*) FROM assets WHERE kind = 'parking_lot'
			AND (attrs->'space_types'->>'accessible')::int >= greatest(1, ceil((attrs->>'spaces')::int / 100.0))`, 9},
		{"lots with ≥10% EV bays", `SELECT count(*) FROM assets WHERE kind = 'parking_lot'
			AND (attrs->'space_types'->>'ev_charging')::int * 10 >= (attrs->>'spaces')::int`, 9},
		{"bays inside their lot", `SELECT count(*) FROM assets s JOIN assets l ON l.id = s.parent_id
			WHERE NOT ST_CoveredBy(s.geom, l.geom)`, 0},
		{"overlapping bays", `SELECT count(*) FROM assets a JOIN assets b ON a.id < b.id AND a.parent_id = b.parent_id
			WHERE a.kind = 'parking_space' AND ST_Overlaps(a.geom, b.geom)`, 0},
		{"manholes", `SELECT count(*) FROM assets WHERE kind = 'manhole'`, 1300},
		{"manhole codes are 16-digit component codes", `SELECT count(*) FROM assets WHERE kind = 'manhole'
			AND code ~ '^220106(01(0[1-9]|1[0-4]|2[79]|30))[0-9]{6}$' AND substr(code, 7, 4) = attrs->>'cover_category'`, 1300},
		{"manholes with defect and grade", `SELECT count(*) FROM assets WHERE kind = 'manhole'
			AND attrs->>'defect_type' <> '' AND (attrs->>'defect_grade')::int BETWEEN 1 AND 4 AND attrs->>'load_class' <> ''`, 1300},
		{"capital project", `SELECT count(*) FROM assets WHERE kind = 'capital_project'
			AND (attrs->>'investment_yuan')::bigint = 92487800 AND (attrs->>'area_m2')::int = 58000`, 1},
		{"invalid geometries", `SELECT count(*) FROM assets WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 4326`, 0},
		{"outside the district", `SELECT count(*) FROM assets a, areas d WHERE d.kind = 'district' AND NOT ST_CoveredBy(a.geom, d.geom)`, 0},
		{"duplicate codes", `SELECT count(*) - count(DISTINCT code) FROM assets`, 0},
		{"manholes farther than 30 m from a road repair", `SELECT count(*) FROM assets m WHERE m.kind = 'manhole' AND NOT EXISTS (
			SELECT 1 FROM assets r WHERE r.kind = 'road_repair' AND ST_DWithin(m.geom::geography, r.geom::geography, 30))`, 0},
		{"sites and lots farther than 300 m from a road", `SELECT count(*) FROM assets s WHERE (s.kind = 'parking_lot'
			OR s.kind = 'sewer_separation' AND GeometryType(s.geom) = 'POLYGON') AND NOT EXISTS (
			SELECT 1 FROM assets r WHERE r.kind = 'road_repair' AND ST_DWithin(s.geom::geography, r.geom::geography, 300))`, 0},
		{"overlapping sites, lots and project", `SELECT count(*) FROM assets a JOIN assets b ON a.id < b.id
			WHERE a.kind IN ('parking_lot', 'sewer_separation', 'capital_project') AND b.kind IN ('parking_lot', 'sewer_separation', 'capital_project')
			AND ST_Intersects(a.geom, b.geom)`, 0},
		{"assets without a sub-district", `SELECT count(*) FROM assets WHERE subdistrict = ''`, 0},
		{"sub-district zones", `SELECT count(*) FROM areas WHERE kind = 'subdistrict' AND approximate`, 12},
		{"programme assets without a closed programme task", `SELECT count(*) FROM assets a WHERE a.kind <> 'parking_space'
			AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.asset_id = a.id AND t.programme = '2023-2024' AND t.status = 'closed')`, 0},
		{"programme events outside 2023-01-01 … 2024-08-31", `SELECT count(*) FROM task_events e JOIN tasks t ON t.id = e.task_id
			WHERE t.programme = '2023-2024' AND (e.at < '2023-01-01 00:00+08' OR e.at >= '2024-09-01 00:00+08')`, 0},
		{"programme histories from 上报 to 结案", `SELECT count(*) FROM tasks t WHERE t.programme = '2023-2024' AND
			(SELECT array_agg(coalesce(to_status, '') ORDER BY at, id) FROM task_events WHERE task_id = t.id)
			= ARRAY['reported','filed','dispatched','in_progress','done','closed']`, 1502},
		{"open routine tasks", `SELECT count(*) FROM tasks WHERE programme = 'routine' AND status IN ('reported','filed','dispatched','in_progress','done')
			AND created_at >= '2024-09-01 00:00+08'`, 60},
		{"open states covered", `SELECT count(DISTINCT status) FROM tasks WHERE programme = 'routine' AND status <> 'closed'`, 5},
		{"finished routine work in the year before the routine anchor, after the programme", `SELECT count(*) FROM tasks
			WHERE programme = 'routine' AND status = 'closed' AND (created_at < '2024-09-01 00:00+08' OR closed_at >= '2024-12-02 16:00+08')`, 0},
		{"completed_at is when the programme case closed", `SELECT count(*) FROM assets a WHERE a.completed_at IS DISTINCT FROM
			(SELECT min(closed_at) FROM tasks WHERE asset_id = a.id AND programme = '2023-2024')`, 0},
		{"asset status is that of the latest task", `SELECT count(*) FROM assets a WHERE a.status IS DISTINCT FROM
			(SELECT status FROM tasks WHERE asset_id = a.id ORDER BY created_at DESC, id DESC LIMIT 1)`, 0},
	}
	for _, c := range checks {
		var got int64
		if err := sql.QueryRow(ctx, c.sql).Scan(&got); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
}

// TestRoadRepairsFollowRoads checks that every road repair lies on one of the
// road polylines of DOMAIN.md §2 (within 1 m, clipped to the district).
func TestRoadRepairsFollowRoads(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	var far int
	err := sql.QueryRow(context.Background(), `
		SELECT count(*) FROM assets a WHERE a.kind = 'road_repair' AND NOT EXISTS (
			SELECT 1 FROM unnest($1::text[]) AS r (wkt)
			WHERE ST_Length(ST_Intersection(ST_Buffer(ST_GeomFromText(r.wkt, 4326)::geography, 1)::geometry, a.geom)::geography)
			      >= 0.99 * ST_Length(a.geom::geography))`, seed.RoadLinesWKT()).Scan(&far)
	if err != nil {
		t.Fatal(err)
	}
	if far != 0 {
		t.Errorf("%d road repairs stray from the road lines", far)
	}
}

// TestErasePersonalData: reporters' details go once their report has been
// closed longer than the retention, and not before.
func TestErasePersonalData(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := context.Background()
	var id, openID int64
	if err := sql.QueryRow(ctx, `SELECT id FROM tasks WHERE reporter_contact <> '' LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	sql.QueryRow(ctx, `SELECT id FROM tasks WHERE reporter_contact <> '' AND id <> $1 LIMIT 1`, id).Scan(&openID)
	// Close one report 200 days ago.
	if _, err := sql.Exec(ctx, `UPDATE tasks SET status = 'closed', status_at = now() - interval '200 days' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	n, err := db.ErasePersonalData(ctx, 365*24*time.Hour)
	if err != nil || n != 0 {
		t.Fatalf("a year's retention erased %d (%v)", n, err)
	}
	n, err = db.ErasePersonalData(ctx, 180*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("180 days' retention erased %d (%v), want 1", n, err)
	}
	var name, contact, openContact string
	sql.QueryRow(ctx, `SELECT reporter_name, reporter_contact FROM tasks WHERE id = $1`, id).Scan(&name, &contact)
	sql.QueryRow(ctx, `SELECT reporter_contact FROM tasks WHERE id = $1`, openID).Scan(&openContact)
	if name != "" || contact != "" || openContact == "" {
		t.Errorf("after erasure: %q %q, open report's contact %q", name, contact, openContact)
	}
}
