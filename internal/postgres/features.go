package postgres

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"inframap/gis"
	"inframap/internal/maint"
)

// featureGeometry is the geometry of a feature in the requested CRS: PostGIS
// transforms and, for the latitude-first CRSs, swaps the axes. Options 0
// keeps ST_AsGeoJSON from adding a "crs" member (RFC 7946 has none; the CRS
// travels in the Content-Crs header).
const featureGeometry = `ST_AsGeoJSON(CASE WHEN %[2]s THEN ST_FlipCoordinates(ST_Transform(a.geom, %[1]s::int))
	ELSE ST_Transform(a.geom, %[1]s::int) END, 7, 0)::text`

// featureColumns are the columns of a feature, in scanAssetRaw's order.
func featureColumns(q *query, crs gis.CRS) string {
	geom := strings.NewReplacer("%[1]s", q.arg(crs.SRID), "%[2]s", q.arg(crs.LatLon)).Replace(featureGeometry)
	return `a.id, a.kind, a.code, a.name, a.name_en, a.subdistrict, a.parent_id, a.attrs::text, ` + geom +
		`, a.status, a.status_at, a.version, a.created_at, a.updated_at, ` + completedAt
}

// featureProperty maps the asset fields a property filter may name to their
// columns; every other name is looked up in the attributes.
var featureProperty = map[string]string{
	"code": "a.code", "name": "a.name", "name_en": "a.name_en", "subdistrict": "a.subdistrict",
}

// featureFilter adds the conditions of f to q. The bbox is transformed to the
// stored CRS, never the indexed column, so the GiST index answers it.
func featureFilter(q *query, f maint.FeatureQuery) {
	q.and("a.kind = " + q.arg(string(f.Kind)))
	if b := f.BBox; b != nil {
		srid := f.BBoxSRID
		if srid == 0 {
			srid = gis.SRID
		}
		q.and("ST_Intersects(a.geom, ST_Transform(ST_MakeEnvelope(" + q.arg(b.MinLon) + ", " + q.arg(b.MinLat) + ", " +
			q.arg(b.MaxLon) + ", " + q.arg(b.MaxLat) + ", " + q.arg(srid) + "::int), 4326))")
	}
	if f.HasTime && f.From != nil {
		q.and("a.status_at >= " + q.arg(*f.From))
	}
	if f.HasTime && f.To != nil {
		q.and("a.status_at <= " + q.arg(*f.To))
	}
	if len(f.Statuses) > 0 {
		q.and("a.status = ANY(" + q.arg(statusStrings(f.Statuses)) + ")")
	}
	for _, p := range f.Props {
		if col, ok := featureProperty[p.Name]; ok {
			q.and(col + " = " + q.arg(p.Value))
		} else {
			q.and("a.attrs ->> " + q.arg(p.Name) + " = " + q.arg(p.Value))
		}
	}
}

// featuresSQL is the statement of Features and its arguments.
func featuresSQL(f maint.FeatureQuery) (string, []any) {
	var q query
	cols := featureColumns(&q, f.CRS)
	featureFilter(&q, f)
	sql := "SELECT " + cols + " FROM assets a" + q.whereClause() +
		" ORDER BY a.id OFFSET " + q.arg(f.Offset) + " LIMIT " + q.arg(f.Limit)
	return sql, q.args
}

// countFeaturesSQL is the statement of CountFeatures and its arguments.
func countFeaturesSQL(f maint.FeatureQuery) (string, []any) {
	var q query
	featureFilter(&q, f)
	return "SELECT count(*) FROM assets a" + q.whereClause(), q.args
}

// Features streams the features of one collection that match f, in id
// order, to emit. Like ListAssets it reuses one Asset whose JSON columns
// point into the driver's buffer, valid only until emit returns.
func (db *DB) Features(ctx context.Context, f maint.FeatureQuery, emit func(*maint.Asset) error) error {
	sql, args := featuresSQL(f)
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return translate(err, "features of %s", f.Kind)
	}
	defer rows.Close()
	var a maint.Asset
	for rows.Next() {
		if err := scanAssetRaw(rows, &a); err != nil {
			return translate(err, "features of %s", f.Kind)
		}
		if err := emit(&a); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "features of %s", f.Kind)
}

// CountFeatures returns how many features match f, regardless of paging.
func (db *DB) CountFeatures(ctx context.Context, f maint.FeatureQuery) (int64, error) {
	sql, args := countFeaturesSQL(f)
	var n int64
	err := db.pool.QueryRow(ctx, sql, args...).Scan(&n)
	return n, translate(err, "count features of %s", f.Kind)
}

// Feature returns one feature of a collection, its geometry in crs.
func (db *DB) Feature(ctx context.Context, kind maint.Kind, id int64, crs gis.CRS) (*maint.Asset, error) {
	var q query
	cols := featureColumns(&q, crs)
	sql := "SELECT " + cols + " FROM assets a WHERE a.id = " + q.arg(id) + " AND a.kind = " + q.arg(string(kind))
	var a maint.Asset
	if err := scanAsset(db.pool.QueryRow(ctx, sql, q.args...), &a); err != nil {
		return nil, translate(err, "feature %d of %s", id, kind)
	}
	return &a, nil
}

// Extents returns the extent of each kind that has assets, in Kinds order.
func (db *DB) Extents(ctx context.Context) ([]maint.Extent, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT kind, n, ST_XMin(ext), ST_YMin(ext), ST_XMax(ext), ST_YMax(ext), first, last
		FROM (SELECT kind, count(*) AS n, ST_Extent(geom) AS ext, min(status_at) AS first, max(status_at) AS last
		      FROM assets GROUP BY kind) t`)
	if err != nil {
		return nil, translate(err, "extents")
	}
	exts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.Extent, error) {
		var e maint.Extent
		var kind string
		var b gis.BBox
		err := row.Scan(&kind, &e.Count, &b.MinLon, &b.MinLat, &b.MaxLon, &b.MaxLat, &e.First, &e.Last)
		e.Kind, e.BBox = maint.Kind(kind), &b
		return e, err
	})
	if err != nil {
		return nil, translate(err, "extents")
	}
	slices.SortFunc(exts, func(a, b maint.Extent) int {
		return slices.Index(maint.Kinds, a.Kind) - slices.Index(maint.Kinds, b.Kind)
	})
	return exts, nil
}

// AttributeKeys returns the attribute names the assets of the given kinds
// (every kind when none) carry: by kind in the order given, then by name,
// each once.
func (db *DB) AttributeKeys(ctx context.Context, kinds []maint.Kind) ([]string, error) {
	return attributeKeys(ctx, db.pool, kinds)
}

func attributeKeys(ctx context.Context, conn interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, kinds []maint.Kind) ([]string, error) {
	if len(kinds) == 0 {
		kinds = maint.Kinds
	}
	rows, err := conn.Query(ctx, `
		SELECT key FROM (SELECT DISTINCT kind, jsonb_object_keys(attrs) AS key FROM assets WHERE kind = ANY($1)) k
		GROUP BY key ORDER BY min(array_position($1, kind)), key`, maint.KindNames(kinds))
	if err != nil {
		return nil, translate(err, "attribute keys")
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return keys, translate(err, "attribute keys")
}
