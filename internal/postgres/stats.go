package postgres

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
	"inframap/internal/timelimit"
)

// programmeQuantity is each programme asset's contribution to its
// programme's quantity: m² of road, one site (Yingbin Road's corridor is
// reported apart), spaces, one manhole, m² of the project.
const programmeQuantity = `CASE a.kind
	WHEN 'road_repair' THEN (a.attrs->>'area_m2')::numeric
	WHEN 'sewer_separation' THEN CASE WHEN coalesce((a.attrs->>'corridor')::bool, false) THEN 0 ELSE 1 END
	WHEN 'parking_lot' THEN (a.attrs->>'spaces')::numeric
	WHEN 'manhole' THEN 1
	WHEN 'capital_project' THEN (a.attrs->>'area_m2')::numeric
	ELSE 0 END`

// Stats computes the report card, now or at the end of asOf (a day in the
// district's zone). Completion means the asset's task of the published
// programme reached 结案; routine work never changes the published figures.
func (db *DB) Stats(ctx context.Context, asOf *time.Time) (*maint.Stats, error) {
	r := statsRun{db: db, asOf: asOf, cut: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), today: dayStart(time.Now()),
		byKind: map[maint.Kind]*maint.ProgrammeStats{}}
	st := &maint.Stats{}
	if asOf != nil {
		r.cut = maint.EndOfDay(*asOf)
		r.today = dayStart(*asOf)
		st.AsOf = asOf.In(maint.Zone).Format(time.DateOnly)
	}
	for _, k := range maint.ProgrammeKinds {
		r.byKind[k] = &maint.ProgrammeStats{Kind: k, Name: k.Name(), NameEn: k.NameEn(), Unit: k.Unit(), ByStatus: map[string]int{}, ByMonth: []maint.MonthStats{}}
	}
	tx, err := db.readFrom(ctx).pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "stats")
	}
	defer tx.Rollback(ctx)
	// One snapshot for every figure.
	if _, err := tx.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return nil, translate(err, "stats")
	}
	r.tx = tx
	for _, step := range []func(context.Context) error{r.programmes, r.corridorNames, r.months} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	if st.Tasks, err = r.tasks(ctx); err != nil {
		return nil, err
	}
	for _, k := range maint.ProgrammeKinds {
		p := r.byKind[k]
		if p.Quantity > 0 {
			p.PercentComplete = math.Round(p.CompletedQuantity/p.Quantity*1000) / 10
		}
		st.Programmes = append(st.Programmes, *p)
	}
	return st, nil
}

// statsRun is one computation of the report card, in one snapshot.
type statsRun struct {
	db         *DB
	tx         pgx.Tx
	asOf       *time.Time
	cut, today time.Time
	byKind     map[maint.Kind]*maint.ProgrammeStats
}

// corridorSQL selects the Yingbin Road corridor among the sewer works.
const corridorSQL = `a.kind = 'sewer_separation' AND coalesce((a.attrs->>'corridor')::bool, false)`

// programmes counts every programme by status, with quantities and
// completions, in one pass over the assets; a column of the attributes is
// read only for the kinds it concerns, so a city's million manholes cost a
// hash probe each and no JSON.
func (r *statsRun) programmes(ctx context.Context) error {
	status, lateral := "a.status", ""
	if r.asOf != nil {
		status, lateral = "h.status", replaceCut(asOfStatus, "$1")
	}
	rows, err := r.tx.Query(ctx, `
		WITH done AS (
			SELECT t.asset_id, min(e.at) AS at
			FROM tasks t JOIN task_events e ON e.task_id = t.id
			WHERE t.programme = '2023-2024' AND e.to_status = 'closed' AND e.at < $1
			GROUP BY t.asset_id
		)
		SELECT a.kind, coalesce(`+status+`, 'none'), count(*), coalesce(sum(`+programmeQuantity+`), 0)::float8,
		       count(done.at), coalesce(sum(`+programmeQuantity+`) FILTER (WHERE done.at IS NOT NULL), 0)::float8,
		       count(*) FILTER (WHERE `+corridorSQL+`),
		       count(done.at) FILTER (WHERE `+corridorSQL+`),
		       coalesce(sum(round((a.attrs->>'investment_yuan')::numeric)::bigint) FILTER (WHERE a.kind = 'capital_project'), 0)
		FROM assets a LEFT JOIN done ON done.asset_id = a.id`+lateral+`
		WHERE a.kind <> 'parking_space'
		GROUP BY 1, 2`, r.cut)
	if err != nil {
		return translate(err, "stats: programmes")
	}
	defer rows.Close()
	// The corridor and investment columns count only their own kind.
	var corridors, corridorsDone int
	var invest int64
	for rows.Next() {
		var kind, status string
		var n, completed, corr, corrDone int
		var qty, qtyDone float64
		var inv int64
		if err := rows.Scan(&kind, &status, &n, &qty, &completed, &qtyDone, &corr, &corrDone, &inv); err != nil {
			return translate(err, "stats: programmes")
		}
		t := r.byKind[maint.Kind(kind)]
		if t == nil {
			continue
		}
		t.ByStatus[status] = n
		t.Count += n
		t.Quantity += qty
		t.Completed += completed
		t.CompletedQuantity += qtyDone
		corridors += corr
		corridorsDone += corrDone
		invest += inv
	}
	if err := rows.Err(); err != nil {
		return translate(err, "stats: programmes")
	}
	if t := r.byKind[maint.KindSewerSeparation]; t.Count > 0 {
		sites, sitesDone := t.Count-corridors, t.Completed-corridorsDone
		t.Sites, t.Corridors, t.CompletedSites, t.CompletedCorridors = &sites, &corridors, &sitesDone, &corridorsDone
	}
	if t := r.byKind[maint.KindCapitalProject]; t.Count > 0 {
		t.InvestmentYuan = &invest
	}
	return nil
}

// corridorNames names the corridors of the sewer programme.
func (r *statsRun) corridorNames(ctx context.Context) error {
	names, err := r.tx.Query(ctx, `SELECT coalesce(a.attrs->>'road', a.name) FROM assets a WHERE `+corridorSQL+` ORDER BY a.id`)
	if err != nil {
		return translate(err, "stats: corridors")
	}
	cn, err := pgx.CollectRows(names, pgx.RowTo[string])
	if err != nil {
		return translate(err, "stats: corridors")
	}
	if t := r.byKind[maint.KindSewerSeparation]; t.Count > 0 {
		t.CorridorNames = append([]string{}, cn...)
	}
	return nil
}

// months counts each programme's completions by month (Beijing time).
func (r *statsRun) months(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
		SELECT a.kind, to_char(min(e.at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, `+programmeQuantity+`
		FROM assets a JOIN tasks t ON t.asset_id = a.id JOIN task_events e ON e.task_id = t.id
		WHERE t.programme = '2023-2024' AND e.to_status = 'closed' AND e.at < $1 AND a.kind <> 'parking_space'
		GROUP BY a.id`, r.cut)
	if err != nil {
		return translate(err, "stats: months")
	}
	defer rows.Close()
	months := map[maint.Kind]map[string]*maint.MonthStats{}
	for rows.Next() {
		var kind, month string
		var qty float64
		if err := rows.Scan(&kind, &month, &qty); err != nil {
			return translate(err, "stats: months")
		}
		k := maint.Kind(kind)
		if months[k] == nil {
			months[k] = map[string]*maint.MonthStats{}
		}
		m := months[k][month]
		if m == nil {
			m = &maint.MonthStats{Month: month}
			months[k][month] = m
		}
		m.Completed++
		m.Quantity += qty
	}
	if err := rows.Err(); err != nil {
		return translate(err, "stats: months")
	}
	for k, ms := range months {
		t := r.byKind[k]
		for _, m := range ms {
			t.ByMonth = append(t.ByMonth, *m)
		}
		sortMonths(t.ByMonth)
	}
	return nil
}

// tasks counts every task by status, open and overdue — its running step
// past its deadline —, as of the cut, and now the open ones by light.
func (r *statsRun) tasks(ctx context.Context) (maint.TaskStats, error) {
	now := time.Now()
	taskSQL := `SELECT t.status, count(*), count(*) FILTER (WHERE c.deadline < coalesce(c.paused_since, $1))
		FROM tasks t LEFT JOIN task_clocks c ON c.task_id = t.id AND c.ended_at IS NULL GROUP BY t.status`
	targs := []any{now}
	if r.asOf != nil {
		// The step running at the cut, read at the cut.
		taskSQL = `SELECT s.status, count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM task_clocks c
				WHERE c.task_id = t.id AND c.started_at < $1 AND (c.ended_at IS NULL OR c.ended_at >= $1)
				  AND c.deadline < least($1, c.paused_since)))
			FROM tasks t JOIN LATERAL (
				SELECT e.to_status AS status FROM task_events e
				WHERE e.task_id = t.id AND e.at < $1 AND e.to_status IS NOT NULL
				ORDER BY e.at DESC, e.id DESC LIMIT 1) s ON true
			GROUP BY s.status`
		targs = []any{r.cut}
	}
	out := maint.TaskStats{ByStatus: map[string]int{}}
	rows, err := r.tx.Query(ctx, taskSQL, targs...)
	if err != nil {
		return out, translate(err, "stats: tasks")
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n, overdue int
		if err := rows.Scan(&status, &n, &overdue); err != nil {
			return out, translate(err, "stats: tasks")
		}
		out.ByStatus[status] = n
		out.Total += n
		out.Overdue += overdue
		if maint.Status(status).Open() {
			out.Open += n
		}
	}
	if err := rows.Err(); err != nil || r.asOf != nil {
		return out, translate(err, "stats: tasks")
	}
	out.Lights, err = r.db.lights(ctx, r.tx, now)
	return out, err
}

// lights counts the running clocks by light at now.
func (db *DB) lights(ctx context.Context, tx pgx.Tx, now time.Time) (map[string]int, error) {
	out := map[string]int{}
	for _, l := range timelimit.Lights {
		out[string(l)] = 0
	}
	cal := db.calendarIn(ctx, tx)
	rows, err := tx.Query(ctx, "SELECT "+taskClockColumns+" FROM task_clocks c WHERE c.ended_at IS NULL")
	if err != nil {
		return nil, translate(err, "stats: lights")
	}
	defer rows.Close()
	var s taskClock
	dest := s.dest()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, translate(err, "stats: lights")
		}
		c, _ := s.clock()
		out[string(c.Read(cal, now, db.warnShare).Light)]++
	}
	return out, translate(rows.Err(), "stats: lights")
}

func sortMonths(ms []maint.MonthStats) {
	slices.SortFunc(ms, func(a, b maint.MonthStats) int { return strings.Compare(a.Month, b.Month) })
}

// replaceCut fills the cut-off placeholder of asOfStatus.
func replaceCut(fragment, placeholder string) string {
	return strings.Replace(fragment, "%s", placeholder, 1)
}
