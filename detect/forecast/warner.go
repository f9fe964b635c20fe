package forecast

import (
	"time"

	"cityvitals/model"
)

// WarnerConfig says what a Warner warns about and how much evidence it
// wants before raising and before withdrawing.
type WarnerConfig struct {
	Threshold float64
	Above     bool          // warn of crossing upwards (false: downwards)
	Horizon   time.Duration // how far ahead a crossing is warned of
	// RaiseAfter is how many successive answers must forecast a crossing
	// before the warning is raised (default 1); ClearAfter how many
	// successive answers must not before it is withdrawn (default 2).
	// The gap between them is the hysteresis that keeps a forecast
	// hovering at the threshold from flapping.
	RaiseAfter, ClearAfter int
}

// Validate reports a bad field as an EINVALID *model.Error naming it.
func (c WarnerConfig) Validate() error {
	switch {
	case c.Horizon <= 0:
		return model.Errorf(model.EINVALID, "forecast warner: horizon = %s must be positive", c.Horizon)
	case c.RaiseAfter < 0:
		return model.Errorf(model.EINVALID, "forecast warner: raise_after = %d must not be negative", c.RaiseAfter)
	case c.ClearAfter < 0:
		return model.Errorf(model.EINVALID, "forecast warner: clear_after = %d must not be negative", c.ClearAfter)
	}
	return nil
}

// EventKind is what a Warner did with an answer.
type EventKind uint8

// Event kinds.
const (
	NoChange EventKind = iota
	Raise              // a crossing is now warned of
	Withdraw           // the forecast no longer crosses
)

func (k EventKind) String() string {
	switch k {
	case Raise:
		return "raise"
	case Withdraw:
		return "withdraw"
	default:
		return "none"
	}
}

// Event is a change of a Warner's state at event time Time (Unix ms),
// with the forecast that caused it (zero for Withdraw).
type Event struct {
	Kind    EventKind
	Time    int64
	Warning Warning
}

// Warner turns successive Crossing answers of one stream into raise and
// withdraw events. A warning is raised only on a forecast crossing
// (ETA > 0), never on a reading already beyond the threshold, which is
// the threshold detector's business; once raised it stays up while the
// series is beyond. Not safe for concurrent use.
type Warner struct {
	cfg      WarnerConfig
	raised   bool
	since    int64 // Unix ms of the raise
	streak   int   // successive answers pointing the other way
	lastSeen Warning
}

// NewWarner validates cfg and returns a Warner with no warning raised.
func NewWarner(cfg WarnerConfig) (*Warner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.RaiseAfter = max(cfg.RaiseAfter, 1)
	if cfg.ClearAfter == 0 {
		cfg.ClearAfter = 2
	}
	return &Warner{cfg: cfg}, nil
}

// Config returns the configuration with defaults filled in.
func (w *Warner) Config() WarnerConfig { return w.cfg }

// Check asks f for its crossing of the Warner's threshold and passes the
// answer to Update at the time of f's last reading.
func (w *Warner) Check(f *Forecaster) Event {
	t, _, _ := f.Last()
	fc, ok := f.Crossing(w.cfg.Threshold, w.cfg.Above, w.cfg.Horizon)
	return w.Update(t, fc, ok)
}

// Update takes one Crossing answer made at event time t and returns the
// resulting change, if any.
func (w *Warner) Update(t int64, fc Warning, ok bool) Event {
	if !w.raised {
		if !ok || fc.ETA <= 0 {
			w.streak = 0
			return Event{Time: t}
		}
		if w.streak++; w.streak < w.cfg.RaiseAfter {
			return Event{Time: t}
		}
		w.raised, w.since, w.streak, w.lastSeen = true, t, 0, fc
		return Event{Kind: Raise, Time: t, Warning: fc}
	}
	if ok {
		w.streak, w.lastSeen = 0, fc
		return Event{Time: t}
	}
	if w.streak++; w.streak < w.cfg.ClearAfter {
		return Event{Time: t}
	}
	w.raised, w.streak = false, 0
	return Event{Kind: Withdraw, Time: t}
}

// Raised reports whether a warning is up, since when (Unix ms), and the
// latest crossing forecast that kept it up.
func (w *Warner) Raised() (since int64, latest Warning, ok bool) {
	return w.since, w.lastSeen, w.raised
}
