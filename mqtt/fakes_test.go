package mqtt

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"cityvitals/ingest"
	"cityvitals/model"
)

// ingestCall is one call the fake ingester saw.
type ingestCall struct {
	src  ingest.Source
	body string
}

// fakeIngester records calls. Hooks, all optional, shape its behaviour:
// entered is signalled when a call starts, release must then be received
// from before it returns, and answer decides the result.
type fakeIngester struct {
	entered chan struct{}
	release chan struct{}
	answer  func(n int, body []byte) (ingest.Result, error) // n counts calls from 1

	mu    sync.Mutex
	calls []ingestCall
	added chan struct{} // signalled after every recorded call
}

func newFakeIngester() *fakeIngester {
	return &fakeIngester{added: make(chan struct{}, 1024)}
}

func (f *fakeIngester) Ingest(ctx context.Context, src ingest.Source, body []byte) (ingest.Result, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return ingest.Result{}, fmt.Errorf("fake ingest: %w", ctx.Err())
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, ingestCall{src: src, body: string(body)})
	n := len(f.calls)
	f.mu.Unlock()
	select {
	case f.added <- struct{}{}:
	default:
	}
	if f.answer != nil {
		return f.answer(n, body)
	}
	return ingest.Result{Accepted: 1}, nil
}

func (f *fakeIngester) recorded() []ingestCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ingestCall(nil), f.calls...)
}

// waitCalls waits until at least n calls were recorded and returns them.
func (f *fakeIngester) waitCalls(t testing.TB, n int, within time.Duration) []ingestCall {
	t.Helper()
	deadline := time.After(within)
	for {
		if calls := f.recorded(); len(calls) >= n {
			return calls
		}
		select {
		case <-f.added:
		case <-deadline:
			t.Fatalf("want %d ingest calls within %s, got %d: %+v", n, within, len(f.recorded()), f.recorded())
		}
	}
}

// fakeAuth accepts the listed device secrets.
type fakeAuth map[string]string

func (a fakeAuth) AuthenticateDevice(_ context.Context, device, secret string) (ingest.Source, error) {
	if want, ok := a[device]; !ok || want != secret {
		return ingest.Source{}, model.Errorf(model.EUNAUTHORIZED, "device %q: bad credentials", device)
	}
	return ingest.Source{Device: device, Provision: true}, nil
}

// waitToken waits for tok and fails the test on timeout or error.
func waitToken(t testing.TB, what string, tok paho.Token) {
	t.Helper()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatalf("%s: no answer within 10s", what)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// The real ingest service is what the transports are wired to.
var _ Ingester = (*ingest.Service)(nil)
