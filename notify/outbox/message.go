package outbox

import (
	"context"
	"errors"
	"time"

	"cityvitals/model"
)

// Message is one notification to one receiver.
type Message struct {
	ID          int64  // assigned by the Store, increasing in enqueue order
	Receiver    string // name of the receiver, e.g. a webhook's name
	Key         string // idempotency key, unique per receiver
	Payload     []byte // the body, opaque to the outbox (JSON for webhooks)
	Created     time.Time
	Attempts    int       // failed and successful attempts so far
	NextAttempt time.Time // not before this time
	Delivered   time.Time // zero while undelivered
	LastError   string    // reason of the last failed attempt
}

// Validate reports, as an EINVALID *model.Error, the first field of m that
// a Store cannot accept.
func (m Message) Validate() error {
	switch {
	case m.Receiver == "":
		return model.Errorf(model.EINVALID, "outbox message %q: receiver is empty", m.Key)
	case m.Key == "":
		return model.Errorf(model.EINVALID, "outbox message for receiver %q: key is empty", m.Receiver)
	case m.Payload == nil:
		return model.Errorf(model.EINVALID, "outbox message %q for receiver %q: payload is nil", m.Key, m.Receiver)
	}
	return nil
}

// Store is the durable queue. Implementations are safe for concurrent use;
// the embedded one is sqlitestore.DB.
type Store interface {
	// Enqueue stores msgs durably in one transaction, in slice order; IDs
	// follow that order. A message whose (Receiver, Key) is already stored
	// is ignored, not an error: enqueueing is idempotent. EINVALID names
	// the first invalid message, and then nothing is stored.
	Enqueue(ctx context.Context, msgs []Message) error

	// Head returns up to limit undelivered messages of receiver, oldest
	// (lowest ID) first, whatever their NextAttempt.
	Head(ctx context.Context, receiver string, limit int) ([]Message, error)

	// MarkDelivered records the successful attempt at time at. ENOTFOUND if
	// no message has that id.
	MarkDelivered(ctx context.Context, id int64, at time.Time) error

	// MarkFailed records a failed attempt: one more attempt, reason, and no
	// new attempt before next. ENOTFOUND if no message has that id.
	MarkFailed(ctx context.Context, id int64, next time.Time, reason string) error

	// Pending counts the undelivered messages of receiver.
	Pending(ctx context.Context, receiver string) (int, error)

	// EachNewest calls fn with receiver's messages, delivered or not (as
	// long as they are kept), newest first, at most limit, until fn
	// returns false.
	EachNewest(ctx context.Context, receiver string, limit int, fn func(Message) bool) error

	// PurgeDelivered deletes the messages delivered before cutoff and
	// returns how many; undelivered ones are never deleted.
	PurgeDelivered(ctx context.Context, cutoff time.Time) (int64, error)
}

// Deliverer sends one message to its receiver. A nil error means the
// receiver has accepted it. An error wrapped with Permanent means retrying
// soon is pointless; any other error is transient.
type Deliverer interface {
	Deliver(ctx context.Context, m Message) error
}

// DelivererFunc adapts a function to Deliverer.
type DelivererFunc func(ctx context.Context, m Message) error

// Deliver calls f(ctx, m).
func (f DelivererFunc) Deliver(ctx context.Context, m Message) error { return f(ctx, m) }

// permanentError marks a failure that retrying soon cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying soon cannot fix, such as
// a receiver rejecting the message as malformed. The Dispatcher still
// retries it, at the maximum backoff. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err's chain holds an error marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
