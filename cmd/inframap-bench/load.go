package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// result is what one load run measured.
type result struct {
	RPS      float64
	P50, P99 time.Duration
	Errors   int // connection errors and timeouts
	Non2xx   int
	Bytes    int // of one response, as sent (compressed when the client asks)
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkLatency = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkErrors  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// wrk loads urls (taken in turn by every connection) with conns
// connections for d, asking for gzip like a browser does.
func wrk(ctx context.Context, workDir string, urls []string, conns int, d time.Duration) (result, error) {
	var lua bytes.Buffer
	lua.WriteString("local paths = {\n")
	for _, u := range urls {
		fmt.Fprintf(&lua, "  %q,\n", u)
	}
	lua.WriteString(`}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
init = function(args) i = math.random(#paths) - 1 end
`)
	script := filepath.Join(workDir, "paths.lua")
	if err := os.WriteFile(script, lua.Bytes(), 0o644); err != nil {
		return result{}, err
	}
	host := urls[0][:strings.Index(urls[0][len("http://"):], "/")+len("http://")]
	cmd := exec.CommandContext(ctx, "wrk", "-t2", fmt.Sprintf("-c%d", conns), "-d"+d.String(), "--latency", "--timeout", "10s", "-s", script, host)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	return parseWrk(string(out))
}

func parseWrk(out string) (result, error) {
	var r result
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk said: %s", out)
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	for _, l := range wrkLatency.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		d := time.Duration(v * float64(map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[l[3]]))
		if l[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	if m := wrkErrors.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.Errors += n
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.Atoi(m[1])
	}
	return r, nil
}
