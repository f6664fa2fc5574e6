package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"inframap/internal/blob"
	"inframap/internal/httpapi"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/seed"
	"inframap/internal/timelimit"
	"inframap/internal/workcal"
	"inframap/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a running server on a database of its own.
type env struct {
	t  testing.TB
	db *postgres.DB
	// sql is a pool of the test's own, for what no store method answers.
	sql *pgtest.Pool
	srv *httptest.Server
}

func newEnv(t testing.TB, template string) *env {
	t.Helper()
	return newEnvConfig(t, template, httpapi.Config{BcryptCost: 4, ResidentReportBurst: 1000, SubscribeBurst: 1000})
}

func newEnvConfig(t testing.TB, template string, cfg httpapi.Config) *env {
	t.Helper()
	if cfg.Blobs == nil {
		dir := t.TempDir()
		b, err := blob.Open(t.Context(), "file://"+dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		cfg.Blobs = b
	}
	db := pgtest.NewDB(t, template)
	// The server's log is shown when a test fails.
	var logs syncBuffer
	log := slog.New(httpx.ContextHandler{Handler: slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	srv := httptest.NewServer(httpapi.NewServer(cfg, db, web.FS(), log))
	t.Cleanup(srv.Close)
	return &env{t: t, db: db, sql: pgtest.SQL(t, db), srv: srv}
}

// get fetches path and decodes a JSON body into v (if not nil).
func (e *env) get(path string, v any) *http.Response {
	e.t.Helper()
	res, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if v != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(body, v); err != nil {
			e.t.Fatalf("GET %s: decode: %v\n%s", path, err, body)
		}
	}
	if res.StatusCode >= 400 {
		var p httpx.Problem
		if err := json.Unmarshal(body, &p); err != nil {
			e.t.Fatalf("GET %s: %d with a body that is not a problem: %s", path, res.StatusCode, body)
		}
		if v, ok := v.(*httpx.Problem); ok {
			*v = p
		}
	}
	return res
}

type featureCollection struct {
	Type     string `json:"type"`
	Features []struct {
		ID         int64          `json:"id"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
	NumberReturned int `json:"numberReturned"`
	Links          []struct {
		Rel  string `json:"rel"`
		Href string `json:"href"`
	} `json:"links"`
}

func (fc featureCollection) next() string {
	for _, l := range fc.Links {
		if l.Rel == "next" {
			return l.Href
		}
	}
	return ""
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.sql.QueryRow(e.t.Context(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestAssetFilters(t *testing.T) {
	e := newEnv(t, pgtest.District)
	// A 1 km box around Jingyang Square.
	box := "125.264,43.8755,125.276,43.8845"
	cases := []struct {
		query string
		sql   string
	}{
		{"kind=manhole", `SELECT count(*) FROM assets WHERE kind = 'manhole'`},
		{"kind=road_repair,parking_lot", `SELECT count(*) FROM assets WHERE kind IN ('road_repair', 'parking_lot')`},
		{"status=in_progress", `SELECT count(*) FROM assets WHERE status = 'in_progress'`},
		{"status=reported,filed&kind=manhole", `SELECT count(*) FROM assets WHERE status IN ('reported', 'filed') AND kind = 'manhole'`},
		{"bbox=" + box, `SELECT count(*) FROM assets WHERE ST_Intersects(geom, ST_MakeEnvelope(125.264,43.8755,125.276,43.8845,4326))`},
		{"q=景阳大路&kind=road_repair", `SELECT count(*) FROM assets WHERE kind = 'road_repair' AND name LIKE '%景阳大路%'`},
		{"q=Jingyang&kind=road_repair", `SELECT count(*) FROM assets WHERE kind = 'road_repair' AND name_en LIKE '%Jingyang%'`},
		{"q=2201060103000001", `SELECT count(*) FROM assets WHERE code = '2201060103000001'`},
		{"subdistrict=正阳街道", `SELECT count(*) FROM assets WHERE subdistrict = '正阳街道'`},
		{"kind=manhole&subdistrict=春城街道&status=closed", `SELECT count(*) FROM assets WHERE kind = 'manhole' AND subdistrict = '春城街道' AND status = 'closed'`},
		{"q=100%25", `SELECT 0`}, // LIKE wildcards are literal
		{"completed_from=2024-05-01&completed_to=2024-05-31&kind=road_repair", `SELECT count(*) FROM assets a WHERE a.kind = 'road_repair' AND EXISTS (
			SELECT 1 FROM tasks t WHERE t.asset_id = a.id AND t.programme = '2023-2024' AND t.status = 'closed'
			AND (t.closed_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '2024-05-01' AND '2024-05-31')`},
		{"as_of=2023-06-30&kind=road_repair&status=closed", `SELECT count(DISTINCT t.asset_id) FROM tasks t JOIN task_events e ON e.task_id = t.id
			JOIN assets a ON a.id = t.asset_id WHERE a.kind = 'road_repair' AND e.to_status = 'closed' AND e.at < '2023-07-01 00:00+08'`},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			want := e.count(c.sql)
			got := 0
			path := "/api/v1/assets?limit=1000&" + c.query
			for path != "" {
				var fc featureCollection
				res := e.get(path, &fc)
				if res.StatusCode != 200 {
					t.Fatalf("GET %s: %d", path, res.StatusCode)
				}
				if ct := res.Header.Get("Content-Type"); ct != "application/geo+json" {
					t.Errorf("Content-Type %q", ct)
				}
				got += len(fc.Features)
				path = strings.TrimPrefix(fc.next(), e.srv.URL)
			}
			if got != want {
				t.Errorf("%s: %d features, want %d", c.query, got, want)
			}
			if want == 0 && !strings.HasPrefix(c.query, "q=100") {
				t.Errorf("%s: the database has no match; the case tests nothing", c.query)
			}
		})
	}
}

func TestAssetBadInput(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	cases := []struct{ query, param string }{
		{"bbox=1,2,3", "bbox"},
		{"bbox=a,b,c,d", "bbox"},
		{"bbox=125.3,43.8,125.2,43.9", "bbox"}, // inverted longitude
		{"bbox=125.2,43.9,125.3,43.8", "bbox"}, // inverted latitude
		{"bbox=125.2,43.8,125.3,91", "bbox"},   // latitude out of range
		{"bbox=43.8,125.2,43.9,125.3", "bbox"}, // swapped axes
		{"kind=manholes", "kind"},
		{"status=finished", "status"},
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"limit=ten", "limit"},
		{"cursor=abc", "cursor"},
		{"cursor=" + url.QueryEscape("azE6LTE"), "cursor"}, // "k1:-1"
		{"as_of=2024-13-01", "as_of"},
		{"colour=red", "colour"},
		{"kind=manhole&kind=parking_lot", "kind"},
	}
	for _, c := range cases {
		var p httpx.Problem
		res := e.get("/api/v1/assets?"+c.query, &p)
		if res.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", c.query, res.StatusCode)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: Content-Type %q", c.query, ct)
		}
		if len(p.Errors) == 0 || p.Errors[0].Field != c.param {
			t.Errorf("%s: problem names %+v, want %q", c.query, p.Errors, c.param)
		}
		if p.RequestID == "" || p.RequestID != res.Header.Get("X-Request-ID") {
			t.Errorf("%s: request id %q in body, %q in header", c.query, p.RequestID, res.Header.Get("X-Request-ID"))
		}
	}
	for _, path := range []string{"/api/v1/assets/999999", "/api/v1/assets/abc", "/api/v1/nothing"} {
		var p httpx.Problem
		if res := e.get(path, &p); res.StatusCode != 404 || p.Status != 404 {
			t.Errorf("GET %s: %d, want 404 problem", path, res.StatusCode)
		}
	}
	var p httpx.Problem
	if res := e.get("/api/v1/stats?as_of=yesterday", &p); res.StatusCode != 400 || p.Errors[0].Field != "as_of" {
		t.Errorf("stats with a bad as_of: %d %+v", res.StatusCode, p)
	}
}

// TestPagingManholes pages through every manhole with small pages: each one
// exactly once, none missing.
func TestPagingManholes(t *testing.T) {
	e := newEnv(t, pgtest.District)
	seen := map[int64]bool{}
	pages := 0
	path := "/api/v1/assets?kind=manhole&limit=97"
	for path != "" {
		var fc featureCollection
		if res := e.get(path, &fc); res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		pages++
		if fc.NumberReturned != len(fc.Features) {
			t.Errorf("numberReturned %d, features %d", fc.NumberReturned, len(fc.Features))
		}
		for _, f := range fc.Features {
			if seen[f.ID] {
				t.Errorf("manhole %d returned twice", f.ID)
			}
			seen[f.ID] = true
			if f.Properties["kind"] != "manhole" || f.Geometry["type"] != "Point" {
				t.Errorf("feature %d: kind %v geometry %v", f.ID, f.Properties["kind"], f.Geometry["type"])
			}
		}
		path = strings.TrimPrefix(fc.next(), e.srv.URL)
	}
	if len(seen) != 1300 {
		t.Errorf("paged through %d manholes, want 1300", len(seen))
	}
	if want := (1300 + 96) / 97; pages != want {
		t.Errorf("%d pages, want %d", pages, want)
	}
	if n := e.count(`SELECT count(*) FROM assets WHERE kind = 'manhole' AND id <> ALL($1)`, keys(seen)); n != 0 {
		t.Errorf("%d manholes never returned", n)
	}
}

func keys(m map[int64]bool) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAssetDetail(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var id int64
	if err := e.sql.QueryRow(t.Context(), `SELECT id FROM assets WHERE code = 'DL-001'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	var f struct {
		Type       string         `json:"type"`
		ID         int64          `json:"id"`
		Geometry   map[string]any `json:"geometry"`
		Properties struct {
			Kind   string  `json:"kind"`
			AreaM2 float64 `json:"area_m2"`
			Status string  `json:"status"`
			Tasks  []struct {
				Ref     string `json:"ref"`
				Status  string `json:"status"`
				History []struct {
					From *string   `json:"from"`
					To   string    `json:"to"`
					At   time.Time `json:"at"`
					Note string    `json:"note"`
				} `json:"history"`
			} `json:"tasks"`
		} `json:"properties"`
	}
	if res := e.get(fmt.Sprintf("/api/v1/assets/%d", id), &f); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if f.Type != "Feature" || f.ID != id || f.Geometry["type"] != "LineString" || f.Properties.Kind != "road_repair" || f.Properties.AreaM2 <= 0 {
		t.Errorf("unexpected feature %+v", f)
	}
	if len(f.Properties.Tasks) == 0 {
		t.Fatal("no tasks")
	}
	prog := f.Properties.Tasks[len(f.Properties.Tasks)-1]
	var to []string
	for _, h := range prog.History {
		to = append(to, h.To)
	}
	if strings.Join(to, ",") != "reported,filed,dispatched,in_progress,done,closed" {
		t.Errorf("history %v", to)
	}
}

// TestStatsAsOf checks the report card now and at two past days against
// figures computed here from the generated dataset, not from SQL.
// seedMoves are the rows of a seeded case's history as timelimit.Replay
// reads them.
func seedMoves(tk seed.Task) []timelimit.Move {
	var out []timelimit.Move
	for _, ev := range tk.Events {
		m := timelimit.Move{At: ev.At, From: ev.From, To: ev.To}
		if a, ok := ev.Changes["assignee"].([]any); ok {
			m.Assignee, _ = a[1].(string)
		}
		if x, ok := ev.Changes["extended"].([]any); ok {
			m.Extend = float64(x[1].(int) - x[0].(int))
		}
		if x, ok := ev.Changes["suspended"].([]any); ok {
			m.Suspend, m.Resume = x[1] == true, x[1] == false
		}
		out = append(out, m)
	}
	return out
}

func TestStatsAsOf(t *testing.T) {
	e := newEnv(t, pgtest.District)
	ds, err := seed.District()
	if err != nil {
		t.Fatal(err)
	}
	kindOf := map[string]maint.Kind{}
	for _, a := range ds.Assets {
		kindOf[a.Code] = a.Kind
	}
	limits := timelimit.NewTable(nil)
	for _, day := range []string{"2023-09-30", "2024-03-31", ""} {
		cut := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		if day != "" {
			d, _ := time.ParseInLocation(time.DateOnly, day, maint.Zone)
			cut = d.AddDate(0, 0, 1)
		}
		completed := map[maint.Kind]int{}
		overdue, open := 0, 0
		for _, tk := range ds.Tasks {
			var status maint.Status
			for _, ev := range tk.Events {
				if ev.At.Before(cut) && ev.To != "" {
					status = ev.To
				}
			}
			if tk.Programme == maint.ProgrammePublished && status == maint.StatusClosed {
				completed[kindOf[tk.AssetCode]]++
			}
			if status.Open() {
				open++
			}
			// Overdue: the step running at the cut was past its deadline,
			// the clocks replayed from the seed's history by hand.
			at := cut
			if day == "" {
				at = time.Now()
			}
			for _, c := range timelimit.Replay(workcal.Default(), limits, timelimit.Case{WorkType: tk.WorkType, Priority: tk.Priority,
				DueDate: tk.DueDate, Assignee: tk.Assignee}, seedMoves(tk)) {
				running := c.StartedAt.Before(at) && (c.EndedAt == nil || !c.EndedAt.Before(at))
				until := at
				if c.PausedSince != nil && c.PausedSince.Before(at) {
					until = *c.PausedSince
				}
				if running && c.Deadline != nil && c.Deadline.Before(until) {
					overdue++
				}
			}
		}
		var st maint.Stats
		q := ""
		if day != "" {
			q = "?as_of=" + day
		}
		if res := e.get("/api/v1/stats"+q, &st); res.StatusCode != 200 {
			t.Fatalf("stats %s: %d", day, res.StatusCode)
		}
		if st.AsOf != day {
			t.Errorf("as_of %q, want %q", st.AsOf, day)
		}
		for _, p := range st.Programmes {
			if p.Completed != completed[p.Kind] {
				t.Errorf("%s as of %q: %d completed, want %d", p.Kind, day, p.Completed, completed[p.Kind])
			}
		}
		if st.Tasks.Open != open || st.Tasks.Overdue != overdue {
			t.Errorf("as of %q: open %d overdue %d, want %d and %d", day, st.Tasks.Open, st.Tasks.Overdue, open, overdue)
		}
		if day == "" {
			want := map[maint.Kind]float64{maint.KindRoadRepair: 511200, maint.KindParkingLot: 944, maint.KindManhole: 1300, maint.KindSewerSeparation: 51}
			for _, p := range st.Programmes {
				if w, ok := want[p.Kind]; ok && p.Quantity != w {
					t.Errorf("%s quantity %v, want %v", p.Kind, p.Quantity, w)
				}
				if p.Kind == maint.KindSewerSeparation && (p.Sites == nil || *p.Sites != 51 || *p.Corridors != 1 || p.CorridorNames[0] != "迎宾路") {
					t.Errorf("sewer separation: %+v", p)
				}
			}
			if open != 60 {
				t.Errorf("%d open tasks in the dataset, want 60", open)
			}
		} else if completed[maint.KindRoadRepair] == 0 || completed[maint.KindRoadRepair] == 140 {
			t.Errorf("as of %s the roads are all or nothing (%d): the date tests no progress", day, completed[maint.KindRoadRepair])
		}
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	for _, p := range []string{"/healthz", "/readyz"} {
		if res := e.get(p, nil); res.StatusCode != 200 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
	res := e.get("/", nil)
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Request-ID"} {
		if res.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
}

func TestAreasAndMeta(t *testing.T) {
	e := newEnv(t, pgtest.District)
	var fc featureCollection
	if res := e.get("/api/v1/areas", &fc); res.StatusCode != 200 {
		t.Fatalf("areas: %d", res.StatusCode)
	}
	kinds := map[string]int{}
	for _, f := range fc.Features {
		kinds[f.Properties["kind"].(string)]++
	}
	if kinds["district"] != 1 || kinds["subdistrict"] != 12 {
		t.Errorf("areas by kind: %v", kinds)
	}
	var m struct {
		Kinds    []struct{ Code string } `json:"kinds"`
		Statuses []struct {
			Code string   `json:"code"`
			Next []string `json:"next"`
		} `json:"statuses"`
	}
	if res := e.get("/api/v1/meta", &m); res.StatusCode != 200 || len(m.Kinds) != 6 || len(m.Statuses) != 8 {
		t.Errorf("meta: %d, %d kinds, %d states", res.StatusCode, len(m.Kinds), len(m.Statuses))
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	e.get("/api/v1/assets?limit=1", nil)
	e.get("/api/v1/assets/123", nil)
	res, raw := e.getRaw("/metrics")
	if res.StatusCode != 200 {
		t.Fatalf("metrics: %d", res.StatusCode)
	}
	for _, want := range []string{
		`http_request_duration_seconds_count{code="200",method="GET",route="/api/v1/assets"} 1`,
		`http_request_duration_seconds_count{code="404",method="GET",route="/api/v1/assets/{id:[0-9]+}"} 1`,
		"go_goroutines", "process_resident_memory_bytes", "http_requests_in_flight 1",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if res, raw := e.getRaw("/debug/pprof/"); res.StatusCode != 200 || !strings.Contains(raw, "goroutine") {
		t.Errorf("profiles from the machine itself: %d", res.StatusCode)
	}
	// From anywhere else, neither exists, nor through a proxy on this machine.
	for i, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap", "/metrics"} {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = "203.0.113.7:40000"
		if i == 3 {
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
		}
		rec := httptest.NewRecorder()
		e.srv.Config.Handler.ServeHTTP(rec, req)
		if rec.Code != 404 || strings.Contains(rec.Body.String(), "goroutine") {
			t.Errorf("%s from another machine: %d", path, rec.Code)
		}
	}
}
