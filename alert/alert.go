package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

// Finding is what a detector reports about one thing at one event time:
// active at a level (1 blue … 4 red), or cleared (Level ≤ 0).
type Finding struct {
	Rule      string
	Labels    map[string]string
	Level     int8
	At        int64 // event time, Unix ms
	Evidence  map[string]any
	SummaryZH string
	SummaryEN string
}

// EventKind says what happened to an alert.
type EventKind string

const (
	EventFiring   EventKind = "firing"   // began firing
	EventUpdated  EventKind = "updated"  // firing, and its level changed
	EventResolved EventKind = "resolved" // stopped firing
	EventAcked    EventKind = "acknowledged"
	EventAssigned EventKind = "assigned"
)

// Event is a change of an alert that notifiers hear about.
type Event struct {
	Kind  EventKind   `json:"kind"`
	At    int64       `json:"at"` // event time of the change, Unix ms
	Alert model.Alert `json:"alert"`
	// Muted is set before the event is published when a silence or an
	// inhibition keeps it from notification receivers (the dashboard
	// still sees it).
	Muted bool `json:"muted,omitempty"`
	// MutedBy says why, when it is known.
	MutedBy *MuteReason `json:"muted_by,omitempty"`
}

// Key is an idempotency key for the event: the same change of the same
// alert always has the same key, so a receiver can drop a resend.
func (e Event) Key() string {
	return fmt.Sprintf("%s:%s:%d:%d", e.Alert.Fingerprint, e.Kind, e.At, e.Alert.Level)
}

// Fingerprint identifies the alert for a rule and a set of labels.
func Fingerprint(rule string, labels map[string]string) string {
	h := sha256.New()
	h.Write([]byte(rule))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Auditor appends to the audit log.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// Config tunes the lifecycle.
type Config struct {
	// For is how long a finding must hold at a level before its alert
	// fires, per level (index 1 blue … 4 red). The defaults fire red at
	// once and give lower levels time to clear on their own.
	For [5]time.Duration
	// RuleFor overrides For for every level of a rule: a forecast warning
	// fires at once, because its lead time is the point.
	RuleFor map[string]time.Duration
}

// DefaultFor: blue 10 min, yellow 5 min, orange 1 min, red at once.
var DefaultFor = [5]time.Duration{0, 10 * time.Minute, 5 * time.Minute, time.Minute, 0}

// Manager applies findings to alerts. Submit may be called from any
// goroutine; Run applies them in order. Ack and Assign are safe
// concurrently with Run.
type Manager struct {
	cfg    Config
	store  store.Alerts
	notify func(Event)
	audit  Auditor
	log    *slog.Logger
	now    func() time.Time
	in     chan Finding

	// mu serialises every change: findings, Advance, Ack, Assign. notify
	// runs under it, so it must not call back into the Manager.
	mu     sync.Mutex
	active map[string]*model.Alert // pending and firing, by fingerprint
}

// NewManager loads the pending and firing alerts so a restart continues
// them. notify is called (from Run, or from Ack/Assign) for every event.
func NewManager(ctx context.Context, st store.Alerts, cfg Config, notify func(Event), audit Auditor, log *slog.Logger) (*Manager, error) {
	if cfg.For == ([5]time.Duration{}) {
		cfg.For = DefaultFor
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{cfg: cfg, store: st, notify: notify, audit: audit, log: log, now: time.Now,
		in: make(chan Finding, 4096), active: map[string]*model.Alert{}}
	for _, state := range []model.AlertState{model.AlertPending, model.AlertFiring} {
		if err := m.loadState(ctx, state); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Manager) loadState(ctx context.Context, state model.AlertState) error {
	page := store.Page{Limit: 1000}
	for {
		items, next, err := m.store.Alerts(ctx, store.AlertFilter{State: state}, page)
		if err != nil {
			return fmt.Errorf("load %s alerts: %w", state, err)
		}
		for i := range items {
			m.active[items[i].Fingerprint] = &items[i]
		}
		if next == "" {
			return nil
		}
		page.After = next
	}
}

// Submit queues a finding; it blocks while the queue is full, so findings
// are never dropped (the detector slows instead).
func (m *Manager) Submit(ctx context.Context, f Finding) {
	select {
	case m.in <- f:
	case <-ctx.Done():
	}
}

// Run applies queued findings until ctx ends, then applies what is
// queued and returns.
func (m *Manager) Run(ctx context.Context) error {
	for {
		select {
		case f := <-m.in:
			if err := m.apply(context.WithoutCancel(ctx), f); err != nil {
				return err
			}
		case <-ctx.Done():
			for {
				select {
				case f := <-m.in:
					if err := m.apply(context.Background(), f); err != nil {
						return err
					}
				default:
					return nil
				}
			}
		}
	}
}
