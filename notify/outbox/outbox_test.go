package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/model"
	"cityvitals/notify/outbox"
	"cityvitals/notify/webhook"
	sqlitestore "cityvitals/store/sqlite"
)

func keys(prefix string, n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return ks
}

func sendAll(t *testing.T, o *outbox.Outbox, receiver string, ks []string) {
	t.Helper()
	for _, k := range ks {
		must(t, o.Send(t.Context(), receiver, k, []byte(`{"alert":"`+k+`"}`)))
	}
}

func TestSendIsIdempotentAndValidates(t *testing.T) {
	ctx := t.Context()
	db, _ := openStore(t)
	o, err := outbox.New(db, outbox.Options{Logger: testLogger(t)})
	must(t, err)
	must(t, o.Send(ctx, "ops", "a1", []byte(`{}`)))
	must(t, o.Send(ctx, "ops", "a1", []byte(`{"again":true}`)))
	must(t, o.Send(ctx, "ops", "a2", []byte(`{}`)))
	if n, err := db.Pending(ctx, "ops"); err != nil || n != 2 {
		t.Errorf("Pending = %d, %v; want 2", n, err)
	}

	tests := []struct {
		name, receiver, key string
		payload             []byte
	}{
		{"empty receiver", "", "k", []byte(`{}`)},
		{"empty key", "ops", "", []byte(`{}`)},
		{"nil payload", "ops", "k", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := o.Send(ctx, tt.receiver, tt.key, tt.payload); model.ErrorCode(err) != model.EINVALID {
				t.Errorf("Send: %v, want EINVALID", err)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	const minWait, maxWait = time.Second, 5 * time.Minute
	tests := []struct {
		name      string
		n         int
		permanent bool
		low, high time.Duration
	}{
		{"first failure", 1, false, time.Second, time.Second},
		{"second failure", 2, false, time.Second, 2 * time.Second},
		{"fifth failure", 5, false, 8 * time.Second, 16 * time.Second},
		{"capped", 12, false, 150 * time.Second, maxWait},
		{"far beyond the cap", 500, false, 150 * time.Second, maxWait},
		{"permanent", 1, true, maxWait, maxWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				if d := outbox.Backoff(tt.n, minWait, maxWait, tt.permanent); d < tt.low || d > tt.high {
					t.Fatalf("Backoff(%d) = %s, want within [%s, %s]", tt.n, d, tt.low, tt.high)
				}
			}
		})
	}
}

// TestDispatcherStrictOrder fails every third attempt and checks that no
// message is attempted before the one ahead of it is delivered.
func TestDispatcherStrictOrder(t *testing.T) {
	db, _ := openStore(t)
	clock := newFakeClock()
	o, err := outbox.New(db, outbox.Options{Now: clock.Now, After: clock.After, Logger: testLogger(t)})
	must(t, err)
	want := keys("order", 40)

	var (
		mu        sync.Mutex
		attempts  []string
		delivered []string
	)
	done := make(chan struct{})
	flaky := outbox.DelivererFunc(func(_ context.Context, m outbox.Message) error {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, m.Key)
		if len(attempts)%3 == 0 {
			return errors.New("connection reset")
		}
		delivered = append(delivered, m.Key)
		if len(delivered) == len(want) {
			close(done)
		}
		return nil
	})
	stop := runDispatcher(t, o.Dispatcher("ops", flaky, outbox.DispatcherConfig{IdlePoll: -1, Batch: 7}))
	sendAll(t, o, "ops", want)
	waitClosed(t, done, "all deliveries")
	stop()

	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(delivered) != fmt.Sprint(want) {
		t.Errorf("delivered %v, want %v", delivered, want)
	}
	for i := 1; i < len(attempts); i++ {
		if attempts[i] < attempts[i-1] {
			t.Fatalf("attempt %d (%s) went back behind %s", i, attempts[i], attempts[i-1])
		}
	}
	if len(attempts) <= len(want) {
		t.Errorf("only %d attempts: the failures did not happen", len(attempts))
	}
}

// TestDispatcherBacksOff fails one message transiently many times, then
// permanently, then accepts it, and checks the waits the dispatcher took.
func TestDispatcherBacksOff(t *testing.T) {
	const transientFailures, permanentFailures = 12, 2
	cfg := outbox.DispatcherConfig{MinBackoff: time.Second, MaxBackoff: 5 * time.Minute, IdlePoll: -1}
	db, _ := openStore(t)
	clock := newFakeClock()
	reg := prometheus.NewRegistry()
	o, err := outbox.New(db, outbox.Options{Now: clock.Now, After: clock.After, Registerer: reg, Logger: testLogger(t)})
	must(t, err)

	calls := 0
	done := make(chan struct{})
	deliverer := outbox.DelivererFunc(func(context.Context, outbox.Message) error {
		calls++ // only the dispatcher goroutine calls
		switch {
		case calls <= transientFailures:
			return errors.New("HTTP 503")
		case calls <= transientFailures+permanentFailures:
			return outbox.Permanent(errors.New("HTTP 400"))
		}
		close(done)
		return nil
	})
	stop := runDispatcher(t, o.Dispatcher("ops", deliverer, cfg))
	sendAll(t, o, "ops", []string{"only"})
	waitClosed(t, done, "the delivery")
	stop()

	waits := clock.Waits()
	if len(waits) != transientFailures+permanentFailures {
		t.Fatalf("dispatcher waited %d times (%v), want %d", len(waits), waits, transientFailures+permanentFailures)
	}
	for i, w := range waits[:transientFailures] {
		step := min(cfg.MinBackoff<<i, cfg.MaxBackoff)
		if w < max(step/2, cfg.MinBackoff) || w > step {
			t.Errorf("wait %d after a transient failure = %s, want within [%s, %s]", i+1, w, step/2, step)
		}
	}
	for i, w := range waits[transientFailures:] {
		if w != cfg.MaxBackoff {
			t.Errorf("wait %d after a permanent failure = %s, want %s", i+1, w, cfg.MaxBackoff)
		}
	}
	labels := map[string]string{"receiver": "ops", "kind": "permanent"}
	if v := metricValue(t, reg, "cityvitals_outbox_failed_attempts_total", labels); v != permanentFailures {
		t.Errorf("permanent failures metric = %g, want %d", v, permanentFailures)
	}
	if n, err := db.Pending(t.Context(), "ops"); err != nil || n != 0 {
		t.Errorf("Pending = %d, %v after the delivery; want 0", n, err)
	}
}

// TestReceiverDownForAnHour answers 503 for a simulated hour and then
// expects every message, in order, exactly once.
func TestReceiverDownForAnHour(t *testing.T) {
	const secret = "s3cret-for-ops"
	want := keys("storm", 60)
	db, _ := openStore(t)
	clock := newFakeClock()
	reg := prometheus.NewRegistry()
	o, err := outbox.New(db, outbox.Options{Now: clock.Now, After: clock.After, Registerer: reg, Logger: testLogger(t)})
	must(t, err)
	upAt := t0.Add(time.Hour)
	rcv := newCountingReceiver(t, secret, len(want))
	rcv.down = func() bool { return clock.Now().Before(upAt) }
	hook, err := webhook.New(webhook.Receiver{Name: "ops", URL: rcv.URL, Secret: secret, Timeout: 5 * time.Second}, rcv.Client())
	must(t, err)

	sendAll(t, o, "ops", want) // the storm arrives while the receiver is down
	stop := runDispatcher(t, o.Dispatcher("ops", hook, outbox.DispatcherConfig{IdlePoll: -1}))
	waitClosed(t, rcv.done, "all messages at the receiver")
	waitFor(t, "the oldest-age gauge to drop to 0 once the queue is empty", func() bool {
		return metricValue(t, reg, "cityvitals_outbox_oldest_undelivered_age_seconds", map[string]string{"receiver": "ops"}) == 0
	})
	stop()

	rcv.checkExactlyOnceInOrder(t, want)
	if rcv.rejected == 0 || clock.Now().Before(upAt) {
		t.Errorf("receiver rejected %d requests and the clock reached %s: the outage was not simulated", rcv.rejected, clock.Now())
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"cityvitals_outbox_sent_total", map[string]string{"receiver": "ops"}, float64(len(want))},
		{"cityvitals_outbox_delivered_total", map[string]string{"receiver": "ops"}, float64(len(want))},
		{"cityvitals_outbox_failed_attempts_total", map[string]string{"receiver": "ops", "kind": "transient"}, float64(rcv.rejected)},
	}
	for _, tt := range tests {
		if got := metricValue(t, reg, tt.name, tt.labels); got != tt.want {
			t.Errorf("%s = %g, want %g", tt.name, got, tt.want)
		}
	}
}

// TestRestartMidStorm stops the dispatcher after 300 of 1,000 messages,
// reopens the database as a restarted process would, and expects the
// receiver to get all 1,000 exactly once, in order.
func TestRestartMidStorm(t *testing.T) {
	const secret = "restart-secret"
	want := keys("alert", 1000)
	db, path := openStore(t)
	o, err := outbox.New(db, outbox.Options{Logger: testLogger(t)})
	must(t, err)
	rcv := newCountingReceiver(t, secret, len(want))
	hook, err := webhook.New(webhook.Receiver{Name: "ops", URL: rcv.URL, Secret: secret}, rcv.Client())
	must(t, err)
	cfg := outbox.DispatcherConfig{MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}

	first := o.Dispatcher("ops", hook, cfg)
	rcv.onKey = func(distinct int) {
		if distinct == 300 {
			first.Stop() // mid-request: the attempt must still be marked
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- first.Run(t.Context()) }()
	for batch := range 20 { // the storm: enqueued while the dispatcher runs
		msgs := make([]outbox.Message, 50)
		for i := range msgs {
			k := want[batch*50+i]
			msgs[i] = outbox.Message{Receiver: "ops", Key: k, Payload: []byte(`{"alert":"` + k + `"}`)}
		}
		must(t, o.SendBatch(t.Context(), msgs))
	}
	must(t, <-errc)
	must(t, db.Close())

	db2, err := sqlitestore.Open(path)
	must(t, err)
	defer db2.Close()
	pending, err := db2.Pending(t.Context(), "ops")
	must(t, err)
	if pending == 0 || pending == len(want) {
		t.Fatalf("after the stop %d messages are pending: the stop was not mid-storm", pending)
	}
	o2, err := outbox.New(db2, outbox.Options{Logger: testLogger(t)})
	must(t, err)
	stop := runDispatcher(t, o2.Dispatcher("ops", hook, cfg))
	waitClosed(t, rcv.done, "all 1,000 messages")
	stop()

	rcv.checkExactlyOnceInOrder(t, want)
	if n, err := db2.Pending(t.Context(), "ops"); err != nil || n != 0 {
		t.Errorf("Pending = %d, %v after the restart; want 0", n, err)
	}
}

func TestSecondDispatcherForReceiverConflicts(t *testing.T) {
	db, _ := openStore(t)
	o, err := outbox.New(db, outbox.Options{Logger: testLogger(t)})
	must(t, err)
	delivered := make(chan struct{})
	first := outbox.DelivererFunc(func(context.Context, outbox.Message) error { close(delivered); return nil })
	runDispatcher(t, o.Dispatcher("ops", first, outbox.DispatcherConfig{}))
	sendAll(t, o, "ops", []string{"k"})
	waitClosed(t, delivered, "the first dispatcher's delivery") // so it is surely running

	second := o.Dispatcher("ops", first, outbox.DispatcherConfig{})
	if err := second.Run(t.Context()); model.ErrorCode(err) != model.ECONFLICT {
		t.Fatalf("second Run: %v, want ECONFLICT", err)
	}
}

// TestPurgeKeepsWhatIsUndeliveredOrRecent runs the purge on a clock 31 days
// after t0: a message delivered at t0 goes, one delivered a day ago and
// one never delivered stay.
func TestPurgeKeepsWhatIsUndeliveredOrRecent(t *testing.T) {
	db, _ := openStore(t)
	now := t0.Add(31 * 24 * time.Hour)
	ticks := make(chan time.Time)
	o, err := outbox.New(db, outbox.Options{Now: func() time.Time { return now }, After: func(time.Duration) <-chan time.Time { return ticks }, Logger: testLogger(t)})
	must(t, err)
	sendAll(t, o, "ops", []string{"old", "recent", "pending"})
	head, err := db.Head(t.Context(), "ops", 10)
	must(t, err)
	must(t, db.MarkDelivered(t.Context(), head[0].ID, t0))
	must(t, db.MarkDelivered(t.Context(), head[1].ID, now.Add(-24*time.Hour)))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- o.RunPurge(ctx, 30*24*time.Hour, time.Hour) }()
	waitFor(t, "the message delivered 31 days ago to be purged", func() bool {
		var keys []string
		must(t, o.EachNewest(t.Context(), "ops", 10, func(m outbox.Message) bool { keys = append(keys, m.Key); return true }))
		return fmt.Sprint(keys) == "[pending recent]"
	})
	cancel()
	must(t, <-done)
}
