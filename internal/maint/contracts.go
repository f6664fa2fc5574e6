package maint

import (
	"context"
	"time"

	"inframap/gis"
)

// The services below are the domain's contracts: what the HTTP handlers and
// commands ask of the store, split by concern. internal/postgres implements
// them all on PostgreSQL + PostGIS. Writes take the Viewer who makes them and
// the client's address for the audit trail; each write is one transaction
// with its history or audit row.

// AssetService reads and writes mapped assets.
type AssetService interface {
	// ListAssets streams the assets f selects to emit in id order; more
	// says whether a page cut the list short.
	ListAssets(ctx context.Context, f AssetFilter, emit func(*Asset) error) (more bool, err error)
	Asset(ctx context.Context, id int64, v Viewer) (*Asset, error)
	CreateAsset(ctx context.Context, v Viewer, ip string, in NewAsset) (*Asset, error)
	// PatchAsset applies p if the asset is still at version (If-Match).
	PatchAsset(ctx context.Context, v Viewer, ip string, id int64, version int, p AssetPatch) (*Asset, error)
	// DeleteAsset removes an asset still at version that has no tasks,
	// photos or parking spaces (else a CodeConflict).
	DeleteAsset(ctx context.Context, v Viewer, ip string, id int64, version int) error
	Areas(ctx context.Context) ([]Area, error)
}

// TaskService reads tasks and moves them through the workflow.
type TaskService interface {
	ListTasks(ctx context.Context, f TaskFilter, v Viewer, emit func(*Task) error) (more bool, err error)
	Task(ctx context.Context, id int64, v Viewer) (*Task, error)
	// CreateTask and TransitionTask take an optional idempotency key: a
	// retry gets the task as the first try made it, with replayed set.
	CreateTask(ctx context.Context, v Viewer, in NewTask, idem *Idempotency) (t *Task, replayed bool, err error)
	PatchTask(ctx context.Context, v Viewer, id int64, version int, p TaskPatch) (*Task, error)
	TransitionTask(ctx context.Context, v Viewer, id int64, version int, tr Transition, idem *Idempotency) (t *Task, replayed bool, err error)
	// ClockAction asks for, decides or ends an extension or suspension of
	// the task's running step (If-Match).
	ClockAction(ctx context.Context, v Viewer, id int64, version int, a ClockAction) (*Task, error)
}

// PhotoService records the photos that prove the work, and residents'
// reports with theirs.
type PhotoService interface {
	AddPhoto(ctx context.Context, v Viewer, np NewPhoto, idem *Idempotency) (p *Photo, replayed bool, err error)
	Photo(ctx context.Context, id int64) (*Photo, error)
	Photos(ctx context.Context, taskID, assetID *int64, v Viewer) ([]Photo, error)
	SetPhotoVisible(ctx context.Context, v Viewer, ip string, id int64, visible bool, reason string) (*Photo, error)
	// CreateReport files a resident's report and its photo together.
	CreateReport(ctx context.Context, v Viewer, svc Service, in NewRequest, np *NewPhoto, idem *Idempotency) (*ServiceRequest, *Photo, bool, error)
	// ReportFeedback records the reporter's answer after 结案 (proved by
	// the request's token); "not fixed" returns the case to 核查.
	ReportFeedback(ctx context.Context, ref, token string, fb Feedback, np *NewPhoto, idem *Idempotency) (*ServiceRequest, bool, error)
}

// RequestService files and reads residents' service requests (Open311).
type RequestService interface {
	CreateRequest(ctx context.Context, v Viewer, svc Service, in NewRequest) (*ServiceRequest, error)
	ServiceRequests(ctx context.Context, f RequestFilter) ([]ServiceRequest, error)
	RequestByToken(ctx context.Context, token string) (string, error)
	// CheckAPIKey returns the name of the partner an Open311 key belongs to.
	CheckAPIKey(ctx context.Context, key string) (string, error)
	// Support records that a device's resident meets the open case too
	// (我也遇到), once per device; it returns the count and whether this
	// one was new.
	Support(ctx context.Context, taskID int64, device []byte) (count int, counted bool, err error)
	// PublicEvents lists the public changes of cases, newest first, for
	// feeds.
	PublicEvents(ctx context.Context, f FeedFilter) ([]FeedEvent, error)
}

// AccountService keeps staff accounts, their sign-ins and API tokens.
type AccountService interface {
	// Authenticate returns the viewer a session id or bearer token stands for.
	Authenticate(ctx context.Context, secret string) (Viewer, error)
	// UserLogin returns the account signing in with email and its password hash.
	UserLogin(ctx context.Context, email string) (*User, string, error)
	User(ctx context.Context, id int64) (*User, error)
	Users(ctx context.Context) ([]User, error)
	CreateUser(ctx context.Context, actor Viewer, ip string, u User, hash string) (*User, error)
	UpdateUser(ctx context.Context, actor Viewer, ip string, id int64, p UserPatch) (*User, error)
	// FailedLogins counts failed sign-ins since a time, per account and per address.
	FailedLogins(ctx context.Context, email, ip string, since time.Time) (byAccount, byAddress int, err error)
	Login(ctx context.Context, u *User, ip, userAgent, previous string, ttl time.Duration) (session string, expires time.Time, err error)
	Logout(ctx context.Context, v Viewer, ip, token string) error
	CreateToken(ctx context.Context, u *User, ip, name string) (*Token, string, error)
	Tokens(ctx context.Context, userID int64) ([]Token, error)
	RevokeToken(ctx context.Context, v Viewer, ip string, id int64) error
}

// AdminService keeps the crews and the audit trail.
type AdminService interface {
	Crews(ctx context.Context) ([]Crew, error)
	SaveCrew(ctx context.Context, v Viewer, ip string, c Crew) error
	// Audit records an action that has no store write of its own (a
	// sign-in, a failed one).
	Audit(ctx context.Context, actor Viewer, ip, action, subjectType string, subjectID *int64, details any) error
	AuditLog(ctx context.Context, f AuditFilter) (events []AuditEvent, more bool, err error)
}

// StatsService computes the report card.
type StatsService interface {
	// Stats is the report card now, or replayed at the end of asOf's day.
	Stats(ctx context.Context, asOf *time.Time) (*Stats, error)
	// KindExtents counts each kind's assets and gives the box they lie in.
	KindExtents(ctx context.Context) ([]KindExtent, error)
}

// FeatureService reads assets as OGC API – Features serves them.
type FeatureService interface {
	Features(ctx context.Context, f FeatureQuery, emit func(*Asset) error) error
	CountFeatures(ctx context.Context, f FeatureQuery) (int64, error)
	Feature(ctx context.Context, kind Kind, id int64, crs gis.CRS) (*Asset, error)
	Extents(ctx context.Context) ([]Extent, error)
	AttributeKeys(ctx context.Context, kinds []Kind) ([]string, error)
	// AttributeTypes returns the attributes the assets of kind carry, by
	// name, each with the JSON type most of its values have.
	AttributeTypes(ctx context.Context, kind Kind) ([]AttributeType, error)
}

// AttributeType is an attribute's name and JSON type ("string", "number",
// "boolean"; other types are not listed).
type AttributeType struct {
	Name, Type string
}

// TileService renders the map's vector tiles and cluster tiles.
type TileService interface {
	// Tile renders a Mapbox Vector Tile with a layer per kind; empty is zero bytes.
	Tile(ctx context.Context, kinds []Kind, t gis.Tile) ([]byte, error)
	// TileAssets clusters a numerous kind's assets in t, or emits them one
	// by one when few.
	TileAssets(ctx context.Context, kind Kind, t gis.Tile, emit func(*Asset) error) ([]Cluster, error)
}

// ExchangeService moves assets in and out as files.
type ExchangeService interface {
	ExportAssets(ctx context.Context, f ExportFilter, start func(attrKeys []string) error, emit func(*ExportedAsset) error) error
	// ImportAssets checks every row of src and writes them all or none.
	ImportAssets(ctx context.Context, v Viewer, ip string, src RowSource, opt ImportOptions) (*ImportResult, error)
}
