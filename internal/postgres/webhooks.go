package postgres

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
	"inframap/internal/outbox"
	"inframap/internal/webhook"
)

// rotationGrace is how long a rotated-out secret still signs.
const rotationGrace = 24 * time.Hour

func newWebhookSecret() string { return "whsec_" + rand.Text() }

// CreateWebhook registers an endpoint for event kinds ("*" for all).
func (db *DB) CreateWebhook(ctx context.Context, v maint.Viewer, url, description string, events []string) (*maint.Webhook, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "create webhook")
	}
	defer tx.Rollback(ctx)
	w := maint.Webhook{URL: url, Description: description, Events: events, Secret: newWebhookSecret()}
	err = tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (url, description, events, secret, created_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`, url, description, events, w.Secret, ownerOf(v)).Scan(&w.ID, &w.CreatedAt)
	if err != nil {
		return nil, translate(err, "create webhook")
	}
	if err := audit(ctx, tx, v, "", "webhook.create", "webhook", &w.ID, map[string]any{"url": url, "events": events}); err != nil {
		return nil, err
	}
	return &w, translate(tx.Commit(ctx), "create webhook")
}

// Webhooks lists the endpoints, newest first.
func (db *DB) Webhooks(ctx context.Context) ([]maint.Webhook, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, url, description, events, created_at, failures, paused_at
		FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY id DESC`)
	if err != nil {
		return nil, translate(err, "webhooks")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (maint.Webhook, error) {
		var w maint.Webhook
		err := r.Scan(&w.ID, &w.URL, &w.Description, &w.Events, &w.CreatedAt, &w.Failures, &w.PausedAt)
		return w, err
	})
	if out == nil {
		out = []maint.Webhook{}
	}
	return out, translate(err, "webhooks")
}

// webhookChange runs one admin change of an endpoint with its audit row.
func (db *DB) webhookChange(ctx context.Context, v maint.Viewer, id int64, action, sql string, args ...any) (*maint.Webhook, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "webhook %d", id)
	}
	defer tx.Rollback(ctx)
	var w maint.Webhook
	var secret string
	err = tx.QueryRow(ctx, sql+` RETURNING id, url, description, events, created_at, failures, paused_at, secret`,
		append([]any{id}, args...)...).Scan(&w.ID, &w.URL, &w.Description, &w.Events, &w.CreatedAt, &w.Failures, &w.PausedAt, &secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, maint.Errorf(maint.CodeNotFound, "no webhook %d", id)
	}
	if err != nil {
		return nil, translate(err, "webhook %d", id)
	}
	if action == "webhook.rotate" {
		w.Secret = secret
	}
	if err := audit(ctx, tx, v, "", action, "webhook", &id, nil); err != nil {
		return nil, err
	}
	return &w, translate(tx.Commit(ctx), "webhook %d", id)
}

// RotateWebhookSecret gives an endpoint a new secret; the old one also
// signs for a day.
func (db *DB) RotateWebhookSecret(ctx context.Context, v maint.Viewer, id int64) (*maint.Webhook, error) {
	return db.webhookChange(ctx, v, id, "webhook.rotate", `UPDATE webhook_endpoints SET old_secret = secret, secret = $2,
		old_secret_until = now() + make_interval(secs => $3) WHERE id = $1 AND deleted_at IS NULL`, newWebhookSecret(), rotationGrace.Seconds())
}

// ResumeWebhook unpauses an endpoint; its failed deliveries are tried again.
func (db *DB) ResumeWebhook(ctx context.Context, v maint.Viewer, id int64) (*maint.Webhook, error) {
	w, err := db.webhookChange(ctx, v, id, "webhook.resume", `UPDATE webhook_endpoints SET paused_at = NULL, failures = 0
		WHERE id = $1 AND deleted_at IS NULL`)
	if err != nil {
		return nil, err
	}
	_, err = db.pool.Exec(ctx, `UPDATE outbox_deliveries SET status = 'pending', next_at = now()
		WHERE channel = 'webhook' AND recipient = $1 AND status = 'failed'`, strconv.FormatInt(id, 10))
	return w, translate(err, "webhook %d", id)
}

// DeleteWebhook removes an endpoint; its pending deliveries are dropped.
func (db *DB) DeleteWebhook(ctx context.Context, v maint.Viewer, id int64) error {
	_, err := db.webhookChange(ctx, v, id, "webhook.delete", `UPDATE webhook_endpoints SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `UPDATE outbox_deliveries SET status = 'failed', last_error = 'endpoint deleted'
		WHERE channel = 'webhook' AND recipient = $1 AND status = 'pending'`, strconv.FormatInt(id, 10))
	return translate(err, "webhook %d", id)
}

// WebhookAttempts lists an endpoint's attempts, newest first.
func (db *DB) WebhookAttempts(ctx context.Context, id int64, limit int) ([]maint.WebhookAttempt, error) {
	rows, err := db.pool.Query(ctx, `SELECT a.id, a.delivery_id::text, e.kind, a.at, a.status, a.latency_ms, a.excerpt, a.error, d.status
		FROM webhook_attempts a JOIN outbox_deliveries d ON d.id = a.delivery_id JOIN outbox_events e ON e.id = d.event_id
		WHERE a.endpoint_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, translate(err, "webhook %d attempts", id)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (maint.WebhookAttempt, error) {
		var a maint.WebhookAttempt
		err := r.Scan(&a.ID, &a.DeliveryID, &a.Kind, &a.At, &a.Status, &a.LatencyMS, &a.Excerpt, &a.Error, &a.State)
		return a, err
	})
	if out == nil {
		out = []maint.WebhookAttempt{}
	}
	return out, translate(err, "webhook %d attempts", id)
}

// RedeliverWebhook sends a delivery of an endpoint again, now (the same
// delivery id: a receiver that kept it drops it).
func (db *DB) RedeliverWebhook(ctx context.Context, v maint.Viewer, id int64, delivery string) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "redeliver")
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE outbox_deliveries SET status = 'pending', next_at = now()
		WHERE id::text = $1 AND channel = 'webhook' AND recipient = $2`, delivery, strconv.FormatInt(id, 10))
	if err != nil {
		return translate(err, "redeliver")
	}
	if tag.RowsAffected() == 0 {
		return maint.Errorf(maint.CodeNotFound, "no delivery %s to webhook %d", delivery, id)
	}
	if err := audit(ctx, tx, v, "", "webhook.redeliver", "webhook", &id, map[string]any{"delivery": delivery}); err != nil {
		return err
	}
	return translate(tx.Commit(ctx), "redeliver")
}

// WebhookEndpoint is an endpoint as the sender needs it (webhook.Store).
func (db *DB) WebhookEndpoint(ctx context.Context, id int64) (*webhook.Endpoint, error) {
	e := webhook.Endpoint{ID: id}
	var old *string
	err := db.pool.QueryRow(ctx, `SELECT url, secret, CASE WHEN old_secret_until > now() THEN old_secret END
		FROM webhook_endpoints WHERE id = $1 AND deleted_at IS NULL`, id).Scan(&e.URL, &e.Secret, &old)
	if err != nil {
		return nil, translate(err, "webhook %d", id)
	}
	e.OldSecret = deref(old)
	return &e, nil
}

// RecordWebhookAttempt logs an attempt and keeps the endpoint's count of
// failures in a row; at webhook.PauseAfter it pauses the endpoint and tells
// its owner (webhook.Store).
func (db *DB) RecordWebhookAttempt(ctx context.Context, a webhook.Attempt, ok bool) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "webhook attempt")
	}
	defer tx.Rollback(ctx)
	var status *int
	if a.Status != 0 {
		status = &a.Status
	}
	if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, endpoint_id, status, latency_ms, excerpt, error)
		VALUES ($1::uuid, $2, $3, $4, $5, $6)`, a.DeliveryID, a.EndpointID, status, a.Latency.Milliseconds(), a.Excerpt, a.Error); err != nil {
		return translate(err, "webhook attempt")
	}
	if ok {
		_, err = tx.Exec(ctx, `UPDATE webhook_endpoints SET failures = 0 WHERE id = $1`, a.EndpointID)
	} else {
		var owner *int64
		var url string
		var paused bool
		err = tx.QueryRow(ctx, `UPDATE webhook_endpoints SET failures = failures + 1,
				paused_at = CASE WHEN failures + 1 >= $2 AND paused_at IS NULL THEN now() ELSE paused_at END
			WHERE id = $1 RETURNING created_by, url, coalesce(paused_at = now(), false)`, a.EndpointID, webhook.PauseAfter).Scan(&owner, &url, &paused)
		if err == nil && paused && owner != nil {
			err = tellPaused(ctx, tx, *owner, map[string]any{"webhook": a.EndpointID, "url": url, "failures": webhook.PauseAfter})
		}
	}
	if err != nil {
		return translate(err, "webhook attempt")
	}
	return translate(tx.Commit(ctx), "webhook attempt")
}

// routeWebhooks sends an event to every endpoint, not paused, that asked
// for its kind.
func routeWebhooks(ctx context.Context, tx pgx.Tx, kind string) ([]outbox.Recipient, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM webhook_endpoints
		WHERE deleted_at IS NULL AND paused_at IS NULL AND ($1 = ANY(events) OR '*' = ANY(events)) ORDER BY id`, kind)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	var out []outbox.Recipient
	for _, id := range ids {
		out = append(out, outbox.Recipient{Channel: "webhook", Address: strconv.FormatInt(id, 10)})
	}
	return out, err
}

// Dispatcher is the outbox's dispatcher on this database: events routed to
// the registered webhooks and to the staff they concern (in-app notices),
// and delivered by send. A paused endpoint's deliveries wait (failed) until
// it is resumed.
func (db *DB) Dispatcher(send outbox.Sender) *outbox.Dispatcher {
	return &outbox.Dispatcher{
		Pool: db.pool,
		Route: func(ctx context.Context, tx pgx.Tx, eventID, kind string, taskID int64, payload json.RawMessage) ([]outbox.Recipient, error) {
			if kind == "webhook.paused" {
				// An endpoint's owner who asked for this notice by e-mail
				// (the in-app one is written with the pause).
				return routePausedMail(payload), nil
			}
			rs, err := routeWebhooks(ctx, tx, kind)
			if err != nil {
				return nil, err
			}
			staff, err := routeStaff(ctx, tx, kind, taskID, payload)
			if err != nil {
				return nil, err
			}
			work, err := routeWork(ctx, tx, kind, taskID, payload)
			if err != nil {
				return nil, err
			}
			// Each person's choice: a kind muted is not told (nor pushed);
			// one asked for by e-mail adds an e-mail.
			notices, err := applyPreferences(ctx, tx, append(staff, work...))
			if err != nil {
				return nil, err
			}
			devices, err := staffDevices(ctx, tx, notices)
			if err != nil {
				return nil, err
			}
			subs, err := routeSubscribers(ctx, tx, eventID, kind, taskID, payload)
			return append(append(append(rs, notices...), devices...), subs...), err
		},
		Send: send,
	}
}

// staffNotice is the notice a task change gives the member of staff it
// concerns: who it goes to (the actor of the task's latest move to toward)
// and the notice's kind.
type staffNotice struct {
	from, to maint.Status
	toward   maint.Status // whose move: the latest into this state
	kind     string
}

// staffNotices: a case handed back (回退) or failing verification returns to
// the engineer who dispatched it; a resident's "not fixed" to the inspector
// who closed it.
var staffNotices = []staffNotice{
	{maint.StatusDispatched, maint.StatusFiled, maint.StatusDispatched, "task.handed_back"},
	{maint.StatusDone, maint.StatusInProgress, maint.StatusDispatched, "task.rework"},
	{maint.StatusClosed, maint.StatusDone, maint.StatusClosed, "task.not_fixed"},
}

// routeStaff finds the in-app notice a task change gives, if any: one
// recipient "inapp" at "<user id>:<kind>", never the actor themself.
func routeStaff(ctx context.Context, tx pgx.Tx, kind string, taskID int64, payload json.RawMessage) ([]outbox.Recipient, error) {
	if kind != "task.changed" || taskID == 0 {
		return nil, nil
	}
	var p struct {
		From, To string
		ActorID  int64 `json:"actor_id"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, nil
	}
	for _, n := range staffNotices {
		if string(n.from) != p.From || string(n.to) != p.To {
			continue
		}
		var user *int64
		err := tx.QueryRow(ctx, `SELECT actor_id FROM task_events WHERE task_id = $1 AND to_status = $2
			ORDER BY at DESC, id DESC LIMIT 1`, taskID, string(n.toward)).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && (user == nil || *user == p.ActorID) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []outbox.Recipient{{Channel: "inapp", Address: strconv.FormatInt(*user, 10) + ":" + n.kind}}, nil
	}
	return nil, nil
}

// SendNotice delivers an in-app delivery: a notice for the user, with the
// case's number and the change's public note; a delivery sent again adds
// nothing.
func (db *DB) SendNotice(ctx context.Context, d outbox.Delivery) error {
	user, kind, ok := strings.Cut(d.Recipient, ":")
	uid, err := strconv.ParseInt(user, 10, 64)
	if !ok || err != nil {
		return fmt.Errorf("notice: bad recipient %q", d.Recipient)
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO notices (user_id, kind, params, delivery_id)
		SELECT $1, $2, jsonb_build_object('task', t.id, 'ref', t.ref, 'title', t.title,
		       'note', coalesce((SELECT e.note FROM task_events e WHERE e.task_id = t.id ORDER BY e.at DESC, e.id DESC LIMIT 1), ''))
		       -- Work falling due says which step and by when.
		       || jsonb_strip_nulls(jsonb_build_object('step', $5::jsonb -> 'step', 'deadline', $5::jsonb -> 'deadline',
		                                               'assignee', t.assignee)),
		       $4::uuid
		FROM tasks t WHERE t.id = $3
		ON CONFLICT (delivery_id) DO NOTHING`, uid, kind, d.TaskID, d.ID, d.Payload)
	return translate(err, "notice")
}

// Notices lists a member of staff's notices, newest first.
func (db *DB) Notices(ctx context.Context, userID int64, limit int) ([]maint.Notice, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, kind, params, created_at, read_at FROM notices
		WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, translate(err, "notices")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[maint.Notice])
	if out == nil {
		out = []maint.Notice{}
	}
	return out, translate(err, "notices")
}

// ReadNotice marks one of a person's notices read.
func (db *DB) ReadNotice(ctx context.Context, userID, id int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE notices SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return translate(err, "notice %d", id)
	}
	if tag.RowsAffected() == 0 {
		return maint.Errorf(maint.CodeNotFound, "no notice %d", id)
	}
	return nil
}

func ownerOf(v maint.Viewer) *int64 {
	if v.UserID == 0 {
		return nil
	}
	return &v.UserID
}

// PruneOutbox removes settled deliveries and fanned-out events older than
// keep (outbox.Prune).
func (db *DB) PruneOutbox(ctx context.Context, keep time.Duration) (int64, error) {
	return outbox.Prune(ctx, db.pool, keep)
}
