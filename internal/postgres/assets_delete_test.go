package postgres_test

import (
	"encoding/json"
	"strings"
	"testing"

	"inframap/internal/maint"
	"inframap/internal/postgres/pgtest"
)

// TestDeleteAsset deletes an asset nothing refers to, audited with what it
// was, and refuses a stale version and an asset that has tasks.
func TestDeleteAsset(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	ctx := t.Context()
	sql := pgtest.SQL(t, db)
	p1, _, _, _ := aZonePoints(t, db)
	a, err := db.CreateAsset(ctx, aStaff, "", aNewAsset(t, maint.KindManhole, "2201060101999201", "待删", p1, aManholeAttrs()))
	if err != nil {
		t.Fatal(err)
	}
	var withTasks int64
	var version int
	if err := sql.QueryRow(ctx, `SELECT a.id, a.version FROM assets a WHERE EXISTS (SELECT 1 FROM tasks t WHERE t.asset_id = a.id) LIMIT 1`).Scan(&withTasks, &version); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		id      int64
		version int
		code    maint.Code
		text    string
	}{
		{"stale version", a.ID, 2, maint.CodePreconditionFailed, "now version 1"},
		{"with tasks", withTasks, version, maint.CodeConflict, "tasks"},
		{"no such asset", 99999999, 1, maint.CodeNotFound, ""},
	} {
		err := db.DeleteAsset(ctx, aStaff, "", c.id, c.version)
		if maint.ErrorCode(err) != c.code || !strings.Contains(errString(err), c.text) {
			t.Errorf("%s: DeleteAsset(%d, v%d) = %v, want %s naming %q", c.name, c.id, c.version, err, c.code, c.text)
		}
	}
	if n := len(aAudit(t, db, "asset.deleted")); n != 0 {
		t.Fatalf("refused deletes were audited: %d", n)
	}
	if err := db.DeleteAsset(ctx, aStaff, "198.51.100.2", a.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Asset(ctx, a.ID, aStaff); maint.ErrorCode(err) != maint.CodeNotFound {
		t.Errorf("deleted asset still found: %v", err)
	}
	evs := aAudit(t, db, "asset.deleted")
	if len(evs) != 1 || evs[0].SubjectID == nil || *evs[0].SubjectID != a.ID || evs[0].IP != "198.51.100.2" {
		t.Fatalf("asset.deleted events = %+v", evs)
	}
	var details struct {
		Kind, Code, Name string
		Version          int
		Geometry         json.RawMessage
	}
	if err := json.Unmarshal(evs[0].Details, &details); err != nil {
		t.Fatal(err)
	}
	if details.Kind != "manhole" || details.Code != a.Code || details.Name != "待删" || details.Version != 1 ||
		!strings.Contains(string(details.Geometry), `"Point"`) {
		t.Errorf("audit details %s, want what the asset was", evs[0].Details)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
