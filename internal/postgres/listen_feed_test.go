package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// feedRecorder is a change feed that counts the notices it is given.
type feedRecorder struct {
	mu       sync.Mutex
	notices  []postgres.Change
	restored chan struct{}
	once     sync.Once
}

func (f *feedRecorder) Changed(c postgres.Change) {
	f.mu.Lock()
	f.notices = append(f.notices, c)
	f.mu.Unlock()
}
func (f *feedRecorder) Lost()     {}
func (f *feedRecorder) Restored() { f.once.Do(func() { close(f.restored) }) }

// count is how many notices have arrived.
func (f *feedRecorder) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.notices)
}

// withFeed opens a store on db's database whose writes wait until a
// listening feed has their notices, as the service's are.
func withFeed(t *testing.T, db *postgres.DB) (*postgres.DB, *feedRecorder) {
	t.Helper()
	feed := &feedRecorder{restored: make(chan struct{})}
	fed := pgtest.Open(t, db.URL(), postgres.Config{Changes: feed})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fed.ListenChanges(ctx, func(err error) { t.Logf("listen: %v", err) }) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-feed.restored:
	case <-time.After(10 * time.Second):
		t.Fatal("the change feed did not start listening")
	}
	return fed, feed
}
