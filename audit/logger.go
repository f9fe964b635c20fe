package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"cityvitals/model"
)

// Appender appends a record to the stored chain, filling in Seq, PrevHash
// and Hash. store.Audit implementations satisfy it.
type Appender interface {
	AppendAudit(ctx context.Context, r model.AuditRecord) (model.AuditRecord, error)
}

// Logger records audited actions. It is safe for concurrent use.
type Logger struct {
	store Appender
	now   func() time.Time
}

// LoggerOption configures a Logger.
type LoggerOption func(*Logger)

// WithClock makes the Logger stamp records with now() instead of the wall
// clock; tests use it for deterministic times.
func WithClock(now func() time.Time) LoggerOption {
	return func(l *Logger) { l.now = now }
}

// NewLogger returns a Logger that appends to store.
func NewLogger(store Appender, opts ...LoggerOption) *Logger {
	l := &Logger{store: store, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Record appends one record: actor (auth.Principal.Name) did action to
// target. detail is marshalled to JSON with secret-looking fields removed
// (see Redact); nil detail records no detail. The record is durable when
// Record returns nil.
func (l *Logger) Record(ctx context.Context, actor, action, target string, detail any) error {
	d, err := marshalDetail(detail)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, target, err)
	}
	r := model.AuditRecord{
		Time:   l.now().UTC(),
		Actor:  actor,
		Action: action,
		Target: target,
		Detail: d,
	}
	if _, err := l.store.AppendAudit(ctx, r); err != nil {
		return fmt.Errorf("audit %s %s: %w", action, target, err)
	}
	return nil
}

func marshalDetail(detail any) (string, error) {
	if detail == nil {
		return "", nil
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return "", fmt.Errorf("marshal detail: %w", err)
	}
	clean, err := Redact(raw)
	if err != nil {
		return "", err
	}
	return string(clean), nil
}

// Redact returns the JSON document raw with every object member removed
// whose name looks like a credential (password, secret, token, api key,
// authorization, credential, private key), at any depth. Numbers keep their
// exact text. Object members come out sorted by name.
func Redact(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("redact detail: %w", err)
	}
	out, err := json.Marshal(redactValue(v))
	if err != nil {
		return nil, fmt.Errorf("redact detail: %w", err)
	}
	return out, nil
}

func redactValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, member := range x {
			if isSecretName(k) {
				delete(x, k)
				continue
			}
			x[k] = redactValue(member)
		}
	case []any:
		for i := range x {
			x[i] = redactValue(x[i])
		}
	}
	return v
}

// isSecretName reports whether a JSON member name looks like it holds a
// credential. Names are compared lower-case without separators, so
// "newPassword", "client_secret" and "X-Api-Key" are all caught. "token" is
// matched only as a suffix ("token", "access_token", "sessionTokens") so that
// harmless names such as "token_id" survive.
func isSecretName(name string) bool {
	n := strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return unicode.ToLower(r)
	}, name)
	for _, w := range []string{"password", "passwd", "secret", "apikey", "authorization", "credential", "privatekey"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return strings.HasSuffix(n, "token") || strings.HasSuffix(n, "tokens")
}
