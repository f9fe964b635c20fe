package model

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in package api.
const (
	EINVALID      = "invalid"      // the request or an item in it is malformed
	ENOTFOUND     = "not_found"    // the named thing does not exist
	ECONFLICT     = "conflict"     // the thing exists already or changed meanwhile
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, permission missing
	ETOOLARGE     = "too_large"    // body, batch or attachment over its limit
	EOVERLOADED   = "overloaded"   // backpressure: try again after a pause
	ETOOMANY      = "too_many"     // this caller is going too fast (e.g. failed logins)
	EINTERNAL     = "internal"     // our fault; details are logged, not sent
)

// Error is a domain error whose message is safe to show to the caller.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err: the *Error's message,
// or a generic text for internal errors (whose details must not leak).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
