package postgres

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"inframap/gis"
	"inframap/internal/maint"
)

// The load harness measures each read against its ceiling: the same SQL run
// by pgbench. These build the pgbench scripts from the statements the
// service itself runs, so the two cannot drift apart.

// Pgbench is a pgbench script and what it measures.
type Pgbench struct {
	Name   string
	Script string
	// Settings are the session settings the service runs the statement
	// with, beyond those of every session.
	Settings map[string]string
}

var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// pgbenchScript turns a statement with $n parameters into a pgbench script:
// numbers become variables (so rotating values can be drawn with random()),
// everything else a literal.
func pgbenchScript(sql string, args []any, vars map[int]string) string {
	var b strings.Builder
	for i, a := range args {
		n := i + 1
		if expr, ok := vars[n]; ok {
			fmt.Fprintf(&b, "\\set p%d %s\n", n, expr)
			continue
		}
		switch v := a.(type) {
		case int, int64:
			fmt.Fprintf(&b, "\\set p%d %d\n", n, v)
		}
	}
	var lines []string
	for _, l := range strings.Split(sql, "\n") {
		if i := strings.Index(l, "--"); i >= 0 {
			l = l[:i]
		}
		lines = append(lines, l)
	}
	flat := strings.Join(strings.Fields(strings.Join(lines, "\n")), " ")
	flat = placeholder.ReplaceAllStringFunc(flat, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		a := args[n-1]
		if _, ok := vars[n]; ok {
			return ":p" + strconv.Itoa(n)
		}
		switch v := a.(type) {
		case int, int64:
			return ":p" + strconv.Itoa(n)
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			return strconv.FormatBool(v)
		case string:
			return "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case []string:
			return "'{" + strings.Join(v, ",") + "}'"
		case time.Time:
			return "'" + v.UTC().Format(time.RFC3339Nano) + "'::timestamptz"
		}
		return m
	})
	b.WriteString(flat + ";\n")
	return b.String()
}

// ViewportScript is the ceiling of GET /api/v1/assets?bbox=…&limit=1000.
func ViewportScript(b gis.BBox) Pgbench {
	sql, args, _ := listAssetsSQL(maint.AssetFilter{BBox: &b, Limit: maint.MaxLimit})
	return Pgbench{Name: "viewport", Script: pgbenchScript(sql, args, nil)}
}

// CollectionScript is the ceiling of GET /ogc/collections/{kind}/items?limit=N:
// the count and the page.
func CollectionScript(kind maint.Kind, limit int) Pgbench {
	f := maint.FeatureQuery{Kind: kind, CRS: gis.CRS84, Limit: limit}
	var q query
	cols := featureColumns(&q, f.CRS)
	featureFilter(&q, f)
	page := "SELECT " + cols + " FROM assets a" + q.whereClause() + " ORDER BY a.id OFFSET " + q.arg(0) + " LIMIT " + q.arg(limit)
	var cq query
	featureFilter(&cq, f)
	count := "SELECT count(*) FROM assets a" + cq.whereClause()
	return Pgbench{Name: "collection", Script: pgbenchScript(count, cq.args, nil) + pgbenchScript(page, q.args, nil)}
}

// TileScript is the ceiling of a vector tile of layer all at zoom z: x and
// y drawn from the given ranges (a single tile when they are one wide).
// populous says whether the data has a kind too numerous to draw one by one,
// in which case the service renders with the clustering statement.
func TileScript(populous bool, z, x0, x1, y0, y1 int) Pgbench {
	vars := tileVars(x0, x1, y0, y1)
	if !populous {
		args := []any{z, 0, 0, kindStrings(maint.Kinds), tileBuffer, tileExtent}
		return Pgbench{"tile", pgbenchScript(tilePlainSQL, args, vars), renderSettings}
	}
	args := []any{z, 0, 0, kindStrings(maint.Kinds), tileBuffer, tileExtent, TileFeatureLimit, tileGrid}
	return Pgbench{"tile", pgbenchScript(tileSQL, args, vars), clusterSettings}
}

// tileVars draws a tile's x ($2) and y ($3) from the given ranges.
func tileVars(x0, x1, y0, y1 int) map[int]string {
	return map[int]string{2: fmt.Sprintf("random(%d, %d)", x0, x1), 3: fmt.Sprintf("random(%d, %d)", y0, y1)}
}

// pgTileservSQL is the statement pg_tileserv (v1.0) runs for a tile of a
// table layer, written out for our assets table with the attributes our
// tiles carry: every feature transformed and clipped on every request, at
// most 10,000 of them, a 256-unit buffer, no clustering.
const pgTileservSQL = `
	SELECT ST_AsMVT(mvtgeom, 'assets', 4096, 'geom') FROM (
		SELECT ST_AsMVTGeom(ST_Transform(ST_Force2D(t.geom), 3857), bounds.geom_clipped, 4096, 256) AS geom,
		       t.id, t.kind, t.code, t.name, t.status
		FROM assets t, (
			SELECT ST_TileEnvelope($1, $2, $3) AS geom_clipped,
			       ST_Segmentize(ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096), (ST_XMax(ST_TileEnvelope($1, $2, $3)) - ST_XMin(ST_TileEnvelope($1, $2, $3))) / 4) AS geom
		) bounds
		WHERE ST_Intersects(t.geom, ST_Transform(bounds.geom, 4326))
		LIMIT 10000
	) mvtgeom`

// PgTileservScript is what pg_tileserv's own statement reaches for the same
// tiles as TileScript: the most pg_tileserv could serve on this data, before
// its HTTP tier takes its share.
func PgTileservScript(z, x0, x1, y0, y1 int) Pgbench {
	vars := tileVars(x0, x1, y0, y1)
	return Pgbench{"pg_tileserv", pgbenchScript(pgTileservSQL, []any{z, 0, 0}, vars), nil}
}
