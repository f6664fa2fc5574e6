package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"inframap/internal/httpapi"
	"inframap/internal/postgres"
	"inframap/internal/postgres/devdb"
	"inframap/internal/postgres/pgtest"
	"inframap/web"
)

// TestDatabaseOutage stops PostgreSQL under a running server: requests get a
// 503 problem with Retry-After, fast, never a 500 or a hang; the process
// stays up; and when the database returns the service recovers by itself.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	c, err := devdb.Temp(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	db, err := postgres.Open(ctx, postgres.Config{URL: c.URL(devdb.DBName)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{BcryptCost: 4}, db, web.FS(), slog.New(slog.NewJSONHandler(io.Discard, nil))))
	defer srv.Close()
	get := func(path string) (int, string, time.Duration) {
		start := time.Now()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		var p struct{ Code string }
		json.NewDecoder(res.Body).Decode(&p)
		return res.StatusCode, res.Header.Get("Retry-After"), time.Since(start)
	}
	if code, _, _ := get("/api/v1/assets"); code != 200 {
		t.Fatalf("before the outage: %d", code)
	}
	c.StopServer()
	for _, path := range []string{"/api/v1/assets", "/api/v1/stats", "/api/v1/tasks", "/readyz", "/api/v1/assets/1"} {
		code, retry, d := get(path)
		if code != 503 || retry == "" {
			t.Errorf("%s during the outage: %d (Retry-After %q), want 503 with Retry-After", path, code, retry)
		}
		if d > 7*time.Second {
			t.Errorf("%s took %v during the outage", path, d)
		}
	}
	res, err := http.Post(srv.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", nil)
	if err != nil || res.StatusCode == 500 {
		t.Errorf("a write during the outage: %v %v", err, res.Status)
	}
	if code, _, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz during the outage: %d", code)
	}
	if err := c.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _, _ := get("/api/v1/assets")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery 20 s after the database came back: %d", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, path := range []string{"/readyz", "/api/v1/stats", "/api/v1/tasks"} {
		if code, _, _ := get(path); code != 200 {
			t.Errorf("%s after recovery: %d", path, code)
		}
	}
}

// TestAbortedRequests runs more clients than the pool has connections and
// cancels them at random (a map being panned) for a while — a minute by
// default, INFRAMAP_ABORT_SECONDS to change it — then checks that every
// endpoint still answers in time and no connection was lost.
func TestAbortedRequests(t *testing.T) {
	seconds := 60
	if v, err := strconv.Atoi(os.Getenv("INFRAMAP_ABORT_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	db, err := postgres.Open(context.Background(), postgres.Config{URL: pgtest.NewURL(t, pgtest.District), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{BcryptCost: 4}, db, web.FS(), slog.New(slog.NewJSONHandler(io.Discard, nil))))
	defer srv.Close()
	paths := []string{
		"/api/v1/assets?limit=1000&kind=manhole",
		"/api/v1/assets?bbox=125.2638,43.8755,125.2762,43.8845&limit=1000",
		"/api/v1/stats", "/api/v1/stats?as_of=2024-01-31",
		"/api/v1/tasks?limit=500", "/api/v1/assets/5", "/open311/v2/requests.json",
	}
	stop := time.Now().Add(time.Duration(seconds) * time.Second)
	var wg sync.WaitGroup
	var done, cancelled, served5xx atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for time.Now().Before(stop) {
				// Half the requests are abandoned within 60 ms, the others
				// wait long enough to be answered.
				wait := time.Duration(rng.IntN(60)) * time.Millisecond
				if rng.IntN(2) == 0 {
					wait = 10 * time.Second
				}
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+paths[rng.IntN(len(paths))], nil)
				res, err := client.Do(req)
				if err != nil {
					cancelled.Add(1)
				} else {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					done.Add(1)
					if res.StatusCode >= 500 && res.StatusCode != 503 {
						served5xx.Add(1)
					}
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d requests answered, %d cancelled by their client", done.Load(), cancelled.Load())
	if cancelled.Load() == 0 || done.Load() == 0 {
		t.Errorf("the test did not exercise cancellation: %d done, %d cancelled", done.Load(), cancelled.Load())
	}
	if served5xx.Load() > 0 {
		t.Errorf("%d answers were server errors other than 503", served5xx.Load())
	}
	// Every endpoint answers, in time, with every connection back in the pool.
	for _, p := range paths {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+p, nil)
		res, err := client.Do(req)
		if err != nil {
			t.Errorf("%s after the storm: %v", p, err)
		} else {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("%s after the storm: %d", p, res.StatusCode)
			}
		}
		cancel()
	}
	deadline := time.Now().Add(5 * time.Second)
	for db.PoolStat().Acquired != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still held after the storm", db.PoolStat().Acquired)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
