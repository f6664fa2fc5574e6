package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"inframap/internal/maint"
)

// query builds a statement from small fragments with numbered parameters.
type query struct {
	where []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) and(cond string) { q.where = append(q.where, cond) }

func (q *query) whereClause() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

func statusStrings(ss []maint.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// likePattern escapes s for use inside an ILIKE pattern.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// asOfStatus replays an asset's status at a cut-off: the last state reached
// before it by the latest task that had begun by then.
const asOfStatus = `
	LEFT JOIN LATERAL (
		SELECT e.to_status AS status, e.at AS status_at
		FROM tasks t JOIN task_events e ON e.task_id = t.id
		WHERE t.asset_id = a.id AND e.at < %s AND e.to_status IS NOT NULL
		ORDER BY t.created_at DESC, t.id DESC, e.at DESC, e.id DESC
		LIMIT 1) h ON true`

// assetColumns are the columns of a listed asset, in scan order.
const assetColumns = `a.id, a.kind, a.code, a.name, a.name_en, a.subdistrict, a.parent_id, a.attrs::text,
	ST_AsGeoJSON(a.geom, 7)::text, %s, %s, a.version, a.created_at, a.updated_at, ` + completedAt

// assetColumnsOf are assetColumns with the register of the kinds listed
// (every kind when none).
func assetColumnsOf(kinds ...maint.Kind) string { return assetColumns + registerColumns(kinds...) }

// completedAt is when an asset's case of the published programme closed,
// kept on the asset by the trigger on tasks, followed by the asset's
// condition (PCI and grade, docs/condition.md).
const completedAt = `a.completed_at, a.pci::float8, a.condition_grade, a.condition_score::float8`

// The register of a cover (docs/inspections.md) as expressions on the
// asset row a, for filters: its unit by category, and its cover_register
// row's values, each a lookup by primary key.
const (
	coverOwnerUnit   = `(SELECT o.unit FROM cover_owners o WHERE o.category = a.attrs->>'cover_category')`
	coverAntiFallNet = `(SELECT r.anti_fall_net FROM cover_register r WHERE r.asset_id = a.id)`
	coverInspectedOn = `(SELECT to_char(r.last_inspected_on, 'YYYY-MM-DD') FROM cover_register r WHERE r.asset_id = a.id)`
)

// registerColumns follow completedAt: a cover's register, from the joins
// of assetsFrom. Other kinds have none, and cost nothing: a list of kinds
// without covers selects constants and joins nothing.
func registerColumns(kinds ...maint.Kind) string {
	if !withCovers(kinds) {
		return `, NULL::text, NULL::boolean, NULL::date`
	}
	return `, reg_o.unit, reg_r.anti_fall_net, reg_r.last_inspected_on`
}

// assetsFrom is the FROM clause of a list of assets of kinds (every kind
// when none), the asset as a: joined with its register when covers may be
// among them.
func assetsFrom(kinds ...maint.Kind) string {
	switch {
	case !withCovers(kinds):
		return " FROM assets a"
	case len(kinds) == 1:
		return ` FROM assets a LEFT JOIN cover_register reg_r ON reg_r.asset_id = a.id
		LEFT JOIN cover_owners reg_o ON reg_o.category = a.attrs->>'cover_category'`
	}
	return ` FROM assets a LEFT JOIN cover_register reg_r ON reg_r.asset_id = a.id AND a.kind = 'manhole'
		LEFT JOIN cover_owners reg_o ON reg_o.category = a.attrs->>'cover_category' AND a.kind = 'manhole'`
}

func withCovers(kinds []maint.Kind) bool {
	return len(kinds) == 0 || slices.Contains(kinds, maint.KindManhole)
}

// ListAssets streams the assets that match f, in id order, to emit, reusing
// one Asset value for every row: its Attrs and Geometry point into the
// driver's buffer and are valid only until emit returns. It fetches one row
// beyond f.Limit to learn whether more remain, and reports that.
// listAssetsSQL is the statement of ListAssets (one row beyond the limit),
// its arguments and the limit.
func listAssetsSQL(f maint.AssetFilter) (string, []any, int) {
	var q query
	status, statusAt, join := "a.status", "a.status_at", ""
	if f.AsOf != nil {
		join = replaceCut(asOfStatus, q.arg(maint.EndOfDay(*f.AsOf)))
		status, statusAt = "h.status", "h.status_at"
	}
	if len(f.Kinds) > 0 {
		q.and("a.kind = ANY(" + q.arg(maint.KindNames(f.Kinds)) + ")")
	}
	if len(f.Statuses) > 0 {
		q.and(status + " = ANY(" + q.arg(statusStrings(f.Statuses)) + ")")
	}
	if f.BBox != nil {
		b := f.BBox
		q.and("ST_Intersects(a.geom, ST_MakeEnvelope(" + q.arg(b.MinLon) + ", " + q.arg(b.MinLat) + ", " +
			q.arg(b.MaxLon) + ", " + q.arg(b.MaxLat) + ", 4326))")
	}
	if f.Q != "" {
		p := q.arg(likePattern(f.Q))
		q.and("(a.name ILIKE " + p + " OR a.name_en ILIKE " + p + " OR a.code ILIKE " + p + ")")
	}
	if f.Subdistrict != "" {
		q.and("a.subdistrict = " + q.arg(f.Subdistrict))
	}
	if f.ParentID != nil {
		q.and("a.parent_id = " + q.arg(*f.ParentID))
	}
	if f.CompletedFrom != nil {
		q.and("a.completed_at >= " + q.arg(*f.CompletedFrom))
	}
	if f.CompletedTo != nil {
		q.and("a.completed_at < " + q.arg(maint.EndOfDay(*f.CompletedTo)))
	}
	if f.After > 0 {
		q.and("a.id > " + q.arg(f.After))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = maint.DefaultLimit
	}
	sql := "SELECT " + strings.Replace(strings.Replace(assetColumnsOf(f.Kinds...), "%s", status, 1), "%s", statusAt, 1) +
		assetsFrom(f.Kinds...) + join + q.whereClause() + " ORDER BY a.id LIMIT " + q.arg(limit+1)
	return sql, q.args, limit
}

func (db *DB) ListAssets(ctx context.Context, f maint.AssetFilter, emit func(*maint.Asset) error) (more bool, err error) {
	sql, args, limit := listAssetsSQL(f)
	rows, err := db.readFrom(ctx).pool.Query(ctx, sql, args...)
	if err != nil {
		return false, translate(err, "list assets")
	}
	defer rows.Close()
	var a maint.Asset
	n := 0
	for rows.Next() {
		n++
		if n > limit {
			return true, nil
		}
		if err := scanAssetRaw(rows, &a); err != nil {
			return false, translate(err, "list assets")
		}
		if err := emit(&a); err != nil {
			return false, err
		}
	}
	return false, translate(rows.Err(), "list assets")
}

// scanAssetRaw scans without copying the JSON columns.
func scanAssetRaw(row pgx.Row, a *maint.Asset) error {
	var kind string
	var status *string
	err := row.Scan(&a.ID, &kind, &a.Code, &a.Name, &a.NameEn, &a.Subdistrict, &a.ParentID, (*pgtype.DriverBytes)(&a.Attrs),
		(*pgtype.DriverBytes)(&a.Geometry), &status, &a.StatusAt, &a.Version, &a.CreatedAt, &a.UpdatedAt, &a.CompletedAt, &a.PCI, &a.ConditionGrade, &a.ConditionScore,
		&a.OwnerUnit, &a.AntiFallNet, &a.LastInspectedOn)
	a.Kind = maint.Kind(kind)
	a.Status = (*maint.Status)(status)
	return err
}

func scanAsset(row pgx.Row, a *maint.Asset) error {
	var kind string
	var status *string
	err := row.Scan(&a.ID, &kind, &a.Code, &a.Name, &a.NameEn, &a.Subdistrict, &a.ParentID, (*[]byte)(&a.Attrs),
		(*[]byte)(&a.Geometry), &status, &a.StatusAt, &a.Version, &a.CreatedAt, &a.UpdatedAt, &a.CompletedAt, &a.PCI, &a.ConditionGrade, &a.ConditionScore,
		&a.OwnerUnit, &a.AntiFallNet, &a.LastInspectedOn)
	a.Kind = maint.Kind(kind)
	a.Status = (*maint.Status)(status)
	return err
}

// Asset returns one asset with its tasks and their history, newest task
// first. Staff see everything; the public never sees reporters' details or
// internal notes.
func (db *DB) Asset(ctx context.Context, id int64, v maint.Viewer) (*maint.Asset, error) {
	var a maint.Asset
	sql := "SELECT " + strings.Replace(strings.Replace(assetColumnsOf(), "%s", "a.status", 1), "%s", "a.status_at", 1) +
		assetsFrom() + " WHERE a.id = $1"
	if err := scanAsset(db.pool.QueryRow(ctx, sql, id), &a); err != nil {
		return nil, translate(err, "asset %d", id)
	}
	tasks, err := db.tasksOf(ctx, id, v)
	if err != nil {
		return nil, err
	}
	a.Tasks = tasks
	return &a, nil
}

// taskColumns are the columns of a task, in scanTask's order.
const taskColumns = `t.id, t.ref, t.asset_id, t.programme, t.title, t.description, t.work_type, t.status, t.status_at,
	t.priority, t.assignee, t.due_date, t.qty_planned::float8, t.qty_done::float8, t.qty_unit, t.phase, t.percent,
	t.version, t.source, ST_AsGeoJSON(t.location, 7)::text, t.reporter_name, t.reporter_contact,
	t.created_at, t.updated_at, t.closed_at, t.supports`

// scanTaskWith scans taskColumns into t, then any extra columns into extra.
func scanTaskWith(row pgx.Row, t *maint.Task, v maint.Viewer, extra ...any) error {
	var programme, status, priority, source string
	var assignee, phase *string
	var percent *int16
	var location *string
	dest := append([]any{&t.ID, &t.Ref, &t.AssetID, &programme, &t.Title, &t.Description, &t.WorkType, &status, &t.StatusAt,
		&priority, &assignee, &t.DueDate, &t.QtyPlanned, &t.QtyDone, &t.QtyUnit, &phase, &percent,
		&t.Version, &source, &location, &t.ReporterName, &t.ReporterContact,
		&t.CreatedAt, &t.UpdatedAt, &t.ClosedAt, &t.Supports}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	t.Programme, t.Status, t.Priority, t.Source = maint.Programme(programme), maint.Status(status), maint.Priority(priority), maint.Source(source)
	t.Assignee = deref(assignee)
	t.Phase = (*maint.Phase)(phase)
	if percent != nil {
		p := int(*percent)
		t.Percent = &p
	}
	if location != nil {
		t.Location = []byte(*location)
	}
	if !v.Staff() {
		t.ReporterName, t.ReporterContact = "", ""
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// tasksOf returns an asset's tasks, newest first, each with its history.
func (db *DB) tasksOf(ctx context.Context, assetID int64, v maint.Viewer) ([]maint.Task, error) {
	rd := db.reader(ctx, db.pool)
	rows, err := db.pool.Query(ctx, "SELECT "+taskColumns+taskAssetColumns+taskFrom+" WHERE t.asset_id = $1 ORDER BY t.created_at DESC, t.id DESC", assetID)
	if err != nil {
		return nil, translate(err, "tasks of asset %d", assetID)
	}
	var tasks []maint.Task
	for rows.Next() {
		var t maint.Task
		if err := scanTaskRow(rows, &t, v, rd); err != nil {
			rows.Close()
			return nil, translate(err, "tasks of asset %d", assetID)
		}
		tasks = append(tasks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "tasks of asset %d", assetID)
	}
	if len(tasks) == 0 {
		return tasks, nil
	}
	ids := make([]int64, len(tasks))
	index := map[int64]int{}
	for i, t := range tasks {
		ids[i] = t.ID
		index[t.ID] = i
	}
	events, err := db.events(ctx, ids, v)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		i := index[e.TaskID]
		tasks[i].History = append(tasks[i].History, e)
	}
	return tasks, nil
}

// events returns the history of the given tasks in order. The public sees
// no internal notes and no names of staff.
func (db *DB) events(ctx context.Context, taskIDs []int64, v maint.Viewer) ([]maint.Event, error) {
	return events(ctx, db.pool, taskIDs, v)
}

func events(ctx context.Context, db querier, taskIDs []int64, v maint.Viewer) ([]maint.Event, error) {
	rows, err := db.Query(ctx, `
		SELECT e.id, e.task_id, e.at, e.actor, e.actor_role, e.from_status, e.to_status, e.changes, e.note, e.internal
		FROM task_events e WHERE e.task_id = ANY($1) AND (e.internal = false OR $2)
		ORDER BY e.task_id, e.at, e.id`, taskIDs, v.Staff())
	if err != nil {
		return nil, translate(err, "task history")
	}
	evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.Event, error) {
		var e maint.Event
		var from, to *string
		err := row.Scan(&e.ID, &e.TaskID, &e.At, &e.Actor, &e.ActorRole, &from, &to, &e.Changes, &e.Note, &e.Internal)
		e.From, e.To = (*maint.Status)(from), (*maint.Status)(to)
		if !v.Staff() {
			e.Actor = e.ActorRole
		}
		return e, err
	})
	return evs, translate(err, "task history")
}

// dayStart is midnight of t's day in the district's zone.
func dayStart(t time.Time) time.Time {
	y, m, d := t.In(maint.Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, maint.Zone)
}
