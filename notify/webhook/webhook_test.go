package webhook_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/notify/outbox"
	"cityvitals/notify/webhook"
)

var message = outbox.Message{ID: 7, Receiver: "ops", Key: "alert-42", Payload: []byte(`{"alert":"gas_lel","level":"red"}`)}

func mustNew(t testing.TB, r webhook.Receiver, srv *httptest.Server) *webhook.Deliverer {
	t.Helper()
	d, err := webhook.New(r, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeliverSendsHeadersAndSignature(t *testing.T) {
	tests := []struct {
		name   string
		secret string
	}{
		{"signed", "topsecret"},
		{"unsigned", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu  sync.Mutex
				got *http.Request
				raw []byte
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				got, raw = r, must(io.ReadAll(r.Body))
			}))
			defer srv.Close()
			d := mustNew(t, webhook.Receiver{Name: "ops", URL: srv.URL, Secret: tt.secret}, srv)
			if err := d.Deliver(t.Context(), message); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			checks := []struct{ field, got, want string }{
				{"method", got.Method, http.MethodPost},
				{"Content-Type", got.Header.Get("Content-Type"), "application/json"},
				{"Idempotency-Key", got.Header.Get(webhook.IdempotencyKeyHeader), message.Key},
				{"body", string(raw), string(message.Payload)},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			sig := got.Header.Get(webhook.SignatureHeader)
			if tt.secret == "" {
				if sig != "" {
					t.Errorf("unsigned receiver got signature %q", sig)
				}
				return
			}
			if !webhook.Verify(tt.secret, raw, sig) {
				t.Errorf("signature %q does not verify", sig)
			}
			if webhook.Verify("wrong", raw, sig) || webhook.Verify(tt.secret, []byte(`{"tampered":1}`), sig) {
				t.Error("signature verifies with a wrong secret or body")
			}
		})
	}
}

func TestSignMatchesKnownVector(t *testing.T) {
	// HMAC-SHA256 test case 2 of RFC 4231.
	got := webhook.Sign("Jefe", []byte("what do ya want for nothing?"))
	want := "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestDeliverClassifiesResponses(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		ok        bool
		permanent bool
	}{
		{"200 OK", http.StatusOK, true, false},
		{"202 Accepted", http.StatusAccepted, true, false},
		{"204 No Content", http.StatusNoContent, true, false},
		{"408 Request Timeout", http.StatusRequestTimeout, false, false},
		{"429 Too Many Requests", http.StatusTooManyRequests, false, false},
		{"500 Internal Server Error", http.StatusInternalServerError, false, false},
		{"503 Service Unavailable", http.StatusServiceUnavailable, false, false},
		{"400 Bad Request", http.StatusBadRequest, false, true},
		{"401 Unauthorized", http.StatusUnauthorized, false, true},
		{"404 Not Found", http.StatusNotFound, false, true},
		{"410 Gone", http.StatusGone, false, true},
		{"301 redirect is not followed", http.StatusMovedPermanently, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status/100 == 3 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, "answer %d", tt.status)
			}))
			defer srv.Close()
			d := mustNew(t, webhook.Receiver{Name: "ops", URL: srv.URL}, srv)
			err := d.Deliver(t.Context(), message)
			if (err == nil) != tt.ok || outbox.IsPermanent(err) != tt.permanent {
				t.Fatalf("Deliver: %v; want ok=%v permanent=%v", err, tt.ok, tt.permanent)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("answer %d", tt.status)) {
				t.Errorf("error %q does not quote the response body", err)
			}
		})
	}
}

func TestDeliverNetworkFailuresAreTransient(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // answers only after the client has given up
	}))
	defer slow.Close()
	defer close(release) // runs first, so Close does not wait for the handler
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name     string
		receiver webhook.Receiver
		srv      *httptest.Server
	}{
		{"timeout", webhook.Receiver{Name: "slow", URL: slow.URL, Timeout: 50 * time.Millisecond}, slow},
		{"connection refused", webhook.Receiver{Name: "gone", URL: closed.URL}, closed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mustNew(t, tt.receiver, tt.srv).Deliver(t.Context(), message)
			if err == nil || outbox.IsPermanent(err) {
				t.Fatalf("Deliver: %v, want a transient error", err)
			}
		})
	}
}

func TestReceiverValidateAndRedact(t *testing.T) {
	tests := []struct {
		name     string
		receiver webhook.Receiver
		valid    bool
	}{
		{"good", webhook.Receiver{Name: "ops", URL: "https://hooks.example/cv"}, true},
		{"no name", webhook.Receiver{URL: "https://hooks.example/cv"}, false},
		{"relative url", webhook.Receiver{Name: "ops", URL: "/cv"}, false},
		{"ftp url", webhook.Receiver{Name: "ops", URL: "ftp://hooks.example/cv"}, false},
		{"negative timeout", webhook.Receiver{Name: "ops", URL: "https://hooks.example/cv", Timeout: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.receiver.Validate()
			if tt.valid != (err == nil) || (err != nil && model.ErrorCode(err) != model.EINVALID) {
				t.Errorf("Validate: %v, want valid=%v", err, tt.valid)
			}
		})
	}

	r := webhook.Receiver{Name: "ops", URL: "https://user:pa55word@hooks.example/cv", Secret: "hmac-key-123"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("receiver", "r", r)
	for _, text := range []string{fmt.Sprint(r), fmt.Sprintf("%v", r), logged.String()} {
		if strings.Contains(text, r.Secret) || strings.Contains(text, "pa55word") {
			t.Errorf("secret leaked: %s", text)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func BenchmarkDeliver(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	d := mustNew(b, webhook.Receiver{Name: "ops", URL: srv.URL, Secret: "bench"}, srv)
	for b.Loop() {
		if err := d.Deliver(b.Context(), message); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
