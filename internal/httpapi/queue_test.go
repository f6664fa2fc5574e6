package httpapi_test

import (
	"fmt"
	"net/url"
	"testing"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// queueTask is what the console's queue reads of a task.
type queueTask struct {
	ID       int64       `json:"id"`
	AssetID  *int64      `json:"asset_id"`
	Priority string      `json:"priority"`
	Place    *[2]float64 `json:"place"`
	Clock    *struct {
		Deadline    *string `json:"deadline"`
		PausedSince *string `json:"paused_since"`
	} `json:"clock"`
}

type queuePage struct {
	Tasks []queueTask `json:"tasks"`
	Links []struct {
		Rel  string `json:"rel"`
		Href string `json:"href"`
	} `json:"links"`
}

// allPages follows a list's next links from path, with the token.
func (e *env) allPages(path, token string) []queueTask {
	e.t.Helper()
	var all []queueTask
	for path != "" && len(all) < 5000 {
		var page queuePage
		if res := e.do("GET", path, token, nil, nil, &page); res.StatusCode != 200 {
			e.t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		all = append(all, page.Tasks...)
		path = ""
		for _, l := range page.Links {
			if l.Rel == "next" {
				u, _ := url.Parse(l.Href)
				path = u.RequestURI()
			}
		}
	}
	return all
}

// apart is metres between two [lon, lat] points (photos_test.go's metres).
func apart(a, b [2]float64) float64 { return metres(a[0], a[1], b[0], b[1]) }

// TestQueueOrdersAndPlaces: every task says where a map draws it (its
// reported point, else a point on its asset); the queue sorts by priority
// (then deadline) and by distance from a point, paging by position without
// losing or repeating a task; bad orders are refused with their codes.
func TestQueueOrdersAndPlaces(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()[maint.RoleEngineer]
	const open = "status=reported,filed,dispatched,in_progress"
	want := e.count(`SELECT count(*) FROM tasks WHERE status IN ('reported','filed','dispatched','in_progress')`)
	if want < 30 {
		t.Fatalf("the district has %d open tasks; the test needs at least 30", want)
	}

	// Places: the asset's anchor, or the reported point.
	byPriority := e.allPages("/api/v1/tasks?"+open+"&order=priority&limit=7", tok)
	if len(byPriority) != want {
		t.Fatalf("order=priority paged in 7s: %d tasks, want %d", len(byPriority), want)
	}
	seen := map[int64]bool{}
	rank := map[string]int{"urgent": 0, "high": 1, "normal": 2, "low": 3}
	for i, x := range byPriority {
		if seen[x.ID] {
			t.Fatalf("order=priority: task %d twice", x.ID)
		}
		seen[x.ID] = true
		if x.Place == nil {
			t.Fatalf("task %d has no place", x.ID)
		}
		if i > 0 && rank[x.Priority] < rank[byPriority[i-1].Priority] {
			t.Fatalf("order=priority: %s after %s at %d", x.Priority, byPriority[i-1].Priority, i)
		}
		if i > 0 && x.Priority == byPriority[i-1].Priority {
			// Among running clocks (a suspended one waits at the end).
			prev := byPriority[i-1].Clock
			running := func(c *struct {
				Deadline    *string `json:"deadline"`
				PausedSince *string `json:"paused_since"`
			}) bool {
				return c != nil && c.Deadline != nil && c.PausedSince == nil
			}
			if running(prev) && running(x.Clock) && *x.Clock.Deadline < *prev.Deadline {
				// Deadlines are RFC 3339 in one zone: text order is time order.
				t.Errorf("order=priority: within %s, deadline %s after %s", x.Priority, *x.Clock.Deadline, *prev.Deadline)
			}
		}
	}
	if rank[byPriority[0].Priority] > rank[byPriority[len(byPriority)-1].Priority] {
		t.Errorf("order=priority starts at %s and ends at %s", byPriority[0].Priority, byPriority[len(byPriority)-1].Priority)
	}
	var onAsset queueTask
	for _, x := range byPriority {
		if x.AssetID != nil {
			onAsset = x
			break
		}
	}
	var lon, lat float64
	if err := e.sql.QueryRow(t.Context(), `SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM assets WHERE id = $1`, *onAsset.AssetID).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	if apart(*onAsset.Place, [2]float64{lon, lat}) > 0.01 {
		t.Errorf("task %d on asset %d: place %v, want the asset's point on surface [%f %f]", onAsset.ID, *onAsset.AssetID, *onAsset.Place, lon, lat)
	}
	var made struct {
		ID    int64       `json:"id"`
		Place *[2]float64 `json:"place"`
	}
	res := e.do("POST", "/api/v1/tasks", tok, map[string]any{"title": "路面塌陷", "location": map[string]any{"type": "Point", "coordinates": []float64{125.2461, 43.8712}}}, nil, &made)
	if res.StatusCode != 201 || made.Place == nil || apart(*made.Place, [2]float64{125.2461, 43.8712}) > 0.01 {
		t.Fatalf("a task reported at a point: %d, place %v, want [125.2461 43.8712]", res.StatusCode, made.Place)
	}

	// Distance from a point: nondecreasing, and the first is the nearest.
	here := [2]float64{125.2461, 43.8712}
	near := e.allPages(fmt.Sprintf("/api/v1/tasks?%s&order=distance&near=%g,%g&limit=11", open, here[0], here[1]), tok)
	if len(near) != want+1 {
		t.Fatalf("order=distance paged in 11s: %d tasks, want %d", len(near), want+1)
	}
	if near[0].ID != made.ID {
		t.Errorf("order=distance: first task %d, want %d reported at that very point", near[0].ID, made.ID)
	}
	ids := map[int64]bool{}
	for i, x := range near {
		if ids[x.ID] {
			t.Fatalf("order=distance: task %d twice", x.ID)
		}
		ids[x.ID] = true
		// The service measures on the spheroid, apart on a plane: 0.5 % apart.
		if i == 0 {
			continue
		}
		if d, prev := apart(here, *x.Place), apart(here, *near[i-1].Place); d*1.005+0.5 < prev {
			t.Fatalf("order=distance: %.1f m after %.1f m at %d", d, prev, i)
		}
	}

	// Bad orders: their field and a code the pages translate.
	for _, c := range []struct{ path, field, code string }{
		{"/api/v1/tasks?order=distance", "near", "order_distance_needs_near"},
		{"/api/v1/tasks?order=distance&near=abc", "near", "bad_lonlat"},
		{"/api/v1/tasks?order=distance&near=125.2,91", "near", "bad_lonlat"},
		{"/api/v1/tasks?order=fastest", "order", "unknown_order"},
	} {
		var p httpx.Problem
		res := e.do("GET", c.path, tok, nil, nil, &p)
		if res.StatusCode != 400 || len(p.Errors) != 1 || p.Errors[0].Field != c.field || p.Errors[0].Code != c.code {
			t.Errorf("GET %s: %d %+v, want 400 on %s with code %s", c.path, res.StatusCode, p.Errors, c.field, c.code)
		}
	}
}
