package maint

import (
	"encoding/json"
	"time"

	"inframap/gis"
)

// Records for bulk loads: the district dataset, imports and city-scale data.
// They carry codes instead of ids, since ids are the database's to assign.

// AssetRecord is an asset to load.
type AssetRecord struct {
	Kind       Kind
	Code       string
	Name       string
	NameEn     string
	ParentCode string
	Attrs      map[string]any
	Geometry   gis.Geometry
}

// AttrsJSON returns the attributes as a JSON object.
func (a AssetRecord) AttrsJSON() []byte {
	if a.Attrs == nil {
		return []byte("{}")
	}
	b, err := json.Marshal(a.Attrs)
	if err != nil {
		panic(err) // attributes are plain values
	}
	return b
}

// EventRecord is one step of a loaded task's history.
type EventRecord struct {
	At       time.Time
	Actor    string
	From, To Status // From is "" for the report that opens the case; both "" for a row that moves no state
	Note     string
	Internal bool
	// Changes are the row's changes, {"field": [old, new]}: for a row of a
	// case's clock, "extended" (an approved extension) or "suspended".
	Changes map[string]any
}

// TaskRecord is a task to load, with its history.
type TaskRecord struct {
	Ref             string
	AssetCode       string
	Programme       Programme
	Title           string
	Description     string
	WorkType        string
	Priority        Priority
	Assignee        string
	DueDate         *time.Time
	QtyPlanned      *float64
	QtyDone         *float64
	QtyUnit         string
	Phase           Phase
	Percent         *int
	Source          Source
	ReporterName    string
	ReporterContact string
	Events          []EventRecord
}

// Last is the task's last state change.
func (t TaskRecord) Last() EventRecord {
	for i := len(t.Events) - 1; i > 0; i-- {
		if t.Events[i].To != "" {
			return t.Events[i]
		}
	}
	return t.Events[0]
}

// Status is the task's current state: the target of its last state change.
func (t TaskRecord) Status() Status { return t.Last().To }

// CreatedAt is the time of the task's first event.
func (t TaskRecord) CreatedAt() time.Time { return t.Events[0].At }

// ZoneCentre is an approximate sub-district given by its centre: the zones
// are the Voronoi cells of the centres, clipped to the district.
type ZoneCentre struct {
	Name, NameEn string
	Centre       gis.Geometry // a point
}

// Bulk is a dataset to load into an empty database in one transaction.
type Bulk struct {
	// District is the boundary polygon and its name.
	District       gis.Geometry
	DistrictName   string
	DistrictNameEn string
	Zones          []ZoneCentre
	Crews          []string
	Assets         []AssetRecord
	Tasks          []TaskRecord
	AssetsCreated  time.Time
	// Distresses and Conditions are the road sections' recorded distresses
	// and the gradings computed from them (internal/condition).
	Distresses []DistressRecord
	Conditions []ConditionRecord
}
