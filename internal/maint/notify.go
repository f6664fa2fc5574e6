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
}
