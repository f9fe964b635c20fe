package ingest

import (
	"errors"
	"time"

	"cityvitals/model"
)

// overloadedError is an EOVERLOADED *model.Error with a hint for when to
// try again. Transports turn the hint into a Retry-After header.
type overloadedError struct {
	err        *model.Error
	retryAfter time.Duration
}

func (e *overloadedError) Error() string { return e.err.Error() }
func (e *overloadedError) Unwrap() error { return e.err }

func overloaded(retryAfter time.Duration, format string, args ...any) error {
	return &overloadedError{err: model.Errorf(model.EOVERLOADED, format, args...), retryAfter: retryAfter}
}

// RetryAfter returns how long a sender should wait before retrying after
// err, when err is an EOVERLOADED error from this package.
func RetryAfter(err error) (time.Duration, bool) {
	var o *overloadedError
	if errors.As(err, &o) {
		return o.retryAfter, true
	}
	return 0, false
}

// stoppedRetryAfter is the hint given while shutting down: long enough for
// a restart or for a load balancer to pick another instance.
const stoppedRetryAfter = 5 * time.Second

func errStopped() error {
	return overloaded(stoppedRetryAfter, "ingest is shutting down; retry shortly")
}
