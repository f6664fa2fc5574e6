package maint

import (
	"encoding/json"
	"time"
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
	Location  json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time
	// Overdue is computed: past its due date and still open (not done).
	Overdue bool
	// Private fields: never shown to anonymous callers.
	ReporterName    string
	ReporterContact string
	History         []Event
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
	Changes json.RawMessage
	Note    string
	// Internal notes are for staff only.
	Internal bool
}
