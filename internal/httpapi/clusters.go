package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"inframap/gis"
	"inframap/internal/maint"
)

// ClusterStore gives the map its assets tile by tile, clustered when dense.
type ClusterStore interface {
	TileAssets(ctx context.Context, kind maint.Kind, t gis.Tile, emit func(*maint.Asset) error) ([]maint.Cluster, error)
}

// clusterTile serves GET /api/v1/clusters/{kind}/{z}/{x}/{y}: the assets of
// a kind whose point lies in a 256-pixel map tile, as GeoJSON — one by one
// up to a thousand, else as clusters (points with a count and the count by
// status) on an 8 × 8 grid. The public map asks for these tile by tile when
// a kind is too numerous to load whole (a city's manholes), so no response
// is large and each is cached.
func (s *Server) clusterTile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := mux.Vars(r)
		kind := maint.Kind(v["kind"])
		if !kind.Valid() {
			writeError(w, r, maint.Errorf(maint.CodeNotFound, "no kind %q", kind))
			return
		}
		t, err := gis.ParseTile(v["z"], v["x"], v["y"])
		if err != nil {
			var re gis.ErrTileRange
			if errors.As(err, &re) {
				writeError(w, r, maint.Errorf(maint.CodeNotFound, "%s", err.Error()))
			} else {
				writeError(w, r, maint.Invalid("tile", "%s", err.Error()))
			}
			return
		}
		if _, err := readParams(r); err != nil {
			writeError(w, r, err)
			return
		}
		n := 0
		var clusters []maint.Cluster
		err = s.streamCollection(w, r, "application/geo+json", func(emit func(func([]byte) []byte) error) (bool, error) {
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
