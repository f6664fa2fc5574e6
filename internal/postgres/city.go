package postgres

import (
	"context"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"

	"inframap/gis"
	"inframap/internal/maint"
)

// LoadAssets streams assets into the database with COPY, straight into the
// assets table (EWKB goes through PostGIS's binary input), calling progress
// every 10,000 rows. It is the bulk path for city-scale data: one
// transaction with no statement timeout, the table's secondary indexes
// dropped during the copy and built again afterwards (a sorted build of a
// million points takes seconds; a million GiST inserts take minutes), no
// per-row trigger, sub-districts left for a later pass. Readers of assets
// wait while it runs.
func (db *DB) LoadAssets(ctx context.Context, assets iter.Seq[*maint.AssetRecord], progress func(n int)) (int64, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err, "load assets")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0; SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL synchronous_commit = off"); err != nil {
		return 0, translate(err, "load assets")
	}
	indexes, err := dropSecondaryIndexes(ctx, tx, "assets")
	if err != nil {
		return 0, err
	}
	// Rows are generated and encoded on another goroutine while this one
	// feeds COPY: on two cores the generator and PostgreSQL overlap.
	type row struct {
		vals []any
		err  error
	}
	rowsc := make(chan row, 8192)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(rowsc)
		for a := range assets {
			wkb, err := gis.EncodeEWKB(a.Geometry)
			r := row{vals: []any{string(a.Kind), a.Code, a.Name, a.NameEn, string(a.AttrsJSON()), wkb}, err: err}
			if err != nil {
				r.err = fmt.Errorf("asset %s: %w", a.Code, err)
			}
			select {
			case rowsc <- r:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	n := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		r, ok := <-rowsc
		if !ok {
			return nil, nil
		}
		if r.err != nil {
			return nil, r.err
		}
		n++
		if progress != nil && n%10000 == 0 {
			progress(n)
		}
		return r.vals, nil
	})
	copied, err := copyRows(ctx, tx, "assets", []string{"kind", "code", "name", "name_en", "attrs", "geom"}, src)
	if err != nil {
		return copied, translate(err, "load assets")
	}
	if progress != nil {
		progress(n)
	}
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, ix.Def); err != nil {
			return 0, translate(err, "load assets: rebuild %s", ix.Name)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, translate(err, "load assets")
	}
	db.forgetPopulous()
	_, err = db.pool.Exec(ctx, "ANALYZE assets")
	return copied, translate(err, "analyze")
}

// secondaryIndex is an index that no constraint owns, with its definition.
type secondaryIndex struct{ Name, Def string }

// dropSecondaryIndexes drops table's indexes that no constraint owns, for a
// bulk load to build again afterwards.
func dropSecondaryIndexes(ctx context.Context, tx pgx.Tx, table string) ([]secondaryIndex, error) {
	rows, err := tx.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename = $1
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`, table)
	if err != nil {
		return nil, translate(err, "load %s: indexes", table)
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[secondaryIndex])
	if err != nil {
		return nil, translate(err, "load %s: indexes", table)
	}
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{ix.Name}.Sanitize()); err != nil {
			return nil, translate(err, "load %s: drop %s", table, ix.Name)
		}
	}
	return indexes, nil
}

// AddCityTasks gives a share of the city's manholes (one in fifty, chosen by
// id) an open or closed case, so that statuses and filters have something
// to show at city scale.
func (db *DB) AddCityTasks(ctx context.Context) (int64, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err, "city tasks")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return 0, translate(err, "city tasks")
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO tasks (asset_id, programme, title, work_type, status, status_at, source, created_at, updated_at, closed_at)
		SELECT a.id, 'routine', '窨井病害', 'manhole_remediation',
		       (ARRAY['reported','filed','dispatched','in_progress','done','closed','closed','closed'])[1 + abs(hashint8(a.id)) % 8],
		       now() - make_interval(days => (abs(hashint8(a.id)) % 300)::int),
		       'import', now() - make_interval(days => 300), now(), NULL
		FROM assets a
		WHERE a.kind = 'manhole' AND (a.attrs->>'city')::bool AND abs(hashint8(a.id)) % 50 = 0
		  AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.asset_id = a.id)`)
	if err != nil {
		return 0, translate(err, "city tasks")
	}
	if _, err := tx.Exec(ctx, `UPDATE tasks SET closed_at = status_at WHERE status = 'closed' AND closed_at IS NULL AND source = 'import'`); err != nil {
		return 0, translate(err, "city tasks")
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO task_events (task_id, at, actor, actor_role, from_status, to_status, note)
		SELECT t.id, t.status_at, 'import', 'system', NULL, t.status, '导入'
		FROM tasks t JOIN assets a ON a.id = t.asset_id
		WHERE (a.attrs->>'city')::bool AND NOT EXISTS (SELECT 1 FROM task_events e WHERE e.task_id = t.id)`)
	if err != nil {
		return 0, translate(err, "city task history")
	}
	if _, err := db.rebuildClocks(ctx, tx); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), translate(tx.Commit(ctx), "city tasks")
}

// copyRows runs COPY from src. A row src could not make ends the COPY (the
// server reports it as cancelled): that is the data's fault, said as such,
// not a query that ran out of time.
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, src pgx.CopyFromSource) (int64, error) {
	rs := &rowSource{CopyFromSource: src}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, rs)
	if rs.err != nil {
		return n, maint.Errorf(maint.CodeInvalid, "%s", rs.err.Error())
	}
	return n, err
}

// rowSource keeps the error of the source it wraps.
type rowSource struct {
	pgx.CopyFromSource
	err error
}

func (r *rowSource) Err() error {
	r.err = r.CopyFromSource.Err()
	return r.err
}
