package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
	"inframap/internal/outbox"
	"inframap/internal/privacy"
)

// InstantPerHour is how many messages a subscription is sent in an hour as
// changes happen; the hour's further changes wait for one digest at its end
// (docs/notifications.md), so a busy area floods nobody.
const InstantPerHour = 10

// MaxConfirmationsPerHour bounds the unanswered confirmations one address
// is sent in an hour, whoever asks.
const MaxConfirmationsPerHour = 3

// Subscribe records a follow or an area subscription with its consent (the
// time and the address it came from). An e-mail address given on a page is
// asked to confirm first (a subscription.confirm event, in the same
// transaction); push subscriptions, which the browser asked its user
// about, start at once. Following a case again with the same address
// answers the subscription already there (and sends the confirmation again
// if it is still unconfirmed).
func (db *DB) Subscribe(ctx context.Context, in maint.NewSubscription) (*maint.Subscription, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "subscribe")
	}
	defer tx.Rollback(ctx)
	token, err := subscribe(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "subscribe")
	}
	return db.Subscription(ctx, token)
}

func subscribe(ctx context.Context, tx pgx.Tx, in maint.NewSubscription) (string, error) {
	address := in.Email
	if in.Channel == "push" {
		address = in.Endpoint
	}
	var taskID *int64
	source := "area"
	if in.Ref != "" {
		source = "follow"
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM tasks WHERE ref = $1 AND status <> 'deleted'`, strings.ToUpper(in.Ref)).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", maint.Errorf(maint.CodeNotFound, "no case %q", in.Ref)
		}
		if err != nil {
			return "", translate(err, "subscribe")
		}
		taskID = &id
		var token string
		var confirmed *time.Time
		var subID int64
		var askAgain bool
		err = tx.QueryRow(ctx, `SELECT id, token::text, confirmed_at, coalesce(confirm_asked_at < now() - interval '10 minutes', true)
			FROM subscriptions
			WHERE task_id = $1 AND channel = $2 AND lower(address) = lower($3) AND unsubscribed_at IS NULL`,
			id, in.Channel, address).Scan(&subID, &token, &confirmed, &askAgain)
		if err == nil {
			if confirmed == nil && askAgain {
				if _, err := tx.Exec(ctx, `UPDATE subscriptions SET confirm_asked_at = now() WHERE id = $1`, subID); err != nil {
					return "", translate(err, "subscribe")
				}
				if _, err := outbox.Enqueue(ctx, tx, outbox.Event{Kind: "subscription.confirm",
					Payload: map[string]any{"subscription": subID}}); err != nil {
					return "", err
				}
			}
			return token, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return "", translate(err, "subscribe")
		}
	}
	area := "NULL::geometry"
	args := []any{in.Channel, address, nullIfEmpty(in.P256dh), nullIfEmpty(in.Auth), in.Lang, taskID, in.Subdistrict,
		in.Services, source, in.IP, in.Channel == "push"}
	switch {
	case in.Subdistrict != "":
		area = `(SELECT geom FROM areas WHERE kind = 'subdistrict' AND name = $7)`
		if ok, err := exists(ctx, tx, subdistrictExists, in.Subdistrict); err != nil || !ok {
			return "", cmp.Or(err, error(unknownSubdistrict(in.Subdistrict)))
		}
	case len(in.Polygon) > 0:
		var valid, inside bool
		var km2 float64
		err := tx.QueryRow(ctx, `WITH g AS (SELECT ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)) AS g)
			SELECT ST_IsValid(g) AND GeometryType(g) = 'MULTIPOLYGON',
			       EXISTS (SELECT 1 FROM areas WHERE kind = 'district' AND ST_Intersects(geom, g)),
			       CASE WHEN ST_IsValid(g) THEN ST_Area(g::geography) / 1e6 ELSE 0 END FROM g`, string(in.Polygon)).
			Scan(&valid, &inside, &km2)
		if err != nil || !valid {
			return "", maint.InvalidAs("area", "area_invalid", nil, "area is not a valid GeoJSON polygon")
		}
		if !inside {
			return "", maint.InvalidAs("area", "area_outside", nil, "the area lies outside the district")
		}
		if km2 > 500 {
			return "", maint.InvalidAs("area", "area_too_large", maint.Params{"max_km2": 500},
				"the area is %.0f km², more than 500 km²", km2)
		}
		area = `ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($12), 4326))`
		args = append(args, string(in.Polygon))
	}
	var id int64
	var token string
	err := tx.QueryRow(ctx, `INSERT INTO subscriptions (channel, address, push_p256dh, push_auth, lang, task_id, area_name,
			services, source, consent_ip, confirmed_at, confirm_asked_at, area)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $11 THEN now() END, CASE WHEN NOT $11 THEN now() END, `+area+`)
		RETURNING id, token::text`, args...).Scan(&id, &token)
	if err != nil {
		return "", translate(err, "subscribe")
	}
	if in.Channel == "email" {
		if _, err := outbox.Enqueue(ctx, tx, outbox.Event{Kind: "subscription.confirm",
			Payload: map[string]any{"subscription": id}}); err != nil {
			return "", err
		}
	}
	return token, nil
}

// followOwnReport makes the reporter who left an e-mail address a follower
// of their report, confirmed: they gave the address with the report.
func followOwnReport(ctx context.Context, tx pgx.Tx, taskID int64, email, lang, ip string) error {
	if lang != "en" {
		lang = "zh"
	}
	_, err := tx.Exec(ctx, `INSERT INTO subscriptions (channel, address, lang, task_id, source, consent_ip, confirmed_at)
		VALUES ('email', $1, $2, $3, 'report', $4, now()) ON CONFLICT DO NOTHING`, email, lang, taskID, ip)
	return translate(err, "follow own report")
}

const subscriptionColumns = `s.token::text, s.channel, s.address, s.lang, coalesce(t.ref, ''), s.area_name,
	CASE WHEN s.area IS NOT NULL THEN ST_AsGeoJSON(s.area, 6) END, s.services, s.source, s.consent_at, s.confirmed_at, s.unsubscribed_at
	FROM subscriptions s LEFT JOIN tasks t ON t.id = s.task_id`

func scanSubscription(row pgx.Row) (*maint.Subscription, error) {
	var s maint.Subscription
	var area *string
	if err := row.Scan(&s.Token, &s.Channel, &s.Address, &s.Lang, &s.Ref, &s.AreaName, &area, &s.Services, &s.Source,
		&s.ConsentAt, &s.ConfirmedAt, &s.Unsubscribed); err != nil {
		return nil, err
	}
	if area != nil {
		s.Area = []byte(*area)
	}
	s.Address = maskAddress(s.Channel, s.Address)
	return &s, nil
}

// maskAddress is how an address is shown to whoever holds the key: the
// e-mail half hidden, a push endpoint by its service's host.
func maskAddress(channel, a string) string {
	if channel == "push" {
		if u, err := url.Parse(a); err == nil {
			return u.Host
		}
		return ""
	}
	return privacy.Mask(a)
}

// Subscription returns the subscription with the key token.
func (db *DB) Subscription(ctx context.Context, token string) (*maint.Subscription, error) {
	s, err := scanSubscription(db.pool.QueryRow(ctx, `SELECT `+subscriptionColumns+` WHERE s.token::text = $1`, token))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, maint.Errorf(maint.CodeNotFound, "no subscription with that key")
	}
	return s, translate(err, "subscription")
}

// ConfirmSubscription confirms the address of a subscription (the link in
// the confirmation message was opened); confirming twice changes nothing.
func (db *DB) ConfirmSubscription(ctx context.Context, token string) (*maint.Subscription, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE subscriptions SET confirmed_at = coalesce(confirmed_at, now())
		WHERE token::text = $1 AND unsubscribed_at IS NULL`, token)
	if err != nil {
		return nil, translate(err, "confirm subscription")
	}
	s, err := db.Subscription(ctx, token)
	if err == nil && tag.RowsAffected() == 0 {
		return s, maint.Errorf(maint.CodeConflict, "the subscription has ended").Because("subscription_ended")
	}
	return s, err
}

// Unsubscribe ends a subscription, recording when and how (page,
// one_click for RFC 8058, gone when a push service says the browser's
// subscription is no more); ending it again changes nothing.
func (db *DB) Unsubscribe(ctx context.Context, token, via string) (*maint.Subscription, error) {
	if _, err := db.pool.Exec(ctx, `UPDATE subscriptions SET unsubscribed_at = now(), unsubscribed_via = $2
		WHERE token::text = $1 AND unsubscribed_at IS NULL`, token, via); err != nil {
		return nil, translate(err, "unsubscribe")
	}
	return db.Subscription(ctx, token)
}

// routeSubscribers finds the subscribers an event goes to: for a change of
// a case, those following it (every public change of state) and, for a new
// case or one closed, those subscribed to an area it lies in for its
// service; for subscription.confirm, the address to confirm. An address
// gets one message per event however many of its subscriptions match. Past
// InstantPerHour in the hour, a subscription's changes are gathered into
// one digest sent at the hour's end.
func routeSubscribers(ctx context.Context, tx pgx.Tx, eventID, kind string, taskID int64, payload json.RawMessage) ([]outbox.Recipient, error) {
	if kind == "subscription.confirm" {
		var p struct {
			Subscription int64 `json:"subscription"`
		}
		if json.Unmarshal(payload, &p) != nil || p.Subscription == 0 {
			return nil, nil
		}
		// Someone typing another's address again and again sends it at most
		// three unanswered confirmations an hour.
		var asked int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM subscriptions s, subscriptions me
			WHERE me.id = $1 AND lower(s.address) = lower(me.address) AND s.confirmed_at IS NULL
			  AND s.confirm_asked_at > now() - interval '1 hour' AND s.id < me.id`, p.Subscription).Scan(&asked); err != nil {
			return nil, err
		}
		if asked >= MaxConfirmationsPerHour {
			return nil, nil
		}
		return []outbox.Recipient{{Channel: "email", Address: strconv.FormatInt(p.Subscription, 10) + ":confirm"}}, nil
	}
	if kind != "task.changed" || taskID == 0 {
		return nil, nil
	}
	var p struct{ From, To string }
	if json.Unmarshal(payload, &p) != nil || p.To == "" {
		return nil, nil
	}
	areaWorthy := p.From == "" || p.To == string(maint.StatusClosed)
	rows, err := tx.Query(ctx, `
		WITH c AS (SELECT t.id, t.service_code, ST_SetSRID(ST_MakePoint(`+taskPlaceColumns+`), 4326) AS place
		           FROM tasks t LEFT JOIN assets a ON a.id = t.asset_id WHERE t.id = $1)
		SELECT DISTINCT ON (s.channel, lower(s.address)) s.id, s.channel
		FROM subscriptions s, c
		WHERE s.unsubscribed_at IS NULL AND s.confirmed_at IS NOT NULL
		  -- Only what happened since they subscribed.
		  AND s.consent_at <= (SELECT created_at FROM outbox_events WHERE id = $3)
		  AND (s.task_id = c.id
		       OR ($2 AND s.area IS NOT NULL AND c.place IS NOT NULL AND ST_Covers(s.area, c.place)
		           AND (cardinality(s.services) = 0 OR c.service_code = ANY (s.services))))
		ORDER BY s.channel, lower(s.address), s.task_id IS NULL, s.id`, taskID, areaWorthy, eventID)
	if err != nil {
		return nil, err
	}
	type sub struct {
		id      int64
		channel string
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sub, error) {
		var s sub
		return s, r.Scan(&s.id, &s.channel)
	})
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(subs))
	channel := make(map[int64]string, len(subs))
	for i, s := range subs {
		ids[i], channel[s.id] = s.id, s.channel
	}
	// Count this message against each subscription's hour, in one statement.
	rows, err = tx.Query(ctx, `UPDATE subscriptions SET
		window_sent = CASE WHEN window_start IS NULL OR window_start <= now() - interval '1 hour' THEN 1 ELSE window_sent + 1 END,
		window_start = CASE WHEN window_start IS NULL OR window_start <= now() - interval '1 hour' THEN now() ELSE window_start END
		WHERE id = ANY ($1) RETURNING id, window_sent, window_start, digest_at`, ids)
	if err != nil {
		return nil, err
	}
	type counted struct {
		id       int64
		sent     int
		start    time.Time
		digestAt *time.Time
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (counted, error) {
		var c counted
		return c, r.Scan(&c.id, &c.sent, &c.start, &c.digestAt)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b counted) int { return cmp.Compare(a.id, b.id) })
	out := make([]outbox.Recipient, 0, len(all))
	for _, c := range all {
		id := strconv.FormatInt(c.id, 10)
		if c.sent <= InstantPerHour {
			out = append(out, outbox.Recipient{Channel: channel[c.id], Address: id})
			continue
		}
		at := c.start.Add(time.Hour).Truncate(time.Second)
		if _, err := tx.Exec(ctx, `INSERT INTO subscription_digest_items (subscription_id, digest_at, event_id)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, c.id, at, eventID); err != nil {
			return nil, err
		}
		if c.digestAt != nil && c.digestAt.Equal(at) {
			continue // the hour's digest is already on its way
		}
		if _, err := tx.Exec(ctx, `UPDATE subscriptions SET digest_at = $2 WHERE id = $1`, c.id, at); err != nil {
			return nil, err
		}
		out = append(out, outbox.Recipient{Channel: channel[c.id], Address: fmt.Sprintf("%s:digest:%d", id, at.Unix()), NotBefore: at})
	}
	return out, nil
}

// Message reads what an e-mail or push delivery to a subscriber says: the
// subscription's address, language and key, and the changes (one, or the
// hour's for a digest, or none for a confirmation), public text masked.
// A subscription ended since the delivery was made gives nil: nothing to send.
func (db *DB) Message(ctx context.Context, d outbox.Delivery) (*maint.Message, error) {
	if strings.HasPrefix(d.Recipient, "staff:") {
		return db.staffMessage(ctx, d)
	}
	idPart, rest, _ := strings.Cut(d.Recipient, ":")
	subID, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("message: bad recipient %q", d.Recipient)
	}
	m := maint.Message{Kind: "change", Channel: d.Channel}
	var ended *time.Time
	var p256dh, auth *string
	err = db.pool.QueryRow(ctx, `SELECT s.address, coalesce(s.push_p256dh, ''), coalesce(s.push_auth, ''), s.lang, s.token::text,
			coalesce(t.ref, ''), s.area_name, coalesce(ar.name_en, ''), s.unsubscribed_at
		FROM subscriptions s LEFT JOIN tasks t ON t.id = s.task_id
		LEFT JOIN areas ar ON ar.kind = 'subdistrict' AND ar.name = s.area_name
		WHERE s.id = $1`, subID).
		Scan(&m.Address, &p256dh, &auth, &m.Lang, &m.Token, &m.Ref, &m.AreaName, &m.AreaNameEn, &ended)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && ended != nil {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "message")
	}
	m.P256dh, m.Auth = *p256dh, *auth
	var events []string
	switch {
	case strings.HasPrefix(rest, "notice:"):
		m.Kind, m.Notice = "notice", strings.TrimPrefix(rest, "notice:")
		events = []string{d.EventID}
	case rest == "confirm":
		m.Kind = "confirm"
		return &m, nil
	case strings.HasPrefix(rest, "digest:"):
		m.Kind = "digest"
		unix, err := strconv.ParseInt(strings.TrimPrefix(rest, "digest:"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("message: bad recipient %q", d.Recipient)
		}
		rows, err := db.pool.Query(ctx, `SELECT event_id::text FROM subscription_digest_items
			WHERE subscription_id = $1 AND digest_at = to_timestamp($2)`, subID, unix)
		if err != nil {
			return nil, translate(err, "message")
		}
		if events, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, translate(err, "message")
		}
		events = append(events, d.EventID)
	default:
		events = []string{d.EventID}
	}
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT ON (e.id) t.id, t.ref, coalesce(t.service_code, ''), t.title,
			coalesce(e.payload->>'to', t.status), coalesce(h.note, ''), e.created_at, t.address
		FROM outbox_events e JOIN tasks t ON t.id = e.task_id
		LEFT JOIN LATERAL (SELECT note FROM task_events h WHERE h.task_id = t.id AND NOT h.internal AND h.at <= e.created_at
		                   ORDER BY h.at DESC, h.id DESC LIMIT 1) h ON true
		WHERE e.id = ANY ($1::uuid[]) ORDER BY e.id`, events)
	if err != nil {
		return nil, translate(err, "message")
	}
	m.Items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (maint.MessageItem, error) {
		var it maint.MessageItem
		var code, title, status string
		if err := r.Scan(&it.TaskID, &it.Ref, &code, &title, &status, &it.Note, &it.At, &it.Address); err != nil {
			return it, err
		}
		it.Status = maint.Status(status)
		it.Service, it.ServiceEn = title, title
		if svc, ok := maint.LookupService(code); ok {
			it.Service, it.ServiceEn = svc.Name, svc.NameEn
		}
		it.Service, it.ServiceEn = privacy.Mask(it.Service), privacy.Mask(it.ServiceEn)
		it.Note, it.Address = privacy.Mask(it.Note), privacy.Mask(it.Address)
		return it, nil
	})
	if err != nil {
		return nil, translate(err, "message")
	}
	slices.SortFunc(m.Items, func(a, b maint.MessageItem) int { return a.At.Compare(b.At) })
	return &m, nil
}

// VAPIDKeys returns the service's key pair for web push, making it the
// first time (every copy shares the one pair: a browser's subscription is
// bound to the public key it was made with). make returns a new pair.
func (db *DB) VAPIDKeys(ctx context.Context, make func() (public, private string, err error)) (string, string, error) {
	var pub, priv string
	err := db.pool.QueryRow(ctx, `SELECT public_key, private_key FROM vapid_keys WHERE id = 1`).Scan(&pub, &priv)
	if err == nil {
		return pub, priv, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", "", translate(err, "vapid keys")
	}
	if pub, priv, err = make(); err != nil {
		return "", "", err
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO vapid_keys (id, public_key, private_key) VALUES (1, $1, $2)
		ON CONFLICT (id) DO NOTHING`, pub, priv); err != nil {
		return "", "", translate(err, "vapid keys")
	}
	err = db.pool.QueryRow(ctx, `SELECT public_key, private_key FROM vapid_keys WHERE id = 1`).Scan(&pub, &priv)
	return pub, priv, translate(err, "vapid keys")
}

// StaffPush records a member of staff's device for their notices by push,
// started at once (the browser asked); the same device again renews its
// keys and language.
func (db *DB) StaffPush(ctx context.Context, userID int64, endpoint, p256dh, auth, lang, ip string) (*maint.Subscription, error) {
	var token string
	err := db.pool.QueryRow(ctx, `WITH old AS (
			UPDATE subscriptions SET push_p256dh = $3, push_auth = $4, lang = $5
			WHERE user_id = $1 AND address = $2 AND unsubscribed_at IS NULL RETURNING token),
		new AS (
			INSERT INTO subscriptions (channel, address, push_p256dh, push_auth, lang, user_id, source, consent_ip, confirmed_at)
			SELECT 'push', $2, $3, $4, $5, $1, 'staff', $6, now() WHERE NOT EXISTS (SELECT 1 FROM old) RETURNING token)
		SELECT token::text FROM old UNION ALL SELECT token::text FROM new`, userID, endpoint, p256dh, auth, lang, ip).Scan(&token)
	if err != nil {
		return nil, translate(err, "staff push")
	}
	return db.Subscription(ctx, token)
}

// staffDevices adds, for each in-app notice among rs, the same notice by
// push to each device its member of staff registered.
func staffDevices(ctx context.Context, tx pgx.Tx, rs []outbox.Recipient) ([]outbox.Recipient, error) {
	var out []outbox.Recipient
	for _, r := range rs {
		if r.Channel != "inapp" {
			continue
		}
		user, kind, ok := strings.Cut(r.Address, ":")
		if !ok {
			continue
		}
		rows, err := tx.Query(ctx, `SELECT id FROM subscriptions WHERE user_id = $1 AND unsubscribed_at IS NULL`, user)
		if err != nil {
			return nil, err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out = append(out, outbox.Recipient{Channel: "push", Address: strconv.FormatInt(id, 10) + ":notice:" + kind})
		}
	}
	return out, nil
}
