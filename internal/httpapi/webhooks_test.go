package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/outbox"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/webhook"
)

type hit struct {
	delivery, event, signature string
	body                       []byte
	status                     int
}

// TestWebhooks: an admin registers an endpoint; a change to a case reaches
// it through the outbox, signed; the receiver answers 500, 500, 200 and sees
// three attempts with one delivery id and a valid signature, each logged;
// a delivery sent again by hand keeps its id; after a rotation both secrets
// sign; an endpoint failing too often is paused and its owner told.
func TestWebhooks(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	var mu sync.Mutex
	var hits []hit
	answers := []int{500, 500, 200}
	failing := false
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		status := 200
		if len(hits) < len(answers) {
			status = answers[len(hits)]
		}
		if failing {
			status = 503
		}
		hits = append(hits, hit{r.Header.Get(webhook.HeaderDelivery), r.Header.Get(webhook.HeaderEvent), r.Header.Get(webhook.HeaderSignature), b, status})
		w.WriteHeader(status)
		if status != 200 {
			io.WriteString(w, "boom")
		}
	}))
	defer recv.Close()

	// Bad input first: nothing is registered.
	for _, body := range []map[string]any{{"url": "ftp://x"}, {"url": recv.URL, "events": []string{"task.exploded"}}} {
		if res := e.do("POST", "/api/v1/webhooks", tok[maint.RoleAdmin], body, nil, nil); res.StatusCode != 400 {
			t.Errorf("POST webhooks %v: %d", body, res.StatusCode)
		}
	}
	if res := e.do("POST", "/api/v1/webhooks", tok[maint.RoleEngineer], map[string]any{"url": recv.URL}, nil, nil); res.StatusCode != 403 {
		t.Errorf("an engineer registers a webhook: %d", res.StatusCode)
	}
	var wh maint.Webhook
	if res := e.do("POST", "/api/v1/webhooks", tok[maint.RoleAdmin], map[string]any{"url": recv.URL, "description": "12345 热线", "events": []string{"task.changed"}}, nil, &wh); res.StatusCode != 201 || len(wh.Secret) < 16 {
		t.Fatalf("register: %d %+v", res.StatusCode, wh)
	}
	var list struct{ Webhooks []maint.Webhook }
	e.do("GET", "/api/v1/webhooks", tok[maint.RoleAdmin], nil, nil, &list)
	if len(list.Webhooks) != 1 || list.Webhooks[0].Secret != "" {
		t.Errorf("the list shows %+v (never the secret)", list.Webhooks)
	}

	// The dispatcher, as serve runs it.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	hooks := &webhook.Sender{Store: e.db}
	d := e.db.Dispatcher(func(ctx context.Context, dl outbox.Delivery) error {
		if dl.Channel == "inapp" {
			return e.db.SendNotice(ctx, dl)
		}
		return hooks.Send(ctx, dl.ID, dl.EventID, dl.Kind, dl.TaskID, dl.Payload, dl.Recipient)
	})
	d.Idle = 20 * time.Millisecond
	go d.Run(ctx)

	// A change: an engineer opens a case.
	var tk taskOut
	if res := e.do("POST", "/api/v1/tasks", tok[maint.RoleEngineer], map[string]any{"asset_id": e.anyAsset(maint.KindManhole), "title": "井盖松动"}, nil, &tk); res.StatusCode != 201 {
		t.Fatalf("task: %d", res.StatusCode)
	}
	wait := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second) // two backoffs: 2 s and 4 s
		for !ok() {
			if time.Now().After(deadline) {
				var rows []string
				r, _ := e.sql.Query(t.Context(), `SELECT d.id::text || ' ' || d.status || ' ' || d.attempts || ' ' || d.last_error FROM outbox_deliveries d`)
				for r.Next() {
					var x string
					r.Scan(&x)
					rows = append(rows, x)
				}
				t.Fatalf("waited a minute for %s; deliveries %v; attempts %s", what, rows, body(e.do("GET", fmt.Sprintf("/api/v1/webhooks/%d/attempts", wh.ID), tok[maint.RoleAdmin], nil, nil, nil)))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("three attempts", func() bool { mu.Lock(); defer mu.Unlock(); return len(hits) >= 3 })
	mu.Lock()
	first := hits[:3:3]
	mu.Unlock()
	for i, h := range first {
		if h.delivery != first[0].delivery || h.event != "task.changed" || h.status != answers[i] {
			t.Errorf("attempt %d: delivery %s, event %s, status %d", i+1, h.delivery, h.event, h.status)
		}
		if err := webhook.Verify(h.signature, h.body, wh.Secret, 5*time.Minute, time.Now()); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
		var b webhook.Body
		json.Unmarshal(h.body, &b)
		if b.ID != h.delivery || b.Kind != "task.changed" || b.TaskID != tk.ID {
			t.Errorf("attempt %d body: %+v, want delivery %s on task %d", i+1, b, h.delivery, tk.ID)
		}
	}
	// The log: three attempts, their statuses and the answer's start.
	path := fmt.Sprintf("/api/v1/webhooks/%d/attempts", wh.ID)
	var log struct{ Attempts []maint.WebhookAttempt }
	wait("the logged success", func() bool {
		e.do("GET", path, tok[maint.RoleAdmin], nil, nil, &log)
		return len(log.Attempts) >= 3 && log.Attempts[0].State == "sent"
	})
	a := log.Attempts
	if *a[0].Status != 200 || *a[1].Status != 500 || *a[2].Status != 500 || a[1].Excerpt != "boom" || a[2].DeliveryID != first[0].delivery {
		t.Errorf("attempts log: %+v", a)
	}

	// By hand, again: the same delivery id.
	if res := e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries/%s/redeliver", wh.ID, first[0].delivery), tok[maint.RoleAdmin], nil, nil, nil); res.StatusCode != 202 {
		t.Fatalf("redeliver: %d", res.StatusCode)
	}
	wait("the redelivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range hits[3:] {
			if h.delivery == first[0].delivery {
				return true
			}
		}
		return false
	})

	// Rotation: the next delivery is signed with both secrets.
	var rot maint.Webhook
	if res := e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/rotate", wh.ID), tok[maint.RoleAdmin], nil, nil, &rot); res.StatusCode != 200 || rot.Secret == "" || rot.Secret == wh.Secret {
		t.Fatalf("rotate: %d %+v", res.StatusCode, rot)
	}
	mu.Lock()
	before := len(hits)
	mu.Unlock()
	e.move(tok[maint.RoleEngineer], tk.ID, maint.StatusFiled, nil)
	wait("a delivery after the rotation", func() bool { mu.Lock(); defer mu.Unlock(); return len(hits) > before })
	mu.Lock()
	h := hits[before]
	mu.Unlock()
	for _, secret := range []string{wh.Secret, rot.Secret} {
		if err := webhook.Verify(h.signature, h.body, secret, 5*time.Minute, time.Now()); err != nil {
			t.Errorf("after rotation, with %s…: %v", secret[:10], err)
		}
	}

	// Too many failures in a row pause the endpoint and tell its owner.
	if _, err := e.sql.Exec(t.Context(), `UPDATE webhook_endpoints SET failures = $2 - 1 WHERE id = $1`, wh.ID, webhook.PauseAfter); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	failing = true // the receiver is down from now on
	mu.Unlock()
	e.move(tok[maint.RoleEngineer], tk.ID, maint.StatusDispatched, map[string]any{"assignee": "绿园区市政养护一队"})
	var paused maint.Webhook
	wait("the pause", func() bool {
		e.do("GET", "/api/v1/webhooks", tok[maint.RoleAdmin], nil, nil, &list)
		paused = list.Webhooks[0]
		return paused.PausedAt != nil
	})
	var notices struct{ Notices []maint.Notice }
	e.do("GET", "/api/v1/notices", tok[maint.RoleAdmin], nil, nil, &notices)
	if len(notices.Notices) != 1 || notices.Notices[0].Kind != "webhook.paused" || notices.Notices[0].ReadAt != nil {
		t.Fatalf("the owner's notices: %+v", notices.Notices)
	}
	if res := e.do("POST", fmt.Sprintf("/api/v1/notices/%d/read", notices.Notices[0].ID), tok[maint.RoleAdmin], nil, nil, nil); res.StatusCode != 204 {
		t.Errorf("read: %d", res.StatusCode)
	}
	e.do("GET", "/api/v1/notices", tok[maint.RoleEngineer], nil, nil, &notices)
	if len(notices.Notices) != 0 {
		t.Errorf("an engineer sees the admin's notices: %+v", notices.Notices)
	}
	if res := e.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/resume", wh.ID), tok[maint.RoleAdmin], nil, nil, &paused); res.StatusCode != 200 || paused.PausedAt != nil {
		t.Errorf("resume: %d %+v", res.StatusCode, paused)
	}
	if res := e.do("DELETE", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID), tok[maint.RoleAdmin], nil, nil, nil); res.StatusCode != 204 {
		t.Errorf("delete: %d", res.StatusCode)
	}
}

// TestStaffNotices: a change that hands work back tells the person it
// returns to, in the console's notices — a hand-back (回退) and a failed
// verification the engineer who dispatched, a resident's "not fixed" the
// inspector who closed — and never the one who made the change.
func TestStaffNotices(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	d := e.db.Dispatcher(func(ctx context.Context, dl outbox.Delivery) error { return e.db.SendNotice(ctx, dl) })
	d.Idle = 20 * time.Millisecond
	go d.Run(ctx)
	notices := func(who maint.Role) []maint.Notice {
		var out struct{ Notices []maint.Notice }
		e.do("GET", "/api/v1/notices", tok[who], nil, nil, &out)
		return out.Notices
	}
	waitFor := func(who maint.Role, n int) []maint.Notice {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ns := notices(who)
			if len(ns) >= n || time.Now().After(deadline) {
				return ns
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	manhole := e.anyAsset(maint.KindManhole)
	// Dispatched by the engineer, handed back by the admin: the engineer is told.
	id := e.driveTo(tok, manhole, maint.StatusFiled)
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusDispatched, map[string]any{"assignee": "绿园区市政养护一队"}); res.StatusCode != 200 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, body(res))
	}
	if res := e.move(tok[maint.RoleAdmin], id, maint.StatusFiled, map[string]any{"note": "不属于本队养护范围"}); res.StatusCode != 200 {
		t.Fatalf("hand back: %d %s", res.StatusCode, body(res))
	}
	ns := waitFor(maint.RoleEngineer, 1)
	var p struct {
		Task  int64  `json:"task"`
		Ref   string `json:"ref"`
		Note  string `json:"note"`
		Title string `json:"title"`
	}
	if len(ns) != 1 || ns[0].Kind != "task.handed_back" || json.Unmarshal(ns[0].Params, &p) != nil || p.Task != id || p.Note != "不属于本队养护范围" || p.Ref == "" {
		t.Fatalf("the engineer's notices: %+v (%+v)", ns, p)
	}
	// Their own hand-back tells nobody.
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusDispatched, map[string]any{"assignee": "绿园区市政养护一队"}); res.StatusCode != 200 {
		t.Fatal(body(res))
	}
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusFiled, map[string]any{"note": "改派"}); res.StatusCode != 200 {
		t.Fatal(body(res))
	}
	// Verification fails: back to the engineer who dispatched.
	id2 := e.driveTo(tok, manhole, maint.StatusDone) // dispatched by the admin in driveTo
	if res := e.move(tok[maint.RoleInspector], id2, maint.StatusInProgress, map[string]any{"note": "井盖仍松动"}); res.StatusCode != 200 {
		t.Fatalf("fail verification: %d %s", res.StatusCode, body(res))
	}
	ns = waitFor(maint.RoleAdmin, 1)
	if len(ns) != 1 || ns[0].Kind != "task.rework" {
		t.Errorf("the dispatcher (admin) after a failed verification: %+v", ns)
	}
	// Nothing more reached the engineer (their own hand-back), once the
	// outbox is empty.
	deadline := time.Now().Add(30 * time.Second)
	for e.count(`SELECT count(*) FROM outbox_events WHERE fanned_at IS NULL`)+e.count(`SELECT count(*) FROM outbox_deliveries WHERE status = 'pending'`) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if ns := notices(maint.RoleEngineer); len(ns) != 1 {
		t.Errorf("the engineer has %d notices, want the one (not their own hand-back)", len(ns))
	}
}

// TestWorkNotices: staff hear of their own work. Whoever looks after a
// sub-district is told of a new report there; the members of a unit of
// work dispatched to it (not the engineer who dispatched); as the 处置
// clock turns yellow and then red, the unit and the dispatching engineer
// are told once each, and a second look tells nothing more.
func TestWorkNotices(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	e.startSubscriberDispatch(nil, nil)
	// The dataset's own late work is told first, before anyone has a unit
	// or an area: nobody hears of it.
	if _, err := e.db.WatchClocks(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.settle()
	const crew = "绿园区市政养护一队"
	var sd string
	if err := e.sql.QueryRow(t.Context(), `SELECT name FROM areas WHERE kind = 'subdistrict'
		AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(125.27, 43.88), 4326))`).Scan(&sd); err != nil {
		t.Fatal(err)
	}
	userID := func(email string) int64 {
		var id int64
		e.sql.QueryRow(t.Context(), `SELECT id FROM users WHERE email = $1`, email).Scan(&id)
		return id
	}
	var u struct{ Crew, Subdistrict string }
	if res := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", userID("inspector@test")), tok[maint.RoleAdmin], map[string]any{"crew": crew}, nil, &u); res.StatusCode != 200 || u.Crew != crew {
		t.Fatalf("set crew: %d %+v", res.StatusCode, u)
	}
	if res := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", userID("engineer@test")), tok[maint.RoleAdmin], map[string]any{"subdistrict": sd}, nil, &u); res.StatusCode != 200 || u.Subdistrict != sd {
		t.Fatalf("set sub-district: %d %+v", res.StatusCode, u)
	}
	if res := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", userID("engineer@test")), tok[maint.RoleAdmin], map[string]any{"subdistrict": "火星街道"}, nil, nil); res.StatusCode != 400 {
		t.Errorf("an unknown sub-district: %d", res.StatusCode)
	}
	kinds := func(who maint.Role) []string {
		var out struct{ Notices []maint.Notice }
		e.do("GET", "/api/v1/notices", tok[who], nil, nil, &out)
		var ks []string
		for _, n := range out.Notices {
			ks = append(ks, n.Kind)
		}
		slices.Sort(ks)
		return ks
	}

	var rep reportOut
	if res := e.postMultipart("/api/v1/reports", map[string]string{"service_code": "manhole_broken", "lat": "43.8800", "lon": "125.2700"}, nil, nil, &rep); res.StatusCode != 201 {
		t.Fatal(res.StatusCode)
	}
	e.settle()
	if got := kinds(maint.RoleEngineer); !slices.Equal(got, []string{"task.new_in_area"}) {
		t.Errorf("the engineer of %s: %v", sd, got)
	}
	id := e.taskID(rep.Ref)
	e.move(tok[maint.RoleEngineer], id, maint.StatusFiled, nil)
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusDispatched, map[string]any{"assignee": crew}); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	e.settle()
	if got := kinds(maint.RoleInspector); !slices.Equal(got, []string{"task.dispatched_to_unit"}) {
		t.Errorf("the unit's member: %v", got)
	}
	if got := kinds(maint.RoleEngineer); !slices.Equal(got, []string{"task.new_in_area"}) {
		t.Errorf("the dispatching engineer is told of their own dispatch: %v", got)
	}

	// The 处置 clock, nine hours into ten: yellow.
	if _, err := e.sql.Exec(t.Context(), `UPDATE task_clocks SET unit = 'natural_hours', n = 10,
		started_at = now() - interval '9 hours', deadline = now() + interval '1 hour' WHERE task_id = $1 AND ended_at IS NULL`, id); err != nil {
		t.Fatal(err)
	}
	watch := func(want int) {
		t.Helper()
		if n, err := e.db.WatchClocks(t.Context()); err != nil || n != want {
			t.Fatalf("WatchClocks: %d %v, want %d", n, err, want)
		}
	}
	watch(1)
	watch(0)
	e.settle()
	if got := kinds(maint.RoleInspector); !slices.Equal(got, []string{"task.dispatched_to_unit", "task.due_soon"}) {
		t.Errorf("the unit, due soon: %v", got)
	}
	// Past the deadline: red, told once.
	e.sql.Exec(t.Context(), `UPDATE task_clocks SET deadline = now() - interval '1 minute' WHERE task_id = $1 AND ended_at IS NULL`, id)
	watch(1)
	watch(0)
	e.settle()
	if got := kinds(maint.RoleInspector); !slices.Equal(got, []string{"task.dispatched_to_unit", "task.due_soon", "task.overdue"}) {
		t.Errorf("the unit, overdue: %v", got)
	}
	if got := kinds(maint.RoleEngineer); !slices.Equal(got, []string{"task.due_soon", "task.new_in_area", "task.overdue"}) {
		t.Errorf("the dispatching engineer: %v", got)
	}
	var out struct{ Notices []maint.Notice }
	e.do("GET", "/api/v1/notices", tok[maint.RoleInspector], nil, nil, &out)
	var p map[string]any
	json.Unmarshal(out.Notices[0].Params, &p)
	if p["ref"] != rep.Ref || p["step"] != "handle" || p["deadline"] == nil {
		t.Errorf("overdue notice params %v", p)
	}
}
