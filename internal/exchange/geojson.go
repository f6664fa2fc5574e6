package exchange

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"inframap/internal/maint"
)

// geojsonWriter writes an RFC 7946 FeatureCollection, one feature a line.
// Each feature's properties are the fixed Columns that apply (no lon, lat,
// wkt: the geometry is the geometry) followed by the attributes.
type geojsonWriter struct {
	w     io.Writer
	buf   []byte
	first bool
}

func newGeoJSONWriter(w io.Writer) *geojsonWriter { return &geojsonWriter{w: w, first: true} }

func (g *geojsonWriter) Begin(keys []string) error {
	if err := checkKeys(keys); err != nil {
		return err
	}
	_, err := io.WriteString(g.w, `{"type":"FeatureCollection","name":"lvyuan_assets","features":[`+"\n")
	return err
}

func (g *geojsonWriter) Write(e *maint.ExportedAsset) error {
	a := &e.Asset
	b := g.buf[:0]
	if !g.first {
		b = append(b, ",\n"...)
	}
	g.first = false
	b = append(b, `{"type":"Feature","id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"geometry":`...)
	b = append(b, a.Geometry...)
	b = append(b, `,"properties":{"code":`...)
	b = appendJSON(b, a.Code)
	b = append(b, `,"kind":`...)
	b = appendJSON(b, string(a.Kind))
	b = append(b, `,"name":`...)
	b = appendJSON(b, a.Name)
	b = append(b, `,"name_en":`...)
	b = appendJSON(b, a.NameEn)
	b = append(b, `,"parent_code":`...)
	b = appendJSON(b, e.ParentCode)
	b = append(b, `,"subdistrict":`...)
	b = appendJSON(b, a.Subdistrict)
	b = append(b, `,"status":`...)
	if a.Status != nil {
		b = appendJSON(b, string(*a.Status))
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"status_at":`...)
	if a.StatusAt != nil {
		b = appendJSON(b, formatTime(a.StatusAt))
	} else {
		b = append(b, "null"...)
	}
	if members := objectMembers(a.Attrs); len(members) > 0 {
		b = append(b, ',')
		b = append(b, members...)
	}
	b = append(b, "}}"...)
	g.buf = b
	_, err := g.w.Write(b)
	return err
}

func (g *geojsonWriter) End() error {
	_, err := io.WriteString(g.w, "\n]}\n")
	return err
}

// appendJSON appends s as a JSON string.
func appendJSON(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// objectMembers returns the members of a JSON object without its braces.
func objectMembers(obj []byte) []byte {
	obj = bytes.TrimSpace(obj)
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil
	}
	return bytes.TrimSpace(obj[1 : len(obj)-1])
}
