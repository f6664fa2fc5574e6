package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

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
				writeError(w, r, maint.Errorf(maint.CodeUnauthorized, "use Authorization: Bearer <token>"))
				return
			}
			v, err := s.store.Authenticate(ctx, strings.TrimSpace(tok))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="inframap", error="invalid_token"`)
				writeError(w, r, err)
				return
			}
			ctx = context.WithValue(context.WithValue(ctx, viewerKey{}, v), authKey{}, "bearer")
		} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			v, err := s.store.Authenticate(ctx, c.Value)
			switch {
			case err == nil:
				ctx = context.WithValue(context.WithValue(ctx, viewerKey{}, v), authKey{}, "cookie")
			case maint.ErrorCode(err) == maint.CodeUnauthorized:
				s.clearSession(w, r)
			default:
				writeError(w, r, err)
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

// decodeJSON reads a JSON request body into v, refusing other media types,
// unknown fields and trailing data.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return maint.Errorf(maint.CodeUnsupportedMedia, "send JSON (Content-Type: application/json), not %q", ct)
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return maint.Invalid("body", "the body holds more than one JSON value")
	}
	return nil
}

// jsonError names the field at fault in a JSON decoding error.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return maint.Errorf(maint.CodeTooLarge, "the body exceeds %d bytes", mbe.Limit)
	case errors.As(err, &te):
		return maint.Invalid(te.Field, "%s must be %s, not a JSON %s", te.Field, jsonTypeName(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return maint.Invalid("body", "the body is not valid JSON (at byte %d)", se.Offset)
	case errors.Is(err, io.EOF):
		return maint.Invalid("body", "a JSON body is required")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return maint.Invalid(f, "unknown field %q", f)
	}
	return maint.Invalid("body", "the body is not valid JSON: %v", err)
}

func jsonTypeName(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice":
		return "an array"
	}
	return "an object"
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c credentials
		if err := decodeJSON(r, &c); err != nil {
			writeError(w, r, err)
			return
		}
		u, err := s.checkCredentials(r, c)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var previous string
		if ck, err := r.Cookie(sessionCookie); err == nil {
			previous = ck.Value
		}
		token, expires, err := s.store.Login(r.Context(), u, s.clientIP(r), r.UserAgent(), previous, s.cfg.SessionTTL)
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.setSession(w, r, token, expires)
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, http.StatusOK, map[string]any{"user": userView(u), "expires_at": expires})
	})
}

// logout serves POST /api/v1/auth/logout.
func (s *Server) logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			if err := s.store.Logout(r.Context(), viewerFrom(r.Context()), s.clientIP(r), c.Value); err != nil {
				writeError(w, r, err)
				return
			}
		}
		s.clearSession(w, r)
		w.WriteHeader(http.StatusNoContent)
	})
}

// me serves GET /api/v1/auth/me.
func (s *Server) me() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		if !v.Staff() {
			writeError(w, r, maint.Errorf(maint.CodeUnauthorized, "not signed in"))
			return
		}
		u, err := s.store.User(r.Context(), v.UserID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var perms []maint.Permission
		for _, p := range []maint.Permission{maint.PermCreateTask, maint.PermEditTask, maint.PermEditAsset, maint.PermViewPrivate, maint.PermListCrews, maint.PermAdmin} {
			if maint.Can(v.Role, p) {
				perms = append(perms, p)
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, http.StatusOK, map[string]any{"user": userView(u), "permissions": perms, "auth": authMethod(r.Context())})
	})
}

type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Token      string     `json:"token,omitempty"`
	UserID     int64      `json:"user_id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func tokenView(t *maint.Token) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, UserID: t.UserID, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// createToken serves POST /api/v1/auth/tokens {email, password, name}: a
// bearer token for a script, shown this once.
func (s *Server) createToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c credentials
		if err := decodeJSON(r, &c); err != nil {
			writeError(w, r, err)
			return
		}
		c.Name = strings.TrimSpace(c.Name)
		if c.Name == "" || len([]rune(c.Name)) > 100 {
			writeError(w, r, maint.Invalid("name", "name the token (1–100 characters), e.g. after the script that uses it"))
			return
		}
		u, err := s.checkCredentials(r, c)
		if err != nil {
			writeError(w, r, err)
			return
		}
		t, secret, err := s.store.CreateToken(r.Context(), u, s.clientIP(r), c.Name)
		if err != nil {
			writeError(w, r, err)
			return
		}
		j := tokenView(t)
		j.Token = secret
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Location", "/api/v1/auth/tokens/"+strconv.FormatInt(t.ID, 10))
		writeJSON(w, r, http.StatusCreated, j)
	})
}

// listTokens serves GET /api/v1/auth/tokens: the caller's tokens (every
// user's for an admin with ?all=true).
func (s *Server) listTokens() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		if !v.Staff() {
			writeError(w, r, maint.Errorf(maint.CodeUnauthorized, "sign in first"))
			return
		}
		p, err := readParams(r, "all")
		if err != nil {
			writeError(w, r, err)
			return
		}
		user := v.UserID
		if p.str("all") == "true" {
			if err := maint.Require(v, maint.PermAdmin); err != nil {
				writeError(w, r, err)
				return
			}
			user = 0
		}
		ts, err := s.store.Tokens(r.Context(), user)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]tokenJSON, len(ts))
		for i := range ts {
			out[i] = tokenView(&ts[i])
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, http.StatusOK, map[string]any{"tokens": out})
	})
}

// revokeToken serves DELETE /api/v1/auth/tokens/{id}.
func (s *Server) revokeToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		if !v.Staff() {
			writeError(w, r, maint.Errorf(maint.CodeUnauthorized, "sign in first"))
			return
		}
		id, err := pathID(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.store.RevokeToken(r.Context(), v, s.clientIP(r), id); err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
