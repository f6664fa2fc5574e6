package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

type reportOut struct {
	Ref      string `json:"ref"`
	Status   string `json:"status"`
	Key      string `json:"key"`
	Answered bool   `json:"answered"`
}

// postMultipart sends a multipart form (and a photo when given) to path.
func (e *env) postMultipart(path string, fields map[string]string, photo []byte, hdr map[string]string, out any) *http.Response {
	e.t.Helper()
	b, ctype := multipartBody(fields, "p.jpg", photo)
	req, _ := http.NewRequest("POST", e.srv.URL+path, b)
	req.Header.Set("Content-Type", ctype)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil {
		json.Unmarshal(raw, out)
	}
	return res
}

// closeReport works a resident's report through to 结案 as staff would.
func (e *env) closeReport(tok map[maint.Role]string, ref string) int64 {
	e.t.Helper()
	var id int64
	if err := e.sql.QueryRow(e.t.Context(), `SELECT id FROM tasks WHERE ref = $1`, ref).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	for _, st := range []maint.Status{maint.StatusFiled, maint.StatusDispatched, maint.StatusInProgress, maint.StatusDone, maint.StatusClosed} {
		extra := map[string]any{}
		if st == maint.StatusDispatched {
			extra["assignee"] = "井盖专项整治组"
		}
		if st == maint.StatusClosed {
			e.afterPhoto(id)
		}
		who := tok[maint.RoleEngineer]
		if st == maint.StatusClosed {
			who = tok[maint.RoleInspector] // 核查 is the inspector's
		}
		if res := e.move(who, id, st, extra); res.StatusCode != 200 {
			e.t.Fatalf("%s: %d %s", st, res.StatusCode, body(res))
		}
	}
	return id
}

// TestReporterFeedback: after 结案 the reporter — and only the reporter, by
// the key their report was answered with — says whether it is fixed and how
// satisfied they are, once per closing; "not fixed" with a photo returns
// the case to 核查 with their note and starts its verification clock again;
// the answers count in the evaluation (满意率, not fixed) of the unit that
// handled the case.
func TestReporterFeedback(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	report := func(desc string) reportOut {
		var rep reportOut
		res := e.postMultipart("/api/v1/reports", map[string]string{"service_code": "manhole_broken", "lat": "43.8800", "lon": "125.2700",
			"description": desc, "email": "li@example.org"}, nil, nil, &rep)
		if res.StatusCode != 201 || rep.Key == "" {
			t.Fatalf("report: %d %+v", res.StatusCode, rep)
		}
		return rep
	}
	a, b := report("井盖裂了"), report("井盖又响了")
	// The key is the reporter's alone: the follow page never shows it.
	var follow map[string]any
	e.do("GET", "/api/v1/reports/"+a.Ref, "", nil, nil, &follow)
	if _, shown := follow["key"]; shown {
		t.Errorf("the follow page shows the key: %v", follow)
	}

	problem := func(res *http.Response, p httpx.Problem) string {
		if res.StatusCode == 400 && len(p.Errors) > 0 {
			return fmt.Sprintf("%d %s/%s", res.StatusCode, p.Code, p.Errors[0].Code)
		}
		return fmt.Sprintf("%d %s/%s", res.StatusCode, p.Code, p.Reason)
	}
	send := func(ref string, fields map[string]string, photo []byte) (*http.Response, httpx.Problem, reportOut) {
		var p httpx.Problem
		var out reportOut
		res := e.postMultipart("/api/v1/reports/"+ref+"/feedback", fields, photo, nil, &p)
		if res.StatusCode == 200 {
			raw, _ := json.Marshal(p)
			json.Unmarshal(raw, &out) // decoded again below from the store
			e.do("GET", "/api/v1/reports/"+ref, "", nil, nil, &out)
		}
		return res, p, out
	}
	// Before 结案 there is nothing to answer.
	if res, p, _ := send(a.Ref, map[string]string{"key": a.Key, "fixed": "true"}, nil); problem(res, p) != "409 conflict/feedback_not_closed" {
		t.Errorf("before closing: %s", problem(res, p))
	}
	idA, idB := e.closeReport(tok, a.Ref), e.closeReport(tok, b.Ref)

	// Wrong key, another report's key, bad fields.
	for _, c := range []struct {
		fields map[string]string
		want   string
	}{
		{map[string]string{"key": "not-the-key", "fixed": "true"}, "403 forbidden/feedback_key"},
		{map[string]string{"key": b.Key, "fixed": "true"}, "403 forbidden/feedback_key"},
		{map[string]string{"fixed": "true"}, "400 invalid/feedback_key_required"},
		{map[string]string{"key": a.Key, "fixed": "maybe"}, "400 invalid/feedback_fixed_required"},
		{map[string]string{"key": a.Key, "fixed": "true", "satisfaction": "ecstatic"}, "400 invalid/satisfaction_unknown"},
	} {
		if res, p, _ := send(a.Ref, c.fields, nil); problem(res, p) != c.want {
			t.Errorf("%v: %s, want %s", c.fields, problem(res, p), c.want)
		}
	}
	if n := e.count(`SELECT count(*) FROM report_feedback`); n != 0 {
		t.Fatalf("refused answers left %d rows", n)
	}

	// A: fixed, satisfied. Once per closing.
	res, p, out := send(a.Ref, map[string]string{"key": a.Key, "fixed": "true", "satisfaction": "satisfied"}, nil)
	if res.StatusCode != 200 || !out.Answered || out.Status != "closed" {
		t.Fatalf("fixed: %s %+v", problem(res, p), out)
	}
	if res, p, _ := send(a.Ref, map[string]string{"key": a.Key, "fixed": "false", "satisfaction": "dissatisfied"}, nil); problem(res, p) != "409 conflict/feedback_answered" {
		t.Errorf("a second answer: %s", problem(res, p))
	}
	// B: not fixed, dissatisfied, with a photo: back to 核查.
	res, p, out = send(b.Ref, map[string]string{"key": b.Key, "fixed": "false", "satisfaction": "dissatisfied", "note": "还是响，晚上很吵"}, fixture(t, "noexif.jpg"))
	if res.StatusCode != 200 || out.Status != "done" || out.Answered {
		t.Fatalf("not fixed: %s %+v", problem(res, p), out)
	}
	var task struct {
		Status  string
		Clock   *struct{ Step string }
		History []struct {
			From, To *string
			Note     string
			Actor    string
		}
	}
	e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", idB), tok[maint.RoleEngineer], nil, nil, &task)
	last := task.History[len(task.History)-1]
	if task.Status != "done" || task.Clock == nil || task.Clock.Step != "verify" || last.From == nil || *last.From != "closed" ||
		last.To == nil || *last.To != "done" || last.Note != "居民反馈未解决：还是响，晚上很吵" {
		t.Errorf("after not fixed: %s clock %+v, last event %+v", task.Status, task.Clock, last)
	}
	if n := e.count(`SELECT count(*) FROM photos WHERE task_id = $1 AND stage = 'report' AND NOT visible`, idB); n != 1 {
		t.Errorf("the reporter's photo: %d hidden report photos, want 1 (staff make it public)", n)
	}
	if n := e.count(`SELECT count(*) FROM task_events WHERE task_id = $1 AND note = '居民反馈：已解决'`, idA); n != 1 {
		t.Errorf("fixed: %d history rows", n)
	}
	// Closed again (its after photo still stands), B may be answered again.
	if res := e.move(tok[maint.RoleInspector], idB, maint.StatusClosed, map[string]any{"note": "复查已修好"}); res.StatusCode != 200 {
		t.Fatalf("close again: %d %s", res.StatusCode, body(res))
	}
	if res, p, out := send(b.Ref, map[string]string{"key": b.Key, "fixed": "true", "satisfaction": "basically_satisfied"}, nil); res.StatusCode != 200 || !out.Answered {
		t.Errorf("after closing again: %s", problem(res, p))
	}

	// The evaluation counts the answers for the unit that handled them. It
	// is known to the minute (asOfNow): these cases' facts are moved two
	// minutes back so that this minute's evaluation holds them (the history,
	// append-only, stays as it is; the evaluation reads the clocks).
	for _, q := range []string{
		`UPDATE tasks SET created_at = created_at - interval '2 min', status_at = status_at - interval '2 min',
			closed_at = closed_at - interval '2 min' WHERE id = ANY($1)`,
		`UPDATE task_clocks SET started_at = started_at - interval '2 min', ended_at = ended_at - interval '2 min',
			deadline = deadline - interval '2 min' WHERE task_id = ANY($1)`,
		`UPDATE report_feedback SET created_at = created_at - interval '2 min' WHERE task_id = ANY($1)`,
	} {
		if _, err := e.sql.Exec(t.Context(), q, []int64{idA, idB}); err != nil {
			t.Fatal(err)
		}
	}
	var ev evalOut
	now := time.Now().In(maint.Zone)
	window := "from=" + now.AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + now.AddDate(0, 0, 1).Format(time.DateOnly) // to is exclusive
	e.do("GET", "/api/v1/evaluation?by=unit&"+window, tok[maint.RoleEngineer], nil, nil, &ev)
	var unit *evalRowOut
	for i := range ev.Rows {
		if ev.Rows[i].Key == "井盖专项整治组" {
			unit = &ev.Rows[i]
		}
	}
	if unit == nil {
		res := e.do("GET", "/api/v1/evaluation?by=unit&"+window, tok[maint.RoleEngineer], nil, nil, nil)
		t.Fatalf("no row for the unit: %+v\n%s", ev.Rows, body(res))
	}
	sat := unit.Rates["satisfaction"]
	if sat.Num != 2 || sat.Den != 3 || unit.Counts["not_fixed"] != 1 || unit.Counts["satisfied"] != 1 ||
		unit.Counts["basically_satisfied"] != 1 || unit.Counts["dissatisfied"] != 1 {
		t.Errorf("unit row: satisfaction %+v, counts %v; want 2/3, one each, one not fixed", sat, unit.Counts)
	}
	if ev.Total.Rates["satisfaction"].Den != 3 {
		t.Errorf("total satisfaction %+v", ev.Total.Rates["satisfaction"])
	}
}

// TestModeration: staff change what a resident wrote only with a public
// note saying why — after 结案 too —; the follow page tells the reporter why
// (and why a photo is kept back); the original stays in the history for
// staff alone.
func TestModeration(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	var rep struct {
		Ref   string `json:"ref"`
		Photo struct {
			ID int64 `json:"id"`
		} `json:"photo"`
	}
	original := "井盖坏了，楼下张三家的车总压着它"
	if res := e.postMultipart("/api/v1/reports", map[string]string{"service_code": "manhole_broken", "lat": "43.8800", "lon": "125.2700",
		"description": original}, fixture(t, "noexif.jpg"), nil, &rep); res.StatusCode != 201 {
		t.Fatalf("report: %d", res.StatusCode)
	}
	var id int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM tasks WHERE ref = $1`, rep.Ref).Scan(&id)
	patch := func(fields map[string]any) (*http.Response, httpx.Problem) {
		var cur taskOut
		e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleEngineer], nil, nil, &cur)
		var p httpx.Problem
		res := e.do("PATCH", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleEngineer], fields, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, cur.Version)}, &p)
		return res, p
	}
	edited := "井盖破损，有车辆碾压"
	for _, f := range []map[string]any{
		{"description": edited},
		{"description": edited, "note": "内部：去掉了邻居的名字", "internal": true},
	} {
		if res, p := patch(f); res.StatusCode != 400 || len(p.Errors) != 1 || p.Errors[0].Code != "moderation_needs_reason" {
			t.Errorf("%v: %d %+v, want 400 moderation_needs_reason", f, res.StatusCode, p.Errors)
		}
	}
	if res, _ := patch(map[string]any{"description": edited, "note": "已删去他人姓名"}); res.StatusCode != 200 {
		t.Fatalf("moderate: %d %s", res.StatusCode, body(res))
	}
	if res := e.do("PATCH", fmt.Sprintf("/api/v1/photos/%d", rep.Photo.ID), tok[maint.RoleEngineer], map[string]any{"visible": false, "reason": "车牌可见"}, nil, nil); res.StatusCode != 200 {
		t.Fatalf("hide photo: %d %s", res.StatusCode, body(res))
	}
	var follow struct {
		Description string `json:"description"`
		Moderated   *struct {
			Reason string    `json:"reason"`
			At     time.Time `json:"at"`
		} `json:"moderated"`
		HiddenPhotos []string `json:"hidden_photos"`
	}
	e.do("GET", "/api/v1/reports/"+rep.Ref, "", nil, nil, &follow)
	if follow.Description != edited || follow.Moderated == nil || follow.Moderated.Reason != "已删去他人姓名" ||
		len(follow.HiddenPhotos) != 1 || follow.HiddenPhotos[0] != "车牌可见" {
		t.Errorf("follow page: %+v", follow)
	}
	// The original: in the staff's history, nowhere public.
	for _, path := range []string{"/api/v1/reports/" + rep.Ref, fmt.Sprintf("/api/v1/tasks/%d", id), "/open311/v2/requests/" + rep.Ref + ".json"} {
		if got := body(e.do("GET", path, "", nil, nil, nil)); strings.Contains(got, "张三") {
			t.Errorf("anonymous %s shows the original: %s", path, got)
		}
	}
	if got := body(e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleEngineer], nil, nil, nil)); !strings.Contains(got, original) {
		t.Errorf("staff do not find the original in the history")
	}
	// After 结案 a resident's words may still be moderated (with a reason);
	// nothing else of the case changes.
	e.closeReport(tok, rep.Ref)
	if res, _ := patch(map[string]any{"description": "井盖破损", "note": "简化描述"}); res.StatusCode != 200 {
		t.Errorf("moderate after closing: %d %s", res.StatusCode, body(res))
	}
	if res, p := patch(map[string]any{"priority": "urgent"}); res.StatusCode != 409 {
		t.Errorf("change a closed case: %d %+v", res.StatusCode, p)
	}
}
