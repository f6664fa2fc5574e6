package httpapi

import (
	"mime"
	"net/http"
	"time"

	"inframap/internal/exchange"
	"inframap/internal/maint"
)

// export serves GET /api/v1/export?kind=…&format=geojson|csv|kml: the whole
// district (or the kinds asked for) as one file, streamed from a single
// database snapshot. An error before the first 32 KiB have left is a
// problem response; after that the connection is aborted, so that no one
// keeps a cut file for a whole one.
func (s *Server) export() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(r, "kind", "format")
		if err != nil {
			writeError(w, r, err)
			return
		}
		kinds, err := maint.ParseKinds("kind", p.str("kind"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		format, err := exchange.ParseFormat("format", p.str("format"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		name := exchange.FileName(format, kinds, time.Now())
		hw := newHeldWriter(w, func(h http.Header) {
			h.Set("Content-Type", format.ContentType())
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
			h.Set("Cache-Control", "no-store")
		})
		defer hw.release()
		ew := exchange.NewWriter(format, hw)
		err = s.store.ExportAssets(r.Context(), maint.ExportFilter{Kinds: kinds, Geometry: format.Geometry()}, ew.Begin, ew.Write)
		if err == nil {
			err = ew.End()
		}
		if err == nil {
			err = hw.Close()
		}
		if err != nil {
			if hw.sent {
				panic(http.ErrAbortHandler)
			}
			writeError(w, r, err)
		}
	})
}
