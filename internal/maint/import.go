package maint

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Imports read exchange files (docs/exchange.md) back into assets. A reader
// turns a file into ImportRows, each checked as an API write is checked;
// the store checks what needs the database (validity, the boundary, kinds
// and parents of stored assets, duplicates) and then writes every row or
// none. Problems name the row as the file does: a CSV line or a GeoJSON
// feature number.

// MaxImportProblems bounds the problems listed in one answer; the count of
// all of them is given besides.
const MaxImportProblems = 1000

// RowRef locates a row in its file.
type RowRef struct {
	// Line is where a CSV row starts, 1-based; the header is line 1.
	Line int
	// Feature is a GeoJSON feature's position in "features", 1-based.
	Feature int
	// GeometryField is what the file calls the row's geometry: "geometry"
	// (GeoJSON), "wkt" or "lon/lat" (CSV).
	GeometryField string
	// Layer is the layer of a file read through GDAL (a shapefile, a
	// GeoPackage table); Feature then counts within the layer, and Seq is
	// the row's position in the whole file, which orders its problems.
	Layer string
	Seq   int
}

// String names the row: "line 17", "feature 3" ("file" for the whole file).
func (r RowRef) String() string {
	switch {
	case r.Layer != "" && r.Feature == 0:
		return "layer " + r.Layer
	case r.Layer != "":
		return "layer " + r.Layer + ", feature " + strconv.Itoa(r.Feature)
	case r.Line > 0:
		return "line " + strconv.Itoa(r.Line)
	case r.Feature > 0:
		return "feature " + strconv.Itoa(r.Feature)
	}
	return "file"
}

// flat reports whether the row's fields are columns (CSV, a GDAL layer)
// rather than GeoJSON members.
func (r RowRef) flat() bool { return r.Line > 0 || r.Layer != "" }

// Column translates a field named as the API names it (kind, code,
// properties.area_m2, geometry …) into the file's terms: a CSV column
// (area_m2, wkt, lon/lat), or a GeoJSON member (properties.kind).
func (r RowRef) Column(field string) string {
	if field == "geometry" && r.GeometryField != "" {
		return r.GeometryField
	}
	if r.flat() {
		if field == "properties" {
			return "attributes"
		}
		return strings.TrimPrefix(field, "properties.")
	}
	if r.Feature > 0 && slices.Contains(importFields, field) {
		return "properties." + field
	}
	return field
}

// importFields are the fixed properties an import reads besides the
// geometry.
var importFields = []string{"kind", "code", "name", "name_en", "parent_code"}

// Problem is a problem of this row's field (named as the API names it).
func (r RowRef) Problem(code, field, message string) ImportProblem {
	col := r.Column(field)
	where := r.String()
	if col != "" {
		where += ": " + col
	}
	return ImportProblem{Field: where, Message: message, Line: r.Line, Feature: r.Feature, Layer: r.Layer, Column: col, Code: code, Seq: r.Seq}
}

// ImportProblem is one problem found in an imported file. Field is the
// row and column in one string ("line 17: lat", "feature 3:
// properties.kind"), as every problem body's errors name their field; Line
// or Feature and Column give the same structured.
type ImportProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Feature int    `json:"feature,omitempty"`
	// Layer is the layer of a file read through GDAL; Feature counts in it.
	Layer string `json:"layer,omitempty"`
	// Column is the CSV column or the GeoJSON member at fault: "lat",
	// "wkt", "lon/lat", "area_m2"; "geometry", "properties.kind".
	Column string `json:"column,omitempty"`
	// Code is the code of the row's asset, when it has one.
	Code string `json:"code,omitempty"`
	// ErrorCode and Params, when set, say what is wrong in a form the
	// pages translate (err.<error_code>), as a FieldError's code does.
	ErrorCode string `json:"error_code,omitempty"`
	Params    Params `json:"params,omitempty"`
	// Seq orders the problems of a file of layers.
	Seq int `json:"-"`
}

// ImportRow is one asset read from a file, where it was read, and what is
// wrong with it so far. Geometry is nil when it could not be read.
type ImportRow struct {
	AssetRecord
	RowRef
	Problems []ImportProblem
	// RegisterRaw holds the register columns the row has (anti_fall_net,
	// last_inspected_on) as read; the reader's checks turn them into
	// Register.
	RegisterRaw map[string]any
	Register    RegisterValues
}

// Add records a problem of the row's field (named as the API names it).
func (r *ImportRow) Add(field, format string, args ...any) {
	r.Problems = append(r.Problems, r.Problem(r.Code, field, fmt.Sprintf(format, args...)))
}

// AddError records a check's error, under the field it names.
func (r *ImportRow) AddError(err error) {
	field := ""
	msg := err.Error()
	var code string
	var params Params
	if e, ok := AsError(err); ok {
		msg = e.Message
		if len(e.Fields) > 0 {
			field, code, params = e.Fields[0].Field, e.Fields[0].Code, e.Fields[0].Params
		}
	}
	p := r.Problem(r.Code, field, msg)
	p.ErrorCode, p.Params = code, params
	r.Problems = append(r.Problems, p)
}

// RowSource yields the rows of a file: Next returns io.EOF after the last
// one. A row with problems is still returned, so that reading goes on and
// every problem is found; an error means the file cannot be read further.
type RowSource interface {
	Next() (*ImportRow, error)
}

// CheckAttrName checks the name of an attribute column or property as
// CheckAttrs does, so that a file's header is judged once rather than on
// every row.
func CheckAttrName(name string) error {
	if slices.Contains(reservedAttrs, name) {
		return InvalidAs("properties."+name, "attr_fixed", Params{"key": name}, "%q is a fixed property of an asset, not an attribute", name)
	}
	if len(name) == 0 || len(name) > 64 {
		return InvalidAs("properties."+name, "attr_name_length", nil, "attribute names have 1–64 characters")
	}
	return nil
}

// ImportError is the answer to a file with problems: nothing was written.
// Err carries the code — invalid when the file cannot be read as its
// format, unprocessable when rows break the rules — and a message naming
// the first rows; its Fields list the problems as "line 17: lat" so that
// any problem writer shows them. Problems are in file order, at most
// MaxImportProblems of Total.
type ImportError struct {
	Err      *Error
	Problems []ImportProblem
	Total    int
	// Proposal is a mapping of the file's fields to ours that a reader
	// proposes when they are not ours (exchange.Mapping), or nil.
	Proposal any
}

func (e *ImportError) Error() string { return e.Err.Error() }

// Unwrap lets ErrorCode and AsError find the code.
func (e *ImportError) Unwrap() error { return e.Err }

// NewImportError builds the error for problems (in file order; total
// counts those not listed too). what says what became of the file:
// "nothing was imported".
func NewImportError(code Code, problems []ImportProblem, total int, what string) *ImportError {
	if total < len(problems) {
		total = len(problems)
	}
	if len(problems) > MaxImportProblems {
		problems = problems[:MaxImportProblems]
	}
	var b strings.Builder
	if total == 1 {
		b.WriteString("1 problem")
	} else {
		fmt.Fprintf(&b, "%d problems", total)
	}
	if what != "" {
		b.WriteString("; " + what)
	}
	for i, p := range problems {
		if i == 3 {
			b.WriteString(" …")
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + ": " + p.Message)
	}
	if total > len(problems) {
		fmt.Fprintf(&b, " (the first %d are listed)", len(problems))
	}
	e := &Error{Code: code, Message: b.String(), Fields: make([]FieldError, len(problems))}
	for i, p := range problems {
		e.Fields[i] = FieldError{Field: p.Field, Message: p.Message}
	}
	return &ImportError{Err: e, Problems: problems, Total: total}
}

// ImportOptions say how to import a file.
type ImportOptions struct {
	// DryRun checks everything and counts what would change, writing nothing.
	DryRun bool
	// Format and Name describe the file for the audit trail.
	Format string
	Name   string
}

// ImportCounts are what an import did (or, dry, would do) to assets.
type ImportCounts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Add adds c to the counts.
func (n *ImportCounts) Add(c ImportCounts) {
	n.Created += c.Created
	n.Updated += c.Updated
	n.Unchanged += c.Unchanged
}

// ImportResult is the outcome of an import without problems.
type ImportResult struct {
	DryRun bool
	Rows   int
	Total  ImportCounts
	Kinds  map[Kind]ImportCounts
	// Register counts the covers whose register (anti-fall net, last
	// inspection) the import sets or changes; a register is not the
	// asset, so these may be among the unchanged.
	Register int
}
