package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/devdb"
)

// upload sends a photo to a task and returns the photo's id and SHA-256.
func upload(base, path, tok string, photo []byte) error {
	_, _, err := uploadPhoto(base, path, tok, photo, "")
	return err
}

func uploadPhoto(base, path, tok string, photo []byte, key string) (int64, string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("stage", "during")
	mw.WriteField("lat", "43.8800")
	mw.WriteField("lon", "125.2700")
	mw.WriteField("accuracy_m", "10")
	w, _ := mw.CreateFormFile("photo", "photo.jpg")
	w.Write(photo)
	mw.Close()
	req, _ := http.NewRequest("POST", base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return 0, "", &statusError{res.StatusCode, string(raw)}
	}
	var p struct {
		ID     int64  `json:"id"`
		SHA256 string `json:"sha256"`
	}
	return p.ID, p.SHA256, json.Unmarshal(raw, &p)
}

type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return fmt.Sprintf("%d %s", e.code, e.body) }

// tally counts the answers of one kind of traffic.
type tally struct {
	mu       sync.Mutex
	byStatus map[int]int
	neterr   int
	lat      []time.Duration
}

func (t *tally) add(code int, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byStatus == nil {
		t.byStatus = map[int]int{}
	}
	if code == 0 {
		t.neterr++
		return
	}
	t.byStatus[code]++
	t.lat = append(t.lat, d)
}

func (t *tally) summary() (n int, p50, p99 time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := append([]time.Duration(nil), t.lat...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	if len(l) == 0 {
		return 0, 0, 0
	}
	return len(l), l[len(l)/2], l[len(l)*99/100]
}

// acked records the writes that were acknowledged (2xx), to look for them
// in the database at the end.
type acked struct {
	mu       sync.Mutex
	tasks    map[int64]int // task id → events acknowledged (creation included)
	photos   map[int64]string
	requests []string
}

func (a *acked) event(id int64) {
	a.mu.Lock()
	a.tasks[id]++
	a.mu.Unlock()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// soak runs mixed traffic for o.duration against one server, restarting
// PostgreSQL a third of the way in and the server two thirds in, then
// checks every acknowledged write and the memory.
func soak(ctx context.Context, o options, out io.Writer) error {
	dir, err := filepath.Abs(filepath.Join(o.data, "soak"))
	if err != nil {
		return err
	}
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o755)
	os.Chmod(dir, 0o755)
	cluster, err := devdb.Start(ctx, devdb.Options{Dir: filepath.Join(dir, "postgres"), Log: out})
	if err != nil {
		return err
	}
	defer cluster.Stop()
	dbURL := cluster.URL(devdb.DBName)
	port, err := freePort()
	if err != nil {
		return err
	}
	env := []string{"DATABASE_URL=" + dbURL, "INFRAMAP_DEMO_PASSWORD=" + demoPassword, "INFRAMAP_BCRYPT_COST=4", "INFRAMAP_LOG_LEVEL=warn",
		"INFRAMAP_DATA_DIR=" + dir}
	start := func() (*server, error) {
		return startServer(ctx, o.bin, filepath.Join(dir, "server.log"), env, "-demo", "-addr", "127.0.0.1:"+strconv.Itoa(port))
	}
	srv, err := start()
	if err != nil {
		return err
	}
	base := srv.base
	keyOut, err := execOutput(ctx, o.bin, env, "apikey", "add", "-name", "soak", "-db", dbURL)
	if err != nil {
		return err
	}
	apiKey := strings.TrimSpace(keyOut[strings.LastIndex(keyOut, " ")+1:])
	etok, err := token(base, "engineer@demo")
	if err != nil {
		return err
	}
	itok, err := token(base, "inspector@demo")
	if err != nil {
		return err
	}
	photo, err := os.ReadFile("internal/photo/testdata/gps-ne.jpg")
	if err != nil {
		return err
	}
	kinds := []string{"read", "tile", "transition", "upload", "open311"}
	tallies := map[string]*tally{}
	for _, k := range kinds {
		tallies[k] = &tally{}
	}
	ack := &acked{tasks: map[int64]int{}, photos: map[int64]string{}}
	stop := time.Now().Add(o.duration)
	runCtx, cancel := context.WithDeadline(ctx, stop)
	defer cancel()
	timed := func(kind string, f func() (int, error)) {
		t := time.Now()
		code, _ := f()
		tallies[kind].add(code, time.Since(t))
	}
	do := func(method, path, tok string, body any, hdr map[string]string, out any) (int, error) {
		var rd io.Reader
		ctype := "application/json"
		switch b := body.(type) {
		case nil:
		case url.Values:
			rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
		default:
			raw, _ := json.Marshal(b)
			rd = bytes.NewReader(raw)
		}
		req, _ := http.NewRequestWithContext(runCtx, method, base+path, rd)
		req.Header.Set("Content-Type", ctype)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if out != nil && res.StatusCode < 300 {
			json.Unmarshal(raw, out)
		}
		return res.StatusCode, nil
	}
	var wg sync.WaitGroup
	spawn := func(n int, f func(r *rand.Rand)) {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
				for runCtx.Err() == nil {
					f(r)
				}
			}()
		}
	}
	vps := viewports(40)
	tiles := append(tilesOver(districtBB, 14, 100), tilesOver(districtBB, 16, 300)...)
	spawn(6, func(r *rand.Rand) {
		switch r.IntN(4) {
		case 0:
			timed("read", func() (int, error) {
				return do("GET", "/api/v1/assets?limit=1000&bbox="+bboxParam(vps[r.IntN(len(vps))]), "", nil, nil, nil)
			})
		case 1:
			timed("read", func() (int, error) { return do("GET", "/api/v1/stats", "", nil, nil, nil) })
		case 2:
			timed("read", func() (int, error) {
				return do("GET", fmt.Sprintf("/api/v1/assets/%d", 1+r.IntN(2400)), "", nil, nil, nil)
			})
		default:
			t := tiles[r.IntN(len(tiles))]
			timed("tile", func() (int, error) {
				return do("GET", fmt.Sprintf("/tiles/all/%d/%d/%d.mvt", t.Z, t.X, t.Y), "", nil, nil, nil)
			})
		}
	})
	// Engineers: open a task, then take it through 立案 and 派遣.
	spawn(2, func(r *rand.Rand) {
		var t struct{ ID int64 }
		var code int
		timed("transition", func() (int, error) {
			var err error
			code, err = do("POST", "/api/v1/tasks", etok, map[string]any{"asset_id": 1 + r.IntN(2400), "title": "巡查任务"}, nil, &t)
			return code, err
		})
		if code != 201 {
			time.Sleep(200 * time.Millisecond)
			return
		}
		ack.event(t.ID)
		for v, step := range []map[string]any{{"to": "filed", "note": "立案"}, {"to": "dispatched", "assignee": "绿园区市政养护一队", "note": "派遣"}} {
			timed("transition", func() (int, error) {
				c, err := do("POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", t.ID), etok, step, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, v+1)}, nil)
				if c == 200 {
					ack.event(t.ID)
				}
				code = c
				return c, err
			})
			if code != 200 {
				return
			}
		}
	})
	// Inspectors: photos of distinct bytes, retried with their key once.
	spawn(2, func(r *rand.Rand) {
		ack.mu.Lock()
		var task int64
		for id := range ack.tasks {
			task = id
			break
		}
		ack.mu.Unlock()
		if task == 0 {
			time.Sleep(100 * time.Millisecond)
			return
		}
		b := append(append([]byte{}, photo...), []byte(fmt.Sprintf("soak %d", r.Uint64()))...)
		key := fmt.Sprintf("soak-%d", r.Uint64())
		timed("upload", func() (int, error) {
			id, sha, err := uploadPhoto(base, fmt.Sprintf("/api/v1/tasks/%d/photos", task), itok, b, key)
			if err != nil {
				if se, ok := err.(*statusError); ok {
					return se.code, nil
				}
				return 0, err
			}
			ack.mu.Lock()
			ack.photos[id] = sha
			ack.mu.Unlock()
			return 201, nil
		})
		time.Sleep(100 * time.Millisecond)
	})
	// Residents through a partner system: Open311 posts.
	spawn(1, func(r *rand.Rand) {
		form := url.Values{"service_code": {"pothole"}, "api_key": {apiKey}, "description": {"soak"},
			"lat": {fmt.Sprintf("%.5f", 43.86+r.Float64()*0.04)}, "long": {fmt.Sprintf("%.5f", 125.20+r.Float64()*0.08)}}
		var created []struct {
			ID string `json:"service_request_id"`
		}
		timed("open311", func() (int, error) {
			c, err := do("POST", "/open311/v2/requests.json", "", form, nil, &created)
			if c == 201 && len(created) == 1 {
				ack.mu.Lock()
				ack.requests = append(ack.requests, created[0].ID)
				ack.mu.Unlock()
			}
			return c, err
		})
		time.Sleep(200 * time.Millisecond)
	})
	// The faults, and the memory readings.
	var warmRSS, firstPeak int64
	events := []string{}
	third := o.duration / 3
	warm := min(60*time.Second, third/2)
	time.Sleep(warm)
	warmRSS, _ = memory(srv.pid())
	time.Sleep(third - warm)
	fmt.Fprintln(out, "soak: restarting PostgreSQL")
	cluster.StopServer()
	time.Sleep(3 * time.Second)
	if err := cluster.StartServer(ctx); err != nil {
		return err
	}
	events = append(events, "PostgreSQL restarted at "+third.String())
	time.Sleep(third)
	fmt.Fprintln(out, "soak: restarting the server")
	_, firstPeak = memory(srv.pid())
	if err := srv.stop(); err != nil {
		events = append(events, "server stop: "+err.Error())
	}
	if srv, err = start(); err != nil {
		return err
	}
	events = append(events, "server restarted at "+(2*third).String())
	time.Sleep(warm)
	warm2, _ := memory(srv.pid())
	wg.Wait()
	endRSS, peak2 := memory(srv.pid())
	srv.stop()

	// Every acknowledged write is in the database with its history and its
	// files, as the service reads them back (as an administrator, who sees
	// every event).
	db, err := postgres.Open(ctx, postgres.Config{URL: dbURL, MaxConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	admin := maint.Viewer{Role: maint.RoleAdmin}
	lostTasks, lostEvents, lostPhotos, lostBlobs, lostRequests := 0, 0, 0, 0, 0
	for id, n := range ack.tasks {
		t, err := db.Task(ctx, id, admin)
		if err != nil || len(t.History) == 0 {
			lostTasks++
			continue
		}
		if events := len(t.History); events < n {
			lostEvents += n - events
		}
	}
	for id, sha := range ack.photos {
		p, err := db.Photo(ctx, id)
		if err != nil || p.SHA256 != sha {
			lostPhotos++
			continue
		}
		for _, k := range []string{p.OriginalKey, p.DisplayKey, p.ThumbKey} {
			if _, err := os.Stat(filepath.Join(dir, "photos", k)); err != nil {
				lostBlobs++
			}
		}
	}
	for _, ref := range ack.requests {
		if reqs, err := db.ServiceRequests(ctx, maint.RequestFilter{Refs: []string{ref}}); err != nil || len(reqs) != 1 {
			lostRequests++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Soak\n\nWritten by `make soak` (cmd/inframap-bench soak) on %s — do not edit by hand.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "%s of mixed traffic on loopback against the demo district: 6 readers (viewports, report card, asset details, "+
		"tiles), 2 engineers (new tasks through 立案 and 派遣), 2 inspectors (photo uploads with idempotency keys), 1 partner "+
		"system posting Open311 requests. Faults: %s.\n\n", o.duration, strings.Join(events, "; "))
	b.WriteString("| traffic | answers | p50 | p99 | by status | connection errors |\n|---|---|---|---|---|---|\n")
	fivehundreds := 0
	for _, k := range kinds {
		n, p50, p99 := tallies[k].summary()
		var st []string
		codes := []int{}
		for c := range tallies[k].byStatus {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		for _, c := range codes {
			st = append(st, fmt.Sprintf("%d: %d", c, tallies[k].byStatus[c]))
			if c == 500 {
				fivehundreds += tallies[k].byStatus[c]
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %d |\n", k, n, p50.Round(100*time.Microsecond), p99.Round(100*time.Microsecond), strings.Join(st, ", "), tallies[k].neterr)
	}
	fmt.Fprintf(&b, "\nWrites acknowledged: %d tasks (%d events), %d photos, %d Open311 requests. Missing afterwards: %d tasks, %d events, %d photos, %d photo files, %d requests.\n\n",
		len(ack.tasks), sumValues(ack.tasks), len(ack.photos), len(ack.requests), lostTasks, lostEvents, lostPhotos, lostBlobs, lostRequests)
	fmt.Fprintf(&b, "Memory: first server %.0f MB after warm-up, peak %.0f MB; second server %.0f MB after warm-up, %.0f MB at the end (peak %.0f MB); end / warm-up = %.2f.\n",
		mb(warmRSS), mb(firstPeak), mb(warm2), mb(endRSS), mb(peak2), float64(endRSS)/float64(max(warm2, 1)))
	report := b.String()
	fmt.Fprint(out, report)
	os.WriteFile("docs/soak.md", []byte(report), 0o644)
	var fails []string
	if fivehundreds > 0 {
		fails = append(fails, fmt.Sprintf("%d answers were 500", fivehundreds))
	}
	if lostTasks+lostEvents+lostPhotos+lostBlobs+lostRequests > 0 {
		fails = append(fails, "acknowledged writes are missing")
	}
	if float64(endRSS) > 1.2*float64(warm2) {
		fails = append(fails, "memory grew more than 20% after warm-up")
	}
	if len(ack.tasks) == 0 || len(ack.photos) == 0 || len(ack.requests) == 0 {
		fails = append(fails, "some kind of write never succeeded")
	}
	if len(fails) > 0 {
		return fmt.Errorf("soak failed: %s", strings.Join(fails, "; "))
	}
	fmt.Fprintln(out, "soak: passed")
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func sumValues(m map[int64]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func execOutput(ctx context.Context, bin string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	b, err := cmd.Output()
	return string(b), err
}
