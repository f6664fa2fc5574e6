package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"inframap/internal/maint"
)

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[maint.Code]int{
	maint.CodeInvalid:              http.StatusBadRequest,
	maint.CodeUnprocessable:        http.StatusUnprocessableEntity,
	maint.CodeUnauthorized:         http.StatusUnauthorized,
	maint.CodeForbidden:            http.StatusForbidden,
	maint.CodeNotFound:             http.StatusNotFound,
	maint.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	maint.CodeConflict:             http.StatusConflict,
	maint.CodePreconditionFailed:   http.StatusPreconditionFailed,
	maint.CodeTooLarge:             http.StatusRequestEntityTooLarge,
	maint.CodeUnsupportedMedia:     http.StatusUnsupportedMediaType,
	maint.CodePreconditionRequired: http.StatusPreconditionRequired,
	maint.CodeRateLimited:          http.StatusTooManyRequests,
	maint.CodeUnavailable:          http.StatusServiceUnavailable,
	maint.CodeInternal:             http.StatusInternalServerError,
}

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type           string             `json:"type"`
	Title          string             `json:"title"`
	Status         int                `json:"status"`
	Code           maint.Code         `json:"code"`
	Detail         string             `json:"detail,omitempty"`
	Instance       string             `json:"instance,omitempty"`
	RequestID      string             `json:"request_id,omitempty"`
	Errors         []maint.FieldError `json:"errors,omitempty"`
	Allowed        []maint.Status     `json:"allowed,omitzero"` // nil is left out, empty is [] (no next state)
	CurrentVersion int                `json:"current_version,omitempty"`
	Reason         string             `json:"reason,omitempty"`
}

// ProblemFor builds the problem for err. Errors that are not domain errors
// are internal: the client learns only that, the log gets the rest.
func ProblemFor(r *http.Request, err error) (Problem, *maint.Error) {
	e, ok := maint.AsError(err)
	if !ok {
		e = maint.Errorf(maint.CodeInternal, "internal error")
	}
	status := statusOf[e.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	p := Problem{
		Type:      "/problems/" + string(e.Code),
		Title:     http.StatusText(status),
		Status:    status,
		Code:      e.Code,
		Detail:    e.Message,
		Instance:  r.URL.RequestURI(),
		RequestID: RequestID(r.Context()),
		Errors:    e.Fields,
		Allowed:   e.Allowed,
		Reason:    e.Reason,
	}
	if e.Code == maint.CodePreconditionFailed {
		p.CurrentVersion = e.CurrentVersion
	}
	return p, e
}

// WriteError answers err as application/problem+json. A request whose client
// has gone away gets nothing: there is no one to answer.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		e := maint.Errorf(maint.CodeUnavailable, "the request took too long; try again")
		e.RetryAfter = 2
		err = errors.Join(e, err)
	}
	p, e := ProblemFor(r, err)
	log := LoggerFrom(r.Context())
	switch {
	case p.Status >= 500 && e.Code == maint.CodeInternal:
		log.ErrorContext(r.Context(), "internal error", "err", err.Error())
	case p.Status >= 500:
		log.WarnContext(r.Context(), "unavailable", "err", err.Error())
	}
	SetRetryAfter(w, e)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Del("ETag")
	w.Header().Del("Content-Encoding")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// SetRetryAfter says when to come back, if the error says so.
func SetRetryAfter(w http.ResponseWriter, e *maint.Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
}

// ProblemTypes serves GET /problems/{code}: each problem type documented at
// its URI.
func ProblemTypes(w http.ResponseWriter, r *http.Request) {
	code := maint.Code(mux.Vars(r)["code"])
	status, ok := statusOf[code]
	if !ok {
		WriteError(w, r, maint.Errorf(maint.CodeNotFound, "no problem type %q", code))
		return
	}
	WriteJSON(w, r, http.StatusOK, map[string]any{"type": "/problems/" + code, "code": code, "status": status, "title": http.StatusText(status)})
}

// InvalidParam is a 400 naming the query parameter at fault.
func InvalidParam(param string, err error) error {
	return maint.Invalid(param, "%s", err.Error())
}

// NotFound is the 404 of a path that names nothing.
func NotFound(r *http.Request) error {
	return maint.Errorf(maint.CodeNotFound, "no resource at %s", r.URL.Path)
}
