package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/password"
	"inframap/internal/postgres/pgtest"
)

const testPassword = "correct horse battery"

// staff creates one account per role and returns a bearer token for each.
func (e *env) staff() map[maint.Role]string {
	e.t.Helper()
	h := password.New(4)
	hash, _ := h.Hash(e.t.Context(), testPassword)
	tokens := map[maint.Role]string{}
	for _, role := range maint.Roles {
		email := string(role) + "@test"
		if _, err := e.db.CreateUser(e.t.Context(), maint.Viewer{Email: "test"}, "", maint.User{Email: email, Role: role, Name: string(role)}, hash); err != nil {
			e.t.Fatal(err)
		}
		var tok struct{ Token string }
		res := e.do("POST", "/api/v1/auth/tokens", "", map[string]string{"email": email, "password": testPassword, "name": "test"}, nil, &tok)
		if res.StatusCode != 201 || tok.Token == "" {
			e.t.Fatalf("token for %s: %d", role, res.StatusCode)
		}
		tokens[role] = tok.Token
	}
	return tokens
}

// do sends a JSON request with an optional bearer token and headers and
// decodes the JSON answer into out; it returns the response with its body
// in res.Body already read into the "Body" header-less buffer.
func (e *env) do(method, path, token string, body any, hdr map[string]string, out any) *http.Response {
	e.t.Helper()
	return e.doWith(http.DefaultClient, method, path, token, body, hdr, out)
}

func (e *env) doWith(c *http.Client, method, path, token string, body any, hdr map[string]string, out any) *http.Response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(bytes.NewReader(raw))
	if res.StatusCode >= 400 && !strings.HasPrefix(path, "/open311/") {
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			e.t.Errorf("%s %s: %d with Content-Type %q: %s", method, path, res.StatusCode, ct, raw)
		}
	}
	if out != nil && len(raw) > 0 {
		json.Unmarshal(raw, out)
	}
	return res
}

func body(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

type taskOut struct {
	ID      int64            `json:"id"`
	Status  maint.Status     `json:"status"`
	Version int              `json:"version"`
	History []map[string]any `json:"history"`
}

// newTask creates a task on asset as role and returns it.
func (e *env) newTask(token string, asset int64, title string) taskOut {
	e.t.Helper()
	var t taskOut
	res := e.do("POST", "/api/v1/tasks", token, map[string]any{"asset_id": asset, "title": title}, nil, &t)
	if res.StatusCode != 201 {
		e.t.Fatalf("create task: %d %s", res.StatusCode, body(res))
	}
	return t
}

// move transitions a task, reading its current version first.
func (e *env) move(token string, id int64, to maint.Status, extra map[string]any) *http.Response {
	e.t.Helper()
	var t taskOut
	e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), token, nil, nil, &t)
	b := map[string]any{"to": to, "note": "step to " + string(to)}
	for k, v := range extra {
		b[k] = v
	}
	return e.do("POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", id), token, b, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, t.Version)}, nil)
}

// afterPhoto records an after photo of a task directly (the upload path has
// tests of its own), so that it can be closed.
func (e *env) afterPhoto(id int64) {
	e.t.Helper()
	_, err := e.sql.Exec(e.t.Context(), `INSERT INTO photos (task_id, stage, sha256, media_type, bytes, width, height,
		original_key, display_key, thumb_key, uploader_role) VALUES ($1::bigint, 'after', md5($1::bigint::text) || md5($1::bigint::text), 'image/jpeg', 1, 1, 1,
		'k', 'k', 'k', 'inspector')`, id)
	if err != nil {
		e.t.Fatal(err)
	}
}

// driveTo moves a fresh task to state s along the main path.
func (e *env) driveTo(tok map[maint.Role]string, asset int64, s maint.Status) int64 {
	e.t.Helper()
	t := e.newTask(tok[maint.RoleEngineer], asset, "drive to "+string(s))
	path := []maint.Status{maint.StatusFiled, maint.StatusDispatched, maint.StatusInProgress, maint.StatusDone, maint.StatusClosed}
	for _, step := range path {
		if t.Status == s {
			break
		}
		extra := map[string]any{}
		if step == maint.StatusDispatched {
			extra["assignee"] = "绿园区市政养护一队"
		}
		if step == maint.StatusClosed {
			e.afterPhoto(t.ID)
		}
		res := e.move(tok[maint.RoleAdmin], t.ID, step, extra)
		if res.StatusCode != 200 {
			e.t.Fatalf("drive %d to %s: %d %s", t.ID, step, res.StatusCode, body(res))
		}
		t.Status = step
	}
	return t.ID
}

func (e *env) anyAsset(kind maint.Kind) int64 {
	var id int64
	if err := e.sql.QueryRow(e.t.Context(), `SELECT min(id) FROM assets WHERE kind = $1`, string(kind)).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// TestPermissionMatrix runs every endpoint as a resident, an inspector, an
// engineer and an admin, and checks each cell's status: 401/403 where
// denied, never 500.
func TestPermissionMatrix(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	asset := e.anyAsset(maint.KindManhole)
	roles := []maint.Role{maint.RoleNone, maint.RoleInspector, maint.RoleEngineer, maint.RoleAdmin}
	n := 0
	uniq := func() int { n++; return n }
	newUser := func() int64 {
		u, err := e.db.CreateUser(t.Context(), maint.Viewer{}, "", maint.User{Email: fmt.Sprintf("u%d@test", uniq()), Role: maint.RoleInspector}, "x")
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	staff := maint.Viewer{Role: maint.RoleAdmin}
	assetVersion := func(id int64) string {
		a, err := e.db.Asset(t.Context(), id, staff)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf(`"%d"`, a.Version)
	}
	taskVersion := func(id int64) string {
		task, err := e.db.Task(t.Context(), id, staff)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf(`"%d"`, task.Version)
	}
	type req struct {
		method, path string
		body         any
		hdr          map[string]string
	}
	cases := []struct {
		name  string
		setup func(role maint.Role) req
		want  [4]int // resident, inspector, engineer, admin
	}{
		{"list assets", func(maint.Role) req { return req{"GET", "/api/v1/assets?limit=1", nil, nil} }, [4]int{200, 200, 200, 200}},
		{"get asset", func(maint.Role) req { return req{"GET", fmt.Sprintf("/api/v1/assets/%d", asset), nil, nil} }, [4]int{200, 200, 200, 200}},
		{"stats", func(maint.Role) req { return req{"GET", "/api/v1/stats", nil, nil} }, [4]int{200, 200, 200, 200}},
		{"areas", func(maint.Role) req { return req{"GET", "/api/v1/areas", nil, nil} }, [4]int{200, 200, 200, 200}},
		{"meta", func(maint.Role) req { return req{"GET", "/api/v1/meta", nil, nil} }, [4]int{200, 200, 200, 200}},
		{"create asset", func(maint.Role) req {
			return req{"POST", "/api/v1/assets", map[string]any{"type": "Feature",
				"geometry":   map[string]any{"type": "Point", "coordinates": []float64{125.27, 43.88}},
				"properties": map[string]any{"kind": "manhole", "code": fmt.Sprintf("2201060103%06d", 900000+uniq()), "name": "新井", "cover_category": "0103"}}, nil}
		}, [4]int{401, 403, 201, 201}},
		{"edit asset", func(maint.Role) req {
			return req{"PATCH", fmt.Sprintf("/api/v1/assets/%d", asset), map[string]any{"type": "Feature", "properties": map[string]any{"defect_grade": 1 + uniq()%4}},
				map[string]string{"If-Match": assetVersion(asset)}}
		}, [4]int{401, 403, 200, 200}},
		{"list tasks", func(maint.Role) req { return req{"GET", "/api/v1/tasks?limit=5", nil, nil} }, [4]int{200, 200, 200, 200}},
		{"get task", func(maint.Role) req { return req{"GET", "/api/v1/tasks/1", nil, nil} }, [4]int{200, 200, 200, 200}},
		{"create task", func(maint.Role) req {
			return req{"POST", "/api/v1/tasks", map[string]any{"asset_id": asset, "title": "井盖松动"}, nil}
		}, [4]int{401, 201, 201, 201}},
		{"edit task", func(maint.Role) req {
			id := e.driveTo(tok, asset, maint.StatusFiled)
			return req{"PATCH", fmt.Sprintf("/api/v1/tasks/%d", id), map[string]any{"priority": "high"}, map[string]string{"If-Match": taskVersion(id)}}
		}, [4]int{401, 403, 200, 200}},
		{"file a report (立案)", func(maint.Role) req {
			id := e.driveTo(tok, asset, maint.StatusReported)
			return req{"POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", id), map[string]any{"to": "filed"}, map[string]string{"If-Match": taskVersion(id)}}
		}, [4]int{401, 403, 200, 200}},
		{"verify and close (结案)", func(maint.Role) req {
			id := e.driveTo(tok, asset, maint.StatusDone)
			e.afterPhoto(id)
			return req{"POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", id), map[string]any{"to": "closed", "note": "核查通过"}, map[string]string{"If-Match": taskVersion(id)}}
		}, [4]int{401, 200, 403, 200}},
		{"me", func(maint.Role) req { return req{"GET", "/api/v1/auth/me", nil, nil} }, [4]int{401, 200, 200, 200}},
		{"list tokens", func(maint.Role) req { return req{"GET", "/api/v1/auth/tokens", nil, nil} }, [4]int{401, 200, 200, 200}},
		{"list all tokens", func(maint.Role) req { return req{"GET", "/api/v1/auth/tokens?all=true", nil, nil} }, [4]int{401, 403, 403, 200}},
		{"list users", func(maint.Role) req { return req{"GET", "/api/v1/users", nil, nil} }, [4]int{401, 403, 403, 200}},
		{"create user", func(maint.Role) req {
			return req{"POST", "/api/v1/users", map[string]any{"email": fmt.Sprintf("new%d@test", uniq()), "role": "inspector", "password": "a long password"}, nil}
		}, [4]int{401, 403, 403, 201}},
		{"edit user", func(maint.Role) req {
			return req{"PATCH", fmt.Sprintf("/api/v1/users/%d", newUser()), map[string]any{"name": "改名"}, nil}
		}, [4]int{401, 403, 403, 200}},
		{"list crews", func(maint.Role) req { return req{"GET", "/api/v1/crews", nil, nil} }, [4]int{401, 200, 200, 200}},
		{"add crew", func(maint.Role) req {
			return req{"POST", "/api/v1/crews", map[string]any{"name": fmt.Sprintf("新队%d", uniq())}, nil}
		}, [4]int{401, 403, 403, 200}},
		{"audit trail", func(maint.Role) req { return req{"GET", "/api/v1/audit?limit=5", nil, nil} }, [4]int{401, 403, 403, 200}},
		{"logout", func(maint.Role) req { return req{"POST", "/api/v1/auth/logout", nil, nil} }, [4]int{204, 204, 204, 204}},
	}
	for _, c := range cases {
		for i, role := range roles {
			rq := c.setup(role)
			res := e.do(rq.method, rq.path, tok[role], rq.body, rq.hdr, nil)
			if res.StatusCode != c.want[i] {
				t.Errorf("%s as %q: %d, want %d: %s", c.name, role, res.StatusCode, c.want[i], body(res))
			}
			if res.StatusCode >= 500 {
				t.Errorf("%s as %q: server error", c.name, role)
			}
		}
	}
}

// TestConcurrentTransitions fires 50 transitions at one task with the same
// If-Match: exactly one wins, 49 are told the version moved on, and the
// history grows by exactly one event.
func TestConcurrentTransitions(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	id := e.driveTo(tok, e.anyAsset(maint.KindRoadRepair), maint.StatusReported)
	var before taskOut
	e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleEngineer], nil, nil, &before)
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	versions := make(chan int, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := json.Marshal(map[string]any{"to": "filed", "note": "立案"})
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/tasks/%d/transitions", e.srv.URL, id), bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+tok[maint.RoleEngineer])
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, before.Version))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			var p struct {
				CurrentVersion int `json:"current_version"`
			}
			json.NewDecoder(res.Body).Decode(&p)
			res.Body.Close()
			codes <- res.StatusCode
			if res.StatusCode == 412 {
				versions <- p.CurrentVersion
			}
		}()
	}
	wg.Wait()
	close(codes)
	close(versions)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[200] != 1 || count[412] != 49 {
		t.Errorf("statuses %v, want one 200 and 49 412", count)
	}
	for v := range versions {
		if v != before.Version+1 {
			t.Errorf("412 names current version %d, want %d", v, before.Version+1)
		}
	}
	var after taskOut
	e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleEngineer], nil, nil, &after)
	if len(after.History) != len(before.History)+1 || after.Status != maint.StatusFiled {
		t.Errorf("history %d → %d events, status %s", len(before.History), len(after.History), after.Status)
	}
}

// TestInvalidTransitions tries every move the workflow does not have, from
// every state: 409 listing the allowed next states, nothing changed.
func TestInvalidTransitions(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	asset := e.anyAsset(maint.KindParkingLot)
	for _, from := range []maint.Status{maint.StatusReported, maint.StatusFiled, maint.StatusDispatched, maint.StatusInProgress, maint.StatusDone, maint.StatusClosed} {
		id := e.driveTo(tok, asset, from)
		var before taskOut
		e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleAdmin], nil, nil, &before)
		for _, to := range maint.Statuses {
			allowed := maint.NextStatuses(from)
			if slices.Contains(allowed, to) {
				continue
			}
			var p struct {
				Allowed []maint.Status `json:"allowed"`
				Code    string         `json:"code"`
			}
			res := e.do("POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", id), tok[maint.RoleAdmin],
				map[string]any{"to": to, "note": "x"}, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, before.Version)}, &p)
			if res.StatusCode != 409 {
				t.Errorf("%s → %s: %d, want 409", from, to, res.StatusCode)
			}
			if fmt.Sprint(p.Allowed) != fmt.Sprint(allowedOrEmpty(allowed)) {
				t.Errorf("%s → %s: allowed %v, want %v", from, to, p.Allowed, allowed)
			}
		}
		var after taskOut
		e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleAdmin], nil, nil, &after)
		if after.Status != from || after.Version != before.Version || len(after.History) != len(before.History) {
			t.Errorf("from %s: state or history changed by refused moves", from)
		}
	}
}

func allowedOrEmpty(s []maint.Status) []maint.Status {
	if s == nil {
		return []maint.Status{}
	}
	return s
}

// TestTransitionRules covers the rules around the moves: If-Match first,
// notes where a reason is due, a crew to dispatch to.
func TestTransitionRules(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	asset := e.anyAsset(maint.KindManhole)
	id := e.driveTo(tok, asset, maint.StatusReported)
	path := fmt.Sprintf("/api/v1/tasks/%d/transitions", id)
	eng := tok[maint.RoleEngineer]
	if res := e.do("POST", path, eng, map[string]any{"to": "filed"}, nil, nil); res.StatusCode != 428 {
		t.Errorf("without If-Match: %d, want 428", res.StatusCode)
	}
	if res := e.do("POST", path, eng, map[string]any{"to": "closed"}, map[string]string{"If-Match": `"99"`}, nil); res.StatusCode != 412 {
		t.Errorf("stale If-Match before an invalid move: %d, want 412 (If-Match is checked first)", res.StatusCode)
	}
	if res := e.do("POST", path, eng, map[string]any{"to": "rejected"}, map[string]string{"If-Match": `"1"`}, nil); res.StatusCode != 400 {
		t.Errorf("rejecting without a reason: %d, want 400", res.StatusCode)
	}
	if res := e.move(eng, id, maint.StatusFiled, nil); res.StatusCode != 200 {
		t.Fatalf("file: %d %s", res.StatusCode, body(res))
	}
	var p struct {
		Errors []maint.FieldError `json:"errors"`
	}
	if res := e.move(eng, id, maint.StatusDispatched, nil); res.StatusCode != 400 {
		t.Errorf("dispatch without a crew: %d, want 400", res.StatusCode)
	}
	res := e.move(eng, id, maint.StatusDispatched, map[string]any{"assignee": "不存在的队伍"})
	json.NewDecoder(res.Body).Decode(&p)
	if res.StatusCode != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "assignee" {
		t.Errorf("dispatch to an unknown crew: %d %+v", res.StatusCode, p)
	}
	var task map[string]any
	res = e.move(eng, id, maint.StatusDispatched, map[string]any{"assignee": "绿园区市政养护二队", "due_date": "2030-01-31"})
	json.NewDecoder(res.Body).Decode(&task)
	if res.StatusCode != 200 || task["assignee"] != "绿园区市政养护二队" || task["due_date"] != "2030-01-31" {
		t.Errorf("dispatch: %d %v", res.StatusCode, task)
	}
	if res.Header.Get("ETag") == "" {
		t.Error("no ETag")
	}
	// 结案 needs a photo of the finished work.
	e.move(eng, id, maint.StatusInProgress, nil)
	e.move(eng, id, maint.StatusDone, nil)
	res = e.move(tok[maint.RoleInspector], id, maint.StatusClosed, nil)
	if raw := body(res); res.StatusCode != 422 || !strings.Contains(raw, "photo") {
		t.Errorf("closing without an after photo: %d %s", res.StatusCode, raw)
	}
	e.afterPhoto(id)
	if res := e.move(tok[maint.RoleInspector], id, maint.StatusClosed, nil); res.StatusCode != 200 {
		t.Errorf("closing with an after photo: %d", res.StatusCode)
	}
}

// TestPrivacy: an anonymous reader sees a task's status, dates and public
// notes, but no e-mail, phone number, token or internal note anywhere in
// the raw body.
func TestPrivacy(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	// Every demo user signs in; their activity lands in the history.
	for _, role := range maint.Roles {
		if res := e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": string(role) + "@test", "password": testPassword}, nil, nil); res.StatusCode != 200 {
			t.Fatalf("login %s: %d", role, res.StatusCode)
		}
	}
	// A resident's report with contact details and an internal note, from
	// the seeded routine tasks.
	var id int64
	if err := e.sql.QueryRow(t.Context(), `SELECT t.id FROM tasks t JOIN task_events e ON e.task_id = t.id
		WHERE t.reporter_contact <> '' AND e.internal LIMIT 1`).Scan(&id); err != nil {
		t.Fatalf("the dataset has no resident report with an internal note: %v", err)
	}
	// Staff act on it, so their e-mails are in its history.
	var cur taskOut
	e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleEngineer], nil, nil, &cur)
	res := e.do("PATCH", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleEngineer],
		map[string]any{"priority": "urgent", "note": "内部：勿外传 secret-internal-note", "internal": true}, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, cur.Version)}, nil)
	if res.StatusCode != 200 {
		t.Fatalf("patch: %d %s", res.StatusCode, body(res))
	}
	task, err := e.db.Task(t.Context(), id, maint.Viewer{Role: maint.RoleAdmin})
	if err != nil || task.AssetID == nil {
		t.Fatalf("task %d: %v, asset %v", id, err, task)
	}
	asset := *task.AssetID
	phone := regexp.MustCompile(`1[3-9][0-9]{9}`)
	for _, path := range []string{fmt.Sprintf("/api/v1/tasks/%d", id), fmt.Sprintf("/api/v1/assets/%d", asset), "/api/v1/tasks?limit=1000", fmt.Sprintf("/api/v1/tasks?asset=%d", asset)} {
		res := e.do("GET", path, "", nil, nil, nil)
		raw := body(res)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		for _, bad := range []string{"@test", "@demo", "ims_", "imt_", "secret-internal-note", "内部", "reporter", "王女士", "李先生", "张先生", "刘女士", "陈先生", "赵女士"} {
			if strings.Contains(raw, bad) {
				t.Errorf("anonymous %s contains %q", path, bad)
			}
		}
		if m := phone.FindString(raw); m != "" {
			t.Errorf("anonymous %s contains a phone number %s", path, m)
		}
	}
	// Staff do see them.
	raw := body(e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleEngineer], nil, nil, nil))
	if !strings.Contains(raw, "secret-internal-note") || !phone.MatchString(raw) || !strings.Contains(raw, "engineer@test") {
		t.Errorf("staff view lacks private details: %s", raw)
	}
}

// TestOverdueStats: a case is overdue once its running step is past its
// time limit — whichever step it is in —, and the report card and the task
// list count the same cases. Cases of the type "fast" are held to about two
// seconds a step; the others to the defaults (hours), which no test outlives.
func TestOverdueStats(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()
	e.db.SaveCrew(t.Context(), maint.Viewer{}, "", maint.Crew{Name: "绿园区市政养护一队", Active: true})
	var a struct{ ID int64 }
	res := e.do("POST", "/api/v1/assets", tok[maint.RoleEngineer], map[string]any{"type": "Feature",
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{125.27, 43.88}},
		"properties": map[string]any{"kind": "manhole", "code": "2201060102000001", "name": "污水井", "cover_category": "0102"}}, nil, &a)
	if res.StatusCode != 201 {
		t.Fatalf("asset: %d %s", res.StatusCode, body(res))
	}
	for _, step := range []string{"file", "dispatch", "handle", "verify"} {
		if res := e.do("PUT", "/api/v1/time-limits/fast/"+step, tok[maint.RoleAdmin], map[string]any{"unit": "natural_hours", "n": 0.0006}, nil, nil); res.StatusCode != 204 {
			t.Fatalf("limit %s: %d %s", step, res.StatusCode, body(res))
		}
	}
	drive := func(workType string, to maint.Status) int64 {
		t.Helper()
		var tk taskOut
		if res := e.do("POST", "/api/v1/tasks", tok[maint.RoleEngineer], map[string]any{"asset_id": a.ID, "title": "时限：" + string(to),
			"work_type": workType}, nil, &tk); res.StatusCode != 201 {
			t.Fatalf("task: %d %s", res.StatusCode, body(res))
		}
		for _, step := range []maint.Status{maint.StatusFiled, maint.StatusDispatched, maint.StatusInProgress, maint.StatusDone, maint.StatusClosed} {
			if tk.Status == to {
				break
			}
			extra := map[string]any{}
			if step == maint.StatusDispatched {
				extra["assignee"] = "绿园区市政养护一队"
			}
			if step == maint.StatusClosed {
				e.afterPhoto(tk.ID)
			}
			if res := e.move(tok[maint.RoleAdmin], tk.ID, step, extra); res.StatusCode != 200 {
				t.Fatalf("move %d to %s: %d %s", tk.ID, step, res.StatusCode, body(res))
			}
			tk.Status = step
		}
		return tk.ID
	}
	// Overdue once their two seconds pass: a fast case in progress, one
	// filed (waiting for dispatch) and one done (waiting for
	// verification). Never: a slow dispatched one and a slow reported one;
	// a closed fast one has no running step.
	late := map[int64]bool{drive("fast", maint.StatusInProgress): true, drive("fast", maint.StatusFiled): true, drive("fast", maint.StatusDone): true}
	drive("", maint.StatusDispatched)
	drive("fast", maint.StatusClosed)
	drive("", maint.StatusReported)

	var list struct {
		Tasks []struct {
			ID      int64 `json:"id"`
			Overdue bool  `json:"overdue"`
			Clock   *struct {
				Light string `json:"light"`
			} `json:"clock"`
		} `json:"tasks"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		e.do("GET", "/api/v1/tasks?overdue=true", "", nil, nil, &list)
		if len(list.Tasks) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(list.Tasks) != 3 {
		t.Fatalf("overdue list: %+v, want the three fast open cases", list.Tasks)
	}
	for _, x := range list.Tasks {
		if !late[x.ID] || !x.Overdue || x.Clock == nil || x.Clock.Light != "red" {
			t.Errorf("overdue list: task %d overdue %v clock %+v", x.ID, x.Overdue, x.Clock)
		}
	}
	var st maint.Stats
	e.do("GET", "/api/v1/stats", "", nil, nil, &st)
	if st.Tasks.Overdue != 3 || st.Tasks.Open != 5 || st.Tasks.Total != 6 || st.Tasks.Lights["red"] != 3 || st.Tasks.Lights["green"] != 2 {
		t.Errorf("tasks: %+v, want 3 overdue (3 red, 2 green), 5 open, 6 in all", st.Tasks)
	}
	e.do("GET", "/api/v1/tasks?overdue=false&status=reported,filed,dispatched,in_progress,done", "", nil, nil, &list)
	if len(list.Tasks) != 2 {
		t.Errorf("not overdue: %+v, want the two slow cases", list.Tasks)
	}
	// The late ones lead the queue ordered by time left.
	e.do("GET", "/api/v1/tasks?order=time_left&status=reported,filed,dispatched,in_progress,done", "", nil, nil, &list)
	if len(list.Tasks) != 5 || !late[list.Tasks[0].ID] || !late[list.Tasks[1].ID] || !late[list.Tasks[2].ID] {
		t.Errorf("time left order: %+v, want the three late first", list.Tasks)
	}
	// As of the day before yesterday none of today's work existed.
	e.do("GET", "/api/v1/stats?as_of="+time.Now().AddDate(0, 0, -2).Format(time.DateOnly), "", nil, nil, &st)
	if st.Tasks.Total != 0 {
		t.Errorf("as of two days ago: %+v, want no tasks", st.Tasks)
	}
}

// TestLoginThrottleAndCookies: failed logins are throttled per account with
// the same answer whether or not the account exists; a login rotates the
// session; cross-site cookie writes are refused; a deactivated user's
// session and token die at once.
func TestLoginThrottleAndCookies(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()
	var p1, p2 struct{ Detail string }
	r1 := e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "engineer@test", "password": "wrong password"}, nil, &p1)
	r2 := e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@test", "password": "wrong password"}, nil, &p2)
	if r1.StatusCode != 401 || r2.StatusCode != 401 || p1.Detail != p2.Detail {
		t.Errorf("unknown account and wrong password differ: %d %q / %d %q", r1.StatusCode, p1.Detail, r2.StatusCode, p2.Detail)
	}
	for range 4 {
		e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "engineer@test", "password": "wrong password"}, nil, nil)
	}
	res := e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "engineer@test", "password": testPassword}, nil, nil)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Errorf("after 5 failures: %d, want 429 with Retry-After", res.StatusCode)
	}
	// Other accounts are not locked out.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res = e.doWith(c, "POST", "/api/v1/auth/login", "", map[string]string{"email": "inspector@test", "password": testPassword}, nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("login: %d", res.StatusCode)
	}
	first := res.Cookies()[0]
	if !first.HttpOnly || first.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie %+v is not HttpOnly and SameSite", first)
	}
	res = e.doWith(c, "POST", "/api/v1/auth/login", "", map[string]string{"email": "inspector@test", "password": testPassword}, nil, nil)
	second := res.Cookies()[0]
	if second.Value == first.Value {
		t.Error("a new login kept the session id")
	}
	// The old session is gone.
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/auth/me", nil)
	req.AddCookie(first)
	if res, _ := http.DefaultClient.Do(req); res.StatusCode != 401 {
		t.Errorf("the replaced session still works: %d", res.StatusCode)
	}
	if res := e.doWith(c, "GET", "/api/v1/auth/me", "", nil, nil, nil); res.StatusCode != 200 {
		t.Errorf("me with the session: %d", res.StatusCode)
	}
	// Cross-site forgery: refused.
	res = e.doWith(c, "POST", "/api/v1/auth/logout", "", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}, nil)
	if res.StatusCode != 403 {
		t.Errorf("cross-site logout: %d, want 403", res.StatusCode)
	}
	res = e.doWith(c, "POST", "/api/v1/auth/logout", "", nil, map[string]string{"Origin": "https://evil.example"}, nil)
	if res.StatusCode != 403 {
		t.Errorf("logout from another origin: %d, want 403", res.StatusCode)
	}
	// Deactivation ends the session and the token at once.
	var u struct{ ID int64 }
	e.sql.QueryRow(t.Context(), `SELECT id FROM users WHERE email = 'inspector@test'`).Scan(&u.ID)
	if res := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), tok[maint.RoleAdmin], map[string]any{"active": false}, nil, nil); res.StatusCode != 200 {
		t.Fatalf("deactivate: %d %s", res.StatusCode, body(res))
	}
	if res := e.doWith(c, "GET", "/api/v1/auth/me", "", nil, nil, nil); res.StatusCode != 401 {
		t.Errorf("session of a deactivated user: %d", res.StatusCode)
	}
	if res := e.do("GET", "/api/v1/auth/me", tok[maint.RoleInspector], nil, nil, nil); res.StatusCode != 401 {
		t.Errorf("token of a deactivated user: %d", res.StatusCode)
	}
	// The audit trail has the logins and the failures.
	var audit struct {
		Events []struct{ Action string } `json:"events"`
	}
	e.do("GET", "/api/v1/audit?limit=1000", tok[maint.RoleAdmin], nil, nil, &audit)
	got := map[string]int{}
	for _, ev := range audit.Events {
		got[ev.Action]++
	}
	if got["login.failed"] < 6 || got["login.succeeded"] < 2 || got["user.updated"] != 1 || got["token.created"] != 3 {
		t.Errorf("audit actions %v", got)
	}
}

// TestTokens: tokens are listed and revocable.
func TestTokens(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()
	var list struct {
		Tokens []struct {
			ID    int64  `json:"id"`
			Token string `json:"token"`
		} `json:"tokens"`
	}
	e.do("GET", "/api/v1/auth/tokens", tok[maint.RoleEngineer], nil, nil, &list)
	if len(list.Tokens) != 1 || list.Tokens[0].Token != "" {
		t.Fatalf("tokens %+v (the secret must not be listed)", list)
	}
	if res := e.do("DELETE", fmt.Sprintf("/api/v1/auth/tokens/%d", list.Tokens[0].ID), tok[maint.RoleInspector], nil, nil, nil); res.StatusCode != 404 {
		t.Errorf("revoking another's token: %d, want 404", res.StatusCode)
	}
	if res := e.do("DELETE", fmt.Sprintf("/api/v1/auth/tokens/%d", list.Tokens[0].ID), tok[maint.RoleEngineer], nil, nil, nil); res.StatusCode != 204 {
		t.Errorf("revoke: %d", res.StatusCode)
	}
	if res := e.do("GET", "/api/v1/auth/me", tok[maint.RoleEngineer], nil, nil, nil); res.StatusCode != 401 {
		t.Errorf("a revoked token still works: %d", res.StatusCode)
	}
}

// TestAssetEdits checks the geometry rules of asset writes and their audit.
func TestAssetEdits(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	eng := tok[maint.RoleEngineer]
	feature := func(geom any, props map[string]any) map[string]any {
		return map[string]any{"type": "Feature", "geometry": geom, "properties": props}
	}
	road := map[string]any{"kind": "road_repair", "code": "DL-900", "name": "测试路段", "area_m2": 1200}
	line := func(coords ...[]float64) map[string]any {
		return map[string]any{"type": "LineString", "coordinates": coords}
	}
	cases := []struct {
		name string
		body any
		want int
		text string
	}{
		{"swapped lat/lon", feature(line([]float64{43.88, 125.27}, []float64{43.881, 125.271}), road), 400, "swapped"},
		{"swapped inside the range", feature(line([]float64{43.88, 43.88}, []float64{43.881, 43.881}), road), 400, "outside the district"},
		{"outside the district", feature(line([]float64{116.40, 39.90}, []float64{116.41, 39.91}), road), 400, "outside the district"},
		{"wrong type for the kind", feature(map[string]any{"type": "Point", "coordinates": []float64{125.27, 43.88}}, road), 400, "LINESTRING"},
		{"self-intersecting polygon", feature(map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{125.27, 43.88}, {125.28, 43.89}, {125.28, 43.88}, {125.27, 43.89}, {125.27, 43.88}}}},
			map[string]any{"kind": "parking_lot", "code": "TCC-90", "name": "测试停车场", "spaces": 10}), 400, "Self-intersection"},
		{"unclosed ring", feature(map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{125.27, 43.88}, {125.28, 43.89}, {125.28, 43.88}, {125.27, 43.885}}}},
			map[string]any{"kind": "parking_lot", "code": "TCC-91", "name": "测试停车场", "spaces": 10}), 400, "not closed"},
		{"missing area", feature(line([]float64{125.27, 43.88}, []float64{125.271, 43.881}), map[string]any{"kind": "road_repair", "code": "DL-901", "name": "x"}), 400, "area_m2"},
		{"reserved attribute", feature(line([]float64{125.27, 43.88}, []float64{125.271, 43.881}), map[string]any{"kind": "road_repair", "code": "DL-902", "name": "x", "area_m2": 1, "subdistrict": "x"}), 400, "subdistrict"},
		{"duplicate code", feature(line([]float64{125.27, 43.88}, []float64{125.271, 43.881}), map[string]any{"kind": "road_repair", "code": "DL-001", "name": "x", "area_m2": 1}), 409, "already exists"},
		{"bad manhole code", feature(map[string]any{"type": "Point", "coordinates": []float64{125.27, 43.88}}, map[string]any{"kind": "manhole", "code": "M-1", "name": "x", "cover_category": "0103"}), 400, "16-digit"},
		{"ok", feature(line([]float64{125.27, 43.88}, []float64{125.271, 43.881}), road), 201, "测试路段"},
	}
	many := make([][]float64, 10001)
	for i := range many {
		many[i] = []float64{125.2 + float64(i)*1e-6, 43.88}
	}
	cases = append(cases, struct {
		name string
		body any
		want int
		text string
	}{"too many vertices", feature(map[string]any{"type": "LineString", "coordinates": many}, map[string]any{"kind": "road_repair", "code": "DL-903", "name": "x", "area_m2": 1}), 400, "10001 vertices"})
	for _, c := range cases {
		res := e.do("POST", "/api/v1/assets", eng, c.body, nil, nil)
		raw := body(res)
		if res.StatusCode != c.want || !strings.Contains(raw, c.text) {
			t.Errorf("%s: %d %s, want %d mentioning %q", c.name, res.StatusCode, raw, c.want, c.text)
		}
	}
	var created struct {
		ID         int64          `json:"id"`
		Properties map[string]any `json:"properties"`
	}
	e.do("GET", "/api/v1/assets?q=DL-900", "", nil, nil, nil)
	e.sql.QueryRow(t.Context(), `SELECT id FROM assets WHERE code = 'DL-900'`).Scan(&created.ID)
	res := e.do("GET", fmt.Sprintf("/api/v1/assets/%d", created.ID), "", nil, nil, &created)
	if created.Properties["subdistrict"] == "" || res.Header.Get("ETag") != `"1"` {
		t.Errorf("created asset: %v, ETag %s", created.Properties, res.Header.Get("ETag"))
	}
	// Edits need If-Match and are audited with what changed.
	path := fmt.Sprintf("/api/v1/assets/%d", created.ID)
	if res := e.do("PATCH", path, eng, feature(nil, map[string]any{"area_m2": 1500}), nil, nil); res.StatusCode != 428 {
		t.Errorf("patch without If-Match: %d", res.StatusCode)
	}
	newLine := line([]float64{125.27, 43.88}, []float64{125.272, 43.882})
	if res := e.do("PATCH", path, eng, feature(newLine, map[string]any{"area_m2": 1500}), map[string]string{"If-Match": `"1"`}, nil); res.StatusCode != 200 {
		t.Errorf("patch: %d %s", res.StatusCode, body(res))
	}
	if res := e.do("PATCH", path, eng, feature(nil, map[string]any{"area_m2": 1600}), map[string]string{"If-Match": `"1"`}, nil); res.StatusCode != 412 {
		t.Errorf("stale patch: %d", res.StatusCode)
	}
	var audit struct {
		Events []struct {
			Action  string         `json:"action"`
			Details map[string]any `json:"details"`
		} `json:"events"`
	}
	e.do("GET", "/api/v1/audit?action=asset.updated", tok[maint.RoleAdmin], nil, nil, &audit)
	if len(audit.Events) != 1 || !strings.Contains(fmt.Sprint(audit.Events[0].Details), "area_m2") || !strings.Contains(fmt.Sprint(audit.Events[0].Details), "geometry") {
		t.Errorf("audit of the edit: %+v", audit.Events)
	}
}

// TestTaskForMissingAsset: a task on an asset that does not exist is a 400
// naming asset_id.
func TestTaskForMissingAsset(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()
	var p struct {
		Errors []maint.FieldError `json:"errors"`
	}
	res := e.do("POST", "/api/v1/tasks", tok[maint.RoleEngineer], map[string]any{"asset_id": 99999, "title": "x"}, nil, &p)
	if res.StatusCode != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "asset_id" {
		t.Errorf("%d %+v", res.StatusCode, p)
	}
}

// TestRetriedWrites: a task created or moved again with the same
// Idempotency-Key (its first answer lost) gets the first answer; nothing
// is done twice, and the retried step is not a 412.
func TestRetriedWrites(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	asset := e.anyAsset(maint.KindManhole)
	key := map[string]string{"Idempotency-Key": "field-outbox-17"}
	var a, b taskOut
	r1 := e.do("POST", "/api/v1/tasks", tok[maint.RoleInspector], map[string]any{"asset_id": asset, "title": "井盖破损"}, key, &a)
	r2 := e.do("POST", "/api/v1/tasks", tok[maint.RoleInspector], map[string]any{"asset_id": asset, "title": "井盖破损"}, key, &b)
	if r1.StatusCode != 201 || r2.StatusCode != 201 || a.ID != b.ID || r2.Header.Get("Idempotency-Replayed") != "true" || r2.Header.Get("ETag") != r1.Header.Get("ETag") {
		t.Errorf("retried create: %d %d, ids %d %d", r1.StatusCode, r2.StatusCode, a.ID, b.ID)
	}
	if n := e.count(`SELECT count(*) FROM tasks WHERE title = '井盖破损' AND asset_id = $1 AND created_at > now() - interval '1 minute'`, asset); n != 1 {
		t.Errorf("%d tasks created, want 1", n)
	}
	step := map[string]string{"Idempotency-Key": "field-outbox-18", "If-Match": `"1"`}
	var m1, m2 taskOut
	r1 = e.do("POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", a.ID), tok[maint.RoleEngineer], map[string]any{"to": "filed"}, step, &m1)
	r2 = e.do("POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", a.ID), tok[maint.RoleEngineer], map[string]any{"to": "filed"}, step, &m2)
	if r1.StatusCode != 200 || r2.StatusCode != 200 || m2.Status != maint.StatusFiled || len(m2.History) != 2 {
		t.Errorf("retried step: %d %d %s, %d events", r1.StatusCode, r2.StatusCode, m2.Status, len(m2.History))
	}
	if n := e.count(`SELECT count(*) FROM task_events WHERE task_id = $1`, a.ID); n != 2 {
		t.Errorf("%d events, want 2", n)
	}
	// Newest first, and by case number.
	var list struct {
		Tasks []struct {
			ID    int64  `json:"id"`
			Ref   string `json:"ref"`
			Asset *struct {
				Code string `json:"code"`
			} `json:"asset"`
		} `json:"tasks"`
	}
	e.do("GET", "/api/v1/tasks?order=newest&limit=2", "", nil, nil, &list)
	if len(list.Tasks) != 2 || list.Tasks[0].ID != a.ID || list.Tasks[0].Asset == nil || list.Tasks[0].Asset.Code == "" {
		t.Errorf("newest first: %+v", list.Tasks)
	}
	ref := list.Tasks[0].Ref
	e.do("GET", "/api/v1/tasks?q="+ref, "", nil, nil, &list)
	if len(list.Tasks) != 1 || list.Tasks[0].Ref != ref {
		t.Errorf("by case number %s: %+v", ref, list.Tasks)
	}
}

// TestPublicTextMasked: phone numbers, resident ID numbers, e-mail addresses
// and licence plates typed into a case's title, description and notes, or a
// resident's report, reach anonymous readers masked in every answer that
// shows them (the task, the lists, the asset, the follow page, Open311 in
// JSON and XML); staff read them whole.
func TestPublicTextMasked(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	raw := []string{"13912345678", "0431-85551234", "220106199001011234", "zhang.san@example.org", "吉A·12345"}
	text := "联系王先生13912345678或0431-85551234，身份证220106199001011234，邮箱zhang.san@example.org，车牌吉A·12345"
	var manhole int64
	if err := e.sql.QueryRow(t.Context(), `SELECT id FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&manhole); err != nil {
		t.Fatal(err)
	}
	var tk taskOut
	if res := e.do("POST", "/api/v1/tasks", tok[maint.RoleEngineer], map[string]any{"asset_id": manhole, "title": "井盖破损 13912345678",
		"description": text}, nil, &tk); res.StatusCode != 201 {
		t.Fatalf("task: %d %s", res.StatusCode, body(res))
	}
	if res := e.move(tok[maint.RoleEngineer], tk.ID, maint.StatusFiled, map[string]any{"note": "已电话回复 " + text}); res.StatusCode != 200 {
		t.Fatalf("file: %d %s", res.StatusCode, body(res))
	}
	// A resident's report through Open311, its description holding the same.
	form := url.Values{"service_code": {"pothole"}, "lat": {"43.8802"}, "long": {"125.2705"}, "description": {text}, "address_string": {"景阳大路 13912345678"}}
	res, err := http.PostForm(e.srv.URL+"/open311/v2/requests.json", form)
	if err != nil {
		t.Fatal(err)
	}
	var made []struct {
		ID string `json:"service_request_id"`
	}
	json.NewDecoder(res.Body).Decode(&made)
	res.Body.Close()
	if res.StatusCode != 201 || len(made) != 1 {
		t.Fatalf("open311 request: %d %+v", res.StatusCode, made)
	}
	// Filed, the report is on the public map's list and in the feeds too.
	var taskRef string
	e.sql.QueryRow(t.Context(), `SELECT ref FROM tasks WHERE id = $1`, tk.ID).Scan(&taskRef)
	var reportID int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM tasks WHERE ref = $1`, made[0].ID).Scan(&reportID)
	if res := e.move(tok[maint.RoleEngineer], reportID, maint.StatusFiled, map[string]any{"note": "已立案，回电 " + text}); res.StatusCode != 200 {
		t.Fatalf("file the report: %d %s", res.StatusCode, body(res))
	}
	paths := []string{
		fmt.Sprintf("/api/v1/tasks/%d", tk.ID), fmt.Sprintf("/api/v1/tasks?asset=%d", manhole), fmt.Sprintf("/api/v1/assets/%d", manhole),
		fmt.Sprintf("/api/v1/tasks?asset=%d&status=filed&order=time_left", manhole), "/api/v1/reports/" + made[0].ID,
		"/open311/v2/requests.json?service_request_id=" + made[0].ID, "/open311/v2/requests.xml?service_request_id=" + made[0].ID,
		"/open311/v2/requests/" + made[0].ID + ".json",
		// Every list and feed that carries the text.
		"/api/v1/reports?bbox=125.26,43.87,125.28,43.89", "/open311/v2/requests.json", "/open311/v2/requests.xml",
		"/api/v1/tasks?status=filed&order=priority&limit=1000", "/api/v1/tasks?q=" + url.QueryEscape(made[0].ID),
		"/feeds/cases/" + made[0].ID + ".atom", "/feeds/cases.atom?service=pothole",
		"/feeds/cases/" + taskRef + ".atom", "/feeds/cases.atom",
	}
	for _, path := range paths {
		res := e.do("GET", path, "", nil, nil, nil)
		got := body(res)
		if res.StatusCode != 200 {
			t.Errorf("GET %s: %d %s", path, res.StatusCode, got)
			continue
		}
		for _, r := range raw {
			if strings.Contains(got, r) || strings.Contains(got, strings.ReplaceAll(r, "·", `\u00b7`)) {
				t.Errorf("anonymous GET %s shows %s", path, r)
			}
		}
		if !strings.Contains(got, "139****5678") {
			t.Errorf("anonymous GET %s: no masked number in %s", path, got)
		}
	}
	// Staff read the text whole.
	got := body(e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", tk.ID), tok[maint.RoleEngineer], nil, nil, nil))
	for _, r := range raw {
		if !strings.Contains(got, r) {
			t.Errorf("staff do not see %s", r)
		}
	}
}

// TestMeToo: 我也遇到 counts once per device, shows on the case for
// everyone, and is refused on a finished case.
func TestMeToo(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	var manhole int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&manhole)
	open := e.driveTo(tok, manhole, maint.StatusFiled)
	tap := func(id int64, device string) (int, bool, int) {
		t.Helper()
		var out struct {
			Supports int  `json:"supports"`
			Counted  bool `json:"counted"`
		}
		res := e.do("POST", fmt.Sprintf("/api/v1/tasks/%d/support", id), "", map[string]string{"device": device}, nil, &out)
		return out.Supports, out.Counted, res.StatusCode
	}
	if n, counted, code := tap(open, "device-one-0123456789"); code != 200 || n != 1 || !counted {
		t.Errorf("first tap: %d %v %d", n, counted, code)
	}
	if n, counted, code := tap(open, "device-one-0123456789"); code != 200 || n != 1 || counted {
		t.Errorf("the same device again: %d %v %d, want 1 and not counted", n, counted, code)
	}
	if n, counted, code := tap(open, "device-two-0123456789"); code != 200 || n != 2 || !counted {
		t.Errorf("another device: %d %v %d", n, counted, code)
	}
	var task struct {
		Supports int `json:"supports"`
	}
	e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", open), "", nil, nil, &task)
	if task.Supports != 2 {
		t.Errorf("the case shows %d, want 2", task.Supports)
	}
	var stored int
	e.sql.QueryRow(t.Context(), `SELECT count(*) FROM task_supports WHERE task_id = $1 AND device_hash <> convert_to('device-one-0123456789', 'UTF8')`, open).Scan(&stored)
	if stored != 2 {
		t.Errorf("%d hashed devices stored, want 2", stored)
	}
	closed := e.driveTo(tok, manhole, maint.StatusClosed)
	if _, _, code := tap(closed, "device-one-0123456789"); code != 409 {
		t.Errorf("a closed case: %d, want 409", code)
	}
}
