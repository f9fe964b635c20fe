package sla

import (
	"encoding/json"
	"time"

	"cityvitals/model"
)

// clockJSON is the stored form of a Clock: instants in Unix milliseconds
// (0 for none), durations in milliseconds.
type clockJSON struct {
	Rule        string       `json:"rule"`
	Calendar    string       `json:"calendar"`
	Start       int64        `json:"start"`
	Respond     deadlineJSON `json:"respond"`
	Dispose     deadlineJSON `json:"dispose"`
	PausedMs    int64        `json:"paused_ms"`
	PausedAt    int64        `json:"paused_at,omitempty"`
	Near        float64      `json:"near"`
	SecondLevel float64      `json:"second_level"`
	Supervisor  string       `json:"supervisor"`
	Supervisor2 string       `json:"supervisor2"`
}

type deadlineJSON struct {
	WithinMs  int64 `json:"within_ms"`
	NearAt    int64 `json:"near_at,omitempty"`
	By        int64 `json:"by,omitempty"`
	SecondAt  int64 `json:"second_at,omitempty"`
	DoneAt    int64 `json:"done_at,omitempty"`
	LeftMs    int64 `json:"left_ms,omitempty"`
	Escalated Step  `json:"escalated"`
}

// MarshalJSON writes the clock with Unix-millisecond instants.
func (c Clock) MarshalJSON() ([]byte, error) {
	return json.Marshal(clockJSON{
		Rule: c.Rule, Calendar: c.Calendar, Start: unixMs(c.Start),
		Respond: c.Respond.wire(), Dispose: c.Dispose.wire(),
		PausedMs: c.Paused.Milliseconds(), PausedAt: unixMs(c.PausedAt),
		Near: c.Near, SecondLevel: c.SecondLevel, Supervisor: c.Supervisor, Supervisor2: c.Supervisor2,
	})
}

// UnmarshalJSON reads what MarshalJSON wrote; a clock that cannot be right
// (no start or calendar, negative durations, fractions out of range) is
// EINVALID.
func (c *Clock) UnmarshalJSON(b []byte) error {
	var w clockJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return model.Errorf(model.EINVALID, "SLA clock: %v", err)
	}
	switch {
	case w.Start <= 0 || w.Calendar == "":
		return model.Errorf(model.EINVALID, "SLA clock: start and calendar are required")
	case w.PausedMs < 0 || w.Respond.WithinMs < 0 || w.Dispose.WithinMs <= 0:
		return model.Errorf(model.EINVALID, "SLA clock: paused_ms and within_ms must not be negative, dispose within_ms must be positive")
	case w.Dispose.By == 0 || (w.Respond.WithinMs > 0 && w.Respond.By == 0):
		return model.Errorf(model.EINVALID, "SLA clock: a leg with within_ms needs its by")
	case w.Near <= 0 || w.Near >= 1 || w.SecondLevel <= 0:
		return model.Errorf(model.EINVALID, "SLA clock: near %g must be in (0, 1) and second_level %g positive", w.Near, w.SecondLevel)
	}
	*c = Clock{
		Rule: w.Rule, Calendar: w.Calendar, Start: fromMs(w.Start),
		Respond: w.Respond.deadline(), Dispose: w.Dispose.deadline(),
		Paused: time.Duration(w.PausedMs) * time.Millisecond, PausedAt: fromMs(w.PausedAt),
		Near: w.Near, SecondLevel: w.SecondLevel, Supervisor: w.Supervisor, Supervisor2: w.Supervisor2,
	}
	return nil
}

func (d Deadline) wire() deadlineJSON {
	return deadlineJSON{WithinMs: d.Within.Milliseconds(), NearAt: unixMs(d.NearAt), By: unixMs(d.By),
		SecondAt: unixMs(d.SecondAt), DoneAt: unixMs(d.DoneAt), LeftMs: d.Left.Milliseconds(), Escalated: d.Escalated}
}

func (w deadlineJSON) deadline() Deadline {
	return Deadline{Within: time.Duration(w.WithinMs) * time.Millisecond, NearAt: fromMs(w.NearAt), By: fromMs(w.By),
		SecondAt: fromMs(w.SecondAt), DoneAt: fromMs(w.DoneAt), Left: time.Duration(w.LeftMs) * time.Millisecond, Escalated: w.Escalated}
}

func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMs(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
