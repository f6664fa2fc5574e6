package postgres_test

import (
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"inframap/internal/postgres/pgtest"
)

// TestSharedLimiter: burst events at once per key, then a refusal that says
// how long to wait (about one interval for the next); keys and limits are
// apart.
func TestSharedLimiter(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := db.SharedLimiter("test", time.Hour, 3, log)
	for i := range 3 {
		if ok, _ := l.Allow("ip:1"); !ok {
			t.Fatalf("event %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("ip:1")
	if ok || wait < 59*time.Minute || wait > time.Hour {
		t.Errorf("after the burst: allowed %v, wait %v (want about an hour)", ok, wait)
	}
	if ok, _ := l.Allow("ip:2"); !ok {
		t.Error("another key refused")
	}
	if ok, _ := db.SharedLimiter("other", time.Hour, 1, log).Allow("ip:1"); !ok {
		t.Error("another limit refused")
	}
	fast := db.SharedLimiter("fast", 50*time.Millisecond, 1, log)
	fast.Allow("k")
	if ok, _ := fast.Allow("k"); ok {
		t.Error("a second event within the interval allowed")
	}
	time.Sleep(60 * time.Millisecond)
	if ok, _ := fast.Allow("k"); !ok {
		t.Error("an event after the interval refused")
	}
}

// BenchmarkSharedLimiter is the cost of one shared limit check (one
// statement on the database), many keys.
func BenchmarkSharedLimiter(b *testing.B) {
	db := pgtest.NewDB(b, pgtest.Empty)
	l := db.SharedLimiter("bench", time.Millisecond, 1000, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow("ip:" + strconv.Itoa(i%500))
			i++
		}
	})
}
