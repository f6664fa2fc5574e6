// Package geojson writes the service's GeoJSON by appending to byte slices:
// one pass over each row, no intermediate maps, so that pages of thousands
// of features and cluster tiles cost little. Geometry and attributes arrive
// as JSON text from PostGIS and are copied as they are.
package geojson

import (
	"strconv"
	"time"
	"unicode/utf8"

	"inframap/internal/maint"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. Besides what JSON requires it
// escapes <, > and & (as encoding/json does) so that text never reads as
// markup, and replaces invalid UTF-8.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = appendEscape(append(b, s[start:i]...), c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscape appends the escape of an ASCII byte JSON text may not hold
// as it is.
func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// AppendTime appends t as an RFC 3339 JSON string in UTC.
func AppendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

func appendTimeOrNull(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return AppendTime(b, *t)
}

// AppendAssetFeature appends an asset as a GeoJSON Feature whose properties
// are the asset's fields followed by its kind's attributes.
func AppendAssetFeature(b []byte, a *maint.Asset) []byte {
	b = append(b, `{"type":"Feature","id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"geometry":`...)
	b = append(b, a.Geometry...)
	b = AppendAssetProperties(append(b, `,"properties":`...), a)
	return append(b, '}')
}

// AppendAssetProperties appends the properties object of an asset's Feature.
func AppendAssetProperties(b []byte, a *maint.Asset) []byte {
	b = append(b, `{"kind":`...)
	b = AppendString(b, string(a.Kind))
	b = append(b, `,"code":`...)
	b = AppendString(b, a.Code)
	b = append(b, `,"name":`...)
	b = AppendString(b, a.Name)
	b = append(b, `,"name_en":`...)
	b = AppendString(b, a.NameEn)
	b = append(b, `,"subdistrict":`...)
	b = AppendString(b, a.Subdistrict)
	b = append(b, `,"status":`...)
	if a.Status != nil {
		b = AppendString(b, string(*a.Status))
	} else {
		b = append(b, "null"...)
	}
	b = appendTimeOrNull(append(b, `,"status_at":`...), a.StatusAt)
	if a.ParentID != nil {
		b = append(b, `,"parent_id":`...)
		b = strconv.AppendInt(b, *a.ParentID, 10)
	}
	b = appendTimeOrNull(append(b, `,"completed_at":`...), a.CompletedAt)
	// The condition, once graded (docs/condition.md).
	if a.PCI != nil {
		b = strconv.AppendFloat(append(b, `,"pci":`...), *a.PCI, 'f', -1, 64)
	}
	if a.ConditionGrade != nil {
		b = AppendString(append(b, `,"condition_grade":`...), *a.ConditionGrade)
	}
	if a.ConditionScore != nil {
		b = strconv.AppendFloat(append(b, `,"condition_score":`...), *a.ConditionScore, 'f', -1, 64)
	}
	// A cover's register (docs/inspections.md), as far as it is known.
	if a.OwnerUnit != nil {
		b = AppendString(append(b, `,"owner_unit":`...), *a.OwnerUnit)
	}
	if a.AntiFallNet != nil {
		b = strconv.AppendBool(append(b, `,"anti_fall_net":`...), *a.AntiFallNet)
	}
	if a.LastInspectedOn != nil {
		b = append(a.LastInspectedOn.AppendFormat(append(b, `,"last_inspected_on":"`...), time.DateOnly), '"')
	}
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(a.Version), 10)
	b = append(b, `,"updated_at":`...)
	b = AppendTime(b, a.UpdatedAt)
	// The attributes object's members follow the fixed ones.
	if attrs := trimObject(a.Attrs); len(attrs) > 0 {
		b = append(b, ',')
		b = append(b, attrs...)
	}
	return append(b, '}')
}

// trimObject returns the members of a JSON object without its braces.
func trimObject(obj []byte) []byte {
	i, j := 0, len(obj)
	for i < j && obj[i] != '{' {
		i++
	}
	for j > i && obj[j-1] != '}' {
		j--
	}
	if j-i < 2 {
		return nil
	}
	inner := obj[i+1 : j-1]
	for len(inner) > 0 && (inner[0] == ' ' || inner[0] == '\n') {
		inner = inner[1:]
	}
	return inner
}
