package auth

import (
	"slices"

	"cityvitals/model"
)

// Permission names one thing a principal may do, as "<noun>.<verb>".
type Permission string

const (
	IngestWrite     Permission = "ingest.write"     // send observations
	ObservationRead Permission = "observation.read" // read history and live values
	DatastreamRead  Permission = "datastream.read"  // list and read datastreams
	DatastreamWrite Permission = "datastream.write" // create and re-home datastreams
	UnitRead        Permission = "unit.read"        // read the spatial-unit tree
	UnitWrite       Permission = "unit.write"       // import or change units
	AssetRead       Permission = "asset.read"       // read assets
	AssetWrite      Permission = "asset.write"      // import or change assets
	UserAdmin       Permission = "user.admin"       // create, change and disable users
	TokenAdmin      Permission = "token.admin"      // issue and revoke API and device tokens
	AuditRead       Permission = "audit.read"       // read and verify the audit log
	MetricsRead     Permission = "metrics.read"     // scrape the platform's own metrics
	VitalsRead      Permission = "vitals.read"      // read vital signs, level changes and the indicator catalog
	IndicatorWrite  Permission = "indicator.write"  // create and change indicators of the catalog
	AlertRead       Permission = "alert.read"       // see alerts and follow them live
	AlertAck        Permission = "alert.ack"        // acknowledge and assign alerts

	IncidentRead     Permission = "incident.read"     // see incidents, their history, SLA clocks and plans
	IncidentReport   Permission = "incident.report"   // enter an incident (manual entry, field inspection)
	IncidentDispatch Permission = "incident.dispatch" // register, route, dispatch, plan field teams, activate plans
	IncidentDispose  Permission = "incident.dispose"  // accept and feed back the disposal of a dispatched incident
	IncidentVerify   Permission = "incident.verify"   // verify and close (核查结案), evaluate
	IncidentApprove  Permission = "incident.approve"  // approve returns, extensions, suspensions, cancellations
	TeamWrite        Permission = "team.write"        // create and change field teams
	PlanWrite        Permission = "plan.write"        // create and change contingency plans
	ReportSubmit     Permission = "report.submit"     // submit citizen reports (Open311 POST)
	ReportRead       Permission = "report.read"       // read citizen reports (masked)
	PersonalRead     Permission = "personal.read"     // see reporters' personal data unmasked

	CampaignRead     Permission = "campaign.read"     // see inspection campaigns, tasks, hazards and their reports
	CampaignWrite    Permission = "campaign.write"    // create campaigns, generate and assign inspection tasks
	InspectionSubmit Permission = "inspection.submit" // record inspection results and the hazards they find
	HazardRectify    Permission = "hazard.rectify"    // record rectification, control measures and milestones
	HazardVerify     Permission = "hazard.verify"     // verify a close-out (销项) or reopen a hazard

	ScenarioRun Permission = "scenario.run" // play a simulator scenario (演练) in the demo city
)

// Permissions lists every permission.
func Permissions() []Permission {
	return []Permission{
		IngestWrite, ObservationRead, DatastreamRead, DatastreamWrite, UnitRead, UnitWrite,
		AssetRead, AssetWrite, UserAdmin, TokenAdmin, AuditRead, MetricsRead,
		VitalsRead, IndicatorWrite, AlertRead, AlertAck,
		IncidentRead, IncidentReport, IncidentDispatch, IncidentDispose, IncidentVerify, IncidentApprove,
		TeamWrite, PlanWrite, ReportSubmit, ReportRead, PersonalRead,
		CampaignRead, CampaignWrite, InspectionSubmit, HazardRectify, HazardVerify,
		ScenarioRun,
	}
}

type permissionSet map[Permission]bool

func setOf(ps ...Permission) permissionSet {
	s := make(permissionSet, len(ps))
	for _, p := range ps {
		s[p] = true
	}
	return s
}

// Policy is the role → permission table. It is immutable after NewPolicy
// and safe for concurrent use.
type Policy struct {
	roles  map[model.Role]permissionSet
	device permissionSet
	// provisioner is a device token that may also create datastreams.
	provisioner permissionSet
}

// NewPolicy returns the platform's role table. Every role but citizen
// reads units, assets, datastreams, observations, vital signs, alerts,
// incidents, plans, teams, (masked) reports and campaigns; beyond that:
//
//	admin       everything
//	operator    (duty officer) runs the platform: manages units, assets,
//	            datastreams, indicators, teams and plans; ingests;
//	            acknowledges alerts; registers, dispatches and verifies
//	            incidents; runs campaigns and verifies hazard close-outs;
//	            scrapes the platform's metrics; plays drill scenarios in
//	            the demo city
//	dispatcher  acknowledges and assigns alerts; registers and dispatches
//	            incidents, plans field teams, activates plans
//	field       a field worker: updates assets, enters readings; disposes
//	            its department's incidents; records inspections and
//	            rectification
//	viewer      reads
//	supervisor  approves returns, extensions, suspensions and
//	            cancellations of incidents; verifies incidents and hazard
//	            close-outs; acknowledges alerts
//	inspector   enters and verifies incidents (核查); records inspections;
//	            verifies hazard close-outs
//	citizen     a public reporting channel: submits and reads its reports
//
// Only admins and operators (who call reporters back) see reporters'
// personal data unmasked.
//
// Devices get ingest.write only; provisioning devices also
// datastream.write.
func NewPolicy() *Policy {
	read := []Permission{ObservationRead, DatastreamRead, UnitRead, AssetRead, VitalsRead, AlertRead, IncidentRead, ReportRead, CampaignRead}
	with := func(ps ...Permission) permissionSet { return setOf(append(slices.Clone(read), ps...)...) }
	return &Policy{
		roles: map[model.Role]permissionSet{
			model.RoleAdmin: setOf(Permissions()...),
			model.RoleOperator: with(DatastreamWrite, UnitWrite, AssetWrite, IngestWrite, MetricsRead, IndicatorWrite, AlertAck,
				IncidentReport, IncidentDispatch, IncidentVerify, TeamWrite, PlanWrite, ReportSubmit, PersonalRead,
				CampaignWrite, HazardVerify, ScenarioRun),
			model.RoleDispatcher: with(AlertAck, IncidentReport, IncidentDispatch, TeamWrite),
			model.RoleField:      with(AssetWrite, IngestWrite, IncidentReport, IncidentDispose, InspectionSubmit, HazardRectify),
			model.RoleViewer:     with(),
			model.RoleSupervisor: with(AlertAck, IncidentApprove, IncidentVerify, HazardVerify),
			model.RoleInspector:  with(IncidentReport, IncidentVerify, InspectionSubmit, HazardVerify),
			model.RoleCitizen:    setOf(ReportSubmit, ReportRead),
		},
		device:      setOf(IngestWrite),
		provisioner: setOf(IngestWrite, DatastreamWrite),
	}
}

// Allowed reports whether users with role may do p. Unknown roles may do
// nothing.
func (pol *Policy) Allowed(role model.Role, p Permission) bool {
	return pol.roles[role][p]
}
