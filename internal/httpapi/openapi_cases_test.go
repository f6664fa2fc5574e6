package httpapi_test

import (
	"bytes"

	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"inframap/internal/maint"
)

// apiFixtures are what the cases of apiCases act on, made before they run.
type apiFixtures struct {
	ids     map[string]string // {name} → its value
	auth    map[string]string // who → Authorization
	session string            // the engineer's session cookie
}

// expand replaces each {name} in s by its fixture, or by the id of the
// asset with that code.
func (f *apiFixtures) expand(e *env, s string) string {
	e.t.Helper()
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := f.ids[m[1:len(m)-1]]; ok {
			return v
		}
		return e.resolve(m)
	})
}

// apiFixtures makes the accounts, tasks in each state, photos, a report,
// a token, a session and cursors that the cases name.
func (e *env) apiFixtures() *apiFixtures {
	t := e.t
	t.Helper()
	tok := e.staff()
	f := &apiFixtures{ids: map[string]string{}, auth: map[string]string{"bad": "Bearer imt_not-a-token"}}
	for role, s := range tok {
		f.auth[string(role)] = "Bearer " + s
	}
	set := func(name string, v any) { f.ids[name] = fmt.Sprint(v) }
	var manhole int64
	if err := e.sql.QueryRow(t.Context(), `SELECT id FROM assets WHERE kind = 'manhole'
		ORDER BY geom <-> ST_SetSRID(ST_MakePoint(125.27, 43.88), 4326) LIMIT 1`).Scan(&manhole); err != nil {
		t.Fatal(err)
	}
	set("manhole", manhole)
	set("lot", e.anyAsset(maint.KindParkingLot))

	// Tasks in the states the cases need, each case its own where it
	// changes the task.
	for _, s := range []struct {
		name string
		to   maint.Status
	}{
		{"open", maint.StatusReported}, {"reported", maint.StatusReported}, {"filed", maint.StatusFiled}, {"clocked", maint.StatusFiled},
		{"done", maint.StatusDone}, {"verified", maint.StatusDone}, {"closed", maint.StatusClosed},
	} {
		set(s.name, e.driveTo(tok, manhole, s.to))
	}
	verified, _ := strconv.ParseInt(f.ids["verified"], 10, 64)
	e.afterPhoto(verified)
	var private int64
	if err := e.sql.QueryRow(t.Context(), `SELECT t.id FROM tasks t JOIN task_events e ON e.task_id = t.id
		WHERE t.reporter_contact <> '' AND e.internal LIMIT 1`).Scan(&private); err != nil {
		t.Fatalf("the dataset has no resident report with an internal note: %v", err)
	}
	set("private", private)

	// Photos: one visible on a task, one hidden and one to hide on the
	// manhole.
	upload := func(path, role, file string) int64 {
		res, p, raw := e.upload(path, tok[maint.Role(role)], map[string]string{"stage": "before"}, "a.jpg", fixture(t, file), nil)
		if res.StatusCode != 201 {
			t.Fatalf("upload %s to %s: %d %s", file, path, res.StatusCode, raw)
		}
		return p.ID
	}
	photo := upload("/api/v1/tasks/"+f.ids["open"]+"/photos", "inspector", "gps-ne.jpg")
	set("photo", photo)
	hidden := upload("/api/v1/assets/"+f.ids["manhole"]+"/photos", "engineer", "gps-sw.jpg")
	set("hidden", hidden)
	if res := e.do("PATCH", fmt.Sprintf("/api/v1/photos/%d", hidden), tok[maint.RoleEngineer], map[string]any{"visible": false, "reason": "人脸"}, nil, nil); res.StatusCode != 200 {
		t.Fatalf("hide photo: %d %s", res.StatusCode, body(res))
	}
	set("toggle", upload("/api/v1/assets/"+f.ids["manhole"]+"/photos", "engineer", "orient6.jpg"))
	res := e.do("GET", fmt.Sprintf("/api/v1/photos/%d/thumb", photo), "", nil, nil, nil)
	if res.StatusCode != 200 || res.Header.Get("ETag") == "" {
		t.Fatalf("thumb: %d", res.StatusCode)
	}
	set("thumb_etag", res.Header.Get("ETag"))
	set("display_etag", strings.Replace(res.Header.Get("ETag"), "-thumb", "-display", 1))
	set("original_etag", strings.Replace(res.Header.Get("ETag"), "-thumb", "-original", 1))

	// A resident's report.
	b, ctype := multipartBody(map[string]string{"service_code": "pothole", "lat": "43.8802", "lon": "125.2705", "description": "路面有坑"}, "", nil)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/reports", b)
	req.Header.Set("Content-Type", ctype)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct{ Ref string }
	json.NewDecoder(res.Body).Decode(&rep)
	res.Body.Close()
	if res.StatusCode != 201 || rep.Ref == "" {
		t.Fatalf("report: %d", res.StatusCode)
	}
	set("report", rep.Ref)
	// A push subscription to it, and one to end.
	for _, name := range []string{"subscription", "ended"} {
		sub, err := e.db.Subscribe(t.Context(), maint.NewSubscription{Channel: "push", Endpoint: "https://push.example/" + name,
			P256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", Auth: "tBHItJI5svbpez7KI4CCXg",
			Lang: "zh", Ref: rep.Ref, Services: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		set(name, sub.Token)
	}

	// Accounts, a crew, a token to revoke and a session.
	u, err := e.db.CreateUser(t.Context(), maint.Viewer{}, "", maint.User{Email: "chen@test", Name: "陈工", Role: maint.RoleInspector}, "x")
	if err != nil {
		t.Fatal(err)
	}
	set("user", u.ID)
	var admin int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM users WHERE email = 'admin@test'`).Scan(&admin)
	set("admin", admin)
	set("crew", url.PathEscape("绿园区市政养护一队"))
	var token struct{ ID int64 }
	if res := e.do("POST", "/api/v1/auth/tokens", "", map[string]string{"email": "engineer@test", "password": testPassword, "name": "to revoke"}, nil, &token); res.StatusCode != 201 {
		t.Fatalf("token: %d", res.StatusCode)
	}
	set("token", token.ID)
	res = e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "engineer@test", "password": testPassword}, nil, nil)
	for _, c := range res.Cookies() {
		if c.Name == "inframap_session" {
			f.session = c.Value
		}
	}
	if f.session == "" {
		t.Fatalf("login: %d, no session cookie", res.StatusCode)
	}

	// Inspection rounds: a monthly plan of covers and this month's
	// inspections of three of them.
	var plan int64
	if err := e.sql.QueryRow(t.Context(), `INSERT INTO inspection_plans (name, kind, frequency, starts_on)
		VALUES ('cases: covers', 'manhole', 'monthly', '2026-01-01') RETURNING id`).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	set("plan", plan)
	rows, err := e.sql.Query(t.Context(), `INSERT INTO inspections (plan_id, asset_id, kind, subdistrict, period_start, period_end)
		SELECT $1, id, kind, subdistrict, date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')::date,
		       (date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') + interval '1 month - 1 day')::date
		FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 3 RETURNING id`, plan)
	if err != nil {
		t.Fatal(err)
	}
	insp, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(insp) != 3 {
		t.Fatalf("inspections: %v, %v", insp, err)
	}
	set("insp", insp[0])
	set("insp_bad", insp[1])
	// A case opened by the third one's failed item (GET /tasks/{id} names it for staff).
	var inspTask int64
	if err := e.sql.QueryRow(t.Context(), `WITH i AS (UPDATE inspections SET status = 'done', done_at = now() WHERE id = $1)
		UPDATE tasks SET inspection_id = $1, inspection_item = 'broken_cover' WHERE id = (SELECT max(id) FROM tasks) RETURNING id`, insp[2]).Scan(&inspTask); err != nil {
		t.Fatal(err)
	}
	set("insp_task", inspTask)
	if _, err := e.sql.Exec(t.Context(), `INSERT INTO crews (name) SELECT DISTINCT crew FROM cover_owners ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	// A present distress of DL-003 (version 1) and a second page of the work list.
	var distress int64
	if err := e.sql.QueryRow(t.Context(), `SELECT d.id FROM road_distresses d JOIN assets a ON a.id = d.asset_id
		WHERE a.code = 'DL-003' AND d.repaired_at IS NULL ORDER BY d.id LIMIT 1`).Scan(&distress); err != nil {
		t.Fatal(err)
	}
	set("distress", distress)
	var wl struct {
		NextCursor string `json:"next_cursor"`
	}
	if res := e.do("GET", "/api/v1/worklist?limit=2", tok[maint.RoleEngineer], nil, nil, &wl); res.StatusCode != 200 || wl.NextCursor == "" {
		t.Fatalf("worklist: %d, no next cursor", res.StatusCode)
	}
	set("worklist_cursor", wl.NextCursor)

	// Cursors of second pages.
	for name, path := range map[string]string{"assets_cursor": "/api/v1/assets?kind=manhole&limit=2",
		"tasks_cursor": "/api/v1/tasks?limit=2", "audit_cursor": "/api/v1/audit?limit=2"} {
		var page struct {
			Links []struct{ Rel, Href string }
		}
		e.do("GET", path, tok[maint.RoleAdmin], nil, nil, &page)
		for _, l := range page.Links {
			if l.Rel == "next" {
				u, _ := url.Parse(l.Href)
				set(name, u.Query().Get("cursor"))
			}
		}
		if f.ids[name] == "" {
			t.Fatalf("%s has no next page", path)
		}
	}
	return f
}

// Bodies the cases send.
const (
	engineerLogin = `{"email": "engineer@test", "password": "correct horse battery"}`
	newManhole    = `{"type": "Feature", "geometry": {"type": "Point", "coordinates": [125.2701, 43.8801]},
		"properties": {"kind": "manhole", "code": "2201060103999001", "name": "新井", "name_en": "New manhole", "cover_category": "0103", "defect_grade": 2}}`
	newBay = `{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[125.27, 43.88], [125.27003, 43.88], [125.27003, 43.88005], [125.27, 43.88005], [125.27, 43.88]]]},
		"properties": {"kind": "parking_space", "code": "TCC-X-001", "name": "新车位", "parent_id": {lot}, "space_type": "ev_charging"}}`
	newRoad = `{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[125.27, 43.88], [125.271, 43.881]]},
		"properties": {"kind": "road_repair", "code": "DL-9%d", "name": "测试路段", "area_m2": %s}}`
)

var (
	jpeg    = func(fields map[string]string) form { return form{fields: fields, file: "noexif.jpg"} }
	before  = map[string]string{"stage": "before"}
	ifMatch = func(v string) map[string]string { return map[string]string{"If-Match": v} }
	current = ifMatch("current")
	stale   = ifMatch(`"999"`)
	plain   = map[string]string{"Content-Type": "text/plain"}
	// If-Match with a body that is not JSON.
	currentPlain = map[string]string{"If-Match": "current", "Content-Type": "text/plain"}
	// JSON bodies over the 1 MiB limit.
	hugeLogin = `{"email": "` + strings.Repeat("x", 2<<20) + `@test", "password": "x"}`
	huge      = `{"note": "` + strings.Repeat("x", 2<<20) + `"}`
	crossSite = map[string]string{"Origin": "https://evil.example"}
)

// apiCases are requests to every /api/v1 operation: its answers, and the
// main ways it fails. A new endpoint (or a new kind of answer) is one more
// line.
var apiCases = []apiCase{
	// Sign-in, sessions and tokens.
	{method: "POST", path: "/api/v1/auth/login", body: engineerLogin, want: 200},
	{method: "POST", path: "/api/v1/auth/login", body: `{"email": "engineer@test", "password": "wrong password"}`, want: 401},
	{method: "POST", path: "/api/v1/auth/login", body: `{"email": "engineer@test"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/auth/login", body: `{"email": "engineer@test", "password": "x", "remember": true}`, want: 400, field: "remember", refused: true},
	{method: "POST", path: "/api/v1/auth/login", body: engineerLogin, hdr: plain, want: 415, refused: true},
	{method: "POST", path: "/api/v1/auth/login", body: hugeLogin, want: 413},
	{method: "POST", path: "/api/v1/auth/login", body: engineerLogin, as: "bad", want: 401},
	{method: "POST", path: "/api/v1/auth/login", body: engineerLogin, as: "cookie", hdr: crossSite, want: 403},
	{method: "POST", path: "/api/v1/auth/login", body: `{"email": "throttled@test", "password": "guess"}`, want: 429, until: true},
	{method: "POST", path: "/api/v1/auth/logout", want: 204},
	{method: "POST", path: "/api/v1/auth/logout", as: "engineer", want: 204},
	{method: "POST", path: "/api/v1/auth/logout", as: "cookie", hdr: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403},
	{method: "POST", path: "/api/v1/auth/logout", as: "bad", want: 401},
	{path: "/api/v1/auth/me", as: "engineer", want: 200},
	{path: "/api/v1/auth/me", as: "cookie", want: 200},
	{path: "/api/v1/auth/me", want: 401, refused: true},
	{path: "/api/v1/auth/me", as: "bad", want: 401},
	{method: "POST", path: "/api/v1/auth/tokens", body: `{"email": "inspector@test", "password": "correct horse battery", "name": "nightly sync"}`, want: 201},
	{method: "POST", path: "/api/v1/auth/tokens", body: `{"email": "inspector@test", "password": "correct horse battery"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/auth/tokens", body: `{"email": "inspector@test", "password": "wrong password", "name": "x"}`, want: 401},
	{method: "POST", path: "/api/v1/auth/tokens", body: `{"email": "inspector@test", "password": "x", "name": "x"}`, hdr: plain, want: 415, refused: true},
	{method: "POST", path: "/api/v1/auth/tokens", body: huge, want: 413},
	{method: "POST", path: "/api/v1/auth/tokens", as: "cookie", hdr: crossSite, body: `{"email": "inspector@test", "password": "x", "name": "x"}`, want: 403},
	{method: "POST", path: "/api/v1/auth/tokens", body: `{"email": "throttled@test", "password": "guess", "name": "x"}`, want: 429, until: true},
	{path: "/api/v1/auth/tokens", as: "engineer", want: 200},
	{path: "/api/v1/auth/tokens?all=true", as: "admin", want: 200},
	{path: "/api/v1/auth/tokens?all=true", as: "engineer", want: 403},
	{path: "/api/v1/auth/tokens?every=true", as: "engineer", want: 400},
	{path: "/api/v1/auth/tokens", want: 401, refused: true},
	{method: "DELETE", path: "/api/v1/auth/tokens/{token}", as: "inspector", want: 404},
	{method: "DELETE", path: "/api/v1/auth/tokens/{token}", as: "engineer", want: 204},
	{method: "DELETE", path: "/api/v1/auth/tokens/999999", as: "engineer", want: 404},
	{method: "DELETE", path: "/api/v1/auth/tokens/{token}", want: 401, refused: true},
	{method: "DELETE", path: "/api/v1/auth/tokens/{token}", as: "cookie", hdr: crossSite, want: 403},

	// Assets.
	{path: "/api/v1/assets", want: 200},
	{path: "/api/v1/assets?kind=manhole&status=closed&limit=5", want: 200},
	{path: "/api/v1/assets?kind=parking_space&limit=3", want: 200},
	{path: "/api/v1/assets?bbox=125.264,43.8755,125.276,43.8845&limit=1000", want: 200},
	{path: "/api/v1/assets?as_of=2023-06-30&kind=road_repair", want: 200},
	{path: "/api/v1/assets?completed_from=2024-05-01&completed_to=2024-05-31&kind=road_repair,manhole", want: 200},
	{path: "/api/v1/assets?parent={lot}", want: 200},
	{path: "/api/v1/assets?kind=manhole&limit=2&cursor={assets_cursor}", want: 200},
	{path: "/api/v1/assets?q=" + url.QueryEscape("景阳大路") + "&subdistrict=" + url.QueryEscape("正阳街道"), want: 200},
	{path: "/api/v1/assets?limit=5", as: "engineer", want: 200},
	{path: "/api/v1/assets?limit=0", want: 400, refused: true},
	{path: "/api/v1/assets?limit=1001", want: 400, refused: true},
	{path: "/api/v1/assets?kind=manholes", want: 400, refused: true},
	{path: "/api/v1/assets?status=finished", want: 400, refused: true},
	{path: "/api/v1/assets?bbox=1,2,3", want: 400, field: "bbox", refused: true},
	{path: "/api/v1/assets?as_of=2024-13-01", want: 400, refused: true},
	{path: "/api/v1/assets?parent=0", want: 400, refused: true},
	{path: "/api/v1/assets?cursor=abc!", want: 400, refused: true},
	{path: "/api/v1/assets?colour=red", want: 400, field: "colour"},
	{path: "/api/v1/assets", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/assets?kind=manhole&limit=1", want: 200},
	{method: "HEAD", path: "/api/v1/assets?limit=0", want: 400, refused: true},
	{method: "HEAD", path: "/api/v1/assets", as: "bad", want: 401},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: newManhole, want: 201},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: newBay, want: 201},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: fmt.Sprintf(newRoad, 1, "1200"), want: 201},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: fmt.Sprintf(newRoad, 1, "1200"), want: 409},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: `{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[116.40, 39.90], [116.41, 39.91]]},
		"properties": {"kind": "road_repair", "code": "DL-902", "name": "北京", "area_m2": 10}}`, want: 400, field: "geometry"},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: `{"type": "Feature", "geometry": {"type": "Point", "coordinates": [125.27, 43.88]},
		"properties": {"kind": "road_repair", "code": "DL-903", "name": "点", "area_m2": 10}}`, want: 400},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: `{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[125.27, 43.88], [125.271, 43.881]]},
		"properties": {"kind": "road_repair", "code": "DL-904", "name": "缺面积"}}`, want: 400, field: "properties.area_m2", refused: true},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: `{"type": "Feature", "geometry": {"type": "Point", "coordinates": [125.27, 43.88]},
		"properties": {"kind": "manhole", "code": "M-1", "name": "x", "cover_category": "0103"}}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: `{"type": "Feature", "geometry": {"type": "Point", "coordinates": [125.27, 43.88]},
		"properties": {"kind": "manhole", "code": "2201060103999002", "name": "x", "cover_category": "0103", "status": "closed"}}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: `{"type": "FeatureCollection", "features": []}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: newManhole, hdr: plain, want: 415, refused: true},
	{method: "POST", path: "/api/v1/assets", as: "engineer", body: huge, want: 413},
	{method: "POST", path: "/api/v1/assets", as: "inspector", body: newManhole, want: 403},
	{method: "POST", path: "/api/v1/assets", body: newManhole, want: 401, refused: true},
	{path: "/api/v1/assets/{DL-001}", want: 200},
	{path: "/api/v1/assets/{YWFL-YBL}", want: 200},
	{path: "/api/v1/assets/{XHB-1-1}", want: 200},
	{path: "/api/v1/assets/{2201060103000001}", want: 200},
	{path: "/api/v1/assets/{manhole}", as: "engineer", want: 200},
	{path: "/api/v1/assets/{DL-001}?with=tasks", want: 400},
	{path: "/api/v1/assets/999999", want: 404},
	{path: "/api/v1/assets/{DL-001}", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/assets/{DL-001}", want: 200},
	{method: "HEAD", path: "/api/v1/assets/999999", want: 404},
	{method: "HEAD", path: "/api/v1/assets/{DL-001}?with=tasks", want: 400},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", hdr: current, body: `{"type": "Feature", "properties": {"area_m2": 1500, "name_en": "Test", "surface": "asphalt"}}`, want: 200},
	{method: "PATCH", path: "/api/v1/assets/{DL-003}", as: "engineer", hdr: current,
		body: `{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[125.27, 43.88], [125.272, 43.882]]}}`, want: 200},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", body: `{"properties": {"area_m2": 1600}}`, want: 428, refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", hdr: ifMatch("*"), body: `{"properties": {"area_m2": 1600}}`, want: 428, refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", hdr: stale, body: `{"properties": {"area_m2": 1600}}`, want: 412},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", hdr: current, body: `{"properties": {"code": "DL-001"}}`, want: 409},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", hdr: current, body: `{"properties": {"kind": "manhole"}}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", hdr: current, body: `{"type": "Feature"}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", hdr: current, body: `{"properties": {"area_m2": "big"}}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", hdr: currentPlain, body: `{"properties": {"area_m2": 1}}`, want: 415, refused: true},
	{method: "PATCH", path: "/api/v1/assets/999999", as: "engineer", hdr: ifMatch(`"1"`), body: `{"properties": {"area_m2": 1}}`, want: 404},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "inspector", hdr: current, body: `{"properties": {"area_m2": 1}}`, want: 403},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", hdr: current, body: `{"properties": {"area_m2": 1}}`, want: 401, refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-002}", as: "engineer", hdr: current, body: `{"properties": {"note": "` + strings.Repeat("很长", 200000) + `"}}`, want: 413},

	// Photos of assets.
	{method: "POST", path: "/api/v1/assets/{manhole}/photos", as: "engineer", body: form{fields: map[string]string{"stage": "before", "lat": "43.8801", "lon": "125.2702"}, file: "photo.png"}, want: 201},
	{method: "POST", path: "/api/v1/assets/{manhole}/photos", as: "engineer", body: form{fields: before, file: "gps-sw.jpg"}, want: 200},
	{method: "POST", path: "/api/v1/assets/{manhole}/photos", as: "engineer", body: form{fields: before, file: "text.jpg"}, want: 415},
	{method: "POST", path: "/api/v1/assets/{manhole}/photos", as: "engineer", body: form{fields: before, file: "corrupt-exif.jpg", pad: 26 << 20}, want: 413},
	{method: "POST", path: "/api/v1/assets/{manhole}/photos", as: "engineer", body: form{fields: before, file: "truncated.jpg"}, want: 422},
	{method: "POST", path: "/api/v1/assets/{manhole}/photos", as: "engineer", body: jpeg(map[string]string{"stage": "before", "accuracy_m": "-1"}), want: 400, refused: true},
	{method: "POST", path: "/api/v1/assets/{manhole}/photos", as: "cookie", hdr: crossSite, body: jpeg(before), want: 403},
	{method: "POST", path: "/api/v1/assets/999999/photos", as: "engineer", body: jpeg(before), want: 404},
	{method: "POST", path: "/api/v1/assets/{manhole}/photos", body: jpeg(before), want: 401, refused: true},
	{path: "/api/v1/assets/{manhole}/photos", want: 200},
	{path: "/api/v1/assets/{manhole}/photos", as: "engineer", want: 200},
	{path: "/api/v1/assets/{manhole}/photos", as: "bad", want: 401},

	// Tasks.
	{path: "/api/v1/tasks", want: 200},
	{path: "/api/v1/tasks?status=reported,filed&kind=manhole&limit=5", want: 200},
	{path: "/api/v1/tasks?overdue=true&programme=routine&limit=5", want: 200},
	{path: "/api/v1/tasks?source=resident&assignee=" + url.QueryEscape("绿园区市政养护一队") + "&bbox=125.2,43.85,125.3,43.9", want: 200},
	{path: "/api/v1/tasks?asset={DL-001}", want: 200},
	{path: "/api/v1/tasks?limit=2&cursor={tasks_cursor}", want: 200},
	{path: "/api/v1/tasks?source=resident&limit=20", as: "engineer", want: 200},
	{path: "/api/v1/tasks?status=finished", want: 400, refused: true},
	{path: "/api/v1/tasks?overdue=maybe", want: 400, refused: true},
	{path: "/api/v1/tasks?programme=2025", want: 400, refused: true},
	{path: "/api/v1/tasks?source=twitter", want: 400, refused: true},
	{path: "/api/v1/tasks?asset=0", want: 400, refused: true},
	{path: "/api/v1/tasks?limit=1001", want: 400, refused: true},
	{path: "/api/v1/tasks?crew=a", want: 400},
	{path: "/api/v1/tasks", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/tasks?limit=1", want: 200},
	{method: "HEAD", path: "/api/v1/tasks?limit=0", want: 400, refused: true},
	{method: "HEAD", path: "/api/v1/tasks", as: "bad", want: 401},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", hdr: map[string]string{"Idempotency-Key": "task-1"}, body: `{"asset_id": {manhole}, "title": "重试的任务"}`, want: 201},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", hdr: map[string]string{"Idempotency-Key": "task-1"}, body: `{"asset_id": {manhole}, "title": "重试的任务"}`, want: 201},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", hdr: map[string]string{"Idempotency-Key": "task-1"}, body: `{"asset_id": {manhole}, "title": "另一个任务"}`, want: 422},
	{path: "/api/v1/tasks?q=LY-2023&order=newest&limit=5", want: 200},
	{path: "/api/v1/tasks?order=time_left&limit=5", want: 200},
	{path: "/api/v1/tasks?order=priority&limit=5", want: 200},
	{path: "/api/v1/tasks?order=distance&near=125.2461,43.8712&limit=5", want: 200},
	{path: "/api/v1/tasks?order=distance", want: 400, field: "near"},
	{method: "POST", path: "/api/v1/tasks/{open}/support", body: `{"device": "a-device-id-0123456789"}`, want: 200},
	{method: "POST", path: "/api/v1/tasks/{open}/support", body: `{"device": "a-device-id-0123456789"}`, want: 200},
	{method: "POST", path: "/api/v1/tasks/{open}/support", body: `{"device": "short"}`, want: 400, field: "device", refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/support", body: `{}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks/{closed}/support", body: `{"device": "a-device-id-0123456789"}`, want: 409},
	{method: "POST", path: "/api/v1/tasks/999999/support", body: `{"device": "a-device-id-0123456789"}`, want: 404},
	{path: "/api/v1/tasks?order=deadline", want: 400, field: "order", refused: true},

	// Time limits: the calendar, the limits and a task's clock.
	{path: "/api/v1/calendar?year=2025", want: 200},
	{path: "/api/v1/calendar", as: "engineer", want: 200},
	{path: "/api/v1/calendar?year=25", want: 400, field: "year", refused: true},
	{path: "/api/v1/calendar?month=1", want: 400, field: "month"},
	{method: "HEAD", path: "/api/v1/calendar?year=2024", want: 200},
	{method: "PUT", path: "/api/v1/calendar/2027-02-06", as: "admin", body: `{"kind": "holiday", "holiday": "春节", "holiday_en": "Spring Festival", "reason": "春节", "reason_en": "Spring Festival"}`, want: 204},
	{method: "PUT", path: "/api/v1/calendar/2027-02-06", as: "admin", body: `{"kind": "off"}`, want: 400, field: "kind", refused: true},
	{method: "PUT", path: "/api/v1/calendar/2027-02-30", as: "admin", body: `{"kind": "holiday"}`, want: 400, field: "date", refused: true},
	{method: "PUT", path: "/api/v1/calendar/2027-02-06", as: "engineer", body: `{"kind": "holiday"}`, want: 403},
	{method: "PUT", path: "/api/v1/calendar/2027-02-06", body: `{"kind": "holiday"}`, want: 401, refused: true},
	{method: "DELETE", path: "/api/v1/calendar/2027-02-06", as: "admin", want: 204},
	{method: "DELETE", path: "/api/v1/calendar/2027-02-06", as: "admin", want: 404},
	{path: "/api/v1/time-limits", want: 200},
	{path: "/api/v1/time-limits?step=file", want: 400, field: "step"},
	{method: "HEAD", path: "/api/v1/time-limits", want: 200},
	{method: "PUT", path: "/api/v1/time-limits/pothole/handle", as: "admin", body: `{"unit": "working_days", "n": 3}`, want: 204},
	{method: "PUT", path: "/api/v1/time-limits/pothole/handle", as: "admin", body: `{"unit": "working_days", "n": 1.5}`, want: 400, field: "n"},
	{method: "PUT", path: "/api/v1/time-limits/pothole/handle", as: "admin", body: `{"unit": "days", "n": 3}`, want: 400, field: "unit", refused: true},
	{method: "PUT", path: "/api/v1/time-limits/pothole/repair", as: "admin", body: `{"unit": "working_days", "n": 3}`, want: 400, field: "step", refused: true},
	{method: "PUT", path: "/api/v1/time-limits/Pothole!/handle", as: "admin", body: `{"unit": "working_days", "n": 3}`, want: 400, field: "case_type", refused: true},
	{method: "PUT", path: "/api/v1/time-limits/pothole/handle", as: "engineer", body: `{"unit": "working_days", "n": 3}`, want: 403},
	{method: "DELETE", path: "/api/v1/time-limits/pothole/handle", as: "admin", want: 204},
	// Condition (docs/condition.md).
	{path: "/api/v1/assets/{DL-001}/distresses", want: 200},
	{method: "HEAD", path: "/api/v1/assets/{DL-001}/distresses", want: 200},
	{path: "/api/v1/assets/999999/distresses", want: 404},
	{method: "POST", path: "/api/v1/assets/{DL-002}/distresses", as: "inspector", body: `{"kind": "pothole", "severity": "heavy", "extent_m2": 12.5}`, want: 201},
	{method: "POST", path: "/api/v1/assets/{DL-002}/distresses", as: "engineer", body: `{"distresses": [{"kind": "rutting", "severity": "light", "extent_m2": 30}, {"kind": "bleeding", "severity": "moderate", "extent_m2": 4}]}`, want: 201},
	{method: "POST", path: "/api/v1/assets/{DL-002}/distresses", as: "engineer", body: `{"kind": "crack", "severity": "heavy", "extent_m2": 1}`, want: 400, field: "distresses[0].kind", refused: true},
	{method: "POST", path: "/api/v1/assets/{DL-002}/distresses", as: "engineer", body: `{"kind": "pothole", "severity": "awful", "extent_m2": 1}`, want: 400, field: "distresses[0].severity", refused: true},
	{method: "POST", path: "/api/v1/assets/{DL-002}/distresses", as: "engineer", body: `{"kind": "pothole", "severity": "light", "extent_m2": 0}`, want: 400, field: "distresses[0].extent_m2", refused: true},
	{method: "POST", path: "/api/v1/assets/{DL-002}/distresses", as: "engineer", body: `{"distresses": []}`, want: 400, field: "distresses", refused: true},
	{method: "POST", path: "/api/v1/assets/{manhole}/distresses", as: "engineer", body: `{"kind": "pothole", "severity": "light", "extent_m2": 1}`, want: 400, field: "asset"},
	{method: "POST", path: "/api/v1/assets/{DL-002}/distresses", body: `{"kind": "pothole", "severity": "light", "extent_m2": 1}`, want: 401, refused: true},
	{method: "POST", path: "/api/v1/assets/999999/distresses", as: "engineer", body: `{"kind": "pothole", "severity": "light", "extent_m2": 1}`, want: 404},
	{method: "POST", path: "/api/v1/assets/{DL-002}/distresses", as: "engineer", body: `not json`, hdr: plain, want: 415, refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-003}/distresses/{distress}", as: "engineer", body: `{"repaired": true}`, hdr: ifMatch(`"1"`), want: 200},
	{method: "PATCH", path: "/api/v1/assets/{DL-003}/distresses/{distress}", as: "engineer", body: `{"extent_m2": 5}`, hdr: stale, want: 412},
	{method: "PATCH", path: "/api/v1/assets/{DL-003}/distresses/{distress}", as: "engineer", body: `{"extent_m2": 5}`, want: 428, refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-003}/distresses/{distress}", as: "engineer", body: `{"extent_m2": -5}`, hdr: ifMatch(`"2"`), want: 400, field: "extent_m2", refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-003}/distresses/{distress}", as: "engineer", body: `{"severity": "awful"}`, hdr: ifMatch(`"2"`), want: 400, field: "severity", refused: true},
	{method: "PATCH", path: "/api/v1/assets/{DL-003}/distresses/999999", as: "engineer", body: `{"repaired": true}`, hdr: ifMatch(`"1"`), want: 404},
	{method: "PATCH", path: "/api/v1/assets/{DL-003}/distresses/{distress}", body: `{"repaired": true}`, hdr: ifMatch(`"2"`), want: 401, refused: true},
	{path: "/api/v1/assets/{DL-001}/condition", want: 200},
	{path: "/api/v1/assets/{manhole}/condition", want: 200},
	{method: "HEAD", path: "/api/v1/assets/{DL-001}/condition", want: 200},
	{path: "/api/v1/assets/999999/condition", want: 404},
	{path: "/api/v1/worklist", as: "engineer", want: 200},
	{path: "/api/v1/worklist?kind=road_repair&grade=B&limit=5", as: "inspector", want: 200},
	{path: "/api/v1/worklist?limit=2&cursor={worklist_cursor}", as: "engineer", want: 200},
	{method: "HEAD", path: "/api/v1/worklist", as: "engineer", want: 200},
	{path: "/api/v1/worklist?grade=E", as: "engineer", want: 400, field: "grade", refused: true},
	{path: "/api/v1/worklist?kind=castle", as: "engineer", want: 400, field: "kind", refused: true},
	{path: "/api/v1/worklist?sort=pci", as: "engineer", want: 400, field: "sort"},
	{path: "/api/v1/worklist", want: 401, refused: true},
	{method: "DELETE", path: "/api/v1/time-limits/pothole/handle", as: "admin", want: 404},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "engineer", hdr: current, body: `{"action": "request_extension", "n": 2, "reason": "需协调产权单位"}`, want: 200},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "engineer", hdr: current, body: `{"action": "request_extension", "n": 1, "reason": "再次申请"}`, want: 409},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "engineer", hdr: current, body: `{"action": "request_suspension"}`, want: 400, field: "reason", refused: true},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "engineer", hdr: current, body: `{"action": "request_extension", "reason": "x"}`, want: 400, field: "n", refused: true},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "engineer", hdr: current, body: `{"action": "pause"}`, want: 400, field: "action", refused: true},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "engineer", hdr: current, body: `{"action": "resume"}`, want: 409},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "inspector", hdr: current, body: `{"action": "approve", "request": 999999}`, want: 403},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "admin", hdr: current, body: `{"action": "approve", "request": 999999}`, want: 404},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "engineer", hdr: stale, body: `{"action": "resume"}`, want: 412},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", as: "engineer", body: `{"action": "resume"}`, want: 428, refused: true},
	{method: "POST", path: "/api/v1/tasks/{clocked}/clock", hdr: current, body: `{"action": "resume"}`, want: 401, refused: true},
	{method: "POST", path: "/api/v1/tasks/{closed}/clock", as: "engineer", hdr: current, body: `{"action": "request_suspension", "reason": "x"}`, want: 409},
	{path: "/api/v1/tasks?order=sideways", want: 400, field: "order", refused: true},
	{method: "POST", path: "/api/v1/tasks", as: "inspector", body: `{"asset_id": {manhole}, "title": "井盖松动", "priority": "high", "due_date": "2030-01-31", "work_type": "manhole_remediation"}`, want: 201},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"location": {"type": "Point", "coordinates": [125.2703, 43.8803]}, "title": "路面坑槽", "description": "约 40 厘米"}`, want: 201},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"title": "在哪里"}`, want: 400, field: "asset_id", refused: true},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"asset_id": 999999, "title": "不存在的设施"}`, want: 400},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"asset_id": {manhole}, "title": "   "}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"asset_id": {manhole}, "title": "x", "priority": "asap"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"asset_id": {manhole}, "title": "x", "due_date": "tomorrow"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"location": {"type": "LineString", "coordinates": [[125.27, 43.88], [125.28, 43.89]]}, "title": "x"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"asset_id": {manhole}, "title": "x", "status": "closed"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"asset_id": {manhole}, "title": "x"}`, hdr: plain, want: 415, refused: true},
	{method: "POST", path: "/api/v1/tasks", as: "engineer", body: `{"asset_id": {manhole}, "title": "x", "description": "` + strings.Repeat("x", 2<<20) + `"}`, want: 413},
	{method: "POST", path: "/api/v1/tasks", body: `{"asset_id": {manhole}, "title": "x"}`, want: 401, refused: true},
	{method: "POST", path: "/api/v1/tasks", as: "cookie", hdr: map[string]string{"Sec-Fetch-Site": "cross-site"}, body: `{"asset_id": {manhole}, "title": "x"}`, want: 403},
	{path: "/api/v1/tasks/{open}", want: 200},
	{path: "/api/v1/tasks/{open}", as: "engineer", want: 200},
	{path: "/api/v1/tasks/{private}", as: "engineer", want: 200},
	{path: "/api/v1/tasks/{private}", want: 200},
	{path: "/api/v1/tasks/{closed}", as: "inspector", want: 200},
	{path: "/api/v1/tasks/{open}?history=false", want: 400},
	{path: "/api/v1/tasks/999999", want: 404},
	{path: "/api/v1/tasks/{open}", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/tasks/{open}", want: 200},
	{method: "HEAD", path: "/api/v1/tasks/999999", want: 404},
	{method: "HEAD", path: "/api/v1/tasks/{open}?history=false", want: 400},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: current, body: `{"priority": "urgent", "qty_planned": 120, "qty_done": 30, "qty_unit": "m2",
		"phase": "excavation", "percent": 25, "due_date": "2030-06-30", "note": "内部：勿外传", "internal": true}`, want: 200},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: current, body: `{"phase": null, "percent": null, "due_date": null, "description": null}`, want: 200},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", body: `{"priority": "low"}`, want: 428, refused: true},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: stale, body: `{"priority": "low"}`, want: 412},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: current, body: `{"status": "closed"}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: current, body: `{}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: current, body: `{"percent": 150}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: current, body: `{"priority": null}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: current, body: `{"assignee": "不存在的队伍"}`, want: 400, field: "assignee"},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: currentPlain, body: `{"priority": "low"}`, want: 415, refused: true},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "engineer", hdr: current, body: huge, want: 413},
	{method: "PATCH", path: "/api/v1/tasks/{closed}", as: "engineer", hdr: current, body: `{"priority": "low"}`, want: 409},
	{method: "PATCH", path: "/api/v1/tasks/999999", as: "engineer", hdr: ifMatch(`"1"`), body: `{"priority": "low"}`, want: 404},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", as: "inspector", hdr: current, body: `{"priority": "low"}`, want: 403},
	{method: "PATCH", path: "/api/v1/tasks/{filed}", hdr: current, body: `{"priority": "low"}`, want: 401, refused: true},
	{method: "POST", path: "/api/v1/tasks/{reported}/transitions", as: "engineer", hdr: current, body: `{"to": "filed", "note": "立案"}`, want: 200},
	{method: "POST", path: "/api/v1/tasks/{filed}/transitions", as: "engineer", hdr: current,
		body: `{"to": "dispatched", "assignee": "绿园区市政养护二队", "due_date": "2030-01-31", "note": "派遣", "internal": false}`, want: 200},
	{method: "POST", path: "/api/v1/tasks/{verified}/transitions", as: "inspector", hdr: current, body: `{"to": "closed", "note": "核查通过"}`, want: 200},
	{method: "POST", path: "/api/v1/tasks/{open}/transitions", as: "engineer", hdr: current, body: `{"to": "closed"}`, want: 409},
	{method: "POST", path: "/api/v1/tasks/{closed}/transitions", as: "admin", hdr: current, body: `{"to": "filed"}`, want: 409},
	{method: "POST", path: "/api/v1/tasks/{open}/transitions", as: "inspector", hdr: current, body: `{"to": "filed"}`, want: 403},
	{method: "POST", path: "/api/v1/tasks/{done}/transitions", as: "engineer", hdr: current, body: `{"to": "closed"}`, want: 403},
	{method: "POST", path: "/api/v1/tasks/{done}/transitions", as: "inspector", hdr: current, body: `{"to": "closed"}`, want: 422},
	{method: "POST", path: "/api/v1/tasks/{open}/transitions", as: "engineer", hdr: current, body: `{"to": "rejected"}`, want: 400, field: "note"},
	{method: "POST", path: "/api/v1/tasks/{open}/transitions", as: "engineer", hdr: current, body: `{"to": "finished"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/transitions", as: "engineer", body: `{"to": "filed"}`, want: 428, refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/transitions", as: "engineer", hdr: stale, body: `{"to": "closed"}`, want: 412},
	{method: "POST", path: "/api/v1/tasks/{open}/transitions", as: "engineer", hdr: currentPlain, body: `{"to": "filed"}`, want: 415, refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/transitions", as: "engineer", hdr: current, body: huge, want: 413},
	{method: "POST", path: "/api/v1/tasks/999999/transitions", as: "engineer", hdr: ifMatch(`"1"`), body: `{"to": "filed"}`, want: 404},
	{method: "POST", path: "/api/v1/tasks/{open}/transitions", hdr: current, body: `{"to": "filed"}`, want: 401, refused: true},

	// Photos of tasks.
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", hdr: map[string]string{"Idempotency-Key": "upload-7f1c"},
		body: jpeg(map[string]string{"stage": "during", "lat": "43.8801", "lon": "125.2702", "accuracy_m": "8.5", "captured_at": "2024-07-01T09:00:00+08:00"}), want: 201},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", hdr: map[string]string{"Idempotency-Key": "upload-7f1c"},
		body: jpeg(map[string]string{"stage": "during", "lat": "43.8801", "lon": "125.2702", "accuracy_m": "8.5", "captured_at": "2024-07-01T09:00:00+08:00"}), want: 201},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", hdr: map[string]string{"Idempotency-Key": "upload-7f1c"},
		body: form{fields: map[string]string{"stage": "during"}, file: "photo.webp"}, want: 422},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", body: form{fields: before, file: "gps-ne.jpg"}, want: 200},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", body: form{fields: before, file: "text.jpg"}, want: 415},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", body: form{fields: before, file: "truncated.jpg"}, want: 422},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", body: form{fields: before, file: "noexif.jpg", pad: 26 << 20}, want: 413},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", body: jpeg(map[string]string{"stage": "later"}), want: 400, field: "stage", refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", body: jpeg(map[string]string{"stage": "before", "lat": "43.88"}), want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", body: jpeg(map[string]string{"stage": "before", "colour": "red"}), want: 400, field: "colour", refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", body: form{fields: before}, want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", hdr: map[string]string{"Idempotency-Key": strings.Repeat("k", 300)}, body: jpeg(before), want: 400, refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "inspector", body: `{"stage": "before"}`, want: 415, refused: true},
	{method: "POST", path: "/api/v1/tasks/999999/photos", as: "inspector", body: jpeg(before), want: 404},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", body: jpeg(before), want: 401, refused: true},
	{method: "POST", path: "/api/v1/tasks/{open}/photos", as: "cookie", hdr: crossSite, body: jpeg(before), want: 403},
	{method: "POST", path: "/api/v1/tasks/999999/photos", as: "admin", body: jpeg(before), want: 429, until: true},
	{method: "POST", path: "/api/v1/assets/999999/photos", as: "admin", body: jpeg(before), want: 429, until: true},
	{path: "/api/v1/tasks/{open}/photos", want: 200},
	{path: "/api/v1/tasks/{open}/photos", as: "engineer", want: 200},
	{path: "/api/v1/tasks/{open}/photos", as: "bad", want: 401},

	// Photos.
	{path: "/api/v1/photos/{photo}", want: 200},
	{path: "/api/v1/photos/{hidden}", as: "engineer", want: 200},
	{path: "/api/v1/photos/{hidden}", want: 404},
	{path: "/api/v1/photos/999999", want: 404},
	{path: "/api/v1/photos/{photo}", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/photos/{photo}", want: 200},
	{method: "HEAD", path: "/api/v1/photos/{hidden}", want: 404},
	{method: "PATCH", path: "/api/v1/photos/{toggle}", as: "engineer", body: `{"visible": false, "reason": "车牌可见"}`, want: 200},
	{method: "PATCH", path: "/api/v1/photos/{toggle}", as: "engineer", body: `{"visible": true}`, want: 200},
	{method: "PATCH", path: "/api/v1/photos/{toggle}", as: "engineer", body: `{"visible": false}`, want: 400, field: "reason", refused: true},
	{method: "PATCH", path: "/api/v1/photos/{toggle}", as: "engineer", body: `{"visible": false, "reason": " "}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/photos/{toggle}", as: "engineer", body: `{"reason": "x"}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/photos/{toggle}", as: "engineer", body: `{"visible": true}`, hdr: plain, want: 415, refused: true},
	{method: "PATCH", path: "/api/v1/photos/999999", as: "engineer", body: `{"visible": true}`, want: 404},
	{method: "PATCH", path: "/api/v1/photos/{toggle}", as: "inspector", body: `{"visible": true}`, want: 403},
	{method: "PATCH", path: "/api/v1/photos/{toggle}", body: `{"visible": true}`, want: 401, refused: true},
	{method: "PATCH", path: "/api/v1/photos/{toggle}", as: "engineer", body: `{"visible": true, "reason": "` + strings.Repeat("x", 2<<20) + `"}`, want: 413},
	{path: "/api/v1/photos/{photo}/thumb", want: 200},
	{path: "/api/v1/photos/{photo}/thumb", hdr: map[string]string{"If-None-Match": "{thumb_etag}"}, want: 304},
	{path: "/api/v1/photos/{hidden}/thumb", want: 404},
	{path: "/api/v1/photos/{photo}/thumb", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/photos/{photo}/thumb", want: 200},
	{method: "HEAD", path: "/api/v1/photos/{photo}/thumb", hdr: map[string]string{"If-None-Match": "{thumb_etag}"}, want: 304},
	{path: "/api/v1/photos/{photo}/display", want: 200},
	{path: "/api/v1/photos/{hidden}/display", as: "engineer", want: 200},
	{path: "/api/v1/photos/{photo}/display", hdr: map[string]string{"If-None-Match": "{display_etag}"}, want: 304},
	{path: "/api/v1/photos/{photo}/display", hdr: map[string]string{"If-None-Match": "{thumb_etag}"}, want: 200},
	{path: "/api/v1/photos/999999/display", want: 404},
	{path: "/api/v1/photos/{photo}/display", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/photos/{photo}/display", want: 200},
	{path: "/api/v1/photos/{photo}/original", as: "engineer", want: 200},
	{path: "/api/v1/photos/{photo}/original", as: "inspector", want: 403},
	{path: "/api/v1/photos/{photo}/original", want: 401, refused: true},
	{path: "/api/v1/photos/{photo}/original", as: "engineer", hdr: map[string]string{"If-None-Match": "{original_etag}"}, want: 304},
	{path: "/api/v1/photos/999999/original", as: "engineer", want: 404},
	{method: "HEAD", path: "/api/v1/photos/{photo}/original", as: "engineer", want: 200},
	{method: "HEAD", path: "/api/v1/photos/{photo}/original", as: "inspector", want: 403},

	// Residents' reports. Each POST counts against the address's limit, so
	// the one that fills it comes last.
	{method: "POST", path: "/api/v1/reports", hdr: map[string]string{"Idempotency-Key": "report-1"}, body: form{fields: map[string]string{
		"service_code": "manhole_broken", "lat": "43.8800", "lon": "125.2700", "accuracy_m": "15", "description": "井盖裂了",
		"name": "王女士", "email": "wang@example.cn", "phone": "13904310555"}, file: "gps-ne.jpg"}, want: 201},
	{method: "POST", path: "/api/v1/reports", hdr: map[string]string{"Idempotency-Key": "report-1"}, body: form{fields: map[string]string{
		"service_code": "manhole_broken", "lat": "43.8800", "lon": "125.2700", "accuracy_m": "15", "description": "井盖裂了",
		"name": "王女士", "email": "wang@example.cn", "phone": "13904310555"}, file: "gps-ne.jpg"}, want: 201},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "flooding", "lat": "43.8790", "lon": "125.2650"}}, want: 201},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "ufo", "lat": "43.88", "lon": "125.27"}}, want: 400, refused: true},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "pothole"}}, want: 400, refused: true},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "pothole", "lat": "43.88", "lon": "125.27", "phone": "call me"}}, want: 400, field: "phone", refused: true},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "pothole", "lat": "43.88", "lon": "125.27", "name": strings.Repeat("名", 101)}}, want: 400, field: "name", refused: true},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "pothole", "lat": "39.90", "lon": "116.40"}}, want: 400, field: "lat"},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "pothole", "lat": "43.88", "lon": "125.27"}, file: "text.jpg"}, want: 415},
	{method: "POST", path: "/api/v1/reports", body: `{"service_code": "pothole"}`, want: 415, refused: true},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "pothole", "lat": "43.88", "lon": "125.27"}, file: "truncated.jpg"}, want: 422},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "pothole", "lat": "43.88", "lon": "125.27"}, file: "noexif.jpg", pad: 26 << 20}, want: 413},
	{method: "POST", path: "/api/v1/reports", hdr: map[string]string{"Sec-Fetch-Site": "cross-site"}, body: form{fields: map[string]string{"service_code": "pothole", "lat": "43.88", "lon": "125.27"}}, want: 403},
	{method: "POST", path: "/api/v1/reports", as: "bad", body: form{fields: map[string]string{"service_code": "pothole", "lat": "43.88", "lon": "125.27"}}, want: 401},
	{method: "POST", path: "/api/v1/reports/{report}/feedback", body: form{fields: map[string]string{"key": "not-the-key", "fixed": "true"}}, want: 403},
	{method: "POST", path: "/api/v1/reports/{report}/feedback", body: form{fields: map[string]string{"key": "not-the-key", "fixed": "maybe"}}, want: 400, field: "fixed", refused: true},
	{method: "POST", path: "/api/v1/reports/LY-1999-000000/feedback", body: form{fields: map[string]string{"key": "k", "fixed": "false"}}, want: 404},
	{method: "POST", path: "/api/v1/reports", body: form{fields: map[string]string{"service_code": "ufo"}}, want: 429, until: true, refused: true},
	{path: "/api/v1/reports", want: 200},
	{path: "/api/v1/reports?bbox=125.2,43.8,125.4,43.95&limit=10", want: 200},
	{path: "/api/v1/reports?bbox=1,2,3", want: 400, field: "bbox", refused: true},
	{path: "/api/v1/reports/{report}", want: 200},
	{path: "/api/v1/reports/LY-1999-000000", want: 404},
	{path: "/api/v1/reports/{report}", as: "bad", want: 401},

	// Subscriptions.
	{method: "POST", path: "/api/v1/subscriptions", body: `{"channel": "email", "email": "li@example.org", "ref": "{report}", "lang": "en"}`, want: 202},
	{method: "POST", path: "/api/v1/subscriptions", body: `{"channel": "email", "email": "li@example.org", "subdistrict": "春城街道", "services": ["pothole"]}`, want: 202},
	{method: "POST", path: "/api/v1/subscriptions", body: `{"channel": "email", "email": "li@example.org", "area": {"type": "Polygon", "coordinates": [[[125.26, 43.87], [125.28, 43.87], [125.28, 43.89], [125.26, 43.87]]]}}`, want: 202},
	{method: "POST", path: "/api/v1/subscriptions", body: `{"channel": "push", "ref": "{report}", "push": {"endpoint": "https://push.example/p", "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}}}`, want: 201},
	{method: "POST", path: "/api/v1/subscriptions", body: `{"channel": "email", "email": "li@example.org"}`, want: 400, field: "ref"},
	{method: "POST", path: "/api/v1/subscriptions", body: `{"channel": "email", "email": "li@example.org", "ref": "LY-1999-000000"}`, want: 404},
	{path: "/api/v1/subscriptions/{subscription}", want: 200},
	{path: "/api/v1/subscriptions/00000000-0000-0000-0000-000000000000", want: 404},
	{method: "POST", path: "/api/v1/subscriptions/{subscription}/confirm", want: 200},
	{method: "DELETE", path: "/api/v1/subscriptions/{ended}", want: 200},
	{method: "POST", path: "/api/v1/subscriptions/{ended}/confirm", want: 409},
	{path: "/api/v1/push/key", want: 200},
	{method: "POST", path: "/api/v1/notices/push", as: "inspector", body: `{"lang": "zh", "push": {"endpoint": "https://push.example/phone", "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}}}`, want: 201},
	{method: "POST", path: "/api/v1/notices/push", as: "inspector", body: `{"push": {"endpoint": "http://push.example/phone", "keys": {"p256dh": "x", "auth": "y"}}}`, want: 400, field: "push"},
	{method: "POST", path: "/api/v1/notices/push", body: `{"push": {"endpoint": "https://push.example/phone", "keys": {"p256dh": "x", "auth": "y"}}}`, want: 401, refused: true},

	// Webhooks and notices.
	{path: "/api/v1/webhooks", as: "admin", want: 200},
	{path: "/api/v1/webhooks", as: "engineer", want: 403},
	{method: "POST", path: "/api/v1/webhooks", as: "admin", body: `{"url": "https://hooks.example.org/12345", "description": "12345 热线", "events": ["task.changed"]}`, want: 201},
	{method: "POST", path: "/api/v1/webhooks", as: "admin", body: `{"url": "ftp://hooks.example.org"}`, want: 400, field: "url", refused: true},
	{method: "POST", path: "/api/v1/webhooks/1/rotate", as: "admin", want: 200},
	{method: "POST", path: "/api/v1/webhooks/1/resume", as: "admin", want: 200},
	{method: "POST", path: "/api/v1/webhooks/999/rotate", as: "admin", want: 404},
	{path: "/api/v1/webhooks/1/attempts", as: "admin", want: 200},
	{method: "POST", path: "/api/v1/webhooks/1/deliveries/00000000-0000-0000-0000-000000000000/redeliver", as: "admin", want: 404},
	{method: "DELETE", path: "/api/v1/webhooks/1", as: "admin", want: 204},
	{path: "/api/v1/notices", as: "engineer", want: 200},
	{path: "/api/v1/notices", want: 401, refused: true},
	{path: "/api/v1/notices/preferences", as: "engineer", want: 200},
	{path: "/api/v1/notices/preferences", want: 401, refused: true},
	{method: "PUT", path: "/api/v1/notices/preferences", as: "engineer", body: `{"lang": "en", "preferences": [{"kind": "task.new_in_area", "receive": false}, {"kind": "task.dispatched_to_unit", "email": true}]}`, want: 200},
	{method: "PUT", path: "/api/v1/notices/preferences", as: "engineer", body: `{"preferences": [{"kind": "task.exploded", "receive": false}]}`, want: 400, field: "preferences[0].kind", refused: true},
	{method: "PUT", path: "/api/v1/notices/preferences", body: `{"preferences": []}`, want: 401, refused: true},
	{method: "POST", path: "/api/v1/notices/999/read", as: "engineer", want: 404},

	// Accounts, crews and the audit trail.
	{path: "/api/v1/users", as: "admin", want: 200},
	{path: "/api/v1/users", as: "engineer", want: 403},
	{path: "/api/v1/users", want: 401, refused: true},
	{method: "POST", path: "/api/v1/users", as: "admin", body: `{"email": "Zhao@Example.org", "name": "赵工", "role": "engineer", "password": "a long password"}`, want: 201},
	{method: "POST", path: "/api/v1/users", as: "admin", body: `{"email": "engineer@test", "role": "engineer", "password": "a long password"}`, want: 409},
	{method: "POST", path: "/api/v1/users", as: "admin", body: `{"email": "not-an-address", "role": "engineer", "password": "a long password"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/users", as: "admin", body: `{"email": "li@example.org", "role": "boss", "password": "a long password"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/users", as: "admin", body: `{"email": "li@example.org", "role": "engineer", "password": "short"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/users", as: "admin", body: `{"email": "li@example.org", "role": "engineer"}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/users", as: "admin", body: `{"email": "li@example.org", "role": "engineer", "password": "a long password"}`, hdr: plain, want: 415, refused: true},
	{method: "POST", path: "/api/v1/users", as: "admin", body: huge, want: 413},
	{method: "POST", path: "/api/v1/users", as: "engineer", body: `{"email": "li@example.org", "role": "engineer", "password": "a long password"}`, want: 403},
	{method: "POST", path: "/api/v1/users", body: `{"email": "li@example.org", "role": "engineer", "password": "a long password"}`, want: 401, refused: true},
	{method: "PATCH", path: "/api/v1/users/{user}", as: "admin", body: `{"name": "陈工程师", "role": "engineer", "password": "another long one"}`, want: 200},
	{method: "PATCH", path: "/api/v1/users/{user}", as: "admin", body: `{"crew": "绿园区市政养护一队", "subdistrict": "春城街道"}`, want: 200},
	{method: "PATCH", path: "/api/v1/users/{user}", as: "admin", body: `{"crew": "不存在的队"}`, want: 400, field: "crew"},
	{method: "PATCH", path: "/api/v1/users/{user}", as: "admin", body: `{"active": false}`, want: 200},
	{method: "PATCH", path: "/api/v1/users/{admin}", as: "admin", body: `{"role": "engineer"}`, want: 409},
	{method: "PATCH", path: "/api/v1/users/{user}", as: "admin", body: `{"role": "boss"}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/users/{user}", as: "admin", body: `{"email": "new@test"}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/users/{user}", as: "admin", body: `{"active": true}`, hdr: plain, want: 415, refused: true},
	{method: "PATCH", path: "/api/v1/users/{user}", as: "admin", body: huge, want: 413},
	{method: "PATCH", path: "/api/v1/users/999999", as: "admin", body: `{"name": "x"}`, want: 404},
	{method: "PATCH", path: "/api/v1/users/{user}", as: "engineer", body: `{"name": "x"}`, want: 403},
	{method: "PATCH", path: "/api/v1/users/{user}", body: `{"name": "x"}`, want: 401, refused: true},
	{path: "/api/v1/crews", as: "inspector", want: 200},
	{path: "/api/v1/crews", want: 401, refused: true},
	{method: "POST", path: "/api/v1/crews", as: "admin", body: `{"name": "绿园区排水抢修队"}`, want: 200},
	{method: "POST", path: "/api/v1/crews", as: "admin", body: `{"name": "绿园区排水抢修队", "active": false}`, want: 200},
	{method: "POST", path: "/api/v1/crews", as: "admin", body: `{"name": " "}`, want: 400, refused: true},
	{method: "POST", path: "/api/v1/crews", as: "admin", body: `{"name": "x"}`, hdr: plain, want: 415, refused: true},
	{method: "POST", path: "/api/v1/crews", as: "admin", body: huge, want: 413},
	{method: "POST", path: "/api/v1/crews", as: "engineer", body: `{"name": "x"}`, want: 403},
	{method: "POST", path: "/api/v1/crews", body: `{"name": "x"}`, want: 401, refused: true},
	{method: "PATCH", path: "/api/v1/crews/{crew}", as: "admin", body: `{"active": true}`, want: 200},
	{method: "PATCH", path: "/api/v1/crews/{crew}", as: "admin", body: `{"name": "绿园区市政养护三队"}`, want: 400, field: "name"},
	{method: "PATCH", path: "/api/v1/crews/{crew}", as: "admin", body: `{"active": "yes"}`, want: 400, refused: true},
	{method: "PATCH", path: "/api/v1/crews/{crew}", as: "admin", body: `{"active": true}`, hdr: plain, want: 415, refused: true},
	{method: "PATCH", path: "/api/v1/crews/{crew}", as: "admin", body: huge, want: 413},
	{method: "PATCH", path: "/api/v1/crews/{crew}", as: "engineer", body: `{"active": true}`, want: 403},
	{method: "PATCH", path: "/api/v1/crews/{crew}", body: `{"active": true}`, want: 401, refused: true},
	// Costs (docs/costs.md).
	{path: "/api/v1/tasks/{filed}/costs", as: "engineer", want: 200},
	{path: "/api/v1/tasks/{filed}/costs?as_of=2024-06-30", as: "inspector", want: 200},
	{method: "HEAD", path: "/api/v1/tasks/{filed}/costs", as: "engineer", want: 200},
	{path: "/api/v1/tasks/{filed}/costs", want: 401, refused: true},
	{path: "/api/v1/tasks/99999999/costs", as: "engineer", want: 404},
	{path: "/api/v1/tasks/{filed}/costs?as_of=2024-13-01", as: "engineer", want: 400, field: "as_of", refused: true},
	{method: "PUT", path: "/api/v1/tasks/{filed}/costs", as: "engineer", hdr: current, body: `{"lines": [
		{"kind": "estimate", "category": "labour", "description": "两人一天", "hours": 16, "rate_fen": 6000},
		{"kind": "estimate", "category": "materials", "quantity": 1.25, "unit": "t", "unit_price_fen": 48000},
		{"kind": "actual", "category": "equipment", "description": "压路机台班", "amount_fen": 120000}]}`, want: 200},
	{method: "PUT", path: "/api/v1/tasks/{filed}/costs", as: "engineer", body: `{"lines": []}`, want: 428, refused: true},
	{method: "PUT", path: "/api/v1/tasks/{filed}/costs", as: "engineer", hdr: stale, body: `{"lines": []}`, want: 412},
	{method: "PUT", path: "/api/v1/tasks/{filed}/costs", as: "inspector", hdr: current, body: `{"lines": []}`, want: 403},
	{method: "PUT", path: "/api/v1/tasks/{filed}/costs", as: "engineer", hdr: current, body: `{"lines": [{"kind": "actual", "category": "labour", "hours": 1, "rate_fen": 60.5}]}`,
		want: 422, field: "lines[0].rate_fen", refused: true},
	{method: "PUT", path: "/api/v1/tasks/{filed}/costs", as: "engineer", hdr: current, body: `{"lines": [{"kind": "actual", "category": "equipment", "amount_fen": "120000"}]}`,
		want: 422, field: "lines[0].amount_fen", refused: true},
	{method: "PUT", path: "/api/v1/tasks/{filed}/costs", as: "engineer", hdr: current, body: `{"lines": [{"kind": "actual", "category": "fuel", "amount_fen": 1}]}`,
		want: 422, field: "lines[0].category", refused: true},
	{method: "PUT", path: "/api/v1/tasks/{filed}/costs", as: "engineer", hdr: current, body: `{"lines": [{"kind": "actual", "category": "labour", "hours": 1.005, "rate_fen": 1}]}`,
		want: 422, field: "lines[0].hours"},
	{method: "PUT", path: "/api/v1/tasks/{filed}/costs", as: "engineer", hdr: current, body: `{}`, want: 400, field: "lines", refused: true},
	{path: "/api/v1/costs", as: "engineer", want: 200},
	{path: "/api/v1/costs?by=subdistrict&as_of=2024-06-30", as: "inspector", want: 200},
	{path: "/api/v1/costs?by=unit&format=csv", as: "engineer", want: 200},
	{path: "/api/v1/costs?format=xlsx", as: "admin", want: 200},
	{method: "HEAD", path: "/api/v1/costs?by=unit", as: "engineer", want: 200},
	{path: "/api/v1/costs", want: 401, refused: true},
	{path: "/api/v1/costs?by=month", as: "engineer", want: 400, field: "by", refused: true},
	{path: "/api/v1/costs?format=pdf", as: "engineer", want: 400, field: "format", refused: true},
	{path: "/api/v1/costs?x=1", as: "engineer", want: 400, field: "x"},
	{path: "/api/v1/costs/budgets", as: "engineer", want: 200},
	{method: "HEAD", path: "/api/v1/costs/budgets", as: "engineer", want: 200},
	{path: "/api/v1/costs/budgets", want: 401, refused: true},
	{method: "PUT", path: "/api/v1/costs/budgets/routine", as: "admin", body: `{"budget_fen": 100000000}`, want: 200},
	{method: "PUT", path: "/api/v1/costs/budgets/routine", as: "engineer", body: `{"budget_fen": 1}`, want: 403},
	{method: "PUT", path: "/api/v1/costs/budgets/nope", as: "admin", body: `{"budget_fen": 1}`, want: 404},
	{method: "PUT", path: "/api/v1/costs/budgets/routine", as: "admin", body: `{"budget_fen": 1.5}`, want: 422, field: "budget_fen", refused: true},

	// The evaluation.
	{path: "/api/v1/evaluation", as: "engineer", want: 200},
	{path: "/api/v1/evaluation?by=subdistrict&from=2023-01-01&to=2025-01-01&as_of=2024-12-31", as: "inspector", want: 200},
	{path: "/api/v1/evaluation?by=month&format=csv", as: "engineer", want: 200},
	{path: "/api/v1/evaluation?by=inspector&format=xlsx", as: "admin", want: 200},
	{method: "HEAD", path: "/api/v1/evaluation?by=service", as: "engineer", want: 200},
	{path: "/api/v1/evaluation", want: 401, refused: true},
	{path: "/api/v1/evaluation?by=crew", as: "engineer", want: 400, field: "by", refused: true},
	{path: "/api/v1/evaluation?from=2025-13-01", as: "engineer", want: 400, field: "from", refused: true},
	{path: "/api/v1/evaluation?from=2025-02-01&to=2025-01-01", as: "engineer", want: 400, field: "to"},
	{path: "/api/v1/evaluation?format=pdf", as: "engineer", want: 400, field: "format", refused: true},
	{path: "/api/v1/evaluation?group=unit", as: "engineer", want: 400, field: "group"},
	{path: "/api/v1/evaluation/lights", as: "engineer", want: 200},
	{method: "HEAD", path: "/api/v1/evaluation/lights", as: "engineer", want: 200},
	{path: "/api/v1/evaluation/lights", want: 401, refused: true},
	{path: "/api/v1/evaluation/lights?x=1", as: "engineer", want: 400, field: "x"},
	{path: "/api/v1/evaluation/weights", as: "inspector", want: 200},
	{method: "HEAD", path: "/api/v1/evaluation/weights", as: "inspector", want: 200},
	{path: "/api/v1/evaluation/weights", want: 401, refused: true},
	{method: "PUT", path: "/api/v1/evaluation/weights", as: "admin", body: `{"weights": [{"rate": "closure", "weight": 20}]}`, want: 200},
	{method: "PUT", path: "/api/v1/evaluation/weights", as: "admin", body: `{"weights": [{"rate": "speed", "weight": 20}]}`, want: 400, field: "rate", refused: true},
	{method: "PUT", path: "/api/v1/evaluation/weights", as: "admin", body: `{"weights": [{"rate": "closure", "weight": 200}]}`, want: 400, field: "weight", refused: true},
	{method: "PUT", path: "/api/v1/evaluation/weights", as: "engineer", body: `{"weights": [{"rate": "closure", "weight": 20}]}`, want: 403},
	{method: "PUT", path: "/api/v1/evaluation/weights", body: `{"weights": [{"rate": "closure", "weight": 20}]}`, want: 401, refused: true},
	{path: "/api/v1/audit", as: "admin", want: 200},
	{path: "/api/v1/audit?order=newest&action=task.transition&limit=5", as: "admin", want: 200},
	{path: "/api/v1/audit?order=latest", as: "admin", want: 400, field: "order", refused: true},
	{path: "/api/v1/audit?actor=engineer@test&action=task.transition&from=2024-01-01&to=2030-12-31T00:00:00Z&limit=5", as: "admin", want: 200},
	{path: "/api/v1/audit?task={reported}", as: "admin", want: 200},
	{path: "/api/v1/audit?actor={admin}&action=user.updated", as: "admin", want: 200},
	{path: "/api/v1/audit?limit=2&cursor={audit_cursor}", as: "admin", want: 200},
	{path: "/api/v1/audit?from=yesterday", as: "admin", want: 400, refused: true},
	{path: "/api/v1/audit?task=abc", as: "admin", want: 400, refused: true},
	{path: "/api/v1/audit?limit=0", as: "admin", want: 400, refused: true},
	{path: "/api/v1/audit?cursor={tasks_cursor}", as: "admin", want: 400, field: "cursor"},
	{path: "/api/v1/audit?user=3", as: "admin", want: 400},
	{path: "/api/v1/audit", as: "engineer", want: 403},
	{path: "/api/v1/audit", want: 401, refused: true},

	// Inspection rounds and the cover register.
	{path: "/api/v1/inspection-plans", as: "inspector", want: 200},
	{method: "HEAD", path: "/api/v1/inspection-plans", as: "inspector", want: 200},
	{path: "/api/v1/inspection-plans", want: 401, refused: true},
	{method: "POST", path: "/api/v1/inspection-plans", as: "engineer", body: `{"name": "主干道井盖", "kind": "manhole", "filter": {"roads": ["景阳大路"]}, "frequency": "days", "every_days": 14, "starts_on": "2026-01-05"}`, want: 201},
	{method: "POST", path: "/api/v1/inspection-plans", as: "engineer", body: `{"name": "x", "kind": "manhole", "frequency": "days", "starts_on": "2026-01-05"}`, want: 400, field: "every_days"},
	{method: "POST", path: "/api/v1/inspection-plans", as: "engineer", body: `{"name": "x", "kind": "parking_lot", "frequency": "weekly", "starts_on": "2026-01-05"}`, want: 400, field: "kind", refused: true},
	{method: "POST", path: "/api/v1/inspection-plans", as: "inspector", body: `{"name": "x", "kind": "manhole", "frequency": "weekly", "starts_on": "2026-01-05"}`, want: 403},
	// Pausing and resuming inspection plans.
	{method: "PATCH", path: "/api/v1/inspection-plans/{plan}", as: "engineer", hdr: ifMatch(`"1"`), body: `{"active": false}`, want: 200},
	{method: "PATCH", path: "/api/v1/inspection-plans/{plan}", as: "engineer", hdr: stale, body: `{"active": true}`, want: 412},
	{method: "PATCH", path: "/api/v1/inspection-plans/{plan}", as: "engineer", body: `{"active": true}`, want: 428, refused: true},
	{method: "PATCH", path: "/api/v1/inspection-plans/{plan}", as: "inspector", hdr: stale, body: `{"active": true}`, want: 403},
	{method: "PATCH", path: "/api/v1/inspection-plans/{plan}", as: "engineer", hdr: ifMatch(`"2"`), body: `{"name": "   "}`, want: 400, field: "name"},
	{method: "PATCH", path: "/api/v1/inspection-plans/999999", as: "engineer", hdr: stale, body: `{"active": true}`, want: 404},
	{path: "/api/v1/inspections?status=missed&kind=manhole&limit=10", as: "engineer", want: 200},
	{path: "/api/v1/inspections?plan={plan}&inspector=me&on=2026-03-01", as: "inspector", want: 200},
	{method: "HEAD", path: "/api/v1/inspections", as: "engineer", want: 200},
	{path: "/api/v1/inspections?status=late", as: "engineer", want: 400, field: "status", refused: true},
	{path: "/api/v1/inspections", want: 401, refused: true},
	{path: "/api/v1/inspections/round?near=125.27,43.88", as: "inspector", want: 200},
	{method: "HEAD", path: "/api/v1/inspections/round", as: "inspector", want: 200},
	{path: "/api/v1/inspections/round?near=north", as: "inspector", want: 400, field: "near"},
	{path: "/api/v1/inspections/coverage?period=2026-03", as: "engineer", want: 200},
	{method: "HEAD", path: "/api/v1/inspections/coverage", as: "engineer", want: 200},
	{path: "/api/v1/inspections/coverage?period=March", as: "engineer", want: 400, field: "period"},
	{path: "/api/v1/inspections/uninspected?kind=manhole", as: "engineer", want: 200},
	{method: "HEAD", path: "/api/v1/inspections/uninspected", as: "engineer", want: 200},
	{path: "/api/v1/inspections/uninspected?kind=parking_lot", as: "engineer", want: 400, field: "kind", refused: true},
	{path: "/api/v1/inspections/{insp}", as: "inspector", want: 200},
	{path: "/api/v1/tasks/{insp_task}", as: "engineer", want: 200},
	{path: "/api/v1/tasks/{insp_task}", want: 200},
	{method: "HEAD", path: "/api/v1/inspections/{insp}", as: "inspector", want: 200},
	{path: "/api/v1/inspections/999999", as: "inspector", want: 404},
	{method: "POST", path: "/api/v1/inspections/{insp}/result", as: "inspector", hdr: map[string]string{"Idempotency-Key": "cases-insp-1"},
		body: `{"checks": {"missing_cover": "ok", "broken_cover": "fail", "broken_frame": "ok", "cover_frame_gap": "ok", "height_difference": "ok", "rocking_noise": "ok", "missing_anti_fall_net": "ok"}, "position": [125.27, 43.88]}`, want: 200},
	{method: "POST", path: "/api/v1/inspections/{insp}/result", as: "inspector",
		body: `{"checks": {"missing_cover": "ok", "broken_cover": "ok", "broken_frame": "ok", "cover_frame_gap": "ok", "height_difference": "ok", "rocking_noise": "ok", "missing_anti_fall_net": "ok"}}`, want: 409},
	{method: "POST", path: "/api/v1/inspections/{insp_bad}/result", as: "inspector", body: `{"checks": {"broken_cover": "fail"}}`, want: 400, field: "checks.missing_cover"},
	{method: "POST", path: "/api/v1/inspections/{insp_bad}/result", as: "inspector", body: `{"distresses": [{"type": "pothole", "extent": 1, "severity": "heavy"}]}`, want: 400, field: "distresses"},
	{method: "POST", path: "/api/v1/inspections/{insp_bad}/result", as: "inspector", body: `{"verdict": "fine"}`, want: 400, field: "verdict", refused: true},
	{method: "POST", path: "/api/v1/inspections/{insp_bad}/result", body: `{}`, want: 401, refused: true},
	{path: "/api/v1/cover-owners", as: "inspector", want: 200},
	{method: "HEAD", path: "/api/v1/cover-owners", as: "inspector", want: 200},
	{method: "PUT", path: "/api/v1/cover-owners/0108", as: "admin", body: `{"unit": "广电网络公司", "unit_en": "Cable TV company", "crew": "通信公司"}`, want: 200},
	{method: "PUT", path: "/api/v1/cover-owners/0108", as: "admin", body: `{"unit": "x", "crew": "no such crew"}`, want: 400, field: "crew"},
	{method: "PUT", path: "/api/v1/cover-owners/0199", as: "admin", body: `{"unit": "x", "crew": "通信公司"}`, want: 404},
	{method: "PUT", path: "/api/v1/cover-owners/0108", as: "engineer", body: `{"unit": "x", "crew": "通信公司"}`, want: 403},
	{path: "/api/v1/assets/{manhole}/register", as: "engineer", want: 200},
	{method: "HEAD", path: "/api/v1/assets/{manhole}/register", as: "engineer", want: 200},
	{path: "/api/v1/assets/{lot}/register", as: "engineer", want: 404},

	// The report card, reference data and exports.
	{path: "/api/v1/stats", want: 200},
	{path: "/api/v1/stats?as_of=2023-09-30", want: 200},
	{path: "/api/v1/stats?as_of=yesterday", want: 400, refused: true},
	{path: "/api/v1/stats?from=2023-01-01", want: 400},
	{path: "/api/v1/stats", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/stats", want: 200},
	{method: "HEAD", path: "/api/v1/stats?as_of=yesterday", want: 400, refused: true},
	{path: "/api/v1/clusters/manhole/14/13893/5965", want: 200},
	{path: "/api/v1/clusters/manhole/2/3/1", want: 200},
	{path: "/api/v1/clusters/manhole/14/13893/5965?zoom=3", want: 400},
	{path: "/api/v1/clusters/pipes/14/13893/5965", want: 404, refused: true},
	{path: "/api/v1/clusters/manhole/5/99/1", want: 404},
	{method: "HEAD", path: "/api/v1/clusters/road_repair/12/3473/1491", want: 200},
	{method: "POST", path: "/api/v1/import?dry_run=true", as: "engineer", body: importGeoJSON, want: 200},
	{method: "POST", path: "/api/v1/import", as: "engineer", body: importGeoJSON, want: 200},
	{method: "POST", path: "/api/v1/import", as: "engineer", body: importCSV, hdr: map[string]string{"Content-Type": "text/csv"}, want: 200},
	{method: "POST", path: "/api/v1/import", as: "engineer", body: importBad, want: 422},
	{method: "POST", path: "/api/v1/import?format=xlsx", as: "engineer", body: importXLSX, hdr: map[string]string{"Content-Type": xlsxType}, want: 200},
	{method: "POST", path: "/api/v1/import?dry_run=true", as: "engineer", body: importXLSX, hdr: map[string]string{"Content-Type": xlsxType}, want: 200},
	{method: "POST", path: "/api/v1/import?dry_run=true&format=xlsx", as: "engineer", body: "not a workbook", hdr: map[string]string{"Content-Type": xlsxType}, want: 400},
	{method: "POST", path: "/api/v1/import?dry_run=true&format=csv", as: "engineer", body: importChinese, hdr: map[string]string{"Content-Type": "text/csv"}, want: 400},
	{method: "POST", path: "/api/v1/import?dry_run=true&format=csv&mapping=kind%3A+manhole%0Afields%3A+%7B%E7%BC%96%E5%8F%B7%3A+code%2C+%E5%90%8D%E7%A7%B0%3A+name%7D", as: "engineer", body: importChinese, hdr: map[string]string{"Content-Type": "text/csv"}, want: 200},
	{method: "POST", path: "/api/v1/import?format=csv&mapping=%7B%22bogus%22%3A1%7D", as: "engineer", body: importChinese, hdr: map[string]string{"Content-Type": "text/csv"}, want: 400, field: "mapping"},
	{method: "POST", path: "/api/v1/import", as: "engineer", body: importGeoJSON, hdr: map[string]string{"Content-Type": "text/plain"}, want: 415, refused: true},
	{method: "POST", path: "/api/v1/import?dry_run=maybe", as: "engineer", body: importGeoJSON, want: 400, field: "dry_run", refused: true},
	{method: "POST", path: "/api/v1/import?dry_run=true&crs=cgcs2000", as: "engineer", body: importGeoJSON, want: 200},
	{method: "POST", path: "/api/v1/import?dry_run=true&crs=EPSG:4551", as: "engineer", body: importGeoJSON, want: 400, field: "crs"},
	{method: "POST", path: "/api/v1/import", as: "inspector", body: importGeoJSON, want: 403},
	{method: "POST", path: "/api/v1/import", body: importGeoJSON, want: 401, refused: true},
	{method: "POST", path: "/api/v1/import", as: "bad", body: importGeoJSON, want: 401},
	{path: "/api/v1/areas", want: 200},
	{path: "/api/v1/areas?kind=district", want: 400},
	{path: "/api/v1/areas", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/areas", want: 200},
	{method: "HEAD", path: "/api/v1/areas?kind=district", want: 400},
	{path: "/api/v1/meta", want: 200},
	{path: "/api/v1/meta", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/meta", want: 200},
	{method: "HEAD", path: "/api/v1/meta", as: "bad", want: 401},
	{path: "/api/v1/export", want: 200},
	{path: "/api/v1/export?kind=manhole&format=geojson", want: 200},
	{path: "/api/v1/export?kind=parking_lot,parking_space&format=csv", want: 200},
	{path: "/api/v1/export?format=kml", want: 200},
	{path: "/api/v1/export?format=shp", want: 200},
	{path: "/api/v1/export?kind=manhole&format=shp&encoding=GBK&crs=EPSG:4551", want: 200},
	{path: "/api/v1/export?kind=parking_lot&format=gpkg&crs=EPSG:4490", want: 200},
	{path: "/api/v1/export?kind=manhole&format=xlsx&crs=cgcs2000", want: 200},
	{path: "/api/v1/export?format=dxf", want: 400, refused: true},
	{path: "/api/v1/export?format=geojson&crs=EPSG:4551", want: 400},
	{path: "/api/v1/export?format=gpkg&crs=EPSG:3857", want: 400, refused: true},
	{path: "/api/v1/export?format=shp&encoding=latin1", want: 400, refused: true},
	{path: "/api/v1/export?kind=manholes", want: 400, refused: true},
	{path: "/api/v1/export?format=csv", as: "bad", want: 401},
	{method: "HEAD", path: "/api/v1/export?kind=capital_project", want: 200},
	{method: "HEAD", path: "/api/v1/export?format=dxf", want: 400, refused: true},
}

// importXLSX is a workbook of one manhole with Chinese headers, as a
// district keeps its register.
var importXLSX = func() string {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"编号", "资产类型", "名称", "经度", "纬度", "井盖类型"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"2201060103900004", "manhole", "导入的雨水井", 125.272, 43.882, "0103"})
	var b bytes.Buffer
	f.Write(&b)
	return b.String()
}()

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// importChinese is a CSV register with Chinese column names and no kind:
// it needs a mapping.
const importChinese = "编号,名称,lon,lat,cover_category\r\n2201060103900005,导入的雨水井,125.273,43.883,0103\r\n"

// Import bodies: a manhole as the export writes it, the same as CSV, and a
// feature with its coordinates swapped.
const (
	importGeoJSON = `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[125.27,43.88]},` +
		`"properties":{"kind":"manhole","code":"2201060103900001","name":"导入的雨水井","cover_category":"0103"}}]}`
	importCSV = "code,kind,name,name_en,parent_code,subdistrict,status,status_at,lon,lat,wkt,cover_category\r\n" +
		"2201060103900002,manhole,导入的雨水井,,,,,,125.271,43.881,POINT(125.271 43.881),0103\r\n"
	importBad = `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[43.88,125.27]},` +
		`"properties":{"kind":"manhole","code":"2201060103900003","name":"x","cover_category":"0103"}}]}`
)
