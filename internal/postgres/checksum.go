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
	tx, err := db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, translate(err, "checksums")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return nil, translate(err, "checksums")
	}
	return ChecksumsTx(ctx, tx)
}

// ChecksumsTx sums the tables in the snapshot of tx.
func ChecksumsTx(ctx context.Context, tx pgx.Tx) (map[string]TableSum, error) {
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
