package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

func TestMain(m *testing.M) {
	// A test that needs the server as a process of its own runs this test
	// binary again with INFRAMAP_TEST_CHILD set: it then serves and nothing
	// else, so the test can kill it or read its memory.
	if args := os.Getenv("INFRAMAP_TEST_CHILD"); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := run(ctx, append([]string{"inframap"}, strings.Fields(args)...), os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	pgtest.Main(m)
}

// serve runs `inframap serve` on a free port and returns its base URL and a
// function that stops it and returns run's error.
func serve(t *testing.T, env map[string]string, args ...string) (string, func() error) {
	t.Helper()
	return serveLog(t, env, io.Discard, args...)
}

// serveLog is serve with the server's log written to log.
func serveLog(t *testing.T, env map[string]string, log io.Writer, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	getenv := func(k string) string { return env[k] }
	go func() {
		done <- run(ctx, append([]string{"inframap", "serve", "-addr", "127.0.0.1:0"}, args...), getenv, strings.NewReader(""), pw, log)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	base := ""
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "serving on "); ok {
			base = strings.Fields(rest)[0]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		cancel()
		t.Fatalf("serve did not start: %v", <-done)
	}
	// Wait for /healthz, as a load balancer would.
	for i := 0; ; i++ {
		res, err := http.Get(base + "/healthz")
		if err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if i > 50 {
			t.Fatal("no /healthz")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return base, func() error { cancel(); return <-done }
}

func stats(t *testing.T, base string) maint.Stats {
	t.Helper()
	res, err := http.Get(base + "/api/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st maint.Stats
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestServeDemo starts the real command twice on one database: the first
// loads the district, the second finds it and loads nothing.
func TestServeDemo(t *testing.T) {
	url := pgtest.NewURL(t, pgtest.Empty)
	env := map[string]string{"DATABASE_URL": url}
	for round := 1; round <= 2; round++ {
		base, stop := serve(t, env, "-demo")
		st := stats(t, base)
		got := map[maint.Kind]float64{}
		for _, p := range st.Programmes {
			got[p.Kind] = p.Quantity
		}
		want := map[maint.Kind]float64{maint.KindRoadRepair: 511200, maint.KindSewerSeparation: 51, maint.KindParkingLot: 944, maint.KindManhole: 1300, maint.KindCapitalProject: 58000}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("round %d: %s quantity %v, want %v", round, k, got[k], w)
			}
		}
		if st.Programmes[0].Count != 140 {
			t.Errorf("round %d: %d roads", round, st.Programmes[0].Count)
		}
		res, _ := http.Get(base + "/readyz")
		if res.StatusCode != 200 {
			t.Errorf("readyz %d", res.StatusCode)
		}
		if err := stop(); err != nil {
			t.Errorf("serve returned %v", err)
		}
	}
}

func TestBadConfig(t *testing.T) {
	cases := map[string]map[string]string{
		"bad log level":  {"INFRAMAP_LOG_LEVEL": "loud"},
		"bad public URL": {"INFRAMAP_PUBLIC_URL": "map.example.org"},
		"bad proxy":      {"INFRAMAP_TRUSTED_PROXIES": "10.0.0.0/33"},
	}
	for name, env := range cases {
		err := run(context.Background(), []string{"inframap", "serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := run(context.Background(), []string{"inframap", "frobnicate"}, func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard); err == nil {
		t.Error("unknown subcommand accepted")
	}
}

// TestUserAdd adds an account from the command line, the password on
// standard input, and signs in with it.
func TestUserAdd(t *testing.T) {
	url := pgtest.NewURL(t, pgtest.Empty)
	env := map[string]string{"DATABASE_URL": url, "INFRAMAP_BCRYPT_COST": "4"}
	getenv := func(k string) string { return env[k] }
	var out strings.Builder
	err := run(context.Background(), []string{"inframap", "user", "add", "--email", "Chen@Example.org", "--role", "engineer", "--name", "陈工"},
		getenv, strings.NewReader("a good password\n"), &out, io.Discard)
	if err != nil || !strings.Contains(out.String(), "chen@example.org") {
		t.Fatalf("user add: %v %q", err, out.String())
	}
	if err := run(context.Background(), []string{"inframap", "user", "add", "--email", "x@example.org", "--role", "engineer"},
		getenv, strings.NewReader("short\n"), io.Discard, io.Discard); err == nil {
		t.Error("a short password was accepted")
	}
	if err := run(context.Background(), []string{"inframap", "user", "add", "--email", "y@example.org", "--role", "mayor"},
		getenv, strings.NewReader("a good password\n"), io.Discard, io.Discard); err == nil {
		t.Error("an unknown role was accepted")
	}
	base, stop := serve(t, env)
	defer stop()
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"email":"chen@example.org","password":"a good password"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login with the new account: %v %v", err, res.Status)
	}
}

// TestBackupRestore backs up a database with some history of its own and
// restores it into an empty one: the restore proves the counts and
// checksums equal, and the restored service answers the same.
func TestBackupRestore(t *testing.T) {
	src := pgtest.NewURL(t, pgtest.District)
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": src, "INFRAMAP_BCRYPT_COST": "4"}
	getenv := func(k string) string { return env[k] }
	// Some activity beyond the seed: an account and an Open311 report.
	if err := run(context.Background(), []string{"inframap", "user", "add", "-email", "ops@example.org", "-role", "admin"}, getenv,
		strings.NewReader("backup test password\n"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	base, stop := serve(t, env, "-data-dir", dir+"/data")
	res, err := http.PostForm(base+"/open311/v2/requests.json", map[string][]string{"service_code": {"pothole"}, "lat": {"43.8817"}, "long": {"125.25"}})
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("report: %v %v", err, res.Status)
	}
	before := stats(t, base)
	stop()
	var out strings.Builder
	if err := run(context.Background(), []string{"inframap", "backup", "-o", dir + "/backup", "-data-dir", dir + "/data"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	dst := pgtest.NewURL(t, pgtest.Bare)
	env2 := map[string]string{"DATABASE_URL": dst, "INFRAMAP_BCRYPT_COST": "4"}
	out.Reset()
	if err := run(context.Background(), []string{"inframap", "restore", "-from", dir + "/backup", "-data-dir", dir + "/restored"}, func(k string) string { return env2[k] }, nil, &out, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out.String(), "match the backup's checksums") {
		t.Errorf("restore said %q", out.String())
	}
	// Restoring again over the restored data is refused.
	if err := run(context.Background(), []string{"inframap", "restore", "-from", dir + "/backup"}, func(k string) string { return env2[k] }, nil, io.Discard, io.Discard); err == nil {
		t.Error("a restore into a database that is not empty was accepted")
	}
	base, stop = serve(t, env2)
	defer stop()
	after := stats(t, base)
	b1, _ := json.Marshal(before)
	b2, _ := json.Marshal(after)
	if string(b1) != string(b2) {
		t.Errorf("stats differ after restore:\n%s\n%s", b1, b2)
	}
	res, err = http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"email":"ops@example.org","password":"backup test password"}`))
	if err != nil || res.StatusCode != 200 {
		t.Errorf("login after restore: %v %v", err, res.Status)
	}
}

// lockedBuffer collects a server's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoSecretsInLogs signs in, makes and uses a token, fails a sign-in and
// files a resident's report with contact details, then searches every log
// line for the secrets and personal data involved.
func TestNoSecretsInLogs(t *testing.T) {
	url := pgtest.NewURL(t, pgtest.District)
	const demoPassword = "Demo-Passw0rd-7f3a"
	env := map[string]string{"DATABASE_URL": url, "INFRAMAP_BCRYPT_COST": "4", "INFRAMAP_DEMO_PASSWORD": demoPassword, "INFRAMAP_LOG_LEVEL": "debug"}
	var logs lockedBuffer
	base, stop := serveLog(t, env, &logs, "-demo")
	defer stop()
	post := func(path, ctype, body string, hdr ...string) *http.Response {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := post("/api/v1/auth/login", "application/json", `{"email":"engineer@demo","password":"`+demoPassword+`"}`)
	cookie := res.Header.Get("Set-Cookie")
	if res.StatusCode != 200 || cookie == "" {
		t.Fatalf("login: %d", res.StatusCode)
	}
	post("/api/v1/auth/login", "application/json", `{"email":"engineer@demo","password":"Wrong-Guess-91ab"}`)
	res = post("/api/v1/auth/tokens", "application/json", `{"email":"admin@demo","password":"`+demoPassword+`","name":"ci"}`)
	var tok struct{ Token string }
	json.NewDecoder(res.Body).Decode(&tok)
	if tok.Token == "" {
		t.Fatal("no token")
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/users", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	http.DefaultClient.Do(req)
	req, _ = http.NewRequest("GET", base+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer imt_not-a-real-token-5d1e")
	http.DefaultClient.Do(req)
	post("/open311/v2/requests.json", "application/x-www-form-urlencoded",
		"service_code=pothole&lat=43.8817&long=125.25&email=li.ming%40example.org&phone=13904310777&first_name=Ming&last_name=Li")
	sessionValue := strings.TrimPrefix(strings.Split(cookie, ";")[0], "inframap_session=")
	time.Sleep(100 * time.Millisecond)
	out := logs.String()
	if !strings.Contains(out, `"request_id"`) || !strings.Contains(out, "/api/v1/auth/login") {
		t.Fatalf("the log has no request lines: %.500s", out)
	}
	for _, secret := range []string{demoPassword, "Wrong-Guess-91ab", tok.Token, sessionValue, "imt_not-a-real-token-5d1e",
		"li.ming@example.org", "13904310777", "password_hash", "$2a$"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "{") && !strings.Contains(line, `"level"`) {
			t.Errorf("not a structured log line: %s", line)
		}
	}
}

// TestCacheAcrossCopies runs two copies of the service on one database, warms
// their caches with a tile and the report card, edits the asset in the tile
// through one copy, and checks that the next requests on both show the edit.
func TestCacheAcrossCopies(t *testing.T) {
	url := pgtest.NewURL(t, pgtest.District)
	env := map[string]string{"DATABASE_URL": url, "INFRAMAP_BCRYPT_COST": "4", "INFRAMAP_DEMO_PASSWORD": "cache test password"}
	a, stopA := serve(t, env, "-demo")
	defer stopA()
	b, stopB := serve(t, env)
	defer stopB()
	// The manhole and the z16 tile it lies in.
	var id int64
	var lon, lat float64
	conn := pgtest.Conn(t, url)
	if err := conn.QueryRow(context.Background(), `SELECT id, ST_X(geom), ST_Y(geom) FROM assets WHERE code = '2201060103000001'`).Scan(&id, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{lon, lat}, 16)
	tilePath := fmt.Sprintf("/tiles/manhole/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y)
	get := func(base, path string) (string, string) {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s%s: %d %s", base, path, res.StatusCode, body)
		}
		return string(body), res.Header.Get("X-Cache")
	}
	var before [2]string
	for i, base := range []string{a, b} {
		get(base, tilePath)
		body, hit := get(base, tilePath)
		if hit != "hit" {
			t.Errorf("copy %d: the second request of a tile was not a cache hit", i)
		}
		before[i] = body
		get(base, "/api/v1/stats")
	}
	// Rename the manhole through copy A, as an engineer.
	res, err := http.Post(a+"/api/v1/auth/tokens", "application/json", strings.NewReader(`{"email":"engineer@demo","password":"cache test password","name":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	json.NewDecoder(res.Body).Decode(&tok)
	req, _ := http.NewRequest("PATCH", fmt.Sprintf("%s/api/v1/assets/%d", a, id), strings.NewReader(`{"type":"Feature","properties":{"name":"改名的雨水井"}}`))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", `"1"`)
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("rename: %v %v", err, res.Status)
	}
	// The copy that took the write shows it on the very next request.
	if body, _ := get(a, tilePath); body == before[0] || !strings.Contains(body, "改名的雨水井") {
		t.Error("copy A served the old tile after the edit")
	}
	// The other copy learns of it through NOTIFY, within milliseconds.
	deadline := time.Now().Add(2 * time.Second)
	for {
		body, _ := get(b, tilePath)
		if strings.Contains(body, "改名的雨水井") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("copy B still served the old tile 2 s after the edit")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A tile elsewhere stays cached on both.
	far := maptile.At(orb.Point{125.16, 43.83}, 16)
	farPath := fmt.Sprintf("/tiles/manhole/%d/%d/%d.mvt", far.Z, far.X, far.Y)
	get(b, farPath)
	if _, hit := get(b, farPath); hit != "hit" {
		t.Error("an unrelated tile was not cached")
	}
}

// TestWorkingHoursConfig: INFRAMAP_WORKING_HOURS lists a day's working
// intervals; what the calendar cannot use is refused at start, and so is a
// warning share outside (0, 1).
func TestWorkingHoursConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cfg, err := loadConfig(env("INFRAMAP_WORKING_HOURS", "08:00-12:00, 14:00-18:00"))
	if err != nil || len(cfg.workHours) != 2 || cfg.workHours[1].Start != 14*time.Hour || cfg.workHours[1].End != 18*time.Hour {
		t.Fatalf("08:00-12:00,14:00-18:00: %+v, %v", cfg.workHours, err)
	}
	for _, bad := range []string{"8-12", "08:30-12:00,11:00-17:30", "13:00-12:00", "08:30", "25:00-26:00"} {
		if _, err := loadConfig(env("INFRAMAP_WORKING_HOURS", bad)); err == nil || !strings.Contains(err.Error(), "INFRAMAP_WORKING_HOURS") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, bad := range []string{"0", "1", "80", "x"} {
		if _, err := loadConfig(env("INFRAMAP_WARN_SHARE", bad)); err == nil {
			t.Errorf("INFRAMAP_WARN_SHARE=%s accepted", bad)
		}
	}
}
