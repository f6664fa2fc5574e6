package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"inframap/internal/maint"
)

// WriteJSON answers v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(append(b, '\n'))
	}
}

// DecodeJSON reads a JSON request body into v, refusing other media types,
// unknown fields and trailing data.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return maint.Errorf(maint.CodeUnsupportedMedia, "send JSON (Content-Type: application/json), not %q", ct)
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return JSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return maint.Invalid("body", "the body holds more than one JSON value")
	}
	return nil
}

// Decode reads a JSON request body as a T (see DecodeJSON).
func Decode[T any](r *http.Request) (T, error) {
	var v T
	err := DecodeJSON(r, &v)
	return v, err
}

// JSONError names the field at fault in a JSON (or form) decoding error.
func JSONError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return maint.Errorf(maint.CodeTooLarge, "the body exceeds %d bytes", mbe.Limit)
	case errors.As(err, &te):
		return maint.Invalid(te.Field, "%s must be %s, not a JSON %s", te.Field, jsonTypeName(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return maint.Invalid("body", "the body is not valid JSON (at byte %d)", se.Offset)
	case errors.Is(err, io.EOF):
		return maint.Invalid("body", "a JSON body is required")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return maint.Invalid(f, "unknown field %q", f)
	}
	return maint.Invalid("body", "the body is not valid JSON: %v", err)
}

func jsonTypeName(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice":
		return "an array"
	}
	return "an object"
}

// UnmarshalObject decodes a JSON object stored by the service; anything
// else leaves dst empty.
func UnmarshalObject(b []byte, dst *map[string]any) {
	if err := json.Unmarshal(b, dst); err != nil || *dst == nil {
		*dst = map[string]any{}
	}
}
