package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DispatcherConfig tunes one receiver's Dispatcher. Zero fields take the
// defaults in brackets.
type DispatcherConfig struct {
	MinBackoff time.Duration // wait after the first failure [1s]
	MaxBackoff time.Duration // cap of the doubling waits, and the wait after a permanent failure [5m]
	// Batch is how many head messages are read per Store query [64].
	Batch int
	// IdlePoll re-reads an empty queue this often, for messages enqueued
	// by another process; in-process Sends wake the Dispatcher at once
	// [1m; negative: never poll].
	IdlePoll time.Duration
	// AttemptTimeout bounds one attempt, which runs on past cancellation
	// of Run's context so that a graceful stop never cuts off a delivery
	// midway [30s].
	AttemptTimeout time.Duration
}

func (c DispatcherConfig) withDefaults() DispatcherConfig {
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	c.MaxBackoff = max(c.MaxBackoff, c.MinBackoff)
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.IdlePoll == 0 {
		c.IdlePoll = time.Minute
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 30 * time.Second
	}
	return c
}

// Dispatcher delivers one receiver's messages in order. Create it with
// Outbox.Dispatcher and call Run once; after Stop it stays stopped, so a
// restart makes a new Dispatcher.
type Dispatcher struct {
	outbox    *Outbox
	receiver  string
	deliverer Deliverer
	cfg       DispatcherConfig
	log       *slog.Logger

	wake     chan struct{} // capacity 1: Send's nudge
	stop     chan struct{}
	stopOnce sync.Once
}

// Dispatcher returns a Dispatcher that delivers receiver's messages
// through d.
func (o *Outbox) Dispatcher(receiver string, d Deliverer, cfg DispatcherConfig) *Dispatcher {
	return &Dispatcher{
		outbox:    o,
		receiver:  receiver,
		deliverer: d,
		cfg:       cfg.withDefaults(),
		log:       o.log.With("receiver", receiver),
		wake:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
	}
}

// Run delivers until ctx is cancelled or Stop is called, and then returns
// nil after finishing (and marking) the attempt in flight. Store errors are
// logged and retried, never returned: the queue must keep draining. Run
// returns ECONFLICT at once if another Dispatcher for the same receiver is
// running in this Outbox.
func (d *Dispatcher) Run(ctx context.Context) error {
	if err := d.outbox.claim(d.receiver, d.wake); err != nil {
		return err
	}
	defer d.outbox.release(d.receiver)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-d.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for ctx.Err() == nil {
		d.drain(ctx)
	}
	return nil
}

// Stop makes Run return after its attempt in flight. It is safe to call
// more than once and before Run.
func (d *Dispatcher) Stop() {
	d.stopOnce.Do(func() { close(d.stop) })
}

// drain reads a batch of head messages and delivers them in order,
// returning to be called again after the batch, after a failure, or when
// the queue is empty and there is news (a wake-up or the idle poll).
func (d *Dispatcher) drain(ctx context.Context) {
	head, err := d.outbox.store.Head(ctx, d.receiver, d.cfg.Batch)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("outbox: read head", "err", err)
			d.sleep(ctx, d.cfg.MinBackoff)
		}
		return
	}
	if len(head) == 0 {
		d.outbox.metrics.oldest.set(d.receiver, time.Time{})
		d.idle(ctx)
		return
	}
	for _, m := range head {
		d.outbox.metrics.oldest.set(d.receiver, m.Created)
		if wait := m.NextAttempt.Sub(d.outbox.now()); wait > 0 && !d.sleep(ctx, wait) {
			return
		}
		if !d.attempt(ctx, m) || ctx.Err() != nil {
			return // after a failure, re-read the head: it carries the new NextAttempt
		}
	}
}

// attempt delivers m and records the outcome, reporting whether m is now
// marked delivered. Delivery and mark run on a context that ignores ctx's
// cancellation (bounded by AttemptTimeout), so a stop never leaves a
// completed delivery unmarked.
func (d *Dispatcher) attempt(ctx context.Context, m Message) bool {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.AttemptTimeout)
	defer cancel()
	err := d.deliverer.Deliver(actx, m)
	if err != nil {
		d.recordFailure(actx, m, err)
		return false
	}
	if err := d.outbox.store.MarkDelivered(actx, m.ID, d.outbox.now()); err != nil {
		// The receiver has it; the next round resends it and the
		// receiver drops the repeat by its idempotency key.
		d.log.Error("outbox: mark delivered", "id", m.ID, "key", m.Key, "err", err)
		d.sleep(ctx, d.cfg.MinBackoff)
		return false
	}
	d.outbox.metrics.delivered.WithLabelValues(d.receiver).Inc()
	return true
}

// recordFailure stores the failed attempt with the time of the next one.
func (d *Dispatcher) recordFailure(ctx context.Context, m Message, cause error) {
	permanent := IsPermanent(cause)
	wait := Backoff(m.Attempts+1, d.cfg.MinBackoff, d.cfg.MaxBackoff, permanent)
	kind := "transient"
	if permanent {
		kind = "permanent"
		d.log.Warn("outbox: receiver rejected message; retrying at maximum backoff",
			"id", m.ID, "key", m.Key, "attempts", m.Attempts+1, "retry_in", wait, "err", cause)
	}
	d.outbox.metrics.failures.WithLabelValues(d.receiver, kind).Inc()
	next := d.outbox.now().Add(wait)
	if err := d.outbox.store.MarkFailed(ctx, m.ID, next, cause.Error()); err != nil {
		d.log.Error("outbox: mark failed", "id", m.ID, "key", m.Key, "err", fmt.Errorf("%w (delivery: %v)", err, cause))
		d.sleep(ctx, wait) // keep the backoff even though it is not recorded
	}
}

// idle waits for a wake-up, the idle poll or cancellation.
func (d *Dispatcher) idle(ctx context.Context) {
	var poll <-chan time.Time
	if d.cfg.IdlePoll > 0 {
		poll = d.outbox.after(d.cfg.IdlePoll)
	}
	select {
	case <-d.wake:
	case <-poll:
	case <-ctx.Done():
	}
}

// sleep waits for wait or cancellation, reporting whether the wait ended
// uncancelled. Wake-ups are ignored: a new message cannot overtake the
// head that is waiting.
func (d *Dispatcher) sleep(ctx context.Context, wait time.Duration) bool {
	select {
	case <-d.outbox.after(wait):
		return true
	case <-ctx.Done():
		return false
	}
}
