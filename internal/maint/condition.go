package maint

import (
	"context"
	"encoding/json"
	"time"
)

// Condition of assets (docs/condition.md): distresses recorded on road
// sections, the PCI and grade they give, and the ranked work list. The
// formula and the grades live in internal/condition.

// Condition sources: what graded an asset.
const (
	ConditionDistress   = "distress"   // a distress recorded, repaired or changed
	ConditionInspection = "inspection" // an inspection's checklist
	ConditionSeed       = "seed"       // the district dataset
	ConditionImport     = "import"     // imported data
)

// DistressInput is a distress to record on a road section.
type DistressInput struct {
	Kind     string  `json:"kind"`     // a code of RoadDistresses
	Severity string  `json:"severity"` // light, moderate or heavy
	ExtentM2 float64 `json:"extent_m2"`
	// ObservedAt is when it was seen; the time of recording when nil.
	ObservedAt *time.Time `json:"observed_at,omitempty"`
	Note       string     `json:"note,omitempty"`
}

// Distress is a recorded distress; present while RepairedAt is nil.
type Distress struct {
	ID           int64      `json:"id"`
	AssetID      int64      `json:"asset_id"`
	Kind         string     `json:"kind"`
	Severity     string     `json:"severity"`
	ExtentM2     float64    `json:"extent_m2"`
	ObservedAt   time.Time  `json:"observed_at"`
	RepairedAt   *time.Time `json:"repaired_at"`
	InspectionID *int64     `json:"inspection_id"`
	RecordedBy   string     `json:"recorded_by"`
	Note         string     `json:"note"`
	Version      int        `json:"version"`
}

// DistressPatch changes a distress: marks it repaired (Repaired true; at
// RepairedAt or now), or changes its extent, severity or note.
type DistressPatch struct {
	Repaired   *bool      `json:"repaired,omitempty"`
	RepairedAt *time.Time `json:"repaired_at,omitempty"`
	ExtentM2   *float64   `json:"extent_m2,omitempty"`
	Severity   *string    `json:"severity,omitempty"`
	Note       *string    `json:"note,omitempty"`
}

// ConditionPoint is one grading in an asset's history.
type ConditionPoint struct {
	At           time.Time `json:"at"`
	PCI          *float64  `json:"pci"`
	Grade        string    `json:"grade"`
	Source       string    `json:"source"`
	InspectionID *int64    `json:"inspection_id"`
}

// Condition is an asset's condition now and its history, oldest first.
type Condition struct {
	AssetID   int64            `json:"asset_id"`
	Kind      Kind             `json:"kind"`
	RoadClass string           `json:"road_class,omitempty"`
	PCI       *float64         `json:"pci"`
	Grade     *string          `json:"condition_grade"`
	At        *time.Time       `json:"condition_at"`
	History   []ConditionPoint `json:"history"`
}

// WorkListFilter selects and pages the ranked work list.
type WorkListFilter struct {
	Kind        Kind   // "" for every graded kind
	Subdistrict string // "" for all
	Grade       string // "" for all
	Limit       int
	Offset      int
}

// WorkItem is one asset of the ranked work list.
type WorkItem struct {
	Rank        int             `json:"rank"`
	AssetID     int64           `json:"asset_id"`
	Code        string          `json:"code"`
	Kind        Kind            `json:"kind"`
	Name        string          `json:"name"`
	NameEn      string          `json:"name_en"`
	Subdistrict string          `json:"subdistrict"`
	RoadClass   string          `json:"road_class,omitempty"`
	PCI         *float64        `json:"pci"`
	Grade       string          `json:"condition_grade"`
	ConditionAt time.Time       `json:"condition_at"`
	OpenTasks   int             `json:"open_tasks"`
	Score       float64         `json:"score"`
	Centre      json.RawMessage `json:"centre"`
}

// DistressRecord is a distress to load with a dataset.
type DistressRecord struct {
	AssetCode  string
	Kind       string
	Severity   string
	ExtentM2   float64
	ObservedAt time.Time
	RepairedAt *time.Time
	Note       string
}

// ConditionRecord is a grading to load with a dataset; the asset's
// condition is its latest.
type ConditionRecord struct {
	AssetCode string
	At        time.Time
	PCI       *float64
	Grade     string
	Source    string
}

// ConditionService is what the handlers need of condition (docs/condition.md).
type ConditionService interface {
	Distresses(ctx context.Context, assetID int64) ([]Distress, error)
	AddDistresses(ctx context.Context, v Viewer, ip string, assetID int64, ds []DistressInput) ([]Distress, error)
	PatchDistress(ctx context.Context, v Viewer, ip string, assetID, id int64, version int, p DistressPatch) (*Distress, error)
	AssetCondition(ctx context.Context, assetID int64) (*Condition, error)
	WorkList(ctx context.Context, f WorkListFilter) ([]WorkItem, bool, error)
}
