package main

import (
	"log/slog"

	"inframap/gis"
	"inframap/internal/cache"
	"inframap/internal/postgres"
)

// changeFeed connects the database's change notices to the response cache.
// (The database makes each write wait until the feed has seen it.)
type changeFeed struct {
	cache *cache.Cache
	log   *slog.Logger
}

func newChangeFeed(c *cache.Cache, log *slog.Logger) *changeFeed {
	// Until the feed is listening, changes could go unseen: serve afresh.
	c.Suspend()
	return &changeFeed{cache: c, log: log}
}

// Changed drops what a change made stale.
func (f *changeFeed) Changed(c postgres.Change) {
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
	f.cache.Suspend()
}

// Restored starts the cache afresh once the feed listens again.
func (f *changeFeed) Restored() {
	f.cache.Resume()
	f.log.Info("cache: listening for changes")
}
