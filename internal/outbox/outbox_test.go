package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/outbox"
	"inframap/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestEnqueueInTransaction: an event exists exactly when its transaction
// commits.
func TestEnqueueInTransaction(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.SQL(t, pgtest.NewDB(t, pgtest.Empty))
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Enqueue(ctx, tx, outbox.Event{Kind: "test.rolled_back"}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	tx, _ = pool.Begin(ctx)
	id, err := outbox.Enqueue(ctx, tx, outbox.Event{Kind: "test.committed", Payload: map[string]any{"ref": "X-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	rows, _ := pool.Query(ctx, `SELECT kind FROM outbox_events ORDER BY created_at`)
	kinds, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) != 1 || kinds[0] != "test.committed" || id == "" {
		t.Fatalf("outbox holds %v (id %q), want only test.committed", kinds, id)
	}
	if _, err := outbox.Enqueue(ctx, pool, outbox.Event{Kind: "Bad Kind"}); err == nil {
		t.Error("Enqueue accepted a kind that is not a dotted lower-case name")
	}
}

// TestTwoDispatchersOnce: two dispatchers working the same outbox deliver
// every delivery exactly once; a failing send is retried with backoff.
func TestTwoDispatchersOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.SQL(t, pgtest.NewDB(t, pgtest.Empty))
	const events = 60
	for i := range events {
		tx, _ := pool.Begin(ctx)
		if _, err := outbox.Enqueue(ctx, tx, outbox.Event{Kind: "test.event", Payload: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	route := func(ctx context.Context, tx pgx.Tx, id, kind string, task int64, p json.RawMessage) ([]outbox.Recipient, error) {
		return []outbox.Recipient{{Channel: "email", Address: "a@example.org"}, {Channel: "email", Address: "b@example.org"}, {Channel: "inapp", Address: "7"}}, nil
	}
	var mu sync.Mutex
	seen := map[string]int{}
	failedOnce := map[string]bool{}
	send := func(ctx context.Context, d outbox.Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		if d.Recipient == "7" && !failedOnce[d.ID] && len(failedOnce) < 3 {
			failedOnce[d.ID] = true
			return errors.New("receiver answered 500")
		}
		seen[d.ID]++
		return nil
	}
	var wg sync.WaitGroup
	for range 2 {
		d := &outbox.Dispatcher{Pool: pool, Route: route, Send: send, Batch: 10, Idle: 20 * time.Millisecond}
		wg.Go(func() { d.Run(ctx) })
	}
	// The three failed sends wait their backoff; make them due now once
	// they have failed, so the test does not wait 2 s on a busy machine
	// less than it must.
	want := events*3 - 3
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n >= want {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		time.Sleep(20 * time.Millisecond)
	}
	pool.Exec(ctx, `UPDATE outbox_deliveries SET next_at = now() WHERE status = 'pending'`)
	for {
		var pending int
		pool.QueryRow(ctx, `SELECT count(*) FROM outbox_deliveries WHERE status <> 'sent' OR (SELECT count(*) FROM outbox_events WHERE fanned_at IS NULL) > 0`).Scan(&pending)
		if pending == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != events*3 {
		t.Fatalf("%d deliveries sent, want %d", len(seen), events*3)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s sent %d times", id, n)
		}
	}
	var retried int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox_deliveries WHERE attempts = 2`).Scan(&retried)
	if retried != 3 {
		t.Errorf("%d deliveries took two attempts, want 3", retried)
	}
}

// TestKilledMidBatch: a dispatcher killed while it sends (its transaction
// never commits) leaves that delivery pending; another started after it
// sends the rest and that one again, under the same id, so a receiver that
// drops repeats by id takes every message exactly once.
func TestKilledMidBatch(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.SQL(t, pgtest.NewDB(t, pgtest.Empty))
	const events = 20
	for i := range events {
		if _, err := outbox.Enqueue(ctx, pool, outbox.Event{Kind: "test.event", Payload: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	route := func(ctx context.Context, tx pgx.Tx, id, kind string, task int64, p json.RawMessage) ([]outbox.Recipient, error) {
		return []outbox.Recipient{{Channel: "webhook", Address: "1"}}, nil
	}
	var mu sync.Mutex
	received := map[string]int{} // at the receiver, by delivery id
	taken := map[string]bool{}   // what the receiver keeps after dropping repeats
	receive := func(id string) {
		mu.Lock()
		defer mu.Unlock()
		received[id]++
		taken[id] = true
	}
	// The first dispatcher is killed in its sixth send, after the receiver
	// got the message and before the dispatcher could mark it sent.
	killCtx, kill := context.WithCancel(ctx)
	sends := 0
	inFlight := ""
	first := &outbox.Dispatcher{Pool: pool, Route: route, Idle: 10 * time.Millisecond, Send: func(c context.Context, d outbox.Delivery) error {
		receive(d.ID)
		if sends++; sends == 6 {
			inFlight = d.ID
			kill()
			<-c.Done()
			return c.Err()
		}
		return nil
	}}
	done := make(chan struct{})
	go func() { first.Run(killCtx); close(done) }()
	<-done
	var sent int
	pool.QueryRow(ctx, `SELECT count(*) FROM outbox_deliveries WHERE status = 'sent'`).Scan(&sent)
	if sent != 5 || inFlight == "" {
		t.Fatalf("after the kill: %d sent (want 5), in flight %q", sent, inFlight)
	}
	// Restarted: the second dispatcher finishes the work.
	ctx2, stop := context.WithCancel(ctx)
	defer stop()
	second := &outbox.Dispatcher{Pool: pool, Route: route, Idle: 10 * time.Millisecond, Send: func(c context.Context, d outbox.Delivery) error {
		receive(d.ID)
		return nil
	}}
	go second.Run(ctx2)
	deadline := time.Now().Add(30 * time.Second)
	for {
		pool.QueryRow(ctx, `SELECT count(*) FROM outbox_deliveries WHERE status = 'sent'`).Scan(&sent)
		if sent == events || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	if sent != events || len(taken) != events {
		t.Fatalf("%d sent, %d distinct messages received; want %d each", sent, len(taken), events)
	}
	for id, n := range received {
		want := 1
		if id == inFlight {
			want = 2 // sent again under the same id: the receiver drops the repeat
		}
		if n != want {
			t.Errorf("delivery %s received %d times, want %d", id, n, want)
		}
	}
}
