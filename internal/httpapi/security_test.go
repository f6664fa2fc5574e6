package httpapi_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

var injections = []string{
	`' OR '1'='1`, `'; DROP TABLE assets; --`, `" OR ""="`, `1; SELECT pg_sleep(5)`, `\'; DELETE FROM tasks; --`,
	`%' OR 1=1 --`, `' UNION SELECT email, password_hash FROM users --`, "\x00", `$1`, `1) OR (1=1`,
	`{"$gt": ""}`, `<script>alert(1)</script>`, `../../etc/passwd`, strings.Repeat("A", 5000),
}

// TestInjection sends SQL-injection strings in every text parameter of the
// read and write endpoints: each answer is an ordinary 2xx/4xx, never a
// server error, the data are untouched, and no injected condition widens a
// result.
func TestInjection(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	before := map[string]int{}
	for _, tbl := range []string{"assets", "tasks", "task_events", "users"} {
		before[tbl] = e.count("SELECT count(*) FROM " + tbl)
	}
	gets := []string{
		"/api/v1/assets?q=%s", "/api/v1/assets?subdistrict=%s", "/api/v1/assets?kind=%s", "/api/v1/assets?status=%s",
		"/api/v1/assets?bbox=%s", "/api/v1/assets?cursor=%s", "/api/v1/assets?as_of=%s", "/api/v1/assets?parent=%s",
		"/api/v1/tasks?assignee=%s", "/api/v1/tasks?status=%s", "/api/v1/tasks?programme=%s", "/api/v1/tasks?source=%s",
		"/api/v1/tasks?overdue=%s", "/api/v1/tasks?asset=%s", "/api/v1/stats?as_of=%s",
		"/api/v1/audit?actor=%s", "/api/v1/audit?action=%s", "/api/v1/audit?from=%s",
		"/open311/v2/requests.json?service_request_id=%s", "/open311/v2/requests.json?service_code=%s",
		"/open311/v2/requests.json?start_date=%s", "/open311/v2/services/%s.json", "/open311/v2/tokens/%s.json",
	}
	for _, tmpl := range gets {
		for _, inj := range injections {
			path := strings.Replace(tmpl, "%s", url.QueryEscape(inj), 1)
			res := e.do("GET", path, tok[maint.RoleAdmin], nil, nil, nil)
			raw := body(res)
			if res.StatusCode >= 500 {
				t.Errorf("GET %s: %d", path, res.StatusCode)
			}
			if res.StatusCode == 200 && (strings.Contains(tmpl, "q=") || strings.Contains(tmpl, "subdistrict=") || strings.Contains(tmpl, "assignee=")) &&
				strings.Contains(raw, `"id":`) {
				t.Errorf("GET %s: the injected text matched something", path)
			}
		}
	}
	writes := []struct {
		method, path string
		body         func(string) any
	}{
		{"POST", "/api/v1/auth/login", func(s string) any { return map[string]string{"email": s, "password": s} }},
		{"POST", "/api/v1/tasks", func(s string) any { return map[string]any{"asset_id": 1, "title": s, "description": s} }},
		{"POST", "/api/v1/assets", func(s string) any {
			return map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point", "coordinates": []float64{125.27, 43.88}},
				"properties": map[string]any{"kind": "manhole", "code": s, "name": s, "cover_category": s}}
		}},
		{"POST", "/api/v1/crews", func(s string) any { return map[string]string{"name": s} }},
		{"POST", "/api/v1/users", func(s string) any { return map[string]string{"email": s, "role": s, "password": s} }},
	}
	for _, w := range writes {
		for _, inj := range injections {
			res := e.do(w.method, w.path, tok[maint.RoleAdmin], w.body(inj), nil, nil)
			if res.StatusCode >= 500 {
				t.Errorf("%s %s with %q: %d %s", w.method, w.path, inj, res.StatusCode, body(res))
			}
		}
	}
	for _, inj := range injections {
		form := url.Values{"service_code": {"pothole"}, "lat": {"43.88"}, "long": {"125.25"}, "description": {inj}, "email": {inj}, "address_string": {inj}, "first_name": {inj}}
		if res, raw := e.postForm("/open311/v2/requests.json", form, nil); res.StatusCode >= 500 {
			t.Errorf("open311 post with %q: %d %s", inj, res.StatusCode, raw)
		}
		form = url.Values{"service_code": {inj}, "lat": {inj}, "long": {inj}}
		if res, raw := e.postForm("/open311/v2/requests.json", form, nil); res.StatusCode >= 500 {
			t.Errorf("open311 post with %q: %d %s", inj, res.StatusCode, raw)
		}
	}
	// Nothing was dropped or deleted; what was added came through the API.
	for tbl, n := range before {
		if got := e.count("SELECT count(*) FROM " + tbl); got < n {
			t.Errorf("%s lost rows: %d → %d", tbl, n, got)
		}
	}
	// Stored text comes back as text: what was posted is what is read.
	if n := e.count(`SELECT count(*) FROM tasks WHERE title = $1`, `'; DROP TABLE assets; --`); n != 1 {
		t.Errorf("the injected title was stored %d times, want once as plain text", n)
	}
}

// TestSecurityHeaders checks the headers every kind of response carries.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	for _, path := range []string{"/", "/api/v1/assets", "/api/v1/nothing", "/open311/v2/services.xml", "/healthz"} {
		res, _ := e.getRaw(path)
		csp := res.Header.Get("Content-Security-Policy")
		if csp == "" || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin", "X-Frame-Options": "DENY"} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
	}
}

// TestBodyLimits: a body over the limit is refused with 413 on every write
// endpoint, before it is read whole.
func TestBodyLimits(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()
	big := bytes.Repeat([]byte("x"), 2<<20)
	for _, path := range []string{"/api/v1/auth/login", "/api/v1/tasks", "/api/v1/assets", "/api/v1/users", "/api/v1/crews", "/open311/v2/requests.json"} {
		req, _ := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(big))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok[maint.RoleAdmin])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Errorf("POST %s with 2 MiB: %d, want 413", path, res.StatusCode)
		}
	}
	// Without a Content-Length the limit holds as the body is read.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/tasks", &chunked{r: bytes.NewReader(append([]byte(`{"title":"`), big...))})
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok[maint.RoleAdmin])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("chunked 2 MiB: %d, want 413", res.StatusCode)
	}
}

// chunked hides its length, so the request is sent chunked.
type chunked struct{ r *bytes.Reader }

func (c *chunked) Read(p []byte) (int, error) { return c.r.Read(p) }
