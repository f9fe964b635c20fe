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
