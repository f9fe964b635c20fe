package model

import "time"

// ReportStatus is where a citizen report stands in its handling. The
// statuses are finer than Open311's open/closed, onto which they map
// through Open311Status.
type ReportStatus string

const (
	ReportReceived   ReportStatus = "received"   // 受理: taken in, not yet registered as a case
	ReportRegistered ReportStatus = "registered" // 立案: accepted as (part of) an incident
	ReportDispatched ReportStatus = "dispatched" // 派遣: a department is working on it
	ReportDisposed   ReportStatus = "disposed"   // 处置: the department says it is done; awaiting verification
	ReportClosed     ReportStatus = "closed"     // 结案: verified and closed
	ReportRejected   ReportStatus = "rejected"   // 不予立案: not a case (invalid, out of scope, nothing to do)
)

// ReportStatuses lists every report status in the order of the handling.
func ReportStatuses() []ReportStatus {
	return []ReportStatus{ReportReceived, ReportRegistered, ReportDispatched, ReportDisposed, ReportClosed, ReportRejected}
}

// OpenReportStatuses lists the statuses Open311 calls "open".
func OpenReportStatuses() []ReportStatus {
	return []ReportStatus{ReportReceived, ReportRegistered, ReportDispatched, ReportDisposed}
}

// Valid reports whether s is one of the declared statuses.
func (s ReportStatus) Valid() bool {
	switch s {
	case ReportReceived, ReportRegistered, ReportDispatched, ReportDisposed, ReportClosed, ReportRejected:
		return true
	}
	return false
}

// Open reports whether the report still waits for something to be done.
// A rejected report is not open: nothing more will happen to it.
func (s ReportStatus) Open() bool { return s.Valid() && s != ReportClosed && s != ReportRejected }

// Open311Status is the GeoReport v2 status: "open" or "closed".
func (s ReportStatus) Open311Status() string {
	if s.Open() {
		return "open"
	}
	return "closed"
}

// Report is a citizen's service request (Open311 GeoReport v2): what is
// wrong (ServiceCode, Description, Attributes), where (a point, an address
// or an address id: at least one), and how its handling goes (Status,
// the incident it became or joined).
//
// The reporter's personal data is not part of a Report: it lives in a
// Reporter, stored apart and shown masked to callers without
// auth.PersonalRead.
type Report struct {
	ID          int64  `json:"id"`
	Token       string `json:"token,omitempty"`       // random, for Open311 GET tokens/{token}
	ExternalID  string `json:"external_id,omitempty"` // the id in the system it was imported from, "sf311:11511140"
	Channel     string `json:"channel,omitempty"`     // how it came in: open311, 12345, app, phone, web…
	SubmittedBy string `json:"submitted_by,omitempty"`
	ServiceCode string `json:"service_code"`
	Description string `json:"description,omitempty"`

	Lon       float64 `json:"lon,omitempty"` // WGS84
	Lat       float64 `json:"lat,omitempty"`
	HasPoint  bool    `json:"has_point"`
	Address   string  `json:"address,omitempty"` // as the citizen wrote it (Open311 address_string)
	AddressID string  `json:"address_id,omitempty"`
	Zipcode   string  `json:"zipcode,omitempty"`
	Unit      string  `json:"unit,omitempty"` // the deepest spatial unit holding the point, "" when unknown

	MediaURL   string              `json:"media_url,omitempty"`
	Attributes map[string][]string `json:"attributes,omitempty"` // answers to the service definition, by attribute code

	Status            ReportStatus `json:"status"`
	StatusNotes       string       `json:"status_notes,omitempty"`
	AgencyResponsible string       `json:"agency_responsible,omitempty"`
	ServiceNotice     string       `json:"service_notice,omitempty"`
	RequestedAt       time.Time    `json:"requested_at"`
	UpdatedAt         time.Time    `json:"updated_at"`
	ExpectedAt        time.Time    `json:"expected_at,omitzero"` // zero when the service promises no time

	IncidentID  int64 `json:"incident_id,omitempty"`  // the incident it opened or joined; 0 while not linked
	DuplicateOf int64 `json:"duplicate_of,omitempty"` // the report it repeats; 0 for an original
}

// Reporter is the personal data of whoever submitted a report: who they
// are and how to call them back. It is stored apart from the report,
// keyed by ReportID.
type Reporter struct {
	ReportID  int64  `json:"report_id"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	DeviceID  string `json:"device_id,omitempty"`
	AccountID string `json:"account_id,omitempty"`
}

// IsZero reports whether the reporter left no personal data at all.
func (r Reporter) IsZero() bool {
	return r.FirstName == "" && r.LastName == "" && r.Email == "" && r.Phone == "" && r.DeviceID == "" && r.AccountID == ""
}
