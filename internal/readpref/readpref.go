// Package readpref carries, in a request's context, where its reads may be
// served from — the primary only, or a streaming replica that has replayed
// at least a given WAL position — and records where they were served from.
// The HTTP layer sets the preference (routes whose reads tolerate lag, the
// caller's read-after token); the database layer honours it and fills the
// note; the response cache reads the note to keep a stale render out.
package readpref

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LSN is a PostgreSQL WAL position (pg_lsn) as a number.
type LSN uint64

// ParseLSN reads the text form "16/B374D848".
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, fmt.Errorf("%q is not a WAL position", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a WAL position", s)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a WAL position", s)
	}
	return LSN(h<<32 | l), nil
}

// String is the text form PostgreSQL uses.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint32(l)) }

// Pref is where a request's reads may go.
type Pref struct {
	// Replica allows a replica; without it reads go to the primary.
	Replica bool
	// After is the WAL position a replica must have replayed (the caller's
	// last write); 0 means any replica in rotation will do.
	After LSN
	// PrimaryOnly keeps every read on the primary even where a route
	// allows a replica (a retry after a replica failed).
	PrimaryOnly bool
}

// Database is what is known of one database server: the primary or a
// replica, whether it answers and, for a replica, its lag and whether it
// serves reads.
type Database struct {
	Name       string  `json:"name"`
	Role       string  `json:"role"` // primary or replica
	Reachable  bool    `json:"reachable"`
	InRotation bool    `json:"in_rotation"`
	LagSeconds float64 `json:"lag_seconds"`
	Reads      uint64  `json:"reads"`
	Error      string  `json:"error,omitempty"`
}

// Note records where a request's reads were served from. It is safe for
// concurrent use.
type Note struct {
	mu sync.Mutex
	// Source is "primary" or a replica's name; empty before any read.
	source string
	// staleness bounds how far behind the primary the replica was.
	staleness time.Duration
	// behindFeed: the replica had not replayed every change the response
	// cache has been told of, so the answer must not be cached.
	behindFeed bool
}

// Served records a read served by source (a replica when staleness ≥ 0).
func (n *Note) Served(source string, staleness time.Duration, behindFeed bool) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	// The first source a request read from is the one it reports; a later
	// read on the primary does not make an earlier stale one fresh.
	if n.source == "" || n.source == "primary" {
		n.source = source
	}
	n.staleness = max(n.staleness, staleness)
	n.behindFeed = n.behindFeed || behindFeed
}

// Source returns where the reads went ("" when there were none), the
// staleness bound of a replica and whether the answer must not be cached.
func (n *Note) Source() (source string, staleness time.Duration, behindFeed bool) {
	if n == nil {
		return "", 0, false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.source, n.staleness, n.behindFeed
}

type prefKey struct{}
type noteKey struct{}

// With returns ctx carrying p and a fresh note, and the note.
func With(ctx context.Context, p Pref) (context.Context, *Note) {
	n := &Note{}
	return context.WithValue(context.WithValue(ctx, prefKey{}, p), noteKey{}, n), n
}

// AllowReplica returns ctx whose reads may go to a replica (that has
// replayed the caller's last write), unless they are kept on the primary.
func AllowReplica(ctx context.Context) context.Context {
	p := From(ctx)
	if p.PrimaryOnly || p.Replica {
		return ctx
	}
	p.Replica = true
	return context.WithValue(ctx, prefKey{}, p)
}

// From returns the preference of ctx (the primary when none was set).
func From(ctx context.Context) Pref {
	p, _ := ctx.Value(prefKey{}).(Pref)
	return p
}

// NoteFrom returns the note of ctx, or nil.
func NoteFrom(ctx context.Context) *Note {
	n, _ := ctx.Value(noteKey{}).(*Note)
	return n
}
