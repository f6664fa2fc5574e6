package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"inframap/internal/exchange"
	"inframap/internal/maint"
)

// cmdImport reads a GeoJSON or CSV file as the export writes it into the
// database, with the checks and the all-or-nothing rule of POST
// /api/v1/import, showing how much of the file has been read. Problems are
// listed one a line, as "line 17: lat: …", and nothing is written.
func cmdImport(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("import", &cfg, getenv, stderr)
	format := fs.String("format", "", "geojson, csv, xlsx, or through GDAL shp, gdb, gpkg, kml, kmz, dxf, gml, zip (default: from the file name's extension)")
	crsFlag := fs.String("crs", "", "the file's coordinate system when it names none: EPSG:4490, EPSG:4551 (CGCS2000 Gauss–Krüger 126°E), gcj02, bd09 …")
	dryRun := fs.Bool("dry-run", false, "check the file and count what would change, writing nothing")
	mappingFile := fs.String("mapping", "", "a mapping file (JSON or YAML) of the source's fields and values to ours")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("import takes one file (- for standard input): inframap import [-dry-run] [-format csv] FILE")
	}
	name := fs.Arg(0)
	f, err := importFormat(*format, name)
	if err != nil {
		return err
	}
	var mapping *exchange.Mapping
	if *mappingFile != "" {
		b, err := os.ReadFile(*mappingFile)
		if err != nil {
			return err
		}
		if mapping, err = exchange.ParseMapping(b); err != nil {
			return err
		}
	}
	in, size := stdin, int64(-1)
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil {
			size = st.Size()
		}
		in = file
	}
	db, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()

	start := time.Now()
	base := filepath.Base(name)
	bar := progressbar.NewOptions64(size, progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("import "+base), progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }))
	pr := progressbar.NewReader(in, bar)
	crs, err := exchange.ParseSourceCRS("crs", *crsFlag)
	var src maint.RowSource
	if err == nil && exchange.IsGDALFormat(f) {
		var g *exchange.GDALReader
		if g, err = exchange.NewGDALReader(ctx, f, &pr, exchange.GDALOptions{CRS: crs, Mapping: mapping}); err == nil {
			defer g.Close()
			src = g
		}
	} else if err == nil {
		if !crs.Geographic() {
			err = fmt.Errorf("-crs %s is read through GDAL: import a GeoPackage or zipped shapefile, or GeoJSON/CSV in WGS84, CGCS2000, gcj02 or bd09", crs)
		} else {
			src, err = exchange.NewMappedReader(f, &pr, mapping)
		}
	}
	if err == nil {
		src = exchange.FromOffset(src, crs)
	}
	if err != nil {
		bar.Exit()
		fmt.Fprintln(stderr)
		return importFailed(err, stderr)
	}
	res, err := db.ImportAssets(ctx, cliActor, "", src, maint.ImportOptions{DryRun: *dryRun, Format: string(f), Name: base})
	// The bar completes (and ends its line) when the whole file has been
	// read; a file that stops being read leaves it where it stopped.
	if !bar.IsFinished() {
		bar.Exit()
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return importFailed(err, stderr)
	}
	verb, after := "imported", ""
	if res.DryRun {
		verb, after = "checked", ", nothing written (dry run); an import would give"
	}
	fmt.Fprintf(stdout, "%s: %d rows %s in %s%s: %d created, %d updated, %d unchanged\n",
		name, res.Rows, verb, elapsed(start), after, res.Total.Created, res.Total.Updated, res.Total.Unchanged)
	for _, k := range maint.Kinds {
		if c, ok := res.Kinds[k]; ok {
			fmt.Fprintf(stdout, "  %-17s %6d created %6d updated %6d unchanged\n", k, c.Created, c.Updated, c.Unchanged)
		}
	}
	return nil
}

// importFormat is the -format flag, else the file's extension.
func importFormat(flag, name string) (exchange.Format, error) {
	var f exchange.Format
	if flag != "" {
		var err error
		if f, err = exchange.ParseImportFormat("format", flag); err != nil {
			return "", err
		}
	} else {
		var ok bool
		if f, ok = exchange.FormatOfName(name); !ok {
			switch ext := strings.ToLower(filepath.Ext(name)); ext {
			case ".zip", ".gpkg", ".kmz", ".dxf", ".gml":
				f, ok = exchange.Format(ext[1:]), true
			}
		}
		if !ok {
			return "", fmt.Errorf("cannot tell the format of %q from its name: give -format geojson, csv, xlsx, shp, gdb, gpkg, kml, kmz, dxf, gml or zip", name)
		}
	}
	return f, nil
}

// importFailed lists a file's problems one a line and says how many.
func importFailed(err error, stderr io.Writer) error {
	var ie *maint.ImportError
	if !errors.As(err, &ie) {
		return fmt.Errorf("import: %w", err)
	}
	for _, p := range ie.Problems {
		fmt.Fprintf(stderr, "%s: %s\n", p.Field, p.Message)
	}
	if ie.Total > len(ie.Problems) {
		fmt.Fprintf(stderr, "… and %d more\n", ie.Total-len(ie.Problems))
	}
	return fmt.Errorf("import: %d problems; nothing was imported", ie.Total)
}
