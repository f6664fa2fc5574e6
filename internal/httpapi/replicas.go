package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"inframap/internal/readpref"
)

// Replicas is what the HTTP layer needs of the database's read replicas
// (internal/postgres, DATABASE_READ_URL).
type Replicas interface {
	// HasReplicas reports whether any reads may go to replicas.
	HasReplicas() bool
	// WALPosition is the primary's WAL position now: after a write's
	// commit, what a replica must have replayed to show it.
	WALPosition(ctx context.Context) (readpref.LSN, error)
	// ReplicaFailed takes a replica out of rotation until its health check
	// passes again.
	ReplicaFailed(name string)
	// Databases says which databases answer.
	Databases(ctx context.Context) []readpref.Database
}

// The read-after token: a writer's commit position, carried by a cookie
// (browsers) or the header of the same name (scripts send back what the
// write's response said).
const (
	readAfterCookie = "inframap_read_after"
	readAfterHeader = "Inframap-Read-After"
	// readSourceHeader names the replica that served a response's reads;
	// stalenessHeader bounds, in seconds, how far behind the primary it was.
	readSourceHeader = "Inframap-Read-Source"
	stalenessHeader  = "Inframap-Staleness"
	// readAfterTTL: by then every replica in rotation has replayed it.
	readAfterTTL = 5 * time.Minute
)

// replicaOK marks a route whose reads tolerate lag: they may be served by a
// replica (one that has replayed the caller's last write, if any).
func replicaOK(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			r = r.WithContext(readpref.AllowReplica(r.Context()))
		}
		h.ServeHTTP(w, r)
	})
}

// routeReads carries read-your-writes across requests when replicas serve
// reads: a write's response carries its commit position (cookie and
// header), and a later read carrying it is served by a replica that has
// replayed it or by the primary. A response whose reads a replica served
// says so; one that failed there (the replica went away mid-request) is
// answered again from the primary rather than with a 5xx.
func (s *Server) routeReads(next http.Handler) http.Handler {
	rep := s.cfg.Replicas
	if rep == nil || !rep.HasReplicas() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			next.ServeHTTP(&afterWrite{ResponseWriter: w, r: r, rep: rep}, r)
			return
		}
		var after readpref.LSN
		if v := r.Header.Get(readAfterHeader); v != "" {
			after, _ = readpref.ParseLSN(v)
		} else if c, err := r.Cookie(readAfterCookie); err == nil {
			after, _ = readpref.ParseLSN(c.Value)
		}
		ctx, note := readpref.With(r.Context(), readpref.Pref{After: after})
		saved := w.Header().Clone()
		rw := &replicaRead{ResponseWriter: w, note: note}
		next.ServeHTTP(rw, r.WithContext(ctx))
		if !rw.failed {
			return
		}
		// The replica failed: take it out and answer from the primary.
		src, _, _ := note.Source()
		rep.ReplicaFailed(src)
		s.log.WarnContext(ctx, "read failed on a replica; answered from the primary", "replica", src)
		h := w.Header()
		clear(h)
		for k, v := range saved {
			h[k] = v
		}
		ctx, _ = readpref.With(r.Context(), readpref.Pref{PrimaryOnly: true})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// replicaRead adds the replica's headers to a response and holds back a
// server error from a replica, for the retry on the primary.
type replicaRead struct {
	http.ResponseWriter
	note    *readpref.Note
	started bool
	failed  bool
}

func (rw *replicaRead) WriteHeader(code int) {
	if rw.started || rw.failed {
		return
	}
	src, staleness, _ := rw.note.Source()
	replica := src != "" && src != "primary"
	if replica && code >= 500 {
		rw.failed = true
		return
	}
	rw.started = true
	if replica {
		h := rw.Header()
		h.Set(readSourceHeader, src)
		h.Set(stalenessHeader, strconv.FormatFloat(staleness.Seconds(), 'f', 3, 64))
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *replicaRead) Write(b []byte) (int, error) {
	if !rw.started && !rw.failed {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.failed {
		return len(b), nil
	}
	return rw.ResponseWriter.Write(b)
}

func (rw *replicaRead) Flush() {
	if rw.failed {
		return
	}
	if !rw.started {
		rw.WriteHeader(http.StatusOK)
	}
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (rw *replicaRead) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// afterWrite gives a successful write's response the commit position.
type afterWrite struct {
	http.ResponseWriter
	r    *http.Request
	rep  Replicas
	done bool
}

func (aw *afterWrite) WriteHeader(code int) {
	if !aw.done {
		aw.done = true
		if code < 400 {
			aw.mark()
		}
	}
	aw.ResponseWriter.WriteHeader(code)
}

// mark runs when the handler answers, after its commit.
func (aw *afterWrite) mark() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(aw.r.Context()), 2*time.Second)
	defer cancel()
	lsn, err := aw.rep.WALPosition(ctx)
	if err != nil {
		return // the primary is gone: the write hardly succeeded
	}
	v := lsn.String()
	h := aw.Header()
	h.Set(readAfterHeader, v)
	h.Add("Set-Cookie", (&http.Cookie{Name: readAfterCookie, Value: v, Path: "/", MaxAge: int(readAfterTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: aw.r.TLS != nil}).String())
}

func (aw *afterWrite) Write(b []byte) (int, error) {
	if !aw.done {
		aw.WriteHeader(http.StatusOK)
	}
	return aw.ResponseWriter.Write(b)
}

func (aw *afterWrite) Flush() {
	if !aw.done {
		aw.WriteHeader(http.StatusOK)
	}
	if f, ok := aw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (aw *afterWrite) Unwrap() http.ResponseWriter { return aw.ResponseWriter }
