package httpapi_test

import (
	"encoding/xml"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// atomFeed is what RFC 4287 requires of a feed and its entries.
type atomFeed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Links   []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"link"`
		Summary string `xml:"summary"`
	} `xml:"entry"`
}

var eventID = regexp.MustCompile(`^tag:[^,]+,2023:case-event/(\d+)$`)

// TestFeeds: the Atom feeds are well-formed, carry the elements RFC 4287
// requires, list only the cases of their area and services, newest first,
// and show what anonymous visitors may see.
func TestFeeds(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	get := func(path string) atomFeed {
		t.Helper()
		res := e.do("GET", path, "", nil, nil, nil)
		raw := body(res)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("GET %s: %d %s %s", path, res.StatusCode, res.Header.Get("Content-Type"), raw)
		}
		var f atomFeed
		if err := xml.Unmarshal([]byte(raw), &f); err != nil {
			t.Fatalf("GET %s: not Atom: %v", path, err)
		}
		if f.ID == "" || f.Title == "" || f.Author.Name == "" {
			t.Errorf("GET %s: feed without id, title or author: %+v", path, f)
		}
		if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
			t.Errorf("GET %s: feed updated %q", path, f.Updated)
		}
		last := time.Now().Add(time.Minute)
		seen := map[string]bool{}
		for _, en := range f.Entries {
			at, err := time.Parse(time.RFC3339, en.Updated)
			if en.ID == "" || en.Title == "" || err != nil || len(en.Links) == 0 || en.Links[0].Href == "" || seen[en.ID] {
				t.Errorf("GET %s: entry %+v", path, en)
			}
			if at.After(last) {
				t.Errorf("GET %s: entries not newest first", path)
			}
			last, seen[en.ID] = at, true
		}
		return f
	}
	// The events of a feed's entries, as the database has them.
	events := func(f atomFeed) []int64 {
		var ids []int64
		for _, en := range f.Entries {
			m := eventID.FindStringSubmatch(en.ID)
			if m == nil {
				t.Fatalf("entry id %q is not a case event's", en.ID)
			}
			id, _ := strconv.ParseInt(m[1], 10, 64)
			ids = append(ids, id)
		}
		return ids
	}
	all := get("/feeds/cases.atom")
	if len(all.Entries) != 50 {
		t.Errorf("the district's feed: %d entries, want the latest 50", len(all.Entries))
	}
	// A sub-district's feed: only its cases.
	zheng := get("/feeds/cases.atom?subdistrict=" + url.QueryEscape("正阳街道"))
	if len(zheng.Entries) == 0 {
		t.Fatal("正阳街道's feed is empty")
	}
	var outside int
	if err := e.sql.QueryRow(t.Context(), `SELECT count(*) FROM task_events ev JOIN tasks t ON t.id = ev.task_id LEFT JOIN assets a ON a.id = t.asset_id
		WHERE ev.id = ANY($1) AND coalesce(a.subdistrict, subdistrict_of(t.location)) <> '正阳街道'`, events(zheng)).Scan(&outside); err != nil || outside != 0 {
		t.Errorf("正阳街道's feed: %d entries outside it (%v)", outside, err)
	}
	// A service's feed in a box: only cases of that service inside the box.
	manhole := get("/feeds/cases.atom?service=manhole_broken,pothole&bbox=125.20,43.85,125.30,43.90")
	var wrong int
	e.sql.QueryRow(t.Context(), `SELECT count(*) FROM task_events ev JOIN tasks t ON t.id = ev.task_id LEFT JOIN assets a ON a.id = t.asset_id
		WHERE ev.id = ANY($1) AND (coalesce(t.service_code, t.work_type) NOT IN ('manhole_broken', 'pothole')
		  OR NOT ST_Intersects(coalesce(t.location, a.geom), ST_MakeEnvelope(125.20, 43.85, 125.30, 43.90, 4326)))`, events(manhole)).Scan(&wrong)
	if len(manhole.Entries) == 0 || wrong != 0 {
		t.Errorf("service and box feed: %d entries, %d outside", len(manhole.Entries), wrong)
	}
	// A case's feed: its changes, personal data masked, internal notes left out.
	var a int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM assets WHERE kind = 'manhole' ORDER BY id LIMIT 1`).Scan(&a)
	var tk struct {
		ID  int64  `json:"id"`
		Ref string `json:"ref"`
	}
	if res := e.do("POST", "/api/v1/tasks", tok[maint.RoleEngineer], map[string]any{"asset_id": a, "title": "井盖松动",
		"description": "市民13912345678反映"}, nil, &tk); res.StatusCode != 201 {
		t.Fatalf("task: %d %s", res.StatusCode, body(res))
	}
	e.move(tok[maint.RoleEngineer], tk.ID, maint.StatusFiled, map[string]any{"note": "内部协调 secret-internal", "internal": true})
	one := get("/feeds/cases/" + tk.Ref + ".atom")
	raw := body(e.do("GET", "/feeds/cases/"+tk.Ref+".atom", "", nil, nil, nil))
	if len(one.Entries) != 2 || strings.Contains(raw, "13912345678") || !strings.Contains(raw, "139****5678") ||
		strings.Contains(raw, "secret-internal") || strings.Contains(raw, "engineer@test") {
		t.Errorf("the case's feed: %d entries: %s", len(one.Entries), raw)
	}
	if !strings.Contains(one.Entries[0].Title, "立案") || !strings.Contains(one.Entries[1].Title, "上报") {
		t.Errorf("the case's entries: %q, %q", one.Entries[0].Title, one.Entries[1].Title)
	}
	for path, want := range map[string]int{
		"/feeds/cases.atom?service=teleport": 400, "/feeds/cases.atom?colour=red": 400, "/feeds/cases.atom?bbox=1,2": 400,
		"/feeds/cases/LY-1999-000001.atom": 404,
	} {
		if res := e.do("GET", path, "", nil, nil, nil); res.StatusCode != want || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("GET %s: %d %s, want %d problem", path, res.StatusCode, res.Header.Get("Content-Type"), want)
		}
	}
}
