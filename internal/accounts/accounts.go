// Package accounts is who may sign in to inframap and how: staff sign in
// with an e-mail and password for a session cookie (the web pages) or for a
// bearer token (scripts), failed sign-ins are throttled per account and per
// address and audited, and the Authenticate middleware turns a cookie or
// token into the request's viewer. It also serves the admin API for users,
// crews and the audit trail. It works through the domain's account and admin
// services alone, so the rest of the HTTP layer sees only the viewer it
// leaves in the request context.
package accounts

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/maint"
	"inframap/internal/password"
)

// Store is what the accounts API needs of the database.
type Store interface {
	maint.AccountService
	maint.AdminService
}

// Config is what the API needs besides its data.
type Config struct {
	// SessionTTL is how long a sign-in lasts.
	SessionTTL time.Duration
	// BcryptCost is the password hashing cost (0: bcrypt's default).
	BcryptCost int
	// PublicURL is the service's external root (scheme and host) for the
	// audit trail's page links; its scheme also says whether cookies are
	// Secure. Nil means the scheme and Host of each request.
	PublicURL *url.URL
	// ClientIP is the client's address, as the service's proxies allow; it
	// keys the throttling and goes into the audit trail.
	ClientIP func(*http.Request) string
	// Logins, when set, counts sign-in attempts by result: "succeeded",
	// "failed" or "throttled".
	Logins func(result string)
}

// API serves sign-in, tokens and the admin resources, and authenticates
// every request.
type API struct {
	store     Store
	cfg       Config
	passwords *password.Hasher
}

// New returns the API over store.
func New(store Store, cfg Config) *API {
	if cfg.Logins == nil {
		cfg.Logins = func(string) {}
	}
	return &API{store: store, cfg: cfg, passwords: password.New(cfg.BcryptCost)}
}

// Mount routes the accounts resources on api, the router of the /api/v1
// prefix.
func (a *API) Mount(api *mux.Router) {
	api.Handle("/auth/login", a.login()).Methods(http.MethodPost)
	api.Handle("/auth/logout", a.logout()).Methods(http.MethodPost)
	api.Handle("/auth/me", a.me()).Methods(http.MethodGet)
	api.Handle("/auth/tokens", a.createToken()).Methods(http.MethodPost)
	api.Handle("/auth/tokens", a.listTokens()).Methods(http.MethodGet)
	api.Handle("/auth/tokens/{id:[0-9]+}", a.revokeToken()).Methods(http.MethodDelete)

	api.Handle("/users", a.listUsers()).Methods(http.MethodGet)
	api.Handle("/users", a.createUser()).Methods(http.MethodPost)
	api.Handle("/users/{id:[0-9]+}", a.patchUser()).Methods(http.MethodPatch)
	api.Handle("/crews", a.listCrews()).Methods(http.MethodGet)
	api.Handle("/crews", a.saveCrew()).Methods(http.MethodPost)
	api.Handle("/crews/{name}", a.saveCrew()).Methods(http.MethodPatch)
	api.Handle("/audit", a.listAudit()).Methods(http.MethodGet)
}
