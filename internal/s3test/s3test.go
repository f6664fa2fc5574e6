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
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
// 10000 above it (weed's gRPC port for each server) free too.
func freePorts(n int) ([]int, error) {
	var ports []int
	for tries := 0; len(ports) < n && tries < 1000; tries++ {
		p := 20000 + rand.IntN(30000)
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
		}
	}
	if len(ports) < n {
		return nil, errors.New("s3test: no free ports")
	}
	return ports, nil
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
		"-s3.config=" + filepath.Join(dir, "s3.json"), "-volume.max=64", "-master.volumeSizeLimitMB=16"}
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

func (s *Server) run() error {
	log, err := os.OpenFile(filepath.Join(s.dir, "weed.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start weed: %w", err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait(); log.Close() }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(s.Endpoint + "/")
		if err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case err := <-s.done:
			b, _ := os.ReadFile(filepath.Join(s.dir, "weed.log"))
			s.cmd = nil
			return fmt.Errorf("weed exited: %v\n%s", err, b)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(s.dir, "weed.log"))
			s.Stop()
			return fmt.Errorf("weed's S3 gateway did not answer within 90 s:\n%s", b)
		}
	}
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
