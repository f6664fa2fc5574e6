// Package inspection owns inspection rounds (巡查计划): plans that say which
// assets are inspected how often, the periods they make, the checklists an
// inspector records per kind and what a failed item leads to, and the cover
// register's owners (docs/inspections.md). It knows nothing of SQL or HTTP;
// internal/postgres stores it and internal/httpapi serves it.
package inspection

import (
	"context"
	"math"
	"slices"
	"time"

	"inframap/internal/maint"
)

// Frequency is how often a plan's assets are inspected.
type Frequency string

const (
	Days    Frequency = "days"    // every EveryDays days from StartsOn
	Weekly  Frequency = "weekly"  // each ISO week, Monday to Sunday
	Monthly Frequency = "monthly" // each calendar month
)

// Filter picks a plan's assets; every part given must hold (empty: all
// assets of the kind). Road names and classes are the asset's attributes
// road and road_class; a manhole carries the road it lies on.
type Filter struct {
	Roads           []string `json:"roads,omitempty"`
	NotRoads        []string `json:"not_roads,omitempty"`
	RoadClasses     []string `json:"road_classes,omitempty"`
	CoverCategories []string `json:"cover_categories,omitempty"`
	LoadClasses     []string `json:"load_classes,omitempty"`
	Subdistricts    []string `json:"subdistricts,omitempty"`
}

// Plan is an inspection round.
type Plan struct {
	ID     int64      `json:"id"`
	Name   string     `json:"name"`
	NameEn string     `json:"name_en"`
	Kind   maint.Kind `json:"kind"`
	Filter Filter     `json:"filter"`
	// Area, when set, is a GeoJSON (Multi)Polygon the assets must touch.
	Area      []byte    `json:"area,omitempty"`
	Frequency Frequency `json:"frequency"`
	EveryDays int       `json:"every_days,omitempty"`
	StartsOn  time.Time `json:"starts_on"`
	Active    bool      `json:"active"`
	CreatedBy *int64    `json:"created_by"`
	Version   int       `json:"version"`
}

// Check says what is wrong with a plan before it is stored.
func (p Plan) Check() error {
	if p.Name == "" || len([]rune(p.Name)) > 200 {
		return maint.InvalidAs("name", "plan_name", nil, "a plan needs a name of at most 200 characters")
	}
	if p.Kind != maint.KindManhole && p.Kind != maint.KindRoadRepair {
		return maint.InvalidAs("kind", "plan_kind", maint.Params{"kind": string(p.Kind)}, "plans inspect manhole or road_repair assets, not %q", p.Kind)
	}
	switch p.Frequency {
	case Days:
		if p.EveryDays < 1 || p.EveryDays > 366 {
			return maint.InvalidAs("every_days", "plan_every_days", nil, "every_days must be 1 to 366")
		}
	case Weekly, Monthly:
		if p.EveryDays != 0 {
			return maint.InvalidAs("every_days", "plan_every_days", nil, "every_days goes with frequency days only")
		}
	default:
		return maint.InvalidAs("frequency", "plan_frequency", maint.Params{"frequency": string(p.Frequency)}, "frequency must be days, weekly or monthly, not %q", p.Frequency)
	}
	if p.StartsOn.IsZero() {
		return maint.InvalidAs("starts_on", "plan_starts_on", nil, "a plan needs starts_on (a date)")
	}
	for _, c := range p.Filter.CoverCategories {
		if _, ok := maint.Lookup(maint.CoverCategories, c); !ok {
			return maint.InvalidAs("filter.cover_categories", "attr_unknown_value", maint.Params{"key": "cover_category", "value": c}, "%q is not a cover category", c)
		}
	}
	for _, c := range p.Filter.LoadClasses {
		if _, ok := maint.Lookup(maint.LoadClasses, c); !ok {
			return maint.InvalidAs("filter.load_classes", "attr_unknown_value", maint.Params{"key": "load_class", "value": c}, "%q is not a load class", c)
		}
	}
	return nil
}

// Period is the period of plan p containing day (a date at UTC midnight):
// its first and last day. A day before the plan starts has none.
func (p Plan) Period(day time.Time) (start, end time.Time, ok bool) {
	day = Day(day)
	from := Day(p.StartsOn)
	if day.Before(from) {
		return time.Time{}, time.Time{}, false
	}
	switch p.Frequency {
	case Weekly:
		off := (int(day.Weekday()) + 6) % 7 // Monday 0
		start = day.AddDate(0, 0, -off)
		end = start.AddDate(0, 0, 6)
	case Monthly:
		start = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 1, -1)
	default:
		n := int(day.Sub(from).Hours()/24) / p.EveryDays
		start = from.AddDate(0, 0, n*p.EveryDays)
		end = start.AddDate(0, 0, p.EveryDays-1)
	}
	return start, end, true
}

// Day is t's calendar day as a date at UTC midnight.
func Day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

// Today is the calendar day in the district (Asia/Shanghai) at instant t.
func Today(t time.Time) time.Time { return Day(t.In(maint.Zone)) }

// Status is where an inspection stands.
type Status string

const (
	Due    Status = "due"
	Done   Status = "done"
	Missed Status = "missed" // its period ended without a result
)

// Inspection is one asset's inspection in one period of a plan.
type Inspection struct {
	ID          int64      `json:"id"`
	PlanID      int64      `json:"plan_id"`
	PlanName    string     `json:"plan_name"`
	AssetID     int64      `json:"asset_id"`
	AssetCode   string     `json:"asset_code"`
	AssetName   string     `json:"asset_name"`
	Kind        maint.Kind `json:"kind"`
	Subdistrict string     `json:"subdistrict"`
	PeriodStart time.Time  `json:"period_start"`
	DueOn       time.Time  `json:"due_on"`
	InspectorID *int64     `json:"inspector_id"`
	Inspector   string     `json:"inspector"`
	Status      Status     `json:"status"`
	DoneAt      *time.Time `json:"done_at"`
	Result      *Result    `json:"result"`
	// Lon, Lat are a point on the asset (where to walk to).
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
	// Cases are the defect cases the result opened, by checklist item.
	Cases map[string]CaseRef `json:"cases,omitempty"`
}

// CaseRef names a defect case opened by a failed item.
type CaseRef struct {
	ID  int64  `json:"id"`
	Ref string `json:"ref"`
}

// Query selects inspections.
type Query struct {
	Status      Status
	InspectorID *int64
	PlanID      *int64
	Kind        maint.Kind
	Subdistrict string
	// On selects the inspections whose period contains the day.
	On    *time.Time
	Limit int
	After int64
}

// Coverage is the share of a period's scheduled inspections done, for one
// sub-district and kind.
type Coverage struct {
	Subdistrict string     `json:"subdistrict"`
	Kind        maint.Kind `json:"kind"`
	Inspected   int64      `json:"inspected"`
	Scheduled   int64      `json:"scheduled"`
	Share       float64    `json:"share"`
}

// ShareOf is n/d rounded to four places (0 when nothing was due).
func ShareOf(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return math.Round(float64(n)/float64(d)*10000) / 10000
}

// CoverOwner is the unit responsible for a cover category and the crew its
// cases go to.
type CoverOwner struct {
	Category string `json:"category"`
	Unit     string `json:"unit"`
	UnitEn   string `json:"unit_en"`
	Crew     string `json:"crew"`
}

// Register is a cover's file (一井一档案).
type Register struct {
	AssetID         int64      `json:"asset_id"`
	Code            string     `json:"code"`
	CoverCategory   string     `json:"cover_category"`
	LoadClass       string     `json:"load_class"`
	Unit            string     `json:"unit"`
	UnitEn          string     `json:"unit_en"`
	Crew            string     `json:"crew"`
	AntiFallNet     *bool      `json:"anti_fall_net"`
	LastInspectedOn *time.Time `json:"last_inspected_on"`
	// ConditionGrade is the asset's condition grade (A–D, assets.condition_grade).
	ConditionGrade *string `json:"condition_grade"`
}

// Store is what the handlers need of the database.
type Store interface {
	Plans(ctx context.Context) ([]Plan, error)
	CreatePlan(ctx context.Context, v maint.Viewer, p Plan) (*Plan, error)
	PatchPlan(ctx context.Context, v maint.Viewer, id int64, version int, p PlanPatch) (*Plan, error)
	Generate(ctx context.Context, day time.Time) (int64, error)
	MarkMissed(ctx context.Context, day time.Time) (int64, error)
	Inspections(ctx context.Context, q Query, today time.Time) ([]Inspection, error)
	Inspection(ctx context.Context, id int64) (*Inspection, error)
	RecordResult(ctx context.Context, v maint.Viewer, id int64, r Result, idem *maint.Idempotency) (*Inspection, bool, error)
	Coverage(ctx context.Context, from, to time.Time) ([]Coverage, error)
	Uninspected(ctx context.Context, from, to time.Time, kind maint.Kind, limit int) ([]byte, error)
	CoverOwners(ctx context.Context) ([]CoverOwner, error)
	SaveCoverOwner(ctx context.Context, v maint.Viewer, o CoverOwner) error
	CoverRegister(ctx context.Context, assetID int64) (*Register, error)
}

// Walk orders points as a walk from start: each next the nearest not yet
// visited (greedy nearest neighbour on an equirectangular approximation,
// good to well under a percent across a district). It returns indexes
// into pts.
func Walk(start [2]float64, pts [][2]float64) []int {
	left := make([]int, len(pts))
	for i := range left {
		left[i] = i
	}
	k := math.Cos(start[1] * math.Pi / 180)
	out := make([]int, 0, len(pts))
	at := start
	for len(left) > 0 {
		best, bestD := 0, math.Inf(1)
		for j, i := range left {
			dx, dy := (pts[i][0]-at[0])*k, pts[i][1]-at[1]
			if d := dx*dx + dy*dy; d < bestD {
				best, bestD = j, d
			}
		}
		i := left[best]
		out = append(out, i)
		at = pts[i]
		left = slices.Delete(left, best, best+1)
	}
	return out
}
