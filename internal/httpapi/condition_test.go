package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"inframap/internal/condition"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// TestDistressChangesCondition: recording a distress on a road section
// changes its PCI and grade on the asset, as an OGC API property and as a
// tile attribute (the tile's ETag renews); repairing it brings them back;
// the history holds each step.
func TestDistressChangesCondition(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	var id int64
	var lon, lat, area float64
	var class string
	if err := e.sql.QueryRow(t.Context(), `SELECT id, ST_X(p), ST_Y(p), (attrs->>'length_m')::float8 * (attrs->>'width_m')::float8, attrs->>'road_class'
		FROM (SELECT id, attrs, ST_LineInterpolatePoint(geom, 0.5) AS p FROM assets WHERE code = 'DL-001') a`).Scan(&id, &lon, &lat, &area, &class); err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{lon, lat}, 14)
	tilePath := fmt.Sprintf("/tiles/road_repair/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y)

	type seen struct {
		pci   float64
		grade string
		etag  string
		score float64
	}
	look := func() (asset, ogc, mvtProps seen) {
		t.Helper()
		var a struct{ Properties map[string]any }
		res := e.get(fmt.Sprintf("/api/v1/assets/%d", id), &a)
		asset = seen{a.Properties["pci"].(float64), a.Properties["condition_grade"].(string), res.Header.Get("ETag"), a.Properties["condition_score"].(float64)}
		var o struct{ Properties map[string]any }
		e.get(fmt.Sprintf("/ogc/collections/road_repair/items/%d", id), &o)
		ogc = seen{o.Properties["pci"].(float64), o.Properties["condition_grade"].(string), "", o.Properties["condition_score"].(float64)}
		res, body := e.fetch(tilePath)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", tilePath, res.StatusCode)
		}
		layers, err := mvt.Unmarshal(body)
		if err != nil {
			t.Fatalf("decode %s: %v", tilePath, err)
		}
		for _, l := range layers {
			for _, f := range l.Features {
				if fmt.Sprint(f.ID) == fmt.Sprint(id) {
					mvtProps = seen{f.Properties["pci"].(float64), f.Properties["condition_grade"].(string), res.Header.Get("ETag"), f.Properties["condition_score"].(float64)}
				}
			}
		}
		if mvtProps.grade == "" {
			t.Fatalf("road %d is not in tile %s", id, tilePath)
		}
		return
	}
	// The work list's score, as the list ranks by it.
	score := func() float64 {
		t.Helper()
		var s float64
		if err := e.sql.QueryRow(t.Context(), `SELECT condition_score::float8 FROM assets WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before, ogc, tiled := look()
	if ogc.pci != before.pci || tiled.pci != before.pci || tiled.grade != before.grade || ogc.grade != before.grade {
		t.Fatalf("seeded condition differs: asset %+v, OGC %+v, tile %+v", before, ogc, tiled)
	}
	if s := score(); before.score != s || ogc.score != s || tiled.score != s {
		t.Errorf("work list score %v; asset %v, OGC %v, tile %v", s, before.score, ogc.score, tiled.score)
	}

	// A heavy alligator crack over 10 % of the section.
	var out struct{ Distresses []maint.Distress }
	res := e.do("POST", fmt.Sprintf("/api/v1/assets/%d/distresses", id), tok[maint.RoleInspector],
		map[string]any{"kind": "alligator_crack", "severity": "heavy", "extent_m2": area / 10}, nil, &out)
	if res.StatusCode != 201 || len(out.Distresses) != 1 {
		t.Fatalf("record: %d %+v", res.StatusCode, out)
	}
	after, ogc2, tiled2 := look()
	if after.pci >= before.pci || after.etag == before.etag {
		t.Errorf("after a heavy crack: PCI %v (before %v), ETag %s (before %s)", after.pci, before.pci, after.etag, before.etag)
	}
	if want := condition.Grade(condition.RoadClass(class), after.pci); after.grade != want {
		t.Errorf("grade %s for PCI %v on a %s road, want %s", after.grade, after.pci, class, want)
	}
	if ogc2.pci != after.pci || ogc2.grade != after.grade {
		t.Errorf("OGC property %+v, asset %+v", ogc2, after)
	}
	if tiled2.pci != after.pci || tiled2.grade != after.grade || tiled2.etag == tiled.etag {
		t.Errorf("tile attribute %+v (before %+v), asset %+v", tiled2, tiled, after)
	}
	if s := score(); after.score != s || ogc2.score != s || tiled2.score != s || s <= before.score {
		t.Errorf("after the crack the work list score is %v (before %v); asset %v, OGC %v, tile %v", s, before.score, after.score, ogc2.score, tiled2.score)
	}

	// Repaired: the condition is as before.
	d := out.Distresses[0]
	var patched maint.Distress
	res = e.do("PATCH", fmt.Sprintf("/api/v1/assets/%d/distresses/%d", id, d.ID), tok[maint.RoleEngineer],
		map[string]any{"repaired": true}, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, d.Version)}, &patched)
	if res.StatusCode != 200 || patched.RepairedAt == nil || patched.Version != d.Version+1 {
		t.Fatalf("repair: %d %+v", res.StatusCode, patched)
	}
	again, _, tiled3 := look()
	if again.pci != before.pci || again.grade != before.grade || tiled3.pci != before.pci {
		t.Errorf("after the repair: asset %+v, tile %+v; before %+v", again, tiled3, before)
	}
	var c maint.Condition
	e.get(fmt.Sprintf("/api/v1/assets/%d/condition", id), &c)
	if n := len(c.History); n != 4 || c.History[n-1].Source != "distress" || *c.History[n-2].PCI != after.pci {
		t.Errorf("history: %+v", c.History)
	}
	// A stale version is refused with the current one.
	var p httpx.Problem
	res = e.do("PATCH", fmt.Sprintf("/api/v1/assets/%d/distresses/%d", id, d.ID), tok[maint.RoleEngineer],
		map[string]any{"repaired": false}, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, d.Version)}, &p)
	if res.StatusCode != 412 {
		t.Errorf("stale PATCH: %d", res.StatusCode)
	}
}

// TestDistressRefused: bad input is a problem naming the field, and nothing
// is written.
func TestDistressRefused(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	road := e.count(`SELECT id FROM assets WHERE code = 'DL-002'`)
	count := func() int {
		return e.count(`SELECT (SELECT count(*) FROM road_distresses) + (SELECT count(*) FROM condition_history)`)
	}
	n := count()
	cases := []struct {
		body  any
		field string
		code  string
	}{
		{map[string]any{"kind": "crack", "severity": "heavy", "extent_m2": 1}, "distresses[0].kind", "distress_kind"},
		{map[string]any{"kind": "pothole", "severity": "bad", "extent_m2": 1}, "distresses[0].severity", "distress_severity"},
		{map[string]any{"kind": "pothole", "severity": "light", "extent_m2": -1}, "distresses[0].extent_m2", "distress_extent"},
		{map[string]any{"distresses": []any{map[string]any{"kind": "pothole", "severity": "light", "extent_m2": 1},
			map[string]any{"kind": "pothole", "severity": "light", "extent_m2": 0}}}, "distresses[1].extent_m2", "distress_extent"},
	}
	for _, c := range cases {
		var p httpx.Problem
		res := e.do("POST", fmt.Sprintf("/api/v1/assets/%d/distresses", road), tok[maint.RoleEngineer], c.body, nil, &p)
		b, _ := json.Marshal(c.body)
		if res.StatusCode != 400 || len(p.Errors) == 0 || p.Errors[0].Field != c.field || p.Errors[0].Code != c.code {
			t.Errorf("POST %s: %d %+v, want 400 on %s (%s)", b, res.StatusCode, p, c.field, c.code)
		}
	}
	if count() != n {
		t.Error("a refused distress left rows behind")
	}
	// A resident may not record; a manhole carries no distresses.
	if res := e.do("POST", fmt.Sprintf("/api/v1/assets/%d/distresses", road), "", cases[0].body, nil, nil); res.StatusCode != 401 {
		t.Errorf("anonymous: %d", res.StatusCode)
	}
	manhole := e.count(`SELECT min(id) FROM assets WHERE kind = 'manhole'`)
	var p httpx.Problem
	if res := e.do("POST", fmt.Sprintf("/api/v1/assets/%d/distresses", manhole), tok[maint.RoleEngineer],
		map[string]any{"kind": "pothole", "severity": "light", "extent_m2": 1}, nil, &p); res.StatusCode != 400 || p.Errors[0].Code != "distress_not_road" {
		t.Errorf("on a manhole: %d %+v", res.StatusCode, p)
	}
}

// TestWorkList: worst first by score, the filters, the pages joining up.
func TestWorkList(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	type page struct {
		Items      []maint.WorkItem
		NextCursor *string `json:"next_cursor"`
	}
	var all []maint.WorkItem
	path := "/api/v1/worklist?limit=50"
	for {
		var p page
		if res := e.do("GET", path, tok[maint.RoleInspector], nil, nil, &p); res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			break
		}
		path = "/api/v1/worklist?limit=50&cursor=" + *p.NextCursor
	}
	if len(all) != 140 {
		t.Fatalf("%d items, want the 140 graded road sections", len(all))
	}
	for i, w := range all {
		if w.Rank != i+1 || i > 0 && w.Score > all[i-1].Score {
			t.Fatalf("item %d: rank %d score %v after %v", i, w.Rank, w.Score, all[i-1].Score)
		}
		weight := map[string]float64{"arterial": 1.25, "expressway": 1.5}[w.RoadClass]
		if weight == 0 {
			weight = 1
		}
		// The score is rounded to one decimal.
		want := (100-*w.PCI)*weight + 5*float64(min(w.OpenTasks, 4))
		if d := w.Score - want; d > 0.0501 || d < -0.0501 {
			t.Errorf("%s: score %v, want (100 − %v) × %v + 5 × %d = %v", w.Code, w.Score, *w.PCI, weight, w.OpenTasks, want)
		}
	}
	// A case opened on the last item scores it 5 higher at once.
	last := all[len(all)-1]
	if _, err := e.sql.Exec(t.Context(), `INSERT INTO tasks (asset_id, title, status, source) VALUES ($1, '坑槽', 'filed', 'inspector')`, last.AssetID); err != nil {
		t.Fatal(err)
	}
	var top page
	e.do("GET", fmt.Sprintf("/api/v1/worklist?limit=200&subdistrict=%s", url.QueryEscape(last.Subdistrict)), tok[maint.RoleEngineer], nil, nil, &top)
	for _, w := range top.Items {
		if w.AssetID == last.AssetID && (w.Score != last.Score+5 || w.OpenTasks != last.OpenTasks+1) {
			t.Errorf("after a case opened on %s: score %v (was %v), open %d (was %d)", w.Code, w.Score, last.Score, w.OpenTasks, last.OpenTasks)
		}
	}
	var b page
	e.do("GET", "/api/v1/worklist?grade=B&kind=road_repair", tok[maint.RoleEngineer], nil, nil, &b)
	for _, w := range b.Items {
		if w.Grade != "B" {
			t.Errorf("grade=B gave %s", w.Grade)
		}
	}
	if res := e.do("GET", "/api/v1/worklist", "", nil, nil, nil); res.StatusCode != 401 {
		t.Errorf("anonymous: %d", res.StatusCode)
	}
}
