package exchange

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"inframap/gis"
	"inframap/internal/maint"
)

// geojsonReader reads an RFC 7946 FeatureCollection as the export writes
// it, streaming: json.Decoder walks the collection's tokens and decodes one
// feature at a time. The properties kind, code, name, name_en and
// parent_code are the asset's fields; subdistrict, status and status_at
// are read past; the others are its attributes. A feature's id is
// informative only.
type geojsonReader struct {
	dec *json.Decoder
	m   *Mapping // of the source's properties and values to ours, or nil
	// names are the property names seen (at most maxProposalValues) and
	// seen the values of coded properties that were not codes, for a
	// proposal.
	names []string
	seen  valueSampler
	n     int // features read
	// features is set once the features array is open; done when the
	// collection has been read to its end.
	features, done bool
}

func newGeoJSONReader(r io.Reader) (*geojsonReader, error) {
	g := &geojsonReader{dec: json.NewDecoder(r)}
	// Numbers where the collection's structure is read stay text: a number
	// past float64 in the wrong place is the file's mistake, said as such.
	g.dec.UseNumber()
	tok, err := g.dec.Token()
	if err != nil {
		return nil, g.fail(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, g.fileError("a GeoJSON file to import holds one FeatureCollection object")
	}
	if err := g.members(); err != nil {
		return nil, err
	}
	return g, nil
}

// members reads the collection's members up to its features array, or,
// after the array, to its end and the end of the file.
func (g *geojsonReader) members() error {
	for g.dec.More() {
		tok, err := g.dec.Token()
		if err != nil {
			return g.fail(err)
		}
		switch tok {
		case "type":
			var t any
			if err := g.dec.Decode(&t); err != nil {
				return g.fail(err)
			}
			if t != "FeatureCollection" {
				return g.fileError(fmt.Sprintf("the file's type is %v; an import reads a FeatureCollection", jsonText(t)))
			}
		case "features":
			if g.done {
				return g.fileError("the collection has two features members")
			}
			tok, err := g.dec.Token()
			if err != nil {
				return g.fail(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return g.fileError("features must be an array")
			}
			g.features = true
			return nil
		default: // name, crs, bbox, foreign members
			var skip json.RawMessage
			if err := g.dec.Decode(&skip); err != nil {
				return g.fail(err)
			}
		}
	}
	if _, err := g.dec.Token(); err != nil { // the closing brace
		return g.fail(err)
	}
	if !g.done {
		return g.fileError("the FeatureCollection has no features")
	}
	if _, err := g.dec.Token(); err != io.EOF {
		if err != nil {
			return g.fail(err)
		}
		return g.fileError("more data follows the FeatureCollection")
	}
	return nil
}

// feature is a feature as decoded: members stay raw so that a wrong type
// is a problem of the feature, not the end of the file.
type feature struct {
	Type       json.RawMessage `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

func (g *geojsonReader) Next() (*maint.ImportRow, error) {
	if !g.features {
		return nil, io.EOF
	}
	if !g.dec.More() {
		if _, err := g.dec.Token(); err != nil { // the closing bracket
			return nil, g.fail(err)
		}
		g.features, g.done = false, true
		if err := g.members(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	g.n++
	var f feature
	if err := g.dec.Decode(&f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) { // the decoder has read past the value
			row := &maint.ImportRow{RowRef: maint.RowRef{Feature: g.n, GeometryField: "geometry"}}
			row.Add("", "a feature is a JSON object, not a JSON %s", te.Value)
			return row, nil
		}
		return nil, g.fail(err)
	}
	return g.row(&f), nil
}

func (g *geojsonReader) row(f *feature) *maint.ImportRow {
	return featureRow(maint.RowRef{Feature: g.n, GeometryField: "geometry"}, f, func(props map[string]any) map[string]any {
		g.sample(props)
		return g.m.MapProperties(props)
	}, false)
}

// featureRow reads a GeoJSON feature into a row; fix, when given, adjusts
// the decoded properties first (a mapping file's names and values, or the
// names and values GDAL gives a shapefile's fields); unwrap makes a
// single-part multi-geometry (as GDAL writes them) single.
func featureRow(ref maint.RowRef, f *feature, fix func(map[string]any) map[string]any, unwrap bool) *maint.ImportRow {
	row := &maint.ImportRow{RowRef: ref}
	props := map[string]any{}
	if len(f.Properties) > 0 && string(f.Properties) != "null" {
		if err := json.Unmarshal(f.Properties, &props); err != nil {
			row.Add("properties", "properties must be a JSON object")
			props = map[string]any{}
		}
	}
	if fix != nil {
		props = fix(props)
	}
	str := func(key string, dst *string) {
		v, ok := props[key]
		delete(props, key)
		if !ok || v == nil {
			return
		}
		s, isString := v.(string)
		if !isString {
			row.Add(key, "%s must be a string, not %s", key, jsonText(v))
			return
		}
		*dst = strings.TrimSpace(s)
	}
	str("code", &row.Code) // first: problems carry it
	var kind string
	str("kind", &kind)
	row.Kind = maint.Kind(kind)
	str("name", &row.Name)
	str("name_en", &row.NameEn)
	str("parent_code", &row.ParentCode)
	var typ string
	if json.Unmarshal(f.Type, &typ) != nil || typ != "Feature" {
		row.Add("type", `a feature has "type": "Feature"`)
	}
	for _, k := range ignoredOnImport {
		delete(props, k)
	}
	for _, k := range maint.RegisterColumns {
		if v, ok := props[k]; ok && v != nil && v != "" && k != maint.ColOwnerUnit {
			if row.RegisterRaw == nil {
				row.RegisterRaw = map[string]any{}
			}
			row.RegisterRaw[k] = v
		}
		delete(props, k)
	}
	for k := range props {
		if err := maint.CheckAttrName(k); err != nil {
			row.AddError(err)
			delete(props, k)
		}
	}
	if len(props) > 0 {
		row.Attrs = props
	}
	if geom, err := gis.ParseGeometry(f.Geometry, gis.MaxVertices); err != nil {
		row.Add("geometry", "%s", err)
	} else {
		if unwrap {
			geom = singlePart(geom)
		}
		row.Geometry = geom
	}
	checkRow(row)
	return row
}

// sample notes the property names and the coded values of a feature for
// a proposal.
func (g *geojsonReader) sample(props map[string]any) {
	for k, v := range props {
		if len(g.names) < maxProposalValues && !slices.Contains(g.names, k) {
			g.names = append(g.names, k)
		}
		field, _ := g.m.Field(k)
		if g.m == nil || field == k {
			if f, ok := Synonym(k); ok {
				field = f
			}
		}
		if text, ok := v.(string); ok && field != "" {
			g.seen.see(k, field, g.m.Value(field, text))
		}
	}
}

// Proposal proposes a mapping of the properties that are not ours but
// known synonyms, and codes for names found in coded properties.
func (g *geojsonReader) Proposal() *Mapping {
	if g.m != nil {
		return g.seen.proposal(g.names, g.m)
	}
	return ProposeMapping(g.names, g.seen.values)
}

// fail turns a decoding error into the file's problem: where the JSON
// breaks or ends. Errors of the reader underneath (a body over its limit,
// a client gone) pass through as they are.
func (g *geojsonReader) fail(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return g.fileError(fmt.Sprintf("the file is not valid JSON at byte %d: %v", se.Offset, se))
	case errors.As(err, &te):
		return g.fileError(fmt.Sprintf("the file cannot be read at byte %d: a %s where the collection has no place for it", te.Offset, te.Value))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return g.fileError("the file ends before the FeatureCollection does (empty, or cut short?)")
	}
	return err
}

// fileError is a problem that stops the reading, at the current feature
// when there is one.
func (g *geojsonReader) fileError(msg string) error {
	at := maint.RowRef{}
	if g.features {
		at.Feature = g.n
	}
	return maint.NewImportError(maint.CodeInvalid, []maint.ImportProblem{at.Problem("", "", msg)}, 0, "the file cannot be read")
}

// jsonText shows a decoded JSON value in a message: itself when short,
// else its type.
func jsonText(v any) string {
	if b, err := json.Marshal(v); err == nil && len(b) <= 40 {
		return string(b)
	}
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a long string"
	}
	return "a JSON value"
}

// singlePart unwraps a multi-geometry of one part: formats such as the
// File Geodatabase keep every line and polygon as a multi-part one.
func singlePart(g gis.Geometry) gis.Geometry {
	switch m := g.(type) {
	case orb.MultiPoint:
		if len(m) == 1 {
			return m[0]
		}
	case orb.MultiLineString:
		if len(m) == 1 {
			return m[0]
		}
	case orb.MultiPolygon:
		if len(m) == 1 {
			return m[0]
		}
	}
	return g
}
