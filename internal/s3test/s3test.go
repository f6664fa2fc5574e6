// Package s3test runs a real S3-compatible object store for the tests:
// SeaweedFS's weed (master, volume, filer and S3 gateway in one process),
// built from the Go module proxy by `make deps-test` (.ci/deps.sh). A test
// that needs it fails when weed is missing; it is never skipped.
package s3test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Server is a running weed with its S3 gateway on loopback.
type Server struct {
	Endpoint       string // http://127.0.0.1:port
	Access, Secret string
	dir            string
	args           []string
	bin            string
	cmd            *exec.Cmd
	done           chan error
	t              testing.TB
}

// Weed finds the weed binary: $INFRAMAP_WEED, then PATH, then GOPATH/bin.
func Weed() (string, error) {
	if p := os.Getenv("INFRAMAP_WEED"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("weed"); err == nil {
		return p, nil
	}
	p := filepath.Join(build.Default.GOPATH, "bin", "weed")
	if _, err := os.Stat(p); err != nil {
		return "", errors.New("SeaweedFS's weed is not installed: make deps-test builds it (see .ci/deps.sh)")
	}
	return p, nil
}

// freePorts finds n ports on loopback that are free, each with the port
// 10000 above it (weed's gRPC port for each server) free too. They lie
// below the kernel's ephemeral range: a restart binds the same ports again
// half a minute later, and on a busy machine a port of that range may by
// then be the local end of some other test's connection.
func freePorts(n int) ([]int, error) {
	lo, hi := 10000, ephemeralLow()-10000
	if hi-lo < 1000 { // an unusual range: take what is free, anywhere
		lo, hi = 20000, 55000
	}
	var ports []int
	taken := map[int]bool{}
	for tries := 0; len(ports) < n && tries < 1000; tries++ {
		p := lo + rand.IntN(hi-lo)
		if taken[p] || taken[p+10000] {
			continue
		}
		ok := true
		for _, q := range []int{p, p + 10000} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			ports = append(ports, p)
			taken[p], taken[p+10000] = true, true
		}
	}
	if len(ports) < n {
		return nil, errors.New("s3test: no free ports")
	}
	return ports, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default 32768 where it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if lo, err := strconv.Atoi(f[0]); err == nil {
				return lo
			}
		}
	}
	return 32768
}

// Start runs weed in a temporary folder and waits until its S3 gateway
// answers. It is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Run(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.t = t
	t.Cleanup(s.Stop)
	return s
}

// Run starts weed in dir outside a test (the cluster harness of
// cmd/inframap-bench) and waits until its S3 gateway answers; Stop ends it.
func Run(dir string) (*Server, error) {
	bin, err := Weed()
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", ports[3]), Access: "inframap-test", Secret: "inframap-test-secret",
		dir: dir, bin: bin}
	cfg, _ := json.Marshal(map[string]any{"identities": []any{map[string]any{
		"name": "inframap", "credentials": []any{map[string]string{"accessKey": s.Access, "secretKey": s.Secret}},
		"actions": []string{"Admin", "Read", "Write", "List", "Tagging"}}}})
	if err := os.WriteFile(filepath.Join(dir, "s3.json"), cfg, 0o600); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o700)
	s.args = []string{"server", "-dir=" + data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port=" + strconv.Itoa(ports[0]), "-volume.port=" + strconv.Itoa(ports[1]),
		"-filer", "-filer.port=" + strconv.Itoa(ports[2]), "-s3", "-s3.port=" + strconv.Itoa(ports[3]),
		"-s3.config=" + filepath.Join(dir, "s3.json"), "-volume.max=64", "-master.volumeSizeLimitMB=16",
		"-s3.port.iceberg=0", "-s3.port.lance=0"} // their fixed ports (8181, 9101) would clash between two weeds
	if err := s.run(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) start() {
	s.t.Helper()
	if err := s.run(); err != nil {
		s.t.Fatal(err)
	}
}

// startAttempts is how many times run starts weed before it gives up: this
// weed (a pinned development snapshot) sometimes ends itself while its
// master, filer and S3 gateway find one another, more often on a busy
// machine. A weed that dies before its gateway answers is started again on
// the same data; one that dies later is the test's business.
const startAttempts = 3

func (s *Server) run() error {
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		var died bool
		if died, err = s.runOnce(); err == nil || !died {
			return err
		}
		if attempt < startAttempts {
			fmt.Fprintf(os.Stderr, "s3test: weed ended while starting (attempt %d of %d), starting it again\n", attempt, startAttempts)
			time.Sleep(time.Duration(attempt) * time.Second)
		}
	}
	return err
}

// runOnce starts weed and waits until its S3 gateway answers; died says
// that weed itself ended before it did.
func (s *Server) runOnce() (died bool, err error) {
	logPath := filepath.Join(s.dir, "weed.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return false, err
	}
	from, _ := log.Seek(0, io.SeekEnd)
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		log.Close()
		return false, fmt.Errorf("start weed: %w", err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait(); log.Close() }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(s.Endpoint + "/")
		if err == nil {
			res.Body.Close()
			return false, nil
		}
		select {
		case err := <-s.done:
			s.cmd = nil
			return true, fmt.Errorf("weed exited: %v\n%s", err, logExcerpt(logPath, from))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return false, fmt.Errorf("weed's S3 gateway did not answer within 90 s:\n%s", logExcerpt(logPath, from))
		}
	}
}

// fatalLine is a glog fatal line ("F1205 18:47:35.88 …") or a Go runtime
// panic.
var fatalLine = regexp.MustCompile(`^(F\d{4} |panic: |fatal error: )`)

// logExcerpt is what weed wrote since offset from, its fatal and panic
// lines first (a log this long is cut in the middle where CI shows it),
// then its last 60 lines.
func logExcerpt(path string, from int64) string {
	b, _ := os.ReadFile(path)
	if from > 0 && from <= int64(len(b)) {
		b = b[from:]
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	var out strings.Builder
	for _, l := range lines {
		if fatalLine.MatchString(l) {
			out.WriteString("weed: " + l + "\n")
		}
	}
	if len(lines) > 60 {
		fmt.Fprintf(&out, "[the last 60 of %d lines]\n", len(lines))
		lines = lines[len(lines)-60:]
	}
	out.WriteString(strings.Join(lines, "\n"))
	return out.String()
}

// Stop ends weed (its data stay, for Restart).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Restart starts weed again on its data after Stop.
func (s *Server) Restart() {
	s.t.Helper()
	s.start()
}

// Bucket creates a bucket (retrying while the store settles) and returns
// the URL the service opens it with.
func (s *Server) Bucket(name string) string {
	s.t.Helper()
	u, err := s.CreateBucket(name)
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}

// CreateBucket is Bucket outside a test.
func (s *Server) CreateBucket(name string) (string, error) {
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s.Access, s.Secret, "")})
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("create bucket %s: %w", name, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	return "s3://" + name + "?endpoint=" + s.Endpoint + "&use_path_style=true&region=us-east-1", nil
}

// EnvVars are the variables that give a server process the credentials.
func (s *Server) EnvVars() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.Access, "AWS_SECRET_ACCESS_KEY=" + s.Secret, "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true"}
}

// Env sets the credentials the service's S3 client reads from the
// environment, for the rest of the test.
func (s *Server) Env(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", s.Access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.Secret)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
