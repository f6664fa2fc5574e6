// Package postgres holds every SQL statement of inframap: the connection
// pool, migrations, and the stores that implement the domain's services on
// PostgreSQL + PostGIS.
package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"inframap/internal/maint"
	"inframap/internal/timelimit"
	"inframap/internal/workcal"
	"inframap/migrations"
)

// Config tunes the pool and the sessions it opens.
type Config struct {
	URL string
	// MaxConns caps the pool; 0 picks 8 per core (at least 8).
	MaxConns int32
	// StatementTimeout bounds every statement; 0 means 10 s.
	StatementTimeout time.Duration
	// AllowOutsideDistrict turns off the check that new and edited
	// geometries lie inside the district boundary.
	AllowOutsideDistrict bool
	// WarnShare is the share of a time limit after which a case's light
	// turns yellow; 0 means timelimit.DefaultWarnShare (0.8).
	WarnShare float64
	// WorkingHours are the working intervals of a working day; nil means
	// workcal.DefaultHours() (08:30–12:00, 13:00–17:30).
	WorkingHours []workcal.Interval
	// Changes, when set, receives the database's change notices once
	// ListenChanges runs, and every write to assets or tasks waits, after
	// its commit, until Changes has seen it: the service's response cache
	// listens, so a client reads its own writes.
	Changes ChangeFeed
	// ReadURLs are streaming replicas of URL for reads that tolerate lag
	// (replicas.go).
	ReadURLs []string
	// ReplicaMaxLag takes a replica lagging more out of rotation; 0 means
	// 30 s. ReadAfterWriteWait is how long a read after a write waits for a
	// replica to replay it before the primary serves it; 0 means 250 ms.
	ReplicaMaxLag, ReadAfterWriteWait time.Duration
}

// DB is the connection pool and the stores built on it.
type DB struct {
	pool *pgxpool.Pool
	// render is a small pool for vector tiles whose sessions plan each
	// statement once (plan_cache_mode = force_generic_plan): the tile
	// statement took 1.3 ms to plan and 0.08 ms to run on an empty tile, and
	// PostgreSQL's own choice kept planning it afresh. Simpler statements
	// stay on Pool, where a plan can follow the values (a rare kind by its
	// index, a common one by the spatial index).
	render *pgxpool.Pool
	// cluster renders the tiles that draw a numerous kind as clusters.
	cluster *pgxpool.Pool
	// checkBoundary refuses geometries outside the district.
	checkBoundary bool
	feed          *changeBarrier // nil without a change feed
	replicas      *replicaSet    // nil without replicas
	url           string
	populous      populous
	// clock is the working calendar in force (clocks.go); warnShare the
	// share of a limit after which a light turns yellow.
	clock     atomic.Pointer[clockState]
	warnShare float64
	hours     []workcal.Interval
}

// URL is the database URL the pool was opened with.
func (db *DB) URL() string { return db.url }

// changed runs after a write to assets or tasks has committed, before the
// write returns.
func (db *DB) changed(ctx context.Context) {
	if db.feed != nil {
		db.sync(ctx)
	}
}

// renderSettings are the session settings of the render pool: the tile
// statements are planned once (plan_cache_mode), as planning took 1.3 ms,
// sixteen times the run of an empty tile.
var renderSettings = map[string]string{"plan_cache_mode": "force_generic_plan"}

// clusterSettings are those of the pool that renders tiles with clusters.
// There sorting is the planner's last resort (enable_sort): it cannot know
// how many rows a tile's envelope holds, guesses a handful, and sorted the
// 67,000 manholes of a city tile into their cells where hashing them takes
// a quarter of the time (z12: 406 → 251 ms). The plain tile statement must
// not have it: it then scans instead of sorting a handful of rows (a
// district z16 tile: 0.1 → 2 ms).
var clusterSettings = map[string]string{"plan_cache_mode": "force_generic_plan", "enable_sort": "off"}

// Open connects to PostgreSQL. The sessions it opens turn JIT and parallel
// gathers off: for the short spatial queries of a map service both cost far
// more than they save (JIT compiled for 240 ms on one large tile).
func Open(ctx context.Context, cfg Config) (*DB, error) {
	open := func(url string) (pools, error) { return openPools(ctx, url, cfg) }
	primary, err := open(cfg.URL)
	if err != nil {
		return nil, err
	}
	pool, render, cluster := primary.pool, primary.render, primary.cluster
	db := &DB{pool: pool, render: render, cluster: cluster, checkBoundary: !cfg.AllowOutsideDistrict, url: cfg.URL,
		warnShare: cfg.WarnShare, hours: cfg.WorkingHours}
	if db.warnShare <= 0 || db.warnShare >= 1 {
		db.warnShare = timelimit.DefaultWarnShare
	}
	if cfg.Changes != nil {
		db.feed = &changeBarrier{ChangeFeed: cfg.Changes, waiters: map[string]chan struct{}{}}
	}
	if len(cfg.ReadURLs) > 0 {
		if db.replicas, err = openReplicas(ctx, cfg, open); err != nil {
			primary.close()
			return nil, err
		}
	}
	return db, nil
}

// openPools opens the pools of one server (the primary or a replica).
func openPools(ctx context.Context, url string, cfg Config) (pools, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return pools{}, fmt.Errorf("database URL: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	} else if !strings.Contains(url, "pool_max_conns") {
		pc.MaxConns = max(8, int32(8*runtime.NumCPU()))
	}
	st := cfg.StatementTimeout
	if st == 0 {
		st = 10 * time.Second
	}
	rp := pc.ConnConfig.RuntimeParams
	set := func(k, v string) {
		if _, ok := rp[k]; !ok {
			rp[k] = v
		}
	}
	set("application_name", "inframap")
	set("statement_timeout", strconv.FormatInt(st.Milliseconds(), 10))
	set("idle_in_transaction_session_timeout", "60000")
	set("lock_timeout", "5000")
	set("jit", "off")
	set("max_parallel_workers_per_gather", "0")
	set("timezone", "UTC")
	pc.ConnConfig.ConnectTimeout = 5 * time.Second
	pc.HealthCheckPeriod = 5 * time.Second
	session := func(name string, settings map[string]string) *pgxpool.Config {
		c := pc.Copy()
		c.MaxConns = max(4, int32(2*runtime.NumCPU()))
		for k, v := range settings {
			c.ConnConfig.RuntimeParams[k] = v
		}
		c.ConnConfig.RuntimeParams["application_name"] = rp["application_name"] + " " + name
		return c
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return pools{}, fmt.Errorf("connect: %w", err)
	}
	render, err := pgxpool.NewWithConfig(ctx, session("render", renderSettings))
	if err != nil {
		pool.Close()
		return pools{}, fmt.Errorf("connect: %w", err)
	}
	cluster, err := pgxpool.NewWithConfig(ctx, session("cluster", clusterSettings))
	if err != nil {
		pool.Close()
		render.Close()
		return pools{}, fmt.Errorf("connect: %w", err)
	}
	return pools{pool, render, cluster}, nil
}

// PoolStat is the state of the main pool, for metrics and tests.
type PoolStat struct {
	Acquired, Idle, Total, Max      int32
	Acquires, EmptyAcquires, Cancel int64
	AcquireWait                     time.Duration
}

// PoolStat reports the main pool's state.
func (db *DB) PoolStat() PoolStat {
	s := db.pool.Stat()
	return PoolStat{Acquired: s.AcquiredConns(), Idle: s.IdleConns(), Total: s.TotalConns(), Max: s.MaxConns(),
		Acquires: s.AcquireCount(), EmptyAcquires: s.EmptyAcquireCount(), Cancel: s.CanceledAcquireCount(),
		AcquireWait: s.AcquireDuration()}
}

// Close closes the pools.
func (db *DB) Close() {
	db.pool.Close()
	db.render.Close()
	db.cluster.Close()
	if db.replicas != nil {
		db.replicas.close()
	}
}

const versionTable = "schema_version"

func newMigrator(ctx context.Context, conn *pgx.Conn) (*migrate.Migrator, error) {
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(migrations.FS, ".")
	if err != nil {
		return nil, err
	}
	if err := m.LoadMigrations(sub); err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return m, nil
}

// Migrate applies every pending migration. tern holds an advisory lock while
// it works, so several servers starting at once apply each migration once.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.migrate(ctx); err != nil {
		return err
	}
	// Tasks stored before the service kept clocks get those of their
	// histories (once; nothing to do afterwards).
	if _, err := db.EnsureClocks(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return translate(err, "migrate")
	}
	defer c.Release()
	// A migration may rewrite a table of a million rows: the service's
	// statement timeout is for requests, not for this. The session goes back
	// to the pool's settings afterwards.
	if _, err := c.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return translate(err, "migrate")
	}
	defer c.Exec(context.WithoutCancel(ctx), "RESET statement_timeout")
	m, err := newMigrator(ctx, c.Conn())
	if err != nil {
		return err
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// migrationCount is the schema version a fully migrated database has.
var migrationCount = sync.OnceValues(func() (int32, error) {
	names, err := migrate.FindMigrations(migrations.FS)
	return int32(len(names)), err
})

// Ready reports whether the database answers and every migration is applied.
func (db *DB) Ready(ctx context.Context) error {
	want, err := migrationCount()
	if err != nil {
		return err
	}
	var v int32
	var migrated bool
	if err := db.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", versionTable).Scan(&migrated); err != nil {
		return translate(err, "ready: schema version")
	}
	if !migrated {
		return maint.Errorf(maint.CodeUnavailable, "the database has no schema yet: run inframap migrate")
	}
	if err := db.pool.QueryRow(ctx, "SELECT version FROM "+versionTable).Scan(&v); err != nil {
		return translate(err, "ready: schema version")
	}
	if v != want {
		return maint.Errorf(maint.CodeUnavailable, "database schema is at version %d, want %d", v, want)
	}
	return nil
}
