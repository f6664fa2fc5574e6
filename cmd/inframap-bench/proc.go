package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a running `inframap serve`, a child of the harness so its
// memory can be read from /proc.
type server struct {
	cmd  *exec.Cmd
	base string
	done chan error
	log  *os.File
}

// startServer runs bin serve on a free loopback port with env added to
// the harness's environment, and waits for /healthz.
func startServer(ctx context.Context, bin, logPath string, env []string, args ...string) (*server, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1), log: logf}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	go func() { s.done <- cmd.Wait() }()
	timeout := time.After(10 * time.Minute)
	for s.base == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				return nil, fmt.Errorf("the server stopped before it served; see %s", logPath)
			}
			if _, rest, ok := strings.Cut(l, "serving on "); ok {
				s.base = strings.Fields(rest)[0]
			}
		case <-timeout:
			s.kill()
			return nil, fmt.Errorf("the server did not start in 10 minutes; see %s", logPath)
		case <-ctx.Done():
			s.kill()
			return nil, ctx.Err()
		}
	}
	for i := 0; ; i++ {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		if i > 300 {
			s.kill()
			return nil, fmt.Errorf("the server never became ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop asks the server to drain and exit.
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.log.Close()
		return err
	case <-time.After(60 * time.Second):
		s.kill()
		return fmt.Errorf("the server did not stop within 60 s")
	}
}

func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.done
	s.log.Close()
}

// memory reads a process's resident set now (VmRSS) and at its peak
// (VmHWM), in bytes.
func memory(pid int) (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}
