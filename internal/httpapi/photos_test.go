package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsoprea/go-exif/v3"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "photo", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// multipartBody builds an upload: fields, then the photo under filename.
func multipartBody(fields map[string]string, filename string, photo []byte) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if photo != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="photo"; filename=%q`, filename))
		h.Set("Content-Type", "image/jpeg")
		w, _ := mw.CreatePart(h)
		w.Write(photo)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

type photoOut struct {
	ID             int64                             `json:"id"`
	Stage          string                            `json:"stage"`
	Location       *struct{ Coordinates [2]float64 } `json:"location"`
	LocationSource *string                           `json:"location_source"`
	AccuracyM      *float64                          `json:"accuracy_m"`
	TakenAt        *time.Time                        `json:"taken_at"`
	DistanceM      *float64                          `json:"distance_m"`
	FarFromAsset   bool                              `json:"far_from_asset"`
	Width, Height  int
	SHA256         string            `json:"sha256"`
	Visible        bool              `json:"visible"`
	Duplicate      bool              `json:"duplicate"`
	URLs           map[string]string `json:"urls"`
}

func (e *env) upload(path, token string, fields map[string]string, filename string, photo []byte, hdr map[string]string) (*http.Response, photoOut, string) {
	e.t.Helper()
	b, ctype := multipartBody(fields, filename, photo)
	req, _ := http.NewRequest("POST", e.srv.URL+path, b)
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var p photoOut
	json.Unmarshal(raw, &p)
	return res, p, string(raw)
}

// noEXIF reports whether a JPEG carries no EXIF at all: no APP1 Exif
// segment and nothing go-exif can find.
func noEXIF(b []byte) bool {
	if bytes.Contains(b, []byte("Exif\x00\x00")) {
		return false
	}
	_, err := exif.SearchAndExtractExif(b)
	return err != nil
}

func metres(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	dy := (lat2 - lat1) * math.Pi / 180 * r
	dx := (lon2 - lon1) * math.Pi / 180 * r * math.Cos(lat1*math.Pi/180)
	return math.Hypot(dx, dy)
}

// TestPhotoUpload sends a real JPEG whose GPS and time exiftool wrote: the
// stored position is within 1 m of the tagged one, the time matches, and
// the copies anyone may see carry no EXIF.
func TestPhotoUpload(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	// A manhole near the tagged position (43.88 N, 125.27 E) and its task.
	var asset int64
	if err := e.sql.QueryRow(t.Context(), `SELECT id FROM assets WHERE kind = 'manhole'
		ORDER BY geom <-> ST_SetSRID(ST_MakePoint(125.27, 43.88), 4326) LIMIT 1`).Scan(&asset); err != nil {
		t.Fatal(err)
	}
	task := e.newTask(tok[maint.RoleInspector], asset, "井盖破损")
	path := fmt.Sprintf("/api/v1/tasks/%d/photos", task.ID)
	img := fixture(t, "gps-ne.jpg")
	res, p, raw := e.upload(path, tok[maint.RoleInspector], map[string]string{"stage": "before", "lat": "43.9", "lon": "125.3", "accuracy_m": "12"}, "IMG_0001.jpg", img, nil)
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, raw)
	}
	if p.LocationSource == nil || *p.LocationSource != "exif" || p.Location == nil {
		t.Fatalf("location: %s", raw)
	}
	if d := metres(p.Location.Coordinates[0], p.Location.Coordinates[1], 125.27, 43.88); d > 1 {
		t.Errorf("stored position is %.2f m from the tagged one", d)
	}
	want := time.Date(2024, 6, 15, 10, 30, 0, 250e6, time.FixedZone("", 8*3600))
	if p.TakenAt == nil || !p.TakenAt.Equal(want) {
		t.Errorf("taken_at %v, want %v", p.TakenAt, want)
	}
	if p.DistanceM == nil || p.Width == 0 || len(p.SHA256) != 64 || p.URLs["thumb"] == "" {
		t.Errorf("metadata: %s", raw)
	}
	var dbDist float64
	e.sql.QueryRow(t.Context(), `SELECT ST_Distance(a.geom::geography, p.location::geography) FROM photos p, assets a WHERE p.id = $1 AND a.id = $2`, p.ID, asset).Scan(&dbDist)
	if math.Abs(dbDist-*p.DistanceM) > 0.1 || p.FarFromAsset != (dbDist > 50) {
		t.Errorf("distance %v (far %v), PostGIS says %.1f", *p.DistanceM, p.FarFromAsset, dbDist)
	}
	// The copies, read back, carry no EXIF; the original keeps it and goes to
	// engineers only.
	for _, v := range []string{"thumb", "display"} {
		r, err := http.Get(e.srv.URL + p.URLs[v])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") ||
			r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("ETag") == "" {
			t.Errorf("%s: %d %v", v, r.StatusCode, r.Header)
		}
		if !noEXIF(b) {
			t.Errorf("the %s copy carries EXIF", v)
		}
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/photos/%d/original", p.ID), "", nil, nil, nil); res.StatusCode != 401 {
		t.Errorf("original for a resident: %d", res.StatusCode)
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/photos/%d/original", p.ID), tok[maint.RoleInspector], nil, nil, nil); res.StatusCode != 403 {
		t.Errorf("original for an inspector: %d", res.StatusCode)
	}
	res = e.do("GET", fmt.Sprintf("/api/v1/photos/%d/original", p.ID), tok[maint.RoleEngineer], nil, nil, nil)
	if orig := body(res); res.StatusCode != 200 || orig != string(img) || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("original for an engineer: %d, %d bytes, %s", res.StatusCode, len(orig), res.Header.Get("Content-Disposition"))
	}

	// Without EXIF GPS the device's position is used, with its accuracy.
	res, p2, raw := e.upload(path, tok[maint.RoleInspector], map[string]string{"stage": "during", "lat": "43.8801", "lon": "125.2702", "accuracy_m": "8.5",
		"captured_at": "2024-07-01T09:00:00+08:00"}, "b.jpg", fixture(t, "noexif.jpg"), nil)
	if res.StatusCode != 201 || p2.LocationSource == nil || *p2.LocationSource != "device" || p2.AccuracyM == nil || *p2.AccuracyM != 8.5 ||
		p2.TakenAt == nil || !p2.TakenAt.Equal(time.Date(2024, 7, 1, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("device position: %d %s", res.StatusCode, raw)
	}
	// Far from the asset: flagged.
	_, p3, raw := e.upload(path, tok[maint.RoleInspector], map[string]string{"stage": "during", "lat": "43.95", "lon": "125.20"}, "c.jpg", fixture(t, "orient6.jpg"), nil)
	if !p3.FarFromAsset || p3.Width != 300 || p3.Height != 400 {
		t.Errorf("far photo: %s", raw)
	}

	// The same bytes again: recognised by SHA-256, nothing new stored.
	res, p4, _ := e.upload(path, tok[maint.RoleInspector], map[string]string{"stage": "before"}, "again.jpg", img, nil)
	if res.StatusCode != 200 || !p4.Duplicate || p4.ID != p.ID {
		t.Errorf("same bytes again: %d dup %v id %d, want 200 and photo %d", res.StatusCode, p4.Duplicate, p4.ID, p.ID)
	}
	if n := e.count(`SELECT count(*) FROM photos WHERE task_id = $1`, task.ID); n != 3 {
		t.Errorf("%d photos stored, want 3", n)
	}
}

// TestPhotoIdempotency: a retried upload with the same key stores one photo
// and gets the first answer; the same key with other bytes is refused.
func TestPhotoIdempotency(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	task := e.newTask(tok[maint.RoleInspector], e.anyAsset(maint.KindRoadRepair), "路面坑槽")
	path := fmt.Sprintf("/api/v1/tasks/%d/photos", task.ID)
	key := map[string]string{"Idempotency-Key": "upload-7f1c"}
	fields := map[string]string{"stage": "after", "lat": "43.88", "lon": "125.25"}
	res1, p1, raw1 := e.upload(path, tok[maint.RoleInspector], fields, "a.jpg", fixture(t, "gps-ne.jpg"), key)
	res2, p2, raw2 := e.upload(path, tok[maint.RoleInspector], fields, "a.jpg", fixture(t, "gps-ne.jpg"), key)
	if res1.StatusCode != 201 || res2.StatusCode != 201 || p1.ID != p2.ID || raw1 != raw2 || res2.Header.Get("Idempotency-Replayed") != "true" {
		t.Errorf("retry: %d %d ids %d %d replayed %q\n%s\n%s", res1.StatusCode, res2.StatusCode, p1.ID, p2.ID, res2.Header.Get("Idempotency-Replayed"), raw1, raw2)
	}
	res3, _, raw3 := e.upload(path, tok[maint.RoleInspector], fields, "b.jpg", fixture(t, "noexif.jpg"), key)
	if res3.StatusCode != 422 || !strings.Contains(raw3, "Idempotency-Key") {
		t.Errorf("same key, other bytes: %d %s", res3.StatusCode, raw3)
	}
	// Another user's key of the same name is another key.
	res4, p4, _ := e.upload(path, tok[maint.RoleEngineer], fields, "c.jpg", fixture(t, "photo.png"), key)
	if res4.StatusCode != 201 || p4.ID == p1.ID {
		t.Errorf("another user's key: %d", res4.StatusCode)
	}
	if n := e.count(`SELECT count(*) FROM photos WHERE task_id = $1`, task.ID); n != 2 {
		t.Errorf("%d photos, want 2", n)
	}
}

// TestPhotoBadInput: each bad upload gets its status and stores nothing.
func TestPhotoBadInput(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	task := e.newTask(tok[maint.RoleInspector], e.anyAsset(maint.KindManhole), "井盖缺失")
	path := fmt.Sprintf("/api/v1/tasks/%d/photos", task.ID)
	before := e.count(`SELECT count(*) FROM photos`)
	cases := []struct {
		name     string
		fields   map[string]string
		filename string
		photo    []byte
		want     int
	}{
		{"a text file named .jpg", map[string]string{"stage": "before"}, "x.jpg", fixture(t, "text.jpg"), 415},
		{"a truncated JPEG", map[string]string{"stage": "before"}, "t.jpg", fixture(t, "truncated.jpg"), 422},
		{"30,000 × 30,000 pixels", map[string]string{"stage": "before"}, "huge.png", fixture(t, "huge.png"), 422},
		{"no photo", map[string]string{"stage": "before"}, "", nil, 400},
		{"unknown stage", map[string]string{"stage": "later"}, "a.jpg", fixture(t, "noexif.jpg"), 400},
		{"lat without lon", map[string]string{"stage": "before", "lat": "43.88"}, "a.jpg", fixture(t, "noexif.jpg"), 400},
		{"a path in the file name", map[string]string{"stage": "before"}, "../../../../etc/passwd.jpg", fixture(t, "text.jpg"), 415},
		{"over 25 MB", map[string]string{"stage": "before"}, "big.jpg", append(fixture(t, "noexif.jpg"), make([]byte, 26<<20)...), 413},
	}
	for _, c := range cases {
		res, _, raw := e.upload(path, tok[maint.RoleInspector], c.fields, c.filename, c.photo, nil)
		if res.StatusCode != c.want || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %.200s, want %d", c.name, res.StatusCode, raw, c.want)
		}
	}
	// A file name with ../ is never used: a good photo under such a name is
	// stored by its content hash, inside the store.
	res, p, raw := e.upload(path, tok[maint.RoleInspector], map[string]string{"stage": "before"}, "../../escape.jpg", fixture(t, "noexif.jpg"), nil)
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, raw)
	}
	stored, err := e.db.Photo(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	key := stored.OriginalKey
	if strings.Contains(key, "..") || strings.Contains(key, "escape") || !strings.HasPrefix(key, "photos/") {
		t.Errorf("stored under %q", key)
	}
	if n := e.count(`SELECT count(*) FROM photos`); n != before+1 {
		t.Errorf("%d photos stored by the bad uploads", n-before-1)
	}
	// Residents may not upload to tasks.
	if res, _, _ := e.upload(path, "", map[string]string{"stage": "before"}, "a.jpg", fixture(t, "noexif.jpg"), nil); res.StatusCode != 401 {
		t.Errorf("resident upload: %d", res.StatusCode)
	}
	if res, _, _ := e.upload("/api/v1/tasks/999999/photos", tok[maint.RoleInspector], map[string]string{"stage": "before"}, "a.jpg", fixture(t, "noexif.jpg"), nil); res.StatusCode != 404 {
		t.Errorf("upload to a missing task: %d", res.StatusCode)
	}
}

// TestResidentReportPhoto: a resident's report from the map with a photo;
// the photo stays hidden until an engineer files the report; engineers can
// hide a photo; closing needs an after photo, which the upload provides.
func TestResidentReportPhoto(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	b, ctype := multipartBody(map[string]string{"service_code": "manhole_broken", "lat": "43.8800", "lon": "125.2700", "accuracy_m": "15",
		"description": "井盖裂了", "phone": "13904310555"}, "p.jpg", fixture(t, "gps-ne.jpg"))
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/reports", b)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Idempotency-Key", "report-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Ref    string `json:"ref"`
		Status string `json:"status"`
		Photo  *struct {
			ID      int64 `json:"id"`
			Visible bool  `json:"visible"`
		} `json:"photo"`
		FollowURL string `json:"follow_url"`
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	json.Unmarshal(raw, &rep)
	if res.StatusCode != 201 || rep.Ref == "" || rep.Photo == nil || rep.Photo.Visible || strings.Contains(string(raw), "13904310555") {
		t.Fatalf("report: %d %s", res.StatusCode, raw)
	}
	// Hidden from the public until filed.
	if res := e.do("GET", fmt.Sprintf("/api/v1/photos/%d/display", rep.Photo.ID), "", nil, nil, nil); res.StatusCode != 404 {
		t.Errorf("a report's photo before filing: %d", res.StatusCode)
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/photos/%d/display", rep.Photo.ID), tok[maint.RoleEngineer], nil, nil, nil); res.StatusCode != 200 {
		t.Errorf("an engineer sees it: %d", res.StatusCode)
	}
	var id int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM tasks WHERE ref = $1`, rep.Ref).Scan(&id)
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusFiled, nil); res.StatusCode != 200 {
		t.Fatalf("file: %d", res.StatusCode)
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/photos/%d/display", rep.Photo.ID), "", nil, nil, nil); res.StatusCode != 200 {
		t.Errorf("a filed report's photo: %d", res.StatusCode)
	}
	// The resident follows the report by its number.
	var follow struct{ Status string }
	if res := e.do("GET", rep.FollowURL, "", nil, nil, &follow); res.StatusCode != 200 || follow.Status != "filed" {
		t.Errorf("follow: %d %+v", res.StatusCode, follow)
	}
	// An engineer hides it, with a reason.
	if res := e.do("PATCH", fmt.Sprintf("/api/v1/photos/%d", rep.Photo.ID), tok[maint.RoleEngineer], map[string]any{"visible": false, "reason": "车牌可见"}, nil, nil); res.StatusCode != 200 {
		t.Errorf("hide: %d", res.StatusCode)
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/photos/%d/thumb", rep.Photo.ID), "", nil, nil, nil); res.StatusCode != 404 {
		t.Errorf("a hidden photo: %d", res.StatusCode)
	}
	// Work through to done; closing needs an after photo.
	for _, st := range []maint.Status{maint.StatusDispatched, maint.StatusInProgress, maint.StatusDone} {
		extra := map[string]any{}
		if st == maint.StatusDispatched {
			extra["assignee"] = "井盖专项整治组"
		}
		if res := e.move(tok[maint.RoleEngineer], id, st, extra); res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", st, res.StatusCode, body(res))
		}
	}
	if res := e.move(tok[maint.RoleInspector], id, maint.StatusClosed, nil); res.StatusCode != 422 {
		t.Errorf("close without an after photo: %d", res.StatusCode)
	}
	if res, _, raw := e.upload(fmt.Sprintf("/api/v1/tasks/%d/photos", id), tok[maint.RoleInspector], map[string]string{"stage": "after"}, "after.jpg", fixture(t, "noexif.jpg"), nil); res.StatusCode != 201 {
		t.Fatalf("after photo: %d %s", res.StatusCode, raw)
	}
	if res := e.move(tok[maint.RoleInspector], id, maint.StatusClosed, map[string]any{"note": "核查通过"}); res.StatusCode != 200 {
		t.Errorf("close with an after photo: %d %s", res.StatusCode, body(res))
	}
}
