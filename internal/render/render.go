// Package render draws the map's tiles: Mapbox Vector Tiles of a layer and
// GeoJSON cluster tiles of a kind, rendered by PostGIS. It owns what makes
// them safe to serve at scale: the render slots that bound how many
// expensive renders (these and any other heavy response) run at once, what
// each tile shows (its kinds and area, so a cache can drop exactly the
// tiles a change makes stale), and the list of cluster tiles worth keeping
// rendered. Its handlers (http.go: tiles, TileJSON, cluster tiles, and the
// warmer that keeps cluster tiles in the response cache) are mounted from
// httpapi's routes.go; the cache itself is internal/respcache's.
package render

import (
	"context"
	"time"

	"inframap/internal/maint"
)

// Store is what the renderer needs of the database.
type Store interface {
	maint.TileService
	// KindExtents says which kinds are numerous and where, for WarmList.
	KindExtents(ctx context.Context) ([]maint.KindExtent, error)
}

// Renderer renders tiles and hands out render slots. It is safe for
// concurrent use.
type Renderer struct {
	store Store
	// slots holds a token per render running; wait bounds the wait for one.
	slots chan struct{}
	wait  time.Duration
}

// New returns a renderer over store that lets slots expensive renders run
// at once, each waiting at most wait for its turn.
func New(store Store, slots int, wait time.Duration) *Renderer {
	return &Renderer{store: store, slots: make(chan struct{}, slots), wait: wait}
}

// Slot waits for a render slot: a storm of cold tiles or large pages must
// queue rather than exhaust the database. When none frees up within the
// wait the error is a maint.CodeUnavailable that says when to come back;
// when ctx ends first it is ctx's error. Call release when the render is
// done.
func (r *Renderer) Slot(ctx context.Context) (release func(), err error) {
	wctx, cancel := context.WithTimeout(ctx, r.wait)
	defer cancel()
	select {
	case r.slots <- struct{}{}:
		return func() { <-r.slots }, nil
	case <-wctx.Done():
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := maint.Errorf(maint.CodeUnavailable, "the service is busy; try again in a moment")
		e.RetryAfter = 1
		return nil, e
	}
}
