package outbox_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/notify/outbox"
	"cityvitals/notify/webhook"
	sqlitestore "cityvitals/store/sqlite"
)

var t0 = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

// openStore opens a fresh SQLite database, closed at the end of the test.
func openStore(tb testing.TB) (*sqlitestore.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "outbox.db")
	db, err := sqlitestore.Open(path)
	must(tb, err)
	tb.Cleanup(func() { db.Close() })
	return db, path
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// fakeClock is a clock whose waits return at once, moving the time on by
// the wait: a dispatcher's backoff of an hour takes no real time.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// countingReceiver is a webhook endpoint that records every request by
// its Idempotency-Key, checks the signature, and answers 503 while down
// reports true.
type countingReceiver struct {
	*httptest.Server
	secret string
	down   func() bool
	want   int           // distinct keys after which done is closed
	done   chan struct{} // closed once want distinct keys have arrived
	onKey  func(distinct int)

	mu       sync.Mutex
	order    []string       // keys of the accepted requests, in arrival order
	count    map[string]int // accepted requests per key
	rejected int            // requests answered 503
	badSigs  int
}

func newCountingReceiver(t testing.TB, secret string, want int) *countingReceiver {
	r := &countingReceiver{secret: secret, want: want, done: make(chan struct{}), count: make(map[string]int)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *countingReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !webhook.Verify(r.secret, body, req.Header.Get(webhook.SignatureHeader)) ||
		req.Header.Get("Content-Type") != "application/json" {
		r.mu.Lock()
		r.badSigs++
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.down != nil && r.down() {
		r.mu.Lock()
		r.rejected++
		r.mu.Unlock()
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	r.record(req.Header.Get(webhook.IdempotencyKeyHeader))
	w.WriteHeader(http.StatusNoContent)
}

func (r *countingReceiver) record(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.order = append(r.order, key)
	r.count[key]++
	if r.count[key] > 1 {
		return
	}
	if r.onKey != nil {
		r.onKey(len(r.count))
	}
	if len(r.count) == r.want {
		close(r.done)
	}
}

// checkExactlyOnceInOrder fails t unless the receiver accepted exactly
// keys, each once, in that order.
func (r *countingReceiver) checkExactlyOnceInOrder(t *testing.T, keys []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.badSigs > 0 {
		t.Errorf("%d requests had a bad signature or content type", r.badSigs)
	}
	if len(r.order) != len(keys) {
		t.Errorf("receiver accepted %d requests, want %d", len(r.order), len(keys))
	}
	for key, n := range r.count {
		if n != 1 {
			t.Errorf("key %s received %d times", key, n)
		}
	}
	for i := range min(len(keys), len(r.order)) {
		if r.order[i] != keys[i] {
			t.Fatalf("request %d has key %s, want %s", i, r.order[i], keys[i])
		}
	}
}

// waitClosed waits for ch, failing the test after a generous deadline
// (a liveness guard, not a performance check).
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(60 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (a liveness guard, not a performance check).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// testLogger sends the outbox's log lines to the test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// runDispatcher runs d until the test ends or the returned stop is called,
// which waits for Run to return and checks its error.
func runDispatcher(t *testing.T, d *outbox.Dispatcher) (stop func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- d.Run(t.Context()) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			d.Stop()
			if err := <-errc; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// metricValue returns the value of the series name{labels} in reg, or -1
// when absent.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	must(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue series
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	return -1
}
