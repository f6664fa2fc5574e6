package maint

import (
	"context"
	"encoding/json"
	"time"
)

// Webhook is a registered endpoint as admins see it (never its secret
// after creation or rotation).
type Webhook struct {
	ID          int64      `json:"id"`
	URL         string     `json:"url"`
	Description string     `json:"description"`
	Events      []string   `json:"events"`
	CreatedAt   time.Time  `json:"created_at"`
	Failures    int        `json:"failures"`
	PausedAt    *time.Time `json:"paused_at"`
	// Secret is shown once, when made (created or rotated).
	Secret string `json:"secret,omitempty"`
}

// WebhookAttempt is one logged try at a delivery.
type WebhookAttempt struct {
	ID         int64     `json:"id"`
	DeliveryID string    `json:"delivery_id"`
	Kind       string    `json:"kind"`
	At         time.Time `json:"at"`
	Status     *int      `json:"status"`
	LatencyMS  int       `json:"latency_ms"`
	Excerpt    string    `json:"excerpt"`
	Error      string    `json:"error"`
	State      string    `json:"delivery_status"`
}

// Notice is an in-app notice for a member of staff.
type Notice struct {
	ID        int64           `json:"id"`
	Kind      string          `json:"kind"`
	Params    json.RawMessage `json:"params"`
	CreatedAt time.Time       `json:"created_at"`
	ReadAt    *time.Time      `json:"read_at"`
}

// NotifyService is the webhooks admins register and the notices staff read
// (docs/notifications.md).
type NotifyService interface {
	CreateWebhook(ctx context.Context, v Viewer, url, description string, events []string) (*Webhook, error)
	Webhooks(ctx context.Context) ([]Webhook, error)
	RotateWebhookSecret(ctx context.Context, v Viewer, id int64) (*Webhook, error)
	ResumeWebhook(ctx context.Context, v Viewer, id int64) (*Webhook, error)
	DeleteWebhook(ctx context.Context, v Viewer, id int64) error
	WebhookAttempts(ctx context.Context, id int64, limit int) ([]WebhookAttempt, error)
	RedeliverWebhook(ctx context.Context, v Viewer, id int64, delivery string) error
	Notices(ctx context.Context, userID int64, limit int) ([]Notice, error)
	ReadNotice(ctx context.Context, userID, id int64) error
	// NoticePreferences is a member of staff's choice of notices, every
	// kind listed (the default where they chose nothing).
	NoticePreferences(ctx context.Context, userID int64) (*NoticePreferences, error)
	// SetNoticePreferences changes the kinds named (the others stay) and,
	// when lang is not empty, the language of their e-mail; audited.
	SetNoticePreferences(ctx context.Context, v Viewer, ip, lang string, prefs []NoticePreference) (*NoticePreferences, error)
}

// NoticeKinds are the notices staff are told (docs/notifications.md), in
// the order the console lists them.
var NoticeKinds = []string{
	"task.dispatched_to_unit", "task.new_in_area", "task.due_soon", "task.overdue",
	"task.handed_back", "task.rework", "task.not_fixed", "webhook.paused",
}

// NoticePreference is one kind of notice as a person chose it: Receive,
// in the console (and by push on a registered device); Email, also by
// e-mail to the account's address (only while Receive).
type NoticePreference struct {
	Kind    string `json:"kind"`
	Receive bool   `json:"receive"`
	Email   bool   `json:"email"`
}

// NoticePreferences is a person's choice for every kind, the address
// e-mail goes to and its language (zh, en; "" is Chinese).
type NoticePreferences struct {
	Email       string             `json:"email"`
	Lang        string             `json:"lang"`
	Preferences []NoticePreference `json:"preferences"`
}

// StaffNotice is a staff notice sent by e-mail (Message kind staff): what
// happened, in codes and the case's own text.
type StaffNotice struct {
	TaskID   int64
	Ref      string
	Title    string
	Note     string
	Assignee string
	Step     string     // due_soon, overdue: file, dispatch, handle, verify
	Deadline *time.Time // due_soon, overdue
	URL      string     // webhook.paused: the endpoint
	Failures int        // webhook.paused
}

// Subscription is a resident's follow of a case or subscription to an area,
// as its key's holder sees it (the address half hidden).
type Subscription struct {
	Token        string          `json:"token"`
	Channel      string          `json:"channel"` // email, push
	Address      string          `json:"address"` // e-mail masked; push: the service's host
	Lang         string          `json:"lang"`
	Ref          string          `json:"ref,omitempty"`       // the case followed
	AreaName     string          `json:"area_name,omitempty"` // the sub-district, or "" for a drawn area
	Area         json.RawMessage `json:"area,omitempty"`      // GeoJSON of the area
	Services     []string        `json:"services"`
	Source       string          `json:"source"`
	ConsentAt    time.Time       `json:"consent_at"`
	ConfirmedAt  *time.Time      `json:"confirmed_at"`
	Unsubscribed *time.Time      `json:"unsubscribed_at"`
}

// NewSubscription is what a subscribe request asks for: a case (Ref) or an
// area (a sub-district by name, or a drawn polygon as GeoJSON), by e-mail
// or push.
type NewSubscription struct {
	Channel     string
	Email       string
	Endpoint    string // push
	P256dh      string // push: the browser's public key, base64url
	Auth        string // push: the auth secret, base64url
	Lang        string
	Ref         string
	Subdistrict string
	Polygon     []byte // GeoJSON Polygon or MultiPolygon, WGS84
	Services    []string
	IP          string
}

// SubscriptionService keeps the subscriptions (docs/notifications.md).
type SubscriptionService interface {
	Subscribe(ctx context.Context, in NewSubscription) (*Subscription, error)
	Subscription(ctx context.Context, token string) (*Subscription, error)
	ConfirmSubscription(ctx context.Context, token string) (*Subscription, error)
	Unsubscribe(ctx context.Context, token, via string) (*Subscription, error)
	// StaffPush records a member of staff's device for their notices by
	// push; the same device again renews its keys.
	StaffPush(ctx context.Context, userID int64, endpoint, p256dh, auth, lang, ip string) (*Subscription, error)
	// VAPIDKeys returns the web push key pair, made by make the first time.
	VAPIDKeys(ctx context.Context, make func() (public, private string, err error)) (string, string, error)
}

// Message is what one outgoing delivery to a subscriber says, in codes and
// public text (personal data masked), for internal/notify to put in the
// subscriber's language.
type Message struct {
	Kind       string // change, confirm, digest, notice (a staff notice on their device), staff (a staff notice by e-mail)
	Notice     string // the notice's kind, for Kind notice and staff
	Channel    string // email, push
	Address    string // the e-mail address or push endpoint
	P256dh     string
	Auth       string
	Lang       string // zh, en
	Token      string // the subscription's key, for its links
	Ref        string // the case followed, if any
	AreaName   string // the area's name; "" for a drawn area
	AreaNameEn string
	Items      []MessageItem
	Staff      *StaffNotice // Kind staff
}

// MessageItem is one change of a case.
type MessageItem struct {
	TaskID    int64
	Ref       string
	Service   string // the service's Chinese name, or the task's title
	ServiceEn string
	Status    Status
	Note      string
	At        time.Time
	Address   string
}
