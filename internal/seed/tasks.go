package seed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"inframap/internal/maint"
	"inframap/internal/workcal"
)

// day returns the calendar day d (in the district's zone) at a working-hour
// time drawn from rng.
func day(rng *rand.Rand, d time.Time) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 8, 30, 0, 0, maint.Zone).Add(time.Duration(rng.IntN(9*60)) * time.Minute)
}

// between returns a uniformly drawn day in [from, to].
func between(rng *rand.Rand, from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours()/24) + 1
	return from.AddDate(0, 0, rng.IntN(days))
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, maint.Zone) }

// history builds the events of a case that ran from 上报 to target, with the
// gaps (in days) before each later step. The steps are those of the flow:
// filed, dispatched, in_progress, done, closed.
func history(rng *rand.Rand, reported time.Time, gaps []int, target maint.Status, actors []string, notes []string) []Event {
	steps := []maint.Status{maint.StatusReported, maint.StatusFiled, maint.StatusDispatched, maint.StatusInProgress, maint.StatusDone, maint.StatusClosed}
	var evs []Event
	at := day(rng, reported)
	for i, to := range steps {
		if i > 0 {
			next := day(rng, at.AddDate(0, 0, gaps[i-1]))
			if !next.After(at) {
				next = at.Add(time.Duration(20+rng.IntN(120)) * time.Minute)
			}
			at = next
		}
		var from maint.Status
		if i > 0 {
			from = steps[i-1]
		}
		evs = append(evs, Event{At: at, Actor: actors[i], From: from, To: to, Note: notes[i]})
		if to == target {
			break
		}
	}
	return evs
}

var importActors = []string{"import", "import", "import", "import", "import", "import"}

func f64(v float64) *float64 { return &v }
func intp(v int) *int        { return &v }

// programmeTasks gives every programme asset its case of the published
// programme, closed inside the programme window. Outdoor works follow
// Changchun's construction season (April to November); manholes are fixed
// all year, fewer in the frozen months.
func (g *generator) programmeTasks(rng *rand.Rand) {
	for _, a := range g.ds.Assets {
		if c, ok := g.programmeCase(rng, a); ok {
			g.addProgrammeTask(rng, a, c)
		}
	}
}

// programmeCase is how an asset's case of the programme went: when it
// closed, the days between its steps, and what the history says.
type programmeCase struct {
	closed   time.Time
	gaps     []int
	title    string
	workType string
	crew     string
	notes    []string
	qty      *float64
	unit     string
	phase    maint.Phase
	percent  *int
	priority maint.Priority
}

// season picks a day of Changchun's construction season, in 2023 with the
// given weight, else in 2024 up to the programme's end.
func season(r *rand.Rand, weight2023 float64) time.Time {
	if r.Float64() < weight2023 {
		return between(r, date(2023, 4, 20), date(2023, 11, 15))
	}
	return between(r, date(2024, 4, 15), date(2024, 8, 28))
}

// programmeCase plans asset a's case by its kind; parking bays have none
// (they are built with their lot).
func (g *generator) programmeCase(rng *rand.Rand, a Asset) (programmeCase, bool) {
	c := programmeCase{priority: maint.PriorityNormal}
	switch a.Kind {
	case maint.KindParkingSpace:
		return c, false // bays are built with their lot
	case maint.KindRoadRepair:
		c.closed = season(rng, 0.55)
		c.gaps = []int{1 + rng.IntN(5), 1 + rng.IntN(5), 2 + rng.IntN(10), 3 + rng.IntN(18), 1 + rng.IntN(6)}
		c.title, c.workType = "道路小修维护："+a.Name, "minor_repair"
		c.crew = g.ds.Crews[rng.IntN(2)]
		area := float64(a.Attrs["area_m2"].(int))
		c.qty, c.unit = f64(area), "m2"
		c.notes = []string{"道路巡查上报：" + distressNames(a.Attrs["distresses"].([]string)), "立案：列入2023–2024年道路小修维护计划", "派遣至" + c.crew, "开始处置", fmt.Sprintf("处置完成，修复面积%.0f平方米", area), "核查通过，结案"}
	case maint.KindSewerSeparation:
		if a.Attrs["corridor"] == true {
			c.closed = between(rng, date(2024, 7, 20), date(2024, 8, 25))
			c.gaps = []int{10, 20, 25, 300, 12}
		} else {
			c.closed = season(rng, 0.5)
			c.gaps = []int{5 + rng.IntN(20), 5 + rng.IntN(15), 5 + rng.IntN(20), 35 + rng.IntN(70), 5 + rng.IntN(15)}
		}
		c.title, c.workType = "雨污分流改造："+a.Name, "sewer_separation"
		c.crew = []string{g.ds.Crews[2], g.ds.Crews[4]}[rng.IntN(2)]
		c.phase, c.percent = "acceptance", intp(100)
		c.notes = []string{"列入2023–2024年雨污分流改造计划", "立案", "派遣至" + c.crew, "开工：勘察、开挖", "管道铺设、回填及路面恢复完成", "验收合格，结案"}
	case maint.KindParkingLot:
		c.closed = season(rng, 0.5)
		c.gaps = []int{10 + rng.IntN(20), 5 + rng.IntN(10), 5 + rng.IntN(10), 20 + rng.IntN(40), 3 + rng.IntN(10)}
		c.title, c.workType = "公共停车场建设："+a.Name, "parking_construction"
		c.crew = g.ds.Crews[3]
		spaces := float64(a.Attrs["spaces"].(int))
		c.qty, c.unit = f64(spaces), "spaces"
		c.notes = []string{"列入2023–2024年公共停车场建设计划", "立案", "派遣至" + c.crew, "开工", fmt.Sprintf("完工，泊位%.0f个", spaces), "验收合格，结案"}
	case maint.KindManhole:
		for {
			c.closed = between(rng, date(2023, 2, 1), date(2024, 8, 30))
			if m := c.closed.Month(); m >= 3 && m <= 11 || rng.Float64() < 0.4 {
				break
			}
		}
		c.gaps = []int{rng.IntN(3), rng.IntN(3), rng.IntN(4), rng.IntN(3), 1 + rng.IntN(5)}
		defect, _ := maint.Lookup(maint.ManholeDefects, a.Attrs["defect_type"].(string))
		c.title, c.workType = defect.Name+"："+a.Code, "manhole_remediation"
		c.crew = g.ds.Crews[5]
		c.qty, c.unit = f64(1), "manholes"
		switch a.Attrs["defect_grade"].(int) {
		case 4:
			c.priority = maint.PriorityUrgent
			c.gaps[0], c.gaps[1], c.gaps[2] = 0, 0, 0
		case 3:
			c.priority = maint.PriorityHigh
		}
		c.notes = []string{"巡查上报：" + defect.Name, "立案", "派遣至" + c.crew, "开始处置", "处置完成：" + defect.Name + "已修复", "核查通过，结案"}
	case maint.KindCapitalProject:
		c.closed = date(2024, 6, 28)
		c.gaps = []int{20, 30, 45, 400, 30}
		c.title, c.workType = a.Name, "capital_works"
		c.crew = g.ds.Crews[4]
		c.qty, c.unit = f64(ProjectAreaM2), "m2"
		c.notes = []string{"项目立项", "立案", "派遣至" + c.crew, "开工建设", "完工", "竣工验收，移交使用"}
	}
	return c, true
}

// addProgrammeTask writes the planned case as a task closed inside the
// programme window.
func (g *generator) addProgrammeTask(rng *rand.Rand, a Asset, c programmeCase) {
	total := 0
	for _, d := range c.gaps {
		total += d
	}
	reported := c.closed.AddDate(0, 0, -total)
	if reported.Before(date(2023, 1, 3)) {
		reported = date(2023, 1, 3).AddDate(0, 0, rng.IntN(20))
	}
	evs := history(rng, reported, c.gaps, maint.StatusClosed, importActors, c.notes)
	for evs[len(evs)-1].At.After(WindowEnd) {
		// Too late: start the case earlier.
		reported = reported.AddDate(0, 0, -7)
		evs = history(rng, reported, c.gaps, maint.StatusClosed, importActors, c.notes)
	}
	dispatched := evs[2].At
	due := dispatched.AddDate(0, 0, c.gaps[2]+c.gaps[3]+5+rng.IntN(10))
	due = time.Date(due.Year(), due.Month(), due.Day(), 0, 0, 0, 0, time.UTC)
	t := Task{
		AssetCode: a.Code,
		Programme: maint.ProgrammePublished,
		Title:     c.title,
		WorkType:  c.workType,
		Priority:  c.priority,
		Assignee:  c.crew,
		DueDate:   &due,
		QtyUnit:   c.unit,
		Source:    maint.SourceImport,
		Events:    evs,
	}
	if c.qty != nil {
		t.QtyPlanned, t.QtyDone = c.qty, f64(*c.qty)
	}
	if c.phase != "" {
		t.Phase, t.Percent = c.phase, c.percent
	}
	t.Ref = fmt.Sprintf("LY-%d-%06d", evs[0].At.Year(), len(g.ds.Tasks)+1)
	g.ds.Tasks = append(g.ds.Tasks, t)
}

func distressNames(codes []string) string {
	s := ""
	for i, c := range codes {
		n, _ := maint.Lookup(maint.RoadDistresses, c)
		if i > 0 {
			s += "、"
		}
		s += n.Name
	}
	return s
}

// routineTasks adds the open routine work of the demo: 60 tasks on existing
// assets, spread evenly over every open state, whose current steps started
// shortly before now — some well within their time limits, some close to
// them, some past them —, some reported by residents (whose names and
// numbers are private) and some with internal notes. A few carry what the
// time limits are about: a hand-back to the wrong unit, a rework after
// failed verification, an approved extension and suspensions.
func (g *generator) routineTasks(rng *rand.Rand, now time.Time) {
	byKind := map[maint.Kind][]Asset{}
	for _, a := range g.ds.Assets {
		byKind[a.Kind] = append(byKind[a.Kind], a)
	}
	type job struct {
		kind           maint.Kind
		n              int
		titles         []string
		workType, crew string
	}
	jobs := []job{
		{maint.KindManhole, 26, []string{"井盖破损（复查发现）", "井盖松动有异响", "井周路面沉降", "雨水箅子堵塞"}, "manhole_remediation", g.ds.Crews[5]},
		{maint.KindRoadRepair, 14, []string{"路面坑槽修补", "裂缝灌缝", "车辙处治", "井周路面修复"}, "minor_repair", g.ds.Crews[0]},
		{maint.KindSewerSeparation, 6, []string{"雨水管道堵塞疏通", "检查井溢流", "雨污混接整改"}, "sewer_maintenance", g.ds.Crews[2]},
		{maint.KindParkingLot, 4, []string{"停车场照明损坏", "充电桩故障", "道闸故障"}, "parking_maintenance", g.ds.Crews[3]},
		{maint.KindParkingSpace, 10, []string{"泊位标线磨损", "无障碍泊位标识缺失", "车位地锁损坏"}, "parking_maintenance", g.ds.Crews[3]},
	}
	residents := []struct{ name, phone string }{
		{"王女士", "13904310118"}, {"李先生", "13504420237"}, {"张先生", "18643108856"}, {"刘女士", "15948023371"},
		{"陈先生", "13630511462"}, {"赵女士", "18604459830"},
	}
	targets := []maint.Status{maint.StatusReported, maint.StatusFiled, maint.StatusDispatched, maint.StatusInProgress, maint.StatusDone}
	// How long the current step has run, in working time: spread so that
	// the lights come out green, yellow and red by the default limits.
	ages := map[maint.Status][]float64{
		maint.StatusReported:   {0.4, 1.2, 1.7, 3},
		maint.StatusFiled:      {0.3, 1, 1.75, 5},
		maint.StatusDispatched: {3, 10, 18, 30, 60},
		maint.StatusInProgress: {6, 12, 20, 35, 90},
		maint.StatusDone:       {2, 6, 12},
	}
	i := 0
	for _, j := range jobs {
		pool := byKind[j.kind]
		stride := len(pool) / j.n
		for k := 0; k < j.n; k++ {
			a := pool[k*stride+rng.IntN(max(1, stride))]
			target := targets[i%len(targets)]
			source := []maint.Source{maint.SourceInspector, maint.SourceResident, maint.SourceEngineer}[rng.IntN(3)]
			title := j.titles[rng.IntN(len(j.titles))]
			age := ages[target][(i/len(targets))%len(ages[target])]
			t := Task{
				AssetCode: a.Code,
				Programme: maint.ProgrammeRoutine,
				Title:     title,
				WorkType:  j.workType,
				Priority:  []maint.Priority{maint.PriorityLow, maint.PriorityNormal, maint.PriorityNormal, maint.PriorityHigh, maint.PriorityNormal}[rng.IntN(5)],
				Source:    source,
				Events:    routineHistory(rng, now, i, target, age, source, title, j.crew, g.ds.Crews),
			}
			if source == maint.SourceResident {
				r := residents[rng.IntN(len(residents))]
				t.ReporterName, t.ReporterContact = r.name, r.phone
				t.Description = "居民来电反映：" + title
			}
			if target != maint.StatusReported {
				filed := t.Events[1].At
				due := filed.AddDate(0, 0, 10+rng.IntN(40))
				due = time.Date(due.Year(), due.Month(), due.Day(), 0, 0, 0, 0, time.UTC)
				t.DueDate = &due
				if i%3 == 0 {
					// An internal note for staff only.
					t.Events[1].Note = "立案（内部：需与产权单位协调，暂勿对外公布）"
					t.Events[1].Internal = true
				}
			}
			if target == maint.StatusDispatched || target == maint.StatusInProgress || target == maint.StatusDone {
				t.Assignee = j.crew
			}
			if j.kind == maint.KindSewerSeparation && (target == maint.StatusInProgress || target == maint.StatusDone) {
				t.Phase, t.Percent = "pipe_laying", intp(40)
				if target == maint.StatusDone {
					t.Phase, t.Percent = "acceptance", intp(100)
				}
			}
			t.Ref = fmt.Sprintf("LY-%d-%06d", t.Events[0].At.Year(), len(g.ds.Tasks)+1)
			g.ds.Tasks = append(g.ds.Tasks, t)
			i++
		}
	}
}

// The routine cases that carry the time limits' special events, by their
// index among the routine tasks (their targets: i mod 5 = 2 dispatched, 3 in
// progress).
const (
	handBackCase   = 2  // dispatched to the wrong unit first, handed back
	reworkCase     = 3  // in progress again after failed verification
	extensionCase  = 8  // in progress with an approved extension
	suspendedCase  = 7  // dispatched, suspended now
	suspensionCase = 13 // in progress, a suspension that has ended
)

// routineHistory builds the history of routine case i, which is in state
// target and has been for age working hours at now. The earlier steps lie
// before, at working-time gaps drawn from rng.
func routineHistory(rng *rand.Rand, now time.Time, i int, target maint.Status, age float64, source maint.Source,
	title, crew string, crews []string) []Event {
	cal := workcal.Default()
	hours := func(lo, hi float64) time.Duration {
		return time.Duration((lo + rng.Float64()*(hi-lo)) * float64(time.Hour)).Round(time.Minute)
	}
	// The chain of states up to target, with the working time each state
	// lasted before the next (the last: age).
	type step struct {
		from, to maint.Status
		actor    string
		note     string
		dur      time.Duration
		changes  map[string]any
	}
	reporter := string(source)
	chain := []step{
		{"", maint.StatusReported, reporter, title, hours(0.3, 2.8), nil},
		{maint.StatusReported, maint.StatusFiled, "engineer", "立案", hours(0.2, 2.6), nil},
		{maint.StatusFiled, maint.StatusDispatched, "engineer", "派遣至" + crew, hours(1, 4), map[string]any{"assignee": []any{nil, crew}}},
		{maint.StatusDispatched, maint.StatusInProgress, "engineer", "开始处置", hours(10, 40), nil},
		{maint.StatusInProgress, maint.StatusDone, "engineer", "处置完成，待核查", 0, nil},
	}
	n := slices.IndexFunc(chain, func(s step) bool { return s.to == target }) + 1
	chain = chain[:n]
	if i == handBackCase {
		wrong := crews[(slices.Index(crews, crew)+1)%len(crews)]
		chain = append(chain[:2], step{maint.StatusFiled, maint.StatusDispatched, "engineer", "派遣至" + wrong, hours(3, 6), map[string]any{"assignee": []any{nil, wrong}}},
			step{maint.StatusDispatched, maint.StatusFiled, "engineer", "回退：非本单位管养范围，申请改派", hours(0.5, 1.5), nil},
			step{maint.StatusFiled, maint.StatusDispatched, "engineer", "改派至" + crew, 0, map[string]any{"assignee": []any{wrong, crew}}})
	}
	if i == reworkCase {
		chain = append(chain, step{maint.StatusInProgress, maint.StatusDone, "engineer", "处置完成，待核查", hours(2, 6), nil},
			step{maint.StatusDone, maint.StatusInProgress, "inspector", "核查未通过：井盖仍有松动异响，返工", 0, nil})
	}
	chain[len(chain)-1].dur = time.Duration(age * float64(time.Hour))
	// In progress: 处置 runs from the dispatch, so the age counts from there.
	if target == maint.StatusInProgress && i != reworkCase {
		d := chain[len(chain)-2].dur
		chain[len(chain)-2].dur = min(d, chain[len(chain)-1].dur/2)
		chain[len(chain)-1].dur -= chain[len(chain)-2].dur
	}
	// Walk back from now.
	times := make([]time.Time, len(chain))
	end := now
	for k := len(chain) - 1; k >= 0; k-- {
		times[k] = backWorking(cal, end, max(chain[k].dur, time.Minute))
		end = times[k]
	}
	evs := make([]Event, 0, len(chain)+2)
	for k, s := range chain {
		evs = append(evs, Event{At: times[k], Actor: s.actor, From: s.from, To: s.to, Note: s.note, Changes: s.changes})
	}
	last := times[len(times)-1]
	since := cal.WorkingTimeBetween(last, now)
	switch i {
	case extensionCase:
		evs = append(evs, Event{At: cal.AddWorkingHours(last, since/2), Actor: "engineer", Note: "批准延期 3 个工作日：路面冻结，需待气温回升后施工",
			Changes: map[string]any{"extended": []any{0, 3}}})
	case suspendedCase:
		evs = append(evs, Event{At: cal.AddWorkingHours(last, since/3), Actor: "engineer", Note: "批准挂账：等待燃气公司迁改管线，暂停计时",
			Changes: map[string]any{"suspended": []any{false, true}}})
	case suspensionCase:
		evs = append(evs,
			Event{At: cal.AddWorkingHours(last, since/4), Actor: "engineer", Note: "批准挂账：等待供热公司停热后开挖，暂停计时",
				Changes: map[string]any{"suspended": []any{false, true}}},
			Event{At: cal.AddWorkingHours(last, since/2), Actor: "engineer", Note: "挂账结束，恢复计时",
				Changes: map[string]any{"suspended": []any{true, false}}})
	}
	return evs
}

// backWorking is the latest instant from which end is d of working time
// away (d > 0): the start of a step that has run d by end.
func backWorking(cal *workcal.Calendar, end time.Time, d time.Duration) time.Time {
	lo, hi := end.Add(-2*365*24*time.Hour), end
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2)
		if cal.WorkingTimeBetween(mid, end) >= d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo.Truncate(time.Second)
}

// closedRoutineTasks adds the routine work the district finished in the
// year before now (after the programme window): about twenty cases a month
// from 上报 to 结案, most on time, some late at a step, a few extended,
// suspended, handed back or reworked, so that the evaluation (考核评价) has a
// year to show. Assets with open routine work are left out, so an asset's
// status stays that of its open case.
func (g *generator) closedRoutineTasks(rng *rand.Rand, now time.Time) {
	cal := workcal.Default()
	busy := map[string]bool{}
	for _, t := range g.ds.Tasks {
		if t.Programme == maint.ProgrammeRoutine {
			busy[t.AssetCode] = true
		}
	}
	byKind := map[maint.Kind][]Asset{}
	for _, a := range g.ds.Assets {
		if !busy[a.Code] && a.Kind != maint.KindCapitalProject {
			byKind[a.Kind] = append(byKind[a.Kind], a)
		}
	}
	type kind struct {
		kind      maint.Kind
		weight    int
		workTypes []string
		titles    []string
		crew      int
		limit     func(workType string) (float64, bool) // working hours of 处置, or natural hours
	}
	wdays := func(n float64) func(string) (float64, bool) {
		return func(string) (float64, bool) { return n * 8, false }
	}
	kinds := []kind{
		{maint.KindManhole, 10, []string{"broken_cover", "height_difference", "rocking_noise", "missing_cover", "cover_frame_gap"},
			[]string{"井盖破损", "井盖与路面高差", "井盖松动有异响", "井盖缺失", "盖框间隙过大"}, 5,
			func(w string) (float64, bool) {
				switch w {
				case "missing_cover":
					return 2, true
				case "broken_cover":
					return 8, false
				case "cover_frame_gap":
					return 80, false
				}
				return 40, false
			}},
		{maint.KindRoadRepair, 6, []string{"pothole", "road_surface"}, []string{"路面坑槽", "路面裂缝、沉陷"}, 0,
			func(w string) (float64, bool) {
				if w == "pothole" {
					return 16, false
				}
				return 40, false
			}},
		{maint.KindSewerSeparation, 3, []string{"drain_blocked", "sewer_maintenance"}, []string{"雨水口堵塞", "检查井溢流"}, 2, wdays(3)},
		{maint.KindParkingLot, 1, []string{"parking_damage"}, []string{"停车场照明损坏"}, 3, wdays(5)},
		{maint.KindParkingSpace, 2, []string{"parking_maintenance"}, []string{"泊位标线磨损"}, 3, wdays(5)},
	}
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	first := WindowEnd.Add(24 * time.Hour)
	if y := now.AddDate(-1, 0, 0); y.After(first) {
		first = y
	}
	last := now.AddDate(0, 0, -20)
	if !last.After(first) {
		return
	}
	days := int(last.Sub(first).Hours() / 24)
	hours := func(lo, hi float64) time.Duration {
		return time.Duration((lo + rng.Float64()*(hi-lo)) * float64(time.Hour)).Round(time.Minute)
	}
	n := days * 20 / 30
	for i := 0; i < n; i++ {
		pick := rng.IntN(total)
		var k kind
		for _, c := range kinds {
			if pick < c.weight {
				k = c
				break
			}
			pick -= c.weight
		}
		pool := byKind[k.kind]
		if len(pool) == 0 {
			continue
		}
		a := pool[rng.IntN(len(pool))]
		w := rng.IntN(len(k.workTypes))
		workType, title, crew := k.workTypes[w], k.titles[w], g.ds.Crews[k.crew]
		day := first.AddDate(0, 0, i*days/n)
		y, m, d := day.Date()
		at := cal.AddWorkingHours(time.Date(y, m, d, 0, 0, 0, 0, maint.Zone), hours(0, 7.5))
		source := []maint.Source{maint.SourceInspector, maint.SourceInspector, maint.SourceInspector, maint.SourceResident, maint.SourceEngineer}[rng.IntN(5)]
		var evs []Event
		step := func(from, to maint.Status, actor, note string, d time.Duration, changes map[string]any) {
			at = cal.AddWorkingHours(at, max(d, time.Minute))
			evs = append(evs, Event{At: at, Actor: actor, From: from, To: to, Note: note, Changes: changes})
		}
		evs = append(evs, Event{At: at, Actor: string(source), To: maint.StatusReported, Note: title})
		late := func(p float64, onTime, lateBy [2]float64) time.Duration {
			if rng.Float64() < p {
				return hours(lateBy[0], lateBy[1])
			}
			return hours(onTime[0], onTime[1])
		}
		step(maint.StatusReported, maint.StatusFiled, "engineer", "立案", late(0.12, [2]float64{0.2, 1.8}, [2]float64{2.3, 6}), nil)
		r := rng.Float64()
		if r < 0.03 {
			wrong := g.ds.Crews[(k.crew+1)%len(g.ds.Crews)]
			step(maint.StatusFiled, maint.StatusDispatched, "engineer", "派遣至"+wrong, hours(0.2, 1.5), map[string]any{"assignee": []any{nil, wrong}})
			step(maint.StatusDispatched, maint.StatusFiled, "engineer", "回退：非本单位管养范围，申请改派", hours(1, 4), nil)
			step(maint.StatusFiled, maint.StatusDispatched, "engineer", "改派至"+crew, hours(0.3, 1.5), map[string]any{"assignee": []any{wrong, crew}})
		} else {
			step(maint.StatusFiled, maint.StatusDispatched, "engineer", "派遣至"+crew, late(0.08, [2]float64{0.2, 1.8}, [2]float64{2.5, 5}), map[string]any{"assignee": []any{nil, crew}})
		}
		dispatched := at
		step(maint.StatusDispatched, maint.StatusInProgress, "engineer", "开始处置", hours(0.3, 2), nil)
		limit, natural := k.limit(workType)
		share := 0.2 + rng.Float64()*0.7
		if rng.Float64() < 0.18 {
			share = 1.05 + rng.Float64()*0.8
		}
		switch x := rng.Float64(); {
		case x < 0.05 && !natural:
			evs = append(evs, Event{At: cal.AddWorkingHours(at, hours(1, 4)), Actor: "engineer", Note: "批准延期 3 个工作日：需协调产权单位",
				Changes: map[string]any{"extended": []any{0, 3}}})
			at = evs[len(evs)-1].At
			limit += 24
		case x < 0.08 && !natural:
			evs = append(evs, Event{At: cal.AddWorkingHours(at, hours(1, 4)), Actor: "engineer", Note: "批准挂账：等待管线产权单位配合，暂停计时",
				Changes: map[string]any{"suspended": []any{false, true}}})
			at = evs[len(evs)-1].At
			stood := hours(4, 24)
			evs = append(evs, Event{At: cal.AddWorkingHours(at, stood), Actor: "engineer", Note: "挂账结束，恢复计时",
				Changes: map[string]any{"suspended": []any{true, false}}})
			at = evs[len(evs)-1].At
			limit += stood.Hours()
		}
		// 处置完成 at the drawn share of the limit, counted from the dispatch.
		var done time.Time
		if natural {
			done = dispatched.Add(time.Duration(share * limit * float64(time.Hour)))
		} else {
			done = cal.AddWorkingHours(dispatched, time.Duration(share*limit*float64(time.Hour)))
		}
		if !done.After(at) {
			done = at.Add(30 * time.Minute)
		}
		evs = append(evs, Event{At: done, Actor: "engineer", From: maint.StatusInProgress, To: maint.StatusDone, Note: "处置完成，待核查"})
		at = done
		if rng.Float64() < 0.05 {
			step(maint.StatusDone, maint.StatusInProgress, "inspector", "核查未通过：修复不到位，返工", hours(1, 6), nil)
			step(maint.StatusInProgress, maint.StatusDone, "engineer", "返工完成，待核查", hours(4, 16), nil)
		}
		step(maint.StatusDone, maint.StatusClosed, "inspector", "核查通过，结案", late(0.12, [2]float64{1, 7}, [2]float64{9, 20}), nil)
		if !at.Before(now) {
			continue
		}
		t := Task{
			AssetCode: a.Code,
			Programme: maint.ProgrammeRoutine,
			Title:     title,
			WorkType:  workType,
			Priority:  maint.PriorityNormal,
			Assignee:  crew,
			Source:    source,
			Events:    evs,
		}
		if workType == "missing_cover" {
			t.Priority = maint.PriorityUrgent
		}
		if source == maint.SourceResident {
			t.Description = "居民反映：" + title
		}
		t.Ref = fmt.Sprintf("LY-%d-%06d", evs[0].At.Year(), len(g.ds.Tasks)+1)
		g.ds.Tasks = append(g.ds.Tasks, t)
	}
}
