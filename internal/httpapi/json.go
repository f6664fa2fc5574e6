package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"inframap/internal/maint"
)

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(append(b, '\n'))
	}
}

// The append-style encoder below writes GeoJSON features straight into a
// pooled buffer: one pass over each row, no intermediate maps. Geometry and
// attributes arrive as JSON text from PostGIS and are copied as they are.

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

func getWriter(w http.ResponseWriter) *bufio.Writer {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

func putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writers.Put(bw)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Besides what JSON requires it
// escapes <, > and & (as encoding/json does) so that text never reads as
// markup, and replaces invalid UTF-8.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

// appendAssetFeature appends an asset as a GeoJSON Feature whose properties
// are the asset's fields followed by its kind's attributes.
func appendAssetFeature(b []byte, a *maint.Asset) []byte {
	b = append(b, `{"type":"Feature","id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"geometry":`...)
	b = append(b, a.Geometry...)
	b = appendAssetProperties(append(b, `,"properties":`...), a)
	return append(b, '}')
}

func appendAssetProperties(b []byte, a *maint.Asset) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, string(a.Kind))
	b = append(b, `,"code":`...)
	b = appendString(b, a.Code)
	b = append(b, `,"name":`...)
	b = appendString(b, a.Name)
	b = append(b, `,"name_en":`...)
	b = appendString(b, a.NameEn)
	b = append(b, `,"subdistrict":`...)
	b = appendString(b, a.Subdistrict)
	b = append(b, `,"status":`...)
	if a.Status != nil {
		b = appendString(b, string(*a.Status))
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"status_at":`...)
	if a.StatusAt != nil {
		b = appendTime(b, *a.StatusAt)
	} else {
		b = append(b, "null"...)
	}
	if a.ParentID != nil {
		b = append(b, `,"parent_id":`...)
		b = strconv.AppendInt(b, *a.ParentID, 10)
	}
	b = append(b, `,"completed_at":`...)
	if a.CompletedAt != nil {
		b = appendTime(b, *a.CompletedAt)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(a.Version), 10)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, a.UpdatedAt)
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

// jsonUnmarshalObject decodes a JSON object stored by the service; anything
// else leaves dst empty.
func jsonUnmarshalObject(b []byte, dst *map[string]any) {
	if err := json.Unmarshal(b, dst); err != nil || *dst == nil {
		*dst = map[string]any{}
	}
}
