// Package httpapi serves inframap over HTTP: the JSON/GeoJSON API under
// /api/v1, health endpoints and the embedded web pages. Handlers depend on
// small interfaces; every error leaves as application/problem+json.
package httpapi

import (
	"compress/gzip"
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/compress/gzhttp"

	"inframap/internal/accounts"
	"inframap/internal/cache"
	"inframap/internal/costs"
	"inframap/internal/evaluation"
	"inframap/internal/httpx"
	"inframap/internal/inspection"
	"inframap/internal/maint"
	"inframap/internal/photo"
	"inframap/internal/ratelimit"
	"inframap/internal/render"
	"inframap/internal/respcache"
	"inframap/internal/timelimit"
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
	// SessionTTL is how long a login lasts (default 12 h).
	SessionTTL time.Duration
	// BcryptCost is the password hashing cost (default 12).
	BcryptCost int
	// Metrics, when nil, are made afresh.
	Metrics *Metrics
	// Photos processes uploads (default: photo.New with its defaults);
	// Blobs keeps their bytes (nil: uploads answer 503).
	Photos *photo.Processor
	Blobs  Blobs
	// FarFromAssetMetres flags photos taken farther than this from their
	// asset (default 50).
	FarFromAssetMetres float64
	// Cache holds rendered responses; nil serves every request afresh. Its
	// entries must be dropped on change notices by whoever owns it.
	Cache *cache.Cache
	// RenderSlots bounds the expensive renders (tiles, GeoJSON pages, the
	// report card) running at once (default 2 per core); a request waits at
	// most RenderQueueWait (default 5 s) for a slot, then gets a 503.
	RenderSlots     int
	RenderQueueWait time.Duration
	// Residents may file ResidentReportBurst reports at once per address,
	// then one every ResidentReportEvery (default 5, then one per 2 min).
	ResidentReportEvery time.Duration
	ResidentReportBurst int
	// SubscribeBurst subscriptions at once per address, then one every 30 s
	// (10 if 0): each sends a message to an inbox.
	SubscribeBurst int
	// StaffUploadsPerMinute bounds each staff account's photo uploads: a
	// burst of that many, then one every minute/StaffUploadsPerMinute
	// (default 60).
	StaffUploadsPerMinute int
	// Replicas, when it has any, serve the reads of routes that tolerate
	// lag, with read-your-writes (replicas.go); /readyz lists the databases.
	Replicas Replicas
	// GDALBin is the folder of GDAL's ogr2ogr and ogrinfo, which import
	// shapefiles, geodatabases, GeoPackages, KML, DXF and GML; empty: PATH.
	GDALBin string
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
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = 12
	}
	if c.ResidentReportEvery == 0 {
		c.ResidentReportEvery = 2 * time.Minute
	}
	if c.SubscribeBurst == 0 {
		c.SubscribeBurst = 10
	}
	if c.ResidentReportBurst == 0 {
		c.ResidentReportBurst = 5
	}
	if c.StaffUploadsPerMinute == 0 {
		c.StaffUploadsPerMinute = 60
	}
	if c.FarFromAssetMetres == 0 {
		c.FarFromAssetMetres = 50
	}
	if c.RenderSlots == 0 {
		c.RenderSlots = 2 * runtime.NumCPU()
	}
	if c.RenderQueueWait == 0 {
		c.RenderQueueWait = 5 * time.Second
	}
}

// Store is what the handlers need of the database: the domain's services
// (internal/maint declares them) and a readiness check.
type Store interface {
	maint.AssetService
	maint.TaskService
	maint.PhotoService
	maint.RequestService
	maint.AccountService
	maint.AdminService
	maint.StatsService
	maint.FeatureService
	maint.TileService
	maint.ExchangeService
	timelimit.Service
	evaluation.Store
	costs.Store
	maint.NotifyService
	maint.SubscriptionService
	inspection.Store
	maint.ConditionService
	Ready(ctx context.Context) error
}

// Server holds the dependencies of the handlers.
type Server struct {
	cfg   Config
	store Store
	log   *slog.Logger
	web   fs.FS
	csp   string
	h     http.Handler

	accounts *accounts.API // sign-in, tokens, the admin API; authenticates every request
	metrics  *Metrics
	photos   *photo.Processor
	blobs    Blobs
	renderer *render.Renderer
	// tiles serves the vector tiles, TileJSON and cluster tiles.
	tiles *render.Routes
	// responses serves the cached routes.
	responses *respcache.Responses
	// The limits hold in total over every copy of the service (kept in
	// PostgreSQL when the store can). Staff uploads are limited per account,
	// to catch a runaway sync.
	staffUploads ratelimit.Allower
	// Residents may post a few reports per address; partners more per key.
	residentPosts ratelimit.Allower
	partnerPosts  ratelimit.Allower
	// supportPosts limits 我也遇到 per address: a handful at once, then one
	// every ten seconds.
	supportPosts ratelimit.Allower
	// subscribePosts limits subscribing per address: each e-mail one sends
	// goes to someone else's inbox.
	subscribePosts ratelimit.Allower
}

// sharedLimits is a store that keeps limits for every copy of the service.
type sharedLimits interface {
	SharedLimiter(name string, every time.Duration, burst int, log *slog.Logger) ratelimit.Allower
}

// limiter is the limit called name: shared through the store when it can,
// else this process's own.
func limiter(store Store, log *slog.Logger, name string, every time.Duration, burst int) ratelimit.Allower {
	if s, ok := store.(sharedLimits); ok {
		return s.SharedLimiter(name, every, burst, log)
	}
	return ratelimit.New(every, burst)
}

// NewServer returns the service's HTTP handler.
func NewServer(cfg Config, store Store, web fs.FS, log *slog.Logger) *Server {
	cfg.defaults()
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Photos == nil {
		p, err := photo.New(photo.Options{})
		if err != nil {
			panic(err) // the defaults are valid
		}
		cfg.Photos = p
	}
	s := &Server{cfg: cfg, store: store, log: log, web: web, metrics: cfg.Metrics,
		photos: cfg.Photos, blobs: cfg.Blobs, renderer: render.New(store, cfg.RenderSlots, cfg.RenderQueueWait),
		staffUploads:   limiter(store, log, "staff_uploads", time.Minute/time.Duration(cfg.StaffUploadsPerMinute), cfg.StaffUploadsPerMinute),
		residentPosts:  limiter(store, log, "resident_reports", cfg.ResidentReportEvery, cfg.ResidentReportBurst),
		partnerPosts:   limiter(store, log, "partner_posts", 100*time.Millisecond, 100),
		supportPosts:   limiter(store, log, "support", 10*time.Second, 30),
		subscribePosts: limiter(store, log, "subscriptions", 30*time.Second, cfg.SubscribeBurst)}
	s.responses = respcache.New(cfg.Cache, s.renderer, s.metrics.cacheResult)
	s.tiles = s.renderer.HTTP(render.HTTPConfig{Responses: s.responses, Extents: store.Extents, PublicURL: cfg.PublicURL, Log: log,
		Warmed: func(n int) { s.metrics.warmPasses.Inc(); s.metrics.warmRendered.Add(float64(n)) }})
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
	// Cookie-authenticated writes from other sites are refused: browsers
	// say where a request comes from (Sec-Fetch-Site, Origin).
	csrf := http.NewCrossOriginProtection()
	// Open311 posts carry no cookie-based authority: other sites' report
	// forms may post them.
	for _, f := range []string{"", ".xml", ".json"} {
		csrf.AddInsecureBypassPattern("POST /open311/v2/requests" + f)
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, maint.Errorf(maint.CodeForbidden, "cross-site requests may not change anything here"))
	}))
	// Responses are compressed as they stream (gzip or zstd, as the client
	// takes); cached ones arrive compressed already and pass through.
	compress, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.CompressionLevel(gzip.BestSpeed))
	if err != nil {
		panic(err) // constant options
	}
	s.accounts = accounts.New(store, accounts.Config{SessionTTL: cfg.SessionTTL, BcryptCost: cfg.BcryptCost,
		PublicURL: cfg.PublicURL, ClientIP: s.clientIP, Logins: s.metrics.Login})
	s.h = s.observe(s.routeReads(s.secure(compress(s.limitBody(s.deadline(csrf.Handler(s.accounts.Authenticate(s.routes()))))))))
	return s
}

// WarmClusters keeps the low-zoom cluster tiles the public map asks for in
// the response cache, rendering every period those a change dropped, until
// ctx ends (see render.Routes.Warm).
func (s *Server) WarmClusters(ctx context.Context, every time.Duration) { s.tiles.Warm(ctx, every) }

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// isUpload reports whether r is a photo upload or an import, which may be
// large and slow and have their own body limits and deadlines.
func (s *Server) isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/photos") || r.URL.Path == "/api/v1/reports" || r.URL.Path == "/api/v1/import")
}
