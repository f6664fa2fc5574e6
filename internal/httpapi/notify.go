package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// The routes of webhooks (admins) and notices (staff): docs/notifications.md.
func (s *Server) mountNotify(api *mux.Router) {
	api.Handle("/webhooks", s.listWebhooks()).Methods(http.MethodGet)
	api.Handle("/webhooks", s.createWebhook()).Methods(http.MethodPost)
	api.Handle("/webhooks/{id:[0-9]+}", s.webhookAction("delete")).Methods(http.MethodDelete)
	api.Handle("/webhooks/{id:[0-9]+}/rotate", s.webhookAction("rotate")).Methods(http.MethodPost)
	api.Handle("/webhooks/{id:[0-9]+}/resume", s.webhookAction("resume")).Methods(http.MethodPost)
	api.Handle("/webhooks/{id:[0-9]+}/attempts", s.webhookAttempts()).Methods(http.MethodGet)
	api.Handle("/webhooks/{id:[0-9]+}/deliveries/{delivery}/redeliver", s.redeliver()).Methods(http.MethodPost)
	api.Handle("/notices", s.listNotices()).Methods(http.MethodGet)
	api.Handle("/notices/{id:[0-9]+}/read", s.readNotice()).Methods(http.MethodPost)
	api.Handle("/notices/push", s.staffPush()).Methods(http.MethodPost)
	api.Handle("/notices/preferences", s.noticePreferences()).Methods(http.MethodGet)
	api.Handle("/notices/preferences", s.setNoticePreferences()).Methods(http.MethodPut)
}

// eventKinds are the events an endpoint may ask for.
var eventKinds = []string{"*", "task.changed"}

var deliveryID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

type webhookIn struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
}

func (s *Server) listWebhooks() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Can(maint.PermAdmin)); err != nil {
			return err
		}
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		ws, err := s.store.Webhooks(r.Context())
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"webhooks": ws, "events": eventKinds})
		return nil
	})
}

// createWebhook serves POST /api/v1/webhooks: the answer carries the
// endpoint's secret, once.
func (s *Server) createWebhook() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Can(maint.PermAdmin))
		if err != nil {
			return err
		}
		in, err := httpx.Decode[webhookIn](r)
		if err != nil {
			return err
		}
		u, perr := url.Parse(strings.TrimSpace(in.URL))
		if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.URL) > 2000 {
			return maint.InvalidAs("url", "webhook_url", nil, "url is an http(s) address, got %q", in.URL)
		}
		if err := httpx.CheckText("description", in.Description, false, 200); err != nil {
			return err
		}
		if len(in.Events) == 0 {
			in.Events = []string{"*"}
		}
		for _, e := range in.Events {
			if !slices.Contains(eventKinds, e) {
				return maint.InvalidAs("events", "webhook_event", maint.Params{"value": e}, "events are %v, got %q", eventKinds, e)
			}
		}
		wh, err := s.store.CreateWebhook(r.Context(), v, u.String(), strings.TrimSpace(in.Description), in.Events)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusCreated, wh)
		return nil
	})
}

// webhookAction serves DELETE /webhooks/{id}, POST …/rotate (the answer
// carries the new secret, once; the old one signs for a day more) and POST
// …/resume.
func (s *Server) webhookAction(action string) http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Can(maint.PermAdmin))
		if err != nil {
			return err
		}
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		var wh *maint.Webhook
		switch action {
		case "delete":
			if err := s.store.DeleteWebhook(r.Context(), v, id); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		case "rotate":
			wh, err = s.store.RotateWebhookSecret(r.Context(), v, id)
		default:
			wh, err = s.store.ResumeWebhook(r.Context(), v, id)
		}
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, wh)
		return nil
	})
}

// webhookAttempts serves GET /webhooks/{id}/attempts: the delivery log.
func (s *Server) webhookAttempts() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Can(maint.PermAdmin)); err != nil {
			return err
		}
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		p, err := httpx.ReadParams(r, "limit")
		if err != nil {
			return err
		}
		limit, err := p.Limit(100, maint.MaxLimit)
		if err != nil {
			return err
		}
		as, err := s.store.WebhookAttempts(r.Context(), id, limit)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"attempts": as})
		return nil
	})
}

// redeliver serves POST /webhooks/{id}/deliveries/{delivery}/redeliver.
func (s *Server) redeliver() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Can(maint.PermAdmin))
		if err != nil {
			return err
		}
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		d := mux.Vars(r)["delivery"]
		if !deliveryID.MatchString(d) {
			return maint.Errorf(maint.CodeNotFound, "no delivery %q", d)
		}
		if err := s.store.RedeliverWebhook(r.Context(), v, id, d); err != nil {
			return err
		}
		w.WriteHeader(http.StatusAccepted)
		return nil
	})
}

func (s *Server) listNotices() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		ns, err := s.store.Notices(r.Context(), v.UserID, 100)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"notices": ns})
		return nil
	})
}

func (s *Server) readNotice() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		if err := s.store.ReadNotice(r.Context(), v.UserID, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// noticePreferences serves GET /api/v1/notices/preferences: which notices
// this member of staff gets, and which also by e-mail, every kind listed.
func (s *Server) noticePreferences() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		p, err := s.store.NoticePreferences(r.Context(), v.UserID)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, p)
		return nil
	})
}

type noticePrefIn struct {
	Kind    string `json:"kind"`
	Receive *bool  `json:"receive"`
	Email   *bool  `json:"email"`
}

type noticePrefsIn struct {
	Lang        string         `json:"lang"`
	Preferences []noticePrefIn `json:"preferences"`
}

// setNoticePreferences serves PUT /api/v1/notices/preferences: the kinds
// named change (a flag left out keeps its value), the others stay; lang,
// when given, is the language of the person's e-mail.
func (s *Server) setNoticePreferences() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[noticePrefsIn](r)
		if err != nil {
			return err
		}
		if in.Lang != "" && in.Lang != "zh" && in.Lang != "en" {
			return maint.InvalidAs("lang", "notice_lang", maint.Params{"value": in.Lang}, "lang is zh or en, got %q", in.Lang)
		}
		if len(in.Preferences) > len(maint.NoticeKinds) {
			return maint.Invalid("preferences", "at most %d preferences, one a kind", len(maint.NoticeKinds))
		}
		cur, err := s.store.NoticePreferences(r.Context(), v.UserID)
		if err != nil {
			return err
		}
		out := make([]maint.NoticePreference, 0, len(in.Preferences))
		for n, p := range in.Preferences {
			i := slices.IndexFunc(cur.Preferences, func(c maint.NoticePreference) bool { return c.Kind == p.Kind })
			if i < 0 {
				return maint.InvalidAs(fmt.Sprintf("preferences[%d].kind", n), "notice_kind", maint.Params{"value": p.Kind}, "kind is one of %v, got %q", maint.NoticeKinds, p.Kind)
			}
			c := cur.Preferences[i]
			if p.Receive != nil {
				c.Receive = *p.Receive
			}
			if p.Email != nil {
				c.Email = *p.Email
			}
			out = append(out, c)
		}
		res, err := s.store.SetNoticePreferences(r.Context(), v, s.clientIP(r), in.Lang, out)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, res)
		return nil
	})
}
