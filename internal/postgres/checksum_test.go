package postgres_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

// bSums takes the checksums, failing the test on error.
func bSums(t testing.TB, db *postgres.DB) map[string]postgres.TableSum {
	t.Helper()
	s, err := db.Checksums(t.Context())
	if err != nil {
		t.Fatalf("Checksums: %v", err)
	}
	return s
}

// bSumDiff names the tables whose sums differ.
func bSumDiff(a, b map[string]postgres.TableSum) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if a[k] != b[k] {
			out = append(out, k)
		}
	}
	return out
}

// TestChecksums checks Checksums and ChecksumsTx: every table of the record,
// its row count, a sum that stays with the same rows in any physical order
// and changes with any change.
func TestChecksums(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.District)
	sql := pgtest.SQL(t, db)
	staff := bStaff(t, db)
	first := bSums(t, db)
	tables := []string{"api_keys", "api_tokens", "areas", "assets", "audit_events", "crews", "photos", "task_events", "tasks", "users"}
	if got := slices.Sorted(maps.Keys(first)); !slices.Equal(got, tables) {
		t.Fatalf("Checksums() tables = %v, want %v", got, tables)
	}
	for _, name := range tables {
		s := first[name]
		if n := bCount(t, sql, `SELECT count(*) FROM `+pgx.Identifier{name}.Sanitize()); int64(n) != s.Rows {
			t.Errorf("Checksums()[%s].Rows = %d, the table holds %d", name, s.Rows, n)
		}
		if (s.Rows == 0) != (s.MD5 == "") || s.MD5 != "" && len(s.MD5) != 32 {
			t.Errorf("Checksums()[%s] = %+v: want an md5 for rows, empty for none", name, s)
		}
	}
	if first["assets"].Rows == 0 || first["photos"].Rows != 0 {
		t.Fatalf("the district has %d assets and %d photos; want some, none", first["assets"].Rows, first["photos"].Rows)
	}

	t.Run("stable", func(t *testing.T) {
		if d := bSumDiff(first, bSums(t, db)); d != nil {
			t.Errorf("Checksums() twice differ in %v", d)
		}
	})
	t.Run("same rows, other physical order", func(t *testing.T) {
		// An update that changes no value writes new row versions at the
		// end of the table.
		if _, err := sql.Exec(t.Context(), `UPDATE crews SET active = active WHERE name IN (SELECT name FROM crews ORDER BY name LIMIT 3)`); err != nil {
			t.Fatal(err)
		}
		if d := bSumDiff(first, bSums(t, db)); d != nil {
			t.Errorf("Checksums() after rewriting rows unchanged differ in %v", d)
		}
	})
	t.Run("backup snapshot", func(t *testing.T) {
		snap, err := db.BackupSnapshot(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer snap.Close(t.Context())
		if d := bSumDiff(first, snap.Tables); d != nil {
			t.Errorf("BackupSnapshot's sums differ from Checksums in %v", d)
		}
		if snap.Name == "" || snap.SchemaVersion == 0 {
			t.Errorf("BackupSnapshot = name %q, schema version %d; want both", snap.Name, snap.SchemaVersion)
		}
		// The snapshot holds for whoever imports it (pg_dump does): a write
		// committed meanwhile is not seen there.
		bNewTask(t, db, staff[maint.RoleEngineer], bManholes(t, db, 1)[0].ID, "b: after the snapshot")
		tx, err := sql.BeginTx(t.Context(), pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(t.Context())
		if _, err := tx.Exec(t.Context(), "SET TRANSACTION SNAPSHOT '"+snap.Name+"'"); err != nil {
			t.Fatal(err)
		}
		var tasks int64
		if err := tx.QueryRow(t.Context(), `SELECT count(*) FROM tasks`).Scan(&tasks); err != nil || tasks != snap.Tables["tasks"].Rows {
			t.Errorf("tasks in the imported snapshot = %d (%v), want %d", tasks, err, snap.Tables["tasks"].Rows)
		}
		if now := bSums(t, db); now["tasks"].Rows != snap.Tables["tasks"].Rows+1 {
			t.Errorf("tasks now = %d, want the snapshot's %d + 1", now["tasks"].Rows, snap.Tables["tasks"].Rows)
		}
	})
	t.Run("changes", func(t *testing.T) {
		before := bSums(t, db)
		if err := db.SaveCrew(t.Context(), staff[maint.RoleAdmin], "", maint.Crew{Name: "b: new crew", Active: true}); err != nil {
			t.Fatal(err)
		}
		after := bSums(t, db)
		if d := bSumDiff(before, after); !slices.Equal(d, []string{"audit_events", "crews"}) {
			t.Errorf("SaveCrew changed the sums of %v, want audit_events and crews", d)
		}
		if after["crews"].Rows != before["crews"].Rows+1 {
			t.Errorf("crews rows %d → %d, want one more", before["crews"].Rows, after["crews"].Rows)
		}
		// Back to the same content: the same sum.
		if _, err := sql.Exec(t.Context(), `DELETE FROM crews WHERE name = 'b: new crew'`); err != nil {
			t.Fatal(err)
		}
		if back := bSums(t, db); back["crews"] != before["crews"] {
			t.Errorf("crews back to their rows: %+v, want %+v", back["crews"], before["crews"])
		}
		// One changed value in one row.
		if _, err := sql.Exec(t.Context(), `UPDATE assets SET name = name || '.' WHERE id = (SELECT min(id) FROM assets)`); err != nil {
			t.Fatal(err)
		}
		now := bSums(t, db)
		if now["assets"].MD5 == before["assets"].MD5 || now["assets"].Rows != before["assets"].Rows {
			t.Errorf("assets sum after renaming one: %+v, was %+v; want the same rows, another sum", now["assets"], before["assets"])
		}
	})
	t.Run("unmigrated database", func(t *testing.T) {
		sums, err := pgtest.NewDB(t, pgtest.Bare).Checksums(t.Context())
		if err != nil || len(sums) != 0 {
			t.Errorf("Checksums() without tables = %v, %v; want none, no error", sums, err)
		}
	})
}
