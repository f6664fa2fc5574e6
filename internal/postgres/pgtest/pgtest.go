// Package pgtest hands each test a database of its own on a real PostgreSQL
// + PostGIS: a throwaway cluster started by devdb, or the server named by
// INFRAMAP_TEST_DATABASE_URL. Databases are cloned from templates that hold
// the migrated schema, with or without the district dataset, so each test
// starts from the same state in a fraction of a second.
//
// A missing database is a failure, never a skip.
package pgtest

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"inframap/internal/postgres"
	"inframap/internal/postgres/devdb"
	"inframap/internal/seed"
)

// EnvURL names the variable that points tests at an existing server. The
// role must be allowed to create databases.
const EnvURL = "INFRAMAP_TEST_DATABASE_URL"

// Template names.
const (
	Bare     = "bare"     // a new database, not even migrated
	Empty    = "empty"    // migrated, no data
	District = "district" // migrated and loaded with the district dataset
)

var (
	mu       sync.Mutex
	server   string // URL of the maintenance database of the test server
	cluster  *devdb.Cluster
	prefix   = fmt.Sprintf("t%d_", os.Getpid())
	counter  atomic.Int64
	prepared = map[string]bool{}
)

// Main runs the tests of a package against a database server: it starts a
// throwaway cluster unless EnvURL is set, and stops it afterwards.
func Main(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx := context.Background()
	flag.Parse()
	if fuzzing() {
		// A fuzzing run exercises parsers only: no database to start in
		// every worker.
		return m.Run(), nil
	}
	if u := os.Getenv(EnvURL); u != "" {
		server = u
	} else {
		c, err := devdb.Temp(ctx, nil)
		if err != nil {
			return 0, fmt.Errorf("start a throwaway PostgreSQL (set %s to use an existing one): %w", EnvURL, err)
		}
		cluster = c
		defer c.Stop()
		server = c.URL("postgres")
	}
	code := m.Run()
	if cluster == nil {
		dropAll(ctx)
	}
	return code, nil
}

// fuzzing reports whether the test binary runs a fuzz target (as the
// coordinator with -run '^$', or as a worker).
func fuzzing() bool {
	worker := flag.Lookup("test.fuzzworker")
	target := flag.Lookup("test.fuzz")
	run := flag.Lookup("test.run")
	return worker != nil && worker.Value.String() == "true" ||
		target != nil && target.Value.String() != "" && run != nil && run.Value.String() == "^$"
}

// Cluster returns the throwaway cluster, or nil when EnvURL is in use.
func Cluster() *devdb.Cluster { return cluster }

// URL returns the URL of database name on the test server.
func URL(name string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func admin(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, server) }

// template makes sure the template database exists, built once per process.
func template(ctx context.Context, kind string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	name := prefix + "tmpl_" + kind
	if prepared[name] {
		return name, nil
	}
	conn, err := admin(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: URL(name), MaxConns: 2})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return "", err
	}
	if kind == District {
		ds, err := seed.District()
		if err != nil {
			return "", err
		}
		if err := db.Load(ctx, ds); err != nil {
			return "", err
		}
	}
	prepared[name] = true
	return name, nil
}

// NewURL creates a database cloned from the template kind (Empty or
// District) and returns its URL. It is dropped when the test ends.
func NewURL(t testing.TB, kind string) string {
	t.Helper()
	if server == "" {
		t.Fatal("pgtest: no database server; call pgtest.Main from TestMain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmpl := "template0"
	if kind != Bare {
		var err error
		if tmpl, err = template(ctx, kind); err != nil {
			t.Fatalf("pgtest: template %s: %v", kind, err)
		}
	}
	name := fmt.Sprintf("%sdb%d", prefix, counter.Add(1))
	conn, err := admin(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := admin(ctx)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return URL(name)
}

// NewDB returns an open pool on a fresh database cloned from template kind.
func NewDB(t testing.TB, kind string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), postgres.Config{URL: NewURL(t, kind)})
	if err != nil {
		t.Fatalf("pgtest: open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// dropAll removes the databases this process made on an external server.
func dropAll(ctx context.Context) {
	conn, err := admin(ctx)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE $1", prefix+"%")
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, n := range names {
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
	}
}

// Conn opens a connection to url, closed when the test ends.
func Conn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// SQL opens a small pool of its own on db's database, closed when the test
// ends: tests set up and inspect rows with it where no store method says
// what they need, so the stores keep their pools to themselves.
func SQL(t testing.TB, db *postgres.DB) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), db.URL())
	if err != nil {
		t.Fatalf("pgtest: open: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// Open opens another pool on url with cfg's options (its URL is set here),
// closed when the test ends: a test that needs a store with other options
// (a change feed, the district check off) on the same database.
func Open(t testing.TB, url string, cfg postgres.Config) *postgres.DB {
	t.Helper()
	cfg.URL = url
	db, err := postgres.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("pgtest: open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// Pool is the pool SQL opens, named here so that tests outside
// internal/postgres need not import pgx to hold one.
type Pool = pgxpool.Pool
