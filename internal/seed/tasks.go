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
		maint.StatusReported:   {0.4, 1.7, 3, 9},
		maint.StatusFiled:      {0.3, 1.75, 4, 20},
		maint.StatusDispatched: {3, 14, 26, 45, 90},
		maint.StatusInProgress: {6, 20, 30, 60, 120},
		maint.StatusDone:       {2, 9, 20},
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
