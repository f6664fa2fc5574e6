package postgres_test

import (
	"strings"
	"testing"

	"inframap/internal/postgres/pgtest"
	"inframap/migrations"
)

// TestMigration021 runs migration 021 on assets whose earlier import stored
// attributes named like the computed properties: each is kept under
// <name>_imported with its value, the other attributes stay, the asset's
// version goes up by one with an audit row, and untouched assets keep
// their versions.
func TestMigration021(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	b, err := migrations.FS.ReadFile("021_reserved_attrs.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, ok := strings.Cut(string(b), "---- create above / drop below ----")
	if !ok {
		t.Fatal("021 has no create/drop marker")
	}
	if _, err := sql.Exec(ctx, `INSERT INTO assets (kind, code, name, geom, attrs) VALUES
		('road_repair', 'M21-A', 'a', ST_GeomFromText('LINESTRING(125.25 43.88, 125.26 43.88)', 4326),
		 '{"pci": 71.5, "condition_grade": "B", "road": "景阳大路"}'),
		('road_repair', 'M21-B', 'b', ST_GeomFromText('LINESTRING(125.25 43.89, 125.26 43.89)', 4326),
		 '{"road": "青年路", "pci_before": 40}'),
		('manhole', '2201060102000021', 'c', ST_GeomFromText('POINT(125.25 43.88)', 4326),
		 '{"cover_category": "0102", "anti_fall_net": "有", "last_inspected_on": "2025-03-01", "owner_unit": "排水公司"}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := sql.Exec(ctx, up); err != nil {
		t.Fatalf("021: %v", err)
	}
	var attrs string
	var version, audits int
	if err := sql.QueryRow(ctx, `SELECT attrs::text, version, (SELECT count(*) FROM audit_events e WHERE e.subject_id = a.id
		AND e.action = 'asset.updated' AND e.details -> 'attrs_renamed' = '{"pci": "pci_imported", "condition_grade": "condition_grade_imported"}')
		FROM assets a WHERE code = 'M21-A'`).Scan(&attrs, &version, &audits); err != nil {
		t.Fatal(err)
	}
	if attrs != `{"road": "景阳大路", "pci_imported": 71.5, "condition_grade_imported": "B"}` || version != 2 || audits != 1 {
		t.Errorf("M21-A after 021: attrs %s, version %d, %d audit rows; want the two renamed, version 2, one audit row", attrs, version, audits)
	}
	if err := sql.QueryRow(ctx, `SELECT attrs::text, version, (SELECT count(*) FROM audit_events e WHERE e.subject_id = a.id
		AND e.action = 'asset.updated' AND e.details -> 'attrs_renamed' = '{"owner_unit": "owner_unit_imported", "anti_fall_net": "anti_fall_net_imported", "last_inspected_on": "last_inspected_on_imported"}')
		FROM assets a WHERE code = '2201060102000021'`).Scan(&attrs, &version, &audits); err != nil {
		t.Fatal(err)
	}
	if attrs != `{"cover_category": "0102", "owner_unit_imported": "排水公司", "anti_fall_net_imported": "有", "last_inspected_on_imported": "2025-03-01"}` || version != 2 || audits != 1 {
		t.Errorf("the cover after 021: attrs %s, version %d, %d audit rows; want the register's names renamed, version 2, one audit row", attrs, version, audits)
	}
	if err := sql.QueryRow(ctx, `SELECT attrs::text, version FROM assets WHERE code = 'M21-B'`).Scan(&attrs, &version); err != nil {
		t.Fatal(err)
	}
	if attrs != `{"road": "青年路", "pci_before": 40}` || version != 1 {
		t.Errorf("M21-B after 021: attrs %s, version %d; want it untouched", attrs, version)
	}
}
