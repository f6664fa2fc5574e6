package exchange

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"inframap/internal/maint"
)

// OGRTimeout bounds the GDAL run of one GeoPackage or shapefile export.
const OGRTimeout = 5 * time.Minute

// ogrEnv keeps GDAL and PROJ off the network: the files are ours and local,
// and a grid or a URL in them must not make the service call out.
var ogrEnv = []string{
	"GDAL_HTTP_TIMEOUT=1", "GDAL_HTTP_MAX_RETRY=0", "CPL_VSIL_CURL_ALLOWED_EXTENSIONS=.none",
	"GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR", "PROJ_NETWORK=OFF", "OSR_USE_NON_DEPRECATED=NO",
}

// ShapefileNames are the shapefile (dBASE, at most 10 characters) names of
// the fixed columns and district attributes that are longer; any other
// long name is cut to 10 characters (8 and a number when that collides).
// docs/exchange.md lists them.
var ShapefileNames = map[string]string{
	"parent_code":       "parent",
	"subdistrict":       "subdistr",
	"accessible_spaces": "access_sp",
	"opening_hours":     "open_hours",
	"space_types":       "spc_types",
	"space_type_name":   "spc_tp_nam",
	"investment_yuan":   "invest_cny",
	"handed_over":       "handed_ovr",
	"pipe_length_m":     "pipe_len_m",
	"cover_category":    "cover_cat",
	"defect_grade":      "defect_grd",
	"defect_type":       "defect_typ",
	"placeholder":       "placehold",
	"anti_fall_net":     "anti_fall",
	"last_inspected_on": "last_insp",
}

// ogrWriter writes the assets as GeoJSON text sequences (RFC 8142) into
// temporary files, one per layer — a kind in a GeoPackage; a kind and
// geometry type in shapefiles, which hold one type each — as they stream,
// holding one feature at a time; End has ogr2ogr turn each into a layer of
// the output and sends the output.
type ogrWriter struct {
	ctx    context.Context
	f      Format
	w      io.Writer
	opt    ExportOptions
	dir    string
	layers map[string]*ogrLayer
	order  []string
	buf    []byte
	short  map[string]string // shapefile names of the properties
	used   map[string]bool
}

type ogrLayer struct {
	path string
	file *os.File
	bw   *bufio.Writer
}

func newOGRWriter(ctx context.Context, f Format, w io.Writer, opt ExportOptions) *ogrWriter {
	return &ogrWriter{ctx: ctx, f: f, w: w, opt: opt, layers: map[string]*ogrLayer{}}
}

func (o *ogrWriter) Begin(keys []string) error {
	if err := checkKeys(keys); err != nil {
		return err
	}
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		return maint.Errorf(maint.CodeUnavailable, "%s export needs GDAL's ogr2ogr, which is not installed (Debian package gdal-bin)", o.f)
	}
	switch strings.ToUpper(o.opt.Encoding) {
	case "", "UTF-8", "UTF8":
		o.opt.Encoding = "UTF-8"
	case "GBK", "CP936":
		o.opt.Encoding = "CP936"
	default:
		return maint.Invalid("encoding", "encoding is UTF-8 or GBK, not %q", o.opt.Encoding)
	}
	dir, err := os.MkdirTemp("", "inframap-export-")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	o.dir = dir
	if o.f == Shapefile {
		o.short, o.used = map[string]string{}, map[string]bool{}
		for _, c := range append(slices.Clone(Columns[:8]), keys...) {
			o.shortName(c)
		}
	}
	return nil
}

// shortName gives a property its shapefile name, once.
func (o *ogrWriter) shortName(name string) string {
	if s, ok := o.short[name]; ok {
		return s
	}
	s, ok := ShapefileNames[name]
	if !ok {
		s = cutName(name, 10)
	}
	for i := 1; o.used[strings.ToLower(s)]; i++ {
		s = cutName(name, 8) + strconv.Itoa(i)
	}
	o.short[name], o.used[strings.ToLower(s)] = s, true
	return s
}

// cutName cuts name to n bytes without splitting a character.
func cutName(name string, n int) string {
	if len(name) <= n {
		return name
	}
	for n > 0 && !isRuneStart(name[n]) {
		n--
	}
	return name[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// layerName is the layer an asset goes to.
func (o *ogrWriter) layerName(e *maint.ExportedAsset) string {
	kind := string(e.Kind)
	if o.f != Shapefile {
		return kind
	}
	var g struct {
		Type string `json:"type"`
	}
	json.Unmarshal(e.Geometry, &g)
	switch strings.TrimPrefix(g.Type, "Multi") {
	case "LineString":
		return kind + "_line"
	case "Polygon":
		return kind + "_polygon"
	}
	return kind + "_point"
}

func (o *ogrWriter) Write(e *maint.ExportedAsset) error {
	name := o.layerName(e)
	l, ok := o.layers[name]
	if !ok {
		path := filepath.Join(o.dir, name+".geojsonl")
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		l = &ogrLayer{path: path, file: f, bw: bufio.NewWriterSize(f, 64<<10)}
		o.layers[name] = l
		o.order = append(o.order, name)
	}
	a := &e.Asset
	b := append(o.buf[:0], `{"type":"Feature","geometry":`...)
	b = append(b, a.Geometry...)
	b = append(b, `,"properties":{`...)
	prop := func(k string, v []byte) {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		if o.short != nil {
			k = o.shortName(k)
		}
		b = appendJSON(b, k)
		b = append(b, ':')
		b = append(b, v...)
	}
	str := func(s string) []byte { return appendJSON(nil, s) }
	prop("code", str(a.Code))
	prop("kind", str(string(a.Kind)))
	prop("name", str(a.Name))
	prop("name_en", str(a.NameEn))
	prop("parent_code", str(e.ParentCode))
	prop("subdistrict", str(a.Subdistrict))
	prop("status", str(statusText(a.Status)))
	prop("status_at", str(formatTime(a.StatusAt)))
	// Arrays and objects become their JSON text: GIS formats hold scalars.
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(a.Attrs, &attrs); err != nil {
		return fmt.Errorf("attributes: %w", err)
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := bytes.TrimSpace(attrs[k])
		if len(v) > 0 && (v[0] == '[' || v[0] == '{') {
			var c bytes.Buffer
			json.Compact(&c, v)
			v = appendJSON(nil, c.String())
		}
		prop(k, v)
	}
	b = append(b, "}}\n"...)
	o.buf = b
	_, err := l.bw.Write(b)
	return err
}

// Discard removes the temporary files; End does it too. An export that
// stops early calls it (exchange.Discard).
func (o *ogrWriter) Discard() {
	for _, l := range o.layers {
		l.file.Close()
	}
	if o.dir != "" {
		os.RemoveAll(o.dir)
	}
}

// Discard releases what a writer that stopped before End holds.
func Discard(w Writer) {
	if d, ok := w.(interface{ Discard() }); ok {
		d.Discard()
	}
}

func (o *ogrWriter) End() error {
	defer o.Discard()
	ctx, cancel := context.WithTimeout(o.ctx, OGRTimeout)
	defer cancel()
	for _, name := range o.order {
		l := o.layers[name]
		if err := l.bw.Flush(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := l.file.Close(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	out := filepath.Join(o.dir, "out")
	if o.f == GeoPackage {
		out += ".gpkg"
	} else if err := os.Mkdir(out, 0o700); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for i, name := range o.order {
		args := []string{"-q", "-a_srs", o.opt.CRS.String(), "-nln", name}
		if o.f == GeoPackage {
			args = append(args, "-f", "GPKG", "-nlt", "GEOMETRY")
			if i > 0 {
				args = append(args, "-update")
			}
			args = append(args, out)
		} else {
			args = append(args, "-f", "ESRI Shapefile", "-lco", "ENCODING="+o.opt.Encoding)
			if !strings.HasSuffix(name, "_point") {
				args = append(args, "-nlt", "PROMOTE_TO_MULTI")
			}
			args = append(args, filepath.Join(out, name+".shp"))
		}
		args = append(args, o.layers[name].path)
		cmd := exec.CommandContext(ctx, "ogr2ogr", args...)
		cmd.Env = append(os.Environ(), ogrEnv...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("export: ogr2ogr took longer than %v", OGRTimeout)
			}
			return fmt.Errorf("export: ogr2ogr %s: %w: %s", name, err, bytes.TrimSpace(msg))
		}
		os.Remove(o.layers[name].path)
	}
	if len(o.order) == 0 {
		return maint.Errorf(maint.CodeNotFound, "there are no assets to export as %s", o.f)
	}
	if o.f == GeoPackage {
		return copyFile(o.w, out)
	}
	return zipDir(o.w, out)
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// zipDir writes the files of dir (the shapefiles) as a zip archive.
func zipDir(w io.Writer, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	zw := zip.NewWriter(w)
	for _, e := range entries {
		hw, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name(), Method: zip.Deflate, Modified: time.Now()})
		if err != nil {
			return err
		}
		if err := copyFile(hw, filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return zw.Close()
}
