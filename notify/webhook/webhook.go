package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"cityvitals/model"
	"cityvitals/notify/outbox"
)

// Header names set on every request.
const (
	IdempotencyKeyHeader = "Idempotency-Key"
	SignatureHeader      = "X-CityVitals-Signature"
)

// DefaultTimeout bounds one request when Receiver.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxErrorBody is how much of a failed response's body goes into the error.
const maxErrorBody = 256

// Receiver configures one webhook endpoint.
type Receiver struct {
	Name    string        `yaml:"name" json:"name"` // the outbox receiver name
	URL     string        `yaml:"url" json:"url"`   // absolute http or https URL
	Secret  string        `yaml:"secret" json:"-"`  // HMAC key; empty: requests are unsigned
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
}

// String describes r without its secret or any password in its URL.
func (r Receiver) String() string {
	return fmt.Sprintf("webhook %s (%s)", r.Name, redactURL(r.URL))
}

// LogValue keeps the secret out of structured logs.
func (r Receiver) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", r.Name), slog.String("url", redactURL(r.URL)),
		slog.Bool("signed", r.Secret != ""), slog.Duration("timeout", r.Timeout))
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

// Validate reports the first unusable field of r as an EINVALID
// *model.Error.
func (r Receiver) Validate() error {
	if r.Name == "" {
		return model.Errorf(model.EINVALID, "webhook receiver: name is empty")
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return model.Errorf(model.EINVALID, "webhook receiver %q: url %q is not an absolute http(s) URL", r.Name, redactURL(r.URL))
	}
	if r.Timeout < 0 {
		return model.Errorf(model.EINVALID, "webhook receiver %q: timeout %s is negative", r.Name, r.Timeout)
	}
	return nil
}

// Deliverer POSTs messages to one Receiver. It is safe for concurrent use.
type Deliverer struct {
	receiver Receiver
	client   *http.Client
}

var _ outbox.Deliverer = (*Deliverer)(nil)

// New returns a Deliverer for r. client may be nil for a default client;
// its redirect policy is replaced so redirects are reported, not followed.
func New(r Receiver, client *http.Client) (*Deliverer, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Timeout == 0 {
		r.Timeout = DefaultTimeout
	}
	c := &http.Client{}
	if client != nil {
		c = new(http.Client)
		*c = *client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Deliverer{receiver: r, client: c}, nil
}

// Deliver POSTs m.Payload and classifies the outcome: nil for 2xx, an
// error wrapped with outbox.Permanent for statuses retrying cannot fix,
// and a plain error otherwise.
func (d *Deliverer) Deliver(ctx context.Context, m outbox.Message) error {
	ctx, cancel := context.WithTimeout(ctx, d.receiver.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.receiver.URL, bytes.NewReader(m.Payload))
	if err != nil {
		return outbox.Permanent(fmt.Errorf("%s: build request: %w", d.receiver, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(IdempotencyKeyHeader, m.Key)
	if d.receiver.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(d.receiver.Secret, m.Payload))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: post message %q: %w", d.receiver, m.Key, err)
	}
	defer resp.Body.Close()
	return d.classify(resp, m.Key)
}

// StatusError is a non-2xx response.
type StatusError struct {
	Receiver string
	Key      string
	Status   int
	Body     string // the start of the response body
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("webhook %s: message %q: HTTP %d: %s", e.Receiver, e.Key, e.Status, e.Body)
}

// classify turns a response into Deliver's result. It drains a bounded
// part of the body so the connection can be reused.
func (d *Deliverer) classify(resp *http.Response, key string) error {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err := &StatusError{Receiver: d.receiver.Name, Key: key, Status: resp.StatusCode,
		Body: strings.TrimSpace(string(head))}
	if Retryable(resp.StatusCode) {
		return err
	}
	return outbox.Permanent(err)
}

// Retryable reports whether a non-2xx status may succeed on a later try.
func Retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// Sign returns the signature header value for body: "sha256=" and the hex
// HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether header is a valid signature of body with secret,
// comparing in constant time. Receivers written in Go can use it as is.
func Verify(secret string, body []byte, header string) bool {
	want, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(want)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
