package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// TableSum is a table's row count and a checksum of its rows in id order.
type TableSum struct {
	Rows int64  `json:"rows"`
	MD5  string `json:"md5"`
}

// checkedTables are the tables a backup must bring back exactly.
var checkedTables = []string{"areas", "crews", "assets", "tasks", "task_events", "users", "audit_events", "api_tokens", "api_keys"}

// Checksums sums the tables that hold the service's record (rows hashed,
// in hash order, so any physical order gives the same sum), in one
// snapshot, so a restore can be compared with its backup.
func (db *DB) Checksums(ctx context.Context) (map[string]TableSum, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, translate(err, "checksums")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return nil, translate(err, "checksums")
	}
	return checksumsTx(ctx, tx)
}

// Snapshot is a read-only view of the database held open for a backup:
// pg_dump reads the same data through Name, so the dump and the checksums
// taken here agree. Close it once the dump is written.
type Snapshot struct {
	tx            pgx.Tx
	Name          string
	SchemaVersion int32
	Tables        map[string]TableSum
}

// BackupSnapshot opens a snapshot and sums its tables.
func (db *DB) BackupSnapshot(ctx context.Context) (*Snapshot, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, translate(err, "backup snapshot")
	}
	s := &Snapshot{tx: tx}
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		s.Close(ctx)
		return nil, translate(err, "backup snapshot")
	}
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot(), (SELECT version FROM "+versionTable+")").Scan(&s.Name, &s.SchemaVersion); err != nil {
		s.Close(ctx)
		return nil, translate(err, "backup snapshot")
	}
	if s.Tables, err = checksumsTx(ctx, tx); err != nil {
		s.Close(ctx)
		return nil, err
	}
	return s, nil
}

// Close ends the snapshot.
func (s *Snapshot) Close(ctx context.Context) { s.tx.Rollback(context.WithoutCancel(ctx)) }

// IsEmpty reports whether the database holds no schema of ours yet, as a
// restore needs.
func (db *DB) IsEmpty(ctx context.Context) (bool, error) {
	var used bool
	err := db.pool.QueryRow(ctx, "SELECT to_regclass('assets') IS NOT NULL OR to_regclass($1) IS NOT NULL", versionTable).Scan(&used)
	return !used, translate(err, "is empty")
}

// checksumsTx sums the tables in the snapshot of tx.
func checksumsTx(ctx context.Context, tx pgx.Tx) (map[string]TableSum, error) {
	out := map[string]TableSum{}
	for _, name := range append(checkedTables, extraCheckedTables...) {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
			return nil, translate(err, "checksums")
		}
		if !exists {
			continue
		}
		t := pgx.Identifier{name}.Sanitize()
		var s TableSum
		err := tx.QueryRow(ctx, `SELECT count(*), coalesce(md5(string_agg(md5(r::text), '' ORDER BY md5(r::text))), '') FROM `+t+` r`).Scan(&s.Rows, &s.MD5)
		if err != nil {
			return nil, translate(err, "checksum %s", name)
		}
		out[name] = s
	}
	return out, nil
}

// extraCheckedTables are tables added by later features (photos).
var extraCheckedTables = []string{"photos"}
