package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/postgres/devdb"
)

// TestReadReplica runs the service on a primary and a real streaming
// replica (pg_basebackup -R): with the replica's replay paused, a writer's
// next read shows its write while an anonymous read may be stale and says
// so; with the replica stopped reads go to the primary without a 5xx; when
// it returns it serves reads again.
func TestReadReplica(t *testing.T) {
	ctx := context.Background()
	primary, err := devdb.TempPrimary(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Stop() })
	standby, err := devdb.TempStandby(ctx, primary, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Stop() })

	var logBuf lockedBuffer
	base, stop := serveLog(t, map[string]string{
		"DATABASE_URL":             primary.URL(devdb.DBName),
		"DATABASE_READ_URL":        standby.URL(devdb.DBName),
		"INFRAMAP_REPLICA_MAX_LAG": "10m",
		"INFRAMAP_DEMO_PASSWORD":   "replica test password",
		"INFRAMAP_BCRYPT_COST":     "4",
		"INFRAMAP_LOG_LEVEL":       "warn",
	}, &logBuf, "-demo")
	defer stop()

	type readyz struct {
		Databases []struct {
			Name       string  `json:"name"`
			Reachable  bool    `json:"reachable"`
			InRotation bool    `json:"in_rotation"`
			LagSeconds float64 `json:"lag_seconds"`
		} `json:"databases"`
	}
	waitReplicaOn := func(base, what string, ok func(reachable, inRotation bool, lag float64) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			res, err := http.Get(base + "/readyz")
			if err == nil {
				var rz readyz
				json.NewDecoder(res.Body).Decode(&rz)
				res.Body.Close()
				if res.StatusCode == 200 && len(rz.Databases) == 2 && rz.Databases[1].Name == "replica-1" &&
					ok(rz.Databases[1].Reachable, rz.Databases[1].InRotation, rz.Databases[1].LagSeconds) {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz never said the replica %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitReplica := func(what string, ok func(reachable, inRotation bool, lag float64) bool) {
		t.Helper()
		waitReplicaOn(base, what, ok)
	}
	// The replica has replayed the demo district.
	waitReplica("caught up", func(r, in bool, lag float64) bool { return r && in && lag == 0 })

	type response struct {
		status         int
		body           string
		source, stale  string
		readAfter, hit string
	}
	do := func(method, path, tok, readAfter, body string, hdr ...string) response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if readAfter != "" {
			req.Header.Set("Inframap-Read-After", readAfter)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return response{status: res.StatusCode, body: string(b), source: res.Header.Get("Inframap-Read-Source"),
			stale: res.Header.Get("Inframap-Staleness"), readAfter: res.Header.Get("Inframap-Read-After"), hit: res.Header.Get("X-Cache")}
	}

	// A manhole, read anonymously: a replica in rotation serves it.
	var page struct {
		Features []struct {
			ID int64 `json:"id"`
		} `json:"features"`
	}
	r := do("GET", "/ogc/collections/manhole/items?limit=1&f=json", "", "", "")
	if r.status != 200 {
		t.Fatalf("items: %d %s", r.status, r.body)
	}
	if r.source != "replica-1" {
		t.Errorf("an anonymous OGC read was served by %q, want replica-1", r.source)
	}
	json.Unmarshal([]byte(r.body), &page)
	if len(page.Features) != 1 {
		t.Fatalf("no manhole: %s", r.body)
	}
	id := page.Features[0].ID
	item := fmt.Sprintf("/ogc/collections/manhole/items/%d?f=json", id)

	// A second copy allows the replica a lag of one second only.
	strict, stopStrictOnce := serve(t, map[string]string{
		"DATABASE_URL":             primary.URL(devdb.DBName),
		"DATABASE_READ_URL":        standby.URL(devdb.DBName),
		"INFRAMAP_REPLICA_MAX_LAG": "1s",
		"INFRAMAP_LOG_LEVEL":       "warn",
	})
	stopStrict := sync.OnceValue(stopStrictOnce)
	defer stopStrict()
	waitReplicaOn(strict, "in rotation on the strict copy", func(r, in bool, lag float64) bool { return r && in })

	// Pause the replica's replay.
	sconn, err := pgx.Connect(ctx, standby.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer sconn.Close(ctx)
	if _, err := sconn.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}

	// An engineer renames the manhole.
	var tok struct{ Token string }
	r = do("POST", "/api/v1/auth/tokens", "", "", `{"email":"engineer@demo","password":"replica test password","name":"t"}`)
	json.Unmarshal([]byte(r.body), &tok)
	if tok.Token == "" {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	w := do("PATCH", fmt.Sprintf("/api/v1/assets/%d", id), tok.Token, "", `{"type":"Feature","properties":{"name":"复制测试井"}}`, "If-Match", `"1"`)
	if w.status != 200 {
		t.Fatalf("rename: %d %s", w.status, w.body)
	}
	if w.readAfter == "" {
		t.Fatal("the write's response carries no Inframap-Read-After position")
	}

	// Anonymous: the paused replica serves the old name, and says so.
	r = do("GET", item, "", "", "")
	if r.status != 200 {
		t.Fatalf("anonymous item: %d %s", r.status, r.body)
	}
	if r.source != "replica-1" || r.stale == "" {
		t.Errorf("an anonymous read during the pause came from %q (staleness %q), want replica-1 with a staleness", r.source, r.stale)
	}
	if strings.Contains(r.body, "复制测试井") {
		t.Error("the paused replica showed the new name: replay was not paused?")
	}
	// The writer, carrying its position, reads its own write.
	r = do("GET", item, tok.Token, w.readAfter, "")
	if r.status != 200 || !strings.Contains(r.body, "复制测试井") {
		t.Fatalf("the writer's own read after the write: %d, source %q: %s", r.status, r.source, r.body)
	}
	if r.source != "" && r.source != "primary" {
		t.Errorf("the writer's read came from %q, which has not replayed the write", r.source)
	}
	// On the strict copy the paused replica leaves the rotation once it
	// lags more than a second, and the primary serves the reads.
	waitReplicaOn(strict, "out of rotation for its lag on the strict copy", func(r, in bool, lag float64) bool { return r && !in && lag > 1 })
	if res, err := http.Get(strict + item); err != nil || res.StatusCode != 200 || res.Header.Get("Inframap-Read-Source") != "" {
		t.Errorf("a read on the strict copy with the replica out of rotation: %v %v, source %q", err, res.Status, res.Header.Get("Inframap-Read-Source"))
	} else {
		res.Body.Close()
	}

	// The stale render was not cached.
	if r = do("GET", item, "", "", ""); r.hit == "hit" || strings.Contains(r.body, "复制测试井") {
		t.Errorf("a second anonymous read during the pause: cache %q, source %q, new name %v", r.hit, r.source, strings.Contains(r.body, "复制测试井"))
	}

	// Resume, and the replica catches up.
	if _, err := sconn.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	sconn.Close(ctx)
	waitReplica("caught up after the pause", func(r, in bool, lag float64) bool { return r && in && lag == 0 })
	waitReplicaOn(strict, "back in rotation on the strict copy", func(r, in bool, lag float64) bool { return r && in })
	stopStrict()
	// Everyone sees the new name now, and the writer's reads go to the
	// replica that has replayed its write.
	if r = do("GET", item, "", "", ""); !strings.Contains(r.body, "复制测试井") {
		t.Errorf("after the replay an anonymous read got the old name (source %q, cache %q)", r.source, r.hit)
	}
	r = do("GET", "/api/v1/assets?kind=manhole&limit=7", tok.Token, w.readAfter, "")
	if r.status != 200 || r.source != "replica-1" {
		t.Errorf("after the replay the writer's read: %d from %q, want replica-1", r.status, r.source)
	}

	// Stop the replica: every read still answers, from the primary.
	standby.StopServer()
	for i := range 30 {
		r = do("GET", fmt.Sprintf("/api/v1/assets?kind=manhole&limit=%d", 10+i), "", "", "")
		if i == 0 && r.status == 200 && r.source != "" {
			t.Logf("the first read after the stop came from %q", r.source)
		}
		if r.status != 200 {
			t.Fatalf("read %d with the replica stopped: %d %s", i, r.status, r.body)
		}
		if r.source == "replica-1" {
			t.Errorf("read %d with the replica stopped said it came from the replica", i)
		}
	}
	waitReplica("down", func(r, in bool, lag float64) bool { return !r && !in })
	t.Logf("reads that failed on the stopped replica and were answered from the primary: %d",
		strings.Count(logBuf.String(), "answered from the primary"))
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(m), `inframap_db_replica_in_rotation{replica="replica-1"} 0`) ||
		!strings.Contains(string(m), `inframap_db_replica_lag_seconds{replica="replica-1"}`) {
		t.Error("/metrics does not show the replica out of rotation and its lag")
	}

	// It comes back and serves reads again.
	if err := standby.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	waitReplica("back in rotation", func(r, in bool, lag float64) bool { return r && in })
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		r = do("GET", fmt.Sprintf("/api/v1/assets?kind=manhole&limit=%d", 100+i%900), "", "", "")
		if r.status != 200 {
			t.Fatalf("read after the replica returned: %d %s", r.status, r.body)
		}
		if r.source == "replica-1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica never served reads again after it returned")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
