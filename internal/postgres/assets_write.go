package postgres

import (
	"context"
	"encoding/json"
	"maps"

	"github.com/jackc/pgx/v5"

	"inframap/gis"
	"inframap/internal/maint"
)

// encodeGeometry encodes a domain geometry as EWKB (SRID 4326) for PostGIS;
// nil stays nil.
func encodeGeometry(field string, g gis.Geometry) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	b, err := gis.EncodeEWKB(g)
	if err != nil {
		return nil, maint.Invalid(field, "%s", err.Error())
	}
	return b, nil
}

// geometryType is the GeoJSON type of g, "" for none.
func geometryType(g gis.Geometry) string {
	if g == nil {
		return ""
	}
	return g.GeoJSONType()
}

// checkGeometry has PostGIS judge a geometry: valid in the OGC sense, and
// inside the district when the check is on and a district is loaded. A
// geometry outside whose swapped coordinates lie inside is named as swapped.
func (db *DB) checkGeometry(ctx context.Context, tx pgx.Tx, field string, ewkb []byte) error {
	var valid bool
	var reason string
	var inside, swappedInside *bool
	err := tx.QueryRow(ctx, `
		WITH g AS (SELECT ST_GeomFromEWKB($1) AS geom),
		     d AS (SELECT ST_Union(geom) AS geom FROM areas WHERE kind = 'district')
		SELECT ST_IsValid(g.geom), ST_IsValidReason(g.geom),
		       CASE WHEN d.geom IS NOT NULL THEN ST_CoveredBy(g.geom, d.geom) END,
		       CASE WHEN d.geom IS NOT NULL THEN ST_CoveredBy(ST_FlipCoordinates(g.geom), d.geom) END
		FROM g, d`, ewkb).Scan(&valid, &reason, &inside, &swappedInside)
	if err != nil {
		return translate(err, "check geometry")
	}
	if !valid {
		return maint.InvalidAs(field, "geometry_invalid", maint.Params{"reason": reason}, "the geometry is not valid: %s", reason)
	}
	if db.checkBoundary && inside != nil && !*inside {
		if swappedInside != nil && *swappedInside {
			return maint.InvalidAs(field, "geometry_swapped", nil, "the geometry lies outside the district, but with latitude and longitude swapped it lies inside: GeoJSON puts longitude first ([lon, lat])")
		}
		return maint.InvalidAs(field, "geometry_outside", nil, "the geometry lies outside the district boundary")
	}
	return nil
}

// checkParent makes sure a parking space sits in a parking lot, and that
// only parking spaces have a parent.
func checkParent(ctx context.Context, tx pgx.Tx, kind maint.Kind, parent *int64) error {
	if kind != maint.KindParkingSpace {
		if parent != nil {
			return maint.InvalidAs("parent_id", "parent_not_allowed", nil, "only parking spaces belong to a parent (their lot)")
		}
		return nil
	}
	if parent == nil {
		return maint.InvalidAs("parent_id", "parent_required", nil, "a parking space needs its lot (parent_id)")
	}
	var pk string
	if err := tx.QueryRow(ctx, `SELECT kind FROM assets WHERE id = $1`, *parent).Scan(&pk); err != nil {
		if maint.ErrorCode(translate(err, "")) == maint.CodeNotFound {
			return maint.InvalidAs("parent_id", "parent_missing", maint.Params{"id": *parent}, "asset %d does not exist", *parent)
		}
		return translate(err, "parent")
	}
	if maint.Kind(pk) != maint.KindParkingLot {
		return maint.InvalidAs("parent_id", "parent_not_lot", maint.Params{"id": *parent, "kind": string(pk)}, "asset %d is a %s, not a parking lot", *parent, pk)
	}
	return nil
}

// CreateAsset stores a new asset, audited. Its sub-district is that of the
// zone it lies in.
func (db *DB) CreateAsset(ctx context.Context, v maint.Viewer, ip string, in maint.NewAsset) (*maint.Asset, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "create asset")
	}
	defer tx.Rollback(ctx)
	if !in.Kind.AllowsGeometry(geometryType(in.Geometry)) {
		return nil, maint.InvalidAs("geometry", "geometry_type", maint.Params{"kind": string(in.Kind), "types": in.Kind.GeometryTypes(), "got": geometryType(in.Geometry)}, "a %s has a %v geometry, not %s", in.Kind, in.Kind.GeometryTypes(), geometryType(in.Geometry))
	}
	g, err := encodeGeometry("geometry", in.Geometry)
	if err != nil {
		return nil, err
	}
	if err := db.checkGeometry(ctx, tx, "geometry", g); err != nil {
		return nil, err
	}
	if err := checkParent(ctx, tx, in.Kind, in.ParentID); err != nil {
		return nil, err
	}
	attrs, err := json.Marshal(orEmpty(in.Attrs))
	if err != nil {
		return nil, err
	}
	var id int64
	err = tx.QueryRow(ctx, `
		INSERT INTO assets (kind, code, name, name_en, parent_id, attrs, geom, subdistrict)
		SELECT $1, $2, $3, $4, $5, $6, g, subdistrict_of(g) FROM ST_GeomFromEWKB($7) AS g
		RETURNING id`, string(in.Kind), in.Code, in.Name, in.NameEn, in.ParentID, attrs, g).Scan(&id)
	if err != nil {
		err = translate(err, "create asset")
		if maint.ErrorCode(err) == maint.CodeConflict {
			return nil, maint.InvalidAs("code", "code_taken", maint.Params{"code": in.Code}, "an asset with code %q already exists", in.Code).WithCode(maint.CodeConflict)
		}
		return nil, err
	}
	if err := audit(ctx, tx, v, ip, "asset.created", "asset", &id, map[string]any{"kind": in.Kind, "code": in.Code, "name": in.Name}); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "create asset")
	}
	db.changed(ctx)
	return db.Asset(ctx, id, v)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// PatchAsset changes an asset under If-Match, audited with what changed.
func (db *DB) PatchAsset(ctx context.Context, v maint.Viewer, ip string, id int64, version int, p maint.AssetPatch) (*maint.Asset, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "update asset")
	}
	defer tx.Rollback(ctx)
	var cur maint.Asset
	sql := "SELECT " + replaceCut(replaceCut(assetColumnsOf(), "a.status"), "a.status_at") + assetsFrom() + " WHERE a.id = $1 FOR UPDATE OF a"
	if err := scanAsset(tx.QueryRow(ctx, sql, id), &cur); err != nil {
		return nil, translate(err, "asset %d", id)
	}
	if cur.Version != version {
		e := maint.Errorf(maint.CodePreconditionFailed, "asset %d has changed since version %d (now version %d): reload it and apply your change again", id, version, cur.Version)
		e.CurrentVersion = cur.Version
		return nil, e
	}
	var attrs map[string]any
	if err := json.Unmarshal(cur.Attrs, &attrs); err != nil {
		return nil, err
	}
	merged, name, nameEn, code, changes := patchFields(&cur, attrs, p)
	if err := maint.CheckAssetFields(cur.Kind, code, name); err != nil {
		return nil, err
	}
	if err := maint.CheckAttrs(cur.Kind, code, merged); err != nil {
		return nil, err
	}
	var geom any
	if p.Geometry != nil {
		if !cur.Kind.AllowsGeometry(geometryType(p.Geometry)) {
			return nil, maint.InvalidAs("geometry", "geometry_type", maint.Params{"kind": string(cur.Kind), "types": cur.Kind.GeometryTypes(), "got": geometryType(p.Geometry)}, "a %s has a %v geometry, not %s", cur.Kind, cur.Kind.GeometryTypes(), geometryType(p.Geometry))
		}
		g, err := encodeGeometry("geometry", p.Geometry)
		if err != nil {
			return nil, err
		}
		if err := db.checkGeometry(ctx, tx, "geometry", g); err != nil {
			return nil, err
		}
		geom = g
		changes["geometry"] = map[string]any{"before": json.RawMessage(cur.Geometry)}
	}
	if len(changes) == 0 {
		return db.Asset(ctx, id, v)
	}
	a, err := json.Marshal(merged)
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `
		UPDATE assets SET name = $2, name_en = $3, code = $4, attrs = $5,
		       geom = coalesce(ST_GeomFromEWKB($6), geom),
		       subdistrict = CASE WHEN $6::bytea IS NULL THEN subdistrict ELSE subdistrict_of(ST_GeomFromEWKB($6)) END,
		       version = version + 1, updated_at = now()
		WHERE id = $1`, id, name, nameEn, code, a, geom)
	if err != nil {
		err = translate(err, "update asset %d", id)
		if maint.ErrorCode(err) == maint.CodeConflict {
			return nil, maint.InvalidAs("code", "code_taken", maint.Params{"code": code}, "an asset with code %q already exists", code).WithCode(maint.CodeConflict)
		}
		return nil, err
	}
	if err := audit(ctx, tx, v, ip, "asset.updated", "asset", &id, map[string]any{"code": code, "changes": changes}); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, translate(err, "update asset %d", id)
	}
	db.changed(ctx)
	return db.Asset(ctx, id, v)
}

// patchFields applies p's attributes and names to the asset as it stands,
// returning the results and the from → to pairs the audit records.
func patchFields(cur *maint.Asset, attrs map[string]any, p maint.AssetPatch) (merged map[string]any, name, nameEn, code string, changes map[string]any) {
	changes = map[string]any{}
	merged = maps.Clone(attrs)
	for k, val := range p.Attrs {
		old, had := attrs[k]
		if val == nil {
			delete(merged, k)
		} else {
			merged[k] = val
		}
		if had != (val != nil) || had && !sameJSON(old, val) {
			changes["properties."+k] = [2]any{old, val}
		}
	}
	name, nameEn, code = cur.Name, cur.NameEn, cur.Code
	if p.Name.Set && p.Name.V != name {
		changes["name"] = [2]any{name, p.Name.V}
		name = p.Name.V
	}
	if p.NameEn.Set && p.NameEn.V != nameEn {
		changes["name_en"] = [2]any{nameEn, p.NameEn.V}
		nameEn = p.NameEn.V
	}
	if p.Code.Set && p.Code.V != code {
		changes["code"] = [2]any{code, p.Code.V}
		code = p.Code.V
	}
	return merged, name, nameEn, code, changes
}

// sameJSON reports whether a and b are the same JSON value (an attribute read
// back from the database is a float64 where a patch may carry an int).
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// DeleteAsset removes an asset that nothing refers to, under If-Match,
// audited with what it was. An asset with tasks, photos or parking spaces
// is part of the record (the tasks' history, the evaluation, residents'
// reports), so deleting it is a conflict that names what holds it.
func (db *DB) DeleteAsset(ctx context.Context, v maint.Viewer, ip string, id int64, version int) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "delete asset %d", id)
	}
	defer tx.Rollback(ctx)
	var kind, code, name string
	var cur int
	var geom []byte
	var tasks, photos, children int
	err = tx.QueryRow(ctx, `
		SELECT a.kind, a.code, a.name, a.version, ST_AsGeoJSON(a.geom, 7, 0)::bytea,
		       (SELECT count(*) FROM tasks t WHERE t.asset_id = a.id),
		       (SELECT count(*) FROM photos p WHERE p.asset_id = a.id),
		       (SELECT count(*) FROM assets c WHERE c.parent_id = a.id)
		FROM assets a WHERE a.id = $1 FOR UPDATE`, id).Scan(&kind, &code, &name, &cur, &geom, &tasks, &photos, &children)
	if err != nil {
		return translate(err, "asset %d", id)
	}
	if cur != version {
		e := maint.Errorf(maint.CodePreconditionFailed, "asset %d has changed since version %d (now version %d): reload it before deleting it", id, version, cur)
		e.CurrentVersion = cur
		return e
	}
	if tasks+photos+children > 0 {
		return maint.Errorf(maint.CodeConflict, "asset %d (%s) cannot be deleted: it has %d tasks, %d photos and %d parking spaces, which keep their history; change the asset instead",
			id, code, tasks, photos, children)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM assets WHERE id = $1`, id); err != nil {
		return translate(err, "delete asset %d", id)
	}
	if err := audit(ctx, tx, v, ip, "asset.deleted", "asset", &id, map[string]any{
		"kind": kind, "code": code, "name": name, "version": cur, "geometry": json.RawMessage(geom)}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return translate(err, "delete asset %d", id)
	}
	db.changed(ctx)
	return nil
}
