package postgres_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
	"inframap/internal/timelimit"
	"inframap/internal/workcal"
)

// aQuantity is each programme's measure of one asset, by kind.
var aQuantity = map[maint.Kind]string{
	maint.KindRoadRepair:      `(attrs->>'area_m2')::numeric`,
	maint.KindSewerSeparation: `CASE WHEN (attrs->>'corridor')::bool IS TRUE THEN 0 ELSE 1 END`,
	maint.KindParkingLot:      `(attrs->>'spaces')::numeric`,
	maint.KindManhole:         `1`,
	maint.KindCapitalProject:  `(attrs->>'area_m2')::numeric`,
}

// aReportCard works the report card out by hand: completions from the
// completion time the trigger keeps on each asset, statuses replayed from
// the history at the end of asOf (or read off the assets and tasks now).
func aReportCard(t *testing.T, sql *pgxpool.Pool, asOf *time.Time) *maint.Stats {
	t.Helper()
	ctx := t.Context()
	cut := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	today := time.Now().In(maint.Zone).Format(time.DateOnly)
	st := &maint.Stats{}
	// The status of each asset and task: now, or replayed at the cut ($1).
	assetStatus := `SELECT id, kind, attrs, completed_at, coalesce(status, 'none') AS status FROM assets WHERE created_at < $1`
	taskStatus := `SELECT id, status FROM tasks WHERE created_at < $1`
	if asOf != nil {
		cut = maint.EndOfDay(*asOf)
		today = asOf.In(maint.Zone).Format(time.DateOnly)
		st.AsOf = today
		assetStatus = `SELECT a.id, a.kind, a.attrs, a.completed_at, coalesce(h.to_status, 'none') AS status FROM assets a LEFT JOIN (
			SELECT DISTINCT ON (t.asset_id) t.asset_id, e.to_status
			FROM tasks t JOIN task_events e ON e.task_id = t.id
			WHERE e.at < $1 AND e.to_status IS NOT NULL
			ORDER BY t.asset_id, t.created_at DESC, t.id DESC, e.at DESC, e.id DESC) h ON h.asset_id = a.id`
		taskStatus = `SELECT t.id, h.to_status AS status FROM tasks t JOIN (
			SELECT DISTINCT ON (e.task_id) e.task_id, e.to_status FROM task_events e
			WHERE e.at < $1 AND e.to_status IS NOT NULL ORDER BY e.task_id, e.at DESC, e.id DESC) h ON h.task_id = t.id`
	}
	for _, k := range maint.ProgrammeKinds {
		p := maint.ProgrammeStats{Kind: k, Name: k.Name(), NameEn: k.NameEn(), Unit: k.Unit(), ByStatus: map[string]int{}}
		q := aQuantity[k]
		err := sql.QueryRow(ctx, `SELECT count(*), coalesce(sum(`+q+`), 0)::float8,
			count(*) FILTER (WHERE completed_at < $1), coalesce(sum(`+q+`) FILTER (WHERE completed_at < $1), 0)::float8
			FROM assets WHERE kind = $2`, cut, string(k)).Scan(&p.Count, &p.Quantity, &p.Completed, &p.CompletedQuantity)
		if err != nil {
			t.Fatal(err)
		}
		if p.Quantity > 0 {
			p.PercentComplete = math.Round(p.CompletedQuantity/p.Quantity*1000) / 10
		}
		rows, err := sql.Query(ctx, `SELECT status, count(*) FROM (`+assetStatus+`) s WHERE kind = $2 GROUP BY status`, cut, string(k))
		if err != nil {
			t.Fatal(err)
		}
		var status string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&status, &n}, func() error { p.ByStatus[status] = n; return nil }); err != nil {
			t.Fatal(err)
		}
		rows, err = sql.Query(ctx, `SELECT to_char(completed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS m, count(*), sum(`+q+`)::float8
			FROM assets WHERE kind = $2 AND completed_at < $1 GROUP BY m ORDER BY m`, cut, string(k))
		if err != nil {
			t.Fatal(err)
		}
		var m maint.MonthStats
		if _, err := pgx.ForEachRow(rows, []any{&m.Month, &m.Completed, &m.Quantity}, func() error {
			p.ByMonth = append(p.ByMonth, m)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		switch {
		case k == maint.KindSewerSeparation && p.Count > 0:
			var sites, corridors, sitesDone, corridorsDone int
			err := sql.QueryRow(ctx, `SELECT count(*) FILTER (WHERE NOT c), count(*) FILTER (WHERE c),
				count(*) FILTER (WHERE NOT c AND completed_at < $1), count(*) FILTER (WHERE c AND completed_at < $1)
				FROM (SELECT (attrs->>'corridor')::bool IS TRUE AS c, completed_at FROM assets WHERE kind = 'sewer_separation') s`, cut).
				Scan(&sites, &corridors, &sitesDone, &corridorsDone)
			if err != nil {
				t.Fatal(err)
			}
			p.Sites, p.Corridors, p.CompletedSites, p.CompletedCorridors = &sites, &corridors, &sitesDone, &corridorsDone
			rows, err := sql.Query(ctx, `SELECT coalesce(attrs->>'road', name) FROM assets
				WHERE kind = 'sewer_separation' AND (attrs->>'corridor')::bool ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			if p.CorridorNames, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				t.Fatal(err)
			}
		case k == maint.KindCapitalProject && p.Count > 0:
			var invest int64
			if err := sql.QueryRow(ctx, `SELECT coalesce(sum((attrs->>'investment_yuan')::numeric), 0)::bigint FROM assets
				WHERE kind = 'capital_project'`).Scan(&invest); err != nil {
				t.Fatal(err)
			}
			p.InvestmentYuan = &invest
		}
		st.Programmes = append(st.Programmes, p)
	}
	st.Tasks.ByStatus = map[string]int{}
	// Overdue, by hand: the step running at the cut (or now) was past its
	// deadline then — or, suspended, when it was suspended.
	at := time.Now()
	if asOf != nil {
		at = cut
	}
	late := map[int64]bool{}
	lights := map[string]int{"red": 0, "yellow": 0, "green": 0, "paused": 0, "none": 0}
	crows, err := sql.Query(ctx, `SELECT task_id, started_at, deadline, paused_since, ended_at FROM task_clocks`)
	if err != nil {
		t.Fatal(err)
	}
	var taskID int64
	var started time.Time
	var deadline, paused, ended *time.Time
	if _, err := pgx.ForEachRow(crows, []any{&taskID, &started, &deadline, &paused, &ended}, func() error {
		if !started.Before(at) || ended != nil && ended.Before(at) {
			return nil
		}
		until := at
		if paused != nil && paused.Before(at) {
			until = *paused
		}
		if deadline != nil && deadline.Before(until) {
			late[taskID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if asOf == nil {
		running, err := sql.Query(ctx, `SELECT task_id, step, unit, n, started_at, deadline, paused_since, paused_seconds
			FROM task_clocks WHERE ended_at IS NULL`)
		if err != nil {
			t.Fatal(err)
		}
		var step, unit string
		var n float64
		var secs int64
		if _, err := pgx.ForEachRow(running, []any{&taskID, &step, &unit, &n, &started, &deadline, &paused, &secs}, func() error {
			c := timelimit.Clock{Step: timelimit.Step(step), Rule: timelimit.Rule{Unit: unit, N: n}, StartedAt: started,
				Deadline: deadline, PausedSince: paused, Paused: time.Duration(secs) * time.Second}
			lights[string(c.Read(workcal.Default(), at, timelimit.DefaultWarnShare).Light)]++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		st.Tasks.Lights = lights
	}
	rows, err := sql.Query(ctx, `SELECT id, status FROM (`+taskStatus+`) s`, cut)
	if err != nil {
		t.Fatal(err)
	}
	var status string
	if _, err := pgx.ForEachRow(rows, []any{&taskID, &status}, func() error {
		st.Tasks.ByStatus[status]++
		st.Tasks.Total++
		if late[taskID] {
			st.Tasks.Overdue++
		}
		if slices.Contains(maint.OpenStatuses, maint.Status(status)) {
			st.Tasks.Open++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// aStats runs Stats.
func aStats(t *testing.T, db *postgres.DB, asOf *time.Time) *maint.Stats {
	t.Helper()
	st, err := db.Stats(t.Context(), asOf)
	if err != nil {
		t.Fatalf("Stats(%v): %v", asOf, err)
	}
	return st
}

var aStatsOpts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateApprox(0, 1e-6)}

// TestStats checks the report card of the district, now and replayed at
// the end of past days, against figures worked out by hand, and that the
// replays agree with each other.
func TestStats(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	days := []*time.Time{aDay(2022, 12, 31), aDay(2023, 6, 30), aDay(2024, 8, 31), aDay(2024, 10, 15), nil}
	cards := make([]*maint.Stats, len(days))
	for i, day := range days {
		name := "now"
		if day != nil {
			name = day.Format(time.DateOnly)
		}
		t.Run(name, func(t *testing.T) {
			got := aStats(t, db, day)
			cards[i] = got
			want := aReportCard(t, sql, day)
			if diff := cmp.Diff(want, got, aStatsOpts); diff != "" {
				t.Errorf("Stats(%s) (-by hand +got):\n%s", name, diff)
			}
			for _, p := range got.Programmes {
				sum := 0
				for _, n := range p.ByStatus {
					sum += n
				}
				if sum != p.Count {
					t.Errorf("Stats(%s) %s: statuses add up to %d of %d assets", name, p.Kind, sum, p.Count)
				}
			}
		})
	}
	if t.Failed() {
		return
	}

	// The published figures, now: every programme asset completed.
	now := cards[len(cards)-1]
	published := map[maint.Kind][2]float64{
		maint.KindRoadRepair:      {seed.RoadCount, seed.RoadAreaM2},
		maint.KindSewerSeparation: {seed.SewerSites + 1, seed.SewerSites},
		maint.KindParkingLot:      {seed.ParkingLots, seed.ParkingSpaces},
		maint.KindManhole:         {seed.Manholes, seed.Manholes},
		maint.KindCapitalProject:  {1, seed.ProjectAreaM2},
	}
	for _, p := range now.Programmes {
		want := published[p.Kind]
		if float64(p.Count) != want[0] || p.Quantity != want[1] || p.Completed != p.Count || p.CompletedQuantity != p.Quantity || p.PercentComplete != 100 {
			t.Errorf("Stats now, %s: %d assets, %v %s, %d completed (%v, %v%%); want %v assets, %v, all completed",
				p.Kind, p.Count, p.Quantity, p.Unit, p.Completed, p.CompletedQuantity, p.PercentComplete, want[0], want[1])
		}
		if p.Kind == maint.KindCapitalProject && (p.InvestmentYuan == nil || *p.InvestmentYuan != seed.ProjectInvestYuan) {
			t.Errorf("Stats now: investment %v, want %d", p.InvestmentYuan, seed.ProjectInvestYuan)
		}
		if p.Kind == maint.KindSewerSeparation && (p.Sites == nil || *p.Sites != seed.SewerSites || p.Corridors == nil || *p.Corridors != 1) {
			t.Errorf("Stats now: sewer sites %v and corridors %v, want %d and 1", p.Sites, p.Corridors, seed.SewerSites)
		}
	}

	// Replays agree: completions only grow with the day, a day's months are
	// the first months of any later day, and before the programme nothing
	// is done.
	for i := 1; i < len(cards); i++ {
		for j, p := range cards[i].Programmes {
			prev := cards[i-1].Programmes[j]
			if p.Count != prev.Count || p.Quantity != prev.Quantity || p.Completed < prev.Completed || p.CompletedQuantity < prev.CompletedQuantity {
				t.Errorf("%s: %d assets, %d completed on day %d; %d and %d the day before", p.Kind, p.Count, p.Completed, i, prev.Count, prev.Completed)
			}
			if len(prev.ByMonth) > len(p.ByMonth) || !cmp.Equal(prev.ByMonth, p.ByMonth[:len(prev.ByMonth)], aStatsOpts) {
				t.Errorf("%s: months %v are not the first of %v", p.Kind, prev.ByMonth, p.ByMonth)
			}
		}
		if cards[i].Tasks.Total < cards[i-1].Tasks.Total {
			t.Errorf("tasks: %d, fewer than the %d of an earlier day", cards[i].Tasks.Total, cards[i-1].Tasks.Total)
		}
	}
	for _, p := range cards[0].Programmes {
		if p.Completed != 0 || p.ByStatus["none"] != p.Count || len(p.ByMonth) != 0 {
			t.Errorf("Stats before the programme, %s: %d completed, statuses %v, months %v", p.Kind, p.Completed, p.ByStatus, p.ByMonth)
		}
	}
	if cards[0].Tasks.Total != 0 || cards[0].AsOf != "2022-12-31" {
		t.Errorf("Stats before the programme: %d tasks, as of %q", cards[0].Tasks.Total, cards[0].AsOf)
	}
	// At the end of the window every programme case had closed and no
	// routine work had begun.
	window := cards[2]
	if programme := aCount(t, sql, `SELECT count(*) FROM tasks WHERE programme = '2023-2024'`); window.Tasks.Total != int(programme) ||
		window.Tasks.ByStatus["closed"] != int(programme) || window.Tasks.Open != 0 {
		t.Errorf("Stats(2024-08-31) tasks = %+v, want the %d programme cases, all closed", window.Tasks, programme)
	}
}

// TestStatsWrites checks how new cases move the figures: only the
// published programme's count as completions (a routine case closed on an
// asset changes its status, not the figures), and an open case is overdue
// once its running step is past its deadline, unless it was suspended
// before.
func TestStatsWrites(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	p1, _, _, _ := aZonePoints(t, db)
	manholes := func(st *maint.Stats) maint.ProgrammeStats {
		i := slices.IndexFunc(st.Programmes, func(p maint.ProgrammeStats) bool { return p.Kind == maint.KindManhole })
		return st.Programmes[i]
	}
	before := manholes(aStats(t, db, nil))
	a, err := db.CreateAsset(ctx, aStaff, "", aNewAsset(t, maint.KindManhole, "2201060101999201", "新井", p1, aManholeAttrs()))
	if err != nil {
		t.Fatal(err)
	}
	closeCase := func(programme maint.Programme) {
		t.Helper()
		_, err := sql.Exec(ctx, `WITH t AS (
				INSERT INTO tasks (asset_id, programme, title, source, status, status_at, closed_at)
				VALUES ($1, $2, '测试', 'engineer', 'closed', now(), now()) RETURNING id)
			INSERT INTO task_events (task_id, at, actor, actor_role, from_status, to_status)
			SELECT id, now(), 'test', 'system', 'done', 'closed' FROM t`, a.ID, string(programme))
		if err != nil {
			t.Fatal(err)
		}
	}
	closeCase(maint.ProgrammeRoutine)
	routine := manholes(aStats(t, db, nil))
	if routine.Count != before.Count+1 || routine.Quantity != before.Quantity+1 || routine.Completed != before.Completed ||
		routine.ByStatus["closed"] != before.ByStatus["closed"]+1 {
		t.Errorf("after a routine case closed on a new manhole: %d assets (%v), %d completed, %d closed; before %d (%v), %d, %d",
			routine.Count, routine.Quantity, routine.Completed, routine.ByStatus["closed"], before.Count, before.Quantity, before.Completed, before.ByStatus["closed"])
	}
	closeCase(maint.ProgrammePublished)
	published := manholes(aStats(t, db, nil))
	month := time.Now().In(maint.Zone).Format("2006-01")
	last := published.ByMonth[len(published.ByMonth)-1]
	if published.Completed != before.Completed+1 || published.CompletedQuantity != before.CompletedQuantity+1 || last.Month != month || last.Completed != 1 {
		t.Errorf("after the programme case closed: %d completed (%v), last month %+v; want %d, this month's one", published.Completed,
			published.CompletedQuantity, last, before.Completed+1)
	}
	tasks := aStats(t, db, nil).Tasks
	// Three open cases: one due tomorrow, one past its deadline, one past
	// it but suspended before it (not overdue: its clock stands still).
	_, err = sql.Exec(ctx, `WITH t AS (
			INSERT INTO tasks (asset_id, title, source, status) VALUES
				($1, '明天到期', 'engineer', 'dispatched'), ($1, '已超时', 'engineer', 'in_progress'), ($1, '挂账中', 'engineer', 'dispatched')
			RETURNING id, title)
		INSERT INTO task_clocks (task_id, step, unit, n, started_at, deadline, paused_since)
		SELECT id, 'handle', 'working_days', 1, now() - interval '2 days',
		       CASE title WHEN '明天到期' THEN now() + interval '1 day' ELSE now() - interval '1 hour' END,
		       CASE title WHEN '挂账中' THEN now() - interval '2 hours' END
		FROM t`, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := aStats(t, db, nil).Tasks; got.Total != tasks.Total+3 || got.Open != tasks.Open+3 || got.Overdue != tasks.Overdue+1 ||
		got.Lights["paused"] != tasks.Lights["paused"]+1 {
		t.Errorf("after three open cases, one overdue, one suspended: %+v; before %+v", got, tasks)
	}
	if want := aReportCard(t, sql, nil); !cmp.Equal(want, aStats(t, db, nil), aStatsOpts) {
		t.Errorf("Stats after the new cases differ from the figures by hand: %s", cmp.Diff(want, aStats(t, db, nil), aStatsOpts))
	}
}

// TestStatsDecimalInvestment checks that one project stored with a decimal
// investment (written before the check that asks for whole yuan) does not
// break the report card for everyone: it counts rounded to the yuan.
func TestStatsDecimalInvestment(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	ctx := t.Context()
	before, err := db.Stats(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sql.Exec(ctx, `UPDATE assets SET attrs = attrs || '{"investment_yuan": 1000.5}' WHERE id = (SELECT min(id) FROM assets WHERE kind = 'capital_project')`); err != nil {
		t.Fatal(err)
	}
	after, err := db.Stats(ctx, nil)
	if err != nil {
		t.Fatalf("Stats with a decimal investment: %v", err)
	}
	inv := func(s *maint.Stats) int64 {
		for _, p := range s.Programmes {
			if p.Kind == maint.KindCapitalProject && p.InvestmentYuan != nil {
				return *p.InvestmentYuan
			}
		}
		return -1
	}
	if inv(before) <= 0 || inv(after) != 1000 && inv(after) != 1001 {
		t.Errorf("investment before %d, after setting 1000.5 %d; want a positive sum, then 1000 or 1001", inv(before), inv(after))
	}
	if err := maint.CheckAttrs(maint.KindCapitalProject, "P-1", map[string]any{"investment_yuan": 1000.5}); maint.ErrorCode(err) != maint.CodeInvalid {
		t.Errorf("CheckAttrs(investment_yuan 1000.5) = %v; want invalid (whole yuan)", err)
	}
}
