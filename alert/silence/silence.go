package silence

import (
	"context"
	"time"
)

// Silence mutes the alerts its matchers select while it is active, from
// StartsAt until EndsAt. Its times are wall-clock times chosen by a
// person; they are compared with the event time of the alert change being
// notified (see Silencer.Mutes).
type Silence struct {
	ID        int64     `json:"id"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	ExpiredBy string    `json:"expired_by,omitempty"` // who ended it early; "" if it ran its course
}

// State is where a silence is at some time.
type State string

// The states of a silence.
const (
	StatePending State = "pending" // not started yet
	StateActive  State = "active"  // muting
	StateExpired State = "expired" // over, by its end or because someone expired it
)

// State returns the silence's state at time at: pending before StartsAt,
// active in [StartsAt, EndsAt), expired from EndsAt on.
func (s Silence) State(at time.Time) State {
	switch {
	case at.Before(s.StartsAt):
		return StatePending
	case at.Before(s.EndsAt):
		return StateActive
	}
	return StateExpired
}

// Store keeps silences. Implementations are safe for concurrent use and
// store times to the millisecond.
type Store interface {
	// PutSilence stores s: a new silence when s.ID is 0 (the store
	// assigns the ID), otherwise a replacement of silence s.ID. It returns
	// the silence as stored. ENOTFOUND if s.ID does not exist, ECONFLICT if
	// it has been expired by someone (an expired silence never changes).
	PutSilence(ctx context.Context, s Silence) (Silence, error)
	// Silence returns ENOTFOUND if no silence has the id.
	Silence(ctx context.Context, id int64) (Silence, error)
	// Silences lists silences in ID order; without includeExpired only
	// those whose end is still ahead on the store's clock.
	Silences(ctx context.Context, includeExpired bool) ([]Silence, error)
	// ExpireSilence ends silence id at time at, recording by as the
	// person who ended it; a pending silence ends before it starts.
	// ENOTFOUND if there is no such silence, ECONFLICT if it has already
	// ended by at.
	ExpireSilence(ctx context.Context, id int64, by string, at time.Time) error
}
