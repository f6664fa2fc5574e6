// Package httpapi serves inframap over HTTP: the JSON/GeoJSON API under
// /api/v1, health endpoints and the embedded web pages. Handlers depend on
// small interfaces; every error leaves as application/problem+json.
package httpapi

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"inframap/internal/maint"
)

// Config tunes the HTTP layer.
type Config struct {
	// MaxBodyBytes caps request bodies except uploads (default 1 MiB).
	MaxBodyBytes int64
	// MaxUploadBytes caps upload bodies (default 25 MB).
	MaxUploadBytes int64
	// RequestTimeout bounds a request's work (default 30 s).
	RequestTimeout time.Duration
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// PublicURL is the service's external root for links (scheme and host);
	// nil means the scheme and Host of each request.
	PublicURL *url.URL
}

func (c *Config) defaults() {
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = 25 << 20
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
}

// clientIP is the client's address: the peer, or, when the peer is a trusted
// proxy, the nearest untrusted address of X-Forwarded-For.
func (c *Config) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !c.trusted(addr) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !c.trusted(a) {
			return a.String()
		}
	}
	return host
}

func (c *Config) trusted(a netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// Store is what the handlers need of the database.
type Store interface {
	ListAssets(ctx context.Context, f maint.AssetFilter, emit func(*maint.Asset) error) (more bool, err error)
	Asset(ctx context.Context, id int64, v maint.Viewer) (*maint.Asset, error)
	Stats(ctx context.Context, asOf *time.Time) (*maint.Stats, error)
	Areas(ctx context.Context) ([]maint.Area, error)
	Ready(ctx context.Context) error
	StandardsStore
}

// Server holds the dependencies of the handlers.
type Server struct {
	cfg   Config
	store Store
	log   *slog.Logger
	web   fs.FS
	csp   string
	h     http.Handler
}

// NewServer returns the service's HTTP handler.
func NewServer(cfg Config, store Store, web fs.FS, log *slog.Logger) *Server {
	cfg.defaults()
	s := &Server{cfg: cfg, store: store, log: log, web: web}
	s.csp = strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		// Basemap tiles come from the configured provider.
		"img-src 'self' data: blob: https:",
		"connect-src 'self'",
		"font-src 'self'",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
	s.h = s.observe(s.secure(s.limitBody(s.deadline(s.routes()))))
	return s
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// isUpload reports whether r is a photo upload, which may be large and slow.
func (s *Server) isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/photos")
}
