package store

import (
	"context"

	"cityvitals/model"
)

// TaskPlace is what task generation needs to know about one unit of a
// campaign's scope.
type TaskPlace struct {
	District  string // the district holding the unit, "" if none
	Inspector string // who inspects its assets, "" = not assigned yet
}

// TaskChecklist is the checklist a campaign uses for one asset type.
type TaskChecklist struct {
	ID   string
	Dept string // department answerable for its hazards; "" = the asset's owner
}

// TaskScope says which assets get an inspection task: those of a type in
// Types placed in a unit of Places.
type TaskScope struct {
	Places map[string]TaskPlace              // unit code → place
	Types  map[model.AssetType]TaskChecklist // asset type → checklist
}

// TaskFilter narrows a task listing; empty fields match all.
type TaskFilter struct {
	Campaign  int64 // required
	Units     []string
	District  string
	Inspector string
	Pending   bool // only tasks not inspected yet
	Done      bool // only inspected tasks
}

// Inspection is one inspection to apply: the result of a pending task and
// the hazards it found (their IDs, Versions and Task are assigned).
type Inspection struct {
	Result  model.InspectionResult
	Hazards []model.Hazard
	Event   model.HazardEvent // the "found" event written for each hazard, To set to its state
}

// HazardFilter narrows a hazard listing; empty fields match all.
type HazardFilter struct {
	Campaign int64
	States   []model.HazardState
	Severity model.HazardSeverity
	District string
	Dept     string
	Unit     string
	Asset    string
	Task     int64
	Overdue  bool // only hazards whose rectification deadline escalation was raised and that are still open
}

// StatsQuery asks for a campaign's figures over [From, To), counted as
// they stood at the instant AsOf (inclusive), grouped by "district" or
// "dept". Tasks count as inspected if inspected in [From, To); hazards
// count if found in [From, To).
type StatsQuery struct {
	Campaign   int64
	By         string
	From, To   int64
	AsOf       int64
	MajorSince int64 // major hazards found at or before this instant and still open at AsOf count as open long
}

// Campaigns stores hazard inspection campaigns, their tasks and results,
// and the hazard register. All methods are safe for concurrent use.
// Every change of a hazard is written together with the event that
// explains it, in one transaction.
type Campaigns interface {
	// CreateCampaign assigns the ID and Version 1.
	CreateCampaign(ctx context.Context, c model.Campaign) (model.Campaign, error)
	// UpdateCampaign replaces the campaign if its stored Version equals
	// c.Version (else ECONFLICT) and bumps the version.
	UpdateCampaign(ctx context.Context, c model.Campaign) (model.Campaign, error)
	// Campaign returns ENOTFOUND for an unknown id.
	Campaign(ctx context.Context, id int64) (model.Campaign, error)
	// ListCampaigns returns every campaign, newest first.
	ListCampaigns(ctx context.Context) ([]model.Campaign, error)

	// GenerateTasks creates, in one transaction, a pending task for every
	// stored asset in scope that has no task in the campaign yet, and
	// returns how many it created. ENOTFOUND for an unknown campaign.
	GenerateTasks(ctx context.Context, campaign int64, scope TaskScope) (int, error)
	// AssignTasks gives the pending tasks of the campaign in the units to
	// inspector and returns how many changed.
	AssignTasks(ctx context.Context, campaign int64, units []string, inspector string) (int, error)
	// Task returns ENOTFOUND for an unknown id.
	Task(ctx context.Context, id int64) (model.InspectionTask, error)
	// TaskOfAsset returns the campaign's task for the asset, or ENOTFOUND.
	TaskOfAsset(ctx context.Context, campaign int64, asset string) (model.InspectionTask, error)
	// Tasks lists in ID order, a page at a time.
	Tasks(ctx context.Context, f TaskFilter, p Page) ([]model.InspectionTask, string, error)

	// ApplyInspections applies each inspection all or nothing: the result
	// is stored, its task marked inspected and its hazards created with
	// their first event. The i-th error says why inspection i was not
	// applied (ECONFLICT if the task is not pending any more, ENOTFOUND
	// if it does not exist); nil means applied, with the hazards' IDs
	// written back into ins. The returned error is for failures of the
	// whole call, when nothing was applied.
	ApplyInspections(ctx context.Context, ins []Inspection) ([]error, error)
	// InspectionResult returns ENOTFOUND unless the task has a result.
	InspectionResult(ctx context.Context, task int64) (model.InspectionResult, error)

	// CreateHazard assigns the ID and Version 1 and stores the hazard
	// with its first event.
	CreateHazard(ctx context.Context, h model.Hazard, ev model.HazardEvent) (model.Hazard, error)
	// UpdateHazard replaces the hazard if its stored Version equals
	// h.Version (else ECONFLICT), bumps the version and appends ev.
	UpdateHazard(ctx context.Context, h model.Hazard, ev model.HazardEvent) (model.Hazard, error)
	// Hazard returns ENOTFOUND for an unknown id.
	Hazard(ctx context.Context, id int64) (model.Hazard, error)
	// Hazards lists the newest first, a page at a time.
	Hazards(ctx context.Context, f HazardFilter, p Page) ([]model.Hazard, string, error)
	// HazardEvents returns a hazard's file, oldest first.
	HazardEvents(ctx context.Context, id int64) ([]model.HazardEvent, error)

	// MarkOverdue finds, in one transaction, every open or rectifying
	// hazard whose deadline and every pending milestone whose due time
	// is before now and not yet marked, marks it (so no later call
	// returns it again), bumps the hazard's version and appends an
	// "overdue" event.
	MarkOverdue(ctx context.Context, now int64) ([]model.HazardOverdue, error)
	// OpenMajorByUnit counts the major hazards not closed, by unit.
	OpenMajorByUnit(ctx context.Context) (map[string]int, error)
	// OpenHazardsOfAsset returns the asset's hazards not closed, oldest first.
	OpenHazardsOfAsset(ctx context.Context, asset string) ([]model.Hazard, error)
	// CampaignStats returns one row per district or department that has
	// tasks or hazards in the campaign, in key order; rates and names
	// are left to the caller.
	CampaignStats(ctx context.Context, q StatsQuery) ([]model.CampaignReportRow, error)
}
