package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/notify"
	"inframap/internal/notify/smtptest"
	"inframap/internal/outbox"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// startSubscriberDispatch runs the outbox's dispatcher as serve does, with
// e-mail into the test's SMTP server and push through pusher (nil: none).
func (e *env) startSubscriberDispatch(mailTo *smtptest.Server, pusher *notify.Pusher) {
	e.t.Helper()
	s := &notify.Sender{Store: e.db, PublicURL: e.srv.URL, Push: pusher}
	if mailTo != nil {
		m, err := notify.NewMailer(notify.MailConfig{URL: "smtp+plain://" + mailTo.Addr, From: "绿园区城市维护 <inframap@lvyuan.example>"})
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(m.Close)
		s.Mail = m
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := e.db.Dispatcher(func(ctx context.Context, dl outbox.Delivery) error {
		switch dl.Channel {
		case "email", "push":
			return s.Send(ctx, dl)
		case "inapp":
			return e.db.SendNotice(ctx, dl)
		}
		return fmt.Errorf("no channel %s", dl.Channel)
	})
	d.Idle = 20 * time.Millisecond
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// settle waits until the outbox has nothing left to fan out or send now.
func (e *env) settle() {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for e.count(`SELECT count(*) FROM outbox_events WHERE fanned_at IS NULL`)+
		e.count(`SELECT count(*) FROM outbox_deliveries WHERE status = 'pending' AND next_at <= now()`) > 0 {
		if time.Now().After(deadline) {
			e.t.Fatal("the outbox did not drain in 60 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var manageLink = regexp.MustCompile(`/subscription/([0-9a-f-]{36})`)

// mailFor returns the messages to addr.
func mailFor(all []smtptest.Message, addr string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range all {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

// TestSubscriptionsByEmail: a reporter who leaves an e-mail follows their
// case; anyone subscribes to a sub-district or a drawn area for chosen
// services, or follows a case, after confirming by the link sent to them;
// each gets exactly one message per event that concerns them (an address
// matching twice still once), in their language, with a one-click
// unsubscribe that works (RFC 8058) and is recorded; a busy hour ends in
// one digest.
func TestSubscriptionsByEmail(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	sink, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	e.startSubscriberDispatch(sink, nil)

	const lat, lon = 43.8800, 125.2700
	var sd string
	if err := e.sql.QueryRow(t.Context(), `SELECT name FROM areas WHERE kind = 'subdistrict'
		AND ST_Covers(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`, lon, lat).Scan(&sd); err != nil {
		t.Fatal(err)
	}
	// Somewhere else in the district: a point of another sub-district.
	var farLon, farLat float64
	if err := e.sql.QueryRow(t.Context(), `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas
		WHERE kind = 'subdistrict' AND name <> $1 ORDER BY name LIMIT 1) x`, sd).Scan(&farLon, &farLat); err != nil {
		t.Fatal(err)
	}
	square := func(lon, lat, d float64) map[string]any {
		return map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{lon - d, lat - d}, {lon + d, lat - d}, {lon + d, lat + d}, {lon - d, lat + d}, {lon - d, lat - d}}}}
	}
	subscribe := func(body map[string]any, want int) (maint.Subscription, httpx.Problem) {
		t.Helper()
		var raw map[string]any
		res := e.do("POST", "/api/v1/subscriptions", "", body, nil, &raw)
		var s maint.Subscription
		var p httpx.Problem
		b, _ := json.Marshal(raw)
		json.Unmarshal(b, &s)
		json.Unmarshal(b, &p)
		if res.StatusCode != want {
			t.Fatalf("subscribe %v: %d %v", body, res.StatusCode, raw)
		}
		return s, p
	}

	// Refusals, each in a code the pages translate; nothing stored.
	for _, c := range []struct {
		body map[string]any
		want int
		code string
	}{
		{map[string]any{"channel": "fax", "subdistrict": sd}, 400, "channel_unknown"},
		{map[string]any{"channel": "email", "email": "not-an-address", "subdistrict": sd}, 400, "email_invalid"},
		{map[string]any{"channel": "email", "email": "a@example.org"}, 400, "subscription_target"},
		{map[string]any{"channel": "email", "email": "a@example.org", "subdistrict": sd, "ref": "LY-2024-000001"}, 400, "subscription_target"},
		{map[string]any{"channel": "email", "email": "a@example.org", "subdistrict": "火星街道"}, 400, "unknown_subdistrict"},
		{map[string]any{"channel": "email", "email": "a@example.org", "area": square(116.4, 39.9, 0.01)}, 400, "area_outside"},
		{map[string]any{"channel": "email", "email": "a@example.org", "area": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}}, 400, "area_invalid"},
		{map[string]any{"channel": "email", "email": "a@example.org", "subdistrict": sd, "services": []string{"ufo_landing"}}, 400, "unknown_service"},
		{map[string]any{"channel": "push", "subdistrict": sd}, 400, "push_subscription"},
	} {
		_, p := subscribe(c.body, c.want)
		if len(p.Errors) == 0 || p.Errors[0].Code != c.code {
			t.Errorf("%v: %+v, want %s", c.body, p, c.code)
		}
	}
	if _, p := subscribe(map[string]any{"channel": "email", "email": "a@example.org", "ref": "LY-2024-999999"}, 404); p.Code != "not_found" {
		t.Errorf("unknown case: %+v", p)
	}
	if n := e.count(`SELECT count(*) FROM subscriptions`); n != 0 {
		t.Fatalf("refused subscriptions stored %d rows", n)
	}

	// Area subscriptions: wang by the sub-district and by a drawn square
	// around the point (one address, twice); zhao by the square in
	// English, for broken covers only; zhou far away; qian for another
	// service only.
	sub, _ := subscribe(map[string]any{"channel": "email", "email": "wang@example.org", "subdistrict": sd}, 202)
	if sub.Token != "" || sub.ConfirmedAt != nil || sub.Address == "wang@example.org" {
		t.Errorf("an e-mail subscription answers %+v: the key goes to the address only, the address masked", sub)
	}
	subscribe(map[string]any{"channel": "email", "email": "wang@example.org", "area": square(lon, lat, 0.005)}, 202)
	subscribe(map[string]any{"channel": "email", "email": "zhao@example.org", "area": square(lon, lat, 0.002), "services": []string{"manhole_broken"}, "lang": "en"}, 202)
	subscribe(map[string]any{"channel": "email", "email": "zhou@example.org", "area": square(farLon, farLat, 0.002)}, 202)
	subscribe(map[string]any{"channel": "email", "email": "qian@example.org", "subdistrict": sd, "services": []string{"pothole"}}, 202)
	// sun never confirms: nothing is sent to sun but the question.
	subscribe(map[string]any{"channel": "email", "email": "sun@example.org", "subdistrict": sd}, 202)
	e.settle()
	confirms := sink.Messages()
	if len(confirms) != 6 {
		t.Fatalf("%d confirmation messages, want 6", len(confirms))
	}
	confirmAll := func(ms []smtptest.Message) {
		for _, m := range ms {
			if m.To[0] == "sun@example.org" {
				continue
			}
			if m.Header.Get("List-Unsubscribe") != "" {
				t.Errorf("a confirmation to %v carries List-Unsubscribe", m.To)
			}
			link := manageLink.FindStringSubmatch(m.Text)
			if link == nil || !strings.Contains(m.HTML, link[0]) {
				t.Fatalf("confirmation to %v has no link: %s", m.To, m.Text)
			}
			var s maint.Subscription
			if res := e.do("POST", "/api/v1/subscriptions/"+link[1]+"/confirm", "", nil, nil, &s); res.StatusCode != 200 || s.ConfirmedAt == nil {
				t.Fatalf("confirm: %d %+v", res.StatusCode, s)
			}
		}
	}
	confirmAll(confirms)
	if zhao := mailFor(confirms, "zhao@example.org"); len(zhao) != 1 || !strings.Contains(zhao[0].Subject, "Please confirm") {
		t.Errorf("zhao asked for English: %q", subjects(zhao))
	}
	if n := e.count(`SELECT count(*) FROM subscriptions WHERE confirmed_at IS NOT NULL AND consent_at IS NOT NULL AND consent_ip <> ''`); n != 5 {
		t.Fatalf("%d confirmed subscriptions with their consent recorded, want 5", n)
	}

	// Someone typing another's address again and again: that address gets
	// three confirmations in the hour, not five; following the same case
	// again does not ask again within ten minutes.
	before := sink.Len()
	for i := range 5 {
		subscribe(map[string]any{"channel": "email", "email": "victim@example.org", "area": square(lon, lat, 0.001*float64(i+1))}, 202)
	}
	e.settle()
	if n := len(mailFor(sink.Messages()[before:], "victim@example.org")); n != postgres.MaxConfirmationsPerHour {
		t.Errorf("%d confirmations to one address in an hour, want %d", n, postgres.MaxConfirmationsPerHour)
	}

	// A report with the reporter's e-mail: they follow it at once.
	before = sink.Len()
	var rep reportOut
	if res := e.postMultipart("/api/v1/reports", map[string]string{"service_code": "manhole_broken", "lat": "43.8800", "lon": "125.2700",
		"description": "井盖裂了，联系 13812345678", "email": "li@example.org"}, nil, map[string]string{"Accept-Language": "en-GB,en"}, &rep); res.StatusCode != 201 {
		t.Fatalf("report: %d", res.StatusCode)
	}
	e.settle()
	got := sink.Messages()[before:]
	for addr, want := range map[string]int{"li@example.org": 1, "wang@example.org": 1, "zhao@example.org": 1, "zhou@example.org": 0, "qian@example.org": 0, "sun@example.org": 0} {
		if n := len(mailFor(got, addr)); n != want {
			t.Errorf("new report: %d messages to %s, want %d", n, addr, want)
		}
	}
	if len(got) != 3 {
		t.Errorf("new report: %d messages, want 3", len(got))
	}
	for _, m := range got {
		if strings.Contains(m.Text+m.HTML, "13812345678") {
			t.Errorf("a message to %v shows the reporter's phone number", m.To)
		}
		if !strings.Contains(m.Text, rep.Ref) || !strings.Contains(m.Header.Get("Message-Id"), "@inframap") {
			t.Errorf("a message to %v: no case number or delivery id: %v\n%s", m.To, m.Header, m.Text)
		}
	}
	if li := mailFor(got, "li@example.org"); len(li) == 1 && !strings.Contains(li[0].Subject, "Reported") {
		t.Errorf("the reporter browsed in English: %q", li[0].Subject)
	}

	// chen follows the case from its page: confirmed by the link.
	before = sink.Len()
	subscribe(map[string]any{"channel": "email", "email": "chen@example.org", "ref": rep.Ref}, 202)
	e.settle()
	confirmAll(sink.Messages()[before:])
	// Following again answers the same subscription, and asks nothing again.
	before = sink.Len()
	subscribe(map[string]any{"channel": "email", "email": "chen@example.org", "ref": rep.Ref}, 202)
	e.settle()
	if n := e.count(`SELECT count(*) FROM subscriptions WHERE address = 'chen@example.org'`); n != 1 || sink.Len() != before {
		t.Errorf("chen follows twice: %d rows, %d more messages", n, sink.Len()-before)
	}

	// 立案: a change of the case, not new and not closed: followers only.
	id := e.taskID(rep.Ref)
	before = sink.Len()
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusFiled, nil); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	e.settle()
	got = sink.Messages()[before:]
	if len(got) != 2 || len(mailFor(got, "li@example.org")) != 1 || len(mailFor(got, "chen@example.org")) != 1 {
		t.Fatalf("立案: %d messages (%v), want li and chen once each", len(got), recipients(got))
	}

	// chen unsubscribes in one click, as a mail program does.
	chen := mailFor(got, "chen@example.org")[0]
	if chen.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", chen.Header.Get("List-Unsubscribe-Post"))
	}
	unsub := strings.Trim(strings.Split(chen.Header.Get("List-Unsubscribe"), ",")[0], "<> ")
	if !strings.HasPrefix(unsub, e.srv.URL+"/unsubscribe/") {
		t.Fatalf("List-Unsubscribe = %q", chen.Header.Get("List-Unsubscribe"))
	}
	// A mail scanner's GET ends nothing.
	res, err := http.Get(unsub)
	if err != nil || res.Request.URL.Path != strings.Replace(strings.TrimPrefix(unsub, e.srv.URL), "/unsubscribe/", "/subscription/", 1) {
		t.Errorf("GET %s ends at %v", unsub, res.Request.URL)
	}
	if n := e.count(`SELECT count(*) FROM subscriptions WHERE unsubscribed_at IS NOT NULL`); n != 0 {
		t.Fatalf("a GET unsubscribed")
	}
	res, err = http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("one-click: %v %v", res, err)
	}
	if n := e.count(`SELECT count(*) FROM subscriptions WHERE address = 'chen@example.org' AND unsubscribed_via = 'one_click'`); n != 1 {
		t.Errorf("the one click is not recorded")
	}
	before = sink.Len()
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusDispatched, map[string]any{"assignee": "井盖专项整治组"}); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	e.settle()
	if got = sink.Messages()[before:]; len(got) != 1 || len(mailFor(got, "li@example.org")) != 1 {
		t.Errorf("派遣 after chen left: %v, want li alone", recipients(got))
	}

	// A busy hour: twelve more reports in zhao's square. Ten reach zhao as
	// they happen, the rest wait for one digest at the hour's end.
	before = sink.Len()
	for i := range 12 {
		if res := e.postMultipart("/api/v1/reports", map[string]string{"service_code": "manhole_broken",
			"lat": fmt.Sprintf("%.5f", lat+0.0001*float64(i)), "lon": "125.27000", "description": "盖子松"}, nil, nil, nil); res.StatusCode != 201 {
			t.Fatal(res.StatusCode)
		}
	}
	e.settle()
	got = mailFor(sink.Messages()[before:], "zhao@example.org")
	// zhao had one this hour already (the first report).
	if len(got) != postgres.InstantPerHour-1 {
		t.Errorf("busy hour: %d messages to zhao as they happened, want %d", len(got), postgres.InstantPerHour-1)
	}
	// wang's areas hold them too.
	if n := e.count(`SELECT count(*) FROM outbox_deliveries WHERE recipient LIKE '%:digest:%' AND status = 'pending'`); n != 2 {
		t.Fatalf("%d digests waiting, want 2 (wang's and zhao's)", n)
	}
	// The hour passes.
	e.sql.Exec(t.Context(), `UPDATE outbox_deliveries SET next_at = now() WHERE recipient LIKE '%:digest:%'`)
	before = sink.Len()
	e.settle()
	got = sink.Messages()[before:]
	zhao, wang := mailFor(got, "zhao@example.org"), mailFor(got, "wang@example.org")
	if len(got) != 2 || len(zhao) != 1 || len(wang) != 1 {
		t.Fatalf("digests: %v %q", recipients(got), subjects(got))
	}
	if !strings.Contains(zhao[0].Subject, "3 case updates") || !strings.Contains(wang[0].Subject, "3 项案件动态") {
		t.Errorf("digest subjects: %q", subjects(got))
	}
	for _, m := range got {
		if n := strings.Count(m.Text, "\n- LY-"); n != 3 {
			t.Errorf("the digest to %v lists %d changes, want 3:\n%s", m.To, n, m.Text)
		}
	}
}

func recipients(ms []smtptest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.To...)
	}
	return out
}

func subjects(ms []smtptest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

func (e *env) taskID(ref string) int64 {
	e.t.Helper()
	var id int64
	if err := e.sql.QueryRow(e.t.Context(), `SELECT id FROM tasks WHERE ref = $1`, ref).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}
