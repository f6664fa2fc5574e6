package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe gives each request an id (the caller's X-Request-ID when it is
// sane), a logger that carries it, recovers panics into a 500 problem, and
// logs one line per request.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		ctx := httpx.WithLogger(httpx.WithRequestID(r.Context(), id), s.log)
		ctx, route := withRoute(ctx)
		r = r.WithContext(ctx)
		s.metrics.inFlight.Inc()
		w.Header().Set("X-Request-ID", id)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					httpx.WriteError(rec, r, fmt.Errorf("panic: %v", v))
				}
			}
			s.metrics.inFlight.Dec()
			d := time.Since(start)
			status := rec.status
			if status == 0 {
				status = 499 // the client went away before an answer
			}
			s.metrics.observe(route.template, r.Method, status, d)
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelWarn
			}
			s.log.Log(ctx, level, "request",
				"method", r.Method, "path", r.URL.Path, "status", rec.status, "bytes", rec.bytes,
				"route", route.template, "duration_ms", float64(d.Microseconds())/1000, "remote", s.clientIP(r))
		}()
		next.ServeHTTP(rec, r)
	})
}

// secure sets the security headers of every response.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body; endpoints that take uploads raise it.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.ContentLength > s.cfg.MaxBodyBytes && !s.isUpload(r) {
			httpx.WriteError(w, r, maint.Errorf(maint.CodeTooLarge, "request body exceeds %d bytes", s.cfg.MaxBodyBytes))
			return
		}
		if r.Body != nil && !s.isUpload(r) {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// deadline bounds the work of a request (uploads excepted, which are bounded
// by the server's read timeout and their own limits).
func (s *Server) deadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.isUpload(r) || s.cfg.RequestTimeout <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
