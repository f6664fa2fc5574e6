package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"inframap/gis"
	"inframap/internal/maint"
)

// MapTiledOver is the size past which the public map draws a programme tile
// by tile from the cluster tiles instead of loading it whole
// (web/public/js/app-public.js uses the same figure).
const MapTiledOver = 2000

// warmZooms are the cluster tiles kept rendered: the public map opens at
// about zoom 12 over the district and asks for tiles a zoom below its own,
// and at a million manholes a tile of these zooms takes 0.1–1.4 s to
// cluster, where one of a higher zoom takes a few tens of milliseconds.
var warmZooms = []maptile.Zoom{8, 9, 10, 11, 12}

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
			exts, err := s.store.KindExtents(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Warn("cluster warmer: kinds", "err", err)
			} else {
				urls, listed = warmURLs(exts), time.Now()
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

// warmURLs lists the cluster tiles of warmZooms over the extent of each kind
// the map draws tile by tile.
func warmURLs(exts []maint.KindExtent) []string {
	var urls []string
	for _, e := range exts {
		if e.Count <= MapTiledOver {
			continue
		}
		for _, z := range warmZooms {
			a := maptile.At(orb.Point{e.Box.MinLon, e.Box.MaxLat}, z)
			b := maptile.At(orb.Point{e.Box.MaxLon, e.Box.MinLat}, z)
			for x := a.X; x <= b.X; x++ {
				for y := a.Y; y <= b.Y; y++ {
					urls = append(urls, fmt.Sprintf("/api/v1/clusters/%s/%d/%d/%d", e.Kind, z, x, y))
				}
			}
		}
	}
	return urls
}

// clusterRequest is a cluster tile's address, parsed once for the cache and
// the handler.
type clusterRequest struct {
	kind maint.Kind
	tile gis.Tile
}

func parseClusterRequest(r *http.Request) (clusterRequest, error) {
	v := mux.Vars(r)
	kind := maint.Kind(v["kind"])
	if !kind.Valid() {
		return clusterRequest{}, maint.Errorf(maint.CodeNotFound, "no kind %q", kind)
	}
	t, err := parseTileAddress(v)
	if err != nil {
		return clusterRequest{}, err
	}
	if _, err := readParams(r); err != nil {
		return clusterRequest{}, err
	}
	return clusterRequest{kind: kind, tile: t}, nil
}

// clusterPolicy caches a cluster tile under its address; it shows its
// kind within the tile (an asset belongs to the tile its point lies in).
func clusterPolicy(r *http.Request, q clusterRequest) (cachePolicy, bool) {
	if r.URL.RawQuery != "" {
		return cachePolicy{}, false
	}
	key := fmt.Sprintf("/api/v1/clusters/%s/%d/%d/%d", q.kind, q.tile.Z, q.tile.X, q.tile.Y)
	return cachePolicy{key: key, kinds: []string{string(q.kind)}, area: gis.BBoxOf(q.tile.Bound()), heavy: true}, true
}

// clusterTiles serves GET /api/v1/clusters/{kind}/{z}/{x}/{y}: the assets of
// a kind whose point lies in a 256-pixel map tile, as GeoJSON — one by one
// up to a thousand, else as clusters (points with a count and the count by
// status) on an 8 × 8 grid. The public map asks for these tile by tile when
// a kind is too numerous to load whole (a city's manholes), so no response
// is large and each is cached.
func (s *Server) clusterTiles() http.Handler {
	return cachedRoute(s, parseClusterRequest, clusterPolicy, func(w http.ResponseWriter, r *http.Request, q clusterRequest) {
		kind, t := q.kind, q.tile
		n := 0
		var clusters []maint.Cluster
		err := s.streamCollection(w, r, "application/geo+json", func(emit func(func([]byte) []byte) error) (bool, error) {
			var err error
			clusters, err = s.store.TileAssets(r.Context(), kind, t, func(a *maint.Asset) error {
				n++
				return emit(func(b []byte) []byte { return appendAssetFeature(b, a) })
			})
			if err != nil {
				return false, err
			}
			for _, c := range clusters {
				n++
				if err := emit(func(b []byte) []byte { return appendCluster(b, kind, c) }); err != nil {
					return false, err
				}
			}
			return false, nil
		}, func(b []byte, _ bool) []byte {
			b = append(b, `],"clustered":`...)
			b = strconv.AppendBool(b, clusters != nil)
			b = append(b, `,"numberReturned":`...)
			b = strconv.AppendInt(b, int64(n), 10)
			return append(b, "}\n"...)
		})
		if err != nil {
			writeError(w, r, err)
		}
	})
}

func appendCluster(b []byte, kind maint.Kind, c maint.Cluster) []byte {
	b = append(b, `{"type":"Feature","geometry":{"type":"Point","coordinates":[`...)
	b = strconv.AppendFloat(b, c.Lon, 'f', 6, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, c.Lat, 'f', 6, 64)
	b = append(b, `]},"properties":{"cluster":true,"kind":`...)
	b = appendString(b, string(kind))
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(c.Count), 10)
	st, _ := json.Marshal(c.ByStatus)
	b = append(b, `,"by_status":`...)
	b = append(b, st...)
	return append(b, "}}"...)
}
