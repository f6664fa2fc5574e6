package httpapi

import (
	"context"
	"fmt"
	"inframap/internal/httpx"
	"inframap/internal/render"
	"inframap/internal/respcache"
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

// WarmClusters keeps the low-zoom cluster tiles of the programmes the map
// draws tile by tile in the response cache: every period it renders those
// missing (a change dropped them, or the service just started), so the
// first person to open the map does not wait for them. It returns when ctx
// ends; without a cache it does nothing.
func (s *Server) WarmClusters(ctx context.Context, every time.Duration) {
	if s.cache == nil {
		return
	}
	var reqs []render.ClusterRequest
	var listed time.Time
	for {
		// The kinds and their extents change slowly; listing them is a query.
		if time.Since(listed) > 10*time.Minute {
			l, err := s.renderer.WarmList(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Warn("cluster warmer: kinds", "err", err)
			} else {
				reqs, listed = l, time.Now()
			}
		}
		start := time.Now()
		rendered := s.warmClusters(ctx, reqs)
		if ctx.Err() != nil {
			return
		}
		s.metrics.warmPasses.Inc()
		s.metrics.warmRendered.Add(float64(rendered))
		if rendered > 0 {
			s.log.Info("cluster warmer: rendered", "tiles", rendered, "of", len(reqs), "took", time.Since(start).Round(time.Millisecond).String())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// warmClusters renders into the cache the tiles of reqs it lacks, under the
// keys and policy of their route, so that a request for one is a hit. It
// returns how many it found missing.
func (s *Server) warmClusters(ctx context.Context, reqs []render.ClusterRequest) int {
	missing := 0
	header := http.Header{}
	clusterHeader(header)
	for _, q := range reqs {
		if ctx.Err() != nil {
			break
		}
		p := clusterPolicy(q)
		was, err := s.responses.Warm(ctx, p, header, func(ctx context.Context) ([]byte, error) { return s.renderer.Clusters(ctx, q) })
		if was {
			missing++
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn("cluster warmer: render", "tile", p.Key, "err", err)
		}
	}
	return missing
}

// parseClusterRequest reads a cluster route's address, once for the cache
// and the handler; it takes no query parameters.
func parseClusterRequest(r *http.Request) (render.ClusterRequest, error) {
	v := mux.Vars(r)
	q, err := render.ParseCluster(v["kind"], v["z"], v["x"], v["y"])
	if err != nil {
		return q, err
	}
	_, err = httpx.ReadParams(r)
	return q, err
}

// clusterKey is where a cluster tile is cached: the warmer stores under it
// what the route would.
func clusterKey(q render.ClusterRequest) string {
	return fmt.Sprintf("/api/v1/clusters/%s/%d/%d/%d", q.Kind, q.Tile.Z, q.Tile.X, q.Tile.Y)
}

// clusterPolicy caches a cluster tile under its address, as showing what
// the renderer says it shows.
func clusterPolicy(q render.ClusterRequest) respcache.Policy {
	sc := q.Scope()
	return respcache.Policy{Key: clusterKey(q), Kinds: sc.Kinds, Area: sc.Area, Heavy: true}
}

// clusterTiles serves GET /api/v1/clusters/{kind}/{z}/{x}/{y}, a cluster
// tile (see render.Renderer.Clusters). The public map asks for these tile by
// tile when a kind is too numerous to load whole (a city's manholes), so
// each is cached.
func (s *Server) clusterTiles() http.Handler {
	policy := func(r *http.Request, q render.ClusterRequest) (respcache.Policy, bool) {
		// A query of no parameters ("?&") is served, but not cached.
		return clusterPolicy(q), r.URL.RawQuery == ""
	}
	return respcache.Route(s.responses, parseClusterRequest, policy, func(w http.ResponseWriter, r *http.Request, q render.ClusterRequest) {
		body, err := s.renderer.Clusters(r.Context(), q)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		writeClusters(w, body)
	})
}

// clusterHeader sets the header of a cluster tile, sent or cached.
func clusterHeader(h http.Header) {
	h.Set("Content-Type", "application/geo+json")
	h.Set("Cache-Control", "no-cache")
}

func writeClusters(w http.ResponseWriter, body []byte) {
	clusterHeader(w.Header())
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
