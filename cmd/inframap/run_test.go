package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// serve runs `inframap serve` on a free port and returns its base URL and a
// function that stops it and returns run's error.
func serve(t *testing.T, env map[string]string, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	getenv := func(k string) string { return env[k] }
	go func() {
		done <- run(ctx, append([]string{"inframap", "serve", "-addr", "127.0.0.1:0"}, args...), getenv, strings.NewReader(""), pw, io.Discard)
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
