package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/condition"
	"inframap/internal/maint"
)

// Condition of assets (docs/condition.md). The exported functions that take
// a pgx.Tx are for other stores (the inspections) to grade assets inside
// their own transaction; the DB methods own theirs.

// RecordDistresses inserts the distresses ds on the road section assetID,
// recorded by actor (an e-mail or a name) and, when inspectionID is not nil,
// by that inspection, then recomputes the section's PCI and grade
// (RecomputeCondition with source "inspection" when an inspection recorded
// them, "distress" otherwise). Each distress is validated (kind, severity,
// extent > 0): a bad one refuses the lot with an invalid error naming it
// (ds[i].kind …) and nothing is written. An asset that is not a road section
// is refused (invalid), a missing one not found. An empty ds still recomputes,
// so an inspection that found nothing records that the section is as good as
// its present distresses say.
func RecordDistresses(ctx context.Context, tx pgx.Tx, assetID int64, ds []maint.DistressInput, inspectionID *int64, actor string) error {
	_, err := insertDistresses(ctx, tx, assetID, ds, inspectionID, actor)
	if err != nil {
		return err
	}
	source := maint.ConditionDistress
	if inspectionID != nil {
		source = maint.ConditionInspection
	}
	return RecomputeCondition(ctx, tx, assetID, source, inspectionID)
}

func insertDistresses(ctx context.Context, tx pgx.Tx, assetID int64, ds []maint.DistressInput, inspectionID *int64, actor string) ([]int64, error) {
	if _, _, err := lockRoad(ctx, tx, assetID); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(ds))
	for i, d := range ds {
		if err := checkDistress(fmt.Sprintf("distresses[%d].", i), d); err != nil {
			return nil, err
		}
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO road_distresses (asset_id, kind, severity, extent_m2, observed_at, inspection_id, recorded_by, note)
			VALUES ($1, $2, $3, $4, coalesce($5, now()), $6, $7, $8) RETURNING id`,
			assetID, d.Kind, d.Severity, d.ExtentM2, d.ObservedAt, inspectionID, actor, d.Note).Scan(&id)
		if err != nil {
			return nil, translate(err, "record distress on asset %d", assetID)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkDistress validates one distress; prefix names it in field errors.
func checkDistress(prefix string, d maint.DistressInput) error {
	if !condition.ValidKind(d.Kind) {
		return maint.InvalidAs(prefix+"kind", "distress_kind", maint.Params{"kind": d.Kind}, "distress kind %q unknown (one of %v)", d.Kind, condition.Kinds())
	}
	if !validSeverity(d.Severity) {
		return maint.InvalidAs(prefix+"severity", "distress_severity", maint.Params{"severity": d.Severity}, "severity %q unknown (light, moderate or heavy)", d.Severity)
	}
	if !(d.ExtentM2 > 0) || d.ExtentM2 > 1e9 || math.IsInf(d.ExtentM2, 0) {
		return maint.InvalidAs(prefix+"extent_m2", "distress_extent", maint.Params{"extent": d.ExtentM2}, "extent_m2 must be a positive number of square metres")
	}
	if len(d.Note) > 2000 {
		return maint.Invalid(prefix+"note", "note is longer than 2000 characters")
	}
	return nil
}

func validSeverity(s string) bool {
	for _, v := range condition.Severities {
		if string(v) == s {
			return true
		}
	}
	return false
}

// lockRoad locks the asset row and returns its road class and the area its
// distresses' densities are taken over; an asset that is not a road section
// is refused.
func lockRoad(ctx context.Context, tx pgx.Tx, assetID int64) (condition.RoadClass, float64, error) {
	var kind, attrs string
	var lengthM float64
	err := tx.QueryRow(ctx, `SELECT kind, attrs::text, ST_Length(geom::geography) FROM assets WHERE id = $1 FOR UPDATE`,
		assetID).Scan(&kind, &attrs, &lengthM)
	if err != nil {
		return "", 0, translate(err, "asset %d", assetID)
	}
	if maint.Kind(kind) != maint.KindRoadRepair {
		return "", 0, maint.InvalidAs("asset", "distress_not_road", maint.Params{"kind": kind}, "distresses are recorded on road sections, not on a %s", kind)
	}
	var a struct {
		RoadClass string   `json:"road_class"`
		LengthM   *float64 `json:"length_m"`
		WidthM    *float64 `json:"width_m"`
		AreaM2    *float64 `json:"area_m2"`
	}
	// Attributes of the wrong type are read as absent.
	_ = json.Unmarshal([]byte(attrs), &a)
	return condition.RoadClass(a.RoadClass), sectionArea(lengthM, a.LengthM, a.WidthM, a.AreaM2), nil
}

// sectionArea is the pavement area of a road section: its length (the
// length_m attribute, else the measured line) times its width_m; without a
// width, its area_m2; without either, 0 (no PCI can be computed).
func sectionArea(measured float64, lengthM, widthM, areaM2 *float64) float64 {
	l := measured
	if lengthM != nil && *lengthM > 0 {
		l = *lengthM
	}
	if widthM != nil && *widthM > 0 && l > 0 {
		return l * *widthM
	}
	if areaM2 != nil && *areaM2 > 0 {
		return *areaM2
	}
	return 0
}

// RecomputeCondition computes the PCI of the road section assetID from its
// present distresses (repaired_at IS NULL) over its area, grades it by its
// road class (attrs.road_class; local when unset), and stores both on the
// asset (pci, condition_grade, condition_at = now, version + 1, so ETags,
// cached responses and tiles renew) with one condition_history row of the
// given source ("distress", "inspection", "seed" or "import") and inspection.
// A section without distresses is 100 and grade A.
func RecomputeCondition(ctx context.Context, tx pgx.Tx, assetID int64, source string, inspectionID *int64) error {
	class, area, err := lockRoad(ctx, tx, assetID)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT kind, severity, extent_m2::float8 FROM road_distresses
		WHERE asset_id = $1 AND repaired_at IS NULL ORDER BY id`, assetID)
	if err != nil {
		return translate(err, "distresses of asset %d", assetID)
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (condition.Distress, error) {
		var d condition.Distress
		err := r.Scan(&d.Kind, &d.Severity, &d.ExtentM2)
		return d, err
	})
	if err != nil {
		return translate(err, "distresses of asset %d", assetID)
	}
	if len(ds) > 0 && area <= 0 {
		return maint.InvalidAs("asset", "road_no_area", nil, "road section %d has neither width_m nor area_m2: its PCI cannot be computed", assetID)
	}
	pci, err := condition.PCI(area, ds)
	if err != nil {
		return maint.Errorf(maint.CodeInvalid, "road section %d: %v", assetID, err)
	}
	return writeCondition(ctx, tx, assetID, &pci, condition.Grade(class, pci), source, inspectionID)
}

// SetConditionGrade stores a grade without a PCI (a manhole graded from its
// checklist by condition.ManholeGrade, or any asset graded by hand) with its
// history row, as RecomputeCondition does. grade is A–D; source as there.
func SetConditionGrade(ctx context.Context, tx pgx.Tx, assetID int64, grade, source string, inspectionID *int64) error {
	if !condition.ValidGrade(grade) {
		return maint.InvalidAs("grade", "condition_grade", maint.Params{"grade": grade}, "grade %q is not one of A, B, C, D", grade)
	}
	return writeCondition(ctx, tx, assetID, nil, grade, source, inspectionID)
}

func writeCondition(ctx context.Context, tx pgx.Tx, assetID int64, pci *float64, grade, source string, inspectionID *int64) error {
	switch source {
	case maint.ConditionDistress, maint.ConditionInspection, maint.ConditionSeed, maint.ConditionImport:
	default:
		return maint.Errorf(maint.CodeInvalid, "condition source %q unknown", source)
	}
	tag, err := tx.Exec(ctx, `UPDATE assets SET pci = $2, condition_grade = $3, condition_at = now(),
		version = version + 1, updated_at = now() WHERE id = $1`, assetID, pci, grade)
	if err != nil {
		return translate(err, "condition of asset %d", assetID)
	}
	if tag.RowsAffected() == 0 {
		return maint.Errorf(maint.CodeNotFound, "asset %d not found", assetID)
	}
	_, err = tx.Exec(ctx, `INSERT INTO condition_history (asset_id, at, pci, grade, source, inspection_id)
		VALUES ($1, now(), $2, $3, $4, $5)`, assetID, pci, grade, source, inspectionID)
	return translate(err, "condition history of asset %d", assetID)
}

const distressColumns = `id, asset_id, kind, severity, extent_m2::float8 AS extent_m2, observed_at, repaired_at,
	inspection_id, recorded_by, note, version`

func collectDistresses(rows pgx.Rows) ([]maint.Distress, error) {
	return pgx.CollectRows(rows, pgx.RowToStructByNameLax[maint.Distress])
}

// Distresses lists the distresses recorded on an asset, present and
// repaired, oldest first. A missing asset is not found.
func (db *DB) Distresses(ctx context.Context, assetID int64) ([]maint.Distress, error) {
	if err := db.assetExists(ctx, assetID); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+distressColumns+` FROM road_distresses WHERE asset_id = $1 ORDER BY id`, assetID)
	if err != nil {
		return nil, translate(err, "distresses of asset %d", assetID)
	}
	ds, err := collectDistresses(rows)
	return ds, translate(err, "distresses of asset %d", assetID)
}

func (db *DB) assetExists(ctx context.Context, assetID int64) error {
	var ok bool
	if err := db.pool.QueryRow(ctx, `SELECT true FROM assets WHERE id = $1`, assetID).Scan(&ok); err != nil {
		return translate(err, "asset %d", assetID)
	}
	return nil
}

// AddDistresses records distresses on a road section and recomputes its
// condition, in one transaction with its audit row; it returns the new records.
func (db *DB) AddDistresses(ctx context.Context, v maint.Viewer, ip string, assetID int64, ds []maint.DistressInput) ([]maint.Distress, error) {
	if len(ds) == 0 {
		return nil, maint.InvalidAs("distresses", "distress_none", nil, "no distress to record")
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "record distresses")
	}
	defer tx.Rollback(ctx)
	ids, err := insertDistresses(ctx, tx, assetID, ds, nil, v.Email)
	if err != nil {
		return nil, err
	}
	if err := RecomputeCondition(ctx, tx, assetID, maint.ConditionDistress, nil); err != nil {
		return nil, err
	}
	if err := audit(ctx, tx, v, ip, "distress.recorded", "asset", &assetID, map[string]any{"distresses": ids}); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT `+distressColumns+` FROM road_distresses WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, translate(err, "record distresses")
	}
	out, err := collectDistresses(rows)
	if err != nil {
		return nil, translate(err, "record distresses")
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "record distresses")
	}
	db.changed(ctx)
	return out, nil
}

// PatchDistress changes a distress (repaired, extent, severity, note) if it
// is still at version, and recomputes its section's condition, in one
// transaction with its audit row.
func (db *DB) PatchDistress(ctx context.Context, v maint.Viewer, ip string, assetID, id int64, version int, p maint.DistressPatch) (*maint.Distress, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "update distress")
	}
	defer tx.Rollback(ctx)
	if _, _, err := lockRoad(ctx, tx, assetID); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT `+distressColumns+` FROM road_distresses WHERE id = $1 AND asset_id = $2 FOR UPDATE`, id, assetID)
	if err != nil {
		return nil, translate(err, "distress %d", id)
	}
	cur, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByNameLax[maint.Distress])
	if err != nil {
		return nil, translate(err, "distress %d of asset %d", id, assetID)
	}
	if cur.Version != version {
		e := maint.Errorf(maint.CodePreconditionFailed, "distress %d has changed since version %d (now version %d): reload it and apply your change again", id, version, cur.Version)
		e.CurrentVersion = cur.Version
		return nil, e
	}
	next := maint.DistressInput{Kind: cur.Kind, Severity: cur.Severity, ExtentM2: cur.ExtentM2, Note: cur.Note}
	if p.ExtentM2 != nil {
		next.ExtentM2 = *p.ExtentM2
	}
	if p.Severity != nil {
		next.Severity = *p.Severity
	}
	if p.Note != nil {
		next.Note = *p.Note
	}
	if err := checkDistress("", next); err != nil {
		return nil, err
	}
	repaired := cur.RepairedAt
	if p.Repaired != nil {
		switch {
		case !*p.Repaired:
			repaired = nil
		case p.RepairedAt != nil:
			repaired = p.RepairedAt
		case repaired == nil:
			now := time.Now()
			repaired = &now
		}
	} else if p.RepairedAt != nil {
		repaired = p.RepairedAt
	}
	if repaired != nil && repaired.Before(cur.ObservedAt) {
		return nil, maint.InvalidAs("repaired_at", "distress_repaired_before", nil, "a distress cannot be repaired before it was observed")
	}
	_, err = tx.Exec(ctx, `UPDATE road_distresses SET severity = $2, extent_m2 = $3, note = $4, repaired_at = $5,
		version = version + 1 WHERE id = $1`, id, next.Severity, next.ExtentM2, next.Note, repaired)
	if err != nil {
		return nil, translate(err, "update distress %d", id)
	}
	if err := RecomputeCondition(ctx, tx, assetID, maint.ConditionDistress, nil); err != nil {
		return nil, err
	}
	if err := audit(ctx, tx, v, ip, "distress.updated", "asset", &assetID, map[string]any{"distress": id, "patch": p}); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT `+distressColumns+` FROM road_distresses WHERE id = $1`, id)
	if err != nil {
		return nil, translate(err, "distress %d", id)
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByNameLax[maint.Distress])
	if err != nil {
		return nil, translate(err, "distress %d", id)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "update distress %d", id)
	}
	db.changed(ctx)
	return &out, nil
}

// AssetCondition returns an asset's condition now and its history.
func (db *DB) AssetCondition(ctx context.Context, assetID int64) (*maint.Condition, error) {
	c := maint.Condition{AssetID: assetID, History: []maint.ConditionPoint{}}
	err := db.pool.QueryRow(ctx, `SELECT kind, coalesce(attrs->>'road_class', ''), pci::float8, condition_grade, condition_at
		FROM assets WHERE id = $1`, assetID).Scan(&c.Kind, &c.RoadClass, &c.PCI, &c.Grade, &c.At)
	if err != nil {
		return nil, translate(err, "asset %d", assetID)
	}
	rows, err := db.pool.Query(ctx, `SELECT at, pci::float8 AS pci, grade, source, inspection_id
		FROM condition_history WHERE asset_id = $1 ORDER BY at, id`, assetID)
	if err != nil {
		return nil, translate(err, "condition history of asset %d", assetID)
	}
	h, err := pgx.CollectRows(rows, pgx.RowToStructByNameLax[maint.ConditionPoint])
	if err != nil {
		return nil, translate(err, "condition history of asset %d", assetID)
	}
	c.History = append(c.History, h...)
	return &c, nil
}

// loadCondition stores a dataset's distresses and gradings (the gradings
// computed by internal/condition from those distresses) and sets each asset's
// condition to its latest grading.
func loadCondition(ctx context.Context, tx pgx.Tx, b *maint.Bulk) error {
	if len(b.Distresses) > 0 {
		i := 0
		_, err := tx.Exec(ctx, `CREATE TEMP TABLE load_distresses (asset_code text, kind text, severity text,
			extent_m2 numeric, observed_at timestamptz, repaired_at timestamptz, note text) ON COMMIT DROP`)
		if err != nil {
			return translate(err, "load distresses")
		}
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i >= len(b.Distresses) {
				return nil, nil
			}
			d := b.Distresses[i]
			i++
			return []any{d.AssetCode, d.Kind, d.Severity, d.ExtentM2, d.ObservedAt, d.RepairedAt, d.Note}, nil
		})
		if _, err := copyRows(ctx, tx, "load_distresses",
			[]string{"asset_code", "kind", "severity", "extent_m2", "observed_at", "repaired_at", "note"}, src); err != nil {
			return translate(err, "load distresses: copy")
		}
		_, err = tx.Exec(ctx, `INSERT INTO road_distresses (asset_id, kind, severity, extent_m2, observed_at, repaired_at, recorded_by, note)
			SELECT a.id, l.kind, l.severity, l.extent_m2, l.observed_at, l.repaired_at, 'seed', l.note
			FROM load_distresses l JOIN assets a ON a.code = l.asset_code ORDER BY a.id, l.observed_at`)
		if err != nil {
			return translate(err, "load distresses")
		}
	}
	if len(b.Conditions) == 0 {
		return nil
	}
	codes, ats, grades, sources := make([]string, len(b.Conditions)), make([]time.Time, len(b.Conditions)), make([]string, len(b.Conditions)), make([]string, len(b.Conditions))
	pcis := make([]*float64, len(b.Conditions))
	for i, c := range b.Conditions {
		codes[i], ats[i], pcis[i], grades[i], sources[i] = c.AssetCode, c.At, c.PCI, c.Grade, c.Source
	}
	_, err := tx.Exec(ctx, `
		WITH c AS (
		    SELECT a.id, c.at, c.pci, c.grade, c.source, c.ord
		    FROM unnest($1::text[], $2::timestamptz[], $3::numeric[], $4::text[], $5::text[]) WITH ORDINALITY
		         AS c (code, at, pci, grade, source, ord)
		    JOIN assets a ON a.code = c.code
		), h AS (
		    INSERT INTO condition_history (asset_id, at, pci, grade, source)
		    SELECT id, at, pci, grade, source FROM c ORDER BY id, at, ord
		)
		UPDATE assets a SET pci = l.pci, condition_grade = l.grade, condition_at = l.at
		FROM (SELECT DISTINCT ON (id) id, at, pci, grade FROM c ORDER BY id, at DESC, ord DESC) l
		WHERE a.id = l.id`, codes, ats, pcis, grades, sources)
	return translate(err, "load condition")
}

// workListSQL ranks the graded assets worst first by their stored score
// (assets.condition_score, kept by the triggers of migration 018): the
// deficit (100 − PCI; for an asset graded without a PCI, 0/25/45/70 for
// A/B/C/D) times its road class's weight (expressway 1.5, arterial 1.25,
// else 1), plus 5 for each open case on it (at most 4): an arterial at PCI
// 60 with a case open (50 + 5 = 55) comes before a local road at 50 (50).
// The index on the score gives the worst first without sorting a city's
// million graded covers; the open cases are counted for the page's rows only.
const workListSQL = `
	SELECT a.id, a.code, a.kind, a.name, a.name_en, a.subdistrict, coalesce(a.attrs->>'road_class', '') AS road_class,
	       a.pci::float8 AS pci, a.condition_grade, a.condition_at, asset_open_tasks(a.id)::int AS open_tasks,
	       a.condition_score::float8 AS score,
	       json_build_object('type', 'Point', 'coordinates', json_build_array(round(a.anchor_lon::numeric, 7), round(a.anchor_lat::numeric, 7)))::text AS centre
	FROM assets a
	WHERE a.condition_grade IS NOT NULL
	  AND ($1 = '' OR a.kind = $1) AND ($2 = '' OR a.subdistrict = $2) AND ($3 = '' OR a.condition_grade = $3)
	ORDER BY a.condition_score DESC, a.id
	LIMIT $4 OFFSET $5`

// WorkList returns one page of the ranked work list (workListSQL) and
// whether more follow.
func (db *DB) WorkList(ctx context.Context, f maint.WorkListFilter) ([]maint.WorkItem, bool, error) {
	rows, err := db.pool.Query(ctx, workListSQL, string(f.Kind), f.Subdistrict, f.Grade, f.Limit+1, f.Offset)
	if err != nil {
		return nil, false, translate(err, "work list")
	}
	items := []maint.WorkItem{}
	for rows.Next() {
		var w maint.WorkItem
		var centre string
		if err := rows.Scan(&w.AssetID, &w.Code, &w.Kind, &w.Name, &w.NameEn, &w.Subdistrict, &w.RoadClass,
			&w.PCI, &w.Grade, &w.ConditionAt, &w.OpenTasks, &w.Score, &centre); err != nil {
			rows.Close()
			return nil, false, translate(err, "work list")
		}
		w.Centre = json.RawMessage(centre)
		w.Rank = f.Offset + len(items) + 1
		items = append(items, w)
	}
	if err := rows.Err(); err != nil {
		return nil, false, translate(err, "work list")
	}
	more := len(items) > f.Limit
	if more {
		items = items[:f.Limit]
	}
	return items, more, nil
}
