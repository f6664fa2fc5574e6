package accounts

import (
	"net/http"
	"strings"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// Login throttling: failed attempts counted over a window, per account and
// per client address.
const (
	loginWindow     = 15 * time.Minute
	maxFailsAccount = 5
	maxFailsAddress = 20
)

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
	// The unit and the sub-district whose notices the person gets.
	Crew        string `json:"crew"`
	Subdistrict string `json:"subdistrict"`
}

func userView(u *maint.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Active: u.Active, CreatedAt: u.CreatedAt,
		Crew: u.Crew, Subdistrict: u.Subdistrict}
}

// checkCredentials verifies an e-mail and password, throttled per account
// and per address and audited. Every failure reads the same, so the answer
// never tells whether an account exists.
func (a *API) checkCredentials(r *http.Request, c credentials) (*maint.User, error) {
	ctx := r.Context()
	ip := a.cfg.ClientIP(r)
	email := strings.ToLower(strings.TrimSpace(c.Email))
	if email == "" || c.Password == "" {
		return nil, maint.InvalidAs("email", "credentials_required", nil, "e-mail and password are required")
	}
	byEmail, byIP, err := a.store.FailedLogins(ctx, email, ip, time.Now().Add(-loginWindow))
	if err != nil {
		return nil, err
	}
	if byEmail >= maxFailsAccount || byIP >= maxFailsAddress {
		a.cfg.Logins("throttled")
		e := maint.Errorf(maint.CodeRateLimited, "too many failed sign-ins; try again in %d minutes", int(loginWindow.Minutes()))
		e.RetryAfter = int(loginWindow.Seconds())
		return nil, e
	}
	u, hash, err := a.store.UserLogin(ctx, email)
	if err != nil && maint.ErrorCode(err) != maint.CodeNotFound {
		return nil, err
	}
	ok, err := a.passwords.Verify(ctx, hash, c.Password)
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
		if err := a.store.Audit(ctx, maint.Viewer{}, ip, "login.failed", "user", subject, map[string]string{"email": email, "reason": reason}); err != nil {
			return nil, err
		}
		a.cfg.Logins("failed")
		return nil, maint.Errorf(maint.CodeUnauthorized, "the e-mail or password is wrong")
	}
	a.cfg.Logins("succeeded")
	return u, nil
}

// login serves POST /api/v1/auth/login: a session cookie for the pages.
func (a *API) login() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		c, err := httpx.Decode[credentials](r)
		if err != nil {
			return err
		}
		u, err := a.checkCredentials(r, c)
		if err != nil {
			return err
		}
		var previous string
		if ck, err := r.Cookie(sessionCookie); err == nil {
			previous = ck.Value
		}
		token, expires, err := a.store.Login(r.Context(), u, a.cfg.ClientIP(r), r.UserAgent(), previous, a.cfg.SessionTTL)
		if err != nil {
			return err
		}
		a.setSession(w, r, token, expires)
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"user": userView(u), "expires_at": expires})
		return nil
	})
}

// logout serves POST /api/v1/auth/logout.
func (a *API) logout() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			if err := a.store.Logout(r.Context(), httpx.ViewerOf(r), a.cfg.ClientIP(r), c.Value); err != nil {
				return err
			}
		}
		a.clearSession(w, r)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// me serves GET /api/v1/auth/me.
func (a *API) me() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v := httpx.ViewerOf(r)
		if !v.Staff() {
			return maint.Errorf(maint.CodeUnauthorized, "not signed in")
		}
		u, err := a.store.User(r.Context(), v.UserID)
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
