package devdb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// tempDir is a directory the postgres user can reach when running as root.
func tempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "devdb-test-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestRestartKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := tempDir(t)
	c, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.URL(DBName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42); CREATE EXTENSION postgis"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	c.Stop()
	if _, err := os.Stat(c.pgdata); err != nil {
		t.Fatalf("data directory gone after Stop: %v", err)
	}

	c, err = Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	conn, err = pgx.Connect(ctx, c.URL(DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	var postgis string
	if err := conn.QueryRow(ctx, "SELECT v, postgis_lib_version() FROM kept").Scan(&v, &postgis); err != nil || v != 42 {
		t.Fatalf("after restart: %v, %d", err, v)
	}
	if len(c.sockDir)+len("/.s.PGSQL.5432") > 107 {
		t.Errorf("socket path %s too long", c.sockDir)
	}
}

// TestStopsWhenParentDies kills a process that runs a cluster and checks
// that the database server goes with it.
func TestStopsWhenParentDies(t *testing.T) {
	if dir := os.Getenv("DEVDB_TEST_CHILD"); dir != "" {
		c, err := Start(context.Background(), Options{Dir: dir})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("pid", c.PID())
		time.Sleep(time.Hour)
		return
	}
	dir := tempDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestStopsWhenParentDies$")
	cmd.Env = append(os.Environ(), "DEVDB_TEST_CHILD="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	pid := 0
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "pid "); ok {
			pid, _ = strconv.Atoi(p)
			break
		}
		t.Log(sc.Text())
	}
	if pid == 0 {
		cmd.Process.Kill()
		t.Fatal("the child did not start a cluster")
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGQUIT)
			t.Fatalf("postgres (pid %d) still running 20 s after its parent was killed", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMissingServerNamesThePackage(t *testing.T) {
	t.Setenv("PATH", "/nonexistent")
	err := checkPostGIS("/nonexistent/bin")
	if err == nil || !strings.Contains(err.Error(), InstallHint) {
		// Without pg_config the layout is unknown and the check defers to
		// CREATE EXTENSION; with a versioned path it must name the package.
		err = checkPostGIS("/usr/lib/postgresql/99/bin")
	}
	if err == nil || !strings.Contains(err.Error(), "apt-get install postgresql-15-postgis-3") {
		t.Errorf("missing PostGIS: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("the error is not one line: %q", err)
	}
}
