package postgres

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"inframap/gis"
	"inframap/internal/readpref"
)

// ChangeChannel is where migration 005's triggers announce changes.
const ChangeChannel = "inframap_changes"

// Change is one change notice: a kind of data (an asset kind, "tasks",
// "areas") and, for assets, the bounding box touched.
type Change struct {
	Kind string    `json:"kind"`
	BBox []float64 `json:"bbox"`
	// ID names a barrier notice (kind "barrier"), which a write sends to
	// learn when the feed has seen it.
	ID string `json:"id,omitempty"`
}

// Area returns the box a change touched, or nil for "anywhere".
func (c Change) Area() *gis.BBox {
	if len(c.BBox) != 4 {
		return nil
	}
	return &gis.BBox{MinLon: c.BBox[0], MinLat: c.BBox[1], MaxLon: c.BBox[2], MaxLat: c.BBox[3]}
}

// ChangeFeed receives the change notices.
type ChangeFeed interface {
	// Changed is called for each notice.
	Changed(c Change)
	// Lost is called when the feed is interrupted: notices may be missed
	// until Restored is called (on every connection, first or again).
	Lost()
	Restored()
}

// ListenChanges delivers the change notices to the Config's Changes feed
// until ctx ends, on a connection of its own, reconnecting after a second
// when it breaks. Without a feed it returns at once.
func (db *DB) ListenChanges(ctx context.Context, logError func(error)) {
	if db.feed == nil {
		return
	}
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.Connect(ctx, db.url)
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				db.feed.Lost()
				logError(err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(ChangeChannel, changeHandler{feed: db.feed, logError: logError, replicas: db.replicas})
	l.Listen(ctx)
}

// changeBarrier lets a write wait until the feed has seen it: a barrier
// notice goes out after the commit and comes back through the listener.
// Notices reach a listener in commit order, so when the barrier arrives
// every change committed before it has arrived too.
type changeBarrier struct {
	ChangeFeed
	mu      sync.Mutex
	up      bool
	waiters map[string]chan struct{}
}

func (b *changeBarrier) Changed(c Change) {
	if c.Kind != "barrier" {
		b.ChangeFeed.Changed(c)
		return
	}
	b.mu.Lock()
	if ch := b.waiters[c.ID]; ch != nil {
		close(ch)
		delete(b.waiters, c.ID)
	}
	b.mu.Unlock()
}

func (b *changeBarrier) Lost() {
	b.mu.Lock()
	b.up = false
	b.mu.Unlock()
	b.ChangeFeed.Lost()
}

func (b *changeBarrier) Restored() {
	b.mu.Lock()
	b.up = true
	b.mu.Unlock()
	b.ChangeFeed.Restored()
}

// barrierWait is how long a write waits for its barrier before it tells the
// feed that anything may have changed.
const barrierWait = 2 * time.Second

// sync waits until every change committed so far has reached the feed.
// While the feed is down there is nothing to wait for: its consumer treats
// everything as changed until it is restored.
func (db *DB) sync(ctx context.Context) {
	b := db.feed
	b.mu.Lock()
	if !b.up {
		b.mu.Unlock()
		return
	}
	id := rand.Text()
	ch := make(chan struct{})
	b.waiters[id] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.waiters, id)
		b.mu.Unlock()
	}()
	msg, _ := json.Marshal(Change{Kind: "barrier", ID: id})
	if _, err := db.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, ChangeChannel, string(msg)); err != nil {
		b.ChangeFeed.Changed(Change{}) // a change to everything
		return
	}
	select {
	case <-ch:
	case <-time.After(barrierWait):
		b.ChangeFeed.Changed(Change{})
	case <-ctx.Done():
	}
}

type changeHandler struct {
	feed     ChangeFeed
	logError func(error)
	// replicas, when set, learn the primary's WAL position as each notice
	// arrives, before the feed hears of it (replicas.go): a render read
	// from a replica behind it is not cached.
	replicas *replicaSet
}

// notePosition records the primary's WAL position on the listener's
// connection: at least the end of every commit whose notice has arrived.
func (h changeHandler) notePosition(ctx context.Context, conn *pgx.Conn) error {
	if h.replicas == nil {
		return nil
	}
	var s string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&s); err != nil {
		return err
	}
	l, err := readpref.ParseLSN(s)
	if err != nil {
		return err
	}
	h.replicas.noteFeedLSN(l)
	return nil
}

func (h changeHandler) HandleNotification(ctx context.Context, n *pgconn.Notification, conn *pgx.Conn) error {
	var c Change
	if err := json.Unmarshal([]byte(n.Payload), &c); err != nil || c.Kind != "barrier" {
		// The position must be known before the cache drops what the
		// change made stale; a broken connection is the listener's to
		// handle.
		if perr := h.notePosition(ctx, conn); perr != nil {
			// Without the position a replica's render could be cached after
			// its invalidation: drop the connection, so the cache is
			// suspended and starts afresh once the listener is back.
			conn.Close(ctx)
			return perr
		}
	}
	if err := json.Unmarshal([]byte(n.Payload), &c); err != nil {
		// Unreadable: treat it as a change to everything, and say so. The
		// connection is fine: returning the error would tell the feed it
		// was lost.
		h.feed.Changed(Change{})
		h.logError(fmt.Errorf("unreadable change notice %q: %w", n.Payload, err))
		return nil
	}
	h.feed.Changed(c)
	return nil
}

// HandleBacklog runs on every (re)connection, once LISTEN is in place:
// whatever changed while no one listened is unknown, so the cache restarts.
func (h changeHandler) HandleBacklog(ctx context.Context, channel string, conn *pgx.Conn) error {
	if err := h.notePosition(ctx, conn); err != nil {
		return err
	}
	h.feed.Restored()
	return nil
}
