package gis

import (
	"fmt"

	"github.com/paulmach/orb/maptile"
)

// MaxTileZoom is the deepest zoom level tiles are served at.
const MaxTileZoom = 22

// ErrTileRange reports a tile address that is well formed but names no tile
// (zoom beyond MaxTileZoom, x or y outside 0…2^z−1): there is no such
// resource, as opposed to a malformed request.
type ErrTileRange struct{ Z, X, Y uint64 }

func (e ErrTileRange) Error() string {
	return fmt.Sprintf("no tile %d/%d/%d: zoom is 0–%d and x, y are 0–2^zoom−1", e.Z, e.X, e.Y, MaxTileZoom)
}

// ParseTile reads a z/x/y tile address of decimal digits. Anything but
// digits is a syntax error; numbers out of range give ErrTileRange.
func ParseTile(z, x, y string) (Tile, error) {
	var v [3]uint64
	for i, s := range []string{z, x, y} {
		if s == "" || len(s) > 10 {
			return maptile.Tile{}, fmt.Errorf("tile address %s/%s/%s must be three non-negative integers", z, x, y)
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return maptile.Tile{}, fmt.Errorf("tile address %s/%s/%s must be three non-negative integers", z, x, y)
			}
			v[i] = v[i]*10 + uint64(c-'0')
		}
	}
	if v[0] > MaxTileZoom || v[1] >= 1<<v[0] || v[2] >= 1<<v[0] {
		return maptile.Tile{}, ErrTileRange{v[0], v[1], v[2]}
	}
	return maptile.New(uint32(v[1]), uint32(v[2]), maptile.Zoom(v[0])), nil
}

// Tile is a z/x/y Web Mercator tile address (orb's, aliased so that the
// domain and the stores need not import orb).
type Tile = maptile.Tile
