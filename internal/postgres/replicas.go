package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"inframap/internal/readpref"
)

// Streaming replicas (DATABASE_READ_URL). Reads whose routes tolerate lag
// (readpref.Pref.Replica) go to a replica in rotation; a caller that wrote
// carries its commit's WAL position (readpref.Pref.After) and is served by
// a replica that has replayed it — waiting briefly — or by the primary. A
// health check takes a replica that is unreachable or lags past the limit
// out of rotation and puts it back when it recovers.
//
// The response cache is invalidated by the change feed, which listens on
// the primary. A render read from a replica that has not replayed every
// change the feed has delivered could store an old answer after its
// invalidation: the feed notes the primary's WAL position as each notice
// arrives (before the cache hears of it), and a replica behind that
// position marks its answer uncacheable (readpref.Note).

// pools are the pools of one server: general statements, vector tiles and
// tiles with clusters (see DB).
type pools struct {
	pool, render, cluster *pgxpool.Pool
}

func (p pools) close() {
	p.pool.Close()
	p.render.Close()
	p.cluster.Close()
}

// replica is one streaming replica.
type replica struct {
	name  string
	pools pools
	// replay is the WAL position it has replayed, as last seen.
	replay atomic.Uint64
	reads  atomic.Uint64

	mu         sync.Mutex
	reachable  bool
	recovering bool // in recovery: still a replica, not promoted
	inRotation bool
	lag        time.Duration
	err        string
}

func (r *replica) replayed() readpref.LSN { return readpref.LSN(r.replay.Load()) }

// saw raises the remembered replay position (it never goes back).
func (r *replica) saw(l readpref.LSN) {
	for {
		old := r.replay.Load()
		if uint64(l) <= old || r.replay.CompareAndSwap(old, uint64(l)) {
			return
		}
	}
}

// sample is the primary's WAL position at a moment.
type sample struct {
	at  time.Time
	lsn readpref.LSN
}

// replicaSet holds the replicas and what the health check learnt.
type replicaSet struct {
	list []*replica
	// maxLag takes a replica lagging more out of rotation; wait is how long
	// a read after a write waits for a replica to replay it.
	maxLag, wait time.Duration
	next         atomic.Uint64 // round robin
	feedLSN      atomic.Uint64 // the primary's position at the feed's last notice
	fallbacks    atomic.Uint64 // reads after writes sent to the primary

	mu      sync.Mutex
	history []sample // the primary's positions, oldest first
}

// historyKeep bounds the samples of the primary's position kept for lag.
const historyKeep = 2400

// openReplicas opens the pools of each replica URL (comma-separated list).
func openReplicas(ctx context.Context, cfg Config, open func(url string) (pools, error)) (*replicaSet, error) {
	rs := &replicaSet{maxLag: cfg.ReplicaMaxLag, wait: cfg.ReadAfterWriteWait}
	if rs.maxLag <= 0 {
		rs.maxLag = 30 * time.Second
	}
	if rs.wait <= 0 {
		rs.wait = 250 * time.Millisecond
	}
	for i, u := range cfg.ReadURLs {
		p, err := open(u)
		if err != nil {
			rs.close()
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		rs.list = append(rs.list, &replica{name: fmt.Sprintf("replica-%d", i+1), pools: p})
	}
	return rs, nil
}

func (rs *replicaSet) close() {
	for _, r := range rs.list {
		r.pools.close()
	}
}

// SplitURLs reads DATABASE_READ_URL: one URL or several, comma- or
// space-separated.
func SplitURLs(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		out = append(out, f)
	}
	return out
}

// HasReplicas reports whether reads may go to replicas.
func (db *DB) HasReplicas() bool { return db.replicas != nil }

// readFrom returns the pools the reads of ctx use, and notes where they went.
func (db *DB) readFrom(ctx context.Context) pools {
	pref := readpref.From(ctx)
	note := readpref.NoteFrom(ctx)
	primary := pools{db.pool, db.render, db.cluster}
	if db.replicas == nil || !pref.Replica || pref.PrimaryOnly {
		note.Served("primary", 0, false)
		return primary
	}
	r := db.replicas.pick(ctx, pref.After)
	if r == nil {
		note.Served("primary", 0, false)
		return primary
	}
	behind := false
	if feed := readpref.LSN(db.replicas.feedLSN.Load()); r.replayed() < feed {
		// The remembered position is from the last check: ask.
		if l, err := replayLSN(ctx, r.pools.pool); err == nil {
			r.saw(l)
		}
		behind = r.replayed() < feed
	}
	r.mu.Lock()
	lag := r.lag
	r.mu.Unlock()
	r.reads.Add(1)
	note.Served(r.name, lag, behind)
	return r.pools
}

// pick chooses a replica in rotation that has replayed after, waiting up to
// the set's wait for one to; nil means the primary.
func (rs *replicaSet) pick(ctx context.Context, after readpref.LSN) *replica {
	n := len(rs.list)
	start := int(rs.next.Add(1))
	var first *replica
	for i := range n {
		r := rs.list[(start+i)%n]
		r.mu.Lock()
		ok := r.inRotation
		r.mu.Unlock()
		if !ok {
			continue
		}
		if r.replayed() >= after {
			return r
		}
		if first == nil {
			first = r
		}
	}
	if first == nil {
		return nil
	}
	// The caller wrote after the last check: wait briefly for the replay.
	deadline := time.Now().Add(rs.wait)
	for {
		qctx, cancel := context.WithDeadline(ctx, deadline)
		l, err := replayLSN(qctx, first.pools.pool)
		cancel()
		if err != nil {
			break
		}
		first.saw(l)
		if l >= after {
			return first
		}
		if time.Now().Add(5 * time.Millisecond).After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Millisecond):
		}
	}
	rs.fallbacks.Add(1)
	return nil
}

func replayLSN(ctx context.Context, p *pgxpool.Pool) (readpref.LSN, error) {
	var s string
	if err := p.QueryRow(ctx, "SELECT COALESCE(pg_last_wal_replay_lsn(), '0/0')::text").Scan(&s); err != nil {
		return 0, err
	}
	return readpref.ParseLSN(s)
}

// WALPosition is the primary's WAL insert position: taken after a commit,
// a replica that has replayed it shows that commit. (The insert position,
// not the write position: with asynchronous commit the commit record may
// not be written yet.)
func (db *DB) WALPosition(ctx context.Context) (readpref.LSN, error) {
	return currentLSN(ctx, db.pool)
}

func currentLSN(ctx context.Context, p *pgxpool.Pool) (readpref.LSN, error) {
	var s string
	if err := p.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&s); err != nil {
		return 0, translate(err, "WAL position")
	}
	return readpref.ParseLSN(s)
}

// noteFeedLSN raises the feed's position (the listener calls it as notices
// arrive, before the cache hears of them).
func (rs *replicaSet) noteFeedLSN(l readpref.LSN) {
	for {
		old := rs.feedLSN.Load()
		if uint64(l) <= old || rs.feedLSN.CompareAndSwap(old, uint64(l)) {
			return
		}
	}
}

// ReplicaFailed takes a replica out of rotation at once (a read on it
// failed); the health check puts it back when it answers again.
func (db *DB) ReplicaFailed(name string) {
	if db.replicas == nil {
		return
	}
	for _, r := range db.replicas.list {
		if r.name == name {
			r.mu.Lock()
			r.inRotation = false
			r.mu.Unlock()
		}
	}
}

// WatchReplicas checks the replicas every interval until ctx ends: their
// replay position, their lag and whether they stay in rotation.
func (db *DB) WatchReplicas(ctx context.Context, every time.Duration) {
	if db.replicas == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		db.checkReplicas(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkReplicas runs one health check.
func (db *DB) checkReplicas(ctx context.Context) {
	rs := db.replicas
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if l, err := currentLSN(cctx, db.pool); err == nil {
		rs.mu.Lock()
		rs.history = append(rs.history, sample{at: time.Now(), lsn: l})
		if len(rs.history) > historyKeep {
			rs.history = append(rs.history[:0], rs.history[len(rs.history)-historyKeep:]...)
		}
		rs.mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, r := range rs.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var recovering bool
			var s string
			err := r.pools.pool.QueryRow(cctx, "SELECT pg_is_in_recovery(), COALESCE(pg_last_wal_replay_lsn(), '0/0')::text").Scan(&recovering, &s)
			var l readpref.LSN
			if err == nil {
				l, err = readpref.ParseLSN(s)
			}
			if err == nil {
				r.saw(l)
			}
			lag := rs.lagOf(r.replayed())
			r.mu.Lock()
			defer r.mu.Unlock()
			r.reachable = err == nil
			r.recovering = recovering
			r.lag = lag
			r.err = ""
			switch {
			case err != nil:
				r.err = err.Error()
			case !recovering:
				r.err = "not in recovery (promoted?): not a replica"
			case lag > rs.maxLag:
				r.err = fmt.Sprintf("lags %.1f s, more than the %.0f s allowed", lag.Seconds(), rs.maxLag.Seconds())
			}
			r.inRotation = r.err == ""
		}()
	}
	wg.Wait()
}

// lagOf is how long the primary has had WAL that a replica at position l
// has not replayed: since the oldest sample past l (0 when none is).
func (rs *replicaSet) lagOf(l readpref.LSN) time.Duration {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, s := range rs.history {
		if s.lsn > l {
			return time.Since(s.at)
		}
	}
	return 0
}

// Databases says which databases answer: the primary (and whether it is
// migrated) and each replica (its lag and whether it is in rotation).
func (db *DB) Databases(ctx context.Context) []readpref.Database {
	out := []readpref.Database{{Name: "primary", Role: "primary", Reachable: true, InRotation: true}}
	if err := db.Ready(ctx); err != nil {
		out[0].Reachable, out[0].InRotation, out[0].Error = false, false, err.Error()
	}
	return append(out, db.Replicas()...)
}

// Replicas is what the last health check learnt of each replica.
func (db *DB) Replicas() []readpref.Database {
	if db.replicas == nil {
		return nil
	}
	var out []readpref.Database
	for _, r := range db.replicas.list {
		r.mu.Lock()
		out = append(out, readpref.Database{Name: r.name, Role: "replica", Reachable: r.reachable, InRotation: r.inRotation,
			LagSeconds: r.lag.Seconds(), Reads: r.reads.Load(), Error: r.err})
		r.mu.Unlock()
	}
	return out
}

// ReadFallbacks counts reads after writes that no replica had replayed in
// time and the primary served.
func (db *DB) ReadFallbacks() uint64 {
	if db.replicas == nil {
		return 0
	}
	return db.replicas.fallbacks.Load()
}
