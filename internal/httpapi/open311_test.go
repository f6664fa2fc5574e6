package httpapi_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"inframap/internal/httpapi"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

func (e *env) postForm(path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (e *env) getRaw(path string) (*http.Response, string) {
	e.t.Helper()
	res, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestOpen311(t *testing.T) {
	e := newEnv(t, pgtest.District)
	// Discovery and services, in both formats.
	res, raw := e.getRaw("/open311/v2/discovery.json")
	if res.StatusCode != 200 || !strings.Contains(raw, "GeoReport_v2") {
		t.Fatalf("discovery: %d %s", res.StatusCode, raw)
	}
	var services []struct {
		ServiceCode string `json:"service_code"`
		Metadata    bool   `json:"metadata"`
	}
	_, raw = e.getRaw("/open311/v2/services.json")
	json.Unmarshal([]byte(raw), &services)
	codes := map[string]bool{}
	for _, s := range services {
		codes[s.ServiceCode] = true
	}
	for _, c := range []string{"manhole_missing", "manhole_broken", "manhole_sunken", "pothole", "road_surface", "drain_blocked", "flooding", "parking_damage"} {
		if !codes[c] {
			t.Errorf("no service %s", c)
		}
	}
	var xs struct {
		XMLName  xml.Name `xml:"services"`
		Services []struct {
			Code string `xml:"service_code"`
		} `xml:"service"`
	}
	res, raw = e.getRaw("/open311/v2/services.xml")
	if err := xml.Unmarshal([]byte(raw), &xs); err != nil || len(xs.Services) != len(services) || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
		t.Errorf("services.xml: %v, %d services, %s", err, len(xs.Services), res.Header.Get("Content-Type"))
	}
	_, raw = e.getRaw("/open311/v2/services/pothole.json")
	if !strings.Contains(raw, `"code":"size"`) || !strings.Contains(raw, `"datatype":"singlevaluelist"`) {
		t.Errorf("pothole definition: %s", raw)
	}

	// Post a report of a pothole on 景阳大路, in form encoding.
	form := url.Values{"service_code": {"pothole"}, "lat": {"43.88165"}, "long": {"125.2500"}, "description": {"路中间有个大坑"},
		"email": {"resident@example.org"}, "phone": {"13904310999"}, "first_name": {"明"}, "last_name": {"李"},
		"attribute[size]": {"large"}, "attribute[hazard]": {"yes"}}
	res, raw = e.postForm("/open311/v2/requests.json", form, nil)
	if res.StatusCode != 201 {
		t.Fatalf("post: %d %s", res.StatusCode, raw)
	}
	var created []struct {
		ID     string `json:"service_request_id"`
		Token  string `json:"token"`
		Notice string `json:"service_notice"`
	}
	json.Unmarshal([]byte(raw), &created)
	if len(created) != 1 || !strings.HasPrefix(created[0].ID, "LY-") {
		t.Fatalf("created %s", raw)
	}
	id := created[0].ID
	// It became a reported task linked to the road repair beneath it.
	var status, source string
	var asset *int64
	e.sql.QueryRow(t.Context(), `SELECT status, source, asset_id FROM tasks WHERE ref = $1`, id).Scan(&status, &source, &asset)
	if status != "reported" || source != "resident" || asset == nil {
		t.Errorf("task: %s %s asset %v", status, source, asset)
	}

	// Read back in JSON and XML: no personal data.
	res, raw = e.getRaw("/open311/v2/requests/" + id + ".json")
	var got []map[string]any
	json.Unmarshal([]byte(raw), &got)
	if res.StatusCode != 200 || len(got) != 1 || got[0]["status"] != "open" || got[0]["service_code"] != "pothole" || got[0]["description"] != "路中间有个大坑" {
		t.Errorf("GET json: %d %s", res.StatusCode, raw)
	}
	for _, leak := range []string{"resident@example.org", "13904310999", "李明"} {
		if strings.Contains(raw, leak) {
			t.Errorf("GET request leaks %q", leak)
		}
	}
	var xr struct {
		XMLName  xml.Name `xml:"service_requests"`
		Requests []struct {
			ID     string  `xml:"service_request_id"`
			Status string  `xml:"status"`
			Lat    float64 `xml:"lat"`
			Long   float64 `xml:"long"`
		} `xml:"request"`
	}
	_, raw = e.getRaw("/open311/v2/requests/" + id + ".xml")
	if err := xml.Unmarshal([]byte(raw), &xr); err != nil || len(xr.Requests) != 1 || xr.Requests[0].ID != id || xr.Requests[0].Lat != 43.88165 || xr.Requests[0].Long != 125.25 {
		t.Errorf("GET xml: %v %s", err, raw)
	}
	_, raw = e.getRaw("/open311/v2/tokens/" + created[0].Token + ".json")
	if !strings.Contains(raw, id) {
		t.Errorf("token lookup: %s", raw)
	}

	// A second report of the same problem 12 m away is linked as a duplicate;
	// a different problem at the same place is not.
	form.Set("lat", "43.88175")
	res, raw = e.postForm("/open311/v2/requests.json", form, nil)
	if res.StatusCode != 201 || !strings.Contains(raw, "duplicate of the open report "+id) {
		t.Errorf("duplicate: %d %s", res.StatusCode, raw)
	}
	form2 := url.Values{"service_code": {"manhole_broken"}, "lat": {"43.88175"}, "long": {"125.2500"}}
	res, raw = e.postForm("/open311/v2/requests.json", form2, nil)
	if res.StatusCode != 201 || strings.Contains(raw, "duplicate") {
		t.Errorf("another service at the same place: %d %s", res.StatusCode, raw)
	}
	// 200 m away is a new report.
	form.Set("lat", "43.8835")
	res, raw = e.postForm("/open311/v2/requests.json", form, nil)
	if res.StatusCode != 201 || strings.Contains(raw, "duplicate") {
		t.Errorf("200 m away: %d %s", res.StatusCode, raw)
	}

	// Lists with filters.
	var list []map[string]any
	_, raw = e.getRaw("/open311/v2/requests.json?service_code=pothole&status=open")
	json.Unmarshal([]byte(raw), &list)
	if len(list) != 3 {
		t.Errorf("open potholes: %d, want 3", len(list))
	}
	_, raw = e.getRaw("/open311/v2/requests.json?status=closed")
	json.Unmarshal([]byte(raw), &list)
	if len(list) != 0 {
		t.Errorf("closed: %d, want 0", len(list))
	}
	_, raw = e.getRaw("/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-12-31T00:00:00Z")
	json.Unmarshal([]byte(raw), &list)
	if len(list) != 0 {
		t.Errorf("2020: %d, want 0", len(list))
	}
	_, raw = e.getRaw("/open311/v2/requests.xml?service_request_id=" + id)
	if !strings.Contains(raw, "<service_request_id>"+id+"</service_request_id>") {
		t.Errorf("by id: %s", raw)
	}

	// The spec's error bodies.
	errs := []struct {
		form url.Values
		want string
	}{
		{url.Values{"lat": {"43.88"}, "long": {"125.25"}}, "service_code"},
		{url.Values{"service_code": {"pothole"}, "lat": {"abc"}, "long": {"125.25"}}, "lat and long"},
		{url.Values{"service_code": {"pothole"}, "lat": {"125.25"}, "long": {"43.88"}}, "lat and long"},
		{url.Values{"service_code": {"pothole"}, "lat": {"39.9"}, "long": {"116.4"}}, "outside the district"},
		{url.Values{"service_code": {"pothole"}, "address_string": {"景阳大路"}}, "lat and long are required"},
		{url.Values{"service_code": {"pothole"}, "lat": {"43.88"}, "long": {"125.25"}, "attribute[size]": {"huge"}}, "not one of the values"},
	}
	for _, c := range errs {
		res, raw := e.postForm("/open311/v2/requests.json", c.form, nil)
		var body []struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal([]byte(raw), &body); err != nil || res.StatusCode != 400 || len(body) != 1 || body[0].Code != 400 || !strings.Contains(body[0].Description, c.want) {
			t.Errorf("%v: %d %s", c.form, res.StatusCode, raw)
		}
		res, raw = e.postForm("/open311/v2/requests.xml", c.form, nil)
		var xe struct {
			XMLName xml.Name `xml:"errors"`
			Errors  []struct {
				Code        int    `xml:"code"`
				Description string `xml:"description"`
			} `xml:"error"`
		}
		if err := xml.Unmarshal([]byte(raw), &xe); err != nil || res.StatusCode != 400 || len(xe.Errors) != 1 || xe.Errors[0].Code != 400 {
			t.Errorf("xml %v: %d %s", c.form, res.StatusCode, raw)
		}
	}
	res, raw = e.getRaw("/open311/v2/requests/LY-1999-000000.json")
	if res.StatusCode != 404 || !strings.Contains(raw, `"code":404`) {
		t.Errorf("unknown id: %d %s", res.StatusCode, raw)
	}
	// A bad api_key is refused.
	res, _ = e.postForm("/open311/v2/requests.json", url.Values{"service_code": {"pothole"}, "lat": {"43.88"}, "long": {"125.25"}, "api_key": {"nope"}}, nil)
	if res.StatusCode != 403 {
		t.Errorf("bad api_key: %d", res.StatusCode)
	}
}

// TestOpen311RateLimit: residents without a key may post a few reports per
// address, then wait; another address is not affected.
func TestOpen311RateLimit(t *testing.T) {
	e := newEnvConfig(t, pgtest.District, httpapi.Config{BcryptCost: 4, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	form := url.Values{"service_code": {"flooding"}, "lat": {"43.87"}, "long": {"125.22"}}
	from := map[string]string{"X-Forwarded-For": "203.0.113.7"}
	for i := range 5 {
		if res, raw := e.postForm("/open311/v2/requests.json", form, from); res.StatusCode != 201 {
			t.Fatalf("report %d: %d %s", i+1, res.StatusCode, raw)
		}
	}
	res, raw := e.postForm("/open311/v2/requests.json", form, from)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" || !strings.Contains(raw, `"code":429`) {
		t.Errorf("sixth report: %d %s", res.StatusCode, raw)
	}
	if res, _ := e.postForm("/open311/v2/requests.json", form, map[string]string{"X-Forwarded-For": "203.0.113.8"}); res.StatusCode != 201 {
		t.Errorf("another address: %d", res.StatusCode)
	}
}

// TestOpen311UpdatedAfter: a partner polling with updated_after gets the
// requests changed since, whenever they were made, and nothing else.
func TestOpen311UpdatedAfter(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	post := func(desc string) string {
		t.Helper()
		res, err := http.PostForm(e.srv.URL+"/open311/v2/requests.json", url.Values{"service_code": {"pothole"}, "lat": {"43.8802"},
			"long": {"125.2705"}, "description": {desc}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var made []struct {
			ID string `json:"service_request_id"`
		}
		if err := json.NewDecoder(res.Body).Decode(&made); err != nil || res.StatusCode != 201 || len(made) != 1 {
			t.Fatalf("post: %d %v %+v", res.StatusCode, err, made)
		}
		return made[0].ID
	}
	old := post("早先的上报")
	mid := post("另一件上报")
	// The old one was made long ago: its dates move back a year.
	if _, err := e.sql.Exec(t.Context(), `UPDATE tasks SET created_at = created_at - interval '1 year', updated_at = updated_at - interval '1 year' WHERE ref = $1`, old); err != nil {
		t.Fatal(err)
	}
	// updated_after takes whole seconds: the change below comes a second
	// after the moment asked about, the posts above before it.
	time.Sleep(1100 * time.Millisecond)
	since := time.Now().Truncate(time.Second)
	time.Sleep(1100 * time.Millisecond)
	// An engineer files the old one now: it changed since.
	var id int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM tasks WHERE ref = $1`, old).Scan(&id)
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusFiled, nil); res.StatusCode != 200 {
		t.Fatalf("file: %d %s", res.StatusCode, body(res))
	}
	var got []struct {
		ID string `json:"service_request_id"`
	}
	res := e.do("GET", "/open311/v2/requests.json?updated_after="+url.QueryEscape(since.Format(time.RFC3339)), "", nil, nil, &got)
	if res.StatusCode != 200 || len(got) != 1 || got[0].ID != old {
		t.Errorf("updated_after %s: %d %+v, want only %s (not %s)", since.Format(time.RFC3339), res.StatusCode, got, old, mid)
	}
	res = e.do("GET", "/open311/v2/requests.json?updated_before="+url.QueryEscape(since.Format(time.RFC3339)), "", nil, nil, &got)
	if res.StatusCode != 200 || slices.ContainsFunc(got, func(x struct {
		ID string `json:"service_request_id"`
	}) bool {
		return x.ID == old
	}) || !slices.ContainsFunc(got, func(x struct {
		ID string `json:"service_request_id"`
	}) bool {
		return x.ID == mid
	}) {
		t.Errorf("updated_before: %d %+v, want %s and not %s", res.StatusCode, got, mid, old)
	}
	if res := e.do("GET", "/open311/v2/requests.json?updated_after=yesterday", "", nil, nil, nil); res.StatusCode != 400 {
		t.Errorf("updated_after=yesterday: %d, want 400", res.StatusCode)
	}
}

// TestOpen311MediaURL: a request's media_url is its photo once the public
// may see it (the report filed), and answers with the image; before that
// it is empty.
func TestOpen311MediaURL(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	b, ctype := multipartBody(map[string]string{"service_code": "manhole_broken", "lat": "43.8800", "lon": "125.2700",
		"description": "井盖裂了"}, "p.jpg", fixture(t, "gps-ne.jpg"))
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/reports", b)
	req.Header.Set("Content-Type", ctype)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Ref string `json:"ref"`
	}
	json.NewDecoder(res.Body).Decode(&rep)
	res.Body.Close()
	if res.StatusCode != 201 || rep.Ref == "" {
		t.Fatalf("report: %d", res.StatusCode)
	}
	media := func() string {
		t.Helper()
		var got []struct {
			MediaURL string `json:"media_url"`
		}
		if res := e.do("GET", "/open311/v2/requests/"+rep.Ref+".json", "", nil, nil, &got); res.StatusCode != 200 || len(got) != 1 {
			t.Fatalf("request: %d %+v", res.StatusCode, got)
		}
		return got[0].MediaURL
	}
	if m := media(); m != "" {
		t.Errorf("before filing: media_url %q, want none (the photo is not public yet)", m)
	}
	var id int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM tasks WHERE ref = $1`, rep.Ref).Scan(&id)
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusFiled, nil); res.StatusCode != 200 {
		t.Fatalf("file: %d %s", res.StatusCode, body(res))
	}
	m := media()
	if !strings.HasPrefix(m, e.srv.URL+"/api/v1/photos/") {
		t.Fatalf("after filing: media_url %q", m)
	}
	img, err := http.Get(m)
	if err != nil {
		t.Fatal(err)
	}
	img.Body.Close()
	if img.StatusCode != 200 || !strings.HasPrefix(img.Header.Get("Content-Type"), "image/") {
		t.Errorf("GET media_url: %d %s", img.StatusCode, img.Header.Get("Content-Type"))
	}
}
