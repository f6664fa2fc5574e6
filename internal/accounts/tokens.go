package accounts

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

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
func (a *API) createToken() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		c, err := httpx.Decode[credentials](r)
		if err != nil {
			return err
		}
		c.Name = strings.TrimSpace(c.Name)
		if c.Name == "" || len([]rune(c.Name)) > 100 {
			return maint.InvalidAs("name", "token_name", nil, "name the token (1–100 characters), e.g. after the script that uses it")
		}
		u, err := a.checkCredentials(r, c)
		if err != nil {
			return err
		}
		t, secret, err := a.store.CreateToken(r.Context(), u, a.cfg.ClientIP(r), c.Name)
		if err != nil {
			return err
		}
		j := tokenView(t)
		j.Token = secret
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Location", "/api/v1/auth/tokens/"+strconv.FormatInt(t.ID, 10))
		httpx.WriteJSON(w, r, http.StatusCreated, j)
		return nil
	})
}

// listTokens serves GET /api/v1/auth/tokens: the caller's tokens (every
// user's for an admin with ?all=true).
func (a *API) listTokens() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		p, err := httpx.ReadParams(r, "all")
		if err != nil {
			return err
		}
		user := v.UserID
		if p.Str("all") == "true" {
			if err := maint.Require(v, maint.PermAdmin); err != nil {
				return err
			}
			user = 0
		}
		ts, err := a.store.Tokens(r.Context(), user)
		if err != nil {
			return err
		}
		out := make([]tokenJSON, len(ts))
		for i := range ts {
			out[i] = tokenView(&ts[i])
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"tokens": out})
		return nil
	})
}

// revokeToken serves DELETE /api/v1/auth/tokens/{id}.
func (a *API) revokeToken() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		if err := a.store.RevokeToken(r.Context(), v, a.cfg.ClientIP(r), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
