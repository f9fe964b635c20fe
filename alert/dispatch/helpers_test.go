package dispatch_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/dispatch"
	"cityvitals/model"
)

var t0 = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

// clock is a settable wall clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// sent is one message a recorder received, with its payload decoded.
type sent struct {
	At       time.Time
	Receiver string
	Key      string
	Payload  []byte
	N        dispatch.Notification
}

// recorder is a SendFunc that keeps what it is sent and fails while
// failures > 0.
type recorder struct {
	mu       sync.Mutex
	clock    func() time.Time
	msgs     []sent
	failures int
}

func (r *recorder) Send(_ context.Context, receiver, key string, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return fmt.Errorf("receiver %s unavailable", receiver)
	}
	var n dispatch.Notification
	if err := json.Unmarshal(payload, &n); err != nil {
		return fmt.Errorf("payload of %s: %w", key, err)
	}
	r.msgs = append(r.msgs, sent{At: r.clock(), Receiver: receiver, Key: key, Payload: payload, N: n})
	return nil
}

func (r *recorder) Sent() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.msgs...)
}

// harness runs a Dispatcher on a fake clock with a recorder.
type harness struct {
	t     *testing.T
	clock *clock
	rec   *recorder
	d     *dispatch.Dispatcher
}

func newHarness(t *testing.T, cfg dispatch.Config) *harness {
	t.Helper()
	c := &clock{now: t0}
	rec := &recorder{clock: c.Now}
	d, err := dispatch.New(cfg, rec.Send, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, clock: c, rec: rec, d: d}
}

// runUntil ticks once a second from the clock's time to t0+end, observing
// each step's events when its time comes, as Run would.
func (h *harness) runUntil(end time.Duration, steps []step) {
	h.t.Helper()
	steps = slices.Clone(steps)
	slices.SortStableFunc(steps, func(x, y step) int { return cmp.Compare(x.at, y.at) })
	next := 0
	for now := h.clock.Now(); !now.After(t0.Add(end)); now = now.Add(time.Second) {
		h.clock.Set(now)
		for next < len(steps) && !t0.Add(steps[next].at).After(now) {
			for _, e := range steps[next].events {
				h.d.Observe(e)
			}
			next++
		}
		if err := h.d.Tick(context.Background(), now); err != nil {
			h.t.Fatalf("tick at %s: %v", now.Sub(t0), err)
		}
	}
}

// step is what happens at t0+at.
type step struct {
	at     time.Duration
	events []alert.Event
}

// newAlert returns a firing alert about a sensor in unit and domain.
func newAlert(unit, domain, sensor string, level int8, at time.Duration) model.Alert {
	labels := map[string]string{"unit": unit, "domain": domain, "sensor": sensor}
	ms := t0.Add(at).UnixMilli()
	return model.Alert{
		Fingerprint: alert.Fingerprint("threshold", labels), Rule: "threshold", Labels: labels,
		Level: level, State: model.AlertFiring, StartsAt: ms, UpdatedAt: ms,
		SummaryZH: sensor + " 超限", SummaryEN: sensor + " over threshold",
	}
}

func fire(a model.Alert) alert.Event {
	return alert.Event{Kind: alert.EventFiring, At: a.UpdatedAt, Alert: a}
}

func muted(e alert.Event) alert.Event {
	e.Muted = true
	return e
}

// relevel returns the event of a's level changing at t0+at.
func relevel(a model.Alert, level int8, at time.Duration) alert.Event {
	a.Level, a.UpdatedAt = level, t0.Add(at).UnixMilli()
	return alert.Event{Kind: alert.EventUpdated, At: a.UpdatedAt, Alert: a}
}

func resolve(a model.Alert, at time.Duration) alert.Event {
	a.State, a.EndsAt, a.UpdatedAt = model.AlertResolved, t0.Add(at).UnixMilli(), t0.Add(at).UnixMilli()
	return alert.Event{Kind: alert.EventResolved, At: a.UpdatedAt, Alert: a}
}

func ack(a model.Alert, at time.Duration) alert.Event {
	a.AckedBy, a.AckedAt = "duty-officer", t0.Add(at)
	return alert.Event{Kind: alert.EventAcked, At: a.UpdatedAt, Alert: a}
}

// burst fires n alerts in unit and domain, one every spacing from t0+at.
func burst(unit, domain string, level int8, n int, at, spacing time.Duration) []step {
	steps := make([]step, n)
	for i := range n {
		when := at + time.Duration(i)*spacing
		a := newAlert(unit, domain, fmt.Sprintf("%s-%s-%s-%03d", unit, domain, at, i), level, when)
		steps[i] = step{at: when, events: []alert.Event{fire(a)}}
	}
	return steps
}

// got is what a test checks of one message.
type got struct {
	At       time.Duration
	Receiver string
	Kind     string
	Group    string
	Level    int8
	Firing   int
	Resolved int
}

func summarise(msgs []sent) []got {
	out := make([]got, len(msgs))
	for i, m := range msgs {
		out[i] = got{At: m.At.Sub(t0), Receiver: m.Receiver, Kind: m.N.Kind, Group: m.N.Group["unit"] + "/" + m.N.Group["domain"],
			Level: m.N.Level, Firing: len(m.N.Firing), Resolved: len(m.N.Resolved)}
	}
	return out
}

func concat(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
