package httpapi

import (
	"encoding/json"
	"time"

	"inframap/internal/maint"
	"inframap/internal/privacy"
	"inframap/internal/timelimit"
)

// taskJSON is a task as the API shows it. Reporter details appear for staff
// only; the store already leaves them out for everyone else.
type taskJSON struct {
	ID          int64           `json:"id"`
	Ref         string          `json:"ref"`
	AssetID     *int64          `json:"asset_id"`
	Asset       *taskAssetJSON  `json:"asset,omitempty"`
	Programme   maint.Programme `json:"programme"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	WorkType    string          `json:"work_type"`
	Status      maint.Status    `json:"status"`
	StatusName  string          `json:"status_name"`
	StatusAt    time.Time       `json:"status_at"`
	Priority    maint.Priority  `json:"priority"`
	Assignee    string          `json:"assignee,omitempty"`
	DueDate     *string         `json:"due_date"`
	Overdue     bool            `json:"overdue"`
	Clock       *clockJSON      `json:"clock"`
	Supports    int             `json:"supports"`
	Quantity    *quantityJSON   `json:"quantity,omitempty"`
	Phase       *maint.Phase    `json:"phase,omitempty"`
	Percent     *int            `json:"percent,omitempty"`
	Version     int             `json:"version"`
	Source      maint.Source    `json:"source"`
	Location    json.RawMessage `json:"location,omitempty"`
	Place       *[2]float64     `json:"place"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	ClosedAt    *time.Time      `json:"closed_at"`
	Reporter    *reporterJSON   `json:"reporter,omitempty"`
	Inspection  *inspectionLink `json:"inspection,omitempty"`
	History     []eventJSON     `json:"history"`
	Allowed     []maint.Status  `json:"allowed_transitions,omitempty"`
}

// clockJSON is the running time limit of a task's step
// (docs/time-limits.md).
type clockJSON struct {
	Step        string             `json:"step"`
	StepName    string             `json:"step_name"`
	Limit       limitJSON          `json:"limit"`
	Extended    float64            `json:"extended"`
	StartedAt   time.Time          `json:"started_at"`
	Deadline    *time.Time         `json:"deadline"`
	Share       *float64           `json:"share"`
	LeftSeconds *int64             `json:"left_seconds"`
	Light       string             `json:"light"`
	PausedSince *time.Time         `json:"paused_since"`
	Rework      bool               `json:"rework"`
	Extensions  int                `json:"extensions"`
	Suspensions int                `json:"suspensions"`
	Requests    []clockRequestJSON `json:"requests,omitempty"`
}

type limitJSON struct {
	Unit string  `json:"unit"`
	N    float64 `json:"n"`
}

type clockRequestJSON struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	N           float64    `json:"n"`
	Reason      string     `json:"reason"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	Decision    *string    `json:"decision"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	DecidedAt   *time.Time `json:"decided_at"`
	Note        string     `json:"note"`
	EndedAt     *time.Time `json:"ended_at"`
}

func clockView(c *maint.Clock, v maint.Viewer) *clockJSON {
	if c == nil {
		return nil
	}
	j := &clockJSON{Step: c.Step, StepName: timelimit.Step(c.Step).Name(), Limit: limitJSON{c.Unit, c.N}, Extended: c.Extended,
		StartedAt: c.StartedAt, Deadline: c.Deadline, Share: c.Share, Light: c.Light, PausedSince: c.PausedSince,
		Rework: c.Rework, Extensions: c.Extensions, Suspensions: c.Suspensions}
	if c.Left != nil {
		s := int64(*c.Left / time.Second)
		j.LeftSeconds = &s
	}
	if v.Staff() {
		for _, r := range c.Requests {
			rj := clockRequestJSON{ID: r.ID, Kind: r.Kind, N: r.N, Reason: r.Reason, RequestedBy: r.RequestedBy,
				RequestedAt: r.RequestedAt, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt, Note: r.Note, EndedAt: r.EndedAt}
			if r.Decision != "" {
				d := r.Decision
				rj.Decision = &d
			}
			j.Requests = append(j.Requests, rj)
		}
	}
	return j
}

// taskAssetJSON names the asset a task is on, so a queue can say what
// without another request.
type taskAssetJSON struct {
	Kind maint.Kind `json:"kind"`
	Code string     `json:"code"`
	Name string     `json:"name"`
}

type quantityJSON struct {
	Planned *float64 `json:"planned"`
	Done    *float64 `json:"done"`
	Unit    string   `json:"unit"`
}

// inspectionLink names, for staff, the inspection whose failed item opened
// the case (docs/inspections.md).
type inspectionLink struct {
	ID         int64      `json:"id"`
	Item       string     `json:"item"`
	PlanID     int64      `json:"plan_id"`
	PlanName   string     `json:"plan_name"`
	PlanNameEn string     `json:"plan_name_en"`
	DoneAt     *time.Time `json:"done_at"`
}

type reporterJSON struct {
	Name    string `json:"name"`
	Contact string `json:"contact"`
}

type eventJSON struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	From     *maint.Status   `json:"from"`
	To       *maint.Status   `json:"to"`
	Note     string          `json:"note"`
	Changes  json.RawMessage `json:"changes,omitempty"`
	Internal bool            `json:"internal,omitempty"`
}

func taskView(t *maint.Task, v maint.Viewer) taskJSON {
	j := taskJSON{
		ID: t.ID, Ref: t.Ref, AssetID: t.AssetID, Programme: t.Programme, Title: t.Title, Description: t.Description,
		WorkType: t.WorkType, Status: t.Status, StatusName: t.Status.Name(), StatusAt: t.StatusAt, Priority: t.Priority,
		Assignee: t.Assignee, Overdue: t.Overdue, Clock: clockView(t.Clock, v), Supports: t.Supports, Phase: t.Phase, Percent: t.Percent, Version: t.Version,
		Source: t.Source, Location: t.Location, Place: t.Place, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, ClosedAt: t.ClosedAt,
		History: []eventJSON{},
	}
	if t.AssetID != nil && t.AssetCode != "" {
		j.Asset = &taskAssetJSON{Kind: t.AssetKind, Code: t.AssetCode, Name: t.AssetName}
	}
	if t.DueDate != nil {
		d := t.DueDate.Format(time.DateOnly)
		j.DueDate = &d
	}
	if t.QtyPlanned != nil || t.QtyDone != nil || t.QtyUnit != "" {
		j.Quantity = &quantityJSON{Planned: t.QtyPlanned, Done: t.QtyDone, Unit: t.QtyUnit}
	}
	if v.Staff() {
		if t.ReporterName != "" || t.ReporterContact != "" {
			j.Reporter = &reporterJSON{Name: t.ReporterName, Contact: t.ReporterContact}
		}
		j.Allowed = maint.AllowedTransitions(t.Status, v.Role)
		if in := t.Inspection; in != nil {
			j.Inspection = &inspectionLink{ID: in.ID, Item: in.Item, PlanID: in.PlanID, PlanName: in.PlanName, PlanNameEn: in.PlanNameEn, DoneAt: in.DoneAt}
		}
	}
	if !v.Staff() {
		// Anonymous visitors read no personal data in what staff and
		// residents typed (internal/privacy); staff read the text whole.
		j.Title, j.Description = privacy.Mask(j.Title), privacy.Mask(j.Description)
		if j.Asset != nil {
			j.Asset.Name = privacy.Mask(j.Asset.Name)
		}
	}
	for _, e := range t.History {
		ej := eventJSON{ID: e.ID, At: e.At, Actor: e.Actor, From: e.From, To: e.To, Note: e.Note}
		if !v.Staff() {
			ej.Note = privacy.Mask(ej.Note)
		}
		if v.Staff() {
			ej.Internal = e.Internal
			if len(e.Changes) > 2 {
				ej.Changes = e.Changes
			}
		}
		j.History = append(j.History, ej)
	}
	return j
}
