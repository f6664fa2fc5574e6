package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"inframap/gis"
	"inframap/internal/maint"
	"inframap/internal/postgres"

	"github.com/paulmach/orb/maptile"
)

// Each read is measured against its ceiling: the same SQL run by pgbench.
// The statements come from internal/postgres, which builds them with the
// service's own code (they cannot drift apart); here they become pgbench
// scripts. Only pg_tileserv's statement, a peer's and never the service's,
// is written out here.

// ceiling is a pgbench script and what it measures.
type ceiling struct {
	Name   string
	Script string
	// Settings are the session settings the service runs the statement
	// with, beyond those of every session.
	Settings map[string]string
}

var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// pgbenchScript turns a statement with $n parameters into a pgbench script:
// numbers become variables (so rotating values can be drawn with random()),
// everything else a literal. vars replaces parameters by pgbench expressions.
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

// viewportCeiling is the ceiling of GET /api/v1/assets?bbox=…&limit=1000.
func viewportCeiling(b gis.BBox) ceiling {
	s := postgres.ViewportStatement(b)
	return ceiling{Name: "viewport", Script: pgbenchScript(s.SQL, s.Args, nil), Settings: s.Settings}
}

// collectionCeiling is the ceiling of GET /ogc/collections/{kind}/items?limit=N:
// the count and the page.
func collectionCeiling(kind maint.Kind, limit int) ceiling {
	c := ceiling{Name: "collection"}
	for _, s := range postgres.CollectionStatements(kind, limit) {
		c.Script += pgbenchScript(s.SQL, s.Args, nil)
	}
	return c
}

// tileCeiling is the ceiling of a vector tile of layer all at zoom z: x and
// y drawn from the given ranges (a single tile when they are one wide).
// populous says whether the service renders such a tile with the clustering
// statement (postgres.DB.TileClustered).
func tileCeiling(populous bool, z, x0, x1, y0, y1 int) ceiling {
	s := postgres.TileStatement(populous, gis.Tile{Z: maptile.Zoom(z), X: uint32(x0), Y: uint32(y0)})
	return ceiling{Name: "tile", Script: pgbenchScript(s.SQL, s.Args, tileVars(x0, x1, y0, y1)), Settings: s.Settings}
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

// pgTileservCeiling is what pg_tileserv's own statement reaches for the
// same tiles as tileCeiling: the most pg_tileserv could serve on this data,
// before its HTTP tier takes its share.
func pgTileservCeiling(z, x0, x1, y0, y1 int) ceiling {
	return ceiling{Name: "pg_tileserv", Script: pgbenchScript(pgTileservSQL, []any{z, 0, 0}, tileVars(x0, x1, y0, y1))}
}

var pgbenchTPS = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench runs p's script with conns clients for d against the database in
// socketDir and returns its transactions per second: the ceiling of the
// request whose SQL the script holds.
func pgbench(ctx context.Context, bin, workDir, socketDir, db string, p ceiling, conns int, d time.Duration) (float64, error) {
	f := filepath.Join(workDir, "ceiling.sql")
	if err := os.WriteFile(f, []byte(p.Script), 0o644); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, bin, "-n", "-f", f, "-c", strconv.Itoa(conns), "-j", "2", "-T", strconv.Itoa(int(d.Seconds())),
		"-M", "prepared", "-h", socketDir, "-U", "postgres", db)
	// The service's sessions run without JIT and parallel workers, and
	// with the settings of the pool the statement runs on.
	opts := "-c jit=off -c max_parallel_workers_per_gather=0"
	for _, k := range slices.Sorted(maps.Keys(p.Settings)) {
		opts += " -c " + k + "=" + p.Settings[k]
	}
	cmd.Env = append(os.Environ(), "PGOPTIONS="+opts)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %v: %s", err, out)
	}
	m := pgbenchTPS.FindStringSubmatch(string(out))
	if m == nil {
		return 0, fmt.Errorf("pgbench said: %s", out)
	}
	return strconv.ParseFloat(m[1], 64)
}
