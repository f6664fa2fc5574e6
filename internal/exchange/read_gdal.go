package exchange

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"inframap/internal/maint"
)

// Files in the formats below are read through GDAL's own command-line
// tools (Debian's gdal-bin): ogrinfo lists a file's layers and their
// coordinate systems, and ogr2ogr streams each layer as GeoJSON text
// sequences, reprojected to WGS84, into the import's rows. GeoJSON and
// CSV keep their own readers (read_geojson.go, read_csv.go).
var gdalFormats = []Format{"shp", "gdb", "gpkg", "kml", "kmz", "dxf", "gml", "zip"}

// IsGDALFormat reports whether files in f are read through GDAL.
func IsGDALFormat(f Format) bool { return slices.Contains(gdalFormats, f) }

// ParseImportFormat reads format= of an import: geojson, csv, xlsx, or one
// read through GDAL — shp (a zipped shapefile, or several), gdb (a zipped File
// Geodatabase folder), gpkg, kml, kmz, dxf, gml, or zip (an archive holding
// any of them).
func ParseImportFormat(param, s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if f == GeoJSON || f == CSV || f == XLSX || IsGDALFormat(f) {
		return f, nil
	}
	return "", maint.Invalid(param, "format %q cannot be imported: use one of geojson, csv, xlsx, shp, gdb, gpkg, kml, kmz, dxf, gml, zip", s)
}

// gdalMediaTypes are the media types of the formats read through GDAL.
var gdalMediaTypes = map[string]Format{
	"application/zip": "zip", "application/x-zip-compressed": "zip",
	"application/geopackage+sqlite3": "gpkg", "application/vnd.google-earth.kmz": "kmz",
	"image/vnd.dxf": "dxf", "application/dxf": "dxf", "application/gml+xml": "gml",
}

// GDALFormatOfMediaType returns the GDAL-read format a Content-Type names.
func GDALFormatOfMediaType(mt string) (Format, bool) {
	f, ok := gdalMediaTypes[strings.ToLower(strings.TrimSpace(strings.Split(mt, ";")[0]))]
	return f, ok
}

// GDALOptions configure reading a file through GDAL.
type GDALOptions struct {
	// Bin is the folder holding ogr2ogr and ogrinfo; empty: PATH.
	Bin string
	// TempDir holds the uploaded file and what it unpacks to while it is
	// read (default os.TempDir()); all of it is removed by Close.
	TempDir string
	// Timeout bounds each GDAL run (default 10 minutes).
	Timeout time.Duration
	// Archive bounds what a zip may unpack to.
	Archive ArchiveLimits
	// CRS is the source coordinate system given by the user; zero means
	// the one the file names (.prj, GeoPackage metadata), else WGS84.
	CRS SourceCRS
	// Mapping maps the source's fields and values to ours (nil: none).
	Mapping *Mapping
}

// gdalEnv keeps GDAL and PROJ off the network and out of folders they were
// not given: the files are local, and a URL or a grid name inside one must
// not make the service call out.
var gdalEnv = []string{
	"GDAL_HTTP_TIMEOUT=1", "GDAL_HTTP_MAX_RETRY=0", "GDAL_HTTP_CONNECTTIMEOUT=1",
	// Reading the folder on open stays on (NO): a shapefile's .prj and .cpg
	// are found that way, and the folder is our own temporary one.
	"CPL_VSIL_CURL_ALLOWED_EXTENSIONS=.none-allowed", "GDAL_DISABLE_READDIR_ON_OPEN=NO",
	"PROJ_NETWORK=OFF", "CPL_CURL_VERBOSE=NO", "GDAL_PAM_ENABLED=NO", "OGR_GMLAS_XSD_CACHE=NO",
	"GML_SKIP_RESOLVE_ELEMS=ALL", "GML_DOWNLOAD_WFS_SCHEMA=NO", "GDAL_XML_VALIDATION=NO",
	"CPL_DEBUG=OFF", "OGR_SQLITE_JOURNAL=OFF",
}

// GDALTool finds one of GDAL's tools, or says which Debian package to
// install: a problem, not an internal error, as GDAL is optional.
func GDALTool(bin, name string) (string, error) {
	p := name
	if bin != "" {
		p = filepath.Join(bin, name)
	}
	path, err := exec.LookPath(p)
	if err != nil {
		return "", maint.Errorf(maint.CodeUnavailable,
			"this service cannot read shapefiles, geodatabases, GeoPackages, KML, DXF or GML: GDAL's %s is not installed (install the Debian package gdal-bin: apt-get install gdal-bin); GeoJSON and CSV can still be imported", name)
	}
	return path, nil
}

// CheckGDAL reports whether GDAL's tools are there.
func CheckGDAL(bin string) error {
	for _, t := range []string{"ogr2ogr", "ogrinfo"} {
		if _, err := GDALTool(bin, t); err != nil {
			return err
		}
	}
	return nil
}

// GDALReader reads the layers of a file through GDAL as import rows, one
// at a time: ogr2ogr streams each layer and the reader decodes one feature
// at a time. Close removes the temporary files.
type GDALReader struct {
	ctx     context.Context
	opt     GDALOptions
	ogr2ogr string
	ogrinfo string
	dir     string
	layers  []gdalLayer
	cur     int // the layer being read, -1 before the first
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	runCtx  context.Context
	stderr  *capped
	dec     *json.Decoder
	n, seq  int
	notes   []maint.ImportProblem
}

type gdalLayer struct {
	ds, name string
	open     []string // -oo options
	srs      bool     // the file names the layer's coordinate system
	epsg     string   // its EPSG code, when it has one
	count    int
	extent   [4]float64 // minx, miny, maxx, maxy in the file's coordinates
	hasExt   bool
	shp      bool
	kml      bool // KML or KMZ: fields of the placemark, values encoded as cells
	dxf      bool // a CAD drawing: an asset is a label on the layer of its kind
}

// NewGDALReader keeps the file r in a temporary folder — unpacking a zip
// archive after checking it — finds its layers and judges their
// coordinate systems. Problems of the whole file or of a layer are import
// problems (*maint.ImportError) that the dry run shows; the rows come from
// Next.
func NewGDALReader(ctx context.Context, f Format, r io.Reader, opt GDALOptions) (*GDALReader, error) {
	if opt.Timeout == 0 {
		opt.Timeout = 10 * time.Minute
	}
	g := &GDALReader{ctx: ctx, opt: opt, cur: -1}
	var err error
	if g.ogr2ogr, err = GDALTool(opt.Bin, "ogr2ogr"); err != nil {
		return nil, err
	}
	if g.ogrinfo, err = GDALTool(opt.Bin, "ogrinfo"); err != nil {
		return nil, err
	}
	if g.dir, err = os.MkdirTemp(opt.TempDir, "inframap-import-"); err != nil {
		return nil, fmt.Errorf("import: temporary folder: %w", err)
	}
	if err := g.open(f, r); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

func (g *GDALReader) open(f Format, r io.Reader) error {
	ext := string(f)
	if f == "shp" || f == "gdb" {
		ext = "zip"
	}
	upload := filepath.Join(g.dir, "upload."+ext)
	out, err := os.Create(upload)
	if err != nil {
		return fmt.Errorf("import: keep the file: %w", err)
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err // a body over its limit, a client gone: as they are
	}
	root := upload
	if isZip(upload) && f == "kmz" {
		// GDAL reads a KMZ itself; its archive is judged all the same.
		if err := checkArchiveFile(upload, g.opt.Archive); err != nil {
			return err
		}
	} else if isZip(upload) {
		root = filepath.Join(g.dir, "files")
		if err := os.Mkdir(root, 0o700); err != nil {
			return err
		}
		if err := Unpack(upload, root, g.opt.Archive); err != nil {
			return err
		}
		os.Remove(upload)
	} else if f == "shp" || f == "gdb" || f == "zip" {
		return gdalFileProblem("a %s import is a zip archive (of the shapefile's .shp, .shx, .dbf, .prj and .cpg, or of the .gdb folder); this file is not one", f)
	}
	datasets, err := findDatasets(root)
	if err != nil {
		return err
	}
	if len(datasets) == 0 {
		return gdalFileProblem("the archive holds no shapefile (.shp with its .dbf), .gdb folder, GeoPackage, KML, DXF or GML file")
	}
	var problems []maint.ImportProblem
	code := maint.CodeInvalid // a file GDAL cannot read
	for _, ds := range datasets {
		layers, err := g.listLayers(ds)
		if err != nil {
			problems = append(problems, maint.RowRef{}.Problem("", "", err.Error()))
			continue
		}
		for _, l := range layers {
			if strings.HasPrefix(l.name, "-") {
				// It would reach ogr2ogr's command line as an option.
				problems = append(problems, maint.RowRef{Layer: l.name}.Problem("", "", "a layer's name may not begin with '-': rename it"))
				continue
			}
			if err := g.inspect(&l); err != nil {
				problems = append(problems, maint.RowRef{Layer: l.name}.Problem("", "", err.Error()))
				continue
			}
			if p := g.judgeCRS(&l); p != "" {
				problems = append(problems, maint.RowRef{Layer: l.name}.Problem("", "crs", p))
				code = maint.CodeUnprocessable
				continue
			}
			g.layers = append(g.layers, l)
		}
	}
	if len(problems) > 0 {
		return maint.NewImportError(code, problems, len(problems), "nothing was imported")
	}
	if len(g.layers) == 0 {
		return gdalFileProblem("GDAL finds no layer with features in the file")
	}
	return nil
}

func gdalFileProblem(format string, args ...any) error {
	return maint.NewImportError(maint.CodeInvalid,
		[]maint.ImportProblem{maint.RowRef{}.Problem("", "", fmt.Sprintf(format, args...))}, 1, "the file cannot be read")
}

func isZip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 4)
	_, err = io.ReadFull(f, b)
	return err == nil && string(b) == "PK\x03\x04"
}

// findDatasets lists what GDAL should open under root: each .gdb folder,
// each shapefile, each GeoPackage, KML, KMZ, DXF or GML file.
func findDatasets(root string) ([]string, error) {
	if fi, err := os.Stat(root); err == nil && !fi.IsDir() {
		return []string{root}, nil
	}
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.ToLower(d.Name())
		if d.IsDir() {
			if strings.HasSuffix(name, ".gdb") {
				out = append(out, p)
				return filepath.SkipDir
			}
			if strings.HasPrefix(name, "__macosx") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, "._") {
			return nil
		}
		switch filepath.Ext(name) {
		case ".shp", ".gpkg", ".kml", ".kmz", ".dxf", ".gml", ".geojson", ".json":
			out = append(out, p)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// run runs a GDAL tool to its end, with the time limit, and returns its
// output; a failure is said with the first lines GDAL wrote.
func (g *GDALReader) run(tool string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(g.ctx, g.opt.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = append(os.Environ(), gdalEnv...)
	cmd.Dir = g.dir
	var stdout bytes.Buffer
	stderr := &capped{max: 4096}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return "", fmt.Errorf("GDAL took longer than %v to read the file", g.opt.Timeout)
	}
	if err != nil {
		if g.ctx.Err() != nil {
			return "", g.ctx.Err()
		}
		return "", fmt.Errorf("GDAL cannot read the file: %s", strings.ReplaceAll(gdalMessage(stderr.String(), err), g.dir+string(filepath.Separator), ""))
	}
	return stdout.String(), nil
}

var layerLine = regexp.MustCompile(`^(?:\d+|Layer): (.+?)(?: \([^()]*\))?$`)

// listLayers names the layers of a dataset. A shapefile is one layer, read
// in the encoding its .cpg names, or GBK when it has none and its text is
// not UTF-8.
func (g *GDALReader) listLayers(ds string) ([]gdalLayer, error) {
	rel, _ := filepath.Rel(g.dir, ds)
	if strings.EqualFold(filepath.Ext(ds), ".shp") {
		l := gdalLayer{ds: ds, name: strings.TrimSuffix(filepath.Base(ds), filepath.Ext(ds)), shp: true}
		enc, err := shapefileEncoding(ds)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", rel, err)
		}
		if enc != "" {
			l.open = []string{"-oo", "ENCODING=" + enc}
		}
		return []gdalLayer{l}, nil
	}
	out, err := g.run(g.ogrinfo, "-ro", "-q", ds)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", rel, err)
	}
	var layers []gdalLayer
	for _, line := range strings.Split(out, "\n") {
		if m := layerLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			ext := strings.ToLower(filepath.Ext(ds))
			layers = append(layers, gdalLayer{ds: ds, name: m[1], kml: ext == ".kml" || ext == ".kmz", dxf: ext == ".dxf"})
		}
	}
	return layers, nil
}

// shapefileEncoding is the ENCODING open option of a shapefile: empty when
// GDAL should follow its .cpg (or the .dbf's language driver); CP936 (GBK)
// when it has neither and its text is not UTF-8; UTF-8 text is read as is.
func shapefileEncoding(shp string) (string, error) {
	base := strings.TrimSuffix(shp, filepath.Ext(shp))
	for _, ext := range []string{".cpg", ".CPG"} {
		if b, err := os.ReadFile(base + ext); err == nil {
			cpg := strings.ToUpper(strings.TrimSpace(string(b)))
			switch cpg {
			case "GBK", "936", "CP936", "GB2312", "GB18030", "ANSI 936":
				return "CP936", nil
			}
			return "", nil
		}
	}
	var dbf string
	for _, ext := range []string{".dbf", ".DBF"} {
		if _, err := os.Stat(base + ext); err == nil {
			dbf = base + ext
		}
	}
	if dbf == "" {
		return "", errors.New("the shapefile has no .dbf (its attributes): zip the .shp with its .shx, .dbf, .prj and .cpg")
	}
	f, err := os.Open(dbf)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 32)
	if _, err := io.ReadFull(f, head); err != nil {
		return "", errors.New("the .dbf is cut short")
	}
	if ldid := head[29]; ldid != 0 {
		return "", nil // the language driver names the code page
	}
	utf, err := isUTF8(f)
	if err != nil {
		return "", err
	}
	if utf {
		return "UTF-8", nil
	}
	return "CP936", nil
}

// isUTF8 reads r through and reports whether it is valid UTF-8, holding
// one buffer at a time.
func isUTF8(r io.Reader) (bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		n, err := br.Read(buf[carry:])
		n += carry
		end := n
		// Keep a rune cut at the buffer's end for the next round.
		for i := 1; i <= 3 && i <= n; i++ {
			c := buf[n-i]
			if c < 0x80 {
				break
			}
			if c >= 0xC0 {
				if !utf8.FullRune(buf[n-i : n]) {
					end = n - i
				}
				break
			}
		}
		if !utf8.Valid(buf[:end]) {
			return false, nil
		}
		carry = copy(buf, buf[end:n])
		if err == io.EOF {
			return carry == 0, nil
		}
		if err != nil {
			return false, err
		}
	}
}

var (
	extentLine = regexp.MustCompile(`(?m)^Extent: \(([-0-9.eE+]+), ([-0-9.eE+]+)\) - \(([-0-9.eE+]+), ([-0-9.eE+]+)\)`)
	countLine  = regexp.MustCompile(`(?m)^Feature Count: (\d+)`)
	// topEPSG is the EPSG code of a WKT2 definition as a whole: its last
	// ID, closing the outermost bracket.
	topEPSG = regexp.MustCompile(`ID\["EPSG",(\d+)\]\]\s*$`)
)

// inspect reads a layer's summary: whether the file names its coordinate
// system, its extent and its feature count.
func (g *GDALReader) inspect(l *gdalLayer) error {
	args := append([]string{"-ro", "-so", "-nomd"}, l.open...)
	out, err := g.run(g.ogrinfo, append(args, l.ds, l.name)...)
	if err != nil {
		return err
	}
	if _, wkt, ok := strings.Cut(out, "Layer SRS WKT:\n"); ok {
		l.srs = !strings.HasPrefix(wkt, "(unknown)")
		wkt, _, _ = strings.Cut(wkt, "\nData axis")
		if m := topEPSG.FindStringSubmatch(wkt); m != nil {
			l.epsg = "EPSG:" + m[1]
		}
	}
	if m := extentLine.FindStringSubmatch(out); m != nil {
		for i := range 4 {
			l.extent[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		l.hasExt = true
	}
	if m := countLine.FindStringSubmatch(out); m != nil {
		l.count, _ = strconv.Atoi(m[1])
	}
	return nil
}

// judgeCRS says what is wrong with a layer's coordinate system, with the
// likely cause, or "" when it can be read: a layer without one whose
// coordinates are not degrees needs crs=; a layer whose coordinates,
// as its system reads them, fall far from the district is in another
// system (a wrong Gauss–Krüger zone, axes swapped).
func (g *GDALReader) judgeCRS(l *gdalLayer) string {
	if !l.hasExt {
		return ""
	}
	e := l.extent
	x, y := (e[0]+e[2])/2, (e[1]+e[3])/2
	degrees := e[0] >= -180 && e[2] <= 180 && e[1] >= -90 && e[3] <= 90
	if g.opt.CRS.EPSG == 0 && !nearDistrict(x, y) && nearDistrict(y, x) {
		return fmt.Sprintf("the layer's coordinates lie far from the district (centre %.5f, %.5f), but with latitude and longitude swapped they fall in it: its axes are swapped (latitude written first)", x, y)
	}
	if g.opt.CRS.EPSG == 0 && !l.srs && !degrees {
		return fmt.Sprintf("the layer names no coordinate system (a shapefile without its .prj?) and its coordinates are not degrees (centre %.0f, %.0f): %s",
			x, y, likelyGK(x, y))
	}
	src := ""
	switch {
	case g.opt.CRS.EPSG != 0:
		src = "EPSG:" + strconv.Itoa(g.opt.CRS.EPSG)
	case l.epsg != "":
		src = l.epsg
	}
	if src == "" || degrees && (src == "EPSG:4326" || src == "EPSG:4490") {
		lon, lat := x, y
		if !degrees {
			return ""
		}
		if !nearDistrict(lon, lat) && nearDistrict(lat, lon) {
			return fmt.Sprintf("the layer's coordinates lie far from the district (centre %.5f, %.5f), but with latitude and longitude swapped they fall in it: its axes are swapped", lon, lat)
		}
		if !nearDistrict(lon, lat) {
			return farMessage(lon, lat, "")
		}
		return ""
	}
	lon, lat, err := g.toLonLat(src, x, y)
	if err != nil || nearDistrict(lon, lat) {
		return ""
	}
	if !degrees {
		for _, alt := range []int{4551, 4530, 4550, 4552, 4510, 4509, 4496} {
			a := "EPSG:" + strconv.Itoa(alt)
			if a == src {
				continue
			}
			if lo, la, err := g.toLonLat(a, x, y); err == nil && nearDistrict(lo, la) {
				return fmt.Sprintf("in %s, as the file (or crs=) says, the layer lies far from the district (centre %.4f, %.4f); in %s it falls in it: the coordinates are likely in that Gauss–Krüger zone — import with crs=%s",
					src, lon, lat, a, a)
			}
		}
		if lo, la, err := g.toLonLat(src, y, x); err == nil && nearDistrict(lo, la) {
			return fmt.Sprintf("in %s the layer lies far from the district; with easting and northing swapped it falls in it: its axes are swapped", src)
		}
	}
	return farMessage(lon, lat, src)
}

func farMessage(lon, lat float64, src string) string {
	in := ""
	if src != "" {
		in = " in " + src
	}
	return fmt.Sprintf("the layer lies far from the district (centre%s at lon %.4f, lat %.4f): is it the right file, and its coordinate system the one it names? Data digitised on Amap or Baidu maps needs crs=gcj02 or crs=bd09", in, lon, lat)
}

// likelyGK guesses the system of metre coordinates without one.
func likelyGK(x, y float64) string {
	switch {
	case x > 1e7 && x < 1e8 && y > 4e6 && y < 6e6:
		zone := int(x / 1e6)
		return fmt.Sprintf("they look like Gauss–Krüger metres with the zone number %d in front of the easting — for CGCS2000 3° zone 42 (central meridian 126°E) import with crs=EPSG:4530", zone)
	case x > 1e5 && x < 9e5 && y > 4e6 && y < 6e6:
		return "they look like Gauss–Krüger metres — for CGCS2000 3° zone of central meridian 126°E (Changchun) import with crs=EPSG:4551"
	}
	return "give the system with crs= (EPSG:4551 for CGCS2000 Gauss–Krüger 126°E, EPSG:4490 for CGCS2000 degrees)"
}

// nearDistrict reports whether lon/lat lies within about 20 km of the
// district's bounding box (DOMAIN.md §2).
func nearDistrict(lon, lat float64) bool {
	return lon > 124.8 && lon < 125.55 && lat > 43.6 && lat < 44.2
}

// toLonLat transforms one point with gdaltransform (beside ogr2ogr).
func (g *GDALReader) toLonLat(src string, x, y float64) (float64, float64, error) {
	tool, err := GDALTool(filepath.Dir(g.ogr2ogr), "gdaltransform")
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := context.WithTimeout(g.ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, "-s_srs", src, "-t_srs", "EPSG:4326", "-output_xy")
	cmd.Env = append(os.Environ(), append(gdalEnv, "OGR_CT_FORCE_TRADITIONAL_GIS_ORDER=YES")...)
	cmd.Stdin = strings.NewReader(fmt.Sprintf("%.6f %.6f\n", x, y))
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		return 0, 0, errors.New("gdaltransform: no answer")
	}
	lon, err1 := strconv.ParseFloat(f[0], 64)
	lat, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil {
		return 0, 0, errors.New("gdaltransform: not numbers")
	}
	return lon, lat, nil
}

// Next returns the next feature of the current layer as a row, starting
// the next layer's ogr2ogr when one ends.
func (g *GDALReader) Next() (*maint.ImportRow, error) {
	for {
		if g.dec == nil {
			if g.cur+1 >= len(g.layers) {
				return nil, io.EOF
			}
			g.cur++
			if err := g.start(); err != nil {
				return nil, err
			}
		}
		var f feature
		err := g.dec.Decode(&f)
		if err == io.EOF {
			if err := g.finish(); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			g.finish()
			return nil, g.layerError(fmt.Sprintf("GDAL's output cannot be read after feature %d: %v", g.n, err))
		}
		g.n++
		g.seq++
		l := g.layers[g.cur]
		ref := maint.RowRef{Layer: l.name, Feature: g.n, Seq: g.seq, GeometryField: "geometry"}
		return featureRow(ref, &f, func(props map[string]any) map[string]any {
			l.fixProps(props)
			return g.opt.Mapping.MapProperties(props)
		}, true), nil
	}
}

// start runs ogr2ogr on the current layer, its output piped to the decoder.
func (g *GDALReader) start() error {
	l := g.layers[g.cur]
	args := []string{"-f", "GeoJSONSeq", "/vsistdout/", "-dim", "XY", "-lco", "COORDINATE_PRECISION=9"}
	args = append(args, l.open...)
	switch {
	case g.opt.CRS.EPSG != 0:
		args = append(args, "-s_srs", "EPSG:"+strconv.Itoa(g.opt.CRS.EPSG), "-t_srs", "EPSG:4326")
	case l.srs:
		args = append(args, "-t_srs", "EPSG:4326")
	}
	args = append(args, l.ds, l.name)
	ctx, cancel := context.WithTimeout(g.ctx, g.opt.Timeout)
	g.cancel, g.runCtx = cancel, ctx
	g.cmd = exec.CommandContext(ctx, g.ogr2ogr, args...)
	g.cmd.Env = append(os.Environ(), gdalEnv...)
	g.cmd.Dir = g.dir
	g.stderr = &capped{max: 4096}
	g.cmd.Stderr = g.stderr
	out, err := g.cmd.StdoutPipe()
	if err != nil {
		cancel()
		return err
	}
	if err := g.cmd.Start(); err != nil {
		cancel()
		return fmt.Errorf("import: start ogr2ogr: %w", err)
	}
	g.dec = json.NewDecoder(bufio.NewReaderSize(out, 256<<10))
	g.n = 0
	return nil
}

// finish waits for the current layer's ogr2ogr; its failure is the
// layer's problem.
func (g *GDALReader) finish() error {
	if g.cmd == nil {
		return nil
	}
	err := g.cmd.Wait()
	timedOut := g.runCtx.Err() == context.DeadlineExceeded
	g.cancel()
	g.cmd, g.dec = nil, nil
	switch {
	case g.ctx.Err() != nil:
		return g.ctx.Err()
	case timedOut:
		return g.layerError(fmt.Sprintf("GDAL took longer than %v to read the layer", g.opt.Timeout))
	case err != nil:
		return g.layerError("GDAL cannot read the layer: " + strings.ReplaceAll(gdalMessage(g.stderr.String(), err), g.dir+string(filepath.Separator), ""))
	}
	return nil
}

func (g *GDALReader) layerError(msg string) error {
	ref := maint.RowRef{Layer: g.layers[g.cur].name, Feature: g.n, Seq: g.seq}
	return maint.NewImportError(maint.CodeInvalid, []maint.ImportProblem{ref.Problem("", "", msg)}, 1, "the file cannot be read")
}

// Close stops a GDAL run still going and removes the temporary files.
func (g *GDALReader) Close() error {
	if g.cmd != nil {
		g.cancel()
		g.cmd.Wait()
		g.cmd = nil
	}
	if g.dir != "" {
		return os.RemoveAll(g.dir)
	}
	return nil
}

// gdalMessage is the gist of what GDAL wrote on failing: its ERROR lines,
// else its first line, else how it exited.
func gdalMessage(stderr string, err error) string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "ERROR") || strings.HasPrefix(l, "FAILURE") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) == 0 && strings.TrimSpace(stderr) != "" {
		lines = []string{strings.TrimSpace(strings.SplitN(stderr, "\n", 2)[0])}
	}
	if len(lines) == 0 {
		return err.Error()
	}
	if len(lines) > 3 {
		lines = lines[:3]
	}
	return strings.Join(lines, "; ")
}

// capped keeps the first max bytes written to it.
type capped struct {
	max int
	b   bytes.Buffer
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.b.Len(); room > 0 {
		c.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (c *capped) String() string { return c.b.String() }

// fixProps turns what GDAL gives a layer's fields back into the export's
// properties: nulls (a field an asset lacks) are absent; a shapefile's
// names, cut to 10 characters by dBASE, are the full ones; string lists
// that a format without lists wrote as "(2:a,b)" are lists again.
func (l gdalLayer) fixProps(props map[string]any) {
	if l.kml {
		kmlProps(props)
	}
	if l.dxf {
		dxfProps(props)
	}
	for k, v := range props {
		if v == nil {
			delete(props, k)
			continue
		}
		if s, ok := v.(string); ok {
			if list, ok := stringList(s); ok {
				props[k] = list
			} else if len(s) > 1 && (s[0] == '{' || s[0] == '[') && json.Valid([]byte(s)) {
				// An object or array a format without them kept as text.
				var x any
				json.Unmarshal([]byte(s), &x)
				props[k] = x
			}
		}
		if full := fullName(k); full != k {
			if _, taken := props[full]; !taken {
				props[full] = props[k]
				delete(props, k)
			}
		}
	}
}

// dxfFields are the fields GDAL gives every DXF entity.
var dxfFields = []string{"Layer", "PaperSpace", "SubClasses", "Linetype", "EntityHandle", "Text", "RawCodeValues", "ExtendedEntity"}

// dxfLabel is a CAD label that names an asset: its code, then its name.
var dxfLabel = regexp.MustCompile(`^\s*([A-Za-z0-9._-]{1,64})[\s\p{Zs}]+(\S.*?)\s*$`)

// dxfProps reads an asset from a CAD drawing as surveyors keep a register in
// one: each asset a label (TEXT or MTEXT) at its place, on the layer of its
// kind (manhole, road_repair…, or its name in a mapping file), reading
// "code name". A manhole's cover category is the class and subclass of its
// 16-digit component code. Entities without a label carry no asset: their
// rows say so.
func dxfProps(props map[string]any) {
	layer, _ := props["Layer"].(string)
	text, _ := props["Text"].(string)
	for _, k := range dxfFields {
		delete(props, k)
	}
	if _, ok := props["kind"]; !ok && layer != "" {
		props["kind"] = layer
	}
	if m := dxfLabel.FindStringSubmatch(text); m != nil {
		props["code"], props["name"] = m[1], m[2]
	} else if strings.TrimSpace(text) != "" {
		props["name"] = strings.TrimSpace(text)
	}
	code, _ := props["code"].(string)
	if props["kind"] == string(maint.KindManhole) && len(code) == 16 {
		if _, ok := props["cover_category"]; !ok {
			props["cover_category"] = code[6:10]
		}
	}
}

// kmlFields are the fields GDAL gives every KML placemark besides its
// ExtendedData.
var kmlFields = []string{"Name", "Description", "timestamp", "begin", "end", "altitudeMode", "tessellate",
	"extrude", "visibility", "drawOrder", "icon", "snippet"}

// kmlProps reads a placemark as inframap's KML export writes it: the
// Chinese name in <name>, the English one in <description>, the other
// fields in ExtendedData with values encoded as cells (DecodeCell).
func kmlProps(props map[string]any) {
	if _, ok := props["name"]; !ok && props["Name"] != nil {
		props["name"] = props["Name"]
	}
	if _, ok := props["name_en"]; !ok && props["Description"] != nil {
		props["name_en"] = props["Description"]
	}
	for _, k := range kmlFields {
		delete(props, k)
	}
	for k, v := range props {
		if s, ok := v.(string); ok && k != "code" && k != "name" && k != "name_en" && k != "parent_code" && k != "kind" {
			if raw, ok := DecodeCell(s); ok {
				var x any
				if json.Unmarshal(raw, &x) == nil {
					props[k] = x
				}
			} else {
				delete(props, k)
			}
		}
	}
}

var stringListText = regexp.MustCompile(`^\((\d+):(.*)\)$`)

func stringList(s string) ([]any, bool) {
	m := stringListText.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	n, _ := strconv.Atoi(m[1])
	parts := strings.Split(m[2], ",")
	if m[2] == "" {
		parts = nil
	}
	if len(parts) != n {
		return nil, false
	}
	out := make([]any, n)
	for i, p := range parts {
		out[i] = p
	}
	return out, true
}

// longNames are the fixed columns and the district's attributes whose
// names dBASE cuts; shortNames the names inframap's own shapefile export
// gives them (docs/exchange.md).
var (
	longNames = []string{
		"parent_code", "subdistrict", "status_at",
		"distresses", "pci_after", "pci_before", "work_type",
		"households", "pipe_length_m", "placeholder",
		"accessible_spaces", "opening_hours", "space_types", "tariff_en",
		"space_type", "space_type_name",
		"cover_category", "defect_grade", "defect_type", "load_class",
		"completed", "handed_over", "investment_yuan", "purpose_en",
		"anti_fall_net", "last_inspected_on",
	}
	shortNames = map[string]string{
		"parent": "parent_code", "subdistr": "subdistrict", "access_sp": "accessible_spaces",
		"open_hours": "opening_hours", "spc_types": "space_types", "spc_tp_nam": "space_type_name",
		"invest_cny": "investment_yuan", "handed_ovr": "handed_over", "pipe_len_m": "pipe_length_m",
		"cover_cat": "cover_category", "defect_grd": "defect_grade", "defect_typ": "defect_type",
		"placehold": "placeholder", "anti_fall": "anti_fall_net", "last_insp": "last_inspected_on",
		// GDAL's own cut of space_type_name, which space_type already has.
		"space_ty_1": "space_type_name",
	}
)

// fullName is the full name of a field name dBASE cut to 10 characters
// (GDAL keeps the first ten), or the name itself.
func fullName(k string) string {
	if full, ok := shortNames[k]; ok {
		return full
	}
	if slices.Contains(longNames, k) {
		return k
	}
	if len(k) != 10 {
		return k
	}
	found := ""
	for _, n := range longNames {
		if len(n) > 10 && n[:10] == k {
			if found != "" {
				return k // ambiguous
			}
			found = n
		}
	}
	if found == "" {
		return k
	}
	return found
}
