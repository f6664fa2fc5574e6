package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
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
	"sync/atomic"
	"syscall"
	"time"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/devdb"
	"inframap/internal/s3test"
)

// The cluster: a PostgreSQL primary and a streaming replica (pg_basebackup
// -R), an S3 object store (SeaweedFS) every copy shares, three copies of inframap reading
// from the replica, and HAProxy in front with health checks on /readyz.
// `cluster` measures read throughput (1 vs 3 copies, replica vs primary
// path), then drives mixed traffic, kills a copy and the replica mid-run,
// and checks that nothing acknowledged was lost, no answer was a 500, the
// resident limit held across the copies and the balancer stopped sending
// to the dead copy within 2 s. With -serve it starts the same topology and
// waits for Ctrl-C, for a person to try.

// copies is how many copies of inframap run behind the balancer.
const copies = 3

// clusterEnv is a running topology.
type clusterEnv struct {
	dir              string
	primary, standby *devdb.Cluster
	servers          []*server
	ports            []int
	env              []string
	s3               *s3test.Server
	haproxy          *exec.Cmd
	haproxyDone      chan error
	lbAll, lbOne     string // the balancer: all copies, the first copy only
	statsSock        string
}

func (e *clusterEnv) close() {
	for _, s := range e.servers {
		if s != nil {
			s.stop()
		}
	}
	if e.haproxy != nil {
		e.haproxy.Process.Signal(syscall.SIGTERM)
		<-e.haproxyDone
	}
	if e.s3 != nil {
		e.s3.Stop()
	}
	if e.standby != nil {
		e.standby.Stop()
	}
	if e.primary != nil {
		e.primary.Stop()
	}
}

// startCluster starts the topology in dir.
func startCluster(ctx context.Context, o options, dir string, log io.Writer) (*clusterEnv, error) {
	if _, err := exec.LookPath("haproxy"); err != nil {
		return nil, errors.New("haproxy is not installed: apt-get install haproxy (make deps-test does)")
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o755)
	e := &clusterEnv{dir: dir}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	// Each copy opens about 25 connections on each server; a standby needs
	// at least the primary's max_connections.
	conf := map[string]string{"full_page_writes": "on", "max_connections": "300"}
	var err error
	fmt.Fprintln(log, "cluster: starting the PostgreSQL primary")
	if e.primary, err = devdb.Start(ctx, devdb.Options{Dir: filepath.Join(dir, "primary"), Throwaway: true, Settings: conf}); err != nil {
		return nil, err
	}
	fmt.Fprintln(log, "cluster: taking a base backup for the streaming replica (pg_basebackup -R)")
	if e.standby, err = devdb.StartStandby(ctx, e.primary, devdb.Options{Dir: filepath.Join(dir, "replica"), Throwaway: true,
		Settings: map[string]string{"max_connections": "300", "hot_standby_feedback": "on"}}); err != nil {
		return nil, err
	}
	// The photo store every copy shares: a real S3 server (SeaweedFS).
	fmt.Fprintln(log, "cluster: starting the S3 object store (SeaweedFS weed)")
	s3dir := filepath.Join(dir, "s3")
	os.MkdirAll(s3dir, 0o700)
	if e.s3, err = s3test.Run(s3dir); err != nil {
		return nil, err
	}
	bucket, err := e.s3.CreateBucket("inframap-photos")
	if err != nil {
		return nil, err
	}
	e.env = append([]string{"DATABASE_URL=" + e.primary.URL(devdb.DBName), "DATABASE_READ_URL=" + e.standby.URL(devdb.DBName),
		"INFRAMAP_DEMO_PASSWORD=" + demoPassword, "INFRAMAP_BCRYPT_COST=4", "INFRAMAP_LOG_LEVEL=warn",
		"INFRAMAP_DATA_DIR=" + dir, "INFRAMAP_BLOB_URL=" + bucket}, e.s3.EnvVars()...)
	for i := range copies {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "cluster: starting copy %d on 127.0.0.1:%d\n", i+1, port)
		// One after the other: the first loads the demo district.
		s, err := startServer(ctx, o.bin, filepath.Join(dir, fmt.Sprintf("copy%d.log", i+1)), e.env, "-demo", "-addr", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return nil, err
		}
		e.servers = append(e.servers, s)
		e.ports = append(e.ports, port)
	}
	if err := e.startHAProxy(ctx); err != nil {
		return nil, err
	}
	ok = true
	return e, nil
}

// haproxyConfig checks each copy's /readyz twice a second and takes it out
// after two failures; a request whose connection fails is sent to another
// copy (a request that reached a copy is never sent twice: it may have
// been a write).
const haproxyConfig = `global
    maxconn 4000
    stats socket {{sock}} mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    option redispatch
    retries 3
    retry-on conn-failure
frontend all
    bind 127.0.0.1:{{all}}
    default_backend copies
frontend one
    bind 127.0.0.1:{{one}}
    default_backend first
backend copies
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fastinter 250ms downinter 1s fall 2 rise 2
    http-after-response set-header X-Served-By "%s"
{{servers}}
backend first
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
    http-after-response set-header X-Served-By "%s"
    server copy1 127.0.0.1:{{p1}} check
`

func (e *clusterEnv) startHAProxy(ctx context.Context) error {
	all, err := freePort()
	if err != nil {
		return err
	}
	one, err := freePort()
	if err != nil {
		return err
	}
	var servers []string
	for i, p := range e.ports {
		servers = append(servers, fmt.Sprintf("    server copy%d 127.0.0.1:%d check", i+1, p))
	}
	e.statsSock = filepath.Join(e.dir, "haproxy.sock")
	cfg := strings.NewReplacer("{{sock}}", e.statsSock, "{{all}}", strconv.Itoa(all), "{{one}}", strconv.Itoa(one),
		"{{servers}}", strings.Join(servers, "\n"), "{{p1}}", strconv.Itoa(e.ports[0])).Replace(haproxyConfig)
	path := filepath.Join(e.dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(e.dir, "haproxy.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command("haproxy", "-db", "-f", path)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("haproxy: %w", err)
	}
	e.haproxy, e.haproxyDone = cmd, make(chan error, 1)
	go func() { e.haproxyDone <- cmd.Wait(); logf.Close() }()
	e.lbAll, e.lbOne = fmt.Sprintf("http://127.0.0.1:%d", all), fmt.Sprintf("http://127.0.0.1:%d", one)
	// Wait until the balancer sees every copy up.
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := e.serverStates()
		up := 0
		for _, s := range st {
			if strings.HasPrefix(s, "UP") {
				up++
			}
		}
		if err == nil && up == copies {
			return nil
		}
		select {
		case err := <-e.haproxyDone:
			e.haproxy = nil
			b, _ := os.ReadFile(filepath.Join(e.dir, "haproxy.log"))
			return fmt.Errorf("haproxy exited: %v: %s", err, b)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("haproxy did not see the copies up within 60 s (%v, %v)", st, err)
		}
	}
}

// serverStates asks HAProxy (stats socket) for the state of each copy in
// the balanced backend: "UP", "DOWN", "UP 1/2"…
func (e *clusterEnv) serverStates() (map[string]string, error) {
	c, err := net.DialTimeout("unix", e.statsSock, time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprint(c, "show stat\n")
	out := map[string]string{}
	sc := bufio.NewScanner(c)
	var cols []string
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "# ") {
			cols = strings.Split(strings.TrimPrefix(l, "# "), ",")
			continue
		}
		f := strings.Split(l, ",")
		if len(f) < 2 || f[0] != "copies" || f[1] == "FRONTEND" || f[1] == "BACKEND" {
			continue
		}
		for i, c := range cols {
			if c == "status" && i < len(f) {
				out[f[1]] = f[i]
			}
		}
	}
	return out, sc.Err()
}

// serveCluster starts the topology and waits for ctx to end.
func serveCluster(ctx context.Context, o options, out io.Writer) error {
	dir, err := filepath.Abs(filepath.Join(o.data, "cluster"))
	if err != nil {
		return err
	}
	e, err := startCluster(ctx, o, dir, out)
	if err != nil {
		return err
	}
	defer e.close()
	fmt.Fprintf(out, "\ncluster: HAProxy serves the three copies on %s (the first copy alone on %s)\n", e.lbAll, e.lbOne)
	for i, s := range e.servers {
		fmt.Fprintf(out, "  copy %d: %s\n", i+1, s.base)
	}
	fmt.Fprintf(out, "  photos:   %s (S3, bucket inframap-photos)\n", e.s3.Endpoint)
	fmt.Fprintf(out, "  primary:  psql -h %s -U postgres %s\n  replica:  psql -h %s -U postgres %s\n",
		e.primary.SocketDir(), devdb.DBName, e.standby.SocketDir(), devdb.DBName)
	fmt.Fprintf(out, "  sign in as engineer@demo with password %s; logs in %s\n  Ctrl-C stops everything.\n", demoPassword, dir)
	<-ctx.Done()
	return nil
}

// readLoad measures the read throughput of base for d with n workers: asset
// pages of viewports no two requests share (so every one reads the
// database, missing the response cache) and tiles.
func readLoad(ctx context.Context, base string, workers int, d time.Duration, seed uint64) result {
	var n atomic.Uint64
	n.Store(seed)
	return loadLoop(ctx, workers, d, func(w, _ int) error {
		i := n.Add(1)
		// A 300 m box at a position of its own in the district.
		x := 125.15 + float64(i%997)/997*0.12
		y := 43.83 + float64(i*7%991)/991*0.10
		b := gis.BBox{MinLon: x, MinLat: y, MaxLon: x + 0.004, MaxLat: y + 0.003}
		res, err := client.Get(base + "/api/v1/assets?limit=100&bbox=" + bboxParam(b))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	})
}

// clusterRun is the test: figures, then mixed traffic with the faults.
func clusterRun(ctx context.Context, o options, out io.Writer) error {
	dir, err := filepath.Abs(filepath.Join(o.data, "cluster"))
	if err != nil {
		return err
	}
	e, err := startCluster(ctx, o, dir, out)
	if err != nil {
		return err
	}
	defer e.close()

	// Figures. Reads that miss the cache, so each reaches a database.
	measure := min(o.duration/6, 8*time.Second)
	readLoad(ctx, e.lbAll, 8, 2*time.Second, 1) // warm every copy
	one := readLoad(ctx, e.lbOne, 16, measure, 1_000_000)
	three := readLoad(ctx, e.lbAll, 16, measure, 2_000_000)
	// The two paths on equal terms: two fresh copies outside the balancer,
	// one reading from the primary and one from the replica (the first copy
	// has served the balancer's load above, and its cache and heap with it),
	// measured in turns.
	port, err := freePort()
	if err != nil {
		return err
	}
	rport, err := freePort()
	if err != nil {
		return err
	}
	var primEnv []string
	for _, v := range e.env {
		if !strings.HasPrefix(v, "DATABASE_READ_URL=") {
			primEnv = append(primEnv, v)
		}
	}
	prim, err := startServer(ctx, o.bin, filepath.Join(dir, "primary-path.log"), primEnv, "-addr", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return err
	}
	repl, err := startServer(ctx, o.bin, filepath.Join(dir, "replica-path.log"), e.env, "-addr", "127.0.0.1:"+strconv.Itoa(rport))
	if err != nil {
		prim.stop()
		return err
	}
	var onPrimary, onReplica []float64
	// Five rounds, alternating which goes first: the machine is shared, and
	// a median of interleaved runs is what holds still.
	readLoad(ctx, prim.base, 8, time.Second, 2_900_000)
	readLoad(ctx, repl.base, 8, time.Second, 2_950_000)
	for round := range 5 {
		p := func() {
			onPrimary = append(onPrimary, readLoad(ctx, prim.base, 8, measure/2, uint64(3_000_000+round*100_000)).RPS)
		}
		r := func() {
			onReplica = append(onReplica, readLoad(ctx, repl.base, 8, measure/2, uint64(4_000_000+round*100_000)).RPS)
		}
		if round%2 == 0 {
			p()
			r()
		} else {
			r()
			p()
		}
	}
	prim.stop()
	repl.stop()
	medPrimary, medReplica := median(onPrimary), median(onReplica)
	fmt.Fprintf(out, "cluster: reads through HAProxy: 1 copy %.0f req/s, 3 copies %.0f req/s; one copy direct: primary path %.0f, replica path %.0f req/s\n",
		one.RPS, three.RPS, medPrimary, medReplica)

	// Mixed traffic through the balancer, with the faults.
	base := e.lbAll
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
	kinds := []string{"read", "tile", "transition", "upload", "report"}
	tallies := map[string]*tally{}
	for _, k := range kinds {
		tallies[k] = &tally{}
	}
	ack := &acked{tasks: map[int64]int{}, photos: map[int64]string{}}
	var (
		mu       sync.Mutex
		lastDead time.Time // the last answer the killed copy gave, or a 502 for it
		killed   atomic.Bool
		killedAt time.Time
		errs     []string
		// failures after the kill (5xx or a broken connection), and the
		// last one's time since the kill.
		failed     int
		lastFailed time.Duration
	)
	failure := func() {
		mu.Lock()
		if !killedAt.IsZero() {
			failed++
			lastFailed = max(lastFailed, time.Since(killedAt))
		}
		mu.Unlock()
	}
	const victim = "copy2"
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	do := func(kind, method, path, tok string, body any, hdr map[string]string, outv any) int {
		var rd io.Reader
		ctype := "application/json"
		switch b := body.(type) {
		case nil:
		case url.Values:
			rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
		default:
			raw, _ := json.Marshal(b)
			rd = strings.NewReader(string(raw))
		}
		req, _ := http.NewRequestWithContext(runCtx, method, base+path, rd)
		req.Header.Set("Content-Type", ctype)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		t := time.Now()
		res, err := client.Do(req)
		if err != nil {
			if runCtx.Err() == nil {
				tallies[kind].add(0, 0)
				failure()
			}
			return 0
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		tallies[kind].add(res.StatusCode, time.Since(t))
		if killed.Load() && res.Header.Get("X-Served-By") == victim {
			mu.Lock()
			lastDead = time.Now()
			mu.Unlock()
		}
		if res.StatusCode >= 500 {
			failure()
			mu.Lock()
			errs = append(errs, fmt.Sprintf("%s %s → %d via %s at +%.2fs: %.200s", method, path, res.StatusCode,
				res.Header.Get("X-Served-By"), time.Since(killedAt).Seconds(), raw))
			mu.Unlock()
		}
		if outv != nil && res.StatusCode < 300 {
			json.Unmarshal(raw, outv)
		}
		return res.StatusCode
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
			do("read", "GET", "/api/v1/assets?limit=1000&bbox="+bboxParam(vps[r.IntN(len(vps))]), "", nil, nil, nil)
		case 1:
			do("read", "GET", "/api/v1/stats", "", nil, nil, nil)
		case 2:
			do("read", "GET", fmt.Sprintf("/ogc/collections/manhole/items?limit=50&offset=%d", r.IntN(1200)), "", nil, nil, nil)
		default:
			t := tiles[r.IntN(len(tiles))]
			do("tile", "GET", fmt.Sprintf("/tiles/all/%d/%d/%d.mvt", t.Z, t.X, t.Y), "", nil, nil, nil)
		}
	})
	// Engineers: a task, then 立案 and 派遣, each acknowledged step noted.
	spawn(3, func(r *rand.Rand) {
		var t struct{ ID int64 }
		if do("transition", "POST", "/api/v1/tasks", etok, map[string]any{"asset_id": 1 + r.IntN(2400), "title": "集群任务"}, nil, &t) != 201 {
			time.Sleep(100 * time.Millisecond)
			return
		}
		ack.event(t.ID)
		for v, step := range []map[string]any{{"to": "filed", "note": "立案"}, {"to": "dispatched", "assignee": "绿园区市政养护一队", "note": "派遣"}} {
			if do("transition", "POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", t.ID), etok, step, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, v+1)}, nil) != 200 {
				return
			}
			ack.event(t.ID)
		}
	})
	// An inspector: photos of distinct bytes to the tasks, each with a key.
	spawn(1, func(r *rand.Rand) {
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
		b := append(append([]byte{}, photo...), []byte(fmt.Sprintf("cluster %d", r.Uint64()))...)
		t := time.Now()
		id, sha, err := uploadPhoto(base, fmt.Sprintf("/api/v1/tasks/%d/photos", task), itok, b, fmt.Sprintf("cluster-%d", r.Uint64()))
		var se *statusError
		switch {
		case err == nil:
			tallies["upload"].add(201, time.Since(t))
			ack.mu.Lock()
			ack.photos[id] = sha
			ack.mu.Unlock()
		case errors.As(err, &se):
			tallies["upload"].add(se.code, time.Since(t))
			if se.code >= 500 {
				failure()
				mu.Lock()
				errs = append(errs, fmt.Sprintf("photo upload → %d: %.200s", se.code, se.body))
				mu.Unlock()
			}
		case runCtx.Err() == nil:
			tallies["upload"].add(0, 0)
			failure()
		}
		time.Sleep(500 * time.Millisecond)
	})
	// Residents, all from one address: Open311 posts without a key.
	spawn(2, func(r *rand.Rand) {
		form := url.Values{"service_code": {"pothole"}, "description": {"集群测试：路面坑洞"},
			"lat": {fmt.Sprintf("%.5f", 43.86+r.Float64()*0.04)}, "long": {fmt.Sprintf("%.5f", 125.20+r.Float64()*0.08)}}
		var created []struct {
			ID string `json:"service_request_id"`
		}
		if do("report", "POST", "/open311/v2/requests.json", "", form, nil, &created) == 201 && len(created) == 1 {
			ack.mu.Lock()
			ack.requests = append(ack.requests, created[0].ID)
			ack.mu.Unlock()
		}
		time.Sleep(50 * time.Millisecond)
	})
	runStart := time.Now()
	// Kill a copy a third of the way in; watch the balancer take it out.
	var markedDown time.Duration
	select {
	case <-time.After(o.duration / 3):
	case <-ctx.Done():
		return ctx.Err()
	}
	fmt.Fprintln(out, "cluster: killing copy 2 (SIGKILL)")
	mu.Lock()
	killedAt = time.Now()
	mu.Unlock()
	killed.Store(true)
	e.servers[1].kill()
	e.servers[1] = nil
	for markedDown == 0 && time.Since(killedAt) < 10*time.Second {
		if st, err := e.serverStates(); err == nil && strings.HasPrefix(st[victim], "DOWN") {
			markedDown = time.Since(killedAt)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Kill the replica half-way.
	select {
	case <-time.After(time.Until(runStart.Add(o.duration / 2))):
	case <-ctx.Done():
		return ctx.Err()
	}
	fmt.Fprintln(out, "cluster: killing the streaming replica (SIGKILL)")
	replicaKilledAt := time.Since(runStart)
	if pid := e.standby.PID(); pid > 0 {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	e.standby.StopServer()
	wg.Wait()

	// Every acknowledged write is on the primary.
	db, err := postgres.Open(ctx, postgres.Config{URL: e.primary.URL(devdb.DBName), MaxConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	admin := maint.Viewer{Role: maint.RoleAdmin}
	lostTasks, lostEvents, lostRequests := 0, 0, 0
	for id, n := range ack.tasks {
		t, err := db.Task(ctx, id, admin)
		if err != nil || len(t.History) == 0 {
			lostTasks++
			continue
		}
		if len(t.History) < n {
			lostEvents += n - len(t.History)
		}
	}
	for _, ref := range ack.requests {
		if reqs, err := db.ServiceRequests(ctx, maint.RequestFilter{Refs: []string{ref}}); err != nil || len(reqs) != 1 {
			lostRequests++
		}
	}
	// Every acknowledged photo reads back whole through the balancer, from
	// the store every copy shares.
	lostPhotos := 0
	for id, sha := range ack.photos {
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/photos/%d/original", base, id), nil)
		req.Header.Set("Authorization", "Bearer "+etok) // originals are for engineers
		res, err := client.Do(req)
		if err != nil {
			lostPhotos++
			continue
		}
		h := sha256.New()
		io.Copy(h, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || hex.EncodeToString(h.Sum(nil)) != sha {
			lostPhotos++
		}
	}
	elapsed := o.duration
	// The resident limit: a burst of 5, then one every 2 minutes, per
	// address, whatever copy a post reached.
	residentLimit := 5 + int(elapsed/(2*time.Minute)) + 1

	var b strings.Builder
	fmt.Fprintf(&b, "## Cluster (make cluster-test, %s)\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "PostgreSQL primary + streaming replica, SeaweedFS (S3) for photos, %d copies of inframap (replica reads), HAProxy 2 with /readyz checks every 0.5 s, on one 2-core machine.\n\n", copies)
	fmt.Fprintf(&b, "| read throughput (asset pages that miss the cache) | req/s | p50 | p99 |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| HAProxy → 1 copy, 16 clients | %.0f | %s | %s |\n", one.RPS, one.P50.Round(100*time.Microsecond), one.P99.Round(100*time.Microsecond))
	fmt.Fprintf(&b, "| HAProxy → 3 copies, 16 clients | %.0f | %s | %s |\n", three.RPS, three.P50.Round(100*time.Microsecond), three.P99.Round(100*time.Microsecond))
	fmt.Fprintf(&b, "| a fresh copy, reads on the primary (median of 5 interleaved rounds) | %.0f | | |\n", medPrimary)
	fmt.Fprintf(&b, "| a fresh copy, reads on the replica (median of 5 interleaved rounds) | %.0f | | |\n\n", medReplica)
	cost := (medPrimary/medReplica - 1) * 100
	fmt.Fprintf(&b, "The replica path costs %.1f %% over the primary path (time per request).\n\n", cost)
	fmt.Fprintf(&b, "%s of mixed traffic through HAProxy: 6 readers (viewports, report card, OGC items, tiles), 3 engineers (tasks through 立案 and 派遣), an inspector uploading photos, 2 residents posting Open311 reports from one address. copy 2 killed at %s; the replica killed at %s.\n\n",
		o.duration, (o.duration / 3).Round(time.Second), replicaKilledAt.Round(time.Second))
	b.WriteString("| traffic | answers | p50 | p99 | by status | connection errors |\n|---|---|---|---|---|---|\n")
	fivehundreds, fiveohx := 0, 0
	for _, k := range kinds {
		n, p50, p99 := tallies[k].summary()
		var st []string
		var codes []int
		for c := range tallies[k].byStatus {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		for _, c := range codes {
			st = append(st, fmt.Sprintf("%d: %d", c, tallies[k].byStatus[c]))
			if c == 500 {
				fivehundreds += tallies[k].byStatus[c]
			} else if c >= 500 {
				fiveohx += tallies[k].byStatus[c]
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %d |\n", k, n, p50.Round(100*time.Microsecond), p99.Round(100*time.Microsecond), strings.Join(st, ", "), tallies[k].neterr)
	}
	mu.Lock()
	var lastDeadAfter time.Duration
	if !lastDead.IsZero() {
		lastDeadAfter = lastDead.Sub(killedAt)
	}
	errList := append([]string(nil), errs...)
	mu.Unlock()
	lastFrom := "none came"
	if lastDeadAfter > 0 {
		lastFrom = fmt.Sprintf("the last came %.2f s after the kill", lastDeadAfter.Seconds())
	}
	fmt.Fprintf(&b, "\nWhen copy 2 died: HAProxy marked it DOWN after %.2f s; answers from it afterwards: %s. Requests that failed after the kill (in flight on the dead copy): %d (%d answers 5xx other than 500, the rest broken connections), the last %.2f s after the kill.\n\n",
		markedDown.Seconds(), lastFrom, failed, fiveohx, lastFailed.Seconds())
	fmt.Fprintf(&b, "Writes acknowledged: %d tasks (%d events), %d photos, %d resident reports (limit %d from one address across the copies). Missing afterwards: %d tasks, %d events, %d photos, %d reports.\n",
		len(ack.tasks), sumValues(ack.tasks), len(ack.photos), len(ack.requests), residentLimit, lostTasks, lostEvents, lostPhotos, lostRequests)
	fmt.Fprint(out, b.String())
	for _, l := range errList {
		fmt.Fprintln(out, "  5xx:", l)
	}
	if o.out != "" {
		os.WriteFile(o.out, []byte(b.String()), 0o644)
	}

	var fails []string
	if fivehundreds > 0 {
		fails = append(fails, fmt.Sprintf("%d answers were 500", fivehundreds))
	}
	if lostTasks+lostEvents+lostRequests+lostPhotos > 0 {
		fails = append(fails, "acknowledged writes are missing")
	}
	if markedDown == 0 || markedDown > 2*time.Second {
		fails = append(fails, fmt.Sprintf("HAProxy marked the dead copy down after %s, not within 2 s", markedDown))
	}
	if lastDeadAfter > 2*time.Second {
		fails = append(fails, fmt.Sprintf("an answer came from or for the dead copy %s after the kill", lastDeadAfter))
	}
	if len(ack.requests) > residentLimit {
		fails = append(fails, fmt.Sprintf("%d resident reports were accepted from one address; the limit is %d in total", len(ack.requests), residentLimit))
	}
	if len(ack.tasks) == 0 || len(ack.requests) == 0 || len(ack.photos) == 0 {
		fails = append(fails, "some kind of write never succeeded")
	}
	if len(fails) > 0 {
		return fmt.Errorf("cluster test failed: %s", strings.Join(fails, "; "))
	}
	fmt.Fprintln(out, "cluster: passed")
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
