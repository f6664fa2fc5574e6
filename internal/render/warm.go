package render

import (
	"context"
	"net/http"
	"time"
)

// Warm keeps the low-zoom cluster tiles of the programmes the map
// draws tile by tile in the response cache: every period it renders those
// missing (a change dropped them, or the service just started), so the
// first person to open the map does not wait for them. It returns when ctx
// ends; without a cache it does nothing.
func (h *Routes) Warm(ctx context.Context, every time.Duration) {
	if !h.cfg.Responses.Caching() {
		return
	}
	var reqs []ClusterRequest
	var listed time.Time
	for {
		// The kinds and their extents change slowly; listing them is a query.
		if time.Since(listed) > 10*time.Minute {
			l, err := h.r.WarmList(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				h.cfg.Log.Warn("cluster warmer: kinds", "err", err)
			} else {
				reqs, listed = l, time.Now()
			}
		}
		start := time.Now()
		rendered := h.WarmOnce(ctx, reqs)
		if ctx.Err() != nil {
			return
		}
		h.cfg.Warmed(rendered)
		if rendered > 0 {
			h.cfg.Log.Info("cluster warmer: rendered", "tiles", rendered, "of", len(reqs), "took", time.Since(start).Round(time.Millisecond).String())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// WarmOnce renders into the cache the tiles of reqs it lacks, under the
// keys and policy of their route, so that a request for one is a hit. It
// returns how many it found missing.
func (h *Routes) WarmOnce(ctx context.Context, reqs []ClusterRequest) int {
	missing := 0
	header := http.Header{}
	clusterHeader(header)
	for _, q := range reqs {
		if ctx.Err() != nil {
			break
		}
		p := clusterPolicy(q)
		was, err := h.cfg.Responses.Warm(ctx, p, header, func(ctx context.Context) ([]byte, error) { return h.r.Clusters(ctx, q) })
		if was {
			missing++
		}
		if err != nil && ctx.Err() == nil {
			h.cfg.Log.Warn("cluster warmer: render", "tile", p.Key, "err", err)
		}
	}
	return missing
}
