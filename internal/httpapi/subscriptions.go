package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/notify"
)

// Subscriptions (docs/notifications.md): residents follow a case or
// subscribe to an area by e-mail or web push; every message links to the
// subscription's page and to a one-click unsubscribe (RFC 8058).
func (s *Server) mountSubscriptions(r, api *mux.Router) {
	api.Handle("/subscriptions", s.subscribe()).Methods(http.MethodPost)
	api.Handle("/subscriptions/{token}", s.subscriptionAction("")).Methods(http.MethodGet)
	api.Handle("/subscriptions/{token}/confirm", s.subscriptionAction("confirm")).Methods(http.MethodPost)
	api.Handle("/subscriptions/{token}", s.subscriptionAction("end")).Methods(http.MethodDelete)
	api.Handle("/push/key", s.pushKey()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/unsubscribe/{token}", s.oneClickUnsubscribe()).Methods(http.MethodPost)
	r.Handle("/unsubscribe/{token}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A GET only shows the page (mail scanners open links): the page
		// asks before it ends anything.
		http.Redirect(w, r, "/subscription/"+url.PathEscape(mux.Vars(r)["token"])+"?end=1", http.StatusSeeOther)
	})).Methods(http.MethodGet, http.MethodHead)
}

type subscribeIn struct {
	Channel string `json:"channel"`
	Email   string `json:"email"`
	Push    *struct {
		Endpoint string `json:"endpoint"`
		Keys     struct {
			P256dh string `json:"p256dh"`
			Auth   string `json:"auth"`
		} `json:"keys"`
	} `json:"push"`
	Lang        string          `json:"lang"`
	Ref         string          `json:"ref"`
	Subdistrict string          `json:"subdistrict"`
	Area        json.RawMessage `json:"area"`
	Services    []string        `json:"services"`
}

var (
	caseRef  = regexp.MustCompile(`^[A-Za-z]{2}-\d{4}-\d{6,}$`)
	b64url   = regexp.MustCompile(`^[A-Za-z0-9_-]+=*$`)
	tokenPat = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// subscribe serves POST /api/v1/subscriptions. An e-mail subscription
// answers 202: the key goes to the address, in the confirmation message,
// not to whoever typed it. A push subscription answers 201 with its key,
// kept by the browser that made it.
func (s *Server) subscribe() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if ok, wait := s.subscribePosts.Allow("ip:" + s.clientIP(r)); !ok {
			return httpx.RateLimited("too many subscriptions from this address", wait)
		}
		in, err := httpx.Decode[subscribeIn](r)
		if err != nil {
			return err
		}
		ns, err := newSubscription(in)
		if err != nil {
			return err
		}
		ns.Lang, ns.IP = readerLang(r, in.Lang), s.clientIP(r)
		sub, err := s.store.Subscribe(r.Context(), ns)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		if ns.Channel == "email" {
			sub.Token = ""
			httpx.WriteJSON(w, r, http.StatusAccepted, sub)
			return nil
		}
		w.Header().Set("Location", "/api/v1/subscriptions/"+sub.Token)
		httpx.WriteJSON(w, r, http.StatusCreated, sub)
		return nil
	})
}

// newSubscription checks a subscribe request.
func newSubscription(in subscribeIn) (maint.NewSubscription, error) {
	ns := maint.NewSubscription{Channel: in.Channel, Ref: strings.ToUpper(strings.TrimSpace(in.Ref)),
		Subdistrict: strings.TrimSpace(in.Subdistrict)}
	switch in.Channel {
	case "email":
		e := strings.TrimSpace(in.Email)
		a, err := mail.ParseAddress(e)
		if err != nil || a.Address != e || len(e) > 254 {
			return ns, maint.InvalidAs("email", "email_invalid", nil, "email is not an e-mail address")
		}
		ns.Email = e
	case "push":
		var err error
		if ns.Endpoint, ns.P256dh, ns.Auth, err = pushOf(in); err != nil {
			return ns, err
		}
	default:
		return ns, maint.InvalidAs("channel", "channel_unknown", nil, "channel is email or push")
	}
	targets := 0
	if ns.Ref != "" {
		if !caseRef.MatchString(ns.Ref) {
			return ns, maint.Errorf(maint.CodeNotFound, "no case %q", ns.Ref)
		}
		targets++
	}
	if ns.Subdistrict != "" {
		targets++
	}
	if len(in.Area) > 0 && string(in.Area) != "null" {
		var g struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(in.Area, &g) != nil || (g.Type != "Polygon" && g.Type != "MultiPolygon") || len(in.Area) > 100_000 {
			return ns, maint.InvalidAs("area", "area_invalid", nil, "area is a GeoJSON Polygon or MultiPolygon in WGS84")
		}
		ns.Polygon = in.Area
		targets++
	}
	if targets != 1 {
		return ns, maint.InvalidAs("ref", "subscription_target", nil, "say what to follow: one of ref (a case), subdistrict or area")
	}
	for _, code := range in.Services {
		if _, ok := maint.LookupService(code); !ok {
			return ns, maint.InvalidAs("services", "unknown_service", maint.Params{"code": code}, "unknown service %q", code)
		}
	}
	if ns.Ref != "" && len(in.Services) > 0 {
		return ns, maint.InvalidAs("services", "subscription_target", nil, "services narrow an area, not a case")
	}
	ns.Services = in.Services
	if ns.Services == nil {
		ns.Services = []string{}
	}
	return ns, nil
}

// pushOf checks the browser's PushSubscription: an https endpoint and its
// keys.
func pushOf(in subscribeIn) (endpoint, p256dh, auth string, err error) {
	if in.Push == nil {
		return "", "", "", maint.InvalidAs("push", "push_subscription", nil, "push is the browser's PushSubscription (endpoint and keys)")
	}
	u, perr := url.Parse(in.Push.Endpoint)
	if perr != nil || u.Scheme != "https" || u.Host == "" || len(in.Push.Endpoint) > 2000 ||
		!b64url.MatchString(in.Push.Keys.P256dh) || !b64url.MatchString(in.Push.Keys.Auth) {
		return "", "", "", maint.InvalidAs("push", "push_subscription", nil, "push is the browser's PushSubscription: an https endpoint and its p256dh and auth keys")
	}
	return in.Push.Endpoint, in.Push.Keys.P256dh, in.Push.Keys.Auth, nil
}

// subscriptionAction serves the key holder's reads and changes: show (""),
// confirm, end.
func (s *Server) subscriptionAction(action string) http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		token := strings.ToLower(mux.Vars(r)["token"])
		if !tokenPat.MatchString(token) {
			return maint.Errorf(maint.CodeNotFound, "no subscription with that key")
		}
		var sub *maint.Subscription
		var err error
		switch action {
		case "confirm":
			sub, err = s.store.ConfirmSubscription(r.Context(), token)
		case "end":
			sub, err = s.store.Unsubscribe(r.Context(), token, "page")
		default:
			sub, err = s.store.Subscription(r.Context(), token)
		}
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, sub)
		return nil
	})
}

// oneClickUnsubscribe serves POST /unsubscribe/{token}: RFC 8058's one
// click, the body List-Unsubscribe=One-Click that mail programs send.
func (s *Server) oneClickUnsubscribe() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		token := strings.ToLower(mux.Vars(r)["token"])
		if !tokenPat.MatchString(token) {
			return maint.Errorf(maint.CodeNotFound, "no subscription with that key")
		}
		io.Copy(io.Discard, io.LimitReader(r.Body, 4096))
		if _, err := s.store.Unsubscribe(r.Context(), token, "one_click"); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "已退订 · Unsubscribed\n")
		return nil
	})
}

// pushKey serves GET /api/v1/push/key: the VAPID public key a browser
// subscribes with (applicationServerKey).
func (s *Server) pushKey() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		pub, _, err := s.store.VAPIDKeys(r.Context(), notify.NewVAPIDKeys)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]string{"public_key": pub})
		return nil
	})
}

// staffPush serves POST /api/v1/notices/push: a member of staff's device
// (the field page on their phone) gets their notices by push as well. The
// answer carries the key that ends it (DELETE /api/v1/subscriptions/{key}).
func (s *Server) staffPush() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[subscribeIn](r)
		if err != nil {
			return err
		}
		endpoint, p256dh, auth, err := pushOf(in)
		if err != nil {
			return err
		}
		sub, err := s.store.StaffPush(r.Context(), v.UserID, endpoint, p256dh, auth, readerLang(r, in.Lang), s.clientIP(r))
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusCreated, sub)
		return nil
	})
}
