package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// Metrics are the service's Prometheus metrics, on a registry of their own.
type Metrics struct {
	Registry        *prometheus.Registry
	requestDuration *prometheus.HistogramVec
	inFlight        prometheus.Gauge
	transitions     *prometheus.CounterVec
	logins          *prometheus.CounterVec
	// Uploads counts photo uploads by result; UploadBytes their size.
	Uploads     *prometheus.CounterVec
	UploadBytes prometheus.Counter
	// Cache counts cacheable requests by what they ask for (tile or
	// response) and how the cache answered (hit, shared, miss).
	Cache *prometheus.CounterVec
	// warmPasses counts the cluster warmer's passes, warmRendered the tiles
	// it had to render.
	warmPasses, warmRendered prometheus.Counter
}

// NewMetrics registers the metrics, Go's runtime and the process's, and any
// extra collectors (the database pool's, from the caller that owns it).
func NewMetrics(extra ...prometheus.Collector) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route template, method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "http_requests_in_flight", Help: "Requests being served."}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inframap_task_transitions_total", Help: "Task state changes, by state left and state reached.",
		}, []string{"from", "to"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inframap_logins_total", Help: "Sign-in attempts by result.",
		}, []string{"result"}),
		Uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inframap_photo_uploads_total", Help: "Photo uploads by result.",
		}, []string{"result"}),
		UploadBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "inframap_photo_upload_bytes_total", Help: "Bytes of photos received."}),
		Cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inframap_cache_requests_total", Help: "Cacheable requests (tiles and other responses) by cache result: hit, shared (waited for a render) or miss.",
		}, []string{"what", "result"}),
		warmPasses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "inframap_cluster_warm_passes_total", Help: "Passes of the cluster warmer over the low-zoom cluster tiles.",
		}),
		warmRendered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "inframap_cluster_warm_rendered_total", Help: "Cluster tiles the warmer found missing from the cache and rendered.",
		}),
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requestDuration, m.inFlight, m.transitions, m.logins, m.Uploads, m.UploadBytes, m.Cache, m.warmPasses, m.warmRendered)
	reg.MustRegister(extra...)
	return m
}

type routeKey struct{}

// routeHolder carries the matched route's template out of the router to
// the middleware that times the request.
type routeHolder struct{ template string }

// recordRoute is router middleware: it notes the template of the route that
// matched, so request metrics are labelled by route, not by raw path.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
			if rt := mux.CurrentRoute(r); rt != nil {
				h.template, _ = rt.GetPathTemplate()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// withRoute prepares the context for recordRoute.
func withRoute(ctx context.Context) (context.Context, *routeHolder) {
	h := &routeHolder{template: "unmatched"}
	return context.WithValue(ctx, routeKey{}, h), h
}

func (m *Metrics) observe(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requestDuration.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}

// Transition counts a task state change.
func (m *Metrics) Transition(from, to maint.Status) {
	if m != nil {
		m.transitions.WithLabelValues(string(from), string(to)).Inc()
	}
}

// cacheResult counts how the cache answered a request.
func (m *Metrics) cacheResult(r *http.Request, result string) {
	if m == nil {
		return
	}
	what := "response"
	if strings.HasSuffix(r.URL.Path, ".mvt") {
		what = "tile"
	}
	m.Cache.WithLabelValues(what, result).Inc()
}

// Login counts a sign-in attempt.
func (m *Metrics) Login(result string) {
	if m != nil {
		m.logins.WithLabelValues(result).Inc()
	}
}

// metricsHandler serves /metrics to clients on this machine (a Prometheus
// agent beside the service) or behind a trusted proxy; to others the path
// does not exist. INFRAMAP_METRICS_ADDR serves them on a listener of their
// own instead.
func (s *Server) metricsHandler() http.Handler {
	return loopbackOnly(promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
}

// profiler serves the Go runtime's profiles (net/http/pprof) under
// /debug/pprof/, to the machine itself only, like /metrics.
func profiler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return loopbackOnly(mux)
}

// loopbackOnly answers 404 to any client but the machine itself. A request
// a proxy forwarded comes from elsewhere even when the proxy runs here.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		forwarded := r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-IP") != ""
		if ip == nil || !ip.IsLoopback() || forwarded {
			httpx.WriteError(w, r, httpx.NotFound(r))
			return
		}
		h.ServeHTTP(w, r)
	})
}
