package httpapi

import (
	"context"
	"fmt"
	"inframap/internal/render"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gorilla/mux"
)

// WarmClusters keeps the low-zoom cluster tiles of the programmes the map
// draws tile by tile in the response cache: it asks for each of them every
// period, which costs nothing while they are cached and renders again those
// a change dropped, so the first person to open the map after a start or
// an edit does not wait for them. It returns when ctx ends; without a cache
// it does nothing.
func (s *Server) WarmClusters(ctx context.Context, every time.Duration) {
	if s.cache == nil {
		return
	}
	var urls []string
	var listed time.Time
	for {
		if time.Since(listed) > 10*time.Minute {
			reqs, err := s.renderer.WarmList(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Warn("cluster warmer: kinds", "err", err)
			} else {
				urls, listed = nil, time.Now()
				for _, q := range reqs {
					urls = append(urls, clusterKey(q))
				}
			}
		}
		start, rendered := time.Now(), 0
		for _, u := range urls {
			if ctx.Err() != nil {
				return
			}
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			rec := httptest.NewRecorder()
			s.router.ServeHTTP(rec, req)
			if rec.Header().Get("X-Cache") != "hit" {
				rendered++
			}
		}
		s.metrics.warmPasses.Inc()
		s.metrics.warmRendered.Add(float64(rendered))
		if rendered > 0 {
			s.log.Info("cluster warmer: rendered", "tiles", rendered, "of", len(urls), "took", time.Since(start).Round(time.Millisecond).String())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func parseClusterRequest(r *http.Request) (render.ClusterRequest, error) {
	v := mux.Vars(r)
	q, err := render.ParseCluster(v["kind"], v["z"], v["x"], v["y"])
	if err != nil {
		return q, err
	}
	_, err = readParams(r)
	return q, err
}

// clusterKey is where a cluster tile is cached: the warmer stores under it
// what the route would.
func clusterKey(q render.ClusterRequest) string {
	return fmt.Sprintf("/api/v1/clusters/%s/%d/%d/%d", q.Kind, q.Tile.Z, q.Tile.X, q.Tile.Y)
}

// clusterPolicy caches a cluster tile under its address, as showing what
// the renderer says it shows.
func clusterPolicy(q render.ClusterRequest) cachePolicy {
	sc := q.Scope()
	return cachePolicy{key: clusterKey(q), kinds: sc.Kinds, area: sc.Area, heavy: true}
}

// clusterTiles serves GET /api/v1/clusters/{kind}/{z}/{x}/{y}, a cluster
// tile (see render.Renderer.Clusters). The public map asks for these tile by
// tile when a kind is too numerous to load whole (a city's manholes), so
// each is cached.
func (s *Server) clusterTiles() http.Handler {
	policy := func(r *http.Request, q render.ClusterRequest) (cachePolicy, bool) {
		// A query of no parameters ("?&") is served, but not cached.
		return clusterPolicy(q), r.URL.RawQuery == ""
	}
	return cachedRoute(s, parseClusterRequest, policy, func(w http.ResponseWriter, r *http.Request, q render.ClusterRequest) {
		body, err := s.renderer.Clusters(r.Context(), q)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeClusters(w, body)
	})
}

func writeClusters(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/geo+json")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
