package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/gis"
	"inframap/internal/maint"
)

// importTimeout bounds an import's statements instead of the pool's short
// default: the COPY lasts as long as the file takes to arrive.
const importTimeout = 15 * time.Minute

// importLockWait is how long an import waits for another to finish.
const importLockWait = time.Minute

// stagingTable holds the rows of one import for the length of its
// transaction. Rows with problems are staged too, so that the checks in
// SQL judge them as well and children find parents that are themselves at
// fault (they are reported once, on the parent). kind is empty when unknown,
// geom NULL when it could not be read.
const stagingTable = `CREATE TEMP TABLE import_rows (
	ord int NOT NULL, line int NOT NULL, feature int NOT NULL, geom_field text NOT NULL,
	kind text NOT NULL, code text NOT NULL, name text NOT NULL, name_en text NOT NULL,
	parent_code text NOT NULL, attrs jsonb NOT NULL, geom geometry, layer text NOT NULL,
	anti_fall_net boolean, last_inspected_on date
) ON COMMIT DROP`

var stagingColumns = []string{"ord", "line", "feature", "geom_field", "kind", "code", "name", "name_en", "parent_code", "attrs", "geom", "layer",
	"anti_fall_net", "last_inspected_on"}

// registerChanges says whether the register values given in row s (the
// staged row, or EXCLUDED of the upsert) change the stored register r: a
// file sets the anti-fall net, and moves the last inspection forward,
// never back (an inspection recorded since the file was made stays).
func registerChanges(s string) string {
	return `(` + s + `.anti_fall_net IS NOT NULL AND ` + s + `.anti_fall_net IS DISTINCT FROM r.anti_fall_net
	OR ` + s + `.last_inspected_on IS NOT NULL AND (r.last_inspected_on IS NULL OR ` + s + `.last_inspected_on > r.last_inspected_on))`
}

// changed says whether staged row s differs from stored asset a, whose
// parent is p. Geometries are compared at the exchange precision of seven
// decimals (as ST_AsText writes the CSV export's wkt), so that a file
// exported and imported back changes nothing.
const changed = `(a.name <> s.name OR a.name_en <> s.name_en OR a.attrs <> s.attrs
	OR coalesce(p.code, '') <> s.parent_code OR ST_AsText(a.geom, 7) <> ST_AsText(s.geom, 7))`

// ImportAssets reads a file's rows from src into a staging table with
// COPY, checks them all — the reader's checks, then PostGIS validity, the
// district boundary, duplicate codes, kinds of stored assets (which may not
// change) and parents, in SQL over the whole table — and, when no row has
// a problem, creates or updates the assets by code in the same
// transaction, audited as asset.imported. Any problem and nothing is
// written: the error is a *maint.ImportError listing them in file order.
// A dry run stops before writing and counts what would change.
func (db *DB) ImportAssets(ctx context.Context, v maint.Viewer, ip string, src maint.RowSource, opt maint.ImportOptions) (*maint.ImportResult, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "import: begin")
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
		strconv.FormatInt(importTimeout.Milliseconds(), 10), strconv.FormatInt(importLockWait.Milliseconds(), 10))
	if err != nil {
		return nil, translate(err, "import")
	}
	what := "nothing was imported"
	if opt.DryRun {
		what = "a dry run: nothing was written"
	}
	st, err := stageRows(ctx, tx, src, what)
	if err != nil {
		return nil, err
	}
	if !opt.DryRun {
		// One import at a time from here: the checks against stored assets
		// hold until the write.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('inframap.import'))"); err != nil {
			if maint.ErrorCode(translate(err, "")) == maint.CodeConflict {
				return nil, maint.Errorf(maint.CodeConflict, "another import is running; try again when it has finished")
			}
			return nil, translate(err, "import: lock")
		}
	}
	found, total, err := db.importProblems(ctx, tx)
	if err != nil {
		return nil, err
	}
	if n := st.problems.total + total; n > 0 {
		return nil, maint.NewImportError(maint.CodeUnprocessable, mergeProblems(st.problems.list, found), n, what)
	}
	res, err := classifyImport(ctx, tx)
	if err != nil {
		return nil, err
	}
	res.Rows = st.rows
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM import_rows s LEFT JOIN assets a ON a.code = s.code
		LEFT JOIN cover_register r ON r.asset_id = a.id WHERE s.kind = 'manhole' AND `+registerChanges("s")).Scan(&res.Register); err != nil {
		return nil, translate(err, "import: count register")
	}
	if opt.DryRun {
		res.DryRun = true
		return res, nil
	}
	written, err := writeImported(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := writeRegister(ctx, tx, res.Register); err != nil {
		return nil, err
	}
	// An asset created or changed by someone else since the count (the
	// lock holds imports only) shows here; the caller may try again.
	if want := res.Total.Created + res.Total.Updated; written != int64(want) {
		return nil, maint.Errorf(maint.CodeConflict, "assets changed while the file was imported (%d written, %d expected); nothing was imported: try again", written, want)
	}
	err = audit(ctx, tx, v, ip, "asset.imported", "asset", nil, map[string]any{
		"format": opt.Format, "file": opt.Name, "rows": res.Rows,
		"created": res.Total.Created, "updated": res.Total.Updated, "unchanged": res.Total.Unchanged, "kinds": res.Kinds,
		"register": res.Register,
	})
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "import: commit")
	}
	if !opt.DryRun {
		db.forgetPopulous()
		db.changed(ctx)
	}
	return res, nil
}

// stageRows copies the file's rows into a temporary staging table, with
// the reader's problems, and indexes it for the checks.
func stageRows(ctx context.Context, tx pgx.Tx, src maint.RowSource, what string) (*stager, error) {
	if _, err := tx.Exec(ctx, stagingTable); err != nil {
		return nil, translate(err, "import: staging table")
	}
	st := &stager{src: src}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"}, stagingColumns, pgx.CopyFromFunc(st.next)); err != nil {
		return nil, translate(err, "import: copy")
	}
	if st.fatal != nil {
		var ie *maint.ImportError
		if errors.As(st.fatal, &ie) {
			return nil, maint.NewImportError(ie.Err.Code, append(st.problems.list, ie.Problems...), st.problems.total+ie.Total, what)
		}
		return nil, fmt.Errorf("import: read the file: %w", st.fatal)
	}
	// Temporary tables are never analyzed by autovacuum; the checks join
	// on code.
	if _, err := tx.Exec(ctx, "CREATE INDEX ON import_rows (code); ANALYZE import_rows"); err != nil {
		return nil, translate(err, "import: index the staging table")
	}
	return st, nil
}

// writeImported creates or updates the staged assets by code, lots before
// their bays so that a bay finds a lot of the same file, and counts the
// rows written.
func writeImported(ctx context.Context, tx pgx.Tx) (int64, error) {
	var written int64
	for _, parents := range []bool{true, false} {
		tag, err := tx.Exec(ctx, `
			INSERT INTO assets (kind, code, name, name_en, subdistrict, parent_id, attrs, geom)
			SELECT s.kind, s.code, s.name, s.name_en, subdistrict_of(s.geom), np.id, s.attrs, s.geom
			FROM import_rows s
			LEFT JOIN assets a ON a.code = s.code
			LEFT JOIN assets p ON p.id = a.parent_id
			LEFT JOIN assets np ON np.code = NULLIF(s.parent_code, '')
			WHERE (s.parent_code = '') = $1 AND (a.id IS NULL OR `+changed+`)
			ORDER BY s.ord
			ON CONFLICT (code) DO UPDATE SET
				name = EXCLUDED.name, name_en = EXCLUDED.name_en, attrs = EXCLUDED.attrs, parent_id = EXCLUDED.parent_id,
				geom = CASE WHEN ST_AsText(assets.geom, 7) = ST_AsText(EXCLUDED.geom, 7) THEN assets.geom ELSE EXCLUDED.geom END,
				subdistrict = CASE WHEN ST_AsText(assets.geom, 7) = ST_AsText(EXCLUDED.geom, 7) THEN assets.subdistrict ELSE EXCLUDED.subdistrict END,
				version = assets.version + 1, updated_at = now()
			WHERE assets.kind = EXCLUDED.kind`, parents)
		if err != nil {
			return 0, translate(err, "import: write assets")
		}
		written += tag.RowsAffected()
	}
	return written, nil
}

// writeRegister writes the staged covers' register values (the anti-fall
// net, the last inspection) into cover_register, after their assets, and
// checks that want covers were written.
func writeRegister(ctx context.Context, tx pgx.Tx, want int) error {
	if want == 0 {
		return nil
	}
	// The cover's version goes up with its register, which its features
	// show, so that ETags renew — once: not for a cover this import has
	// just created or changed (its updated_at is the transaction's now()).
	var n int64
	err := tx.QueryRow(ctx, `
		WITH w AS (
		INSERT INTO cover_register AS r (asset_id, anti_fall_net, last_inspected_on)
		SELECT a.id, s.anti_fall_net, s.last_inspected_on
		FROM import_rows s JOIN assets a ON a.code = s.code AND a.kind = 'manhole'
		WHERE s.kind = 'manhole' AND (s.anti_fall_net IS NOT NULL OR s.last_inspected_on IS NOT NULL)
		ON CONFLICT (asset_id) DO UPDATE SET
			anti_fall_net = coalesce(EXCLUDED.anti_fall_net, r.anti_fall_net),
			last_inspected_on = greatest(EXCLUDED.last_inspected_on, r.last_inspected_on),
			updated_at = now()
		WHERE `+registerChanges("EXCLUDED")+`
		RETURNING r.asset_id),
		bumped AS (
		UPDATE assets SET version = version + 1, updated_at = now() WHERE id IN (SELECT asset_id FROM w) AND updated_at <> now())
		SELECT count(*) FROM w`).Scan(&n)
	if err != nil {
		return translate(err, "import: write the cover register")
	}
	if n != int64(want) {
		return maint.Errorf(maint.CodeConflict, "cover registers changed while the file was imported (%d written, %d expected); nothing was imported: try again", n, want)
	}
	return nil
}

// stager feeds COPY from the file's rows, collecting their problems. A
// file that cannot be read further ends the COPY cleanly; fatal keeps why.
type stager struct {
	src      maint.RowSource
	rows     int
	problems problemList
	fatal    error
}

func (s *stager) next() ([]any, error) {
	for {
		row, err := s.src.Next()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			s.fatal = err
			return nil, nil
		}
		s.rows++
		s.problems.add(row.Problems...)
		if row.Code == "" {
			continue // nothing can refer to it
		}
		var geom any
		if row.Geometry != nil {
			b, err := gis.EncodeEWKB(row.Geometry)
			if err != nil {
				s.problems.add(row.Problem(row.Code, "geometry", err.Error()))
			} else {
				geom = b
			}
		}
		kind := ""
		if row.Kind.Valid() {
			kind = string(row.Kind)
		}
		return []any{s.rows, row.Line, row.Feature, row.GeometryField, kind, row.Code, row.Name, row.NameEn,
			row.ParentCode, string(row.AttrsJSON()), geom, row.Layer, row.Register.AntiFallNet, row.Register.LastInspectedOn}, nil
	}
}

// problemList keeps the first MaxImportProblems problems and counts all.
type problemList struct {
	list  []maint.ImportProblem
	total int
}

func (l *problemList) add(ps ...maint.ImportProblem) {
	l.total += len(ps)
	if room := maint.MaxImportProblems - len(l.list); room > 0 {
		l.list = append(l.list, ps[:min(room, len(ps))]...)
	}
}

// importProblems runs the checks that need PostGIS or the stored assets
// over the whole staging table at once, and returns the first problems in
// file order with the count of all.
func (db *DB) importProblems(ctx context.Context, tx pgx.Tx) ([]maint.ImportProblem, int, error) {
	rows, err := tx.Query(ctx, `
		WITH d AS (SELECT ST_Union(geom) AS geom FROM areas WHERE kind = 'district'),
		g AS MATERIALIZED (
			-- ST_IsValidDetail judges as ST_IsValid does, without a NOTICE per
			-- bad geometry; only a valid geometry can be tested against the
			-- boundary (CASE keeps that order).
			SELECT s.ord, s.geom, v.valid, v.reason, d.geom AS district,
			       CASE WHEN v.valid AND $1 THEN ST_CoveredBy(s.geom, d.geom) END AS inside
			FROM import_rows s CROSS JOIN d CROSS JOIN LATERAL ST_IsValidDetail(s.geom) v
			WHERE s.geom IS NOT NULL
		),
		found AS (
			SELECT ord, 0 AS rank, 'code' AS field, 'duplicate' AS problem, '' AS detail, first AS other
			FROM (SELECT ord, first_value(ord) OVER (PARTITION BY code ORDER BY ord) AS first FROM import_rows) x
			WHERE ord <> first
			UNION ALL
			SELECT s.ord, 1, 'kind', 'kind', a.kind, NULL
			FROM import_rows s JOIN assets a ON a.code = s.code
			WHERE s.kind <> '' AND a.kind <> s.kind
			UNION ALL
			SELECT ord, 2, 'geometry', 'invalid', reason, NULL FROM g WHERE NOT valid
			UNION ALL
			SELECT ord, 3, 'geometry', CASE WHEN ST_CoveredBy(ST_FlipCoordinates(geom), district) THEN 'swapped' ELSE 'outside' END, '', NULL
			FROM g WHERE NOT inside
			UNION ALL
			-- A bay's lot is in the file or stored; a parent that is itself
			-- at fault (kind '') is reported on its own row.
			SELECT s.ord, 4, 'parent_code', CASE WHEN p.kind IS NULL THEN 'no_parent' ELSE 'parent_kind' END, coalesce(p.kind, ''), NULL
			FROM import_rows s LEFT JOIN LATERAL (
				SELECT x.kind FROM (
					SELECT f.kind, 0 AS pri FROM import_rows f WHERE f.code = s.parent_code
					UNION ALL
					SELECT a.kind, 1 FROM assets a WHERE a.code = s.parent_code) x
				ORDER BY x.pri LIMIT 1) p ON true
			WHERE s.kind = 'parking_space' AND s.parent_code <> ''
			  AND p.kind IS DISTINCT FROM 'parking_lot' AND p.kind IS DISTINCT FROM ''
		)
		SELECT r.line, r.feature, r.geom_field, r.code, r.parent_code, f.field, f.problem, f.detail,
		       coalesce(o.line, 0), coalesce(o.feature, 0), r.layer, coalesce(o.layer, ''), r.ord, count(*) OVER ()
		FROM found f JOIN import_rows r ON r.ord = f.ord LEFT JOIN import_rows o ON o.ord = f.other
		ORDER BY f.ord, f.rank
		LIMIT $2`, db.checkBoundary, maint.MaxImportProblems)
	if err != nil {
		return nil, 0, translate(err, "import: check")
	}
	total := 0
	problems, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.ImportProblem, error) {
		var ref, other maint.RowRef
		var code, parent, field, problem, detail string
		var ord int
		err := row.Scan(&ref.Line, &ref.Feature, &ref.GeometryField, &code, &parent, &field, &problem, &detail,
			&other.Line, &other.Feature, &ref.Layer, &other.Layer, &ord, &total)
		if ref.Layer != "" {
			ref.Seq = ord
		}
		return ref.Problem(code, field, importMessage(ref, code, parent, problem, detail, other)), err
	})
	if err != nil {
		return nil, 0, translate(err, "import: check")
	}
	return problems, total, nil
}

// importMessage says what a problem found in SQL is.
func importMessage(ref maint.RowRef, code, parent, problem, detail string, other maint.RowRef) string {
	switch problem {
	case "duplicate":
		return fmt.Sprintf("code %s is in the file twice: first at %s", code, other)
	case "kind":
		return fmt.Sprintf("asset %s is a %s; an import may not change an asset's kind", code, detail)
	case "invalid":
		return "the geometry is not valid: " + detail
	case "outside":
		return "the geometry lies outside the district boundary"
	case "swapped":
		how := "GeoJSON puts longitude first: [lon, lat]"
		switch ref.GeometryField {
		case "lon/lat":
			how = "lon is the east–west coordinate, lat the north–south one"
		case "wkt":
			how = "WKT puts longitude first: POINT(lon lat)"
		}
		if ref.Layer != "" {
			how = "the layer's coordinates are latitude first, or its coordinate system is not the one the file (or crs=) names"
		}
		return "the geometry lies outside the district, but with latitude and longitude swapped it lies inside: " + how
	case "no_parent":
		return fmt.Sprintf("no parking lot has code %q, in the file or stored", parent)
	case "parent_kind":
		return fmt.Sprintf("asset %s is a %s, not a parking lot", parent, detail)
	}
	return problem
}

// mergeProblems merges two lists in file order; a's come first on a row.
func mergeProblems(a, b []maint.ImportProblem) []maint.ImportProblem {
	pos := func(p maint.ImportProblem) int {
		if p.Seq > 0 { // a file of layers
			return p.Seq
		}
		return p.Line + p.Feature
	}
	out := make([]maint.ImportProblem, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || len(a) > 0 && pos(a[0]) <= pos(b[0]) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// classifyImport counts by kind the staged rows that would create an
// asset, change one, or leave one as it is.
func classifyImport(ctx context.Context, tx pgx.Tx) (*maint.ImportResult, error) {
	rows, err := tx.Query(ctx, `
		SELECT s.kind,
		       count(*) FILTER (WHERE a.id IS NULL),
		       count(*) FILTER (WHERE a.id IS NOT NULL AND `+changed+`),
		       count(*) FILTER (WHERE a.id IS NOT NULL AND NOT `+changed+`)
		FROM import_rows s
		LEFT JOIN assets a ON a.code = s.code
		LEFT JOIN assets p ON p.id = a.parent_id
		GROUP BY s.kind`)
	if err != nil {
		return nil, translate(err, "import: count")
	}
	res := &maint.ImportResult{Kinds: map[maint.Kind]maint.ImportCounts{}}
	var kind string
	var c maint.ImportCounts
	_, err = pgx.ForEachRow(rows, []any{&kind, &c.Created, &c.Updated, &c.Unchanged}, func() error {
		res.Kinds[maint.Kind(kind)] = c
		res.Total.Add(c)
		return nil
	})
	return res, translate(err, "import: count")
}
