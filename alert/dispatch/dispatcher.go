package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"cityvitals/alert"
	"cityvitals/model"
)

// SendFunc hands one message to a receiver durably; (*outbox.Outbox).Send
// is one. Sending a key the receiver already has must be a no-op.
type SendFunc func(ctx context.Context, receiver, key string, payload []byte) error

// TickEvery is how often Run checks for due notifications.
const TickEvery = time.Second

// drainTimeout bounds the last attempt, at stop, to hand over messages a
// failing send left behind.
const drainTimeout = 5 * time.Second

// message is one notification for one receiver, waiting to be sent.
type message struct {
	receiver, key string
	payload       []byte
}

// Dispatcher groups alert events into notifications and repeats
// unacknowledged alerts (see the package comment). Observe, Restore and
// Tick are safe for concurrent use; call Run at most once.
type Dispatcher struct {
	cfg  Config
	send SendFunc
	now  func() time.Time
	log  *slog.Logger

	mu     sync.Mutex // guards groups; never held while sending
	groups map[string]*group

	// sendMu makes Ticks take turns, so messages reach send in the order
	// they were made, and guards unsent: messages a failed send left
	// behind, retried first at the next Tick.
	sendMu sync.Mutex
	unsent []message

	stop     chan struct{}
	stopOnce sync.Once
}

// New returns a Dispatcher that hands its messages to send and reads the
// wall clock with now (nil means time.Now). EINVALID names the first wrong
// field of cfg.
func New(cfg Config, send SendFunc, now func() time.Time) (*Dispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if send == nil {
		return nil, model.Errorf(model.EINVALID, "dispatch: send function is nil")
	}
	if now == nil {
		now = time.Now
	}
	cfg = cfg.withDefaults()
	return &Dispatcher{cfg: cfg, send: send, now: now, log: cfg.Logger,
		groups: map[string]*group{}, stop: make(chan struct{})}, nil
}

// Observe takes in one alert event without waiting for any send: it only
// updates the in-memory state, under a short lock. It suits the notify
// callback of alert.Manager.
func (d *Dispatcher) Observe(e alert.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.apply(e, d.now())
}

// Restore rebuilds the state after a restart from the open alerts, as if
// each firing one had just fired (pending and resolved ones are skipped);
// acknowledged ones do not repeat. The caller leaves out alerts its
// muters mute. Each group is notified after GroupWait; the keys of
// notifications that say what was sent before the restart are unchanged.
func (d *Dispatcher) Restore(alerts []model.Alert) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for _, a := range alerts {
		if a.State == model.AlertFiring {
			d.apply(alert.Event{Kind: alert.EventFiring, At: a.UpdatedAt, Alert: a}, now)
		}
	}
}

// RestoreSent completes Restore with what had been sent before the
// restart: sent yields the payloads handed to one receiver, newest first,
// as far back as the caller cares to read. From the newest notification
// of each group it learns
//
//   - what that group last said was firing, so that a group whose firing
//     alerts are as they were is not notified again, and the alerts count
//     as announced (they repeat, and their resolution will be told);
//   - which of those alerts have resolved since (current gives an alert's
//     stored state): resolutions that were waiting in their groups when
//     the process stopped, which are told now.
//
// An alert whose resolution was told, or that fired and resolved
// unannounced, is not listed as firing by its group's newest
// notification, so nothing is told twice and nobody hears of an alert
// they were never told of. current says false for an alert that is
// unknown or that the caller's muters mute (Restore's caller leaves
// those out too).
func (d *Dispatcher) RestoreSent(sent iter.Seq[[]byte], current func(fingerprint string) (model.Alert, bool, error)) error {
	told := lastGroupNotifications(sent)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for _, key := range slices.Sorted(maps.Keys(told)) {
		firing := told[key]
		if g := d.groups[key]; g != nil {
			g.recall(firing, now)
		}
		for _, s := range firing {
			a, ok, err := current(s.Fingerprint)
			if err != nil {
				return fmt.Errorf("restore the resolution of alert %s: %w", s.Fingerprint, err)
			}
			if ok && a.State == model.AlertResolved {
				d.restoreResolution(a, now)
			}
		}
	}
	return nil
}

// restoreResolution queues the resolution of an announced alert. The
// caller holds d.mu.
func (d *Dispatcher) restoreResolution(a model.Alert, now time.Time) {
	key, labels := groupKey(d.cfg.GroupBy, a.Labels)
	g := d.groups[key]
	if g == nil {
		g = newGroup(key, labels)
		d.groups[key] = g
	}
	g.resolved[a.Fingerprint] = a
	g.markChanged(now, d.cfg.GroupWait)
}

// lastGroupNotifications returns, by group key, the firing alerts listed
// by the newest group notification of each group among payloads (newest
// first). It keeps one list per group, however many payloads it reads.
func lastGroupNotifications(payloads iter.Seq[[]byte]) map[string][]AlertSummary {
	newest := map[string][]AlertSummary{}
	for p := range payloads {
		var n Notification
		if json.Unmarshal(p, &n) != nil || n.Kind != KindGroup {
			continue // another sender's message, or a repeat
		}
		if _, seen := newest[n.GroupKey]; !seen {
			newest[n.GroupKey] = n.Firing
		}
	}
	return newest
}

// apply changes the group of e's alert. The caller holds d.mu.
func (d *Dispatcher) apply(e alert.Event, now time.Time) {
	key, labels := groupKey(d.cfg.GroupBy, e.Alert.Labels)
	g := d.groups[key]
	if g == nil {
		if e.Muted || (e.Kind != alert.EventFiring && e.Kind != alert.EventUpdated) {
			return // nothing to withdraw, resolve or refresh
		}
		g = newGroup(key, labels)
		d.groups[key] = g
	}
	switch {
	case e.Kind == alert.EventAcked || e.Kind == alert.EventAssigned:
		g.refresh(e.Alert)
	case e.Muted:
		g.withdraw(e.Alert.Fingerprint)
	case e.Kind == alert.EventResolved:
		g.resolve(e.Alert, now, d.cfg.GroupWait)
	case e.Kind == alert.EventFiring || e.Kind == alert.EventUpdated:
		g.fire(e.Alert, now, d.cfg.GroupWait)
	}
}

// Tick makes the notifications due at now and sends them, after any that
// an earlier Tick could not send. On a send error the failed message and
// those after it stay queued, in order, for the next Tick, and the error
// is returned.
func (d *Dispatcher) Tick(ctx context.Context, now time.Time) error {
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	msgs, err := d.due(now)
	if err != nil {
		return err
	}
	d.unsent = append(d.unsent, msgs...)
	return d.sendUnsent(ctx)
}

// due makes the messages due at now, group by group in key order, and
// records them as sent.
func (d *Dispatcher) due(now time.Time) ([]message, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var msgs []message
	for _, key := range slices.Sorted(maps.Keys(d.groups)) {
		g := d.groups[key]
		groupMsgs, err := d.groupMessages(g, now)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, groupMsgs...)
		if g.idle() {
			delete(d.groups, key)
		}
	}
	return msgs, nil
}

// groupMessages makes g's notification and repeats due at now.
func (d *Dispatcher) groupMessages(g *group, now time.Time) ([]message, error) {
	var msgs []message
	if n, key, ok := g.flush(now, d.cfg.GroupInterval); ok {
		m, err := d.fanOut(d.cfg.Receivers, key, n)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m...)
	}
	due, ordinals := g.dueRepeats(now, d.cfg.RepeatAfter)
	if len(due) == 0 {
		return msgs, nil
	}
	m, err := d.fanOut(d.cfg.Receivers, repeatMessageKey(KindRepeat, g.key, due, ordinals),
		newNotification(KindRepeat, g, due, nil))
	if err != nil {
		return nil, err
	}
	msgs = append(msgs, m...)
	m, err = d.escalations(g, due, ordinals)
	if err != nil {
		return nil, err
	}
	return append(msgs, m...), nil
}

// escalations sends each escalation receiver the due repeats of the levels
// escalated to it.
func (d *Dispatcher) escalations(g *group, due []model.Alert, ordinals []int64) ([]message, error) {
	byReceiver := map[string][]int{} // receiver → indices into due
	for i, a := range due {
		if r := d.cfg.Escalation[a.Level]; r != "" {
			byReceiver[r] = append(byReceiver[r], i)
		}
	}
	var msgs []message
	for _, receiver := range slices.Sorted(maps.Keys(byReceiver)) {
		var alerts []model.Alert
		var ords []int64
		for _, i := range byReceiver[receiver] {
			alerts, ords = append(alerts, due[i]), append(ords, ordinals[i])
		}
		m, err := d.fanOut([]string{receiver}, repeatMessageKey(KindEscalation, g.key, alerts, ords),
			newNotification(KindEscalation, g, alerts, nil))
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m...)
	}
	return msgs, nil
}

// fanOut encodes n once for every receiver.
func (d *Dispatcher) fanOut(receivers []string, key string, n Notification) ([]message, error) {
	payload, err := json.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("encode %s notification %s: %w", n.Kind, key, err)
	}
	msgs := make([]message, len(receivers))
	for i, r := range receivers {
		msgs[i] = message{receiver: r, key: key, payload: payload}
	}
	return msgs, nil
}

// sendUnsent sends the queued messages in order and stops at the first
// failure, so no receiver gets a later message before an earlier one. The
// caller holds d.sendMu.
func (d *Dispatcher) sendUnsent(ctx context.Context) error {
	for len(d.unsent) > 0 {
		m := d.unsent[0]
		if err := d.send(ctx, m.receiver, m.key, m.payload); err != nil {
			return fmt.Errorf("send alert notification %s to %s (%d waiting): %w", m.key, m.receiver, len(d.unsent), err)
		}
		d.unsent[0] = message{} // let the payload go
		d.unsent = d.unsent[1:]
	}
	return nil
}

// Run calls Tick every TickEvery until ctx ends or Stop is called. A
// failed send is logged and retried at the next tick. At the end Run
// tries once more, briefly, to hand over what is left; what it cannot is
// lost from memory, and Restore at the next start notifies it again.
func (d *Dispatcher) Run(ctx context.Context) error {
	ticker := time.NewTicker(TickEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if err := d.Tick(ctx, d.now()); err != nil {
				d.log.Warn("alert notifications wait for the next tick", "err", err)
			}
		case <-ctx.Done():
			d.drain(ctx)
			return nil
		case <-d.stop:
			d.drain(ctx)
			return nil
		}
	}
}

// Stop ends Run; calling it again does nothing.
func (d *Dispatcher) Stop() {
	d.stopOnce.Do(func() { close(d.stop) })
}

// drain hands over the messages left behind by failed sends, on a context
// that outlives ctx's cancellation by at most drainTimeout.
func (d *Dispatcher) drain(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
	defer cancel()
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	if err := d.sendUnsent(ctx); err != nil {
		d.log.Error("alert notifications not handed over at stop; Restore renotifies their alerts", "err", err)
	}
}

// Unsent reports how many messages wait for a retry after a failed send.
// It waits while a Tick is sending.
func (d *Dispatcher) Unsent() int {
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	return len(d.unsent)
}
