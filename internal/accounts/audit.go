package accounts

import (
	"net/http"
	"strconv"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// auditJSON is an audit event as the admin API shows it.
type auditJSON struct {
	ID          int64          `json:"id"`
	Source      string         `json:"source"`
	At          time.Time      `json:"at"`
	ActorID     *int64         `json:"actor_id"`
	Actor       string         `json:"actor"`
	Action      string         `json:"action"`
	SubjectType string         `json:"subject_type"`
	SubjectID   *int64         `json:"subject_id"`
	IP          string         `json:"ip,omitempty"`
	Details     map[string]any `json:"details"`
}

// listAudit serves GET /api/v1/audit (admin): the audit trail by actor,
// task, action and time range, oldest first (or newest, order=newest),
// paged.
func (a *API) listAudit() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Admin); err != nil {
			return err
		}
		f, cursor, err := auditFilter(r)
		if err != nil {
			return err
		}
		evs, more, err := a.store.AuditLog(r.Context(), f)
		if err != nil {
			return err
		}
		out := make([]auditJSON, len(evs))
		for i, e := range evs {
			out[i] = auditJSON{ID: e.ID, Source: e.Source, At: e.At, ActorID: e.ActorID, Actor: e.Actor, Action: e.Action,
				SubjectType: e.SubjectType, SubjectID: e.SubjectID, IP: e.IP}
			httpx.UnmarshalObject(e.Details, &out[i].Details)
		}
		links := httpx.PageLinks(r, a.cfg.PublicURL, cursor, more && len(evs) > 0, func() string { return httpx.EncodeAuditCursor(evs[len(evs)-1]) })
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"events": out, "numberReturned": len(out), "links": links})
		return nil
	})
}

// auditFilter reads the query of GET /api/v1/audit, and the cursor it was
// given.
func auditFilter(r *http.Request) (f maint.AuditFilter, cursor string, err error) {
	p, err := httpx.ReadParams(r, "actor", "task", "action", "from", "to", "order", "limit", "cursor")
	if err != nil {
		return f, "", err
	}
	if a := p.Str("actor"); a != "" {
		if id, err := strconv.ParseInt(a, 10, 64); err == nil {
			f.ActorID = &id
		} else {
			f.Actor = a
		}
	}
	if t := p.Str("task"); t != "" {
		id, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return f, "", maint.Invalid("task", "task must be a task id")
		}
		f.TaskID = &id
	}
	f.Action = p.Str("action")
	switch p.Str("order") {
	case "", "oldest":
	case "newest":
		f.Newest = true
	default:
		return f, "", maint.Invalid("order", "order is newest or oldest, got %q", p.Str("order"))
	}
	for _, b := range []struct {
		name string
		dst  **time.Time
		end  bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		if s := p.Str(b.name); s != "" {
			t, err := httpx.ParseInstant(b.name, s, b.end)
			if err != nil {
				return f, "", err
			}
			*b.dst = &t
		}
	}
	if f.Limit, err = p.Limit(maint.DefaultLimit, maint.MaxLimit); err != nil {
		return f, "", err
	}
	cursor = p.Str("cursor")
	if cursor != "" {
		if f.After, err = httpx.DecodeAuditCursor(cursor); err != nil {
			return f, "", maint.Invalid("cursor", "cursor is not one this service issued")
		}
	}
	return f, cursor, nil
}
