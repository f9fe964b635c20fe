// Package outbox owns the persisted notification queue: every notification
// to an external system (webhooks now, SMS and others later) is written to
// a durable Store before anyone tries to send it, and a Dispatcher per
// receiver delivers it at least once, strictly in order, with exponential
// backoff and jitter between attempts, across restarts.
//
// Producers call Outbox.Send; when it returns nil the message is durable
// (the Store has committed it) and will be delivered even if the process
// dies the next instant. Send is idempotent per (receiver, key): sending a
// key again is a no-op, so a producer that is unsure whether its Send
// succeeded simply sends again.
//
// A Dispatcher delivers its receiver's oldest undelivered message through a
// Deliverer and only then looks at the next one (message n+1 is never
// attempted before n is delivered). A failed attempt is recorded in the
// Store with the time of the next attempt, so backoff survives restarts. A
// failure the Deliverer marks Permanent (e.g. HTTP 400: the receiver
// rejects the message itself) is logged and retried at the maximum backoff:
// a notification is never dropped, because dropping one silently is worse
// than a stuck queue that the oldest-undelivered-age metric makes visible.
//
// Delivery guarantee: at least once, with an idempotency key. On a graceful
// stop (context cancelled or Stop) an attempt already in flight runs to its
// end and, if it succeeded, is marked delivered before Run returns, so a
// restart resends nothing. A crash (kill -9) between the receiver's 2xx and
// the mark resends that one message; receivers drop it by its key
// (Message.Key, sent as the Idempotency-Key header by package webhook).
//
// Run at most one Dispatcher per receiver across all processes sharing a
// Store: two would each deliver the head message.
//
// Time is injected (Options.Now and Options.After), so tests simulate an
// hour of outage in milliseconds.
package outbox
