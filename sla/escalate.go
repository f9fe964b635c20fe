package sla

import (
	"fmt"
	"time"

	"cityvitals/model"
)

// Step is how far a deadline has gone: the escalation ladder.
type Step uint8

const (
	StepNone    Step = iota // nothing to tell
	StepNear                // the near fraction of the time is used: a reminder (预警)
	StepOverdue             // the deadline passed: 督办 by the supervisor
	StepSecond              // overdue by the second-level fraction: 督办 by the higher supervisor
)

var stepNames = [...]string{"none", "near", "overdue", "second_level"}

func (s Step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return "unknown"
}

// MarshalText writes the step's name, for JSON.
func (s Step) MarshalText() ([]byte, error) {
	if int(s) >= len(stepNames) {
		return nil, model.Errorf(model.EINVALID, "SLA step %d is unknown", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a step's name.
func (s *Step) UnmarshalText(b []byte) error {
	for i, n := range stepNames {
		if n == string(b) {
			*s = Step(i)
			return nil
		}
	}
	return model.Errorf(model.EINVALID, "SLA step %q: want none, near, overdue or second_level", b)
}

// Escalation is one step a deadline reached, to be told to Dept.
type Escalation struct {
	Leg  Leg
	Step Step
	At   time.Time // when the step was reached
	By   time.Time // the deadline concerned
	Dept string    // the supervising department to tell
}

// Key identifies the escalation within its incident, for the outbox's
// idempotency key (prefix it with the incident id): a repeat after a crash
// has the same key, while the same step after an extension moved the
// deadline has a new one.
func (e Escalation) Key() string {
	return fmt.Sprintf("sla:%s:%s:%d", e.Leg, e.Step, e.By.UnixMilli())
}

// Step returns the step leg has reached at now; StepNone for a finished
// leg or one without a deadline.
func (c *Clock) Step(l Leg, now time.Time) Step {
	leg, err := c.leg(l)
	if err != nil {
		return StepNone
	}
	return leg.step(c.effective(now))
}

func (d *Deadline) step(eff time.Time) Step {
	switch {
	case !d.open():
		return StepNone
	case eff.After(d.SecondAt):
		return StepSecond
	case eff.After(d.By):
		return StepOverdue
	case !eff.Before(d.NearAt):
		return StepNear
	}
	return StepNone
}

// Due returns the escalations the clock has reached at now and not yet
// recorded, respond before dispose, lower steps first. A near reminder
// overtaken by the deadline passing is left out; an overdue step overtaken
// by the second level is not (it goes to another department). Due only
// compares instants and does not change the clock.
//
// The scanner emits each escalation (into the outbox, keyed by incident id
// and Key), then records it with MarkEscalated and stores the clock; a
// crash in between emits it again with the same key, which the outbox
// drops. So each step is told once.
func (c *Clock) Due(now time.Time) []Escalation {
	eff := c.effective(now)
	var out []Escalation
	for _, l := range []Leg{LegRespond, LegDispose} {
		leg, _ := c.leg(l)
		reached := leg.step(eff)
		for s := leg.Escalated + 1; s <= reached; s++ {
			if s == StepNear && reached >= StepOverdue {
				continue
			}
			out = append(out, c.escalation(l, leg, s))
		}
	}
	return out
}

func (c *Clock) escalation(l Leg, leg *Deadline, s Step) Escalation {
	e := Escalation{Leg: l, Step: s, By: leg.By, Dept: c.Supervisor}
	switch s {
	case StepNear:
		e.At = leg.NearAt
	case StepOverdue:
		e.At = leg.By
	case StepSecond:
		e.At, e.Dept = leg.SecondAt, c.Supervisor2
	}
	return e
}

// MarkEscalated records that e was emitted, so Due no longer returns it or
// any lower step of its leg.
func (c *Clock) MarkEscalated(e Escalation) {
	if leg, err := c.leg(e.Leg); err == nil {
		leg.Escalated = max(leg.Escalated, e.Step)
	}
}
