package postgres_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// TestAuditWrite checks Audit: one row with who, from where, what, about
// what and the details; refused actions leave nothing.
func TestAuditWrite(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	eng := staff[maint.RoleEngineer]
	subject := int64(42)
	if err := db.Audit(t.Context(), eng, "192.0.2.3", "asset.exported", "asset", &subject, map[string]any{"rows": 7, "format": "csv"}); err != nil {
		t.Fatalf("Audit: %v", err)
	}
	evs, more, err := db.AuditLog(t.Context(), maint.AuditFilter{Action: "asset.exported"})
	if err != nil || more || len(evs) != 1 {
		t.Fatalf("AuditLog(asset.exported) = %d events, more %v, %v; want 1", len(evs), more, err)
	}
	e := evs[0]
	var d map[string]any
	json.Unmarshal(e.Details, &d)
	if e.Source != "audit" || bDeref(e.ActorID) != eng.UserID || e.Actor != eng.Email || e.IP != "192.0.2.3" || e.SubjectType != "asset" ||
		bDeref(e.SubjectID) != 42 || d["rows"] != 7.0 || d["format"] != "csv" || time.Since(e.At) > time.Minute {
		t.Errorf("Audit wrote %+v (%s); want asset 42 exported by %s from 192.0.2.3 with its details", e, e.Details, eng.Email)
	}

	t.Run("anonymous, no details", func(t *testing.T) {
		if err := db.Audit(t.Context(), maint.Viewer{Email: "someone@else"}, "", "login.failed", "user", nil, nil); err != nil {
			t.Fatal(err)
		}
		evs, _, _ := db.AuditLog(t.Context(), maint.AuditFilter{Action: "login.failed"})
		if len(evs) != 1 || evs[0].ActorID != nil || evs[0].SubjectID != nil || string(evs[0].Details) != "{}" || evs[0].Actor != "someone@else" {
			t.Errorf("Audit(anonymous, nil details) wrote %+v; want no actor id, no subject, details {}", evs)
		}
	})
	t.Run("refused", func(t *testing.T) {
		before := bCount(t, sql, `SELECT count(*) FROM audit_events`)
		bWantCode(t, "Audit(action with spaces)", db.Audit(t.Context(), eng, "", "Not An Action", "", nil, nil), maint.CodeInvalid)
		err := db.Audit(t.Context(), maint.Viewer{UserID: 99_999_999, Email: "ghost"}, "", "login.failed", "", nil, nil)
		if e := bWantCode(t, "Audit(unknown actor)", err, maint.CodeInvalid); !slices.Contains(bFields(e), "actor_id") {
			t.Errorf("Audit(unknown actor): fields %v, want actor_id", bFields(e))
		}
		if n := bCount(t, sql, `SELECT count(*) FROM audit_events`); n != before {
			t.Errorf("refused audits wrote %d rows", n-before)
		}
	})
	t.Run("append-only", func(t *testing.T) {
		for _, stmt := range []string{`UPDATE audit_events SET actor = 'x'`, `DELETE FROM audit_events`, `TRUNCATE audit_events`} {
			_, err := sql.Exec(t.Context(), stmt)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42501" {
				t.Errorf("%s: %v; want the append-only trigger's error (42501)", stmt, err)
			}
		}
		if evs, _, _ := db.AuditLog(t.Context(), maint.AuditFilter{Action: "asset.exported"}); len(evs) != 1 || evs[0].Actor != eng.Email {
			t.Errorf("audit_events changed: %+v", evs)
		}
	})
}

// TestAuditLog checks the filters and the keyset paging of AuditLog, over
// task history and other audit events in one stream.
func TestAuditLog(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	staff := bStaff(t, db)
	eng, insp := staff[maint.RoleEngineer], staff[maint.RoleInspector]
	mh := bManholes(t, db, 1)[0]
	start := time.Now()

	t1 := bNewTask(t, db, eng, mh.ID, "b: audited")
	t1 = bMove(t, db, staff, t1, maint.Transition{To: maint.StatusFiled, Note: "b: file it"})
	if _, err := db.PatchTask(t.Context(), eng, t1.ID, t1.Version, maint.TaskPatch{Priority: maint.Opt[maint.Priority]{Set: true, V: maint.PriorityHigh}}); err != nil {
		t.Fatal(err)
	}
	t2 := bNewTask(t, db, insp, mh.ID, "b: other")
	if err := db.Audit(t.Context(), eng, "10.1.1.1", "task.exported", "task", &t1.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(t.Context(), insp, "10.1.1.2", "login.failed", "user", &insp.UserID, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCrew(t.Context(), staff[maint.RoleAdmin], "10.1.1.3", maint.Crew{Name: "b: crew", Active: true}); err != nil {
		t.Fatal(err)
	}

	all, more, err := db.AuditLog(t.Context(), maint.AuditFilter{From: &start, Limit: 1000})
	if err != nil || more {
		t.Fatalf("AuditLog(since the start) = more %v, %v", more, err)
	}
	var actions []string
	for _, e := range all {
		actions = append(actions, e.Action)
	}
	if want := []string{"task.created", "task.transition", "task.updated", "task.created", "task.exported", "login.failed", "crew.saved"}; !slices.Equal(actions, want) {
		t.Fatalf("AuditLog(since the start) = %v, want %v", actions, want)
	}
	tr := all[1]
	var d map[string]any
	json.Unmarshal(tr.Details, &d)
	if tr.Source != "task" || tr.SubjectType != "task" || bDeref(tr.SubjectID) != t1.ID || bDeref(tr.ActorID) != eng.UserID ||
		d["from"] != "reported" || d["to"] != "filed" || d["note"] != "b: file it" || d["internal"] != false {
		t.Errorf("the transition in the audit log: %+v (%s); want task %d reported → filed by the engineer with its note", tr, tr.Details, t1.ID)
	}
	if !strings.Contains(string(all[2].Details), `"priority": ["normal", "high"]`) {
		t.Errorf("the patch in the audit log: details %s, want the priority change", all[2].Details)
	}
	for i := 1; i < len(all); i++ {
		if all[i].At.Before(all[i-1].At) {
			t.Errorf("AuditLog not in time order at %d", i)
		}
	}

	mid := all[3].At
	cases := []struct {
		name string
		f    maint.AuditFilter
		want func(maint.AuditEvent) bool
	}{
		{"actor id", maint.AuditFilter{ActorID: &insp.UserID}, func(e maint.AuditEvent) bool { return bDeref(e.ActorID) == insp.UserID }},
		{"actor e-mail, any case", maint.AuditFilter{Actor: strings.ToUpper(eng.Email)}, func(e maint.AuditEvent) bool { return e.Actor == eng.Email }},
		{"task", maint.AuditFilter{TaskID: &t1.ID}, func(e maint.AuditEvent) bool { return e.SubjectType == "task" && bDeref(e.SubjectID) == t1.ID }},
		{"other task", maint.AuditFilter{TaskID: &t2.ID}, func(e maint.AuditEvent) bool { return e.SubjectType == "task" && bDeref(e.SubjectID) == t2.ID }},
		{"action", maint.AuditFilter{Action: "task.created"}, func(e maint.AuditEvent) bool { return e.Action == "task.created" }},
		{"to", maint.AuditFilter{To: &mid}, func(e maint.AuditEvent) bool { return e.At.Before(mid) }},
		{"actor and action", maint.AuditFilter{ActorID: &eng.UserID, Action: "task.created"}, func(e maint.AuditEvent) bool {
			return bDeref(e.ActorID) == eng.UserID && e.Action == "task.created"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []int64
			for _, e := range all {
				if c.want(e) {
					want = append(want, e.ID)
				}
			}
			f := c.f
			f.From, f.Limit = &start, 1000
			evs, _, err := db.AuditLog(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range evs {
				got = append(got, e.ID)
			}
			if len(want) == 0 || len(want) == len(all) || !slices.Equal(got, want) {
				t.Errorf("AuditLog(%s) = %v, want %v (a proper subset of %d)", c.name, got, want, len(all))
			}
		})
	}

	t.Run("paging", func(t *testing.T) {
		var got []maint.AuditEvent
		f := maint.AuditFilter{From: &start, Limit: 3}
		for page := 1; ; page++ {
			evs, more, err := db.AuditLog(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, evs...)
			if want := len(got) < len(all); more != want || len(evs) == 0 || page > 3 {
				t.Fatalf("page %d: %d events, more %v; want more %v", page, len(evs), more, want)
			}
			if !more {
				break
			}
			last := evs[len(evs)-1]
			f.After = &maint.AuditCursor{At: last.At, Source: last.Source, ID: last.ID}
		}
		if len(got) != len(all) {
			t.Fatalf("paged %d events, want %d", len(got), len(all))
		}
		for i := range all {
			if got[i].Source != all[i].Source || got[i].ID != all[i].ID {
				t.Errorf("paged event %d = %s %d, want %s %d", i, got[i].Source, got[i].ID, all[i].Source, all[i].ID)
			}
		}
	})
	t.Run("paging newest first", func(t *testing.T) {
		var got []maint.AuditEvent
		f := maint.AuditFilter{From: &start, Limit: 3, Newest: true}
		for page := 1; page <= 4; page++ {
			evs, more, err := db.AuditLog(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, evs...)
			if !more {
				break
			}
			last := evs[len(evs)-1]
			f.After = &maint.AuditCursor{At: last.At, Source: last.Source, ID: last.ID}
		}
		if len(got) != len(all) {
			t.Fatalf("paged %d events newest first, want %d", len(got), len(all))
		}
		for i := range all {
			if w := all[len(all)-1-i]; got[i].Source != w.Source || got[i].ID != w.ID {
				t.Errorf("newest-first event %d = %s %d, want %s %d", i, got[i].Source, got[i].ID, w.Source, w.ID)
			}
		}
	})
	t.Run("default limit", func(t *testing.T) {
		evs, more, err := db.AuditLog(t.Context(), maint.AuditFilter{})
		if err != nil || !more || len(evs) != maint.DefaultLimit {
			t.Errorf("AuditLog() over the district = %d, more %v, %v; want %d and more", len(evs), more, err, maint.DefaultLimit)
		}
	})
}
