package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/devdb"
)

// The 1 km viewport of the peers' figures: around Jingyang Square, inside
// the district and inside the city-scale grid.
var (
	centre     = orb.Point{125.27, 43.88}
	viewport   = gis.BBox{MinLon: 125.2638, MinLat: 43.8755, MaxLon: 125.2762, MaxLat: 43.8845}
	districtBB = gis.BBox{MinLon: 125.10, MinLat: 43.80, MaxLon: 125.30, MaxLat: 43.96}
)

const demoPassword = "bench-demo-password"

// limits says what bounds each kind of figure, as measured with pprof and
// EXPLAIN ANALYZE on this code; the report ends with it.
const limits = `## What limits each number

- **Cache on (warm).** The HTTP tier: a hit is a map lookup and a write of bytes compressed once. About a
  quarter of the server's CPU is the system calls that read requests and write answers, much of the rest
  net/http's header work and gorilla/mux's regular expressions. wrk, the server and PostgreSQL share the two cores, so these figures move
  by a quarter with the machine's neighbours: compare rows of the same run, not of different days.
- **Cache off.** PostgreSQL: the service reaches half to all of its own statement's pgbench ceiling; the rest
  is the HTTP tier and Go's share of the same cores. A tile's cost is ST_AsMVTGeom and ST_AsMVT, about 10 µs a
  feature; rotating sets of small tiles are bound by per-request costs and reach a smaller share.
- **pg_tileserv.** Its own statement run by pgbench is the most pg_tileserv could serve on these tiles; its HTTP
  tier kept 10–45% of that in the issue's measurements. At city scale its statement stops at 10,000 features
  (its LIMIT) and so draws z12 tiles with most of the manholes missing, which is why it looks cheaper there;
  ours counts every asset of the tile (about 72,000 at z12) into clusters.
- **City tiles cold.** A z12 tile alone takes 0.25–0.35 s (reading the envelope's 72,000 rows, hashing them
  into cells, encoding about 7,700 features), z14 about 50 ms, z16 about 10 ms. Sixteen clients on two cores
  queue, so p50 under load is seconds; the cluster warmer and the cache keep such tiles from being rendered on
  a visitor's request.
- **Report card, cache off.** One pass over every asset: about 1 s at city scale. It is cached and dropped
  only when an asset or task changes.
- **Writes.** A transition is a transaction with its event and audit rows and a change notice, answered once
  this copy's cache has seen the notice (read your writes): commit latency bounds it. An upload decodes the
  photo, makes two resized copies and encodes them, under the pipeline's concurrency limit.
- **First render at city scale.** The browser's own work: some forty cluster-tile requests and about 650
  markers and shapes drawn.
`

// row is one line of the report.
type row struct {
	name, cache string
	r           result
	ceiling     float64 // tx/s of the same SQL, 0 when not measured
	target      string
}

// peer is a pgbench ceiling of a peer server's statement for a row's request.
type peer struct {
	name string
	tps  float64
}

type scaleReport struct {
	scale      string
	assets     int64
	seedTime   time.Duration
	rows       []row
	peakRSS    int64
	writes     []row
	largestMVT int
	// peers holds what pg_tileserv's own statement reaches on the same tiles.
	peers     []peer
	render    *firstRender // nil when Chromium or the web packages are missing
	renderErr string
	// renderBusy is the same measure while clients keep the server and the
	// database busy (the map's tiles, task lists and the report card).
	renderBusy *firstRender
	busyLoad   result
}

// firstRender is what web/scripts/measure.mjs reports of the public map's
// cold loads in headless Chromium.
type firstRender struct {
	Runs        int    `json:"runs"`
	FirstMS     int    `json:"first_ms"`
	MedianMS    int    `json:"median_ms"`
	MaxMS       int    `json:"max_ms"`
	Tiled       string `json:"tiled"`
	Drawn       int    `json:"drawn"`
	APIRequests int    `json:"api_requests"`
	APIBytes    int    `json:"api_bytes"`
	Requests    int    `json:"requests"`
	Bytes       int    `json:"bytes"`
}

// measureRender loads the public map in headless Chromium five times, each
// in a fresh browser context (empty cache), and reports the time from
// navigation to the layers drawn.
func measureRender(ctx context.Context, base string) (*firstRender, error) {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		return nil, fmt.Errorf("no Chromium at %s (apt-get install chromium)", chromium)
	}
	if _, err := os.Stat("web/node_modules/playwright-core"); err != nil {
		return nil, errors.New("no web/node_modules (make web)")
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "scripts/measure.mjs", "--base", base, "--json", "5")
	cmd.Dir = "web"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("measure.mjs: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var fr firstRender
	if err := json.Unmarshal(bytes.TrimSpace(out), &fr); err != nil {
		return nil, fmt.Errorf("measure.mjs said %q: %v", out, err)
	}
	return &fr, nil
}

// bench measures every scale asked for and writes the report.
func bench(ctx context.Context, o options, out io.Writer) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is needed (apt-get install wrk)")
	}
	var reports []scaleReport
	for _, scale := range strings.Split(o.scales, ",") {
		rep, err := benchScale(ctx, o, strings.TrimSpace(scale), out)
		if err != nil {
			return fmt.Errorf("%s: %w", scale, err)
		}
		reports = append(reports, rep)
	}
	return writeReport(o.out, o, reports)
}

// environment is a database with a scale's data and two servers on it: one
// with the response cache, one without.
type environment struct {
	cluster *devdb.Cluster
	url     string
	on, off *server
	work    string
}

func (e *environment) close() {
	if e.on != nil {
		e.on.stop()
	}
	if e.off != nil {
		e.off.stop()
	}
	if e.cluster != nil {
		e.cluster.Stop()
	}
}

// countAssets counts the assets of the database at url: -1 when they
// cannot be counted (no such database, or no assets table yet).
func countAssets(ctx context.Context, url string) int64 {
	db, err := postgres.Open(ctx, postgres.Config{URL: url, MaxConns: 1})
	if err != nil {
		return -1
	}
	defer db.Close()
	n, err := db.CountAssets(ctx)
	if err != nil {
		return -1
	}
	return n
}

// tileClustered asks the store which statement it renders tiles of zoom z
// with on this data.
func tileClustered(ctx context.Context, url string, z int) (bool, error) {
	db, err := postgres.Open(ctx, postgres.Config{URL: url, MaxConns: 2})
	if err != nil {
		return false, err
	}
	defer db.Close()
	return db.TileClustered(ctx, z)
}

// prepare starts the scale's database (kept under o.data between runs),
// loads its data when missing, and starts the two servers.
func prepare(ctx context.Context, o options, scale string, log io.Writer) (*environment, time.Duration, int64, error) {
	dir, err := filepath.Abs(filepath.Join(o.data, scale))
	if err != nil {
		return nil, 0, 0, err
	}
	os.MkdirAll(dir, 0o755)
	os.Chmod(dir, 0o755)
	e := &environment{work: dir}
	e.cluster, err = devdb.Start(ctx, devdb.Options{Dir: filepath.Join(dir, "postgres"), Log: log})
	if err != nil {
		return nil, 0, 0, err
	}
	// The scale's data is loaded once into a template database; every run
	// measures a fresh copy of it, so the writes of earlier runs (thousands
	// of tasks and photos each) do not slow the next one down.
	const template = devdb.DBName + "_seeded"
	seeded := e.cluster.URL(template)
	var seedTime time.Duration
	if countAssets(ctx, seeded) <= 0 {
		fmt.Fprintf(log, "bench: loading the %s data…\n", scale)
		if err := e.cluster.RecreateDatabase(ctx, template, ""); err != nil {
			e.close()
			return nil, 0, 0, err
		}
		if err := runCmd(ctx, log, o.bin, "seed", "-db", seeded); err != nil {
			e.close()
			return nil, 0, 0, err
		}
		if scale == "city" {
			start := time.Now()
			if err := runCmd(ctx, log, o.bin, "seed", "-scale", "city", "-db", seeded); err != nil {
				e.close()
				return nil, 0, 0, err
			}
			seedTime = time.Since(start)
		}
	}
	fmt.Fprintf(log, "bench: a fresh copy of the %s data…\n", scale)
	if err := e.cluster.RecreateDatabase(ctx, devdb.DBName, template); err != nil {
		e.close()
		return nil, 0, 0, err
	}
	os.RemoveAll(filepath.Join(dir, "photos"))
	e.url = e.cluster.URL(devdb.DBName)
	env := []string{"DATABASE_URL=" + e.url, "INFRAMAP_DEMO_PASSWORD=" + demoPassword, "INFRAMAP_BCRYPT_COST=4", "INFRAMAP_LOG_LEVEL=warn",
		// The pipeline is measured, not the per-account limit of 60 a minute.
		"INFRAMAP_UPLOADS_PER_MINUTE=1000000",
		"INFRAMAP_DATA_DIR=" + dir}
	if e.on, err = startServer(ctx, o.bin, filepath.Join(dir, "server-on.log"), env, "-demo"); err != nil {
		e.close()
		return nil, 0, 0, err
	}
	if e.off, err = startServer(ctx, o.bin, filepath.Join(dir, "server-off.log"), append(env, "INFRAMAP_CACHE_MB=0")); err != nil {
		e.close()
		return nil, 0, 0, err
	}
	// The server with the cache renders the map's low-zoom cluster tiles
	// when it starts; measuring starts once that is done.
	fmt.Fprintf(log, "bench: waiting for the cluster warmer's first pass…\n")
	start := time.Now()
	if err := waitWarm(ctx, e.on.base, 5*time.Minute); err != nil {
		e.close()
		return nil, 0, 0, err
	}
	fmt.Fprintf(log, "bench: cluster tiles warm after %s\n", time.Since(start).Round(100*time.Millisecond))
	return e, seedTime, countAssets(ctx, e.url), nil
}

// waitWarm waits until the server's cluster warmer has made a pass.
func waitWarm(ctx context.Context, base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "inframap_cluster_warm_passes_total "); ok && v != "0" {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("the cluster warmer made no pass in %s", limit)
}

func runCmd(ctx context.Context, log io.Writer, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	return cmd.Run()
}

// tilesOver lists the tiles of zoom z over box, at most max of them, in a
// fixed shuffled order.
func tilesOver(box gis.BBox, z maptile.Zoom, max int) []maptile.Tile {
	a, b := maptile.At(orb.Point{box.MinLon, box.MaxLat}, z), maptile.At(orb.Point{box.MaxLon, box.MinLat}, z)
	var ts []maptile.Tile
	for x := a.X; x <= b.X; x++ {
		for y := a.Y; y <= b.Y; y++ {
			ts = append(ts, maptile.New(x, y, z))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(ts), func(i, j int) { ts[i], ts[j] = ts[j], ts[i] })
	if len(ts) > max {
		ts = ts[:max]
	}
	return ts
}

func tileURL(base string, t maptile.Tile) string {
	return fmt.Sprintf("%s/tiles/all/%d/%d/%d.mvt", base, t.Z, t.X, t.Y)
}

// viewports are 1 km boxes over the district, for a map being panned.
func viewports(n int) []gis.BBox {
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]gis.BBox, n)
	for i := range out {
		lon := 125.18 + r.Float64()*0.10
		lat := 43.85 + r.Float64()*0.06
		out[i] = gis.BBox{MinLon: lon, MinLat: lat, MaxLon: lon + 0.0124, MaxLat: lat + 0.009}
	}
	return out
}

func bboxParam(b gis.BBox) string {
	return fmt.Sprintf("%.4f,%.4f,%.4f,%.4f", b.MinLon, b.MinLat, b.MaxLon, b.MaxLat)
}

// size fetches u once as a browser would and returns the bytes sent.
func size(u string) int {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	n, _ := io.Copy(io.Discard, res.Body)
	return int(n)
}

func benchScale(ctx context.Context, o options, scale string, log io.Writer) (scaleReport, error) {
	rep := scaleReport{scale: scale}
	e, seedTime, n, err := prepare(ctx, o, scale, log)
	if err != nil {
		return rep, err
	}
	defer e.close()
	rep.seedTime, rep.assets = seedTime, n
	work, _ := os.MkdirTemp("", "inframap-bench-")
	defer os.RemoveAll(work)
	pgb := filepath.Join(e.cluster.BinDir(), "pgbench")
	measure := func(name string, urls func(base string) []string, ceil *ceiling, target string) error {
		fmt.Fprintf(log, "bench: %s %s…\n", scale, name)
		var tps float64
		if ceil != nil {
			var err error
			if tps, err = pgbench(ctx, pgb, work, e.cluster.SocketDir(), devdb.DBName, *ceil, o.conns, o.duration); err != nil {
				return err
			}
		}
		for _, s := range []struct {
			srv   *server
			cache string
		}{{e.off, "off"}, {e.on, "on"}} {
			us := urls(s.srv.base)
			if s.cache == "on" {
				// Warm the cache: one pass over every URL.
				wrk(ctx, work, us, 4, 2*time.Second)
			}
			r, err := wrk(ctx, work, us, o.conns, o.duration)
			if err != nil {
				return err
			}
			r.Bytes = size(us[0])
			rep.rows = append(rep.rows, row{name: name, cache: s.cache, r: r, ceiling: tps, target: target})
		}
		return nil
	}
	peerCeiling := func(name string, p ceiling) error {
		fmt.Fprintf(log, "bench: %s %s, pg_tileserv's statement…\n", scale, name)
		tps, err := pgbench(ctx, pgb, work, e.cluster.SocketDir(), devdb.DBName, p, o.conns, o.duration)
		rep.peers = append(rep.peers, peer{name: name, tps: tps})
		return err
	}
	vp := viewportCeiling(viewport)
	if err := measure("1 km viewport GeoJSON (/api/v1/assets?bbox, limit 1000)", func(base string) []string {
		return []string{base + "/api/v1/assets?limit=1000&bbox=" + bboxParam(viewport)}
	}, &vp, "≥ 5,000 req/s, p99 ≤ 25 ms; ≥ 2× pg_featureserv"); err != nil {
		return rep, err
	}
	if err := measure("1 km viewports, 40 places (map panning)", func(base string) []string {
		var us []string
		for _, b := range viewports(40) {
			us = append(us, base+"/api/v1/assets?limit=1000&bbox="+bboxParam(b))
		}
		return us
	}, nil, ""); err != nil {
		return rep, err
	}
	coll := collectionCeiling(maint.KindManhole, 10000)
	collTarget := "≥ 230 req/s or from cache"
	if err := measure("all manholes GeoJSON (/ogc/collections/manhole/items?limit=10000)", func(base string) []string {
		return []string{base + "/ogc/collections/manhole/items?limit=10000"}
	}, &coll, collTarget); err != nil {
		return rep, err
	}
	if err := measure("report card (/api/v1/stats)", func(base string) []string { return []string{base + "/api/v1/stats"} }, nil, ""); err != nil {
		return rep, err
	}
	for _, z := range []maptile.Zoom{12, 14, 16} {
		hot := maptile.At(centre, z)
		populous, err := tileClustered(ctx, e.url, int(z)) // the statement the service picks for this zoom
		if err != nil {
			return rep, err
		}
		s := tileCeiling(populous, int(z), int(hot.X), int(hot.X), int(hot.Y), int(hot.Y))
		if err := measure(fmt.Sprintf("tile z%d, one hot tile", z), func(base string) []string { return []string{tileURL(base, hot)} },
			&s, "cold ≥ 2× pg_tileserv; warm ≥ 15,000 req/s"); err != nil {
			return rep, err
		}
		if err := peerCeiling(fmt.Sprintf("tile z%d, one hot tile", z), pgTileservCeiling(int(z), int(hot.X), int(hot.X), int(hot.Y), int(hot.Y))); err != nil {
			return rep, err
		}
		ts := tilesOver(districtBB, z, 400)
		minX, maxX, minY, maxY := ts[0].X, ts[0].X, ts[0].Y, ts[0].Y
		for _, t := range ts {
			minX, maxX, minY, maxY = min(minX, t.X), max(maxX, t.X), min(minY, t.Y), max(maxY, t.Y)
		}
		rs := tileCeiling(populous, int(z), int(minX), int(maxX), int(minY), int(maxY))
		if err := measure(fmt.Sprintf("tile z%d, %d tiles over the district", z, len(ts)), func(base string) []string {
			var us []string
			for _, t := range ts {
				us = append(us, tileURL(base, t))
			}
			return us
		}, &rs, ""); err != nil {
			return rep, err
		}
		if err := peerCeiling(fmt.Sprintf("tile z%d, %d tiles over the district", z, len(ts)), pgTileservCeiling(int(z), int(minX), int(maxX), int(minY), int(maxY))); err != nil {
			return rep, err
		}
		for _, t := range ts {
			if n := size(tileURL(e.on.base, t)); n > rep.largestMVT {
				rep.largestMVT = n
			}
		}
	}
	// The public map's path at city scale: the programme's assets tile by
	// tile, clustered where a tile holds more than a thousand.
	cts := tilesOver(districtBB, 13, 400)
	if err := measure(fmt.Sprintf("map clusters z13, %d tiles over the district (/api/v1/clusters/manhole)", len(cts)), func(base string) []string {
		var us []string
		for _, t := range cts {
			us = append(us, fmt.Sprintf("%s/api/v1/clusters/manhole/%d/%d/%d", base, t.Z, t.X, t.Y))
		}
		return us
	}, nil, ""); err != nil {
		return rep, err
	}
	fmt.Fprintf(log, "bench: %s public map first render in headless Chromium…\n", scale)
	if rep.render, err = measureRender(ctx, e.on.base); err != nil {
		rep.renderErr = err.Error()
		fmt.Fprintf(log, "bench: first render not measured: %v\n", err)
	} else {
		// Again with the machine busy: 8 clients on the map's tiles, the task
		// list and the report card until the measure ends.
		fmt.Fprintf(log, "bench: %s public map first render under load…\n", scale)
		busy := []string{e.on.base + "/api/v1/tasks?limit=100", e.on.base + "/api/v1/stats"}
		for _, t := range cts {
			busy = append(busy, fmt.Sprintf("%s/api/v1/clusters/manhole/%d/%d/%d", e.on.base, t.Z, t.X, t.Y))
		}
		lctx, stop := context.WithCancel(ctx)
		done := make(chan result, 1)
		go func() {
			done <- loadLoop(lctx, 8, 5*time.Minute, func(w, n int) error { return get(lctx, busy[(w*7919+n)%len(busy)]) })
		}()
		rep.renderBusy, err = measureRender(ctx, e.on.base)
		stop()
		rep.busyLoad = <-done
		if err != nil {
			fmt.Fprintf(log, "bench: first render under load not measured: %v\n", err)
		}
	}
	ws, err := benchWrites(ctx, e.on.base, o.duration)
	if err != nil {
		return rep, err
	}
	rep.writes = ws
	_, rep.peakRSS = memory(e.on.pid())
	return rep, nil
}

// benchWrites measures task transitions and photo uploads with a Go client:
// 8 engineers moving fresh tasks from 上报 to 立案, and 4 inspectors
// uploading distinct photos.
func benchWrites(ctx context.Context, base string, d time.Duration) ([]row, error) {
	tok, err := token(base, "engineer@demo")
	if err != nil {
		return nil, err
	}
	itok, err := token(base, "inspector@demo")
	if err != nil {
		return nil, err
	}
	var asset int64 = 1
	// Prepare the tasks first, so the load is the transitions alone.
	const workers = 8
	var ids []int64
	for range workers * 400 {
		var t struct{ ID int64 }
		if err := call(base, "POST", "/api/v1/tasks", tok, map[string]any{"asset_id": asset, "title": "压测任务"}, nil, &t); err != nil {
			return nil, err
		}
		ids = append(ids, t.ID)
		if len(ids) >= workers*400 {
			break
		}
	}
	transitions := loadLoop(ctx, workers, d, func(i int, n int) error {
		k := i*400 + n
		if n >= 400 {
			return errDone
		}
		return call(base, "POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", ids[k]), tok, map[string]any{"to": "filed", "note": "立案"},
			map[string]string{"If-Match": `"1"`}, nil)
	})
	photo, err := os.ReadFile("internal/photo/testdata/gps-ne.jpg")
	if err != nil {
		return nil, err
	}
	uploads := loadLoop(ctx, 4, d, func(i, n int) error {
		// Distinct bytes each time: a JPEG ignores what follows its end.
		b := append(append([]byte{}, photo...), []byte(fmt.Sprintf("bench %d %d %d", i, n, time.Now().UnixNano()))...)
		return upload(base, fmt.Sprintf("/api/v1/tasks/%d/photos", ids[0]), itok, b)
	})
	return []row{
		{name: "task transitions (上报 → 立案, 8 engineers)", r: transitions},
		{name: "photo uploads (6 KB JPEG, 4 inspectors)", r: uploads},
	}, nil
}

var errDone = fmt.Errorf("done")

// loadLoop runs f from workers goroutines for d and measures it.
func loadLoop(ctx context.Context, workers int, d time.Duration, f func(worker, n int) error) result {
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(stop) && ctx.Err() == nil; n++ {
				t := time.Now()
				err := f(w, n)
				if err == errDone {
					return
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				mu.Lock()
				lat = append(lat, time.Since(t))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{Errors: int(errs.Load())}
	if len(lat) > 0 {
		r.RPS = float64(len(lat)) / elapsed.Seconds()
		r.P50, r.P99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}

func token(base, email string) (string, error) {
	var t struct{ Token string }
	err := call(base, "POST", "/api/v1/auth/tokens", "", map[string]string{"email": email, "password": demoPassword, "name": "bench"}, nil, &t)
	return t.Token, err
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}

func call(base, method, path, tok string, body any, hdr map[string]string, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func writeReport(path string, o options, reports []scaleReport) error {
	var b strings.Builder
	host, _ := os.Hostname()
	cpu := "unknown"
	if c, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(c), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	fmt.Fprintf(&b, "# Benchmarks\n\nWritten by `make bench` (cmd/inframap-bench) on %s — do not edit by hand.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s, %d cores (%s), Go %s, PostgreSQL 15 + PostGIS 3.3, everything on loopback.\n\n", host, runtime.NumCPU(), cpu, runtime.Version())
	fmt.Fprintf(&b, "Method: each read runs %s under wrk (2 threads, %d connections, `Accept-Encoding: gzip` like a browser), "+
		"first against a server with the response cache off (every request renders: the cold path), then against one with "+
		"it on after a warming pass. The ceiling is the same SQL, built from the service's own statements, run by pgbench "+
		"with the same number of clients (`-M prepared`, JIT and parallel workers off as in the service). Bytes are one "+
		"response as sent. Writes run from a Go client. All load, the server and PostgreSQL share the machine's cores.\n\n",
		o.duration, o.conns)
	for _, r := range reports {
		fmt.Fprintf(&b, "## %s data (%d assets)\n\n", r.scale, r.assets)
		if r.seedTime > 0 {
			fmt.Fprintf(&b, "City-scale load (`inframap seed -scale city`, COPY): %s.\n\n", r.seedTime.Round(time.Second))
		}
		b.WriteString("| request | cache | req/s | p50 | p99 | bytes | ceiling tx/s | % of ceiling | target |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, w := range r.rows {
			pct := ""
			if w.ceiling > 0 {
				pct = fmt.Sprintf("%.0f%%", 100*w.r.RPS/w.ceiling)
			}
			ceil := ""
			if w.ceiling > 0 {
				ceil = fmt.Sprintf("%.0f", w.ceiling)
			}
			errs := ""
			if w.r.Errors+w.r.Non2xx > 0 {
				errs = fmt.Sprintf(" (%d errors)", w.r.Errors+w.r.Non2xx)
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f%s | %s | %s | %d | %s | %s | %s |\n", w.name, w.cache, w.r.RPS, errs, w.r.P50.Round(10*time.Microsecond),
				w.r.P99.Round(10*time.Microsecond), w.r.Bytes, ceil, pct, w.target)
		}
		for _, w := range r.writes {
			errs := ""
			if w.r.Errors > 0 {
				errs = fmt.Sprintf(" (%d errors)", w.r.Errors)
			}
			fmt.Fprintf(&b, "| %s | — | %.0f%s | %s | %s | | | | |\n", w.name, w.r.RPS, errs, w.r.P50.Round(10*time.Microsecond), w.r.P99.Round(10*time.Microsecond))
		}
		if len(r.peers) > 0 {
			b.WriteString("\nThe same tiles through pg_tileserv's own statement (pgbench, same clients): the most pg_tileserv could " +
				"serve here before its HTTP tier takes its share (the issue measured it at 10–45% of its statement).\n\n" +
				"| tiles | pg_tileserv statement tx/s | ours cold req/s | ours ÷ pg_tileserv statement |\n|---|---|---|---|\n")
			for _, p := range r.peers {
				for _, w := range r.rows {
					if w.name == p.name && w.cache == "off" && p.tps > 0 {
						fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.2f× |\n", p.name, p.tps, w.r.RPS, w.r.RPS/p.tps)
					}
				}
			}
		}
		b.WriteString(peerServerTable(r))
		fmt.Fprintf(&b, "\nLargest tile over the district (all layers, gzip): %d bytes. Peak RSS of the server with the cache: %.0f MB.\n\n",
			r.largestMVT, float64(r.peakRSS)/(1<<20))
		if fr := r.render; fr != nil {
			tiled := "every programme loaded whole"
			if fr.Tiled != "" {
				tiled = "drawn tile by tile: " + fr.Tiled
			}
			fmt.Fprintf(&b, "Public map, navigation to layers drawn in headless Chromium (1280 × 860, no basemap, %d cold loads, "+
				"each in a fresh browser context): first %d ms, median %d ms, max %d ms (target ≤ 2,000 ms); %s; %d API "+
				"requests, %d bytes of API answers as sent; %d features and clusters drawn.\n\n",
				fr.Runs, fr.FirstMS, fr.MedianMS, fr.MaxMS, tiled, fr.APIRequests, fr.APIBytes, fr.Drawn)
			fmt.Fprintf(&b, "The page's own requests (page, scripts — every module preloaded at once —, styles, API): %d, %d bytes as sent.\n\n",
				fr.Requests, fr.Bytes)
			if fb := r.renderBusy; fb != nil {
				fmt.Fprintf(&b, "The same while 8 clients keep the server busy (%.0f requests/s on tiles, task lists and the report card, "+
					"p99 %s): first %d ms, median %d ms, max %d ms (target ≤ 2,000 ms).\n\n",
					r.busyLoad.RPS, r.busyLoad.P99.Round(time.Millisecond), fb.FirstMS, fb.MedianMS, fb.MaxMS)
			}
		} else if r.renderErr != "" {
			fmt.Fprintf(&b, "Public map first render: not measured (%s).\n\n", r.renderErr)
		}
	}
	b.WriteString(limits)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// get fetches u and drains it; an error or a status over 399 is a failure.
func get(ctx context.Context, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode >= 400 {
		return fmt.Errorf("%s: %s", u, res.Status)
	}
	return nil
}
