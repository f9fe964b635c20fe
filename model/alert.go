package model

import "time"

// AlertState is where an alert is in its lifecycle.
type AlertState string

const (
	AlertPending  AlertState = "pending"  // the condition holds, not yet for long enough
	AlertFiring   AlertState = "firing"   // the condition has held for the rule's `for`
	AlertResolved AlertState = "resolved" // the condition cleared after firing
)

// Alert is one finding of a detector about one thing (its labels), with
// the evidence behind it. Its Fingerprint is derived from the labels, so
// the same condition on the same thing is always the same alert:
// repeated findings update it rather than piling up.
type Alert struct {
	Fingerprint string            `json:"fingerprint"`
	Rule        string            `json:"rule"`   // the detector that found it, e.g. "threshold"
	Labels      map[string]string `json:"labels"` // domain, unit, indicator, asset…
	Level       int8              `json:"level"`  // 1 blue … 4 red
	State       AlertState        `json:"state"`
	StartsAt    int64             `json:"starts_at"` // event time the condition began, Unix ms
	EndsAt      int64             `json:"ends_at,omitempty"`
	UpdatedAt   int64             `json:"updated_at"` // event time of the last change
	AckedBy     string            `json:"acked_by,omitempty"`
	AckedAt     time.Time         `json:"acked_at,omitzero"`
	Assignee    string            `json:"assignee,omitempty"`
	SummaryZH   string            `json:"summary_zh"`
	SummaryEN   string            `json:"summary_en"`
	Evidence    map[string]any    `json:"evidence"`
}
