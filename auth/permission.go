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
)

// Permissions lists every permission.
func Permissions() []Permission {
	return []Permission{
		IngestWrite, ObservationRead, DatastreamRead, DatastreamWrite, UnitRead, UnitWrite,
		AssetRead, AssetWrite, UserAdmin, TokenAdmin, AuditRead, MetricsRead,
		VitalsRead, IndicatorWrite, AlertRead, AlertAck,
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

// NewPolicy returns the platform's role table:
//
//	admin       everything
//	operator    runs the platform: reads everything but the audit log,
//	            manages units, assets, datastreams and indicators, may
//	            ingest, acknowledges alerts, scrapes the platform's metrics
//	dispatcher  reads units, assets, datastreams, observations, vital signs
//	            and alerts; acknowledges and assigns alerts
//	field       a field worker: reads, updates assets, enters readings
//	viewer      reads units, assets, datastreams, observations, vital signs
//
// Devices get ingest.write only; provisioning devices also
// datastream.write.
func NewPolicy() *Policy {
	read := []Permission{ObservationRead, DatastreamRead, UnitRead, AssetRead, VitalsRead, AlertRead}
	return &Policy{
		roles: map[model.Role]permissionSet{
			model.RoleAdmin:      setOf(Permissions()...),
			model.RoleOperator:   setOf(append(slices.Clone(read), DatastreamWrite, UnitWrite, AssetWrite, IngestWrite, MetricsRead, IndicatorWrite, AlertAck)...),
			model.RoleDispatcher: setOf(append(slices.Clone(read), AlertAck)...),
			model.RoleField:      setOf(append(slices.Clone(read), AssetWrite, IngestWrite)...),
			model.RoleViewer:     setOf(read...),
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
