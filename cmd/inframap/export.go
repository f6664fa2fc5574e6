package main

import (
	"bufio"
	"context"
	"errors"
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
	format := fs.String("format", "geojson", "geojson, csv, kml, gpkg, shp (a zip) or xlsx")
	crsName := fs.String("crs", "", "coordinate system of gpkg, shp and xlsx: EPSG:4326 (default), EPSG:4490, EPSG:4551, EPSG:4530, EPSG:4510, EPSG:4499")
	encoding := fs.String("encoding", "", "attribute text of a shapefile: UTF-8 (default) or GBK")
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
	crs, err := exchange.ParseCRS("crs", *crsName)
	if err != nil {
		return err
	}
	if !f.AllowsCRS(crs) {
		return fmt.Errorf("%s files are written in WGS84 (EPSG:4326) only; -crs is for gpkg, shp and xlsx", f)
	}
	if *encoding != "" && f != exchange.Shapefile {
		return errors.New("-encoding is for shapefiles (-format shp)")
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
	ew := exchange.NewWriterOptions(ctx, f, bw, exchange.ExportOptions{CRS: crs, Encoding: *encoding})
	defer exchange.Discard(ew)
	n := 0
	err = db.ExportAssets(ctx, maint.ExportFilter{Kinds: kinds, Geometry: f.Geometry(), SRID: crs.SRID()}, ew.Begin,
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
