package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
	"inframap/internal/outbox"
)

// Each member of staff chooses which notices they get and which also by
// e-mail (docs/notifications.md, migration 022): a kind without a row is
// in the console and not by e-mail.

// NoticePreferences is a person's choice of notices, every kind listed.
func (db *DB) NoticePreferences(ctx context.Context, userID int64) (*maint.NoticePreferences, error) {
	return noticePreferences(ctx, db.pool, userID)
}

func noticePreferences(ctx context.Context, q rowQuerier, userID int64) (*maint.NoticePreferences, error) {
	p := maint.NoticePreferences{Preferences: []maint.NoticePreference{}}
	err := q.QueryRow(ctx, `SELECT email, lang FROM users WHERE id = $1`, userID).Scan(&p.Email, &p.Lang)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, maint.Errorf(maint.CodeNotFound, "no user %d", userID)
	}
	if err != nil {
		return nil, translate(err, "notice preferences")
	}
	chosen, err := preferencesOf(ctx, q, []int64{userID})
	if err != nil {
		return nil, translate(err, "notice preferences")
	}
	for _, k := range maint.NoticeKinds {
		p.Preferences = append(p.Preferences, chosen.of(userID, k))
	}
	return &p, nil
}

// SetNoticePreferences changes the kinds named in prefs (the others keep
// theirs) and, when lang is zh or en, the language of the person's e-mail,
// with one audit row, in one transaction.
func (db *DB) SetNoticePreferences(ctx context.Context, v maint.Viewer, ip, lang string, prefs []maint.NoticePreference) (*maint.NoticePreferences, error) {
	for i, p := range prefs {
		if !slices.Contains(maint.NoticeKinds, p.Kind) {
			return nil, maint.InvalidAs(fmt.Sprintf("preferences[%d].kind", i), "notice_kind", maint.Params{"value": p.Kind}, "kind is one of %v, got %q", maint.NoticeKinds, p.Kind)
		}
	}
	if lang != "" && lang != "zh" && lang != "en" {
		return nil, maint.InvalidAs("lang", "notice_lang", nil, "lang is zh or en, got %q", lang)
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "notice preferences")
	}
	defer tx.Rollback(ctx)
	for _, p := range prefs {
		if _, err := tx.Exec(ctx, `INSERT INTO notice_preferences (user_id, kind, receive, email) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, kind) DO UPDATE SET receive = excluded.receive, email = excluded.email, updated_at = now()`,
			v.UserID, p.Kind, p.Receive, p.Email); err != nil {
			return nil, translate(err, "notice preferences")
		}
	}
	if lang != "" {
		if _, err := tx.Exec(ctx, `UPDATE users SET lang = $2 WHERE id = $1`, v.UserID, lang); err != nil {
			return nil, translate(err, "notice preferences")
		}
	}
	out, err := noticePreferences(ctx, tx, v.UserID)
	if err != nil {
		return nil, err
	}
	// The audit row says the choice as it now stands: the kinds muted and
	// those also by e-mail.
	muted, mailed := []string{}, []string{}
	for _, p := range out.Preferences {
		switch {
		case !p.Receive:
			muted = append(muted, p.Kind)
		case p.Email:
			mailed = append(mailed, p.Kind)
		}
	}
	details := map[string]any{"muted": muted, "by_email": mailed}
	if lang != "" {
		details["email_lang"] = lang
	}
	if err := audit(ctx, tx, v, ip, "notice_preferences.update", "user", &v.UserID, details); err != nil {
		return nil, err
	}
	return out, translate(tx.Commit(ctx), "notice preferences")
}

// prefKey names one person's choice for one kind.
type prefKey struct {
	user int64
	kind string
}

// chosenPrefs are the rows of some people's choices.
type chosenPrefs map[prefKey]maint.NoticePreference

func (c chosenPrefs) of(userID int64, kind string) maint.NoticePreference {
	if p, ok := c[prefKey{userID, kind}]; ok {
		return p
	}
	return maint.NoticePreference{Kind: kind, Receive: true}
}

func preferencesOf(ctx context.Context, q querier, users []int64) (chosenPrefs, error) {
	rows, err := q.Query(ctx, `SELECT user_id, kind, receive, email FROM notice_preferences WHERE user_id = ANY ($1)`, users)
	if err != nil {
		return nil, err
	}
	c := chosenPrefs{}
	var uid int64
	var p maint.NoticePreference
	_, err = pgx.ForEachRow(rows, []any{&uid, &p.Kind, &p.Receive, &p.Email}, func() error {
		c[prefKey{uid, p.Kind}] = p
		return nil
	})
	return c, err
}

// applyPreferences keeps, of the in-app notices among rs ("<user id>:<kind>"),
// those their people get, and adds one e-mail ("staff:<user id>:<kind>") for
// each person who asked for the kind by e-mail too — one per person per
// event. Other recipients pass unchanged.
func applyPreferences(ctx context.Context, tx pgx.Tx, rs []outbox.Recipient) ([]outbox.Recipient, error) {
	var users []int64
	for _, r := range rs {
		if r.Channel != "inapp" {
			continue
		}
		user, _, _ := strings.Cut(r.Address, ":")
		if id, err := strconv.ParseInt(user, 10, 64); err == nil {
			users = append(users, id)
		}
	}
	if len(users) == 0 {
		return rs, nil
	}
	chosen, err := preferencesOf(ctx, tx, users)
	if err != nil {
		return nil, fmt.Errorf("notice preferences: %w", err)
	}
	out := make([]outbox.Recipient, 0, len(rs))
	var mail []outbox.Recipient
	mailed := map[string]bool{}
	for _, r := range rs {
		if r.Channel != "inapp" {
			out = append(out, r)
			continue
		}
		user, kind, _ := strings.Cut(r.Address, ":")
		id, err := strconv.ParseInt(user, 10, 64)
		if err != nil {
			out = append(out, r)
			continue
		}
		p := chosen.of(id, kind)
		if !p.Receive {
			continue
		}
		out = append(out, r)
		if p.Email && !mailed[user] {
			mailed[user] = true
			mail = append(mail, outbox.Recipient{Channel: "email", Address: "staff:" + r.Address})
		}
	}
	return append(out, mail...), nil
}

// staffMessage reads what a staff notice by e-mail says (recipient
// "staff:<user id>:<kind>"): the account's address and language and what
// happened. A person no longer active, or who has since turned the kind's
// e-mail off, gives nil: nothing to send.
func (db *DB) staffMessage(ctx context.Context, d outbox.Delivery) (*maint.Message, error) {
	user, kind, ok := strings.Cut(strings.TrimPrefix(d.Recipient, "staff:"), ":")
	uid, err := strconv.ParseInt(user, 10, 64)
	if !ok || err != nil {
		return nil, fmt.Errorf("message: bad recipient %q", d.Recipient)
	}
	m := maint.Message{Kind: "staff", Notice: kind, Channel: d.Channel, Staff: &maint.StaffNotice{}}
	var active, receive, email bool
	err = db.pool.QueryRow(ctx, `SELECT u.email, u.lang, u.active, coalesce(p.receive, true), coalesce(p.email, false)
		FROM users u LEFT JOIN notice_preferences p ON p.user_id = u.id AND p.kind = $2 WHERE u.id = $1`, uid, kind).
		Scan(&m.Address, &m.Lang, &active, &receive, &email)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !(active && receive && email) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "message")
	}
	s := m.Staff
	var p struct {
		Step     string     `json:"step"`
		Deadline *time.Time `json:"deadline"`
		Assignee string     `json:"assignee"`
		URL      string     `json:"url"`
		Failures int        `json:"failures"`
	}
	if len(d.Payload) > 0 {
		if err := json.Unmarshal(d.Payload, &p); err != nil {
			return nil, fmt.Errorf("message: payload: %w", err)
		}
	}
	s.Step, s.Deadline, s.URL, s.Failures = p.Step, p.Deadline, p.URL, p.Failures
	if d.TaskID == 0 {
		return &m, nil
	}
	err = db.pool.QueryRow(ctx, `SELECT t.id, t.ref, t.title, coalesce(t.assignee, ''),
			coalesce((SELECT h.note FROM task_events h WHERE h.task_id = t.id AND h.at <= coalesce(e.created_at, now())
			          ORDER BY h.at DESC, h.id DESC LIMIT 1), '')
		FROM tasks t LEFT JOIN outbox_events e ON e.id = $2::uuid WHERE t.id = $1`, d.TaskID, d.EventID).
		Scan(&s.TaskID, &s.Ref, &s.Title, &s.Assignee, &s.Note)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "message")
	}
	if p.Assignee != "" {
		s.Assignee = p.Assignee
	}
	return &m, nil
}

// tellPaused tells an endpoint's owner it is paused, as they chose: in the
// console unless muted, and by e-mail too (an outbox event routed by
// routePausedMail) if they asked.
func tellPaused(ctx context.Context, tx pgx.Tx, owner int64, params map[string]any) error {
	chosen, err := preferencesOf(ctx, tx, []int64{owner})
	if err != nil {
		return translate(err, "webhook attempt")
	}
	p := chosen.of(owner, "webhook.paused")
	if !p.Receive {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO notices (user_id, kind, params) VALUES ($1, 'webhook.paused', $2)`, owner, params); err != nil {
		return translate(err, "webhook attempt")
	}
	if !p.Email {
		return nil
	}
	payload := map[string]any{"user_id": owner}
	for k, v := range params {
		payload[k] = v
	}
	_, err = outbox.Enqueue(ctx, tx, outbox.Event{Kind: "webhook.paused", Payload: payload})
	return err
}

// routePausedMail sends a webhook.paused event to its owner by e-mail.
func routePausedMail(payload json.RawMessage) []outbox.Recipient {
	var p struct {
		UserID int64 `json:"user_id"`
	}
	if json.Unmarshal(payload, &p) != nil || p.UserID == 0 {
		return nil
	}
	return []outbox.Recipient{{Channel: "email", Address: "staff:" + strconv.FormatInt(p.UserID, 10) + ":webhook.paused"}}
}
