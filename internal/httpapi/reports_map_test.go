package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

type reportPoints struct {
	Type     string `json:"type"`
	Features []struct {
		ID       int64 `json:"id"`
		Geometry struct {
			Type        string     `json:"type"`
			Coordinates [2]float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

// TestReportsOnTheMap: a resident's report reaches the public map once an
// engineer files it, at the place given, with its text masked and without
// the reporter's contact; it leaves the map when closed, and a bbox keeps
// only what lies in it.
func TestReportsOnTheMap(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	form := url.Values{"service_code": {"pothole"}, "lat": {"43.88111"}, "long": {"125.25222"},
		"description": {"路中间有个大坑，电话 13904310999"}, "email": {"resident@example.org"}, "phone": {"13904310999"}}
	res, raw := e.postForm("/open311/v2/requests.json", form, nil)
	if res.StatusCode != 201 {
		t.Fatalf("post: %d %s", res.StatusCode, raw)
	}
	ref := strings.Split(strings.Split(raw, `"service_request_id":"`)[1], `"`)[0]
	var id int64
	if err := e.sql.QueryRow(t.Context(), `SELECT id FROM tasks WHERE ref = $1`, ref).Scan(&id); err != nil {
		t.Fatal(err)
	}
	find := func(query string) (map[string]any, [2]float64, bool) {
		t.Helper()
		var pts reportPoints
		if res := e.get("/api/v1/reports"+query, &pts); res.StatusCode != 200 || pts.Type != "FeatureCollection" {
			t.Fatalf("GET /api/v1/reports%s: %d %+v", query, res.StatusCode, pts)
		}
		for _, f := range pts.Features {
			if f.ID == id {
				return f.Properties, f.Geometry.Coordinates, true
			}
		}
		return nil, [2]float64{}, false
	}
	if _, _, ok := find(""); ok {
		t.Fatal("a report not yet filed is on the public map")
	}
	var task struct{ Version int }
	e.do("GET", fmt.Sprintf("/api/v1/tasks/%d", id), tok[maint.RoleEngineer], nil, nil, &task)
	if res := e.do("POST", fmt.Sprintf("/api/v1/tasks/%d/transitions", id), tok[maint.RoleEngineer], map[string]any{"to": "filed"},
		map[string]string{"If-Match": fmt.Sprintf(`"%d"`, task.Version)}, nil); res.StatusCode != 200 {
		t.Fatalf("file: %d", res.StatusCode)
	}
	p, at, ok := find("")
	if !ok {
		t.Fatal("a filed report is not on the public map")
	}
	if at != [2]float64{125.25222, 43.88111} {
		t.Errorf("at %v, not where it was given", at)
	}
	if p["ref"] != ref || p["status"] != "filed" || p["service_code"] != "pothole" || p["supports"] != float64(0) {
		t.Errorf("properties %v", p)
	}
	if d, _ := p["description"].(string); strings.Contains(d, "13904310999") || !strings.Contains(d, "139****0999") {
		t.Errorf("description %q: the phone number must be masked", d)
	}
	_, raw = e.getRaw("/api/v1/reports")
	for _, private := range []string{"resident@example.org", "13904310999"} {
		if strings.Contains(raw, private) {
			t.Errorf("the public list carries %s", private)
		}
	}
	if _, _, ok := find("?bbox=125.20,43.80,125.21,43.81"); ok {
		t.Error("a report outside the bbox is listed")
	}
	if _, _, ok := find("?bbox=125.25,43.88,125.26,43.89"); !ok {
		t.Error("a report inside the bbox is not listed")
	}
	if _, err := e.sql.Exec(t.Context(), `UPDATE tasks SET status = 'closed' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := find(""); ok {
		t.Error("a closed report is still on the map of open reports")
	}
}
