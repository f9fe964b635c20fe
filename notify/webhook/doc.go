// Package webhook delivers outbox messages to external systems as HTTP
// POSTs: it is an outbox.Deliverer per configured Receiver.
//
// Each request carries the message payload as its JSON body and the
// headers Content-Type: application/json, Idempotency-Key (the message's
// key, for receivers to drop repeats: delivery is at least once) and, when
// the receiver has a secret, X-CityVitals-Signature: sha256=<hex HMAC-SHA256
// of the body>. Receivers check it with Verify.
//
// Responses are classified for the outbox: 2xx is delivered; 408, 429, 5xx
// and network errors or timeouts are transient; any other status (other
// 4xx, and 3xx: redirects are not followed, since clients turn a redirected
// POST into a GET) is permanent, which the outbox retries at its maximum
// backoff. The secret is never logged or put into an error; Receiver
// prints and logs without it.
package webhook
