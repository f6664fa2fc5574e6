package render

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"inframap/gis"
	"inframap/internal/maint"
)

// AllLayers is the layer of every kind; every other layer is one kind's
// assets. Inside a tile each kind is an MVT layer named after it.
const AllLayers = "all"

// Scope is what a rendered tile shows: kinds of data within an area. A
// change of one of the kinds that meets the area makes the tile stale.
type Scope struct {
	Kinds []string
	Area  gis.BBox
}

// TileRequest is a vector tile's address: a layer's kinds and a tile.
type TileRequest struct {
	Layer string
	Kinds []maint.Kind
	Tile  gis.Tile
}

// ParseTile reads a vector tile's address: an unknown layer or a tile that
// cannot exist is a maint.CodeNotFound, an address that is no numbers a
// maint.CodeInvalid.
func ParseTile(layer, z, x, y string) (TileRequest, error) {
	kinds, err := LayerKinds(layer)
	if err != nil {
		return TileRequest{}, err
	}
	t, err := parseAddress(z, x, y)
	if err != nil {
		return TileRequest{}, err
	}
	return TileRequest{Layer: layer, Kinds: kinds, Tile: t}, nil
}

// LayerKinds returns the kinds of a layer name, or a maint.CodeNotFound.
func LayerKinds(layer string) ([]maint.Kind, error) {
	if layer == AllLayers {
		return maint.Kinds, nil
	}
	if k := maint.Kind(layer); k.Valid() {
		return []maint.Kind{k}, nil
	}
	return nil, maint.Errorf(maint.CodeNotFound, "no tile layer %q; layers: all, %s", layer, strings.Join(maint.KindNames(maint.Kinds), ", "))
}

func parseAddress(z, x, y string) (gis.Tile, error) {
	t, err := gis.ParseTile(z, x, y)
	if err != nil {
		var re gis.ErrTileRange
		if errors.As(err, &re) {
			return t, maint.Errorf(maint.CodeNotFound, "%s", err.Error())
		}
		return t, maint.Invalid("tile", "%s", err.Error())
	}
	return t, nil
}

// Scope is the tile's kinds within the tile and a margin of a sixteenth of
// it on every side: a line or polygon drawn across the tile's edge shows in
// it though it lies outside.
func (q TileRequest) Scope() Scope {
	return Scope{Kinds: maint.KindNames(q.Kinds), Area: gis.BBoxOf(q.Tile.Bound(1.0 / 16))}
}

// Tile is a rendered vector tile and its validator.
type Tile struct {
	Data []byte
	// ETag is the tile's one validator, made here and nowhere else: a
	// strong, quoted hash of Data, so it changes exactly when the tile does
	// (an asset's geometry, name, code or status) and not when something
	// outside the tile or not shown in it changes. It stays the same
	// whether the tile is rendered or served from a cache, gzipped or not.
	ETag string
}

// Tile renders a vector tile afresh in PostGIS.
func (r *Renderer) Tile(ctx context.Context, q TileRequest) (*Tile, error) {
	b, err := r.store.Tile(ctx, q.Kinds, q.Tile)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return &Tile{Data: b, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}, nil
}
