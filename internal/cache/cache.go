// Package cache keeps rendered responses — vector tiles, GeoJSON pages, the
// report card — in memory, bounded in bytes, and drops each one the moment
// the data it shows changes. Every entry says what it depends on: the kinds
// of data it shows (asset kinds, "tasks", "areas") and the area it covers.
// A change notice (from PostgreSQL NOTIFY, so every copy of the service gets
// it) names a kind and the bounding box it touched; entries of that kind
// whose area meets the box go.
//
// A render that started before a change and finishes after it must not be
// stored: it may show the old data. Renders note the generation when they
// start; Put refuses an entry if a change it depends on came since.
package cache

import (
	"container/list"
	"slices"
	"sync"
	"time"

	"inframap/gis"
)

// World is the area of an entry that depends on everything of its kinds.
var World = gis.BBox{MinLon: -180, MinLat: -90, MaxLon: 180, MaxLat: 90}

// Entry is a cached response.
type Entry struct {
	Key string
	// Kinds and Area say what the entry shows.
	Kinds []string
	Area  gis.BBox
	// Status, ContentType and the bodies are replayed as they are.
	Status      int
	ContentType string
	Header      map[string]string
	Body        []byte // identity encoding
	Gzip        []byte // the same, gzip-compressed; nil when not worth it
	ETag        string
	// Expires, when set, is when the entry goes stale though nothing it
	// shows changed: answers that move with the clock (time limits).
	Expires time.Time
}

func (e *Entry) size() int { return len(e.Key) + len(e.Body) + len(e.Gzip) + 256 }

// change is a remembered change, for renders still in flight.
type change struct {
	gen  uint64
	kind string // "" means everything
	area gis.BBox
}

// Cache is a bounded LRU of entries. It is safe for concurrent use.
type Cache struct {
	mu     sync.Mutex
	max    int
	used   int
	lru    *list.List // front: most recent; values *Entry
	items  map[string]*list.Element
	gen    uint64
	recent []change // the last changes, oldest first
	down   bool     // the change feed is down: nothing is served or stored
	stats  Stats
}

// Stats count the cache's work.
type Stats struct {
	Hits, Misses, Stores, Refused, Evictions, Invalidations uint64
	Entries, Bytes                                          int
}

// keepChanges bounds the changes remembered for renders in flight; a render
// older than all of them is refused.
const keepChanges = 256

// New returns a cache of at most maxBytes.
func New(maxBytes int) *Cache {
	return &Cache{max: maxBytes, lru: list.New(), items: map[string]*list.Element{}}
}

// Generation is the current change generation: note it before rendering
// and give it to Put.
func (c *Cache) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// Get returns the entry for key, if cached.
func (c *Cache) Get(key string) *Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		c.stats.Misses++
		return nil
	}
	el := c.items[key]
	if el == nil {
		c.stats.Misses++
		return nil
	}
	if e := el.Value.(*Entry); !e.Expires.IsZero() && !time.Now().Before(e.Expires) {
		c.remove(el)
		c.stats.Misses++
		return nil
	}
	c.lru.MoveToFront(el)
	c.stats.Hits++
	return el.Value.(*Entry)
}

// Put stores e, rendered from data as of generation gen, unless a change it
// depends on came since, the cache is suspended, or e is too large.
func (c *Cache) Put(gen uint64, e *Entry) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down || e.size() > c.max/8 || c.staleSince(gen, e) {
		c.stats.Refused++
		return false
	}
	if el := c.items[e.Key]; el != nil {
		c.remove(el)
	}
	c.items[e.Key] = c.lru.PushFront(e)
	c.used += e.size()
	c.stats.Stores++
	for c.used > c.max {
		c.remove(c.lru.Back())
		c.stats.Evictions++
	}
	return true
}

func (c *Cache) staleSince(gen uint64, e *Entry) bool {
	if gen == c.gen {
		return false
	}
	if len(c.recent) == 0 || c.recent[0].gen > gen+1 {
		// Changes were forgotten since the render began.
		return true
	}
	for _, ch := range c.recent {
		if ch.gen > gen && affects(ch, e) {
			return true
		}
	}
	return false
}

func affects(ch change, e *Entry) bool {
	if ch.kind != "" && !slices.Contains(e.Kinds, ch.kind) {
		return false
	}
	return intersects(ch.area, e.Area)
}

func intersects(a, b gis.BBox) bool {
	return a.MinLon <= b.MaxLon && b.MinLon <= a.MaxLon && a.MinLat <= b.MaxLat && b.MinLat <= a.MaxLat
}

func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*Entry)
	delete(c.items, e.Key)
	c.used -= e.size()
}

// Changed drops the entries that show kind within area ("" kind: every
// kind) and remembers the change for renders in flight.
func (c *Cache) Changed(kind string, area gis.BBox) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	ch := change{gen: c.gen, kind: kind, area: area}
	c.recent = append(c.recent, ch)
	if len(c.recent) > keepChanges {
		c.recent = slices.Delete(c.recent, 0, len(c.recent)-keepChanges)
	}
	c.stats.Invalidations++
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if affects(ch, el.Value.(*Entry)) {
			c.remove(el)
		}
		el = next
	}
}

// Flush drops everything: after the change feed was interrupted, nothing
// cached can be trusted.
func (c *Cache) Flush() { c.Changed("", World) }

// Suspend stops serving and storing until Resume: the change feed is down,
// so changes could go unnoticed.
func (c *Cache) Suspend() {
	c.mu.Lock()
	c.down = true
	c.mu.Unlock()
	c.Flush()
}

// Resume serves and stores again, from empty: call it once the change feed
// is back.
func (c *Cache) Resume() {
	c.Flush()
	c.mu.Lock()
	c.down = false
	c.mu.Unlock()
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries, s.Bytes = c.lru.Len(), c.used
	return s
}
