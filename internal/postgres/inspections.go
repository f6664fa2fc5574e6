package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/inspection"
	"inframap/internal/maint"
)

// Inspection rounds (internal/inspection, docs/inspections.md): plans,
// the generator of each period's inspections, results with the defect
// cases they open, coverage, and the cover register.

const planColumns = `id, name, name_en, kind, filter, CASE WHEN area IS NULL THEN NULL ELSE ST_AsGeoJSON(area, 6) END,
	frequency, coalesce(every_days, 0), starts_on, active, created_by, version`

func scanPlan(row pgx.Row) (inspection.Plan, error) {
	var p inspection.Plan
	var filter []byte
	var area *string
	err := row.Scan(&p.ID, &p.Name, &p.NameEn, &p.Kind, &filter, &area, &p.Frequency, &p.EveryDays, &p.StartsOn,
		&p.Active, &p.CreatedBy, &p.Version)
	if err != nil {
		return p, err
	}
	if area != nil {
		p.Area = []byte(*area)
	}
	return p, json.Unmarshal(filter, &p.Filter)
}

// Plans lists every plan, active or not.
func (db *DB) Plans(ctx context.Context) ([]inspection.Plan, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+planColumns+` FROM inspection_plans ORDER BY id`)
	if err != nil {
		return nil, translate(err, "plans")
	}
	defer rows.Close()
	var out []inspection.Plan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, translate(err, "plans")
		}
		out = append(out, p)
	}
	return out, translate(rows.Err(), "plans")
}

// CreatePlan stores a new plan, with its audit row.
func (db *DB) CreatePlan(ctx context.Context, v maint.Viewer, p inspection.Plan) (*inspection.Plan, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	filter, err := json.Marshal(p.Filter)
	if err != nil {
		return nil, err
	}
	var area *string
	if len(p.Area) > 0 {
		s := string(p.Area)
		area = &s
	}
	var every *int
	if p.EveryDays > 0 {
		every = &p.EveryDays
	}
	var by *int64
	if v.UserID != 0 {
		by = &v.UserID
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "create plan")
	}
	defer tx.Rollback(ctx)
	out, err := scanPlan(tx.QueryRow(ctx, `INSERT INTO inspection_plans (name, name_en, kind, filter, area, frequency, every_days, starts_on, active, created_by)
		VALUES ($1, $2, $3, $4, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($5), 4326)), $6, $7, $8, $9, $10)
		RETURNING `+planColumns, p.Name, p.NameEn, string(p.Kind), filter, area, string(p.Frequency), every,
		p.StartsOn, p.Active, by))
	if err != nil {
		if e, ok := maint.AsError(translate(err, "create plan")); ok && e.Code == maint.CodeInvalid {
			return nil, maint.InvalidAs("area", "plan_area", nil, "area must be a valid GeoJSON Polygon or MultiPolygon")
		}
		return nil, translate(err, "create plan")
	}
	if err := audit(ctx, tx, v, "", "plan.create", "inspection_plan", &out.ID, map[string]any{"plan": out.Name, "plan_kind": out.Kind}); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "create plan")
	}
	return &out, nil
}

// generateSQL makes one plan's inspections for one period: every asset the
// plan picks that has none yet, each assigned round-robin (in asset id
// order) among the active inspectors of its sub-district, else among those
// with no sub-district (district-wide), else nobody. ON CONFLICT keeps it
// to one per (plan, asset, period) whoever else is generating.
const generateSQL = `
WITH insp AS (
	SELECT id, subdistrict, (row_number() OVER (PARTITION BY subdistrict ORDER BY id) - 1)::int AS k
	FROM users WHERE role = 'inspector' AND active
), n AS (
	SELECT subdistrict, count(*)::int AS n FROM insp GROUP BY subdistrict
), plan AS (
	SELECT * FROM inspection_plans WHERE id = $1
), cand AS (
	SELECT a.id, a.kind, a.subdistrict,
	       (row_number() OVER (PARTITION BY a.subdistrict ORDER BY a.id) - 1)::int AS r
	FROM assets a, plan p
	WHERE a.kind = p.kind
	  AND ($4::text[] IS NULL OR a.attrs->>'road' = ANY ($4))
	  AND ($5::text[] IS NULL OR coalesce(a.attrs->>'road', '') <> ALL ($5))
	  AND ($6::text[] IS NULL OR a.attrs->>'road_class' = ANY ($6))
	  AND ($7::text[] IS NULL OR a.attrs->>'cover_category' = ANY ($7))
	  AND ($8::text[] IS NULL OR a.attrs->>'load_class' = ANY ($8))
	  AND ($9::text[] IS NULL OR a.subdistrict = ANY ($9))
	  AND (p.area IS NULL OR ST_Intersects(a.geom, p.area))
	  AND NOT EXISTS (SELECT 1 FROM inspections i WHERE i.plan_id = $1 AND i.asset_id = a.id AND i.period_start = $2)
), slot AS (
	SELECT c.*, c.r % ns.n AS s, c.r % nd.n AS d
	FROM cand c LEFT JOIN n ns ON ns.subdistrict = c.subdistrict AND c.subdistrict <> ''
	            LEFT JOIN n nd ON nd.subdistrict = ''
)
INSERT INTO inspections (plan_id, asset_id, kind, subdistrict, period_start, period_end, inspector_id)
SELECT $1, c.id, c.kind, c.subdistrict, $2, $3, coalesce(i1.id, i2.id)
FROM slot c LEFT JOIN insp i1 ON i1.subdistrict = c.subdistrict AND c.subdistrict <> '' AND i1.k = c.s
            LEFT JOIN insp i2 ON i2.subdistrict = '' AND i2.k = c.d
ON CONFLICT (plan_id, asset_id, period_start) DO NOTHING`

func orNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// Generate makes the inspections of the period containing day for every
// active plan, and reports how many it made. It is safe to run any number
// of times and in any number of copies at once: each plan's period is made
// under a transaction-scoped advisory lock, and the unique (plan, asset,
// period) makes a second run insert nothing.
func (db *DB) Generate(ctx context.Context, day time.Time) (int64, error) {
	plans, err := db.Plans(ctx)
	if err != nil {
		return 0, err
	}
	var made int64
	for _, p := range plans {
		if !p.Active {
			continue
		}
		start, end, ok := p.Period(day)
		if !ok {
			continue
		}
		n, err := db.generatePlan(ctx, p, start, end)
		if err != nil {
			return made, err
		}
		made += n
	}
	return made, nil
}

func (db *DB) generatePlan(ctx context.Context, p inspection.Plan, start, end time.Time) (int64, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err, "generate plan %d", p.ID)
	}
	defer tx.Rollback(ctx)
	// The generator is a batch job: no statement timeout of the pool's.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return 0, translate(err, "generate plan %d", p.ID)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('inspections.generate'), $1::int)`, p.ID); err != nil {
		return 0, translate(err, "generate plan %d", p.ID)
	}
	f := p.Filter
	tag, err := tx.Exec(ctx, generateSQL, p.ID, start, end, orNil(f.Roads), orNil(f.NotRoads), orNil(f.RoadClasses),
		orNil(f.CoverCategories), orNil(f.LoadClasses), orNil(f.Subdistricts))
	if err != nil {
		return 0, translate(err, "generate plan %d", p.ID)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, translate(err, "generate plan %d", p.ID)
	}
	return tag.RowsAffected(), nil
}

// MarkMissed marks missed every inspection due whose period ended before
// day, and reports how many.
func (db *DB) MarkMissed(ctx context.Context, day time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE inspections SET status = 'missed' WHERE status = 'due' AND period_end < $1`, day)
	if err != nil {
		return 0, translate(err, "mark missed inspections")
	}
	return tag.RowsAffected(), nil
}

const inspectionColumns = `i.id, i.plan_id, p.name, i.asset_id, a.code, a.name, i.kind, i.subdistrict, i.period_start, i.period_end,
	i.inspector_id, coalesce(u.email, ''), i.status, i.done_at, i.result, coalesce(a.anchor_lon, 0), coalesce(a.anchor_lat, 0)`

const inspectionFrom = ` FROM inspections i JOIN inspection_plans p ON p.id = i.plan_id JOIN assets a ON a.id = i.asset_id
	LEFT JOIN users u ON u.id = i.inspector_id`

// statusAt is an inspection's status on day: a due one whose period ended
// before it counts as missed even before the job has marked it.
const statusAt = `CASE WHEN i.status = 'due' AND i.period_end < $1 THEN 'missed' ELSE i.status END`

func scanInspection(row pgx.Row) (inspection.Inspection, error) {
	var in inspection.Inspection
	var result []byte
	err := row.Scan(&in.ID, &in.PlanID, &in.PlanName, &in.AssetID, &in.AssetCode, &in.AssetName, &in.Kind, &in.Subdistrict,
		&in.PeriodStart, &in.DueOn, &in.InspectorID, &in.Inspector, &in.Status, &in.DoneAt, &result, &in.Lon, &in.Lat)
	if err != nil || result == nil {
		return in, err
	}
	in.Result = &inspection.Result{}
	return in, json.Unmarshal(result, in.Result)
}

// Inspections lists inspections by q, as of today (a due inspection whose
// period has ended is listed as missed), in id order after q.After.
func (db *DB) Inspections(ctx context.Context, q inspection.Query, today time.Time) ([]inspection.Inspection, error) {
	limit := q.Limit
	if limit <= 0 || limit > maint.MaxLimit {
		limit = maint.MaxLimit
	}
	var status *string
	if q.Status != "" {
		s := string(q.Status)
		status = &s
	}
	var kind, sub *string
	if q.Kind != "" {
		k := string(q.Kind)
		kind = &k
	}
	if q.Subdistrict != "" {
		sub = &q.Subdistrict
	}
	rows, err := db.pool.Query(ctx, `SELECT `+inspectionColumns+inspectionFrom+`
		WHERE ($2::text IS NULL OR `+statusAt+` = $2)
		  AND ($3::bigint IS NULL OR i.inspector_id = $3)
		  AND ($4::bigint IS NULL OR i.plan_id = $4)
		  AND ($5::text IS NULL OR i.kind = $5)
		  AND ($6::text IS NULL OR i.subdistrict = $6)
		  AND ($7::date IS NULL OR (i.period_start <= $7 AND i.period_end >= $7))
		  AND i.id > $8
		ORDER BY i.id LIMIT $9`, today, status, q.InspectorID, q.PlanID, kind, sub, q.On, q.After, limit)
	if err != nil {
		return nil, translate(err, "inspections")
	}
	defer rows.Close()
	var out []inspection.Inspection
	for rows.Next() {
		in, err := scanInspection(rows)
		if err != nil {
			return nil, translate(err, "inspections")
		}
		in.Status = inspection.Status(statusOn(in, today))
		out = append(out, in)
	}
	return out, translate(rows.Err(), "inspections")
}

func statusOn(in inspection.Inspection, today time.Time) inspection.Status {
	if in.Status == inspection.Due && in.DueOn.Before(today) {
		return inspection.Missed
	}
	return in.Status
}

// Inspection reads one inspection with the cases its result opened.
func (db *DB) Inspection(ctx context.Context, id int64) (*inspection.Inspection, error) {
	return inspectionIn(ctx, db.pool, id)
}

func inspectionIn(ctx context.Context, q rowQuerier, id int64) (*inspection.Inspection, error) {
	in, err := scanInspection(q.QueryRow(ctx, `SELECT `+inspectionColumns+inspectionFrom+` WHERE i.id = $1`, id))
	if err != nil {
		return nil, translate(err, "inspection %d", id)
	}
	in.Status = statusOn(in, inspection.Today(time.Now()))
	rows, err := q.Query(ctx, `SELECT inspection_item, id, ref FROM tasks WHERE inspection_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, translate(err, "inspection %d cases", id)
	}
	defer rows.Close()
	for rows.Next() {
		var item string
		var c inspection.CaseRef
		if err := rows.Scan(&item, &c.ID, &c.Ref); err != nil {
			return nil, translate(err, "inspection %d cases", id)
		}
		if in.Cases == nil {
			in.Cases = map[string]inspection.CaseRef{}
		}
		in.Cases[item] = c
	}
	return &in, translate(rows.Err(), "inspection %d cases", id)
}

// RecordResult records an inspection's checklist, once: in one
// transaction the result, one defect case per failed item (source
// inspector, linked to the inspection, at the inspector's position), the
// cover register (anti-fall net, last inspected) and the asset's
// condition. With an idempotency key a retry gets the first answer and
// records nothing; a second result for a done inspection is a conflict.
func (db *DB) RecordResult(ctx context.Context, v maint.Viewer, id int64, r inspection.Result, idem *maint.Idempotency) (*inspection.Inspection, bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, false, translate(err, "record inspection %d", id)
	}
	defer tx.Rollback(ctx)
	var first inspection.Inspection
	if ok, err := replay(ctx, tx, idem, &first); err != nil || ok {
		return &first, ok, err
	}
	var kind maint.Kind
	var status string
	var assetID int64
	var assetName, loadClass string
	err = tx.QueryRow(ctx, `SELECT i.kind, i.status, i.asset_id, a.name, coalesce(a.attrs->>'load_class', '')
		FROM inspections i JOIN assets a ON a.id = i.asset_id
		WHERE i.id = $1 FOR UPDATE OF i`, id).Scan(&kind, &status, &assetID, &assetName, &loadClass)
	if err != nil {
		return nil, false, translate(err, "inspection %d", id)
	}
	if status == string(inspection.Done) {
		return nil, false, maint.Errorf(maint.CodeConflict, "inspection %d has its result already", id).Because("inspection_done")
	}
	if err := r.Check(kind); err != nil {
		return nil, false, err
	}
	res, err := json.Marshal(r)
	if err != nil {
		return nil, false, err
	}
	var lon, lat *float64
	if r.Position != nil {
		lon, lat = &r.Position[0], &r.Position[1]
	}
	var by *int64
	if v.UserID != 0 {
		by = &v.UserID
	}
	_, err = tx.Exec(ctx, `UPDATE inspections SET status = 'done', done_at = now(), done_by = $2, result = $3,
			position = CASE WHEN $4::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($4, $5), 4326) END, accuracy_m = $6
		WHERE id = $1`, id, by, res, lon, lat, r.AccuracyM)
	if err != nil {
		return nil, false, translate(err, "record inspection %d", id)
	}
	for _, item := range r.Failed(kind) {
		if err := db.openDefect(ctx, tx, v, id, assetID, assetName, kind, item, r, lon, lat); err != nil {
			return nil, false, err
		}
	}
	if kind == maint.KindManhole {
		net := r.Checks["missing_anti_fall_net"] == "ok"
		_, err = tx.Exec(ctx, `INSERT INTO cover_register (asset_id, anti_fall_net, last_inspected_on) VALUES ($1, $2, $3)
			ON CONFLICT (asset_id) DO UPDATE SET anti_fall_net = EXCLUDED.anti_fall_net,
				last_inspected_on = greatest(cover_register.last_inspected_on, EXCLUDED.last_inspected_on), updated_at = now()`,
			assetID, net, inspection.Today(time.Now()))
		if err != nil {
			return nil, false, translate(err, "record inspection %d: register", id)
		}
	}
	if err := db.conditionFromInspection(ctx, tx, v, id, assetID, kind, loadClass, r); err != nil {
		return nil, false, err
	}
	out, err := inspectionIn(ctx, tx, id)
	if err != nil {
		return nil, false, err
	}
	if err := remember(ctx, tx, idem, out); err != nil {
		return nil, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, translate(err, "record inspection %d", id)
	}
	db.changed(ctx)
	return out, false, nil
}

// openDefect opens the case of one failed item: reported by the inspector,
// on the asset, at the position given, linked to the inspection.
func (db *DB) openDefect(ctx context.Context, tx pgx.Tx, v maint.Viewer, inspID, assetID int64, assetName string,
	kind maint.Kind, item string, r inspection.Result, lon, lat *float64) error {
	table, work := maint.ManholeDefects, "manhole_remediation"
	if kind == maint.KindRoadRepair {
		table, work = maint.RoadDistresses, "minor_repair"
	}
	named, _ := maint.Lookup(table, item)
	prio := maint.PriorityNormal
	if item == "missing_cover" || item == "missing_anti_fall_net" {
		prio = maint.PriorityUrgent
	}
	desc := r.Note
	for _, d := range r.Distresses {
		if d.Type == item {
			desc = fmt.Sprintf("%s %g（%s） %s", named.Name, d.Extent, d.Severity, r.Note)
		}
	}
	title := fmt.Sprintf("巡查发现：%s（%s）", named.Name, assetName)
	if n := []rune(title); len(n) > 200 {
		title = string(n[:200])
	}
	taskID, err := createTask(ctx, tx, v, maint.NewTask{AssetID: &assetID, Title: title, Description: desc, WorkType: work,
		Priority: prio, Source: maint.SourceInspector, Note: fmt.Sprintf("巡查 #%d：%s", inspID, named.Name)})
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE tasks SET inspection_id = $2, inspection_item = $3,
			location = CASE WHEN $4::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($4, $5), 4326) END
		WHERE id = $1`, taskID, inspID, item, lon, lat)
	if err != nil {
		return translate(err, "inspection %d: case for %s", inspID, item)
	}
	return db.startNewClock(ctx, tx, taskID)
}

// Coverage is the share of the scheduled inspections done whose periods
// start in [from, to], by sub-district and kind. An inspection is one
// asset in one period of one plan, so for a window of one plan period it
// is the share of the plan's assets inspected.
func (db *DB) Coverage(ctx context.Context, from, to time.Time) ([]inspection.Coverage, error) {
	rows, err := db.pool.Query(ctx, `SELECT subdistrict, kind, count(*) FILTER (WHERE status = 'done'), count(*)
		FROM inspections WHERE period_start BETWEEN $1 AND $2
		GROUP BY subdistrict, kind ORDER BY subdistrict, kind`, from, to)
	if err != nil {
		return nil, translate(err, "coverage")
	}
	defer rows.Close()
	out := []inspection.Coverage{}
	for rows.Next() {
		var c inspection.Coverage
		if err := rows.Scan(&c.Subdistrict, &c.Kind, &c.Inspected, &c.Scheduled); err != nil {
			return nil, translate(err, "coverage")
		}
		c.Share = inspection.ShareOf(c.Inspected, c.Scheduled)
		out = append(out, c)
	}
	return out, translate(rows.Err(), "coverage")
}

// Uninspected is a GeoJSON FeatureCollection of the assets with an
// inspection not done in a period starting in [from, to] (at most limit,
// by id), for the console's map.
func (db *DB) Uninspected(ctx context.Context, from, to time.Time, kind maint.Kind, limit int) ([]byte, error) {
	var k *string
	if kind != "" {
		s := string(kind)
		k = &s
	}
	var b []byte
	err := db.pool.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(f ORDER BY f.id), '[]'))::text
		FROM (SELECT DISTINCT ON (a.id) a.id, 'Feature' AS type,
		             json_build_object('type', 'Point', 'coordinates', json_build_array(round(a.anchor_lon::numeric, 6), round(a.anchor_lat::numeric, 6))) AS geometry,
		             json_build_object('id', a.id, 'code', a.code, 'name', a.name, 'kind', a.kind, 'subdistrict', i.subdistrict,
		                               'due_on', i.period_end, 'inspection_id', i.id, 'status', i.status) AS properties
		      FROM inspections i JOIN assets a ON a.id = i.asset_id
		      WHERE i.period_start BETWEEN $1 AND $2 AND i.status <> 'done' AND ($3::text IS NULL OR i.kind = $3)
		      ORDER BY a.id, i.period_end LIMIT $4) f`, from, to, k, limit).Scan(&b)
	return b, translate(err, "uninspected")
}

// CoverOwners lists the unit responsible for each cover category.
func (db *DB) CoverOwners(ctx context.Context) ([]inspection.CoverOwner, error) {
	rows, err := db.pool.Query(ctx, `SELECT category, unit, unit_en, crew FROM cover_owners ORDER BY category`)
	if err != nil {
		return nil, translate(err, "cover owners")
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (inspection.CoverOwner, error) {
		var o inspection.CoverOwner
		return o, r.Scan(&o.Category, &o.Unit, &o.UnitEn, &o.Crew)
	})
}

// SaveCoverOwner sets the unit and crew of a cover category (admins), with
// its audit row.
func (db *DB) SaveCoverOwner(ctx context.Context, v maint.Viewer, o inspection.CoverOwner) error {
	if err := maint.Require(v, maint.PermAdmin); err != nil {
		return err
	}
	if _, ok := maint.Lookup(maint.CoverCategories, o.Category); !ok {
		return maint.Errorf(maint.CodeNotFound, "no cover category %q", o.Category)
	}
	if o.Unit == "" || len([]rune(o.Unit)) > 100 || len([]rune(o.UnitEn)) > 100 {
		return maint.InvalidAs("unit", "owner_unit", nil, "unit is a name of 1 to 100 characters")
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "cover owner")
	}
	defer tx.Rollback(ctx)
	if err := checkCrew(ctx, tx, o.Crew); err != nil {
		return maint.InvalidAs("crew", "assignee_inactive", maint.Params{"name": o.Crew}, "%q is not an active crew or unit; admins keep the list", o.Crew)
	}
	_, err = tx.Exec(ctx, `INSERT INTO cover_owners (category, unit, unit_en, crew) VALUES ($1, $2, $3, $4)
		ON CONFLICT (category) DO UPDATE SET unit = $2, unit_en = $3, crew = $4, updated_at = now()`, o.Category, o.Unit, o.UnitEn, o.Crew)
	if err != nil {
		return translate(err, "cover owner")
	}
	if err := audit(ctx, tx, v, "", "cover_owner.save", "cover_owner", nil, map[string]any{"cover_category": o.Category, "owner_unit": o.Unit, "crew": o.Crew}); err != nil {
		return err
	}
	// Covers show their unit (owner_unit): the cached features and pages of
	// covers are stale, wherever they are.
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '{"kind":"manhole"}')`, ChangeChannel); err != nil {
		return translate(err, "cover owner")
	}
	if err := tx.Commit(ctx); err != nil {
		return translate(err, "cover owner")
	}
	db.changed(ctx)
	return nil
}

// CoverRegister reads a cover's file: its owner by category, load class,
// anti-fall net, last inspection and condition grade.
func (db *DB) CoverRegister(ctx context.Context, assetID int64) (*inspection.Register, error) {
	var g inspection.Register
	var kind string
	err := db.pool.QueryRow(ctx, `SELECT a.id, a.kind, a.code, coalesce(a.attrs->>'cover_category', ''), coalesce(a.attrs->>'load_class', ''),
			coalesce(o.unit, ''), coalesce(o.unit_en, ''), coalesce(o.crew, ''), r.anti_fall_net, r.last_inspected_on
		FROM assets a LEFT JOIN cover_owners o ON o.category = a.attrs->>'cover_category'
		LEFT JOIN cover_register r ON r.asset_id = a.id WHERE a.id = $1`, assetID).Scan(&g.AssetID, &kind, &g.Code,
		&g.CoverCategory, &g.LoadClass, &g.Unit, &g.UnitEn, &g.Crew, &g.AntiFallNet, &g.LastInspectedOn)
	if err != nil {
		return nil, translate(err, "asset %d", assetID)
	}
	if kind != string(maint.KindManhole) {
		return nil, maint.Errorf(maint.CodeNotFound, "asset %d is not a manhole cover", assetID)
	}
	g.ConditionGrade = db.coverGrade(ctx, assetID)
	return &g, nil
}

// rowQuerier is a pool or a transaction.
type rowQuerier interface {
	querier
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// coverOwnerCrew is the crew a cover's cases go to by default: its
// category's owner, "" for other assets.
func coverOwnerCrew(ctx context.Context, tx pgx.Tx, assetID int64) (string, error) {
	var crew string
	err := tx.QueryRow(ctx, `SELECT coalesce((SELECT o.crew FROM assets a JOIN cover_owners o ON o.category = a.attrs->>'cover_category'
		JOIN crews c ON c.name = o.crew AND c.active WHERE a.id = $1 AND a.kind = 'manhole'), '')`, assetID).Scan(&crew)
	return crew, translate(err, "cover owner of asset %d", assetID)
}

// SeedPlans stores plans when there are none yet (the demo's rounds), under
// a lock so that copies starting together store them once.
func (db *DB) SeedPlans(ctx context.Context, v maint.Viewer, plans []inspection.Plan) (bool, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return false, translate(err, "seed plans")
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('inspections.seed'))`); err != nil {
		return false, translate(err, "seed plans")
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('inspections.seed'))`)
	var any bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inspection_plans)`).Scan(&any); err != nil || any {
		return false, translate(err, "seed plans")
	}
	for _, p := range plans {
		if _, err := db.CreatePlan(ctx, v, p); err != nil {
			return false, err
		}
	}
	return true, nil
}

// EnsureOwnerCrews creates the crews the cover owners name that do not
// exist yet (the demo's units), and reports how many it made.
func (db *DB) EnsureOwnerCrews(ctx context.Context) (int64, error) {
	tag, err := db.pool.Exec(ctx, `INSERT INTO crews (name) SELECT DISTINCT crew FROM cover_owners ON CONFLICT DO NOTHING`)
	if err != nil {
		return 0, translate(err, "owner crews")
	}
	return tag.RowsAffected(), nil
}

// SetSubdistrictIfNone gives a user the sub-district they look after, when they
// have none (the demo's inspectors).
func (db *DB) SetSubdistrictIfNone(ctx context.Context, email, subdistrict string) error {
	_, err := db.pool.Exec(ctx, `UPDATE users SET subdistrict = $2, updated_at = now() WHERE lower(email) = lower($1) AND subdistrict = ''`, email, subdistrict)
	return translate(err, "user %s", email)
}
