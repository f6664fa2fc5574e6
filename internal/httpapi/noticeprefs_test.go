package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/notify"
	"inframap/internal/notify/smtptest"
	"inframap/internal/outbox"
	"inframap/internal/password"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/webhook"
)

// TestNoticePreferencesAPI: GET lists every kind with the defaults (in the
// console, not by e-mail); PUT changes the kinds named, keeps the rest, is
// audited; an unknown kind is a 400 naming the field; anonymous is 401.
func TestNoticePreferencesAPI(t *testing.T) {
	e := newEnv(t, pgtest.Empty)
	tok := e.staff()
	var p maint.NoticePreferences
	if res := e.do("GET", "/api/v1/notices/preferences", tok[maint.RoleInspector], nil, nil, &p); res.StatusCode != 200 {
		t.Fatalf("GET: %d", res.StatusCode)
	}
	if p.Email != "inspector@test" || p.Lang != "" || len(p.Preferences) != len(maint.NoticeKinds) {
		t.Fatalf("defaults: %+v", p)
	}
	for i, k := range maint.NoticeKinds {
		if got := p.Preferences[i]; got != (maint.NoticePreference{Kind: k, Receive: true}) {
			t.Errorf("default of %s: %+v", k, got)
		}
	}
	body := map[string]any{"lang": "en", "preferences": []map[string]any{
		{"kind": "task.new_in_area", "receive": false},
		{"kind": "task.dispatched_to_unit", "email": true},
	}}
	if res := e.do("PUT", "/api/v1/notices/preferences", tok[maint.RoleInspector], body, nil, &p); res.StatusCode != 200 {
		t.Fatalf("PUT: %d", res.StatusCode)
	}
	check := func(p maint.NoticePreferences) {
		t.Helper()
		if p.Lang != "en" {
			t.Errorf("lang %q", p.Lang)
		}
		for _, x := range p.Preferences {
			want := maint.NoticePreference{Kind: x.Kind, Receive: true}
			switch x.Kind {
			case "task.new_in_area":
				want.Receive = false
			case "task.dispatched_to_unit":
				want.Email = true
			}
			if x != want {
				t.Errorf("%s: %+v, want %+v", x.Kind, x, want)
			}
		}
	}
	check(p)
	p = maint.NoticePreferences{}
	e.do("GET", "/api/v1/notices/preferences", tok[maint.RoleInspector], nil, nil, &p)
	check(p)
	// Another person's are their own.
	var other maint.NoticePreferences
	e.do("GET", "/api/v1/notices/preferences", tok[maint.RoleEngineer], nil, nil, &other)
	if other.Preferences[1] != (maint.NoticePreference{Kind: "task.new_in_area", Receive: true}) {
		t.Errorf("the engineer's: %+v", other.Preferences)
	}
	if n := e.count(`SELECT count(*) FROM audit_events WHERE action = 'notice_preferences.update' AND actor = 'inspector@test'`); n != 1 {
		t.Errorf("%d audit rows, want 1", n)
	}

	for _, c := range []struct {
		body        any
		field, code string
	}{
		{map[string]any{"preferences": []map[string]any{{"kind": "task.dispatched_to_unit", "email": true}, {"kind": "task.exploded", "receive": false}}}, "preferences[1].kind", "notice_kind"},
		{map[string]any{"lang": "fr", "preferences": []map[string]any{}}, "lang", "notice_lang"},
	} {
		var pr httpx.Problem
		res := e.do("PUT", "/api/v1/notices/preferences", tok[maint.RoleEngineer], c.body, nil, &pr)
		if res.StatusCode != 400 || len(pr.Errors) == 0 || pr.Errors[0].Field != c.field || pr.Errors[0].Code != c.code ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("PUT %v: %d %+v, want 400 on %s (%s)", c.body, res.StatusCode, pr, c.field, c.code)
		}
	}
	e.do("GET", "/api/v1/notices/preferences", tok[maint.RoleEngineer], nil, nil, &other)
	if other.Preferences[0].Email {
		t.Error("a refused PUT changed something")
	}
	if res := e.do("GET", "/api/v1/notices/preferences", "", nil, nil, nil); res.StatusCode != 401 {
		t.Errorf("anonymous GET: %d", res.StatusCode)
	}
	if res := e.do("PUT", "/api/v1/notices/preferences", "", body, nil, nil); res.StatusCode != 401 {
		t.Errorf("anonymous PUT: %d", res.StatusCode)
	}
}

// TestStaffNoticesByEmail: three members of a unit; the one who asked for
// dispatches by e-mail too gets exactly one e-mail (in English, as chosen)
// and the notice in the console; the one who muted dispatches gets
// neither; the one with the defaults gets the notice only. Fanning the
// event out again sends nothing twice.
func TestStaffNoticesByEmail(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	sink, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sink.Close)
	e.startSubscriberDispatch(sink, nil)
	const crew = "绿园区市政养护一队"
	hash, _ := password.New(4).Hash(t.Context(), testPassword)
	member := map[string]string{}
	for _, who := range []string{"mail", "mute", "plain"} {
		email := who + "@unit.test"
		u, err := e.db.CreateUser(t.Context(), maint.Viewer{Email: "test"}, "", maint.User{Email: email, Role: maint.RoleInspector, Name: who}, hash)
		if err != nil {
			t.Fatal(err)
		}
		if res := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), tok[maint.RoleAdmin], map[string]any{"crew": crew}, nil, nil); res.StatusCode != 200 {
			t.Fatalf("crew of %s: %d", who, res.StatusCode)
		}
		var tk struct{ Token string }
		if res := e.do("POST", "/api/v1/auth/tokens", "", map[string]string{"email": email, "password": testPassword, "name": "test"}, nil, &tk); res.StatusCode != 201 {
			t.Fatalf("token of %s: %d", who, res.StatusCode)
		}
		member[who] = tk.Token
	}
	put := func(who string, body any) {
		t.Helper()
		if res := e.do("PUT", "/api/v1/notices/preferences", member[who], body, nil, nil); res.StatusCode != 200 {
			t.Fatalf("PUT for %s: %d", who, res.StatusCode)
		}
	}
	put("mail", map[string]any{"lang": "en", "preferences": []map[string]any{{"kind": "task.dispatched_to_unit", "receive": true, "email": true}}})
	put("mute", map[string]any{"preferences": []map[string]any{{"kind": "task.dispatched_to_unit", "receive": false, "email": true}}})

	var rep reportOut
	if res := e.postMultipart("/api/v1/reports", map[string]string{"service_code": "manhole_broken", "lat": "43.8800", "lon": "125.2700"}, nil, nil, &rep); res.StatusCode != 201 {
		t.Fatal(res.StatusCode)
	}
	id := e.taskID(rep.Ref)
	e.move(tok[maint.RoleEngineer], id, maint.StatusFiled, nil)
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusDispatched, map[string]any{"assignee": crew}); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	e.settle()
	kinds := func(who string) []string {
		var out struct{ Notices []maint.Notice }
		e.do("GET", "/api/v1/notices", member[who], nil, nil, &out)
		var ks []string
		for _, n := range out.Notices {
			ks = append(ks, n.Kind)
		}
		slices.Sort(ks)
		return ks
	}
	expect := func() {
		t.Helper()
		if got := kinds("mail"); !slices.Equal(got, []string{"task.dispatched_to_unit"}) {
			t.Errorf("the member by e-mail too, in the console: %v", got)
		}
		if got := kinds("mute"); len(got) != 0 {
			t.Errorf("the member who muted it: %v", got)
		}
		if got := kinds("plain"); !slices.Equal(got, []string{"task.dispatched_to_unit"}) {
			t.Errorf("the member with the defaults: %v", got)
		}
		all := sink.Messages()
		if len(mailFor(all, "mute@unit.test")) != 0 || len(mailFor(all, "plain@unit.test")) != 0 {
			t.Errorf("e-mail to %v", recipients(all))
		}
		ms := mailFor(all, "mail@unit.test")
		if len(ms) != 1 {
			t.Fatalf("%d e-mails to the member who asked, want 1 (all: %v)", len(ms), subjects(all))
		}
		m := ms[0]
		if !strings.Contains(m.Subject, rep.Ref) || !strings.HasPrefix(m.Subject, "Dispatched to your unit") {
			t.Errorf("subject %q", m.Subject)
		}
		link := fmt.Sprintf("%s/manage?task=%d", e.srv.URL, id)
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) || !strings.Contains(m.Text, crew) ||
			!strings.Contains(m.Text, "/manage?notices=settings") || strings.Contains(m.Text, "task.") {
			t.Errorf("text:\n%s", m.Text)
		}
		var dl string
		e.sql.QueryRow(t.Context(), `SELECT id::text FROM outbox_deliveries WHERE channel = 'email' AND recipient LIKE 'staff:%'`).Scan(&dl)
		if got := m.Header.Get("Message-Id"); got != "<"+dl+"@inframap>" || m.Header.Get("Inframap-Delivery") != dl {
			t.Errorf("Message-ID %q, delivery %q", got, dl)
		}
	}
	expect()
	// The dispatcher goes over the events again: nothing is sent twice.
	if _, err := e.sql.Exec(t.Context(), `UPDATE outbox_events SET fanned_at = NULL WHERE task_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	e.settle()
	expect()
	if n := e.count(`SELECT count(*) FROM outbox_deliveries WHERE channel = 'email' AND recipient LIKE 'staff:%'`); n != 1 {
		t.Errorf("%d staff e-mail deliveries, want 1", n)
	}
	// Turning e-mail off again: the next dispatch is in the console only.
	put("mail", map[string]any{"preferences": []map[string]any{{"kind": "task.dispatched_to_unit", "email": false}}})
	if res := e.postMultipart("/api/v1/reports", map[string]string{"service_code": "manhole_broken", "lat": "43.8810", "lon": "125.2710"}, nil, nil, &rep); res.StatusCode != 201 {
		t.Fatal(res.StatusCode)
	}
	id = e.taskID(rep.Ref)
	e.move(tok[maint.RoleEngineer], id, maint.StatusFiled, nil)
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusDispatched, map[string]any{"assignee": crew}); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	e.settle()
	if n := len(mailFor(sink.Messages(), "mail@unit.test")); n != 1 {
		t.Errorf("%d e-mails after turning e-mail off, want still 1", n)
	}
	if got := kinds("mail"); len(got) != 2 {
		t.Errorf("the second dispatch in the console: %v", got)
	}
}

// TestPausedWebhookAsChosen: an admin who asked for webhook.paused by
// e-mail gets the notice and one e-mail naming the endpoint (the event goes
// to no webhook); muted, the next pause tells them nothing.
func TestPausedWebhookAsChosen(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	sink, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sink.Close)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(503)
	}))
	defer recv.Close()
	m, err := notify.NewMailer(notify.MailConfig{URL: "smtp+plain://" + sink.Addr, From: "inframap@lvyuan.example"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	mailer := &notify.Sender{Store: e.db, PublicURL: e.srv.URL, Mail: m}
	hooks := &webhook.Sender{Store: e.db}
	ctx, cancel := context.WithCancel(t.Context())
	d := e.db.Dispatcher(func(ctx context.Context, dl outbox.Delivery) error {
		switch dl.Channel {
		case "inapp":
			return e.db.SendNotice(ctx, dl)
		case "email", "push":
			return mailer.Send(ctx, dl)
		}
		return hooks.Send(ctx, dl.ID, dl.EventID, dl.Kind, dl.TaskID, dl.Payload, dl.Recipient)
	})
	d.Idle = 20 * time.Millisecond
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	pause := func(url string) {
		t.Helper()
		var wh maint.Webhook
		if res := e.do("POST", "/api/v1/webhooks", tok[maint.RoleAdmin], map[string]any{"url": url, "events": []string{"task.changed"}}, nil, &wh); res.StatusCode != 201 {
			t.Fatalf("register: %d", res.StatusCode)
		}
		e.sql.Exec(t.Context(), `UPDATE webhook_endpoints SET failures = $2 - 1 WHERE id = $1`, wh.ID, webhook.PauseAfter)
		if res := e.do("POST", "/api/v1/tasks", tok[maint.RoleEngineer], map[string]any{"asset_id": e.anyAsset(maint.KindManhole), "title": "井盖松动"}, nil, nil); res.StatusCode != 201 {
			t.Fatalf("task: %d", res.StatusCode)
		}
		deadline := time.Now().Add(60 * time.Second)
		for e.count(`SELECT count(*) FROM webhook_endpoints WHERE id = $1 AND paused_at IS NOT NULL`, wh.ID) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the endpoint was not paused in 60 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	notices := func() int {
		var out struct{ Notices []maint.Notice }
		e.do("GET", "/api/v1/notices", tok[maint.RoleAdmin], nil, nil, &out)
		return len(out.Notices)
	}
	if res := e.do("PUT", "/api/v1/notices/preferences", tok[maint.RoleAdmin], map[string]any{"preferences": []map[string]any{{"kind": "webhook.paused", "email": true}}}, nil, nil); res.StatusCode != 200 {
		t.Fatalf("PUT: %d", res.StatusCode)
	}
	pause(recv.URL + "/a")
	deadline := time.Now().Add(60 * time.Second)
	for len(mailFor(sink.Messages(), "admin@test")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no e-mail of the pause in 60 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ms := mailFor(sink.Messages(), "admin@test")
	if len(ms) != 1 || ms[0].Subject != "Webhook 已暂停推送" || !strings.Contains(ms[0].Text, recv.URL+"/a") || !strings.Contains(ms[0].Text, "连续失败 50 次") {
		t.Fatalf("the pause's e-mail: %d %q\n%s", len(ms), ms[0].Subject, ms[0].Text)
	}
	if n := notices(); n != 1 {
		t.Errorf("%d notices, want the pause's", n)
	}
	if n := e.count(`SELECT count(*) FROM outbox_deliveries dl JOIN outbox_events ev ON ev.id = dl.event_id
		WHERE ev.kind = 'webhook.paused' AND dl.channel <> 'email'`); n != 0 {
		t.Errorf("the pause's event went to %d others", n)
	}
	// Muted: the next pause is told to nobody.
	if res := e.do("PUT", "/api/v1/notices/preferences", tok[maint.RoleAdmin], map[string]any{"preferences": []map[string]any{{"kind": "webhook.paused", "receive": false}}}, nil, nil); res.StatusCode != 200 {
		t.Fatalf("PUT: %d", res.StatusCode)
	}
	pause(recv.URL + "/b")
	e.settle()
	if n := notices(); n != 1 {
		t.Errorf("%d notices after a muted pause, want 1", n)
	}
	if n := len(mailFor(sink.Messages(), "admin@test")); n != 1 {
		t.Errorf("%d e-mails after a muted pause, want 1", n)
	}
}
