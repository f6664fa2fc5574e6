package exchange

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"inframap/gis"
	"inframap/internal/maint"
)

// csvReader reads the CSV the export writes: a header naming the columns
// (in any order), then one asset a row. code, kind and name are required
// columns, and a geometry: wkt, or lon and lat for points; subdistrict,
// status, status_at and id are read past; every other column is an
// attribute, its cells decoded by DecodeCell.
type csvReader struct {
	cr    *csv.Reader
	col   map[string]int // the fixed columns present, by name
	attrs []attrColumn
	reg   []attrColumn // the register columns read (anti_fall_net, last_inspected_on)
	width int
	names []string // the header's names, by column
	// m maps the source's names and values to ours; fields are our names
	// by column ("" for a column the mapping drops), kind the mapping's
	// kind for rows without one.
	m      *Mapping
	fields []string
	kind   string
	seen   valueSampler
}

// Proposal proposes codes for the values of coded columns that were not
// codes (井盖类型 污水 → cover_category 0102).
func (c *csvReader) Proposal() *Mapping { return c.seen.proposal(c.names, c.m) }

// saveAsUTF8 says how to fix a file in another encoding, such as a
// spreadsheet saved as GBK.
const saveAsUTF8 = "save the file as “CSV UTF-8” (Excel) or with UTF-8 encoding (WPS, LibreOffice)"

type attrColumn struct {
	name string
	i    int
}

func newCSVReader(r io.Reader) (*csvReader, error) { return newMappedCSVReader(r, nil) }

func newMappedCSVReader(r io.Reader, m *Mapping) (*csvReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// Excel writes a byte order mark, and so does the export.
	if b, err := br.Peek(len(bom)); err == nil && string(b) == bom {
		br.Discard(len(bom))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // rows of the wrong width are a row's problem, said plainly
	cr.ReuseRecord = true
	header, err := cr.Read()
	head := maint.RowRef{Line: 1}
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, maint.NewImportError(maint.CodeInvalid, []maint.ImportProblem{head.Problem("", "",
			"the file is empty: its first line names the columns (code, kind, name, …)")}, 0, "the file cannot be read")
	case errors.As(err, &pe):
		return nil, maint.NewImportError(maint.CodeInvalid, []maint.ImportProblem{head.Problem("", "",
			fmt.Sprintf("the header cannot be read as CSV: %v", pe.Err))}, 0, "the file cannot be read")
	case err != nil:
		return nil, err
	}
	c := &csvReader{cr: cr, col: map[string]int{}, width: len(header), m: m}
	var problems []maint.ImportProblem
	bad := func(col, format string, args ...any) {
		problems = append(problems, head.Problem("", col, fmt.Sprintf(format, args...)))
	}
	seen := map[string]int{}
	for i, h := range header {
		name := strings.TrimSpace(h)
		c.names = append(c.names, name)
		to, keep := m.Field(name)
		if !keep {
			c.fields = append(c.fields, "")
			continue
		}
		name = to
		c.fields = append(c.fields, name)
		switch {
		case !utf8.ValidString(name):
			bad(fmt.Sprintf("column %d", i+1), "column %d's name is not UTF-8 text: %s", i+1, saveAsUTF8)
			continue
		case name == "":
			bad(fmt.Sprintf("column %d", i+1), "column %d has no name", i+1)
			continue
		case seen[name] > 0:
			bad(name, "column %q appears twice (columns %d and %d)", name, seen[name], i+1)
			continue
		case slices.Contains(Columns, name) || name == "id":
			c.col[name] = i
		case name == maint.ColOwnerUnit:
			// Derived from the cover's category: read past.
		case slices.Contains(maint.RegisterColumns, name):
			c.reg = append(c.reg, attrColumn{name, i})
		default:
			if err := maint.CheckAttrName(name); err != nil {
				e, _ := maint.AsError(err)
				bad(name, "%s", e.Message)
				continue
			}
			c.attrs = append(c.attrs, attrColumn{name, i})
		}
		seen[name] = i + 1
	}
	if _, ok := c.col["kind"]; !ok && m != nil && m.Kind != "" {
		c.kind = string(m.Kind)
	}
	for _, req := range []string{"code", "kind", "name"} {
		if _, ok := c.col[req]; !ok && (req != "kind" || c.kind == "") {
			bad(req, "the header has no %s column", req)
		}
	}
	_, hasWKT := c.col["wkt"]
	_, hasLon := c.col["lon"]
	_, hasLat := c.col["lat"]
	switch {
	case hasLon && !hasLat:
		bad("lat", "the header has lon but no lat column")
	case hasLat && !hasLon:
		bad("lon", "the header has lat but no lon column")
	case !hasWKT && !hasLon:
		bad("wkt", "the header has no geometry: a wkt column, or lon and lat columns for points")
	}
	if len(problems) > 0 {
		ie := maint.NewImportError(maint.CodeInvalid, problems, 0, "the header must name the columns")
		if m == nil {
			if p := ProposeMapping(c.names, nil); p != nil {
				ie.Proposal = p
			}
		}
		return nil, ie
	}
	return c, nil
}

func (c *csvReader) Next() (*maint.ImportRow, error) {
	for {
		rec, err := c.cr.Read()
		if err == io.EOF {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// encoding/csv goes on at the next line.
			row := &maint.ImportRow{RowRef: maint.RowRef{Line: pe.StartLine}}
			row.Add("", "the row cannot be read as CSV (line %d, column %d): %v", pe.Line, pe.Column, pe.Err)
			return row, nil
		}
		if err != nil {
			return nil, err
		}
		// Spreadsheets leave rows of empty cells below the data.
		if !slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			continue
		}
		line, _ := c.cr.FieldPos(0)
		return c.row(rec, line), nil
	}
}

func (c *csvReader) row(rec []string, line int) *maint.ImportRow {
	// CSV with CRLF line ends carries no carriage return in a cell: the
	// export's csv.Writer drops them, so the reader does too (encoding/csv
	// already reads a quoted CRLF as LF) and reads what was written.
	for i, s := range rec {
		if strings.IndexByte(s, '\r') >= 0 {
			rec[i] = strings.ReplaceAll(s, "\r", "")
		}
	}
	for i, s := range rec {
		if !utf8.ValidString(s) {
			name := fmt.Sprintf("column %d", i+1)
			if i < len(c.names) && c.names[i] != "" {
				name = c.names[i]
			}
			row := &maint.ImportRow{RowRef: maint.RowRef{Line: line}}
			row.Add(name, "%s is not UTF-8 text: %s", name, saveAsUTF8)
			return row
		}
	}
	for i := range rec {
		if i < len(c.fields) && c.fields[i] != "" {
			rec[i] = c.m.Value(c.fields[i], rec[i])
			c.seen.see(c.names[i], c.fields[i], rec[i])
		}
	}
	cell := func(name string) string {
		if i, ok := c.col[name]; ok && i < len(rec) {
			return rec[i]
		}
		if name == "kind" {
			return c.kind
		}
		return ""
	}
	row := &maint.ImportRow{RowRef: maint.RowRef{Line: line}}
	row.Code = strings.TrimSpace(cell("code"))
	row.Kind = maint.Kind(strings.TrimSpace(cell("kind")))
	row.Name = strings.TrimSpace(cell("name"))
	row.NameEn = strings.TrimSpace(cell("name_en"))
	row.ParentCode = strings.TrimSpace(cell("parent_code"))
	if len(rec) != c.width {
		row.Add("", "the row has %d fields; the header has %d", len(rec), c.width)
	}
	for _, a := range c.attrs {
		if a.i >= len(rec) {
			continue
		}
		raw, ok := DecodeCell(rec[a.i])
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			// Valid JSON that Go cannot hold: a number beyond float64.
			row.Add("properties."+a.name, "%s cannot be read: %v", a.name, err)
			continue
		}
		if row.Attrs == nil {
			row.Attrs = make(map[string]any, len(c.attrs))
		}
		row.Attrs[a.name] = v
	}
	for _, a := range c.reg {
		if a.i < len(rec) && strings.TrimSpace(rec[a.i]) != "" {
			if row.RegisterRaw == nil {
				row.RegisterRaw = map[string]any{}
			}
			row.RegisterRaw[a.name] = strings.TrimSpace(rec[a.i])
		}
	}
	c.geometry(row, strings.TrimSpace(cell("wkt")), strings.TrimSpace(cell("lon")), strings.TrimSpace(cell("lat")))
	checkRow(row)
	return row
}

// geometry reads the row's geometry from wkt, or from lon and lat when wkt
// is empty. When a point has both they must agree, so that an edit of one
// is not silently undone by the other.
func (c *csvReader) geometry(row *maint.ImportRow, wkt, lon, lat string) {
	if wkt != "" {
		row.GeometryField = "wkt"
		g, err := gis.ParseWKT(wkt, gis.MaxVertices)
		if err != nil {
			row.Add("geometry", "%s", err)
			return
		}
		row.Geometry = g
		if lon == "" && lat == "" {
			return
		}
		p, isPoint := g.(orb.Point)
		if !isPoint {
			row.Add("lon/lat", "lon and lat are for points; leave them empty for a %s", g.GeoJSONType())
			return
		}
		if x, y, ok := lonLat(row, lon, lat); ok && (math.Abs(x-p[0]) > 5e-8 || math.Abs(y-p[1]) > 5e-8) {
			row.Add("lon/lat", "lon/lat (%s %s) and wkt (%s) disagree: change both, or clear lon and lat", lon, lat, wkt)
		}
		return
	}
	row.GeometryField = "lon/lat"
	if lon == "" && lat == "" {
		if _, ok := c.col["wkt"]; ok {
			row.GeometryField = "wkt"
		}
		row.Add("geometry", "no geometry: fill wkt, or lon and lat for a point")
		return
	}
	if x, y, ok := lonLat(row, lon, lat); ok {
		row.Geometry = orb.Point{x, y}
	}
}

// lonLat reads a point's lon and lat cells, naming a likely swap.
func lonLat(row *maint.ImportRow, lonText, latText string) (lon, lat float64, ok bool) {
	ok = true
	parse := func(col, s string) float64 {
		if s == "" {
			row.Add(col, "%s is empty; a point needs both lon and lat", col)
			ok = false
			return 0
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			row.Add(col, "%s must be a number of degrees, got %q", col, s)
			ok = false
		}
		return v
	}
	lon, lat = parse("lon", lonText), parse("lat", latText)
	if !ok {
		return 0, 0, false
	}
	if math.Abs(lat) > 90 {
		if math.Abs(lon) <= 90 && math.Abs(lat) <= 180 {
			row.Add("lat", "latitude %s is out of range: lon and lat look swapped (lon is the east–west coordinate, lat the north–south one)", latText)
		} else {
			row.Add("lat", "latitude %s is out of range (±90)", latText)
		}
		ok = false
	}
	if math.Abs(lon) > 180 {
		row.Add("lon", "longitude %s is out of range (±180)", lonText)
		ok = false
	}
	return lon, lat, ok
}
