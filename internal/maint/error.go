// Package maint is the domain of inframap: asset kinds, task states and the
// transition rules, roles and permissions, photo stages and typed errors. It
// knows nothing of HTTP or SQL; the stores and handlers depend on it.
package maint

import (
	"errors"
	"fmt"
)

// Code classifies an error so that one table in the HTTP layer can map it to a
// status. Codes are part of the API: problem bodies carry them in "type".
type Code string

const (
	CodeInvalid              Code = "invalid"
	CodeUnauthorized         Code = "unauthorized"
	CodeForbidden            Code = "forbidden"
	CodeNotFound             Code = "not_found"
	CodeMethodNotAllowed     Code = "method_not_allowed"
	CodeConflict             Code = "conflict"
	CodePreconditionFailed   Code = "precondition_failed"
	CodeTooLarge             Code = "too_large"
	CodeUnsupportedMedia     Code = "unsupported_media"
	CodePreconditionRequired Code = "precondition_required"
	CodeRateLimited          Code = "rate_limited"
	CodeUnavailable          Code = "unavailable"
	CodeUnprocessable        Code = "unprocessable"
	CodeInternal             Code = "internal"
)

// FieldError names one bad input field or parameter. Code and Params, when
// set, say what is wrong in a form the pages translate (err.<code> in their
// message table, with the params filled in); Message is the same in English
// for other clients.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
	Params  Params `json:"params,omitempty"`
}

// Params are the values a translated message is filled with.
type Params map[string]any

// Error is the domain's error: a code, a message safe to show to the caller,
// and optional details that the problem writer includes.
type Error struct {
	Code    Code
	Message string
	// Fields lists the offending inputs, when known.
	Fields []FieldError
	// Allowed lists the states a task may move to, for invalid transitions.
	Allowed []Status
	// CurrentVersion is the task's version, for stale If-Match.
	CurrentVersion int
	// RetryAfter, in seconds, for rate limits and unavailability.
	RetryAfter int
	// Reason is a stable code for why, beyond Code, for the pages to say
	// in the reader's language (e.g. pending_request); empty when Code says
	// it all.
	Reason string
}

// Because returns e with its stable reason set.
func (e *Error) Because(reason string) *Error { e.Reason = reason; return e }

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// WithCode returns e with its code replaced.
func (e *Error) WithCode(c Code) *Error { e.Code = c; return e }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a CodeInvalid error that names the offending field.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: CodeInvalid, Message: msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// InvalidAs is Invalid with a stable code and its parameters, for the
// messages people read: the pages say err.<code> in their language. A test
// (web/messages_test.go) fails when a code has no translation.
func InvalidAs(field, code string, params Params, format string, args ...any) *Error {
	e := Invalid(field, format, args...)
	e.Fields[0].Code, e.Fields[0].Params = code, params
	return e
}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
