package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/xuri/excelize/v2"

	"inframap/internal/httpx"
)

// The downloads that are tables (the evaluation, the cost roll-ups): one
// description of the columns writes both the CSV and the .xlsx.

// A tableColumn is a column of a download: its head (in both languages) and
// its cell in a row. value returns an int, int64, float64 or string; nil
// leaves the cell empty.
type tableColumn[R any] struct {
	head string
	// percent: a ratio (a float64, or a decimal string), a percentage cell in .xlsx.
	percent bool
	// whole: a number shown with thousands separators in .xlsx (money in fen).
	whole bool
	// right: text set right like numbers (money in 元).
	right bool
	// wide: the .xlsx column is the table's wide width (names).
	wide  bool
	value func(R) any
}

// A table is a download: its columns, its rows (the total last), and for
// .xlsx the sheet's name, column widths, header height and the label/value
// lines of the 说明 sheet.
type table[R any] struct {
	sheet               string
	cols                []tableColumn[R]
	rows                []R
	width, wideWidth    float64
	headHeight          float64
	about               [][2]string
	aboutA, aboutBWidth float64
}

// csv writes the table as CSV for Excel: UTF-8 with a byte-order mark
// (without it Excel reads Chinese as mojibake), one header row.
func (t table[R]) csv() []byte {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	rec := make([]string, len(t.cols))
	for i, c := range t.cols {
		rec[i] = c.head
	}
	w.Write(rec)
	for _, row := range t.rows {
		for i, c := range t.cols {
			switch v := c.value(row).(type) {
			case nil:
				rec[i] = ""
			case int:
				rec[i] = strconv.Itoa(v)
			case int64:
				rec[i] = strconv.FormatInt(v, 10)
			case float64:
				rec[i] = strconv.FormatFloat(v, 'f', -1, 64)
			case string:
				rec[i] = v
			}
		}
		w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

// xlsx writes the table as a workbook (excelize): the sheet with a frozen,
// shaded header row, numbers as number cells, and a sheet 说明 saying what
// the figures are.
func (t table[R]) xlsx() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", t.sheet); err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, err
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return nil, err
	}
	whole, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	if err != nil {
		return nil, err
	}
	right, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "right"}})
	if err != nil {
		return nil, err
	}
	for i, c := range t.cols {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellValue(t.sheet, cell, c.head)
		col, _ := excelize.ColumnNumberToName(i + 1)
		width := t.width
		if c.wide {
			width = t.wideWidth
		}
		f.SetColWidth(t.sheet, col, col, width)
	}
	last, _ := excelize.CoordinatesToCellName(len(t.cols), 1)
	f.SetCellStyle(t.sheet, "A1", last, head)
	f.SetRowHeight(t.sheet, 1, t.headHeight)
	for j, row := range t.rows {
		for i, c := range t.cols {
			v := c.value(row)
			if v == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(i+1, j+2)
			style := 0
			switch {
			case c.percent:
				if s, ok := v.(string); ok {
					// A share is a ratio, not money: a number cell.
					n, err := json.Number(s).Float64()
					if err != nil {
						return nil, err
					}
					v = n
				}
				style = pct
			case c.whole:
				style = whole
			case c.right:
				style = right
			}
			if err := f.SetCellValue(t.sheet, cell, v); err != nil {
				return nil, err
			}
			if style != 0 {
				f.SetCellStyle(t.sheet, cell, cell, style)
			}
		}
	}
	if err := f.SetPanes(t.sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	const about = "说明"
	if _, err := f.NewSheet(about); err != nil {
		return nil, err
	}
	for i, kv := range t.about {
		f.SetCellValue(about, "A"+strconv.Itoa(i+1), kv[0])
		f.SetCellValue(about, "B"+strconv.Itoa(i+1), kv[1])
	}
	f.SetColWidth(about, "A", "A", t.aboutA)
	f.SetColWidth(about, "B", "B", t.aboutBWidth)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeReport answers a report in its format: "csv" or "xlsx" as a download
// named name (the table made only then), anything else as JSON of rep.
func writeReport[R any](w http.ResponseWriter, r *http.Request, format, name string, t func() table[R], rep any) {
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		w.Write(t().csv())
	case "xlsx":
		b, err := t().xlsx()
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		w.Write(b)
	default:
		httpx.WriteJSON(w, r, http.StatusOK, rep)
	}
}
