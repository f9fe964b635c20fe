package model

import "encoding/json"

// IncidentState is where an incident (案卷) stands in the seven steps of
// digital city management (GB/T 30428): information collection →
// registration → dispatch → disposal → feedback → verification and close
// → evaluation. Suspended, cancelled and merged are the ways out of the
// main line.
type IncidentState string

const (
	IncidentReported   IncidentState = "reported"   // 信息采集/上报: collected, not yet registered
	IncidentRegistered IncidentState = "registered" // 立案: accepted as a case, awaiting dispatch
	IncidentDispatched IncidentState = "dispatched" // 派遣: sent to a department; SLA clocks run
	IncidentDisposing  IncidentState = "disposing"  // 处置: the department has taken it on
	IncidentFedBack    IncidentState = "fed_back"   // 反馈: disposal reported, awaiting verification
	IncidentClosed     IncidentState = "closed"     // 核查结案: verified and closed
	IncidentEvaluated  IncidentState = "evaluated"  // 综合评价: scored
	IncidentSuspended  IncidentState = "suspended"  // 缓办: on hold with a supervisor's approval; clocks paused
	IncidentCancelled  IncidentState = "cancelled"  // 作废: void with a supervisor's approval
	IncidentMerged     IncidentState = "merged"     // folded into another incident
)

// IncidentStates lists every state in loop order.
var IncidentStates = []IncidentState{
	IncidentReported, IncidentRegistered, IncidentDispatched, IncidentDisposing, IncidentFedBack,
	IncidentClosed, IncidentEvaluated, IncidentSuspended, IncidentCancelled, IncidentMerged,
}

// Open reports whether work on the incident is still due.
func (s IncidentState) Open() bool {
	switch s {
	case IncidentClosed, IncidentEvaluated, IncidentCancelled, IncidentMerged:
		return false
	}
	return true
}

// IncidentSource says where an incident came from.
type IncidentSource string

const (
	SourceAlert      IncidentSource = "alert"      // auto-registered from an alert
	SourceReport     IncidentSource = "report"     // a citizen report
	SourceInspection IncidentSource = "inspection" // a field inspection
	SourceManual     IncidentSource = "manual"     // entered by an operator
	SourcePlan       IncidentSource = "plan"       // a task of an activated contingency plan
)

// IncidentSources lists every source.
var IncidentSources = []IncidentSource{SourceAlert, SourceReport, SourceInspection, SourceManual, SourcePlan}

// Escalation is how far an incident's clocks have pushed it to the
// supervising department (督办).
type Escalation int8

const (
	EscalationNone    Escalation = 0
	EscalationNear    Escalation = 1 // a deadline is near
	EscalationOverdue Escalation = 2 // a deadline has passed
	EscalationSevere  Escalation = 3 // long overdue: the next level up is told
)

// IncidentClock holds an incident's SLA deadlines as absolute times so
// they survive restarts (Unix ms; 0 = not set).
type IncidentClock struct {
	Start      int64   `json:"start,omitempty"`      // dispatch time
	RespondBy  int64   `json:"respond_by,omitempty"` // accept (签收) before this
	DisposeBy  int64   `json:"dispose_by,omitempty"` // feed back before this
	PausedAt   int64   `json:"paused_at,omitempty"`  // suspended since; 0 = running
	Calendar   string  `json:"calendar,omitempty"`   // working-time calendar of the rule
	Rule       string  `json:"rule,omitempty"`       // the SLA rule that set the clock
	Near       float64 `json:"near,omitempty"`       // share of allowed time after which a deadline is near
	Supervisor string  `json:"supervisor,omitempty"` // department escalations go to
	// SLA is the full clock state of the SLA package (legs, pauses,
	// extensions), opaque here; the fields above summarise it for
	// listings and the board.
	SLA json.RawMessage `json:"sla,omitempty"`
}

// IncidentRequest is a change that needs a supervisor's approval:
// return (回退), extension (延期), suspension (缓办) or cancellation (作废).
type IncidentRequest struct {
	Kind      string `json:"kind"`
	By        string `json:"by"`
	Dept      string `json:"dept,omitempty"`
	At        int64  `json:"at"`
	Reason    string `json:"reason"`
	ExtendMin int64  `json:"extend_minutes,omitempty"` // for an extension
}

// Incident is one case (案卷) driven through the loop.
type Incident struct {
	ID          int64          `json:"id"`
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Category    string         `json:"category"`
	Domain      string         `json:"domain,omitempty"`
	Level       int8           `json:"level"` // 1 blue … 4 red; 0 unrated
	Source      IncidentSource `json:"source"`
	State       IncidentState  `json:"state"`
	Unit        string         `json:"unit,omitempty"`
	Lon         float64        `json:"lon,omitempty"`
	Lat         float64        `json:"lat,omitempty"`
	HasPoint    bool           `json:"has_point,omitempty"`
	Assets      []string       `json:"assets,omitempty"`
	Alerts      []string       `json:"alerts,omitempty"`  // alert fingerprints
	Reports     []int64        `json:"reports,omitempty"` // citizen report ids
	Hazards     []int64        `json:"hazards,omitempty"` // open hazards of its assets when it was opened
	Parent      int64          `json:"parent,omitempty"`
	MergedInto  int64          `json:"merged_into,omitempty"`
	Plan        string         `json:"plan,omitempty"` // activation id of the contingency plan that made it

	Dept     string `json:"dept,omitempty"` // responsible department
	Team     int64  `json:"team,omitempty"` // field team, once planned
	Assignee string `json:"assignee,omitempty"`

	CreatedBy   string           `json:"created_by"`
	CreatedAt   int64            `json:"created_at"` // Unix ms
	UpdatedAt   int64            `json:"updated_at"`
	RespondedAt int64            `json:"responded_at,omitempty"`
	DisposedAt  int64            `json:"disposed_at,omitempty"` // feedback given
	DisposedBy  string           `json:"disposed_by,omitempty"`
	ClosedAt    int64            `json:"closed_at,omitempty"`
	Clock       IncidentClock    `json:"clock"`
	Escalation  Escalation       `json:"escalation"`
	Resumes     IncidentState    `json:"resumes,omitempty"` // state to return to after suspension
	Pending     *IncidentRequest `json:"pending,omitempty"`
	Reworks     int              `json:"reworks,omitempty"`    // verifications that sent it back (返工)
	Returns     int              `json:"returns,omitempty"`    // approved returns (回退): a dispatch that was wrong
	Extensions  int              `json:"extensions,omitempty"` // approved extensions (延期)
	Evaluation  *Evaluation      `json:"evaluation,omitempty"`
	Version     int64            `json:"version"` // bumped by every change; optimistic concurrency
}

// Evaluation is the 综合评价 of a closed incident.
type Evaluation struct {
	RespondedOnTime bool   `json:"responded_on_time"`
	DisposedOnTime  bool   `json:"disposed_on_time"`
	Reworked        bool   `json:"reworked"`
	Satisfaction    int    `json:"satisfaction,omitempty"` // 1–5, from the reporter or the evaluator
	Note            string `json:"note,omitempty"`
}

// IncidentEvent is one entry of an incident's history: who did what,
// when, from which state to which, with notes and attachments.
type IncidentEvent struct {
	ID          int64          `json:"id"`
	Incident    int64          `json:"incident"`
	At          int64          `json:"at"` // Unix ms
	Actor       string         `json:"actor"`
	Action      string         `json:"action"`
	From        IncidentState  `json:"from,omitempty"`
	To          IncidentState  `json:"to,omitempty"`
	Note        string         `json:"note,omitempty"`
	Attachments []string       `json:"attachments,omitempty"` // content hashes
	Data        map[string]any `json:"data,omitempty"`
}

// Attachment is a photo or document kept by content hash.
type Attachment struct {
	Hash     string `json:"hash"` // hex SHA-256 of the content
	Name     string `json:"name"`
	Type     string `json:"type"` // sniffed media type
	Size     int64  `json:"size"`
	Incident int64  `json:"incident"`
	By       string `json:"by"`
	At       int64  `json:"at"`
}
