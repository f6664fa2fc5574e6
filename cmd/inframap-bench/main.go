// Command inframap-bench is the load harness: `bench` measures requests per
// second and latency of the service's reads and writes on loopback, beside
// the same SQL run by pgbench (the ceiling), on the district data and at
// city scale, and writes docs/benchmarks.md; `soak` runs mixed traffic for
// a while, restarting PostgreSQL and the server once, and then checks that
// nothing acknowledged was lost; `cluster` runs a primary, a streaming
// replica, three copies and HAProxy, measures them, kills a copy and the
// replica under mixed traffic and checks what the clients saw (with -serve
// it only starts the topology, for a person to try).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "inframap-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return errors.New("usage: inframap-bench bench|soak|cluster [flags]")
	}
	fs := flag.NewFlagSet(args[1], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.bin, "bin", "bin/inframap", "the inframap binary to run")
	fs.StringVar(&o.data, "data", "var/bench", "where the harness keeps its databases (reused between runs)")
	fs.DurationVar(&o.duration, "duration", 0, "how long each load runs (bench: 8s; soak: 10m)")
	fs.IntVar(&o.conns, "conns", 16, "connections of each read load")
	switch args[1] {
	case "bench":
		fs.StringVar(&o.scales, "scales", "district,city", "which data to measure on: district, city or both")
		fs.StringVar(&o.out, "out", "docs/benchmarks.md", "where to write the report")
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		if o.duration == 0 {
			o.duration = 8 * time.Second
		}
		return bench(ctx, o, stdout)
	case "soak":
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		if o.duration == 0 {
			o.duration = 10 * time.Minute
		}
		return soak(ctx, o, stdout)
	case "cluster":
		serve := fs.Bool("serve", false, "start the topology and wait for Ctrl-C instead of testing it")
		fs.StringVar(&o.out, "out", "", "also write the figures to this file")
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		if *serve {
			return serveCluster(ctx, o, stdout)
		}
		if o.duration == 0 {
			o.duration = 60 * time.Second
		}
		return clusterRun(ctx, o, stdout)
	}
	return fmt.Errorf("unknown mode %q: bench, soak or cluster", args[1])
}

type options struct {
	bin, data, scales, out string
	duration               time.Duration
	conns                  int
}
