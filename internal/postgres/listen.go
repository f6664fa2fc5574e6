package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"inframap/gis"
)

// ChangeChannel is where migration 005's triggers announce changes.
const ChangeChannel = "inframap_changes"

// Change is one change notice: a kind of data (an asset kind, "tasks",
// "areas") and, for assets, the bounding box touched.
type Change struct {
	Kind string    `json:"kind"`
	BBox []float64 `json:"bbox"`
	// ID names a barrier notice (kind "barrier"): see NotifyBarrier.
	ID string `json:"id,omitempty"`
}

// NotifyBarrier sends a barrier notice. Notices reach a listener in commit
// order, so when it arrives every change committed before it has arrived
// too.
func (db *DB) NotifyBarrier(ctx context.Context, id string) error {
	b, _ := json.Marshal(Change{Kind: "barrier", ID: id})
	_, err := db.Pool.Exec(ctx, `SELECT pg_notify($1, $2)`, ChangeChannel, string(b))
	return translate(err, "barrier")
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

// ListenChanges delivers change notices to feed until ctx ends, on a
// connection of its own, reconnecting after a second when it breaks.
func (db *DB) ListenChanges(ctx context.Context, url string, feed ChangeFeed, logError func(error)) {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.Connect(ctx, url)
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				feed.Lost()
				logError(err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(ChangeChannel, changeHandler{feed})
	l.Listen(ctx)
}

type changeHandler struct{ feed ChangeFeed }

func (h changeHandler) HandleNotification(ctx context.Context, n *pgconn.Notification, conn *pgx.Conn) error {
	var c Change
	if err := json.Unmarshal([]byte(n.Payload), &c); err != nil {
		// Unreadable: treat it as a change to everything.
		h.feed.Changed(Change{})
		return err
	}
	h.feed.Changed(c)
	return nil
}

// HandleBacklog runs on every (re)connection, once LISTEN is in place:
// whatever changed while no one listened is unknown, so the cache restarts.
func (h changeHandler) HandleBacklog(ctx context.Context, channel string, conn *pgx.Conn) error {
	h.feed.Restored()
	return nil
}
