package postgres

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/geojson"

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
func featureColumns(q *query, crs gis.CRS, kind maint.Kind) string {
	geom := strings.NewReplacer("%[1]s", q.arg(crs.SRID), "%[2]s", q.arg(crs.LatLon)).Replace(featureGeometry)
	return `a.id, a.kind, a.code, a.name, a.name_en, a.subdistrict, a.parent_id, a.attrs::text, ` + geom +
		`, a.status, a.status_at, a.version, a.created_at, a.updated_at, ` + completedAt + registerColumns(kind)
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
	if f.Filter != nil {
		q.and(filterSQL(q, f.Filter))
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
	cols := featureColumns(&q, f.CRS, f.Kind)
	featureFilter(&q, f)
	sql := "SELECT " + cols + assetsFrom(f.Kind) + q.whereClause() +
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
	rows, err := db.readFrom(ctx).pool.Query(ctx, sql, args...)
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
	err := db.readFrom(ctx).pool.QueryRow(ctx, sql, args...).Scan(&n)
	return n, translate(err, "count features of %s", f.Kind)
}

// Feature returns one feature of a collection, its geometry in crs.
func (db *DB) Feature(ctx context.Context, kind maint.Kind, id int64, crs gis.CRS) (*maint.Asset, error) {
	var q query
	cols := featureColumns(&q, crs, kind)
	sql := "SELECT " + cols + assetsFrom(kind) + " WHERE a.id = " + q.arg(id) + " AND a.kind = " + q.arg(string(kind))
	var a maint.Asset
	if err := scanAsset(db.readFrom(ctx).pool.QueryRow(ctx, sql, q.args...), &a); err != nil {
		return nil, translate(err, "feature %d of %s", id, kind)
	}
	return &a, nil
}

// Extents returns the extent of each kind that has assets, in Kinds order.
func (db *DB) Extents(ctx context.Context) ([]maint.Extent, error) {
	rows, err := db.readFrom(ctx).pool.Query(ctx, `
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
	return attributeKeys(ctx, db.readFrom(ctx).pool, kinds)
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

// AttributeTypes returns the attributes of kind's assets with the JSON type
// most of their values have (ties to the type named first in JSON order:
// string, number, boolean); attributes holding only objects, arrays or
// nulls are left out.
func (db *DB) AttributeTypes(ctx context.Context, kind maint.Kind) ([]maint.AttributeType, error) {
	rows, err := db.readFrom(ctx).pool.Query(ctx, `
		SELECT DISTINCT ON (key) key, typ
		FROM (SELECT e.key, jsonb_typeof(e.value) AS typ, count(*) AS n
		      FROM assets a, jsonb_each(a.attrs) e
		      WHERE a.kind = $1 AND jsonb_typeof(e.value) IN ('string', 'number', 'boolean')
		      GROUP BY 1, 2) t
		ORDER BY key, n DESC, typ DESC`, string(kind))
	if err != nil {
		return nil, translate(err, "attribute types of %s", kind)
	}
	types, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.AttributeType, error) {
		var t maint.AttributeType
		err := row.Scan(&t.Name, &t.Type)
		return t, err
	})
	return types, translate(err, "attribute types of %s", kind)
}

// filterColumns are the asset's own columns a filter may name; the
// queryables of internal/ogcapi are these and the kind's attributes.
var filterColumns = map[string]string{
	"id": "a.id::float8", "code": "a.code", "name": "a.name", "name_en": "a.name_en",
	"subdistrict": "a.subdistrict", "status": "a.status::text", "status_at": "a.status_at", "geometry": "a.geom",
	"pci": "a.pci::float8", "condition_grade": "a.condition_grade", "condition_score": "a.condition_score::float8",
	// A cover's register (queryables of the manhole collection alone).
	"owner_unit": coverOwnerUnit, "anti_fall_net": coverAntiFallNet, "last_inspected_on": coverInspectedOn,
}

// filterSQL translates a checked filter to a condition. Values are always
// parameters; a column comes from filterColumns, an attribute's name is a
// parameter too. An attribute is read with its queryable's type, and a
// value of another JSON type reads as NULL, so a stray value never makes
// the statement fail.
func filterSQL(q *query, f *maint.Filter) string {
	switch f.Op {
	case maint.FAnd, maint.FOr:
		parts := make([]string, len(f.Args))
		for i, a := range f.Args {
			parts[i] = filterSQL(q, a)
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(string(f.Op))+" ") + ")"
	case maint.FNot:
		return "(NOT " + filterSQL(q, f.Args[0]) + ")"
	case maint.FTrue:
		return "TRUE"
	case maint.FFalse:
		return "FALSE"
	}
	if f.Op == maint.FIsNull && f.Prop.Attr {
		return "(NULLIF(a.attrs -> " + q.arg(f.Prop.Name) + "::text, 'null'::jsonb) IS NULL)"
	}
	col := filterColumn(q, f.Prop)
	switch f.Op {
	case maint.FIsNull:
		return "(" + col + " IS NULL)"
	case maint.FLike:
		return "(" + col + " LIKE " + q.arg(f.Values[0]) + ")"
	case maint.FBetween:
		return "(" + col + " BETWEEN " + q.arg(f.Values[0]) + "::float8 AND " + q.arg(f.Values[1]) + "::float8)"
	case maint.FIn:
		switch f.Prop.Type {
		case maint.QNumber, maint.QInteger:
			vs := make([]float64, len(f.Values))
			for i, v := range f.Values {
				vs[i] = v.(float64)
			}
			return "(" + col + " = ANY(" + q.arg(vs) + "::float8[]))"
		case maint.QBoolean:
			vs := make([]bool, len(f.Values))
			for i, v := range f.Values {
				vs[i] = v.(bool)
			}
			return "(" + col + " = ANY(" + q.arg(vs) + "::boolean[]))"
		}
		vs := make([]string, len(f.Values))
		for i, v := range f.Values {
			vs[i] = v.(string)
		}
		return "(" + col + " = ANY(" + q.arg(vs) + "::text[]))"
	case maint.FSIntersects:
		b, _ := geojson.NewGeometry(f.Geom).MarshalJSON()
		return "ST_Intersects(a.geom, ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(" + q.arg(string(b)) + "::text), " +
			q.arg(f.GeomSRID) + "::int), 4326))"
	}
	if f.Time != nil {
		return timeSQL(q, col, f.Op, f.Time)
	}
	cast := ""
	switch f.Prop.Type {
	case maint.QNumber, maint.QInteger:
		cast = "::float8"
	case maint.QBoolean:
		cast = "::boolean"
	}
	return "(" + col + " " + string(f.Op) + " " + q.arg(f.Values[0]) + cast + ")"
}

// filterColumn is the expression of a queryable.
func filterColumn(q *query, p *maint.Queryable) string {
	if !p.Attr {
		return filterColumns[p.Name]
	}
	k := q.arg(p.Name) + "::text"
	switch p.Type {
	case maint.QNumber, maint.QInteger:
		return "(CASE WHEN jsonb_typeof(a.attrs -> " + k + ") = 'number' THEN (a.attrs ->> " + k + ")::float8 END)"
	case maint.QBoolean:
		return "(CASE WHEN jsonb_typeof(a.attrs -> " + k + ") = 'boolean' THEN (a.attrs ->> " + k + ")::boolean END)"
	}
	return "(a.attrs ->> " + k + ")"
}

// timeSQL compares the instant col with a time literal that covers
// [First, Last] (a timestamp, a day, or an interval with open ends nil).
// Only the ends used become parameters.
func timeSQL(q *query, col string, op maint.FilterOp, t *maint.TimeRange) string {
	within := func(lo, hi *time.Time, strict bool) string {
		ge, le := " >= ", " <= "
		if strict {
			ge, le = " > ", " < "
		}
		var parts []string
		if lo != nil {
			parts = append(parts, col+ge+q.arg(*lo)+"::timestamptz")
		}
		if hi != nil {
			parts = append(parts, col+le+q.arg(*hi)+"::timestamptz")
		}
		if len(parts) == 0 {
			return "(" + col + " IS NOT NULL)"
		}
		return "(" + strings.Join(parts, " AND ") + ")"
	}
	switch op {
	case maint.FEq, maint.FTEquals, maint.FTIntersects:
		return within(t.First, t.Last, false)
	case maint.FNe:
		return "(NOT " + within(t.First, t.Last, false) + ")"
	case maint.FLt, maint.FTBefore:
		if t.First == nil {
			return "FALSE" // nothing lies before an interval open at its start
		}
		return within(nil, t.First, true)
	case maint.FLe:
		return within(nil, t.Last, false)
	case maint.FGt, maint.FTAfter:
		if t.Last == nil {
			return "FALSE"
		}
		return within(t.Last, nil, true)
	case maint.FGe:
		return within(t.First, nil, false)
	case maint.FTDuring:
		return within(t.First, t.Last, true)
	case maint.FTDisjoint:
		return "(" + col + " IS NOT NULL AND NOT " + within(t.First, t.Last, false) + ")"
	case maint.FTMeets, maint.FTStarts:
		// An instant meets an interval starting at it; it starts one that
		// goes on after it.
		if t.First == nil || op == maint.FTStarts && t.Last != nil && !t.Last.After(*t.First) {
			return "FALSE"
		}
		return "(" + col + " = " + q.arg(*t.First) + "::timestamptz)"
	case maint.FTMetBy, maint.FTFinishes:
		if t.Last == nil || op == maint.FTFinishes && t.First != nil && !t.Last.After(*t.First) {
			return "FALSE"
		}
		return "(" + col + " = " + q.arg(*t.Last) + "::timestamptz)"
	}
	// T_CONTAINS, T_OVERLAPS, T_OVERLAPPEDBY, T_STARTEDBY and T_FINISHEDBY
	// never hold for an instant.
	return "FALSE"
}
