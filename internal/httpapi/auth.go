package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// The session cookie. Its value is a random secret; the database keeps only
// its hash. HttpOnly: page scripts never see it.
const sessionCookie = "inframap_session"

// Login throttling: failed attempts counted over a window, per account and
// per client address.
const (
	loginWindow     = 15 * time.Minute
	maxFailsAccount = 5
	maxFailsAddress = 20
)

type authKey struct{}

// authMethod says how the viewer authenticated: "cookie", "bearer" or "".
func authMethod(ctx context.Context) string {
	m, _ := ctx.Value(authKey{}).(string)
	return m
}

// authenticate resolves the viewer from a bearer token or the session
// cookie. A bad bearer token is refused; a stale cookie is dropped and the
// request goes on as a resident's.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, tok, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="inframap"`)
				httpx.WriteError(w, r, maint.Errorf(maint.CodeUnauthorized, "use Authorization: Bearer <token>"))
				return
			}
			v, err := s.store.Authenticate(ctx, strings.TrimSpace(tok))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="inframap", error="invalid_token"`)
				httpx.WriteError(w, r, err)
				return
			}
			ctx = context.WithValue(httpx.WithViewer(ctx, v), authKey{}, "bearer")
		} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			v, err := s.store.Authenticate(ctx, c.Value)
			switch {
			case err == nil:
				ctx = context.WithValue(httpx.WithViewer(ctx, v), authKey{}, "cookie")
			case maint.ErrorCode(err) == maint.CodeUnauthorized:
				s.clearSession(w, r)
			default:
				httpx.WriteError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) secureCookies(r *http.Request) bool {
	if s.cfg.PublicURL != nil {
		return s.cfg.PublicURL.Scheme == "https"
	}
	return r.TLS != nil
}

func (s *Server) setSession(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r),
	})
}

func (s *Server) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r)})
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name,omitempty"`
}

type userJSON struct {
	ID        int64      `json:"id"`
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	Role      maint.Role `json:"role"`
	Active    bool       `json:"active"`
	CreatedAt time.Time  `json:"created_at"`
}

func userView(u *maint.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Active: u.Active, CreatedAt: u.CreatedAt}
}

// checkCredentials verifies an e-mail and password, throttled per account
// and per address and audited. Every failure reads the same, so the answer
// never tells whether an account exists.
func (s *Server) checkCredentials(r *http.Request, c credentials) (*maint.User, error) {
	ctx := r.Context()
	ip := s.clientIP(r)
	email := strings.ToLower(strings.TrimSpace(c.Email))
	if email == "" || c.Password == "" {
		return nil, maint.Invalid("email", "e-mail and password are required")
	}
	byEmail, byIP, err := s.store.FailedLogins(ctx, email, ip, time.Now().Add(-loginWindow))
	if err != nil {
		return nil, err
	}
	if byEmail >= maxFailsAccount || byIP >= maxFailsAddress {
		s.metrics.Login("throttled")
		e := maint.Errorf(maint.CodeRateLimited, "too many failed sign-ins; try again in %d minutes", int(loginWindow.Minutes()))
		e.RetryAfter = int(loginWindow.Seconds())
		return nil, e
	}
	u, hash, err := s.store.UserLogin(ctx, email)
	if err != nil && maint.ErrorCode(err) != maint.CodeNotFound {
		return nil, err
	}
	ok, err := s.passwords.Verify(ctx, hash, c.Password)
	if err != nil {
		return nil, err
	}
	reason := ""
	switch {
	case u == nil:
		reason = "unknown account"
	case !ok:
		reason = "wrong password"
	case !u.Active:
		reason = "inactive account"
	}
	if reason != "" {
		var subject *int64
		if u != nil {
			subject = &u.ID
		}
		if err := s.store.Audit(ctx, maint.Viewer{}, ip, "login.failed", "user", subject, map[string]string{"email": email, "reason": reason}); err != nil {
			return nil, err
		}
		s.metrics.Login("failed")
		return nil, maint.Errorf(maint.CodeUnauthorized, "the e-mail or password is wrong")
	}
	s.metrics.Login("succeeded")
	return u, nil
}

// login serves POST /api/v1/auth/login: a session cookie for the pages.
func (s *Server) login() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		c, err := httpx.Decode[credentials](r)
		if err != nil {
			return err
		}
		u, err := s.checkCredentials(r, c)
		if err != nil {
			return err
		}
		var previous string
		if ck, err := r.Cookie(sessionCookie); err == nil {
			previous = ck.Value
		}
		token, expires, err := s.store.Login(r.Context(), u, s.clientIP(r), r.UserAgent(), previous, s.cfg.SessionTTL)
		if err != nil {
			return err
		}
		s.setSession(w, r, token, expires)
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"user": userView(u), "expires_at": expires})
		return nil
	})
}

// logout serves POST /api/v1/auth/logout.
func (s *Server) logout() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			if err := s.store.Logout(r.Context(), viewer(r), s.clientIP(r), c.Value); err != nil {
				return err
			}
		}
		s.clearSession(w, r)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// me serves GET /api/v1/auth/me.
func (s *Server) me() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v := viewer(r)
		if !v.Staff() {
			return maint.Errorf(maint.CodeUnauthorized, "not signed in")
		}
		u, err := s.store.User(r.Context(), v.UserID)
		if err != nil {
			return err
		}
		var perms []maint.Permission
		for _, p := range []maint.Permission{maint.PermCreateTask, maint.PermEditTask, maint.PermEditAsset, maint.PermViewPrivate, maint.PermListCrews, maint.PermAdmin} {
			if maint.Can(v.Role, p) {
				perms = append(perms, p)
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"user": userView(u), "permissions": perms, "auth": authMethod(r.Context())})
		return nil
	})
}
