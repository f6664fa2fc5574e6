package maint

import (
	"encoding/json"
	"strings"
	"time"

	"inframap/gis"
)

// Priority orders the work queue.
type Priority string

const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Priorities lists every priority, lowest first.
var Priorities = []Priority{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

// Phase is the stage of a staged work such as a sewer separation retrofit.
type Phase string

// Phases lists the stages of a staged work in order.
var Phases = []Phase{"survey", "excavation", "pipe_laying", "backfill", "surface_restoration", "acceptance"}

var phaseNames = map[Phase][2]string{
	"survey":              {"勘察", "Survey"},
	"excavation":          {"开挖", "Excavation"},
	"pipe_laying":         {"管道铺设", "Pipe laying"},
	"backfill":            {"回填", "Backfill"},
	"surface_restoration": {"路面恢复", "Surface restoration"},
	"acceptance":          {"验收", "Acceptance"},
}

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { _, ok := phaseNames[p]; return ok }

// Name returns the Chinese name of the phase.
func (p Phase) Name() string { return phaseNames[p][0] }

// NameEn returns the English name of the phase.
func (p Phase) NameEn() string { return phaseNames[p][1] }

// Task is a work order: one case of the digital city-management flow.
type Task struct {
	ID          int64
	Ref         string // the case number people quote
	AssetID     *int64
	AssetKind   Kind // of the asset, when the task has one
	AssetCode   string
	AssetName   string
	Programme   Programme
	Title       string
	Description string
	WorkType    string
	Status      Status
	StatusAt    time.Time
	Priority    Priority
	Assignee    string // crew or unit
	DueDate     *time.Time
	QtyPlanned  *float64
	QtyDone     *float64
	QtyUnit     string
	Phase       *Phase
	Percent     *int
	Version     int
	Source      Source
	// Location is a GeoJSON Point for reports made without an asset.
	Location json.RawMessage `json:",omitempty"`
	// Place is where a map draws the task, [lon, lat]: the reported
	// location, else a point on its asset; nil when it has neither.
	Place     *[2]float64
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time
	// Supports counts the residents (devices) who said 我也遇到 ("me too").
	Supports int
	// Clock is the running time limit of the task's current step; nil when
	// no step is timed (closed, rejected, cancelled).
	Clock *Clock
	// Overdue is computed: the running step is past its deadline.
	Overdue bool
	// Private fields: never shown to anonymous callers.
	ReporterName    string
	ReporterContact string
	History         []Event
	// Inspection is the inspection whose failed item opened the case
	// (staff only; nil for every other case).
	Inspection *TaskInspection
}

// TaskInspection names the inspection a case came from: the round (plan),
// the failed checklist item or distress code, and when it was done.
type TaskInspection struct {
	ID         int64
	Item       string
	PlanID     int64
	PlanName   string
	PlanNameEn string
	DoneAt     *time.Time
}

// Event is one row of a task's append-only history.
type Event struct {
	ID     int64
	TaskID int64
	At     time.Time
	Actor  string // who: the user's e-mail, or "import", "resident"
	// ActorRole is what the public sees instead of Actor: admin, engineer,
	// inspector, resident or system.
	ActorRole string
	From      *Status
	To        *Status
	// Changes lists changed fields as {"field": [old, new]}.
	Changes json.RawMessage `json:",omitempty"`
	Note    string
	// Internal notes are for staff only.
	Internal bool
}

// Opt is a field of a partial update: Set when the field was given, Null
// when it was given as null (to clear it).
type Opt[T any] struct {
	Set  bool
	Null bool
	V    T
}

// NewTask is a task to create. It starts reported.
type NewTask struct {
	AssetID         *int64
	Location        gis.Geometry // a point, for reports without an asset
	Programme       Programme
	Title           string
	Description     string
	WorkType        string
	Priority        Priority
	DueDate         *time.Time
	Source          Source
	ReporterName    string
	ReporterContact string
	Note            string
}

// TaskPatch changes a task's fields; only those Set change.
type TaskPatch struct {
	Title       Opt[string]
	Description Opt[string]
	Priority    Opt[Priority]
	Assignee    Opt[string]
	DueDate     Opt[time.Time]
	QtyPlanned  Opt[float64]
	QtyDone     Opt[float64]
	QtyUnit     Opt[string]
	Phase       Opt[Phase]
	Percent     Opt[int]
	Note        string
	Internal    bool
}

// Empty reports whether the patch changes nothing.
func (p TaskPatch) Empty() bool {
	return !p.Title.Set && !p.Description.Set && !p.Priority.Set && !p.Assignee.Set && !p.DueDate.Set &&
		!p.QtyPlanned.Set && !p.QtyDone.Set && !p.QtyUnit.Set && !p.Phase.Set && !p.Percent.Set
}

// Transition moves a task to another state, with a note; dispatching may
// set the crew and due date in the same step.
type Transition struct {
	To       Status
	Note     string
	Internal bool
	Assignee string
	DueDate  *time.Time
}

// TaskFilter selects tasks for a list.
type TaskFilter struct {
	Statuses  []Status
	Kinds     []Kind
	Assignee  string
	Overdue   *bool
	BBox      *gis.BBox
	AssetID   *int64
	Programme Programme
	Source    Source
	// Q finds a case number (exact or its start) or words of the title.
	Q string
	// Newest lists the newest first; After is then an upper bound.
	Newest bool
	// TimeLeft lists running clocks soonest deadline first; After is then
	// the number of tasks to skip.
	TimeLeft bool
	// ByPriority lists the most urgent first (then the soonest deadline,
	// then the oldest); After is then the number of tasks to skip.
	ByPriority bool
	// Near lists the tasks nearest this point [lon, lat] first; After is
	// then the number of tasks to skip.
	Near  *[2]float64
	After int64
	Limit int
}

// Positional says whether the filter's order pages by position (After is
// the number of tasks to skip) rather than by id.
func (f TaskFilter) Positional() bool { return f.TimeLeft || f.ByPriority || f.Near != nil }

// CheckTransitionInput applies the rules of a transition that do not depend
// on the actor: notes where the flow needs a reason, a crew to dispatch to.
func CheckTransitionInput(t *Task, tr Transition) error {
	switch {
	case tr.To == StatusDispatched && tr.Assignee == "" && t.Assignee == "":
		return InvalidAs("assignee", "dispatch_needs_assignee", nil, "dispatching needs a crew or unit (assignee)")
	case (tr.To == StatusRejected || tr.To == StatusCancelled) && strings.TrimSpace(tr.Note) == "":
		return InvalidAs("note", "note_needs_reason", nil, "say why in a note")
	case t.Status == StatusDone && tr.To == StatusInProgress && strings.TrimSpace(tr.Note) == "":
		return InvalidAs("note", "note_needs_failure", nil, "say what failed verification in a note")
	case t.Status == StatusDispatched && tr.To == StatusFiled && strings.TrimSpace(tr.Note) == "":
		return InvalidAs("note", "note_needs_handback", nil, "say why the case is handed back (回退) in a note")
	}
	return nil
}
