package maint

import (
	"encoding/json"
	"time"
)

// Stage is when in the work a photo was taken.
type Stage string

const (
	StageBefore Stage = "before"
	StageDuring Stage = "during"
	StageAfter  Stage = "after"
	StageReport Stage = "report" // a resident's or inspector's report
)

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool {
	switch s {
	case StageBefore, StageDuring, StageAfter, StageReport:
		return true
	}
	return false
}

// Photo is a stored photo's metadata. Its bytes are in the blob store under
// the three keys.
type Photo struct {
	ID             int64
	TaskID         *int64
	AssetID        *int64
	Stage          Stage
	SHA256         string
	MediaType      string
	Bytes          int64
	Width, Height  int
	OriginalKey    string
	DisplayKey     string
	ThumbKey       string
	TakenAt        *time.Time
	Lon, Lat       *float64
	LocationSource string // "exif" or "device"
	AccuracyM      *float64
	DistanceM      *float64
	FarFromAsset   bool
	EXIF           json.RawMessage `json:",omitempty"`
	UploaderRole   string
	Visible        bool
	HiddenReason   string
	CreatedAt      time.Time
	// Duplicate says an upload found these bytes already stored for the
	// same task or asset.
	Duplicate bool
}

// NewPhoto is a photo to record, its blobs already written.
type NewPhoto struct {
	TaskID, AssetID *int64
	Stage           Stage
	SHA256          string
	MediaType       string
	Bytes           int64
	Width, Height   int
	OriginalKey     string
	DisplayKey      string
	ThumbKey        string
	TakenAt         *time.Time
	Lon, Lat        *float64
	LocationSource  string
	AccuracyM       *float64
	EXIF            json.RawMessage
	Visible         bool
	// FarMetres is the distance from the asset beyond which a photo is
	// flagged as taken far from it.
	FarMetres float64
}

// Idempotency identifies a retried write: the caller and endpoint (Scope),
// the client's key, and a hash of what was sent. The store keeps the
// write's outcome (a Task, a Photo, a report) as JSON beside the key; the
// raw JSON fields of those types say omitempty so that one that was absent
// comes back absent, not as a JSON null.
type Idempotency struct {
	Scope       string
	Key         string
	RequestHash string
}
