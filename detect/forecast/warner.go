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
	// Hold keeps a raised warning up for its whole stated window
	// (Warning.Within) even when the forecast turns: a warning is a
	// claim about that window, and withdrawing and re-raising it within
	// the window would only repeat the claim.
	Hold bool
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
// withdraw events. A warning claims a crossing within its stated window
// (Warning.Within of the reading that raised it), and lives by that claim:
//
//   - it is raised only on a forecast crossing (ETA > 0), never on a
//     reading already beyond the threshold, which is the threshold
//     detector's business;
//   - a reading beyond the threshold fulfils it; it stays up while the
//     series is beyond and ends when the series is back (withdrawn, or
//     renewed at once by a new Raise if the forecast crosses again);
//   - if its window passes with no crossing it expires the same way:
//     withdrawn, or renewed when the forecast still crosses, so no
//     warning is ever up past the window it claimed;
//   - within its window, ClearAfter answers that no longer cross
//     withdraw it, unless WarnerConfig.Hold.
//
// A renewal is a new warning with its own window. Not safe for
// concurrent use.
type Warner struct {
	cfg       WarnerConfig
	raised    bool
	fulfilled bool  // a reading beyond the threshold came while raised
	since     int64 // Unix ms of the raise
	until     int64 // Unix ms the raised warning's window ends
	streak    int   // successive answers pointing the other way
	lastSeen  Warning
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
// resulting change, if any. An answer with no Within claims the
// Warner's Horizon.
func (w *Warner) Update(t int64, fc Warning, ok bool) Event {
	if ok && fc.Within <= 0 {
		fc.Within = w.cfg.Horizon
	}
	forecasts := ok && fc.ETA > 0
	if !w.raised {
		if !forecasts {
			w.streak = 0
			return Event{Time: t}
		}
		if w.streak++; w.streak < w.cfg.RaiseAfter {
			return Event{Time: t}
		}
		return w.raise(t, fc)
	}
	switch {
	case ok && fc.ETA <= 0: // beyond: the claim came true
		w.fulfilled, w.streak = true, 0
		return Event{Time: t}
	case w.fulfilled || t >= w.until: // back from beyond, or the window passed
		if forecasts {
			return w.raise(t, fc)
		}
		return w.withdraw(t)
	case ok:
		w.streak, w.lastSeen = 0, fc
		return Event{Time: t}
	case w.cfg.Hold:
		return Event{Time: t}
	}
	if w.streak++; w.streak < w.cfg.ClearAfter {
		return Event{Time: t}
	}
	return w.withdraw(t)
}

func (w *Warner) raise(t int64, fc Warning) Event {
	w.raised, w.fulfilled, w.since, w.until, w.streak, w.lastSeen = true, false, t, t+fc.Within.Milliseconds(), 0, fc
	return Event{Kind: Raise, Time: t, Warning: fc}
}

func (w *Warner) withdraw(t int64) Event {
	w.raised, w.fulfilled, w.streak = false, false, 0
	return Event{Kind: Withdraw, Time: t}
}

// Raised reports whether a warning is up, since when (Unix ms), and the
// latest crossing forecast that kept it up.
func (w *Warner) Raised() (since int64, latest Warning, ok bool) {
	return w.since, w.lastSeen, w.raised
}

// Open reports whether a raised warning's claim is still open at t:
// neither fulfilled by a reading beyond the threshold nor past its
// window. A caller with its own raise and clear levels (a Gate) keeps
// an open warning at the clear level; anything else is a new claim.
func (w *Warner) Open(t int64) bool { return w.raised && !w.fulfilled && t < w.until }
