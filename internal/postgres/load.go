package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/gis"
	"inframap/internal/maint"
)

// CountAssets returns the number of assets stored.
func (db *DB) CountAssets(ctx context.Context) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, "SELECT count(*) FROM assets").Scan(&n)
	return n, translate(err, "count assets")
}

// Load stores a whole dataset (areas, crews, assets, tasks with their
// history) in one transaction, through COPY. The database must hold no
// assets yet, so loading twice is refused rather than duplicated.
func (db *DB) Load(ctx context.Context, b *maint.Bulk) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "load: begin")
	}
	defer tx.Rollback(ctx)
	// One loader at a time: a second server started with -demo waits here
	// and then finds the data loaded.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('inframap.load'))"); err != nil {
		return translate(err, "load: lock")
	}
	var n int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM assets").Scan(&n); err != nil {
		return translate(err, "load")
	}
	if n > 0 {
		return maint.Errorf(maint.CodeConflict, "the database already holds %d assets; load into an empty database", n)
	}
	if err := loadAreas(ctx, tx, b); err != nil {
		return err
	}
	for _, c := range b.Crews {
		if _, err := tx.Exec(ctx, "INSERT INTO crews (name) VALUES ($1) ON CONFLICT DO NOTHING", c); err != nil {
			return translate(err, "load crew %q", c)
		}
	}
	if err := loadAssets(ctx, tx, b.Assets, b.AssetsCreated); err != nil {
		return err
	}
	if err := loadTasks(ctx, tx, b.Tasks); err != nil {
		return err
	}
	if err := loadCondition(ctx, tx, b); err != nil {
		return err
	}
	if _, err := db.rebuildClocks(ctx, tx); err != nil {
		return err
	}
	return translate(tx.Commit(ctx), "load: commit")
}

// loadAreas stores the district boundary and builds the approximate
// sub-district zones as the Voronoi cells of their centres, clipped to it.
func loadAreas(ctx context.Context, tx pgx.Tx, b *maint.Bulk) error {
	if b.District == nil {
		return nil
	}
	wkb, err := gis.EncodeEWKB(b.District)
	if err != nil {
		return fmt.Errorf("load district: %w", err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO areas (kind, name, name_en, approximate, source, geom)
		VALUES ('district', $1, $2, true, 'published outline, simplified (±150 m)', ST_Multi(ST_GeomFromEWKB($3)))
		ON CONFLICT (kind, name) DO UPDATE SET geom = EXCLUDED.geom`,
		b.DistrictName, b.DistrictNameEn, wkb)
	if err != nil {
		return translate(err, "load district")
	}
	if len(b.Zones) == 0 {
		return nil
	}
	names, namesEn := make([]string, len(b.Zones)), make([]string, len(b.Zones))
	lons, lats := make([]float64, len(b.Zones)), make([]float64, len(b.Zones))
	for i, z := range b.Zones {
		pt, err := gis.AsPoint(z.Centre)
		if err != nil {
			return fmt.Errorf("zone %s: %w", z.Name, err)
		}
		names[i], namesEn[i], lons[i], lats[i] = z.Name, z.NameEn, pt[0], pt[1]
	}
	_, err = tx.Exec(ctx, `
		WITH c AS (
		    SELECT n.name, n.name_en, ST_SetSRID(ST_MakePoint(n.lon, n.lat), 4326) AS pt
		    FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[]) AS n (name, name_en, lon, lat)
		), d AS (
		    SELECT geom FROM areas WHERE kind = 'district' AND name = $5
		), cells AS (
		    SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(c.pt), 0, ST_Expand((SELECT geom FROM d), 0.1)))).geom AS cell
		    FROM c
		)
		INSERT INTO areas (kind, name, name_en, approximate, source, geom)
		SELECT 'subdistrict', c.name, c.name_en, true, 'Voronoi cell of an approximate centre, clipped to the district',
		       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(cells.cell, (SELECT geom FROM d))), 3))
		FROM c JOIN cells ON ST_Contains(cells.cell, c.pt)
		ON CONFLICT (kind, name) DO UPDATE SET geom = EXCLUDED.geom`,
		names, namesEn, lons, lats, b.DistrictName)
	return translate(err, "load sub-district zones")
}

func loadAssets(ctx context.Context, tx pgx.Tx, assets []maint.AssetRecord, created time.Time) error {
	if created.IsZero() {
		created = time.Now()
	}
	_, err := tx.Exec(ctx, `CREATE TEMP TABLE load_assets (
		ord int, kind text, code text, name text, name_en text, parent_code text, attrs jsonb, geom bytea
	) ON COMMIT DROP`)
	if err != nil {
		return translate(err, "load assets")
	}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= len(assets) {
			return nil, nil
		}
		a := assets[i]
		i++
		wkb, err := gis.EncodeEWKB(a.Geometry)
		if err != nil {
			return nil, fmt.Errorf("asset %s: %w", a.Code, err)
		}
		return []any{i, string(a.Kind), a.Code, a.Name, a.NameEn, a.ParentCode, string(a.AttrsJSON()), wkb}, nil
	})
	if _, err := copyRows(ctx, tx, "load_assets",
		[]string{"ord", "kind", "code", "name", "name_en", "parent_code", "attrs", "geom"}, src); err != nil {
		return translate(err, "load assets: copy")
	}
	// Parents first, so children can refer to them by code.
	for _, parents := range []bool{true, false} {
		_, err := tx.Exec(ctx, `
			INSERT INTO assets (kind, code, name, name_en, subdistrict, parent_id, attrs, geom, created_at, updated_at)
			SELECT l.kind, l.code, l.name, l.name_en, subdistrict_of(g.geom), p.id, l.attrs, g.geom, $1, $1
			FROM load_assets l
			CROSS JOIN LATERAL (SELECT ST_GeomFromEWKB(l.geom) AS geom) g
			LEFT JOIN assets p ON p.code = NULLIF(l.parent_code, '')
			WHERE (l.parent_code = '') = $2
			ORDER BY l.ord`, created, parents)
		if err != nil {
			return translate(err, "load assets")
		}
	}
	var orphans int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM load_assets l JOIN assets a ON a.code = l.code
		WHERE l.parent_code <> '' AND a.parent_id IS NULL`).Scan(&orphans); err != nil {
		return translate(err, "load assets")
	}
	if orphans > 0 {
		return maint.Errorf(maint.CodeInvalid, "%d assets name a parent code that is not loaded", orphans)
	}
	return nil
}

func loadTasks(ctx context.Context, tx pgx.Tx, tasks []maint.TaskRecord) error {
	_, err := tx.Exec(ctx, `
		CREATE TEMP TABLE load_tasks (
			ord int, ref text, asset_code text, programme text, title text, description text, work_type text,
			status text, status_at timestamptz, priority text, assignee text, due_date date,
			qty_planned numeric, qty_done numeric, qty_unit text, phase text, percent smallint, source text,
			reporter_name text, reporter_contact text, created_at timestamptz, closed_at timestamptz
		) ON COMMIT DROP;
		CREATE TEMP TABLE load_events (
			ord int, ref text, at timestamptz, actor text, from_status text, to_status text, note text, internal bool,
			changes jsonb
		) ON COMMIT DROP`)
	if err != nil {
		return translate(err, "load tasks")
	}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= len(tasks) {
			return nil, nil
		}
		t := tasks[i]
		i++
		if len(t.Events) == 0 {
			return nil, fmt.Errorf("task %s has no history", t.Ref)
		}
		last := t.Last()
		var closed *time.Time
		if last.To == maint.StatusClosed {
			closed = &last.At
		}
		return []any{i, t.Ref, t.AssetCode, string(t.Programme), t.Title, t.Description, t.WorkType,
			string(last.To), last.At, string(orDefault(t.Priority, maint.PriorityNormal)), nullString(t.Assignee), t.DueDate,
			t.QtyPlanned, t.QtyDone, t.QtyUnit, nullString(string(t.Phase)), t.Percent, string(t.Source),
			t.ReporterName, t.ReporterContact, t.Events[0].At, closed}, nil
	})
	if _, err := copyRows(ctx, tx, "load_tasks", []string{"ord", "ref", "asset_code", "programme", "title",
		"description", "work_type", "status", "status_at", "priority", "assignee", "due_date", "qty_planned", "qty_done",
		"qty_unit", "phase", "percent", "source", "reporter_name", "reporter_contact", "created_at", "closed_at"}, src); err != nil {
		return translate(err, "load tasks: copy")
	}
	ti, ei := 0, 0
	evs := pgx.CopyFromFunc(func() ([]any, error) {
		for ti < len(tasks) && ei >= len(tasks[ti].Events) {
			ti, ei = ti+1, 0
		}
		if ti >= len(tasks) {
			return nil, nil
		}
		e := tasks[ti].Events[ei]
		ei++
		changes := map[string]any{}
		if e.Changes != nil {
			changes = e.Changes
		}
		return []any{ei, tasks[ti].Ref, e.At, e.Actor, nullString(string(e.From)), nullString(string(e.To)), e.Note, e.Internal, changes}, nil
	})
	if _, err := copyRows(ctx, tx, "load_events",
		[]string{"ord", "ref", "at", "actor", "from_status", "to_status", "note", "internal", "changes"}, evs); err != nil {
		return translate(err, "load task events: copy")
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO tasks (ref, asset_id, programme, title, description, work_type, status, status_at, priority,
		                   assignee, due_date, qty_planned, qty_done, qty_unit, phase, percent, source,
		                   reporter_name, reporter_contact, created_at, updated_at, closed_at)
		SELECT l.ref, a.id, l.programme, l.title, l.description, l.work_type, l.status, l.status_at, l.priority,
		       l.assignee, l.due_date, l.qty_planned, l.qty_done, l.qty_unit, l.phase, l.percent, l.source,
		       l.reporter_name, l.reporter_contact, l.created_at, l.status_at, l.closed_at
		FROM load_tasks l LEFT JOIN assets a ON a.code = l.asset_code
		ORDER BY l.ord`)
	if err != nil {
		return translate(err, "load tasks")
	}
	if int(tag.RowsAffected()) != len(tasks) {
		return fmt.Errorf("load tasks: stored %d of %d", tag.RowsAffected(), len(tasks))
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO task_events (task_id, at, actor, actor_role, from_status, to_status, note, internal, changes)
		SELECT t.id, e.at, e.actor,
		       CASE WHEN e.actor IN ('admin', 'engineer', 'inspector', 'resident') THEN e.actor ELSE 'system' END,
		       e.from_status, e.to_status, e.note, e.internal, e.changes
		FROM load_events e JOIN tasks t ON t.ref = e.ref
		ORDER BY t.id, e.ord`)
	return translate(err, "load task events")
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
