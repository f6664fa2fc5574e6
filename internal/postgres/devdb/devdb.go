// Package devdb runs a private PostgreSQL + PostGIS cluster from the
// machine's PostgreSQL binaries: the database of `inframap serve` when no
// DATABASE_URL is given, and the throwaway database of the tests.
//
// The cluster listens only on a unix socket in a short directory of its own
// (no TCP port to collide with, and a socket path well under the 107-byte
// limit). When run as root the server processes run as the postgres user,
// since initdb and postgres refuse root. The postmaster is started as a child
// that receives SIGINT (fast shutdown) when its parent dies, so a killed
// inframap never leaves a cluster running.
package devdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// InstallHint is the package that brings PostgreSQL with PostGIS on Debian.
const InstallHint = "apt-get install postgresql-15-postgis-3"

// DBName is the database the cluster holds for inframap.
const DBName = "inframap"

// Options configure a cluster.
type Options struct {
	// Dir holds the cluster: its data directory is Dir/pgdata and its log
	// Dir/postgres.log. It is created when missing.
	Dir string
	// Throwaway trades durability for speed (fsync off) and removes Dir on
	// Stop. For tests.
	Throwaway bool
	// Log receives progress lines (initdb, start, stop). Nil discards them.
	Log io.Writer
	// Settings are extra postgresql.conf settings (name → value).
	Settings map[string]string
}

// Cluster is a running PostgreSQL server.
type Cluster struct {
	opts    Options
	bin     string
	pgdata  string
	sockDir string
	logPath string
	cred    *syscall.Credential
	log     io.Writer

	mu   sync.Mutex
	proc *os.Process
	done chan struct{} // closed when the postmaster exits
	stop chan struct{} // closed to release the spawning thread
}

// Start initialises the cluster in opts.Dir if needed, starts it, waits until
// it accepts connections and makes sure database DBName exists.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	if err := checkPostGIS(bin); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, bin: bin, log: opts.Log}
	if os.Geteuid() == 0 {
		cred, err := postgresCredential()
		if err != nil {
			return nil, err
		}
		c.cred = cred
		// The postgres user must reach the data directory. A checkout under
		// /root is not traversable by it; keep the cluster under /var/lib
		// then, keyed by the data directory so each checkout has its own.
		if !traversable(dir, cred) {
			sum := sha256.Sum256([]byte(dir))
			alt := filepath.Join("/var/lib/inframap", hex.EncodeToString(sum[:6]))
			fmt.Fprintf(c.log, "devdb: %s is not reachable by the postgres user; keeping the cluster in %s\n", dir, alt)
			dir = alt
		}
	}
	c.pgdata = filepath.Join(dir, "pgdata")
	c.logPath = filepath.Join(dir, "postgres.log")
	if err := c.prepareDirs(dir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.pgdata, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if c.attach(ctx) {
		fmt.Fprintf(c.log, "devdb: using the PostgreSQL already running on %s\n", c.pgdata)
	} else if err := c.start(ctx); err != nil {
		return nil, err
	}
	if err := c.ensureDatabase(ctx, DBName); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// attach connects to a server already running on the data directory (a
// `serve` in another terminal, say) instead of starting a second one. The
// attached server is not stopped by Stop.
func (c *Cluster) attach(ctx context.Context) bool {
	b, err := os.ReadFile(filepath.Join(c.pgdata, "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || syscall.Kill(pid, 0) != nil {
		return false
	}
	sock := strings.TrimSpace(lines[4])
	if sock == "" {
		return false
	}
	saved := c.sockDir
	c.sockDir = sock
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		c.sockDir = saved
		return false
	}
	conn.Close(ctx)
	return true
}

func (c *Cluster) chown(p string) error {
	if c.cred == nil {
		return nil
	}
	return os.Chown(p, int(c.cred.Uid), int(c.cred.Gid))
}

func (c *Cluster) prepareDirs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create cluster directory: %w", err)
	}
	if err := c.chown(dir); err != nil {
		return err
	}
	// A short socket directory keyed by the data directory: unique per
	// cluster and far below the 107-byte limit of a unix socket path.
	sum := sha256.Sum256([]byte(c.pgdata))
	c.sockDir = filepath.Join(os.TempDir(), "inframap-"+hex.EncodeToString(sum[:6]))
	if len(c.sockDir)+len("/.s.PGSQL.5432") > 107 {
		c.sockDir = "/tmp/inframap-" + hex.EncodeToString(sum[:6])
	}
	if err := os.MkdirAll(c.sockDir, 0o700); err != nil {
		return fmt.Errorf("create socket directory: %w", err)
	}
	if err := os.Chmod(c.sockDir, 0o700); err != nil {
		return err
	}
	return c.chown(c.sockDir)
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = filepath.Dir(c.pgdata)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) initdb(ctx context.Context) error {
	fmt.Fprintf(c.log, "devdb: creating a PostgreSQL cluster in %s\n", c.pgdata)
	cmd := c.command(ctx, "initdb", "-D", c.pgdata, "-U", "postgres", "--auth=trust",
		// Byte-order collation: indexes on codes and kinds build and search
		// several times faster than with a linguistic one.
		"--encoding=UTF8", "--locale=C.UTF-8", "--lc-collate=C", "--no-instructions")
	if c.opts.Throwaway {
		cmd.Args = append(cmd.Args, "--no-sync")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		os.RemoveAll(c.pgdata)
		return fmt.Errorf("initdb: %v: %s", err, lastLines(out.String(), 5))
	}
	return nil
}

func (c *Cluster) settings() []string {
	s := map[string]string{
		"listen_addresses":        "",
		"unix_socket_directories": c.sockDir,
		"max_connections":         "100",
		"shared_buffers":          "256MB",
		"work_mem":                "16MB",
		"maintenance_work_mem":    "256MB",
		"jit":                     "off",
		"max_wal_size":            "4GB",
		"checkpoint_timeout":      "15min",
		"log_min_messages":        "warning",
		"timezone":                "UTC",
	}
	if c.opts.Throwaway {
		s["shared_buffers"] = "64MB"
		s["fsync"] = "off"
		s["synchronous_commit"] = "off"
		s["full_page_writes"] = "off"
	}
	for k, v := range c.opts.Settings {
		s[k] = v
	}
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var args []string
	for _, k := range keys {
		args = append(args, "-c", k+"="+s[k])
	}
	return args
}

// start runs the postmaster as a child of a dedicated, locked OS thread: the
// parent-death signal fires when the thread that forked the child exits, so
// that thread lives exactly as long as the cluster is meant to.
func (c *Cluster) start(ctx context.Context) error {
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open postgres log: %w", err)
	}
	c.chown(c.logPath)
	args := append([]string{"-D", c.pgdata}, c.settings()...)
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), args...)
	cmd.Dir = filepath.Dir(c.pgdata)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: c.cred,
		Pdeathsig:  syscall.SIGINT,
		// Its own process group: a Ctrl-C in the terminal reaches inframap,
		// which drains its requests before it stops the database.
		Setpgid: true,
	}
	started := make(chan error, 1)
	c.done = make(chan struct{})
	c.stop = make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			logf.Close()
			started <- err
			runtime.UnlockOSThread()
			return
		}
		c.mu.Lock()
		c.proc = cmd.Process
		c.mu.Unlock()
		started <- nil
		go func() { cmd.Wait(); logf.Close(); close(c.done) }()
		select {
		case <-c.stop:
		case <-c.done:
		}
		runtime.UnlockOSThread()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	fmt.Fprintf(c.log, "devdb: PostgreSQL starting (socket %s, log %s)\n", c.sockDir, c.logPath)
	return c.waitReady(ctx)
}

func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-c.done:
			tail, _ := os.ReadFile(c.logPath)
			return fmt.Errorf("postgres exited during start-up: %s", lastLines(string(tail), 5))
		case <-ctx.Done():
			c.Stop()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.Stop()
			return fmt.Errorf("postgres did not accept connections within 60 s; see %s", c.logPath)
		}
	}
}

func (c *Cluster) ensureDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return nil
}

// RecreateDatabase drops database name, disconnecting its sessions, and
// creates it again: a copy of database template when one is given (which
// must then have no sessions), else a new empty database.
func (c *Cluster) RecreateDatabase(ctx context.Context, name, template string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		create += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}

// URL returns a connection URL for database db on the cluster's socket.
func (c *Cluster) URL(db string) string {
	return "postgres://postgres@/" + db + "?host=" + c.sockDir + "&sslmode=disable"
}

// SocketDir is the directory of the cluster's unix socket (psql -h).
func (c *Cluster) SocketDir() string { return c.sockDir }

// BinDir is the directory of the PostgreSQL binaries in use (pg_dump, pgbench).
func (c *Cluster) BinDir() string { return c.bin }

// PID returns the postmaster's process id, or 0 when it is not running.
func (c *Cluster) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return 0
	}
	return c.proc.Pid
}

// Stop shuts the server down and, for a throwaway cluster, removes its files.
func (c *Cluster) Stop() error {
	if c.StopServer() {
		fmt.Fprintln(c.log, "devdb: PostgreSQL stopped")
		// The server took its socket and lock files with it; the directory
		// goes too unless something else is in it (a cluster this process
		// only attached to keeps everything).
		os.Remove(c.sockDir)
	}
	if c.opts.Throwaway {
		os.RemoveAll(filepath.Dir(c.pgdata))
		os.RemoveAll(c.sockDir)
	}
	return nil
}

// StopServer stops the server (fast shutdown, immediate after 30 s) but
// keeps its files, so StartServer can bring it back: a database outage, for
// fault tests. It reports whether a server was running.
func (c *Cluster) StopServer() bool {
	c.mu.Lock()
	proc := c.proc
	c.proc = nil
	c.mu.Unlock()
	if proc == nil {
		return false
	}
	proc.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		proc.Signal(syscall.SIGQUIT)
		<-c.done
	}
	close(c.stop)
	return true
}

// StartServer starts a server stopped by StopServer.
func (c *Cluster) StartServer(ctx context.Context) error { return c.start(ctx) }

// Temp starts a throwaway cluster in a new temporary directory: fsync off,
// removed on Stop. The directory is made reachable by the postgres user
// when running as root.
func Temp(ctx context.Context, log io.Writer) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "inframap-pg-")
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if cred, err := postgresCredential(); err == nil {
			os.Chown(dir, int(cred.Uid), int(cred.Gid))
		}
	}
	c, err := Start(ctx, Options{Dir: dir, Throwaway: true, Log: log})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// StartStandby makes a streaming replica of primary in opts.Dir — a base
// backup taken with pg_basebackup -R, which writes the standby's connection
// to the primary — and starts it as a hot standby. The primary must keep
// full page writes on (Settings "full_page_writes": "on"; a Throwaway
// cluster turns them off). An existing standby in opts.Dir is started as
// it is.
func StartStandby(ctx context.Context, primary *Cluster, opts Options) (*Cluster, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, bin: primary.bin, log: opts.Log, cred: primary.cred}
	if c.cred != nil && !traversable(dir, c.cred) {
		sum := sha256.Sum256([]byte(dir))
		alt := filepath.Join("/var/lib/inframap", hex.EncodeToString(sum[:6]))
		fmt.Fprintf(c.log, "devdb: %s is not reachable by the postgres user; keeping the standby in %s\n", dir, alt)
		dir = alt
	}
	c.pgdata = filepath.Join(dir, "pgdata")
	c.logPath = filepath.Join(dir, "postgres.log")
	if err := c.prepareDirs(dir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.pgdata, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(c.log, "devdb: taking a base backup of %s into %s\n", primary.pgdata, c.pgdata)
		cmd := c.command(ctx, "pg_basebackup", "-D", c.pgdata, "-R", "-X", "stream", "-c", "fast",
			"-h", primary.sockDir, "-U", "postgres", "--no-sync")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			os.RemoveAll(c.pgdata)
			return nil, fmt.Errorf("pg_basebackup: %v: %s", err, lastLines(out.String(), 5))
		}
	} else if err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// TempStandby starts a throwaway streaming replica of primary in a new
// temporary directory (see StartStandby).
func TempStandby(ctx context.Context, primary *Cluster, log io.Writer) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "inframap-pg-standby-")
	if err != nil {
		return nil, err
	}
	if primary.cred != nil {
		os.Chown(dir, int(primary.cred.Uid), int(primary.cred.Gid))
	}
	c, err := StartStandby(ctx, primary, Options{Dir: dir, Throwaway: true, Log: log,
		// Queries on the standby hold back the primary's vacuum rather
		// than being cancelled by its replay.
		Settings: map[string]string{"hot_standby_feedback": "on"}})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// TempPrimary starts a throwaway cluster that streaming replicas can copy
// (full page writes on; otherwise as Temp).
func TempPrimary(ctx context.Context, log io.Writer) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "inframap-pg-primary-")
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if cred, err := postgresCredential(); err == nil {
			os.Chown(dir, int(cred.Uid), int(cred.Gid))
		}
	}
	c, err := Start(ctx, Options{Dir: dir, Throwaway: true, Log: log, Settings: map[string]string{"full_page_writes": "on"}})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}
