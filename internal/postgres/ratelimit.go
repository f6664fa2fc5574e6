package postgres

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/ratelimit"
)

// SharedLimiter is a limit kept in PostgreSQL, so that it holds in total
// over every copy of the service: burst events at once per key, then one
// every interval. It is the generic cell rate algorithm: a row per key holds
// the key's theoretical arrival time (tat); an event is allowed when tat is
// at most burst-1 intervals ahead of now, and moves tat one interval on. The
// test and the move are one statement, under the row's lock, on the
// database's clock (the copies' clocks may differ).
type SharedLimiter struct {
	db          *DB
	name        string
	every, tau  time.Duration
	log         *slog.Logger
	pruneChance float64
}

// SharedLimiter returns the shared limit called name (one table row per
// name and key).
func (db *DB) SharedLimiter(name string, every time.Duration, burst int, log *slog.Logger) ratelimit.Allower {
	if burst < 1 {
		burst = 1
	}
	return &SharedLimiter{db: db, name: name, every: every, tau: every * time.Duration(burst-1), log: log, pruneChance: 0.001}
}

// allowSQL takes the limit's name, the key, the interval and the burst
// tolerance (both in microseconds).
const allowSQL = `
	WITH c AS (SELECT clock_timestamp() AS now, $3::bigint * interval '1 microsecond' AS t)
	INSERT INTO rate_limits AS r (name, key, tat)
	SELECT $1, $2, c.now + c.t FROM c
	ON CONFLICT (name, key) DO UPDATE
	SET tat = greatest(r.tat, EXCLUDED.tat - $3::bigint * interval '1 microsecond') + $3::bigint * interval '1 microsecond'
	WHERE greatest(r.tat, EXCLUDED.tat - $3::bigint * interval '1 microsecond') - (EXCLUDED.tat - $3::bigint * interval '1 microsecond')
	      <= $4::bigint * interval '1 microsecond'
	RETURNING tat`

// Allow reports whether key may act now; when not, how long to wait. When
// the database cannot answer, the event is allowed (and logged): the write
// it guards needs the database anyway, and a limit must not lock people out.
func (l *SharedLimiter) Allow(key string) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var tat time.Time
	err := l.db.pool.QueryRow(ctx, allowSQL, l.name, key, l.every.Microseconds(), l.tau.Microseconds()).Scan(&tat)
	if err == nil {
		if rand.Float64() < l.pruneChance {
			go l.prune()
		}
		return true, 0
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		l.log.Warn("rate limit: the database did not answer; allowed", "limit", l.name, "err", err)
		return true, 0
	}
	// Refused: wait until tat is within the burst again.
	var us int64
	wait := l.every
	if err := l.db.pool.QueryRow(ctx, `SELECT greatest(0, ceil(extract(epoch FROM r.tat - clock_timestamp()) * 1e6) - $3)::bigint
		FROM rate_limits r WHERE r.name = $1 AND r.key = $2`, l.name, key, l.tau.Microseconds()).Scan(&us); err == nil {
		wait = time.Duration(us) * time.Microsecond
	}
	if wait <= 0 {
		wait = time.Second
	}
	return false, wait
}

// prune forgets the keys whose time has passed (they are the same as none).
func (l *SharedLimiter) prune() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.db.pool.Exec(ctx, `DELETE FROM rate_limits WHERE name = $1 AND tat < clock_timestamp()`, l.name); err != nil {
		l.log.Warn("rate limit: prune", "limit", l.name, "err", err)
	}
}
