package render

import (
	"context"
	"errors"
	"testing"
	"time"

	"inframap/gis"
	"inframap/internal/maint"
)

// TestTileScope: a tile shows its layer's kinds within itself and a
// sixteenth of it on every side; a cluster tile its kind within itself.
func TestTileScope(t *testing.T) {
	q, err := ParseTile("manhole", "14", "13893", "5965")
	if err != nil {
		t.Fatal(err)
	}
	b, sc := q.Tile.Bound(), q.Scope()
	// The margin is a sixteenth of the tile in its own (Mercator) units:
	// exact in longitude, a little uneven in latitude.
	w := (b.Max[0] - b.Min[0]) / 16
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	if !near(sc.Area.MinLon, b.Min[0]-w) || !near(sc.Area.MaxLon, b.Max[0]+w) ||
		!(sc.Area.MinLat < b.Min[1] && sc.Area.MaxLat > b.Max[1]) || sc.Area != gis.BBoxOf(q.Tile.Bound(1.0/16)) {
		t.Errorf("tile %v: area %+v, want it with a sixteenth on every side", b, sc.Area)
	}
	if len(sc.Kinds) != 1 || sc.Kinds[0] != "manhole" {
		t.Errorf("kinds %v", sc.Kinds)
	}
	all, _ := ParseTile(AllLayers, "0", "0", "0")
	if got := all.Scope().Kinds; len(got) != len(maint.Kinds) {
		t.Errorf("layer all shows %v", got)
	}
	c, _ := ParseCluster("manhole", "14", "13893", "5965")
	if cs := c.Scope(); cs.Area.MinLon != b.Min[0] || cs.Area.MaxLat != b.Max[1] || cs.Kinds[0] != "manhole" {
		t.Errorf("cluster scope %+v, want the tile %v", cs, b)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		layer, z, x, y string
		code           maint.Code
	}{
		{"manholes", "1", "0", "0", maint.CodeNotFound},
		{"all", "23", "0", "0", maint.CodeNotFound},
		{"all", "1", "2", "0", maint.CodeNotFound},
		{"all", "a", "0", "0", maint.CodeInvalid},
		{"all", "1", "-1", "0", maint.CodeInvalid},
	} {
		if _, err := ParseTile(c.layer, c.z, c.x, c.y); maint.ErrorCode(err) != c.code {
			t.Errorf("tile %s/%s/%s/%s: %v, want %s", c.layer, c.z, c.x, c.y, err, c.code)
		}
	}
	if _, err := ParseCluster("pipes", "1", "0", "0"); maint.ErrorCode(err) != maint.CodeNotFound {
		t.Errorf("cluster of an unknown kind: %v", err)
	}
}

// TestSlot: past the wait a busy renderer says to come back in a second;
// a caller that gave up gets its own error.
func TestSlot(t *testing.T) {
	r := New(nil, 1, 20*time.Millisecond)
	release, err := r.Slot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Slot(t.Context())
	if e, ok := maint.AsError(err); !ok || e.Code != maint.CodeUnavailable || e.RetryAfter != 1 {
		t.Errorf("busy: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := r.Slot(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("gone: %v", err)
	}
	release()
	if release, err := r.Slot(t.Context()); err != nil {
		t.Errorf("free again: %v", err)
	} else {
		release()
	}
}
