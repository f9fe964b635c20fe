package alert

import (
	"time"

	"cityvitals/model"
)

// Muter decides whether notifications about an alert are held back.
// at is the event time of the change being notified (not the wall
// clock), so a replay mutes exactly what the live day muted. Package
// alert/silence (people's silences) and alert/inhibit (rules about other
// firing alerts) implement it. Implementations are safe for concurrent use.
type Muter interface {
	Mutes(a model.Alert, at time.Time) bool
}

// Muters mutes an alert when any of its members does.
type Muters []Muter

// Mutes reports whether some member mutes a at event time at.
func (ms Muters) Mutes(a model.Alert, at time.Time) bool {
	for _, m := range ms {
		if m.Mutes(a, at) {
			return true
		}
	}
	return false
}

// MuteReason says why notifications about an alert are held back: the
// silences that select it, or an inhibition rule and the firing alert
// that inhibits it. It answers a duty officer's "why was nobody told?".
type MuteReason struct {
	Silences    []int64 `json:"silences,omitempty"`     // IDs of the active silences
	InhibitRule string  `json:"inhibit_rule,omitempty"` // the rule's name
	InhibitedBy string  `json:"inhibited_by,omitempty"` // the source alert's fingerprint
}

// Explainer is a Muter that can say why it mutes.
type Explainer interface {
	Muter
	// Explain adds to r why the Explainer mutes a at at, if it does.
	Explain(a model.Alert, at time.Time, r *MuteReason)
}

// Explain returns why the members mute a at event time at, or nil when
// none does (members that cannot explain still count as muting, with an
// empty reason).
func (ms Muters) Explain(a model.Alert, at time.Time) *MuteReason {
	var r MuteReason
	muted := false
	for _, m := range ms {
		if !m.Mutes(a, at) {
			continue
		}
		muted = true
		if e, ok := m.(Explainer); ok {
			e.Explain(a, at, &r)
		}
	}
	if !muted {
		return nil
	}
	return &r
}
