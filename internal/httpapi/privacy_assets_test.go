package httpapi_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// TestPublicAssetTextMasked: phone numbers, resident ID numbers, e-mail
// addresses and licence plates in an asset's name and attributes (a
// register imported with its contacts) reach anonymous readers masked in
// every answer that carries them — the REST list and asset, OGC API items,
// the exports, the vector tiles — while staff read and export the register
// whole (to edit it and import it back).
func TestPublicAssetTextMasked(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	raw := []string{"13912345678", "0431-85551234", "220106199001011234", "zhang.san@example.org", "吉A·12345"}
	var id int64
	var lon, lat float64
	var code string
	if err := e.sql.QueryRow(t.Context(), `UPDATE assets SET name = '上水井 管护人13912345678',
			attrs = attrs || '{"contact": "养护班 0431-85551234 zhang.san@example.org", "notes": ["身份证220106199001011234", "吉A·12345常停井上"]}'::jsonb
		WHERE id = (SELECT min(id) FROM assets WHERE kind = 'manhole')
		RETURNING id, code, anchor_lon, anchor_lat`).Scan(&id, &code, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	// The tile at z16 holding the manhole.
	n := math.Exp2(16)
	x := int((lon + 180) / 360 * n)
	y := int((1 - math.Log(math.Tan(lat*math.Pi/180)+1/math.Cos(lat*math.Pi/180))/math.Pi) / 2 * n)
	box := fmt.Sprintf("%f,%f,%f,%f", lon-0.0005, lat-0.0005, lon+0.0005, lat+0.0005)
	paths := []string{
		fmt.Sprintf("/api/v1/assets/%d", id), "/api/v1/assets?kind=manhole&bbox=" + box, "/api/v1/assets?q=" + code,
		fmt.Sprintf("/ogc/collections/manhole/items/%d", id), "/ogc/collections/manhole/items?bbox=" + box,
		"/api/v1/tasks?kind=manhole&limit=1000",
		"/api/v1/export?format=geojson&kind=manhole", "/api/v1/export?format=csv&kind=manhole", "/api/v1/export?format=kml&kind=manhole",
		fmt.Sprintf("/tiles/manhole/16/%d/%d.mvt", x, y), fmt.Sprintf("/tiles/all/16/%d/%d.mvt", x, y),
	}
	for _, path := range paths {
		for _, who := range []string{"", tok[maint.RoleEngineer]} {
			res := e.do("GET", path, who, nil, nil, nil)
			got := body(res)
			if res.StatusCode != 200 {
				t.Errorf("GET %s: %d %s", path, res.StatusCode, got)
				continue
			}
			staff := who != ""
			if staff && strings.HasPrefix(path, "/tiles/") {
				// Tiles are one public product: masked for everyone.
				staff = false
			}
			for _, r := range raw {
				shown := strings.Contains(got, r) || strings.Contains(got, strings.ReplaceAll(r, "·", `\u00b7`))
				if !staff && shown {
					t.Errorf("anonymous GET %s shows %s", path, r)
				}
				// The task list names a task's asset, not its attributes.
				nameOnly := strings.HasPrefix(path, "/api/v1/tasks")
				if staff && !shown && (r == "13912345678" || !nameOnly) {
					t.Errorf("staff GET %s: %s missing (staff read the register whole)", path, r)
				}
			}
			if !staff && !strings.Contains(got, "139****5678") {
				t.Errorf("anonymous GET %s: no masked number", path)
			}
		}
	}
}
