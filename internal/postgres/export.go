package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"inframap/internal/maint"
)

// exportGeometry is the geometry column of each export encoding, of the
// geometry g (the stored one or its transform). Seven decimals of a degree
// are about a centimetre; three of a metre a millimetre.
func exportGeometry(enc maint.GeometryEncoding, g string, decimals int) (string, bool) {
	switch enc {
	case maint.GeometryGeoJSON:
		return fmt.Sprintf("ST_AsGeoJSON(%s, %d)::text", g, decimals), true
	case maint.GeometryWKT:
		return fmt.Sprintf("ST_AsText(%s, %d)", g, decimals), true
	case maint.GeometryEWKB:
		return fmt.Sprintf("ST_AsEWKB(%s)", g), true
	}
	return "", false
}

// exportTimeout bounds an export's statements instead of the pool's short
// default: a whole district streams to a slow client for a while.
const exportTimeout = 5 * time.Minute

// ExportAssets streams the assets of f.Kinds in one snapshot: first the
// attribute names they carry, to start, then each asset, parents before
// their children (kinds in order, then id), to emit. The Asset passed to
// emit is reused; its JSON and geometry bytes are valid only until emit
// returns.
func (db *DB) ExportAssets(ctx context.Context, f maint.ExportFilter, start func(attrKeys []string) error, emit func(*maint.ExportedAsset) error) error {
	// Kinds in their own order, so lots come before their bays.
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = maint.Kinds
	}
	kinds = slices.Clone(kinds)
	slices.SortFunc(kinds, func(a, b maint.Kind) int { return slices.Index(maint.Kinds, a) - slices.Index(maint.Kinds, b) })
	// Another system: PostGIS (PROJ) transforms each geometry as it is read.
	srid, g, decimals := 4326, "a.geom", 7
	if f.SRID != 0 && f.SRID != 4326 {
		srid, g = f.SRID, "ST_Transform(a.geom, $2::int)"
		if f.SRID != 4490 {
			decimals = 3 // metres
		}
	}
	geom, ok := exportGeometry(f.Geometry, g, decimals)
	if !ok {
		return fmt.Errorf("export: unknown geometry encoding %d", f.Geometry)
	}
	// One snapshot, so the header names every attribute the rows carry.
	tx, err := db.readFrom(ctx).pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return translate(err, "export: begin")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT set_config('statement_timeout', $1, true)", fmt.Sprint(exportTimeout.Milliseconds())); err != nil {
		return translate(err, "export")
	}
	keys, err := attributeKeys(ctx, tx, kinds)
	if err != nil {
		return err
	}
	// A cover's row carries its register (一井一档案) among its attributes:
	// owner_unit (read-only), anti_fall_net and last_inspected_on, which an
	// import reads back into cover_register.
	if slices.Contains(kinds, maint.KindManhole) {
		keys = append(slices.Clone(maint.RegisterColumns), keys...)
	}
	if err := start(keys); err != nil {
		return err
	}
	args := []any{maint.KindNames(kinds)}
	if g != "a.geom" {
		args = append(args, srid)
	}
	rows, err := tx.Query(ctx, `
		SELECT a.id, a.kind, a.code, a.name, a.name_en, a.subdistrict, a.parent_id,
		       CASE WHEN a.kind = 'manhole' THEN (a.attrs || jsonb_strip_nulls(jsonb_build_object(
		           'owner_unit', (SELECT o.unit FROM cover_owners o WHERE o.category = a.attrs->>'cover_category'),
		           'anti_fall_net', r.anti_fall_net, 'last_inspected_on', to_char(r.last_inspected_on, 'YYYY-MM-DD'))))::text
		       ELSE a.attrs::text END, `+geom+`,
		       a.status, a.status_at, a.version, a.created_at, a.updated_at, coalesce(p.code, ''),
		       CASE WHEN GeometryType(a.geom) = 'POINT' THEN ST_X(`+g+`) END,
		       CASE WHEN GeometryType(a.geom) = 'POINT' THEN ST_Y(`+g+`) END
		FROM assets a LEFT JOIN assets p ON p.id = a.parent_id
		LEFT JOIN cover_register r ON r.asset_id = a.id
		WHERE a.kind = ANY($1)
		ORDER BY array_position($1, a.kind), a.id`, args...)
	if err != nil {
		return translate(err, "export")
	}
	defer rows.Close()
	var e maint.ExportedAsset
	for rows.Next() {
		var kind string
		var status *string
		a := &e.Asset
		err := rows.Scan(&a.ID, &kind, &a.Code, &a.Name, &a.NameEn, &a.Subdistrict, &a.ParentID, (*pgtype.DriverBytes)(&a.Attrs),
			(*pgtype.DriverBytes)(&a.Geometry), &status, &a.StatusAt, &a.Version, &a.CreatedAt, &a.UpdatedAt,
			&e.ParentCode, &e.Lon, &e.Lat)
		if err != nil {
			return translate(err, "export")
		}
		a.Kind, a.Status = maint.Kind(kind), (*maint.Status)(status)
		if err := emit(&e); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "export")
}
