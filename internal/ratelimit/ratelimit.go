// Package ratelimit limits how often each client may do something: one
// token bucket per key (a client address, an account), forgotten after a
// while so the table stays small under a flood of addresses.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Allower is a limit: whether key may act now, and when not, how long to
// wait. Limiter keeps it in one process; postgres.SharedLimiter in the
// database, for every copy of the service at once.
type Allower interface {
	Allow(key string) (bool, time.Duration)
}

// Limiter hands out a token bucket per key.
type Limiter struct {
	every time.Duration
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter allowing burst events at once and one more every
// interval per key.
func New(every time.Duration, burst int) *Limiter {
	return &Limiter{every: every, burst: burst, buckets: map[string]*bucket{}, swept: time.Now()}
}

// Allow reports whether key may act now; when not, it says how long to
// wait before the next attempt can succeed.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		// A bucket idle long enough to be full again is the same as none.
		idle := l.every * time.Duration(l.burst+1)
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
