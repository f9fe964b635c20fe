package model

import (
	"encoding/json"
	"fmt"
	"time"
)

// Plan is a contingency plan (应急预案) for one event type at one warning
// level: which department does what, by when, once it is activated. Plans
// are data: every change is stored as a new Version and older versions stay
// readable, so an activation always names the exact text it followed.
type Plan struct {
	ID        string        `json:"id"` // e.g. "rainstorm-orange"
	Version   int           `json:"version"`
	EventType string        `json:"event_type"` // e.g. "rainstorm", "gas_leak"
	Level     int8          `json:"level"`      // 1 blue … 4 red
	NameZH    string        `json:"name_zh"`
	NameEN    string        `json:"name_en"`
	Sources   []string      `json:"sources,omitempty"`  // what the plan is modelled on, with a confidence mark
	Triggers  []PlanTrigger `json:"triggers,omitempty"` // alerts that activate it; none = by hand only
	Tasks     []PlanTask    `json:"tasks"`
	UpdatedBy string        `json:"updated_by"`
	UpdatedAt int64         `json:"updated_at"`        // Unix ms
	Retired   bool          `json:"retired,omitempty"` // kept for history, no longer activated
}

// PlanTrigger matches alerts that activate a plan. Every field that is set
// must match; at least one of Domain, Indicator and Rule is set, so that no
// trigger matches every alert.
type PlanTrigger struct {
	Domain    string    `json:"domain,omitempty"`     // the alert's "domain" label
	Indicator string    `json:"indicator,omitempty"`  // the alert's "indicator" label, exactly
	Rule      string    `json:"rule,omitempty"`       // the detector, e.g. "threshold"
	MinLevel  int8      `json:"min_level"`            // the alert's level is at least this (1 blue … 4 red)
	UnitLevel UnitLevel `json:"unit_level,omitempty"` // the alert's unit is at this level of the tree
}

// PlanTask is one department's task in a plan. Deadline counts from the
// activation.
type PlanTask struct {
	ID       string        `json:"id"`
	Dept     string        `json:"dept"`
	TitleZH  string        `json:"title_zh"`
	TitleEN  string        `json:"title_en"`
	Category string        `json:"category"` // incident category, e.g. "waterlogging"
	Deadline time.Duration `json:"-"`        // on the wire: "deadline", a Go duration such as "1h30m"
	Level    int8          `json:"level"`    // of the incident it opens, 1 blue … 4 red
}

type planTaskJSON struct {
	planTaskFields
	Deadline string `json:"deadline"`
}

// planTaskFields has PlanTask's fields without its methods, so the JSON
// methods can embed it without recursing.
type planTaskFields PlanTask

// MarshalJSON writes Deadline as a duration string: "30m0s" reads better
// than 1800000000000 in an API answer and in the audit log.
func (t PlanTask) MarshalJSON() ([]byte, error) {
	return json.Marshal(planTaskJSON{planTaskFields(t), t.Deadline.String()})
}

// UnmarshalJSON reads Deadline as a duration string; EINVALID names the
// task and the bad value.
func (t *PlanTask) UnmarshalJSON(data []byte) error {
	var in planTaskJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*t = PlanTask(in.planTaskFields)
	if in.Deadline == "" {
		return nil
	}
	d, err := time.ParseDuration(in.Deadline)
	if err != nil {
		return Errorf(EINVALID, "task %q: deadline %q is not a duration such as 30m or 2h", t.ID, in.Deadline)
	}
	t.Deadline = d
	return nil
}

// Activation is one use of a plan in one unit: the version it followed,
// who started it and why, and the task it gave each department with the
// incident that carries it.
type Activation struct {
	ID               int64            `json:"id"`
	PlanID           string           `json:"plan_id"`
	Version          int              `json:"version"` // of the plan
	Level            int8             `json:"level"`
	Unit             string           `json:"unit"` // code of the unit the plan applies to
	Reason           string           `json:"reason"`
	ActivatedBy      string           `json:"activated_by"`
	AlertFingerprint string           `json:"alert_fingerprint,omitempty"` // the alert that activated it, if any
	At               int64            `json:"at"`                          // Unix ms
	Tasks            []ActivationTask `json:"tasks"`
	EndedAt          int64            `json:"ended_at,omitempty"` // Unix ms; 0 while active
	EndedBy          string           `json:"ended_by,omitempty"`
}

// Active reports whether the activation has not been ended.
func (a Activation) Active() bool { return a.EndedAt == 0 }

// Target names the activation in the audit log.
func (a Activation) Target() string { return fmt.Sprintf("plan_activation:%d", a.ID) }

// ActivationTask is a plan task as activated: its absolute deadline and
// the incident opened for it. IncidentID is 0 while no incident exists;
// Error then says why the last attempt failed ("" = not attempted yet).
type ActivationTask struct {
	TaskID     string `json:"task_id"`
	Dept       string `json:"dept"`
	Title      string `json:"title"`
	Category   string `json:"category"`
	Level      int8   `json:"level"`
	DeadlineAt int64  `json:"deadline_at"` // Unix ms
	IncidentID int64  `json:"incident_id,omitempty"`
	Error      string `json:"error,omitempty"`
}
