package sla

import (
	"time"

	"cityvitals/model"
)

// Leg names one of a clock's two deadlines.
type Leg uint8

const (
	LegRespond Leg = iota + 1 // 响应: the department has taken the incident on
	LegDispose                // 处置: the problem is dealt with
)

var legNames = [...]string{LegRespond: "respond", LegDispose: "dispose"}

func (l Leg) String() string {
	if l == LegRespond || l == LegDispose {
		return legNames[l]
	}
	return "unknown"
}

// State is where a deadline stands at an instant.
type State uint8

const (
	StateNone    State = iota // the leg has no deadline
	StateOK                   // open, less than the near fraction used
	StateNear                 // open, the near fraction used
	StateOverdue              // open, past its deadline
	StateMet                  // finished by its deadline
	StateLate                 // finished after its deadline
)

var stateNames = [...]string{"none", "ok", "near", "overdue", "met", "late"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// MarshalText writes the state's name, for JSON.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Status is where both legs of a clock stand.
type Status struct {
	Respond State `json:"respond"`
	Dispose State `json:"dispose"`
}

// Remaining is the working time left on each leg: negative once working
// time past the deadline has elapsed; for a finished leg, what was left
// when it finished; 0 for a leg without a deadline.
type Remaining struct {
	Respond time.Duration
	Dispose time.Duration
}

// Deadline is one leg of a clock. Instants are UTC, whole milliseconds.
type Deadline struct {
	Within    time.Duration // working time allowed, extensions included; 0: no deadline
	NearAt    time.Time     // when the near fraction of Within is used
	By        time.Time     // the deadline
	SecondAt  time.Time     // when overdue by the second-level fraction of Within
	DoneAt    time.Time     // when the leg finished (at the pause if finished during one); zero while open
	Left      time.Duration // working time left at DoneAt (negative if it ran over)
	Escalated Step          // the highest step recorded with MarkEscalated
}

// open reports whether the leg has a deadline still running.
func (d *Deadline) open() bool { return d.Within > 0 && d.DoneAt.IsZero() }

// Clock is the SLA state an incident stores: started at dispatch, it
// holds absolute deadlines that move only when the clock is paused and
// resumed or extended. It is plain data; store it (JSON: Unix ms) and it
// survives restarts. Instants are UTC, whole milliseconds. The methods that
// count working time take the clock's Calendar (Policy.Calendar(c.Calendar))
// and refuse another; every method expects instants not earlier than the
// clock's last change. A Clock is not safe for concurrent mutation.
type Clock struct {
	Rule        string        // ID of the rule that set the limits
	Calendar    string        // name of the calendar working time is counted on
	Start       time.Time     // dispatch
	Respond     Deadline      // 响应
	Dispose     Deadline      // 处置
	Paused      time.Duration // working time spent in finished pauses
	PausedAt    time.Time     // when the running pause began; zero while running
	Near        float64       // the rule's near fraction
	SecondLevel float64       // the rule's second-level fraction
	Supervisor  string        // told when a deadline is near or passed
	Supervisor2 string        // told at the second level
}

// Start starts a clock at dispatch under rule r: deadlines r.Respond and
// r.Dispose of working time after at. The rule's fractions and departments
// are copied, so the clock keeps what was agreed when the policy changes.
// A rule without a calendar or dispose limit (not from a Policy) is EINVALID.
func Start(r Rule, at time.Time) (Clock, error) {
	if r.Calendar == nil || r.Dispose <= 0 {
		return Clock{}, model.Errorf(model.EINVALID, "SLA rule %q: has no calendar or dispose limit", r.ID)
	}
	at = msTime(at)
	c := Clock{Rule: r.ID, Calendar: r.Calendar.Name(), Start: at, Near: r.Near, SecondLevel: r.SecondLevel,
		Supervisor: r.Supervisor, Supervisor2: r.Supervisor2}
	if c.Supervisor2 == "" {
		c.Supervisor2 = c.Supervisor
	}
	c.Respond.Within, c.Dispose.Within = r.Respond, r.Dispose
	for _, leg := range []*Deadline{&c.Respond, &c.Dispose} {
		if leg.Within > 0 {
			c.place(r.Calendar, leg, at, 0)
		}
	}
	return c, nil
}

// thresholds returns the working time used at which a leg of d becomes
// near, overdue and second-level overdue.
func (c *Clock) thresholds(d time.Duration) [3]time.Duration {
	near := time.Duration(c.Near * float64(d)).Truncate(time.Millisecond)
	second := d + time.Duration(c.SecondLevel*float64(d)).Truncate(time.Millisecond)
	return [3]time.Duration{near, d, second}
}

// place sets the instants of leg from its thresholds, given the working
// time used at from. A threshold ahead is placed after from. One already
// reached lies in the past: without finished pauses it is placed exactly
// from the start; after a pause (whose span is not kept) it stays where it
// was, at or before its true instant.
func (c *Clock) place(cal *Calendar, leg *Deadline, from time.Time, used time.Duration) {
	at := [3]*time.Time{&leg.NearAt, &leg.By, &leg.SecondAt}
	for i, level := range c.thresholds(leg.Within) {
		switch {
		case level > used:
			*at[i] = msTime(cal.Add(from, level-used))
		case c.Paused == 0:
			*at[i] = msTime(cal.Add(c.Start, level))
		}
	}
}

func (c *Clock) leg(l Leg) (*Deadline, error) {
	switch l {
	case LegRespond:
		return &c.Respond, nil
	case LegDispose:
		return &c.Dispose, nil
	}
	return nil, model.Errorf(model.EINVALID, "SLA leg %d: want respond or dispose", l)
}

// IsPaused reports whether the clock stands still.
func (c *Clock) IsPaused() bool { return !c.PausedAt.IsZero() }

// effective is the instant the clock has reached at now: a paused clock
// stands at its pause.
func (c *Clock) effective(now time.Time) time.Time {
	if c.IsPaused() && now.After(c.PausedAt) {
		return c.PausedAt
	}
	return now
}

// used is the working time the clock has run at now (pauses excluded).
func (c *Clock) used(cal *Calendar, now time.Time) time.Duration {
	return cal.Working(c.Start, c.effective(now)) - c.Paused
}

// check refuses a calendar other than the clock's and an instant before
// the clock started.
func (c *Clock) check(cal *Calendar, at time.Time) error {
	if cal == nil || cal.Name() != c.Calendar {
		name := "<nil>"
		if cal != nil {
			name = cal.Name()
		}
		return model.Errorf(model.EINVALID, "SLA clock counts on calendar %q, not %q", c.Calendar, name)
	}
	if at.Before(c.Start) {
		return model.Errorf(model.EINVALID, "SLA clock: %s is before its start %s", at.UTC().Format(time.RFC3339), c.Start.Format(time.RFC3339))
	}
	return nil
}

// Pause stops the clock at at (suspension, 挂起): no working time counts
// until Resume. ECONFLICT if already paused or disposed; EINVALID before
// the start.
func (c *Clock) Pause(at time.Time) error {
	at = msTime(at)
	switch {
	case c.IsPaused():
		return model.Errorf(model.ECONFLICT, "SLA clock is paused already since %s", c.PausedAt.Format(time.RFC3339))
	case !c.Dispose.DoneAt.IsZero():
		return model.Errorf(model.ECONFLICT, "SLA clock finished at %s; nothing to pause", c.Dispose.DoneAt.Format(time.RFC3339))
	case at.Before(c.Start):
		return model.Errorf(model.EINVALID, "SLA clock: pause at %s is before its start %s", at.Format(time.RFC3339), c.Start.Format(time.RFC3339))
	}
	c.PausedAt = at
	return nil
}

// Resume restarts a paused clock at at: every deadline and escalation
// instant still ahead at the pause moves later by the working time the
// pause lasted. ECONFLICT if not paused; EINVALID for another calendar or
// an instant before the pause.
func (c *Clock) Resume(cal *Calendar, at time.Time) error {
	at = msTime(at)
	if !c.IsPaused() {
		return model.Errorf(model.ECONFLICT, "SLA clock is not paused")
	}
	if err := c.check(cal, at); err != nil {
		return err
	}
	if at.Before(c.PausedAt) {
		return model.Errorf(model.EINVALID, "SLA clock: resume at %s is before the pause at %s", at.Format(time.RFC3339), c.PausedAt.Format(time.RFC3339))
	}
	for _, leg := range []*Deadline{&c.Respond, &c.Dispose} {
		if leg.open() {
			c.shift(cal, leg, at)
		}
	}
	c.Paused += cal.Working(c.PausedAt, at)
	c.PausedAt = time.Time{}
	return nil
}

// shift moves the instants of leg still ahead at the pause to after at.
func (c *Clock) shift(cal *Calendar, leg *Deadline, at time.Time) {
	for _, t := range []*time.Time{&leg.NearAt, &leg.By, &leg.SecondAt} {
		if t.After(c.PausedAt) {
			*t = msTime(cal.Add(at, cal.Working(c.PausedAt, *t)))
		}
	}
}

// Extend grants d more working time to dispose (延期), at now: the
// deadline, and the near and second-level instants still ahead, move
// later; the leg's recorded escalation drops back to where it now stands,
// so that a deadline that passes again escalates again. EINVALID for d ≤ 0
// or over a year, another calendar, an instant before the start;
// ECONFLICT once disposed.
func (c *Clock) Extend(cal *Calendar, d time.Duration, now time.Time) error {
	now = msTime(now)
	if d <= 0 || d > maxLimit {
		return model.Errorf(model.EINVALID, "SLA extension %s: want a positive duration up to %s", d, maxLimit)
	}
	if err := c.check(cal, now); err != nil {
		return err
	}
	leg := &c.Dispose
	if !leg.open() {
		return model.Errorf(model.ECONFLICT, "SLA clock: dispose finished at %s; nothing to extend", leg.DoneAt.Format(time.RFC3339))
	}
	used := c.used(cal, now)
	leg.Within += d.Truncate(time.Millisecond)
	c.place(cal, leg, c.effective(now), used)
	leg.Escalated = min(leg.Escalated, leg.step(c.effective(now)))
	return nil
}

// Finish records that leg finished at at, with the working time that was
// left. A leg finished during a pause counts as finished when the pause
// began: the clock stood still. Finishing dispose finishes an open respond
// too (disposal implies a response) and ends a pause. ECONFLICT if the leg
// finished already.
func (c *Clock) Finish(cal *Calendar, l Leg, at time.Time) error {
	at = msTime(at)
	leg, err := c.leg(l)
	if err != nil {
		return err
	}
	if err := c.check(cal, at); err != nil {
		return err
	}
	if !leg.DoneAt.IsZero() {
		return model.Errorf(model.ECONFLICT, "SLA clock: %s finished already at %s", l, leg.DoneAt.Format(time.RFC3339))
	}
	eff, used := c.effective(at), c.used(cal, at)
	finish := func(d *Deadline) {
		d.DoneAt = eff
		if d.Within > 0 {
			d.Left = d.Within - used
		}
	}
	finish(leg)
	if l == LegDispose {
		if c.Respond.DoneAt.IsZero() {
			finish(&c.Respond)
		}
		if c.IsPaused() {
			c.Paused += cal.Working(c.PausedAt, at)
			c.PausedAt = time.Time{}
		}
	}
	return nil
}

// Status returns where both legs stand at now. It compares instants only.
func (c *Clock) Status(now time.Time) Status {
	eff := c.effective(now)
	return Status{Respond: c.Respond.state(eff), Dispose: c.Dispose.state(eff)}
}

func (d *Deadline) state(eff time.Time) State {
	switch {
	case d.Within == 0:
		return StateNone
	case !d.DoneAt.IsZero() && d.DoneAt.After(d.By):
		return StateLate
	case !d.DoneAt.IsZero():
		return StateMet
	case eff.After(d.By):
		return StateOverdue
	case !eff.Before(d.NearAt):
		return StateNear
	}
	return StateOK
}

// Remaining returns the working time left on each leg at now.
func (c *Clock) Remaining(cal *Calendar, now time.Time) (Remaining, error) {
	if err := c.check(cal, now); err != nil {
		return Remaining{}, err
	}
	used := c.used(cal, now)
	left := func(d *Deadline) time.Duration {
		switch {
		case d.Within == 0:
			return 0
		case !d.DoneAt.IsZero():
			return d.Left
		}
		return d.Within - used
	}
	return Remaining{Respond: left(&c.Respond), Dispose: left(&c.Dispose)}, nil
}

// msTime is t in UTC, truncated to whole milliseconds, as the clock keeps
// every instant so that its JSON form round-trips exactly.
func msTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}
