package postgres_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"inframap/internal/notify"
	"inframap/internal/notify/smtptest"
	"inframap/internal/outbox"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// mailBench is a case followed by many e-mail subscribers, two dispatchers
// (as two copies of the service run them) sending into a real SMTP server,
// and the receipt time of each delivery.
type mailBench struct {
	db        *postgres.DB
	sql       *pgxpool.Pool
	sink      *smtptest.Server
	tasks     []int64
	followers int // per case
	mu        sync.Mutex
	received  map[string]time.Time // delivery id → first receipt
	repeats   int
	committed map[string]time.Time // event id → commit
}

func newMailBench(b *testing.B, cases, followers int) *mailBench {
	m := &mailBench{db: pgtest.NewDB(b, pgtest.District), followers: followers,
		received: map[string]time.Time{}, committed: map[string]time.Time{}}
	m.sql = pgtest.SQL(b, m.db)
	ctx := context.Background()
	rows, err := m.sql.Query(ctx, `SELECT id FROM tasks ORDER BY id LIMIT $1`, cases)
	if err != nil {
		b.Fatal(err)
	}
	if m.tasks, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil || len(m.tasks) < cases {
		b.Fatalf("%d cases: %v", len(m.tasks), err)
	}
	if _, err := m.sql.Exec(ctx, `INSERT INTO subscriptions (channel, address, lang, task_id, source, consent_at, confirmed_at)
		SELECT 'email', 'r' || t || '-' || g || '@bench.example', CASE WHEN g % 2 = 0 THEN 'en' ELSE 'zh' END, t, 'follow',
		       now() - interval '1 minute', now() - interval '1 minute'
		FROM unnest($1::bigint[]) t, generate_series(1, $2) g`, m.tasks, followers); err != nil {
		b.Fatal(err)
	}
	sink, err := smtptest.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sink.Close)
	sink.Count = func(msg smtptest.Message) {
		id := msg.Header.Get("Inframap-Delivery")
		m.mu.Lock()
		if _, ok := m.received[id]; ok {
			m.repeats++
		} else {
			m.received[id] = msg.Received
		}
		m.mu.Unlock()
	}
	m.sink = sink
	return m
}

// run starts two dispatchers until ctx ends.
func (m *mailBench) run(b *testing.B, ctx context.Context) {
	for range 2 {
		mailer, err := notify.NewMailer(notify.MailConfig{URL: "smtp+plain://" + m.sink.Addr, From: "inframap@bench.example"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(mailer.Close)
		s := &notify.Sender{Store: m.db, PublicURL: "https://map.example", Mail: mailer}
		d := m.db.Dispatcher(s.Send)
		d.Idle = 5 * time.Millisecond
		go d.Run(ctx)
	}
}

// change commits one change of case i: an event for each of its followers.
func (m *mailBench) change(b *testing.B, i int) {
	id, err := outbox.Enqueue(context.Background(), m.sql, outbox.Event{Kind: "task.changed", TaskID: m.tasks[i%len(m.tasks)],
		Payload: map[string]any{"from": "reported", "to": "filed"}})
	if err != nil {
		b.Fatal(err)
	}
	m.mu.Lock()
	m.committed[id] = time.Now()
	m.mu.Unlock()
}

func (m *mailBench) unique() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.received)
}

// wait waits until n distinct deliveries have arrived, or the deadline.
func (m *mailBench) wait(b *testing.B, n int, limit time.Duration) bool {
	end := time.Now().Add(limit)
	for m.unique() < n {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// report waits for want messages and reports messages/s since start,
// repeats and the latencies.
func (m *mailBench) report(b *testing.B, want int, start time.Time) {
	if !m.wait(b, want, 5*time.Minute) {
		b.Fatalf("%d of %d messages in 5 min", m.unique(), want)
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(want)/el.Seconds(), "messages/s")
	b.ReportMetric(float64(m.repeats), "repeats")
	m.latencies(b)
}

// latencies reports commit → SMTP receipt p50 and p99.
func (m *mailBench) latencies(b *testing.B) {
	rows, err := m.sql.Query(context.Background(), `SELECT id::text, event_id::text FROM outbox_deliveries WHERE channel = 'email'`)
	if err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	m.mu.Lock()
	for rows.Next() {
		var d, e string
		rows.Scan(&d, &e)
		if at, ok := m.received[d]; ok {
			lat = append(lat, at.Sub(m.committed[e]))
		}
	}
	m.mu.Unlock()
	rows.Close()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
	}
}

// BenchmarkOutboxEmail: changes of a case followed by 500 e-mail
// subscribers, through the outbox by two dispatchers into a real SMTP
// server (emersion/go-smtp on loopback), each message rendered in its
// subscriber's language with its own unsubscribe link. b.N is messages
// (rounded up to whole changes; at most ten changes, the hourly limit
// before digests). Reports messages/s and commit → SMTP receipt p50/p99.
//
//	go test -run '^$' -bench OutboxEmail -benchtime 5000x ./internal/postgres/
func BenchmarkOutboxEmail(b *testing.B) {
	m := newMailBench(b, 1, 500)
	changes := min(max((b.N+m.followers-1)/m.followers, 1), postgres.InstantPerHour)
	want := changes * m.followers
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	m.run(b, ctx)
	b.ResetTimer()
	start := time.Now()
	for range changes {
		m.change(b, 0)
	}
	m.report(b, want, start)
}

// BenchmarkOutboxEmailSteady: the commit → SMTP receipt latency at a
// steady 500 messages/s offered (a change of one of 100 cases, each
// followed by 50, every 100 ms, for b.N messages), through two
// dispatchers into a real SMTP server. Reports p50/p99 and messages/s.
//
//	go test -run '^$' -bench OutboxEmailSteady -benchtime 10000x ./internal/postgres/
func BenchmarkOutboxEmailSteady(b *testing.B) {
	m := newMailBench(b, 100, 50)
	changes := max(b.N/m.followers, 1)
	want := changes * m.followers
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	m.run(b, ctx)
	b.ResetTimer()
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := range changes {
		m.change(b, i)
		<-tick.C
	}
	m.report(b, want, start)
}

// BenchmarkOutboxEmailRestart: a backlog of 5,000 messages; PostgreSQL is
// stopped (fast shutdown) while they are being sent and started again five
// seconds later. Reports how many were lost (must be 0), how many a receiver
// saw twice (a send in flight at the stop: the same delivery id, dropped by
// the receiver), and the seconds from PostgreSQL's return to the last
// message. Needs the throwaway cluster (not INFRAMAP_TEST_DATABASE_URL).
func BenchmarkOutboxEmailRestart(b *testing.B) {
	cluster := pgtest.Cluster()
	if cluster == nil {
		b.Skip("needs the throwaway cluster: unset " + pgtest.EnvURL)
	}
	for range b.N {
		m := newMailBench(b, 1, 500)
		want := 10 * m.followers
		ctx, stop := context.WithCancel(context.Background())
		for range 10 {
			m.change(b, 0)
		}
		m.run(b, ctx)
		m.wait(b, want/5, time.Minute)
		if !cluster.StopServer() {
			b.Fatal("PostgreSQL did not stop")
		}
		atStop := m.unique()
		time.Sleep(5 * time.Second)
		if err := cluster.StartServer(context.Background()); err != nil {
			b.Fatal(err)
		}
		back := time.Now()
		ok := m.wait(b, want, 2*time.Minute)
		drain := time.Since(back)
		stop()
		if !ok {
			b.Fatalf("lost: %d of %d messages 2 min after PostgreSQL came back", want-m.unique(), want)
		}
		b.ReportMetric(float64(atStop), "sent-before-stop")
		b.ReportMetric(float64(want-m.unique()), "lost")
		b.ReportMetric(float64(m.repeats), "repeats")
		b.ReportMetric(drain.Seconds(), "drain-s")
	}
}
