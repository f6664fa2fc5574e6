// Package webhook signs and sends the outbox's webhook deliveries
// (docs/notifications.md). Each delivery is a POST of a JSON body with
//
//	Inframap-Delivery:  the delivery's stable id (a receiver drops repeats by it)
//	Inframap-Event:     the event kind (task.changed, …)
//	Inframap-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
//
// The signature is made with the endpoint's secret, and also with its
// previous secret while a rotation's grace period lasts (a second v1), so a
// receiver that still holds the old secret keeps verifying.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	HeaderDelivery  = "Inframap-Delivery"
	HeaderEvent     = "Inframap-Event"
	HeaderSignature = "Inframap-Signature"
)

// Sign is the hex HMAC-SHA256 of "<t>.<body>" under secret.
func Sign(secret string, t int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Signature is the Inframap-Signature header of body at t, one v1 per
// secret given (the current first).
func Signature(t int64, body []byte, secrets ...string) string {
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(strconv.FormatInt(t, 10))
	for _, s := range secrets {
		if s == "" {
			continue
		}
		b.WriteString(",v1=")
		b.WriteString(Sign(s, t, body))
	}
	return b.String()
}

// Verify checks an Inframap-Signature header against body with secret: one
// of its v1 values must match, and its time be within tolerance of now
// (replays of old deliveries are refused).
func Verify(header string, body []byte, secret string, tolerance time.Duration, now time.Time) error {
	var t int64
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("webhook: bad timestamp %q", v)
			}
			t = n
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if t == 0 || len(sigs) == 0 {
		return fmt.Errorf("webhook: no timestamp or signature in %q", header)
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: timestamp %d is %s from now", t, d.Round(time.Second))
	}
	want := Sign(secret, t, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("webhook: no signature matches")
}

// Endpoint is where a delivery goes and how it is signed.
type Endpoint struct {
	ID        int64
	URL       string
	Secret    string
	OldSecret string // "" when no rotation's grace period lasts
}

// Attempt is one try at a delivery, as logged.
type Attempt struct {
	DeliveryID string
	EndpointID int64
	Status     int // 0: no answer
	Latency    time.Duration
	Excerpt    string // the start of the answer's body
	Error      string
}

// Store is what the sender reads and writes.
type Store interface {
	WebhookEndpoint(ctx context.Context, id int64) (*Endpoint, error)
	// RecordWebhookAttempt logs an attempt and counts the endpoint's
	// failures in a row (pausing it, and telling its owner, past PauseAfter).
	RecordWebhookAttempt(ctx context.Context, a Attempt, ok bool) error
}

// PauseAfter is how many failed attempts in a row pause an endpoint.
const PauseAfter = 50

// Sender sends webhook deliveries.
type Sender struct {
	Store  Store
	Client *http.Client // 10 s timeout if nil
	Now    func() time.Time
}

// Body is what a delivery posts.
type Body struct {
	ID      string          `json:"id"` // the delivery's stable id
	EventID string          `json:"event_id"`
	Kind    string          `json:"kind"`
	TaskID  int64           `json:"task_id,omitempty"`
	Payload json.RawMessage `json:"payload"`
	SentAt  time.Time       `json:"sent_at"`
}

// Send posts one delivery to its endpoint (recipient: the endpoint's id).
// A 2xx answer is success; anything else, or no answer, an error the outbox
// retries with backoff.
func (s *Sender) Send(ctx context.Context, deliveryID, eventID, kind string, taskID int64, payload json.RawMessage, recipient string) error {
	id, err := strconv.ParseInt(recipient, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: recipient %q is not an endpoint id", recipient)
	}
	ep, err := s.Store.WebhookEndpoint(ctx, id)
	if err != nil {
		return err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	body, err := json.Marshal(Body{ID: deliveryID, EventID: eventID, Kind: kind, TaskID: taskID, Payload: payload, SentAt: now().UTC()})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "inframap-webhook/1")
	req.Header.Set(HeaderDelivery, deliveryID)
	req.Header.Set(HeaderEvent, kind)
	req.Header.Set(HeaderSignature, Signature(now().Unix(), body, ep.Secret, ep.OldSecret))
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	start := time.Now()
	res, err := c.Do(req)
	a := Attempt{DeliveryID: deliveryID, EndpointID: id, Latency: time.Since(start)}
	ok := false
	if err != nil {
		a.Error = err.Error()
	} else {
		excerpt, _ := io.ReadAll(io.LimitReader(res.Body, 500))
		res.Body.Close()
		a.Status, a.Excerpt = res.StatusCode, strings.ToValidUTF8(string(excerpt), "")
		ok = res.StatusCode >= 200 && res.StatusCode < 300
		if !ok {
			a.Error = res.Status
		}
	}
	if rerr := s.Store.RecordWebhookAttempt(ctx, a, ok); rerr != nil {
		return rerr
	}
	if !ok {
		return fmt.Errorf("webhook %d: %s", id, a.Error)
	}
	return nil
}
