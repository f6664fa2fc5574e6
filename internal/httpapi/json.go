package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"sync"

	"inframap/internal/geojson"
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

// The encoders live in internal/geojson, shared with the renderer of
// cluster tiles; these names keep the handlers' calls short.

func appendString(b []byte, s string) []byte { return geojson.AppendString(b, s) }

func appendAssetFeature(b []byte, a *maint.Asset) []byte { return geojson.AppendAssetFeature(b, a) }

func appendAssetProperties(b []byte, a *maint.Asset) []byte {
	return geojson.AppendAssetProperties(b, a)
}

// jsonUnmarshalObject decodes a JSON object stored by the service; anything
// else leaves dst empty.
func jsonUnmarshalObject(b []byte, dst *map[string]any) {
	if err := json.Unmarshal(b, dst); err != nil || *dst == nil {
		*dst = map[string]any{}
	}
}
