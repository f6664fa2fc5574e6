package postgres_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"inframap/internal/outbox"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/webhook"
)

// BenchmarkOutboxWebhooks: b.N events through the outbox to one webhook
// receiver (an HTTP server on loopback answering 200) by two dispatchers,
// as two copies of the service would run them; reports deliveries/s and
// the commit → receipt latency (p50, p99).
func BenchmarkOutboxWebhooks(b *testing.B) {
	db := pgtest.NewDB(b, pgtest.Empty)
	sql := pgtest.SQL(b, db)
	ctx := context.Background()
	var got atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(200)
	}))
	defer recv.Close()
	if _, err := sql.Exec(ctx, `INSERT INTO webhook_endpoints (url, events, secret) VALUES ($1, '{*}', 'bench-secret-0123456789')`, recv.URL); err != nil {
		b.Fatal(err)
	}
	committed := map[string]time.Time{}
	var cmu sync.Mutex
	send := func(hooks *webhook.Sender) outbox.Sender {
		return func(ctx context.Context, d outbox.Delivery) error {
			err := hooks.Send(ctx, d.ID, d.EventID, d.Kind, d.TaskID, d.Payload, d.Recipient)
			cmu.Lock()
			at, ok := committed[d.EventID]
			cmu.Unlock()
			if ok && err == nil {
				mu.Lock()
				lat = append(lat, time.Since(at))
				mu.Unlock()
			}
			return err
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	for range 2 {
		d := db.Dispatcher(send(&webhook.Sender{Store: db}))
		d.Idle = 5 * time.Millisecond
		go d.Run(runCtx)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		id, err := outbox.Enqueue(ctx, sql, outbox.Event{Kind: "task.changed", Payload: map[string]any{"i": i}})
		if err != nil {
			b.Fatal(err)
		}
		cmu.Lock()
		committed[id] = time.Now()
		cmu.Unlock()
	}
	for got.Load() < int64(b.N) {
		time.Sleep(2 * time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	mu.Lock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
	}
	mu.Unlock()
	b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
}
