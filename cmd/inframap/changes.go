package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"time"

	"inframap/gis"
	"inframap/internal/cache"
	"inframap/internal/postgres"
)

// changeFeed connects the database's change notices to the response cache,
// and lets a write wait until this copy's cache has seen it.
type changeFeed struct {
	cache *cache.Cache
	db    *postgres.DB
	log   *slog.Logger

	mu      sync.Mutex
	up      bool
	waiters map[string]chan struct{}
}

func newChangeFeed(c *cache.Cache, db *postgres.DB, log *slog.Logger) *changeFeed {
	// Until the feed is listening, changes could go unseen: serve afresh.
	c.Suspend()
	return &changeFeed{cache: c, db: db, log: log, waiters: map[string]chan struct{}{}}
}

// Changed drops what a change made stale, or releases a barrier's waiter.
func (f *changeFeed) Changed(c postgres.Change) {
	if c.Kind == "barrier" {
		f.mu.Lock()
		if ch := f.waiters[c.ID]; ch != nil {
			close(ch)
			delete(f.waiters, c.ID)
		}
		f.mu.Unlock()
		return
	}
	area := cache.World
	if a := c.Area(); a != nil {
		// A point's or a straight line's box may be flat; what shows it
		// still meets a box a hair wider.
		area = gis.BBox{MinLon: a.MinLon - 1e-7, MinLat: a.MinLat - 1e-7, MaxLon: a.MaxLon + 1e-7, MaxLat: a.MaxLat + 1e-7}
	}
	f.cache.Changed(c.Kind, area)
}

// Lost suspends the cache: while nobody listens, changes go unseen.
func (f *changeFeed) Lost() {
	f.mu.Lock()
	f.up = false
	f.mu.Unlock()
	f.cache.Suspend()
}

// Restored starts the cache afresh once the feed listens again.
func (f *changeFeed) Restored() {
	f.mu.Lock()
	f.up = true
	f.mu.Unlock()
	f.cache.Resume()
	f.log.Info("cache: listening for changes")
}

// Sync waits (up to two seconds) until every change committed so far has
// reached this copy's cache: a barrier notice goes out and comes back.
func (f *changeFeed) Sync(ctx context.Context) {
	f.mu.Lock()
	if !f.up {
		f.mu.Unlock()
		return // the cache is suspended: nothing stale is served
	}
	id := rand.Text()
	ch := make(chan struct{})
	f.waiters[id] = ch
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.waiters, id)
		f.mu.Unlock()
	}()
	if err := f.db.NotifyBarrier(ctx, id); err != nil {
		f.cache.Flush()
		return
	}
	select {
	case <-ch:
	case <-time.After(2 * time.Second):
		// The notice is late; start afresh rather than serve stale data.
		f.cache.Flush()
	case <-ctx.Done():
	}
}
