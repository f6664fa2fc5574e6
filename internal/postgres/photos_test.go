package postgres_test

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// bAt sets where a photo was taken.
func bAt(np maint.NewPhoto, lon, lat float64) maint.NewPhoto {
	np.Lon, np.Lat, np.LocationSource = &lon, &lat, "device"
	acc := 4.5
	np.AccuracyM = &acc
	return np
}

// TestPhotosAdd checks AddPhoto: the distance from what the photo shows, the
// far-from-asset flag, and the fields kept.
func TestPhotosAdd(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	insp := staff[maint.RoleInspector]
	mh := bManholes(t, db, 2)
	task := bNewTask(t, db, staff[maint.RoleEngineer], mh[0].ID, "b: photographed")
	lon, lat := bNorth(mh[1], 40)
	located, _, err := bCreateTask(t, db, insp, maint.NewTask{Location: bPoint(lon, lat), Title: "b: located", Source: maint.SourceInspector}, nil)
	if err != nil {
		t.Fatal(err)
	}
	taken := time.Date(2024, 10, 1, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		np      maint.NewPhoto
		subject bPlace  // what the photo shows
		metres  float64 // taken this far north of the subject; <0: no location
		far     bool
	}{
		{"task, near its asset", bNewPhoto(task.ID, 0, maint.StageBefore), mh[0], 20, false},
		{"task, far from its asset", bNewPhoto(task.ID, 0, maint.StageDuring), mh[0], 120, true},
		{"task, no location", bNewPhoto(task.ID, 0, maint.StageAfter), mh[0], -1, false},
		{"asset without task", bNewPhoto(0, mh[1].ID, maint.StageBefore), mh[1], 10, false},
		{"task without asset, from its location", bNewPhoto(located.ID, 0, maint.StageReport), bPlace{Lon: lon, Lat: lat}, 70, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			np := c.np
			if c.metres >= 0 {
				plon, plat := bNorth(c.subject, c.metres)
				np = bAt(np, plon, plat)
			}
			np.TakenAt = &taken
			np.EXIF = json.RawMessage(`{"Make":"b"}`)
			p, replayed, err := bAddPhoto(t, db, insp, np, nil)
			if err != nil || replayed {
				t.Fatalf("AddPhoto(%s): replayed %v, %v", c.name, replayed, err)
			}
			if c.metres < 0 {
				if p.DistanceM != nil || p.FarFromAsset || p.Lon != nil {
					t.Errorf("AddPhoto(%s): distance %v far %v lon %v, want none", c.name, p.DistanceM, p.FarFromAsset, p.Lon)
				}
			} else if p.DistanceM == nil || math.Abs(*p.DistanceM-c.metres) > 0.01*c.metres+0.5 || p.FarFromAsset != c.far {
				t.Errorf("AddPhoto(%s): distance %v far %v, want about %.0f m, far %v (limit %.0f m)", c.name, p.DistanceM, p.FarFromAsset, c.metres, c.far, np.FarMetres)
			}
			if p.ID == 0 || p.Duplicate || p.SHA256 != np.SHA256 || p.Stage != np.Stage || p.UploaderRole != "inspector" ||
				p.Width != 640 || p.Bytes != 1234 || p.TakenAt == nil || !p.TakenAt.Equal(taken) || !p.Visible {
				t.Errorf("AddPhoto(%s) = %+v; fields not kept", c.name, p)
			}
			got, err := db.Photo(t.Context(), p.ID)
			if err != nil || got.SHA256 != p.SHA256 || got.FarFromAsset != p.FarFromAsset || (got.DistanceM == nil) != (p.DistanceM == nil) ||
				string(got.EXIF) != `{"Make": "b"}` {
				t.Errorf("Photo(%d) = %+v, %v; want what AddPhoto answered", p.ID, got, err)
			}
		})
	}
	t.Run("resident upload", func(t *testing.T) {
		p, _, err := bAddPhoto(t, db, bResident, bNewPhoto(task.ID, 0, maint.StageReport), nil)
		if err != nil || p.UploaderRole != "resident" {
			t.Errorf("AddPhoto(resident) = %v, %v; want uploader role resident", p, err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		bad := bNewPhoto(task.ID, 0, maint.StageAfter)
		bad.MediaType = "image/gif"
		_, _, err := bAddPhoto(t, db, insp, bad, nil)
		bWantCode(t, "AddPhoto(gif)", err, maint.CodeInvalid)
		_, _, err = bAddPhoto(t, db, insp, bNewPhoto(99_999_999, 0, maint.StageAfter), nil)
		e := bWantCode(t, "AddPhoto(unknown task)", err, maint.CodeInvalid)
		if !slices.Contains(bFields(e), "task_id") {
			t.Errorf("AddPhoto(unknown task): fields %v, want task_id", bFields(e))
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := db.Photo(t.Context(), 99_999_999)
		bWantCode(t, "Photo(99999999)", err, maint.CodeNotFound)
	})
}

// TestPhotosDuplicate checks that the same bytes sent again to the same task
// or asset are found, not stored twice, and elsewhere are a new photo.
func TestPhotosDuplicate(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	insp := staff[maint.RoleInspector]
	mh := bManholes(t, db, 1)[0]
	a := bNewTask(t, db, insp, mh.ID, "b: a")
	b := bNewTask(t, db, insp, mh.ID, "b: b")
	np := bNewPhoto(a.ID, 0, maint.StageBefore)
	first, _, err := bAddPhoto(t, db, insp, np, nil)
	if err != nil {
		t.Fatal(err)
	}
	again := np
	again.Stage = maint.StageDuring // another upload of the same bytes
	dup, replayed, err := bAddPhoto(t, db, insp, again, nil)
	if err != nil || replayed || !dup.Duplicate || dup.ID != first.ID || dup.Stage != maint.StageBefore {
		t.Errorf("AddPhoto(same bytes, same task) = %+v, %v; want photo %d found again (Duplicate, stage before)", dup, err, first.ID)
	}
	if ps, _ := db.Photos(t.Context(), &a.ID, nil, insp); len(ps) != 1 {
		t.Errorf("Photos(task %d) = %d after a duplicate, want 1", a.ID, len(ps))
	}
	other := np
	other.TaskID = &b.ID
	o, _, err := bAddPhoto(t, db, insp, other, nil)
	if err != nil || o.Duplicate || o.ID == first.ID {
		t.Errorf("AddPhoto(same bytes, other task) = %+v, %v; want a new photo", o, err)
	}
	onAsset := bNewPhoto(0, mh.ID, maint.StageBefore)
	onAsset.SHA256 = np.SHA256
	p1, _, err1 := bAddPhoto(t, db, insp, onAsset, nil)
	p2, _, err2 := bAddPhoto(t, db, insp, onAsset, nil)
	if err1 != nil || err2 != nil || p1.Duplicate || p1.ID == first.ID || !p2.Duplicate || p2.ID != p1.ID {
		t.Errorf("AddPhoto(same bytes, asset) twice = %+v, %+v (%v, %v); want a new photo, then it again as Duplicate", p1, p2, err1, err2)
	}
	if ok, err := db.PhotoReferenced(t.Context(), np.SHA256); !ok || err != nil {
		t.Errorf("PhotoReferenced(stored) = %v, %v; want true", ok, err)
	}
	if ok, err := db.PhotoReferenced(t.Context(), bSHA()); ok || err != nil {
		t.Errorf("PhotoReferenced(unknown) = %v, %v; want false", ok, err)
	}
}

// TestPhotosVisibility checks Photos per viewer and SetPhotoVisible with its
// reason and audit.
func TestPhotosVisibility(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	admin, eng := staff[maint.RoleAdmin], staff[maint.RoleEngineer]
	mh := bManholes(t, db, 2)
	task := bNewTask(t, db, eng, mh[0].ID, "b: seen")
	elsewhere := bNewTask(t, db, eng, mh[1].ID, "b: elsewhere")
	var ids []int64
	for i, np := range []maint.NewPhoto{
		bNewPhoto(task.ID, 0, maint.StageBefore),
		bNewPhoto(task.ID, 0, maint.StageDuring),
		bNewPhoto(0, mh[0].ID, maint.StageBefore),
		bNewPhoto(elsewhere.ID, 0, maint.StageBefore),
	} {
		np.Visible = i != 1
		p, _, err := bAddPhoto(t, db, eng, np, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	list := func(taskID, assetID *int64, v maint.Viewer) []int64 {
		t.Helper()
		ps, err := db.Photos(t.Context(), taskID, assetID, v)
		if err != nil {
			t.Fatalf("Photos: %v", err)
		}
		var out []int64
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	cases := []struct {
		name        string
		task, asset *int64
		v           maint.Viewer
		want        []int64
	}{
		{"task, staff", &task.ID, nil, eng, []int64{ids[0], ids[1]}},
		{"task, public", &task.ID, nil, bResident, []int64{ids[0]}},
		{"asset with its tasks, staff", nil, &mh[0].ID, eng, []int64{ids[0], ids[1], ids[2]}},
		{"asset with its tasks, public", nil, &mh[0].ID, bResident, []int64{ids[0], ids[2]}},
		{"other asset", nil, &mh[1].ID, bResident, []int64{ids[3]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := list(c.task, c.asset, c.v); !slices.Equal(got, c.want) {
				t.Errorf("Photos(%s) = %v, want %v", c.name, got, c.want)
			}
		})
	}

	t.Run("hide and show", func(t *testing.T) {
		p, err := db.SetPhotoVisible(t.Context(), admin, "10.0.0.9", ids[0], false, "b: shows a face")
		if err != nil || p.Visible || p.HiddenReason != "b: shows a face" {
			t.Fatalf("SetPhotoVisible(hide) = %+v, %v; want hidden with the reason", p, err)
		}
		if got := list(&task.ID, nil, bResident); len(got) != 0 {
			t.Errorf("Photos(public) after hiding = %v, want none", got)
		}
		evs, _, err := db.AuditLog(t.Context(), maint.AuditFilter{Action: "photo.visibility"})
		if err != nil || len(evs) != 1 {
			t.Fatalf("AuditLog(photo.visibility) = %d events, %v; want 1", len(evs), err)
		}
		var d map[string]any
		json.Unmarshal(evs[0].Details, &d)
		if e := evs[0]; e.SubjectType != "photo" || e.SubjectID == nil || *e.SubjectID != ids[0] || e.Actor != admin.Email ||
			e.IP != "10.0.0.9" || d["visible"] != false || d["reason"] != "b: shows a face" {
			t.Errorf("audit of the hiding = %+v (%s); want photo %d by %s from 10.0.0.9, visible false with the reason", e, e.Details, ids[0], admin.Email)
		}
		p, err = db.SetPhotoVisible(t.Context(), admin, "", ids[0], true, "b: ignored")
		if err != nil || !p.Visible || p.HiddenReason != "" {
			t.Errorf("SetPhotoVisible(show) = %+v, %v; want visible, no reason", p, err)
		}
		if got := list(&task.ID, nil, bResident); !slices.Equal(got, []int64{ids[0]}) {
			t.Errorf("Photos(public) after showing = %v, want %v", got, ids[:1])
		}
	})
	t.Run("unknown photo", func(t *testing.T) {
		before, _, _ := db.AuditLog(t.Context(), maint.AuditFilter{Action: "photo.visibility"})
		_, err := db.SetPhotoVisible(t.Context(), admin, "", 99_999_999, false, "x")
		bWantCode(t, "SetPhotoVisible(99999999)", err, maint.CodeNotFound)
		if after, _, _ := db.AuditLog(t.Context(), maint.AuditFilter{Action: "photo.visibility"}); len(after) != len(before) {
			t.Errorf("SetPhotoVisible(unknown) audited: %d → %d events", len(before), len(after))
		}
	})
}

// TestPhotosIdempotency checks AddPhoto retried with its key: the first
// answer, nothing new; the key with another request refused.
func TestPhotosIdempotency(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	insp := staff[maint.RoleInspector]
	mh := bManholes(t, db, 1)[0]
	task := bNewTask(t, db, insp, mh.ID, "b: retried upload")
	key := &maint.Idempotency{Scope: "user:9 POST photos", Key: "k-photo", RequestHash: "h1"}
	np := bNewPhoto(task.ID, 0, maint.StageBefore)
	first, replayed, err := bAddPhoto(t, db, insp, np, key)
	if err != nil || replayed {
		t.Fatalf("AddPhoto(key): replayed %v, %v", replayed, err)
	}
	again, replayed, err := bAddPhoto(t, db, insp, np, key)
	if err != nil || !replayed || again.ID != first.ID || again.SHA256 != first.SHA256 || again.Duplicate {
		t.Errorf("AddPhoto(same key) = %+v, replayed %v, %v; want photo %d replayed as first answered", again, replayed, err, first.ID)
	}
	other := *key
	other.RequestHash = "h2"
	_, _, err = bAddPhoto(t, db, insp, bNewPhoto(task.ID, 0, maint.StageAfter), &other)
	bWantCode(t, "AddPhoto(same key, other request)", err, maint.CodeUnprocessable)
	if ps, _ := db.Photos(t.Context(), &task.ID, nil, insp); len(ps) != 1 {
		t.Errorf("Photos(task) = %d after a replay and a refused key, want 1", len(ps))
	}
}
