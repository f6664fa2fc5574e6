package exchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/xuri/excelize/v2"

	"inframap/internal/maint"
)

// XLSXSheet is the sheet an .xlsx export writes and an import reads first.
const XLSXSheet = "资产"

// xlsxWriter writes the CSV's columns to one sheet of a workbook, with
// Chinese headers (Labels) so that Excel and WPS users read them; numbers
// are number cells, text is text, arrays and objects their JSON. Rows go
// through excelize's stream writer, which keeps them in a temporary file.
type xlsxWriter struct {
	w    io.Writer
	opt  ExportOptions
	f    *excelize.File
	sw   *excelize.StreamWriter
	keys []string
	row  int
	vals []any
}

func newXLSXWriter(w io.Writer, opt ExportOptions) *xlsxWriter { return &xlsxWriter{w: w, opt: opt} }

// xlsxColumns are the fixed columns of an .xlsx export.
var xlsxColumns = []string{"code", "kind", "name", "name_en", "parent_code", "subdistrict", "status", "status_at", "lon", "lat", "wkt"}

func (x *xlsxWriter) Begin(keys []string) error {
	if err := checkKeys(keys); err != nil {
		return err
	}
	x.keys = keys
	x.f = excelize.NewFile()
	if err := x.f.SetSheetName("Sheet1", XLSXSheet); err != nil {
		return err
	}
	sw, err := x.f.NewStreamWriter(XLSXSheet)
	if err != nil {
		return err
	}
	x.sw = sw
	bold, err := x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	head := make([]any, 0, len(xlsxColumns)+len(keys))
	for _, c := range xlsxColumns {
		label := Label(c)
		if x.opt.CRS.Projected() {
			switch c {
			case "lon":
				label = "东坐标E"
			case "lat":
				label = "北坐标N"
			}
		}
		head = append(head, excelize.Cell{StyleID: bold, Value: label})
	}
	for _, k := range keys {
		head = append(head, excelize.Cell{StyleID: bold, Value: Label(k)})
	}
	x.sw.SetColWidth(1, 1, 20)
	x.sw.SetColWidth(3, 3, 24)
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	x.row = 1
	return x.sw.SetRow("A1", head)
}

func (x *xlsxWriter) Write(e *maint.ExportedAsset) error {
	a := &e.Asset
	v := append(x.vals[:0], a.Code, string(a.Kind), a.Name, a.NameEn, e.ParentCode, a.Subdistrict,
		statusText(a.Status), formatTime(a.StatusAt), x.coord(e.Lon), x.coord(e.Lat), string(a.Geometry))
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(a.Attrs, &attrs); err != nil {
		return fmt.Errorf("attributes: %w", err)
	}
	for _, k := range x.keys {
		c, err := xlsxCell(attrs[k])
		if err != nil {
			return fmt.Errorf("attribute %q: %w", k, err)
		}
		v = append(v, c)
	}
	x.vals = v
	x.row++
	cell, _ := excelize.CoordinatesToCellName(1, x.row)
	return x.sw.SetRow(cell, v)
}

// coord is a number cell of a coordinate: 7 decimals of a degree, 3 of a
// metre; nil (an empty cell) for other geometries than points.
func (x *xlsxWriter) coord(v *float64) any {
	if v == nil {
		return nil
	}
	scale := 1e7
	if x.opt.CRS.Projected() {
		scale = 1e3
	}
	return math.Round(*v*scale) / scale
}

// xlsxCell is the cell of an attribute value: a number or boolean as such,
// a string as EncodeCell writes it, anything else as JSON text.
func xlsxCell(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	switch raw[0] {
	case '"', '[', '{', 't', 'f', 'n': // booleans and null as text: a boolean cell reads back as 1 or 0
		return EncodeCell(raw)
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.Abs(f) >= 1e15 {
		return EncodeCell(raw) // beyond a spreadsheet's 15 digits: its text
	}
	return f, nil
}

func (x *xlsxWriter) End() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	return x.f.Write(x.w)
}
