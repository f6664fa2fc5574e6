// Package outbox is the transactional outbox of docs/notifications.md: a
// change writes its outgoing events with Enqueue inside the transaction that
// makes the change, so an event exists exactly when the change does; a
// Dispatcher in every copy of the service later fans events out into
// deliveries (one per channel and recipient, with a stable id and a UNIQUE
// key, so a fan-out repeated after a crash adds nothing) and hands each due
// delivery to a Sender, claiming work with FOR UPDATE SKIP LOCKED so two
// copies never take the same row. A failed send is retried with backoff; a
// database outage or restart delays deliveries, never loses them.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Event is one outgoing event. Kind names it (task.created,
// task.status_changed, task.fixed_question, task.moderated, ...); TaskID is
// the case it concerns, if any; Payload holds the codes and parameters the
// channels render in each reader's language (never text in one language).
type Event struct {
	Kind    string
	TaskID  int64 // 0: none
	Payload map[string]any
}

var kindRE = regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)

// Execer is what Enqueue needs of a transaction: pgx.Tx satisfies it.
type Execer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Enqueue writes e into the outbox inside tx and returns its stable id. Call
// it in the transaction that makes the change the event tells of, after the
// change's history row:
//
//	id, err := outbox.Enqueue(ctx, tx, outbox.Event{Kind: "task.fixed_question", TaskID: t.ID,
//		Payload: map[string]any{"ref": t.Ref}})
//
// If the transaction rolls back, the event is gone with it; if it commits,
// the event will be delivered.
func Enqueue(ctx context.Context, tx Execer, e Event) (string, error) {
	if !kindRE.MatchString(e.Kind) {
		return "", fmt.Errorf("outbox: event kind %q is not a lower-case dotted name", e.Kind)
	}
	p := e.Payload
	if p == nil {
		p = map[string]any{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("outbox: payload of %s: %w", e.Kind, err)
	}
	var taskID *int64
	if e.TaskID != 0 {
		taskID = &e.TaskID
	}
	var id string
	err = tx.QueryRow(ctx, `INSERT INTO outbox_events (kind, task_id, payload) VALUES ($1, $2, $3) RETURNING id::text`,
		e.Kind, taskID, b).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("outbox: enqueue %s: %w", e.Kind, err)
	}
	return id, nil
}

// Recipient is one address an event goes to on one channel.
type Recipient struct {
	Channel string // email, push, webhook, inapp
	Address string
	// NotBefore holds the delivery until then (a digest); zero: now.
	NotBefore time.Time
}

// Delivery is one event for one recipient, with its stable id.
type Delivery struct {
	ID        string
	EventID   string
	Kind      string
	TaskID    int64
	Payload   json.RawMessage
	Channel   string
	Recipient string
	Attempts  int
}

// Router says who an event goes to (subscriptions, staff notices,
// webhook endpoints); it runs inside the fan-out transaction.
type Router func(ctx context.Context, tx pgx.Tx, eventID, kind string, taskID int64, payload json.RawMessage) ([]Recipient, error)

// Sender delivers one delivery. A nil error marks it sent; an error retries
// it later with backoff.
type Sender func(ctx context.Context, d Delivery) error

// Dispatcher moves events from the outbox to their recipients.
type Dispatcher struct {
	Pool  *pgxpool.Pool
	Route Router
	Send  Sender
	Batch int           // rows claimed at once; 100 if 0
	Idle  time.Duration // wait when there is nothing to do; 200 ms if 0
	// MaxAttempts before a delivery is marked failed; 0: retry for a day
	// (the backoff doubles from 2 s up to 1 h, so about 30 attempts).
	MaxAttempts int
}

// Backoff is the wait before attempt n+1 after n failed attempts: 2 s
// doubling, at most an hour.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := 2 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Run fans out and delivers until ctx ends. Database errors (an outage, a
// restart) are waited out: the rows stay in the database.
func (d *Dispatcher) Run(ctx context.Context) error {
	idle := d.Idle
	if idle == 0 {
		idle = 200 * time.Millisecond
	}
	for {
		n, err := d.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil || n == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(idle):
			}
		}
	}
}

// Step fans out one batch of new events and delivers one batch of due
// deliveries; it returns how many rows it handled.
func (d *Dispatcher) Step(ctx context.Context) (int, error) {
	f, err := d.fanOut(ctx)
	if err != nil {
		return f, err
	}
	s, err := d.deliver(ctx)
	return f + s, err
}

func (d *Dispatcher) batch() int {
	if d.Batch > 0 {
		return d.Batch
	}
	return 100
}

func (d *Dispatcher) fanOut(ctx context.Context) (int, error) {
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT id::text, kind, coalesce(task_id, 0), payload FROM outbox_events
		WHERE fanned_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`, d.batch())
	if err != nil {
		return 0, err
	}
	type ev struct {
		id, kind string
		task     int64
		payload  json.RawMessage
	}
	var evs []ev
	for rows.Next() {
		var e ev
		if err := rows.Scan(&e.id, &e.kind, &e.task, &e.payload); err != nil {
			rows.Close()
			return 0, err
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, e := range evs {
		rs, err := d.Route(ctx, tx, e.id, e.kind, e.task, e.payload)
		if err != nil {
			return 0, fmt.Errorf("outbox: route %s: %w", e.id, err)
		}
		// One statement for all of an event's recipients.
		channels, addrs := make([]string, len(rs)), make([]string, len(rs))
		notBefore := make([]*time.Time, len(rs))
		for i, r := range rs {
			channels[i], addrs[i] = r.Channel, r.Address
			if !r.NotBefore.IsZero() {
				notBefore[i] = &rs[i].NotBefore
			}
		}
		if len(rs) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO outbox_deliveries (event_id, channel, recipient, next_at)
				SELECT $1, c, r, coalesce(n, now()) FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS x (c, r, n)
				ON CONFLICT (event_id, channel, recipient) DO NOTHING`, e.id, channels, addrs, notBefore); err != nil {
				return 0, err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE outbox_events SET fanned_at = now() WHERE id = $1`, e.id); err != nil {
			return 0, err
		}
	}
	return len(evs), tx.Commit(ctx)
}

// deliver claims due deliveries one at a time inside a transaction that
// holds the row lock while it sends (NO KEY UPDATE: a sender may still log
// rows that refer to the delivery), and marks the row in that transaction:
// a dispatcher killed mid-send leaves the row pending (its lock released), so
// it is sent again only if the send itself never committed its mark — the
// receiver drops that repeat by the delivery id.
func (d *Dispatcher) deliver(ctx context.Context) (int, error) {
	n := 0
	for n < d.batch() {
		ok, err := d.deliverOne(ctx)
		if err != nil || !ok {
			return n, err
		}
		n++
	}
	return n, nil
}

func (d *Dispatcher) deliverOne(ctx context.Context) (bool, error) {
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	var dl Delivery
	err = tx.QueryRow(ctx, `SELECT dl.id::text, dl.event_id::text, e.kind, coalesce(e.task_id, 0), e.payload, dl.channel, dl.recipient, dl.attempts
		FROM outbox_deliveries dl JOIN outbox_events e ON e.id = dl.event_id
		WHERE dl.status = 'pending' AND dl.next_at <= now()
		ORDER BY dl.next_at LIMIT 1 FOR NO KEY UPDATE OF dl SKIP LOCKED`).
		Scan(&dl.ID, &dl.EventID, &dl.Kind, &dl.TaskID, &dl.Payload, &dl.Channel, &dl.Recipient, &dl.Attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	serr := d.Send(ctx, dl)
	if serr == nil {
		_, err = tx.Exec(ctx, `UPDATE outbox_deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = '' WHERE id = $1`, dl.ID)
	} else {
		att := dl.Attempts + 1
		status := "pending"
		if (d.MaxAttempts > 0 && att >= d.MaxAttempts) || (d.MaxAttempts == 0 && att >= 30) {
			status = "failed"
		}
		msg := serr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		_, err = tx.Exec(ctx, `UPDATE outbox_deliveries SET status = $2, attempts = $3, last_error = $4,
			next_at = now() + make_interval(secs => $5) WHERE id = $1`, dl.ID, status, att, msg, Backoff(att).Seconds())
	}
	if err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// Prune removes what the outbox no longer needs: deliveries settled (sent
// or failed) longer ago than keep, with their webhook attempts, then events
// fanned out longer ago than keep that have no delivery left. It deletes in
// batches so no lock is held long; it returns how many rows it removed.
func Prune(ctx context.Context, pool *pgxpool.Pool, keep time.Duration) (int64, error) {
	var total int64
	for _, sql := range []string{
		`DELETE FROM outbox_deliveries WHERE id IN (SELECT id FROM outbox_deliveries
			WHERE status <> 'pending' AND coalesce(sent_at, next_at) < now() - make_interval(secs => $1) LIMIT 5000)`,
		`DELETE FROM outbox_events WHERE id IN (SELECT e.id FROM outbox_events e
			WHERE e.fanned_at < now() - make_interval(secs => $1)
			  AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.event_id = e.id) LIMIT 5000)`,
	} {
		for {
			tag, err := pool.Exec(ctx, sql, keep.Seconds())
			if err != nil {
				return total, fmt.Errorf("outbox: prune: %w", err)
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < 5000 {
				break
			}
		}
	}
	return total, nil
}
