package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"inframap/internal/exchange"
	"inframap/internal/maint"
)

// cmdExport writes the assets to a file or standard output, in the formats
// of GET /api/v1/export. A file is written beside its final name and
// renamed at the end, so a failed export never leaves a partial file that
// looks whole.
func cmdExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("export", &cfg, getenv, stderr)
	kind := fs.String("kind", "", "comma-separated asset kinds (default: every kind)")
	format := fs.String("format", "geojson", "geojson, csv or kml")
	out := fs.String("o", "", "output file (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export takes no arguments, got %q", fs.Args())
	}
	kinds, err := maint.ParseKinds("kind", *kind)
	if err != nil {
		return err
	}
	f, err := exchange.ParseFormat("format", *format)
	if err != nil {
		return err
	}
	db, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()

	start := time.Now()
	var dst io.Writer = stdout
	var tmp *os.File
	if *out != "" {
		tmp, err = os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*")
		if err != nil {
			return err
		}
		defer func() {
			if tmp != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		dst = tmp
	}
	bw := bufio.NewWriterSize(dst, 64<<10)
	ew := exchange.NewWriter(f, bw)
	n := 0
	err = db.ExportAssets(ctx, maint.ExportFilter{Kinds: kinds, Geometry: f.Geometry()}, ew.Begin,
		func(a *maint.ExportedAsset) error { n++; return ew.Write(a) })
	if err == nil {
		err = ew.End()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	where := "standard output"
	if tmp != nil {
		if err := tmp.Chmod(0o644); err != nil {
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), *out); err != nil {
			return err
		}
		tmp = nil
		where = *out
	}
	fmt.Fprintf(stderr, "export: %d assets as %s to %s in %s\n", n, f, where, elapsed(start))
	return nil
}
