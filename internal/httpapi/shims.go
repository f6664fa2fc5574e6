package httpapi

import (
	"net/http"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// Forwarding shims for tiles.go, clusters.go and cachemw.go, which are
// being reworked in parallel: they keep their calls while the code they
// call lives in httpx. New code calls httpx directly.

func writeError(w http.ResponseWriter, r *http.Request, err error) { httpx.WriteError(w, r, err) }

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	httpx.WriteJSON(w, r, status, v)
}

func readParams(r *http.Request, allowed ...string) (httpx.Params, error) {
	return httpx.ReadParams(r, allowed...)
}

func appendString(b []byte, s string) []byte { return httpx.AppendString(b, s) }

func appendAssetFeature(b []byte, a *maint.Asset) []byte { return httpx.AppendAssetFeature(b, a) }

func (s *Server) streamCollection(w http.ResponseWriter, r *http.Request, contentType string,
	fill func(emit httpx.Emit) (more bool, err error), tail func(b []byte, more bool) []byte) error {
	return httpx.StreamCollection(w, contentType, fill, tail)
}

// Problem is the body of every error this API answers (RFC 9457); the
// tests, tiles_test.go among them, decode it under this name.
type Problem = httpx.Problem
