package exchange

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"inframap/internal/maint"
)

// Limits of an imported workbook. excelize holds the zipped file in memory
// and unzips each worksheet beyond xlsxSheetMemory to a temporary file; the
// rows are then read one at a time.
const (
	MaxXLSXBytes    = 64 << 20  // the .xlsx file itself
	MaxXLSXUnzipped = 1 << 30   // all its parts unzipped
	MaxXLSXRows     = 1_000_000 // rows of the sheet read
	xlsxSheetMemory = 16 << 20
)

// xlsxReader reads the first sheet of a workbook (or the one named 资产, as
// the export writes it): the first non-empty row names the columns — ours,
// their Chinese labels, or known synonyms (经度/纬度, lon/lat, longitude,
// x/y, WKT…), after the mapping — then one asset a row, as the CSV reader
// reads it. Problems name the sheet row as their line.
type xlsxReader struct {
	f     *excelize.File
	rows  *excelize.Rows
	n     int // the sheet row last read
	sheet string
	csv   *csvReader // the header's columns, as CSV reads them
	m     *Mapping
	names []string // the source's names, by column
	idx   []int    // the source column of each column read; -1 for the mapping's kind
}

// countingReader counts what passes so that a file beyond the limit is
// named as such rather than read to its end.
type countingReader struct {
	r   io.Reader
	n   int64
	err error // an error of the reader underneath, not of the file
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

func fileProblem(format string, args ...any) *maint.ImportError {
	return maint.NewImportError(maint.CodeInvalid, []maint.ImportProblem{maint.RowRef{}.Problem("", "",
		fmt.Sprintf(format, args...))}, 0, "the file cannot be read")
}

func newXLSXReader(r io.Reader, m *Mapping) (maint.RowSource, error) {
	cr := &countingReader{r: io.LimitReader(r, MaxXLSXBytes+1)}
	f, err := excelize.OpenReader(cr, excelize.Options{RawCellValue: true, UnzipSizeLimit: MaxXLSXUnzipped, UnzipXMLSizeLimit: xlsxSheetMemory})
	if cr.n > MaxXLSXBytes {
		if f != nil {
			f.Close()
		}
		return nil, maint.Errorf(maint.CodeTooLarge, "an imported workbook may have at most %d MB; save it as CSV UTF-8 or split it", MaxXLSXBytes>>20)
	}
	if cr.err != nil {
		if f != nil {
			f.Close()
		}
		return nil, cr.err
	}
	if err != nil {
		return nil, fileProblem("the file cannot be read as an Excel workbook (.xlsx): %v; save it from Excel or WPS as .xlsx (Excel 2007 and later)", err)
	}
	x := &xlsxReader{f: f, m: m}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, fileProblem("the workbook has no sheet")
	}
	x.sheet = sheets[0]
	if slices.Contains(sheets, XLSXSheet) {
		x.sheet = XLSXSheet
	}
	if x.rows, err = f.Rows(x.sheet); err != nil {
		f.Close()
		return nil, fileProblem("sheet %s cannot be read: %v", x.sheet, err)
	}
	if err := x.header(); err != nil {
		x.close()
		return nil, err
	}
	return x, nil
}

func (x *xlsxReader) close() {
	if x.rows != nil {
		x.rows.Close()
	}
	x.f.Close()
}

// next reads the next non-empty row of the sheet.
func (x *xlsxReader) next() ([]string, error) {
	for x.rows.Next() {
		x.n++
		if x.n > MaxXLSXRows {
			return nil, maint.Errorf(maint.CodeTooLarge, "an imported sheet may have at most %d rows; split it", MaxXLSXRows)
		}
		cols, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fileProblem("sheet %s, row %d cannot be read: %v", x.sheet, x.n, err)
		}
		if slices.ContainsFunc(cols, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			return cols, nil
		}
	}
	if err := x.rows.Error(); err != nil {
		return nil, fileProblem("sheet %s cannot be read: %v", x.sheet, err)
	}
	return nil, io.EOF
}

// header reads the column names, maps them to ours and has the CSV reader
// judge the result, so both read the same columns.
func (x *xlsxReader) header() error {
	cols, err := x.next()
	if err == io.EOF {
		return fileProblem("sheet %s is empty: its first row names the columns (编号 code, 资产类型 kind, 名称 name, 经度/纬度 or WKT…)", x.sheet)
	}
	if err != nil {
		return err
	}
	x.names = cols
	// A synonym stands for our field only when no column has its name.
	taken := map[string]bool{}
	for _, c := range cols {
		taken[strings.TrimSpace(c)] = true
	}
	var ours []string
	for i, c := range cols {
		f, ok := x.fieldOf(c)
		if !ok {
			continue
		}
		if f != strings.TrimSpace(c) && taken[f] {
			f = strings.TrimSpace(c)
		}
		taken[f] = true
		ours = append(ours, f)
		x.idx = append(x.idx, i)
	}
	if x.m != nil && x.m.Kind != "" && !slices.Contains(ours, "kind") {
		ours = append(ours, "kind")
		x.idx = append(x.idx, -1)
	}
	var b bytes.Buffer
	if err := csvLine(&b, ours); err != nil {
		return err
	}
	c, err := newCSVReader(&b)
	if err != nil {
		var ie *maint.ImportError
		if errors.As(err, &ie) {
			for i := range ie.Problems {
				ie.Problems[i].Line = x.n
				ie.Problems[i].Field = fmt.Sprintf("line %d: %s", x.n, ie.Problems[i].Column)
			}
			if ie.Proposal == nil {
				if p := ProposeMapping(cols, nil); p != nil {
					ie.Proposal = p
				}
			}
		}
		return err
	}
	x.csv = c
	return nil
}

// fieldOf is our name of a source column: the mapping's, else a known
// synonym, else its own; false when the mapping drops the column.
func (x *xlsxReader) fieldOf(name string) (string, bool) {
	name = strings.TrimSpace(name)
	if x.m != nil {
		if to, ok := x.m.Fields[name]; ok {
			return to, to != ""
		}
	}
	if f, ok := Synonym(name); ok {
		return f, true
	}
	return name, true
}

func (x *xlsxReader) Next() (*maint.ImportRow, error) {
	cols, err := x.next()
	if err != nil {
		x.close()
		return nil, err
	}
	rec := make([]string, len(x.idx))
	for i, j := range x.idx {
		switch {
		case j < 0:
			rec[i] = string(x.m.Kind)
		case j < len(cols):
			rec[i] = x.m.Value(x.csv.names[i], strings.TrimSpace(cols[j]))
		}
	}
	return x.csv.row(rec, x.n), nil
}

// Proposal proposes codes for the values of coded columns that were not
// codes, and the names of the columns that were synonyms.
func (x *xlsxReader) Proposal() *Mapping {
	if x.csv == nil {
		return nil
	}
	return x.csv.Proposal()
}

// csvLine writes one CSV record.
func csvLine(w io.Writer, rec []string) error {
	for i, s := range rec {
		if i > 0 {
			io.WriteString(w, ",")
		}
		if _, err := io.WriteString(w, `"`+strings.ReplaceAll(s, `"`, `""`)+`"`); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\r\n")
	return err
}
