package render

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"inframap/gis"
	"inframap/internal/geojson"
	"inframap/internal/maint"
)

// MapTiledOver is the size past which the public map draws a programme tile
// by tile from the cluster tiles instead of loading it whole
// (web/public/js/app-public.js uses the same figure).
const MapTiledOver = 2000

// ClusterRequest is a cluster tile's address: a kind and a map tile.
type ClusterRequest struct {
	Kind maint.Kind
	Tile gis.Tile
}

// ParseCluster reads a cluster tile's address: an unknown kind or a tile
// that cannot exist is a maint.CodeNotFound, an address that is no numbers
// a maint.CodeInvalid.
func ParseCluster(kind, z, x, y string) (ClusterRequest, error) {
	k := maint.Kind(kind)
	if !k.Valid() {
		return ClusterRequest{}, maint.Errorf(maint.CodeNotFound, "no kind %q", k)
	}
	t, err := parseAddress(z, x, y)
	if err != nil {
		return ClusterRequest{}, err
	}
	return ClusterRequest{Kind: k, Tile: t}, nil
}

// Scope is the kind within the tile itself: an asset belongs to the tile
// its point lies in, so nothing outside shows.
func (q ClusterRequest) Scope() Scope {
	return Scope{Kinds: []string{string(q.Kind)}, Area: gis.BBoxOf(q.Tile.Bound())}
}

// Clusters renders a cluster tile: the assets of a kind whose point lies in
// the tile, as a GeoJSON FeatureCollection — one by one up to a thousand,
// else as clusters (points with a count and the count by status) on an
// 8 × 8 grid. No such tile is large, so it is rendered whole: an error at
// any point is still an error, never a cut-off body.
func (r *Renderer) Clusters(ctx context.Context, q ClusterRequest) ([]byte, error) {
	b := append(make([]byte, 0, 16<<10), `{"type":"FeatureCollection","features":[`...)
	n := 0
	item := func() {
		if n > 0 {
			b = append(b, ',')
		}
		n++
	}
	clusters, err := r.store.TileAssets(ctx, q.Kind, q.Tile, func(a *maint.Asset) error {
		item()
		b = geojson.AppendAssetFeature(b, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range clusters {
		item()
		b = appendCluster(b, q.Kind, c)
	}
	b = append(b, `],"clustered":`...)
	b = strconv.AppendBool(b, clusters != nil)
	b = append(b, `,"numberReturned":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, "}\n"...), nil
}

func appendCluster(b []byte, kind maint.Kind, c maint.Cluster) []byte {
	b = append(b, `{"type":"Feature","geometry":{"type":"Point","coordinates":[`...)
	b = strconv.AppendFloat(b, c.Lon, 'f', 6, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, c.Lat, 'f', 6, 64)
	b = append(b, `]},"properties":{"cluster":true,"kind":`...)
	b = geojson.AppendString(b, string(kind))
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(c.Count), 10)
	st, _ := json.Marshal(c.ByStatus)
	b = append(b, `,"by_status":`...)
	b = append(b, st...)
	return append(b, "}}"...)
}

// WarmList lists the cluster tiles worth keeping rendered: those of zooms
// 8–12 over the extent of each kind the map draws tile by tile. The public
// map opens at about zoom 12 over the district and asks for tiles a zoom
// below its own, and at a million manholes a tile of these zooms takes
// 0.1–1.4 s to cluster, where one of a higher zoom takes a few tens of
// milliseconds.
func (r *Renderer) WarmList(ctx context.Context) ([]ClusterRequest, error) {
	exts, err := r.store.KindExtents(ctx)
	if err != nil {
		return nil, err
	}
	var out []ClusterRequest
	for _, e := range exts {
		if e.Count <= MapTiledOver {
			continue
		}
		for z := maptile.Zoom(8); z <= 12; z++ {
			a := maptile.At(orb.Point{e.Box.MinLon, e.Box.MaxLat}, z)
			b := maptile.At(orb.Point{e.Box.MaxLon, e.Box.MinLat}, z)
			for x := a.X; x <= b.X; x++ {
				for y := a.Y; y <= b.Y; y++ {
					out = append(out, ClusterRequest{Kind: e.Kind, Tile: maptile.New(x, y, z)})
				}
			}
		}
	}
	return out, nil
}
