package exchange

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"

	"inframap/internal/maint"
)

// bom starts a CSV file so that Excel reads it as UTF-8 (Chinese names
// otherwise come out garbled); encoding/csv and most tools skip it.
const bom = "\uFEFF"

// csvWriter writes the fixed Columns and then one column per attribute
// name, in the order the store gives them (by kind, then by name).
type csvWriter struct {
	w     io.Writer
	cw    *csv.Writer
	keys  []string
	cells []string
}

func newCSVWriter(w io.Writer) *csvWriter {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	return &csvWriter{w: w, cw: cw}
}

func (c *csvWriter) Begin(keys []string) error {
	if err := checkKeys(keys); err != nil {
		return err
	}
	c.keys = keys
	if _, err := io.WriteString(c.w, bom); err != nil {
		return err
	}
	c.cells = make([]string, 0, len(Columns)+len(keys))
	return c.cw.Write(append(append(c.cells[:0], Columns...), keys...))
}

func (c *csvWriter) Write(e *maint.ExportedAsset) error {
	a := &e.Asset
	attrs, err := attrCells(a.Attrs)
	if err != nil {
		return err
	}
	row := append(c.cells[:0], a.Code, string(a.Kind), a.Name, a.NameEn, e.ParentCode, a.Subdistrict,
		statusText(a.Status), formatTime(a.StatusAt), coordText(e.Lon), coordText(e.Lat), string(a.Geometry))
	for _, k := range c.keys {
		row = append(row, attrs[k])
	}
	return c.cw.Write(row)
}

func (c *csvWriter) End() error {
	c.cw.Flush()
	return c.cw.Error()
}

// coordText writes a coordinate to seven decimals (about a centimetre), as
// the WKT column has it.
func coordText(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(math.Round(*v*1e7)/1e7, 'f', -1, 64)
}
