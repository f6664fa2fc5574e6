package postgres_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// bService looks a service up.
func bService(t testing.TB, code string) maint.Service {
	t.Helper()
	s, ok := maint.LookupService(code)
	if !ok {
		t.Fatalf("no service %q", code)
	}
	return s
}

// bNearest is the asset of a kind nearest to a point within metres, by
// hand; 0 for none.
func bNearest(t testing.TB, sql *pgxpool.Pool, kind maint.Kind, lon, lat, metres float64) int64 {
	t.Helper()
	var id *int64
	err := sql.QueryRow(t.Context(), `SELECT (SELECT id FROM assets WHERE kind = $1
		AND ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) <= $4
		ORDER BY ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography), id LIMIT 1)`,
		string(kind), lon, lat, metres).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if id == nil {
		return 0
	}
	return *id
}

func bDeref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// bRequest files a report and fails the test on error.
func bRequest(t testing.TB, db *postgres.DB, code string, lon, lat float64, desc string) *maint.ServiceRequest {
	t.Helper()
	r, err := db.CreateRequest(t.Context(), bResident, bService(t, code), maint.NewRequest{ServiceCode: code, Lon: lon, Lat: lat,
		Description: desc, Reporter: "b: 赵", Contact: "b@example.org", Address: "b: 春城大街", Attributes: map[string]string{"hazard": "yes"}})
	if err != nil {
		t.Fatalf("CreateRequest(%s, %s): %v", code, desc, err)
	}
	return r
}

// TestRequestsCreate checks CreateRequest: a reported task linked to the
// nearest asset of the service's kind within 25 m and to an open request of
// the same service within 30 m.
func TestRequestsCreate(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	mh := bManholes(t, db, 1)[0]

	lon, lat := bNorth(mh, 5)
	r1 := bRequest(t, db, "manhole_broken", lon, lat, "b: r1")
	want := bNearest(t, sql, maint.KindManhole, lon, lat, 25)
	if want == 0 || bDeref(r1.AssetID) != want {
		t.Errorf("CreateRequest 5 m from manhole %d: asset %v, want the nearest manhole %d", mh.ID, r1.AssetID, want)
	}
	if r1.Ref == "" || r1.Token == "" || r1.ServiceCode != "manhole_broken" || r1.Status != maint.StatusReported || r1.Description != "b: r1" ||
		r1.Address != "b: 春城大街" || r1.Lon != lon || r1.Lat != lat || r1.DuplicateOf != "" || r1.StatusNotes != "居民上报：井盖破损" {
		t.Errorf("CreateRequest = %+v; want reported, with ref, token, the place and address, the filing note", r1)
	}
	task := bTask(t, db, r1.ID, staff[maint.RoleEngineer])
	if task.Ref != r1.Ref || task.ReporterName != "b: 赵" || task.ReporterContact != "b@example.org" || task.Source != maint.SourceResident ||
		len(task.History) != 1 || task.History[0].ActorRole != "resident" {
		t.Errorf("Task(%d) behind the request = %+v; want the reporter kept privately, source resident, one event by a resident", r1.ID, task)
	}

	t.Run("no asset of the kind nearby", func(t *testing.T) {
		var svc string
		for _, s := range maint.Services {
			if bNearest(t, sql, s.Kind, lon, lat, 25) == 0 {
				svc = s.Code
				break
			}
		}
		if svc == "" {
			t.Fatal("every kind of asset has one within 25 m of the manhole: pick another place")
		}
		r := bRequest(t, db, svc, lon, lat, "b: nothing near")
		if r.AssetID != nil {
			t.Errorf("CreateRequest(%s): asset %d, want none within 25 m", svc, *r.AssetID)
		}
	})

	lon2, lat2 := bNorth(mh, 15) // 10 m from r1
	r2 := bRequest(t, db, "manhole_broken", lon2, lat2, "b: r2")
	lon5, lat5 := bNorth(mh, 30) // 15 m from r2, 25 m from r1
	r5 := bRequest(t, db, "manhole_broken", lon5, lat5, "b: r5")
	far, farLat := bNorth(mh, 300)
	r3 := bRequest(t, db, "manhole_broken", far, farLat, "b: r3")
	r4 := bRequest(t, db, "drain_blocked", lon, lat, "b: r4")
	dup := []struct {
		name string
		r    *maint.ServiceRequest
		want string
	}{
		{"10 m away, same service", r2, r1.Ref},
		{"near a duplicate: linked to the original", r5, r1.Ref},
		{"300 m away", r3, ""},
		{"same place, other service", r4, ""},
	}
	for _, c := range dup {
		t.Run(c.name, func(t *testing.T) {
			if c.r.DuplicateOf != c.want {
				t.Errorf("CreateRequest(%s): duplicate of %q, want %q", c.name, c.r.DuplicateOf, c.want)
			}
			if c.want != "" && !strings.Contains(c.r.StatusNotes, "已关联 "+c.want) {
				t.Errorf("CreateRequest(%s): note %q does not name %s", c.name, c.r.StatusNotes, c.want)
			}
		})
	}
	t.Run("closed requests are not linked", func(t *testing.T) {
		x := bTask(t, db, r3.ID, staff[maint.RoleEngineer])
		bMove(t, db, staff, x, maint.Transition{To: maint.StatusRejected, Note: "b: not ours"})
		r := bRequest(t, db, "manhole_broken", far, farLat, "b: r3 again")
		if r.DuplicateOf != "" {
			t.Errorf("CreateRequest next to rejected %s: duplicate of %q, want none", r3.Ref, r.DuplicateOf)
		}
	})
	t.Run("outside the district", func(t *testing.T) {
		before := bCount(t, sql, `SELECT count(*) FROM tasks`)
		_, err := db.CreateRequest(t.Context(), bResident, bService(t, "pothole"), maint.NewRequest{ServiceCode: "pothole", Lon: 116.4, Lat: 39.9})
		e := bWantCode(t, "CreateRequest(Beijing)", err, maint.CodeInvalid)
		if !slices.Contains(bFields(e), "lat") {
			t.Errorf("CreateRequest(Beijing): fields %v, want lat", bFields(e))
		}
		if n := bCount(t, sql, `SELECT count(*) FROM tasks`); n != before {
			t.Errorf("a refused request wrote %d tasks", n-before)
		}
	})
	t.Run("token", func(t *testing.T) {
		if ref, err := db.RequestByToken(t.Context(), r1.Token); err != nil || ref != r1.Ref {
			t.Errorf("RequestByToken(r1) = %q, %v; want %s", ref, err, r1.Ref)
		}
		if r2.Token == r1.Token {
			t.Errorf("two requests share the token %s", r1.Token)
		}
		_, err := db.RequestByToken(t.Context(), "b-no-such-token")
		bWantCode(t, "RequestByToken(unknown)", err, maint.CodeNotFound)
	})
}

// TestRequestsList checks the filters of ServiceRequests against the same
// rules applied by hand to every request.
func TestRequestsList(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	mhs := bManholes(t, db, 6)
	var made []*maint.ServiceRequest
	for i, code := range []string{"manhole_broken", "manhole_sunken", "manhole_broken", "drain_blocked", "manhole_broken", "manhole_sunken"} {
		lon, lat := bNorth(mhs[i], 2)
		made = append(made, bRequest(t, db, code, lon, lat, "b: list "+code))
	}
	// One rejected (with a public note, then an internal one), one dispatched
	// with a due date.
	bMove(t, db, staff, bTask(t, db, made[1].ID, staff[maint.RoleEngineer]), maint.Transition{To: maint.StatusRejected, Note: "b: private land"})
	if _, err := db.PatchTask(t.Context(), staff[maint.RoleEngineer], made[3].ID, 1, maint.TaskPatch{Note: "b: internal only", Internal: true}); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2031, 1, 31, 0, 0, 0, 0, time.UTC)
	d := bTask(t, db, made[3].ID, staff[maint.RoleEngineer])
	d = bMove(t, db, staff, d, bStep(maint.StatusFiled))
	tr := bStep(maint.StatusDispatched)
	tr.DueDate = &due
	bMove(t, db, staff, d, tr)

	all, err := db.ServiceRequests(t.Context(), maint.RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := bCount(t, sql, `SELECT count(*) FROM tasks WHERE service_code IS NOT NULL`); len(all) != n || n != len(made) {
		t.Fatalf("ServiceRequests() = %d, the table holds %d, made %d", len(all), n, len(made))
	}
	for i := 1; i < len(all); i++ {
		if all[i].RequestedAt.After(all[i-1].RequestedAt) || all[i].RequestedAt.Equal(all[i-1].RequestedAt) && all[i].ID > all[i-1].ID {
			t.Errorf("ServiceRequests() not newest first at %d: %v after %v", i, all[i].RequestedAt, all[i-1].RequestedAt)
		}
	}
	byRef := map[string]maint.ServiceRequest{}
	for _, r := range all {
		byRef[r.Ref] = r
	}
	if r := byRef[made[1].Ref]; r.Status != maint.StatusRejected || r.StatusNotes != "b: private land" {
		t.Errorf("rejected request: %s, notes %q; want rejected, the public note", r.Status, r.StatusNotes)
	}
	if r := byRef[made[3].Ref]; r.Agency != bCrew || r.ExpectedAt == nil || !r.ExpectedAt.Equal(due) || strings.Contains(r.StatusNotes, "internal") {
		t.Errorf("dispatched request: agency %q, expected %v, notes %q; want %s, %v, no internal note", r.Agency, r.ExpectedAt, r.StatusNotes, bCrew, due)
	}
	mid := made[2]
	cases := []struct {
		name string
		f    maint.RequestFilter
		want func(maint.ServiceRequest) bool
	}{
		{"refs", maint.RequestFilter{Refs: []string{made[0].Ref, made[4].Ref}}, func(r maint.ServiceRequest) bool { return r.Ref == made[0].Ref || r.Ref == made[4].Ref }},
		{"service", maint.RequestFilter{ServiceCode: []string{"manhole_sunken", "drain_blocked"}}, func(r maint.ServiceRequest) bool {
			return r.ServiceCode == "manhole_sunken" || r.ServiceCode == "drain_blocked"
		}},
		{"open", maint.RequestFilter{Status: "open"}, func(r maint.ServiceRequest) bool { return r.Status.Open() }},
		{"closed", maint.RequestFilter{Status: "closed"}, func(r maint.ServiceRequest) bool { return !r.Status.Open() }},
		{"from", maint.RequestFilter{From: &mid.RequestedAt}, func(r maint.ServiceRequest) bool { return !r.RequestedAt.Before(mid.RequestedAt) }},
		{"to", maint.RequestFilter{To: &mid.RequestedAt}, func(r maint.ServiceRequest) bool { return !r.RequestedAt.After(mid.RequestedAt) }},
		{"service and open", maint.RequestFilter{ServiceCode: []string{"manhole_sunken"}, Status: "open"}, func(r maint.ServiceRequest) bool {
			return r.ServiceCode == "manhole_sunken" && r.Status.Open()
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []string
			for _, r := range all {
				if c.want(r) {
					want = append(want, r.Ref)
				}
			}
			got, err := db.ServiceRequests(t.Context(), c.f)
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, r := range got {
				refs = append(refs, r.Ref)
			}
			if len(want) == 0 || len(want) == len(all) || !slices.Equal(refs, want) {
				t.Errorf("ServiceRequests(%s) = %v, want %v (a proper subset of %d)", c.name, refs, want, len(all))
			}
		})
	}
	t.Run("limit", func(t *testing.T) {
		got, err := db.ServiceRequests(t.Context(), maint.RequestFilter{Limit: 2})
		if err != nil || len(got) != 2 || got[0].Ref != all[0].Ref || got[1].Ref != all[1].Ref {
			t.Errorf("ServiceRequests(limit 2) = %d, %v; want the 2 newest", len(got), err)
		}
	})
}

// TestRequestsAPIKey checks CreateAPIKey and CheckAPIKey.
func TestRequestsAPIKey(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	secret, err := db.CreateAPIKey(t.Context(), staff[maint.RoleAdmin], "b: partner")
	if err != nil || !strings.HasPrefix(secret, "imk_") {
		t.Fatalf("CreateAPIKey = %q, %v", secret, err)
	}
	if name, err := db.CheckAPIKey(t.Context(), secret); err != nil || name != "b: partner" {
		t.Errorf("CheckAPIKey(issued) = %q, %v; want b: partner", name, err)
	}
	_, err = db.CheckAPIKey(t.Context(), secret+"x")
	bWantCode(t, "CheckAPIKey(wrong)", err, maint.CodeForbidden)
	if evs, _, err := db.AuditLog(t.Context(), maint.AuditFilter{Action: "api_key.created"}); err != nil || len(evs) != 1 || evs[0].Actor != staff[maint.RoleAdmin].Email {
		t.Errorf("AuditLog(api_key.created) = %+v, %v; want one event by the admin", evs, err)
	}
	if _, err := sql.Exec(t.Context(), `UPDATE api_keys SET revoked_at = now()`); err != nil {
		t.Fatal(err)
	}
	_, err = db.CheckAPIKey(t.Context(), secret)
	bWantCode(t, "CheckAPIKey(revoked)", err, maint.CodeForbidden)
}

// TestRequestsReport checks CreateReport: a report and its hidden photo
// together or not at all, retried safely with its key.
func TestRequestsReport(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	mh := bManholes(t, db, 2)
	svc := bService(t, "manhole_missing")
	lon, lat := bNorth(mh[0], 3)
	in := maint.NewRequest{ServiceCode: svc.Code, Lon: lon, Lat: lat, Description: "b: open hole", Reporter: "b: 钱", Contact: "138"}
	counts := func() [2]int {
		return [2]int{bCount(t, sql, `SELECT count(*) FROM tasks`), bCount(t, sql, `SELECT count(*) FROM photos`)}
	}

	t.Run("with a photo", func(t *testing.T) {
		plon, plat := bNorth(mh[0], 8)
		np := bAt(bNewPhoto(0, 0, maint.StageReport), plon, plat)
		np.Visible = true // the store hides it whatever it is told
		req, photo, replayed, err := bCreateReport(t, db, bResident, svc, in, &np, nil)
		if err != nil || replayed || photo == nil {
			t.Fatalf("CreateReport(photo) = %v, %v, replayed %v, %v", req, photo, replayed, err)
		}
		if bDeref(req.AssetID) != bNearest(t, sql, maint.KindManhole, lon, lat, 25) || bDeref(photo.TaskID) != req.ID || photo.Visible ||
			photo.UploaderRole != "resident" || photo.DistanceM == nil || *photo.DistanceM < 7.5 || *photo.DistanceM > 8.5 {
			t.Errorf("CreateReport(photo): request %+v, photo %+v; want the photo on the request, hidden, about 8 m from the manhole", req, photo)
		}
		if ps, _ := db.Photos(t.Context(), &req.ID, nil, bResident); len(ps) != 0 {
			t.Errorf("Photos(resident) of a new report = %d, want 0 until filed", len(ps))
		}
		task := bTask(t, db, req.ID, staff[maint.RoleEngineer])
		bMove(t, db, staff, task, bStep(maint.StatusFiled))
		if ps, _ := db.Photos(t.Context(), &req.ID, nil, bResident); len(ps) != 1 || ps[0].ID != photo.ID {
			t.Errorf("Photos(resident) of a filed report = %d, want its photo %d", len(ps), photo.ID)
		}
	})
	t.Run("without a photo", func(t *testing.T) {
		far, farLat := bNorth(mh[1], 2)
		in := in
		in.Lon, in.Lat = far, farLat
		c0 := counts()
		req, photo, _, err := bCreateReport(t, db, bResident, svc, in, nil, nil)
		if err != nil || photo != nil || req.Status != maint.StatusReported {
			t.Fatalf("CreateReport(no photo) = %+v, %v, %v", req, photo, err)
		}
		if c := counts(); c != [2]int{c0[0] + 1, c0[1]} {
			t.Errorf("CreateReport(no photo): tasks, photos %v → %v; want one task", c0, c)
		}
	})
	t.Run("all or nothing", func(t *testing.T) {
		np := bNewPhoto(0, 0, maint.StageReport)
		np.MediaType = "image/gif"
		c0 := counts()
		_, _, _, err := bCreateReport(t, db, bResident, svc, in, &np, nil)
		bWantCode(t, "CreateReport(bad photo)", err, maint.CodeInvalid)
		_, _, _, err = bCreateReport(t, db, bResident, svc, maint.NewRequest{ServiceCode: svc.Code, Lon: 116.4, Lat: 39.9}, nil, nil)
		bWantCode(t, "CreateReport(outside)", err, maint.CodeInvalid)
		if c := counts(); c != c0 {
			t.Errorf("refused reports wrote: tasks, photos %v → %v", c0, c)
		}
	})
	t.Run("retried", func(t *testing.T) {
		key := &maint.Idempotency{Scope: "ip:1 POST /api/v1/reports", Key: "k-report", RequestHash: "h1"}
		np := bNewPhoto(0, 0, maint.StageReport)
		first, fp, replayed, err := bCreateReport(t, db, bResident, svc, in, &np, key)
		if err != nil || replayed {
			t.Fatalf("CreateReport(key): replayed %v, %v", replayed, err)
		}
		c0 := counts()
		np2 := np
		again, ap, replayed, err := bCreateReport(t, db, bResident, svc, in, &np2, key)
		if err != nil || !replayed || again.Ref != first.Ref || ap == nil || ap.ID != fp.ID {
			t.Errorf("CreateReport(same key) = %+v, %+v, replayed %v, %v; want %s with photo %d replayed", again, ap, replayed, err, first.Ref, fp.ID)
		}
		other := *key
		other.RequestHash = "h2"
		_, _, _, err = bCreateReport(t, db, bResident, svc, in, nil, &other)
		bWantCode(t, "CreateReport(same key, other request)", err, maint.CodeUnprocessable)
		if c := counts(); c != c0 {
			t.Errorf("retries wrote: tasks, photos %v → %v", c0, c)
		}
	})
}
