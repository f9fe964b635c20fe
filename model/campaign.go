package model

// This file holds the nouns of hazard inspection and rectification
// campaigns (隐患排查整治): the campaign, its checklists, the inspection
// tasks generated from its scope, their results, and the hazard register
// (隐患台账) with the milestones of each rectification. Times are Unix
// milliseconds; 0 means "not yet".

// HazardSeverity grades a hazard: major (重大隐患) or general (一般隐患).
type HazardSeverity string

const (
	SeverityMajor   HazardSeverity = "major"   // 重大隐患
	SeverityGeneral HazardSeverity = "general" // 一般隐患
)

// Valid reports whether s is a known severity.
func (s HazardSeverity) Valid() bool { return s == SeverityMajor || s == SeverityGeneral }

// HazardState is where a hazard stands on its way to close-out (销项).
type HazardState string

const (
	HazardOpen       HazardState = "open"                  // 待整改: found, no rectification plan yet
	HazardRectifying HazardState = "rectifying"            // 整改中: owner, deadline and (for major hazards) measures set
	HazardAwaiting   HazardState = "awaiting_verification" // 待验收: rectification reported with evidence
	HazardClosed     HazardState = "closed"                // 已销项: verified by someone other than the rectifier
)

// HazardStates lists every state in lifecycle order.
var HazardStates = []HazardState{HazardOpen, HazardRectifying, HazardAwaiting, HazardClosed}

// Valid reports whether s is a known state.
func (s HazardState) Valid() bool {
	switch s {
	case HazardOpen, HazardRectifying, HazardAwaiting, HazardClosed:
		return true
	}
	return false
}

// ItemOutcome is what an inspector found for one checklist item.
type ItemOutcome string

const (
	OutcomeOK    ItemOutcome = "ok"    // 合格
	OutcomeFail  ItemOutcome = "fail"  // 不合格: a hazard to rectify
	OutcomeFixed ItemOutcome = "fixed" // 当场整改: failed and rectified on the spot; awaits verification
	OutcomeNA    ItemOutcome = "na"    // 不适用 (e.g. no cylinder in a piped-gas home)
)

// Valid reports whether o is a known outcome.
func (o ItemOutcome) Valid() bool {
	switch o {
	case OutcomeOK, OutcomeFail, OutcomeFixed, OutcomeNA:
		return true
	}
	return false
}

// Found reports whether the outcome records a hazard.
func (o ItemOutcome) Found() bool { return o == OutcomeFail || o == OutcomeFixed }

// ChecklistItem is one check of a checklist and what failing it means.
type ChecklistItem struct {
	ID       string         `json:"id"`
	Category string         `json:"category"` // problem class (gas source, cylinder, valve, hose, appliance, alarm, pipe, environment, management)
	TextZH   string         `json:"text_zh"`  // the requirement, as the inspector reads it
	TextEN   string         `json:"text_en"`
	Severity HazardSeverity `json:"severity"` // of the hazard recorded when the item fails
	Source   string         `json:"source"`   // where the requirement comes from, with a [V]/[P]/[R] confidence tag
}

// Checklist is the list of checks for one asset type.
type Checklist struct {
	ID        string          `json:"id"`
	AssetType AssetType       `json:"asset_type"`
	NameZH    string          `json:"name_zh"`
	NameEN    string          `json:"name_en"`
	Dept      string          `json:"dept,omitempty"` // department answerable for its hazards; "" = the asset's owner
	Source    string          `json:"source,omitempty"`
	Items     []ChecklistItem `json:"items"`
}

// Item returns the checklist's item with the id.
func (c Checklist) Item(id string) (ChecklistItem, bool) {
	for _, it := range c.Items {
		if it.ID == id {
			return it, true
		}
	}
	return ChecklistItem{}, false
}

// InspectorAssignment gives the inspection tasks of a unit and every unit
// below it to an inspector; the deepest assignment holding a task's unit wins.
type InspectorAssignment struct {
	Unit      string `json:"unit"`
	Inspector string `json:"inspector"`
}

// RectifyDays are the default rectification deadlines, in calendar days
// after discovery, by severity.
type RectifyDays struct {
	General int `json:"general"`
	Major   int `json:"major"`
}

// Campaign is one hazard inspection and rectification campaign (专项排查整治).
type Campaign struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Domain string `json:"domain"`          // gas, fire, building, …
	Basis  string `json:"basis,omitempty"` // the document ordering it, e.g. 安委〔2023〕3号
	// Units is the scope: these units and every unit below them.
	Units   []string `json:"units"`
	StartAt int64    `json:"start_at"` // first instant of the period
	EndAt   int64    `json:"end_at"`   // first instant after the period
	// Depts are the responsible departments, the leading one first.
	Depts       []string              `json:"depts"`
	Checklists  []Checklist           `json:"checklists"` // frozen copies, at most one per asset type
	Deadlines   RectifyDays           `json:"deadlines"`
	Assignments []InspectorAssignment `json:"assignments,omitempty"`

	CreatedBy   string `json:"created_by"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
	GeneratedAt int64  `json:"generated_at,omitempty"` // last task generation
	Version     int64  `json:"version"`
}

// Checklist returns the campaign's checklist with the id.
func (c Campaign) Checklist(id string) (Checklist, bool) {
	for _, cl := range c.Checklists {
		if cl.ID == id {
			return cl, true
		}
	}
	return Checklist{}, false
}

// Within reports whether the instant at (Unix ms) lies in the campaign period.
func (c Campaign) Within(at int64) bool { return at >= c.StartAt && at < c.EndAt }

// InspectionTask is the inspection of one asset in a campaign (one
// household, one kitchen, one station…), the unit of 一户一档.
type InspectionTask struct {
	ID          int64     `json:"id"`
	Campaign    int64     `json:"campaign"`
	Asset       string    `json:"asset"`
	AssetType   AssetType `json:"asset_type"`
	Unit        string    `json:"unit"`
	District    string    `json:"district"` // the district holding Unit, "" if none; reports group by it
	Dept        string    `json:"dept"`     // department answerable for what is found
	Checklist   string    `json:"checklist"`
	Inspector   string    `json:"inspector,omitempty"` // "" = not assigned yet
	InspectedAt int64     `json:"inspected_at,omitempty"`
	InspectedBy string    `json:"inspected_by,omitempty"`
	Hazards     int       `json:"hazards"` // hazards recorded by its inspection
}

// Done reports whether the task has been inspected.
func (t InspectionTask) Done() bool { return t.InspectedAt > 0 }

// ItemResult is the outcome of one checklist item.
type ItemResult struct {
	Item    string      `json:"item"`
	Outcome ItemOutcome `json:"outcome"`
	Note    string      `json:"note,omitempty"`
	Photos  []string    `json:"photos,omitempty"` // attachment content hashes
}

// InspectionResult is what an inspector recorded for one task.
type InspectionResult struct {
	Task        int64        `json:"task"`
	Campaign    int64        `json:"campaign"`
	Inspector   string       `json:"inspector"`
	At          int64        `json:"at"` // when the inspection took place
	Lon         float64      `json:"lon,omitempty"`
	Lat         float64      `json:"lat,omitempty"`
	HasPoint    bool         `json:"has_point,omitempty"`
	Items       []ItemResult `json:"items"`
	Photos      []string     `json:"photos,omitempty"`
	Note        string       `json:"note,omitempty"`
	SubmittedBy string       `json:"submitted_by"`
	SubmittedAt int64        `json:"submitted_at"`
}

// Milestone is one step of a rectification timetable (整改时间表).
type Milestone struct {
	Seq       int      `json:"seq"` // 1, 2, 3… in due order
	Title     string   `json:"title"`
	Due       int64    `json:"due"`
	DoneAt    int64    `json:"done_at,omitempty"`
	DoneBy    string   `json:"done_by,omitempty"`
	Evidence  []string `json:"evidence,omitempty"`
	Note      string   `json:"note,omitempty"`
	OverdueAt int64    `json:"overdue_at,omitempty"` // when its escalation (督办) was raised
}

// Hazard is one record of the hazard register (隐患台账).
type Hazard struct {
	ID        int64     `json:"id"`
	Campaign  int64     `json:"campaign"`
	Task      int64     `json:"task,omitempty"` // 0 for a hazard registered outside an inspection
	Item      string    `json:"item,omitempty"` // the failed checklist item
	Asset     string    `json:"asset"`
	AssetType AssetType `json:"asset_type"`
	Unit      string    `json:"unit"`
	District  string    `json:"district"`

	Category    string         `json:"category"`
	Severity    HazardSeverity `json:"severity"`
	Description string         `json:"description"`
	FoundAt     int64          `json:"found_at"`
	FoundBy     string         `json:"found_by"`
	Photos      []string       `json:"photos,omitempty"`
	Lon         float64        `json:"lon,omitempty"`
	Lat         float64        `json:"lat,omitempty"`
	HasPoint    bool           `json:"has_point,omitempty"`

	Dept       string      `json:"dept"`            // responsible department
	Owner      string      `json:"owner,omitempty"` // responsible person (责任人)
	Deadline   int64       `json:"deadline"`
	State      HazardState `json:"state"`
	OnSite     bool        `json:"on_site,omitempty"`  // rectified on the spot (立查立改)
	Measures   string      `json:"measures,omitempty"` // interim control measures (临时管控措施)
	Milestones []Milestone `json:"milestones,omitempty"`

	RectifiedBy    string   `json:"rectified_by,omitempty"`
	RectifiedAt    int64    `json:"rectified_at,omitempty"`
	Evidence       []string `json:"evidence,omitempty"` // of the rectification
	RectifyNote    string   `json:"rectify_note,omitempty"`
	VerifiedBy     string   `json:"verified_by,omitempty"`
	VerifiedAt     int64    `json:"verified_at,omitempty"`
	VerifyEvidence []string `json:"verify_evidence,omitempty"`
	VerifyNote     string   `json:"verify_note,omitempty"`
	ClosedAt       int64    `json:"closed_at,omitempty"`

	Reworks   int   `json:"reworks,omitempty"`    // verifications that sent it back (返工)
	Reopens   int   `json:"reopens,omitempty"`    // close-outs undone
	OverdueAt int64 `json:"overdue_at,omitempty"` // when the deadline's escalation (督办) was raised

	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
	Version   int64 `json:"version"` // bumped by every change; optimistic concurrency
}

// HazardEvent is one entry of a hazard's file: who did what, when, from
// which state to which, with notes and evidence.
type HazardEvent struct {
	ID       int64          `json:"id"`
	Hazard   int64          `json:"hazard"`
	At       int64          `json:"at"`
	Actor    string         `json:"actor"`
	Action   string         `json:"action"`
	From     HazardState    `json:"from,omitempty"`
	To       HazardState    `json:"to,omitempty"`
	Note     string         `json:"note,omitempty"`
	Evidence []string       `json:"evidence,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
}

// HazardOverdue is a deadline of a hazard that has just been found
// passed: the rectification deadline (Milestone 0) or a milestone's due time.
type HazardOverdue struct {
	Hazard    Hazard `json:"hazard"`
	Milestone int    `json:"milestone,omitempty"` // seq; 0 = the rectification deadline
	Due       int64  `json:"due"`
	At        int64  `json:"at"` // when the scan found it
}

// CampaignReportRow is one line of a campaign report: a district or a
// department, or the total. See docs/campaigns.md for the definitions.
type CampaignReportRow struct {
	Key               string   `json:"key"` // district code or department id; "" = unassigned
	Name              string   `json:"name"`
	Tasks             int64    `json:"tasks"`                           // 应排查数
	Inspected         int64    `json:"inspected"`                       // 已排查数 (in the period)
	InspectionRate    *float64 `json:"inspection_rate"`                 // 排查率; nil without tasks
	Found             int64    `json:"found"`                           // 发现隐患数
	Major             int64    `json:"major"`                           // 其中重大隐患
	Rectified         int64    `json:"rectified"`                       // 已整改销项数
	RectificationRate *float64 `json:"rectification_rate"`              // 整改率; nil without hazards
	Overdue           int64    `json:"overdue"`                         // 超期未整改数
	MajorOpenLong     int64    `json:"major_open_long"`                 // 重大隐患超 N 天未销项数
	OnSite            int64    `json:"on_site"`                         // 其中立查立改
	RectifiedMajor    int64    `json:"rectified_major,omitempty"`       // 重大隐患已销项数
	RectifiedLate     int64    `json:"rectified_late,omitempty"`        // 逾期整改数: rectified after the deadline
	Reopened          int64    `json:"reopened,omitempty"`              // 销项后重新打开数
	AwaitingVerify    int64    `json:"awaiting_verification,omitempty"` // 待验收数
}

// CampaignReport is a campaign's figures over a period, by district or
// by department, with the total.
type CampaignReport struct {
	Campaign      int64               `json:"campaign"`
	Name          string              `json:"name"`
	By            string              `json:"by"` // "district" or "dept"
	From          int64               `json:"from"`
	To            int64               `json:"to"`
	AsOf          int64               `json:"as_of"` // the instant states are counted at: min(To − 1 ms, generation time)
	MajorOpenDays int                 `json:"major_open_days"`
	Rows          []CampaignReportRow `json:"rows"`
	Total         CampaignReportRow   `json:"total"`
	GeneratedAt   int64               `json:"generated_at"`
}
