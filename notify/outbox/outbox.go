package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/model"
)

// Options configure an Outbox. The zero value uses the wall clock, no
// metrics registry and slog.Default().
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// After waits like time.After; nil means time.After. Tests inject a
	// fake that advances Now instead of sleeping.
	After func(d time.Duration) <-chan time.Time
	// Registerer receives the outbox metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Logger receives delivery failures; nil means slog.Default().
	Logger *slog.Logger
}

// Outbox is the producers' side of the queue and the factory of the
// Dispatchers that drain it. It is safe for concurrent use.
type Outbox struct {
	store   Store
	now     func() time.Time
	after   func(time.Duration) <-chan time.Time
	log     *slog.Logger
	metrics *metrics

	mu      sync.Mutex
	running map[string]chan struct{} // receiver → wake-up of its running Dispatcher
}

// New returns an Outbox over store. It fails only if the metrics cannot be
// registered (e.g. a second Outbox on the same Registerer).
func New(store Store, opts Options) (*Outbox, error) {
	o := &Outbox{
		store:   store,
		now:     opts.Now,
		after:   opts.After,
		log:     opts.Logger,
		metrics: newMetrics(),
		running: make(map[string]chan struct{}),
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.after == nil {
		o.after = time.After
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	o.metrics.now = o.now
	if opts.Registerer != nil {
		if err := o.metrics.register(opts.Registerer); err != nil {
			return nil, fmt.Errorf("outbox metrics: %w", err)
		}
	}
	return o, nil
}

// Send stores one message for receiver durably and wakes the receiver's
// Dispatcher, if one runs in this process. When Send returns nil the
// message will be delivered at least once. Sending a key the receiver has
// already been sent is a no-op. EINVALID names an empty receiver or key or
// a nil payload.
func (o *Outbox) Send(ctx context.Context, receiver, key string, payload []byte) error {
	return o.SendBatch(ctx, []Message{{Receiver: receiver, Key: key, Payload: payload}})
}

// SendBatch is Send for several messages in one transaction, in slice
// order; only Receiver, Key and Payload of each are used. Either all are
// stored or, on error, none.
func (o *Outbox) SendBatch(ctx context.Context, msgs []Message) error {
	now := o.now()
	batch := make([]Message, len(msgs))
	for i, m := range msgs {
		batch[i] = Message{Receiver: m.Receiver, Key: m.Key, Payload: m.Payload, Created: now, NextAttempt: now}
		if err := batch[i].Validate(); err != nil {
			return err
		}
	}
	if err := o.store.Enqueue(ctx, batch); err != nil {
		return fmt.Errorf("outbox send %d message(s): %w", len(batch), err)
	}
	for _, m := range batch {
		o.metrics.sent.WithLabelValues(m.Receiver).Inc()
		o.wake(m.Receiver)
	}
	return nil
}

// RunPurge deletes the messages delivered longer than retention ago, at
// once and then every `every`, until ctx is done. Undelivered messages are
// never deleted. Keep retention longer than any alert group stays quiet:
// a restarted sender reads what it had said from the outbox, and a key
// that is gone no longer stops a resend.
func (o *Outbox) RunPurge(ctx context.Context, retention, every time.Duration) error {
	for {
		n, err := o.store.PurgeDelivered(ctx, o.now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			o.log.Error("outbox: purge delivered messages", "err", err)
		case n > 0:
			o.log.Info("outbox: purged delivered messages", "count", n, "delivered_before", o.now().Add(-retention))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-o.after(every):
		}
	}
}

// EachNewest calls fn with the messages sent to receiver, delivered or
// not, newest first, at most limit, until fn returns false: what a
// restarted sender reads to learn what it had already said.
func (o *Outbox) EachNewest(ctx context.Context, receiver string, limit int, fn func(Message) bool) error {
	return o.store.EachNewest(ctx, receiver, limit, fn)
}

// wake nudges receiver's running Dispatcher without blocking: the channel
// has capacity one, so a pending nudge already covers this one.
func (o *Outbox) wake(receiver string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if ch, ok := o.running[receiver]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// claim registers the wake-up channel of a Dispatcher about to run for
// receiver; ECONFLICT if one already runs in this Outbox.
func (o *Outbox) claim(receiver string, wake chan struct{}) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.running[receiver]; ok {
		return model.Errorf(model.ECONFLICT, "a dispatcher for receiver %q is already running", receiver)
	}
	o.running[receiver] = wake
	return nil
}

func (o *Outbox) release(receiver string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.running, receiver)
}
