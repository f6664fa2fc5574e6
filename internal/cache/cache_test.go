package cache

import (
	"strings"
	"testing"

	"inframap/gis"
)

var jingyang = gis.BBox{MinLon: 125.26, MinLat: 43.87, MaxLon: 125.28, MaxLat: 43.89}

func entry(key string, kinds []string, area gis.BBox, size int) *Entry {
	return &Entry{Key: key, Kinds: kinds, Area: area, Body: []byte(strings.Repeat("x", size))}
}

func TestChangedDropsWhatItTouches(t *testing.T) {
	c := New(1 << 20)
	g := c.Generation()
	c.Put(g, entry("tile-a", []string{"manhole"}, jingyang, 10))
	c.Put(g, entry("tile-b", []string{"manhole"}, gis.BBox{MinLon: 125.1, MinLat: 43.8, MaxLon: 125.11, MaxLat: 43.81}, 10))
	c.Put(g, entry("roads", []string{"road_repair"}, World, 10))
	c.Put(g, entry("stats", []string{"manhole", "road_repair", "tasks"}, World, 10))
	// A manhole moved near Jingyang Square.
	c.Changed("manhole", gis.BBox{MinLon: 125.27, MinLat: 43.88, MaxLon: 125.27, MaxLat: 43.88})
	for key, want := range map[string]bool{"tile-a": false, "tile-b": true, "roads": true, "stats": false} {
		if got := c.Get(key) != nil; got != want {
			t.Errorf("%s cached = %v, want %v", key, got, want)
		}
	}
	c.Changed("tasks", World)
	c.Flush()
	if c.Get("tile-b") != nil || c.Get("roads") != nil {
		t.Error("Flush kept entries")
	}
}

// TestStaleRenderRefused: a render that began before a change it depends on
// is not stored; one that does not depend on it is.
func TestStaleRenderRefused(t *testing.T) {
	c := New(1 << 20)
	g := c.Generation()
	c.Changed("manhole", jingyang)
	if c.Put(g, entry("tile-a", []string{"manhole"}, jingyang, 10)) {
		t.Error("a render older than a change it shows was stored")
	}
	if !c.Put(g, entry("roads", []string{"road_repair"}, jingyang, 10)) {
		t.Error("a render unaffected by the change was refused")
	}
	// Once changes are forgotten, old renders are refused whatever they show.
	for range keepChanges + 1 {
		c.Changed("areas", World)
	}
	if c.Put(g, entry("parks", []string{"parking_lot"}, jingyang, 10)) {
		t.Error("a render older than the remembered changes was stored")
	}
}

func TestEvictionAndSuspend(t *testing.T) {
	c := New(16 << 10)
	g := c.Generation()
	for i := range 20 {
		c.Put(g, entry(string(rune('a'+i)), []string{"manhole"}, jingyang, 1000))
	}
	st := c.Stats()
	if st.Bytes > 16<<10 || st.Evictions == 0 || c.Get("t") == nil || c.Get("a") != nil {
		t.Errorf("LRU: %+v", st)
	}
	if c.Put(g, entry("big", nil, World, 4<<10)) {
		t.Error("an entry over an eighth of the cache was stored")
	}
	c.Suspend()
	if c.Get("t") != nil || c.Put(c.Generation(), entry("x", nil, World, 10)) {
		t.Error("a suspended cache served or stored")
	}
	c.Resume()
	if !c.Put(c.Generation(), entry("x", nil, World, 10)) || c.Get("x") == nil {
		t.Error("a resumed cache does not store")
	}
}
