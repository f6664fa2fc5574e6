package main

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestComposeFile checks docker-compose.yml with Docker's own parser
// (`docker compose config`, which needs no engine) where the docker CLI
// exists: the default services, and the cluster profile's topology.
func TestComposeFile(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI on this machine: docker-compose.yml is checked where it exists")
	}
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		t.Fatal("the docker CLI has no compose plugin: make deps-test builds it from the Go module proxy")
	}
	services := func(args ...string) []string {
		t.Helper()
		cmd := exec.Command("docker", append(append([]string{"compose", "-f", "../../docker-compose.yml"}, args...), "config", "--services")...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		// Interpolated variables need not be set to validate.
		cmd.Env = append(cmd.Environ(), "INFRAMAP_DEMO_PASSWORD=")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("docker compose %s config: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		s := strings.Fields(string(out))
		slices.Sort(s)
		return s
	}
	if got, want := services(), []string{"app", "db"}; !slices.Equal(got, want) {
		t.Errorf("default services %v, want %v", got, want)
	}
	want := []string{"app", "copy1", "copy2", "copy3", "db", "lb", "replica", "s3", "s3-bucket"}
	if got := services("--profile", "cluster"); !slices.Equal(got, want) {
		t.Errorf("cluster profile services %v, want %v", got, want)
	}
	// The balanced copies read from the replica and keep photos in S3.
	out, err := exec.Command("docker", "compose", "-f", "../../docker-compose.yml", "--profile", "cluster", "config", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"DATABASE_READ_URL": "postgres://inframap:inframap@replica:5432/inframap?sslmode=disable"`,
		`"INFRAMAP_BLOB_URL": "s3://inframap-photos`, `pg_basebackup -h db`, `option httpchk GET /readyz`} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("the cluster profile lacks %s", s)
		}
	}
}
