package silence

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"cityvitals/alert"
	"cityvitals/model"
)

// DefaultLookback is how long a Silencer keeps silences after they end,
// so alert changes whose event time lags the wall clock (late data, a
// detector catching up) still meet the silences that were active then.
const DefaultLookback = 24 * time.Hour

// Silencer mutes alerts with the silences in the store. It keeps them in
// memory, compiled; Service keeps it current on every change it makes,
// and Reload picks up changes made elsewhere. It is safe for concurrent
// use.
type Silencer struct {
	store    Store
	lookback time.Duration
	now      func() time.Time

	mu       sync.RWMutex
	silences []compiledSilence // in ID order
}

type compiledSilence struct {
	Silence
	selector Selector
}

// SilencerOption configures a Silencer.
type SilencerOption func(*Silencer)

// WithLookback keeps silences in memory for d after they end (default
// DefaultLookback).
func WithLookback(d time.Duration) SilencerOption {
	return func(s *Silencer) { s.lookback = d }
}

// WithSilencerClock sets the wall clock used to forget old silences.
func WithSilencerClock(now func() time.Time) SilencerOption {
	return func(s *Silencer) { s.now = now }
}

// NewSilencer loads the silences from st.
func NewSilencer(ctx context.Context, st Store, opts ...SilencerOption) (*Silencer, error) {
	s := &Silencer{store: st, lookback: DefaultLookback, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload replaces the silences in memory with those in the store.
func (s *Silencer) Reload(ctx context.Context) error {
	all, err := s.store.Silences(ctx, true)
	if err != nil {
		return fmt.Errorf("reload silences: %w", err)
	}
	horizon := s.now().Add(-s.lookback)
	loaded := make([]compiledSilence, 0, len(all))
	for _, sil := range all {
		if sil.EndsAt.Before(horizon) {
			continue
		}
		sel, err := Compile(sil.Matchers)
		if err != nil {
			return fmt.Errorf("reload silence %d: %w", sil.ID, err)
		}
		loaded = append(loaded, compiledSilence{Silence: sil, selector: sel})
	}
	s.mu.Lock()
	s.silences = loaded
	s.mu.Unlock()
	return nil
}

// put adds or replaces one silence (already validated), forgetting
// silences that ended before the lookback.
func (s *Silencer) put(sil Silence) error {
	sel, err := Compile(sil.Matchers)
	if err != nil {
		return fmt.Errorf("silence %d: %w", sil.ID, err)
	}
	horizon := s.now().Add(-s.lookback)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silences = slices.DeleteFunc(s.silences, func(c compiledSilence) bool {
		return c.ID == sil.ID || c.EndsAt.Before(horizon)
	})
	i, _ := slices.BinarySearchFunc(s.silences, sil.ID, func(c compiledSilence, id int64) int {
		return cmp.Compare(c.ID, id)
	})
	s.silences = slices.Insert(s.silences, i, compiledSilence{Silence: sil, selector: sel})
	return nil
}

// Mutes reports whether a silence active at at selects a. at is the
// event time of the alert change being notified; silences are set on the
// wall clock, and the two agree when the system keeps up with its data.
// When it replays history, only silences that were active at the
// replayed time mute, as they did on the day.
func (s *Silencer) Mutes(a model.Alert, at time.Time) bool {
	return len(s.MutedBy(a, at)) > 0
}

// Explain implements alert.Explainer: the silences that mute a at at.
func (s *Silencer) Explain(a model.Alert, at time.Time, r *alert.MuteReason) {
	r.Silences = append(r.Silences, s.MutedBy(a, at)...)
}

// MutedBy returns the IDs of the silences active at at that select a, in
// ID order, so that a person can see why an alert stayed quiet.
func (s *Silencer) MutedBy(a model.Alert, at time.Time) []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []int64
	var labels map[string]string // built only when some silence is active
	for _, c := range s.silences {
		if c.State(at) != StateActive {
			continue
		}
		if labels == nil {
			labels = AlertLabels(a)
		}
		if c.selector.Matches(labels) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}
