package cap

import "encoding/xml"

// Namespace is the XML namespace of CAP 1.2 documents.
const Namespace = "urn:oasis:names:tc:emergency:cap:1.2"

// MediaType is the registered media type of a CAP document, used in the
// Atom links that point to one.
const MediaType = "application/cap+xml"

// Alert is a CAP 1.2 <alert> message. Field order follows the schema's
// xs:sequence, which encoding/xml preserves; optional elements are omitted
// when empty. Times are pre-formatted strings because CAP's dateTime
// pattern (no fractional seconds, never "Z") is narrower than time.Time's
// default encoding.
type Alert struct {
	XMLName    xml.Name `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier string   `xml:"identifier"`
	Sender     string   `xml:"sender"`
	Sent       string   `xml:"sent"`
	Status     Status   `xml:"status"`
	MsgType    MsgType  `xml:"msgType"`
	Source     string   `xml:"source,omitempty"`
	Scope      string   `xml:"scope"`
	Code       []string `xml:"code,omitempty"`
	Note       string   `xml:"note,omitempty"`
	References string   `xml:"references,omitempty"`
	Incidents  string   `xml:"incidents,omitempty"`
	Infos      []Info   `xml:"info"`
}

// Info is one <info> block: the warning in one language.
type Info struct {
	Language     string         `xml:"language"`
	Categories   []Category     `xml:"category"`
	Event        string         `xml:"event"`
	ResponseType []ResponseType `xml:"responseType,omitempty"`
	Urgency      Urgency        `xml:"urgency"`
	Severity     Severity       `xml:"severity"`
	Certainty    Certainty      `xml:"certainty"`
	EventCodes   []NamedValue   `xml:"eventCode,omitempty"`
	Effective    string         `xml:"effective,omitempty"`
	Onset        string         `xml:"onset,omitempty"`
	Expires      string         `xml:"expires,omitempty"`
	SenderName   string         `xml:"senderName,omitempty"`
	Headline     string         `xml:"headline,omitempty"`
	Description  string         `xml:"description,omitempty"`
	Instruction  string         `xml:"instruction,omitempty"`
	Web          string         `xml:"web,omitempty"`
	Contact      string         `xml:"contact,omitempty"`
	Parameters   []NamedValue   `xml:"parameter,omitempty"`
	Areas        []InfoArea     `xml:"area,omitempty"`
}

// InfoArea is one <area> of an info block. Polygons and circles are in
// CAP's text form: "lat,lon lat,lon ..." and "lat,lon radiusKm".
type InfoArea struct {
	Desc     string       `xml:"areaDesc"`
	Polygons []string     `xml:"polygon,omitempty"`
	Circles  []string     `xml:"circle,omitempty"`
	Geocodes []NamedValue `xml:"geocode,omitempty"`
}

// NamedValue is CAP's valueName/value pair, used by eventCode, parameter
// and geocode.
type NamedValue struct {
	Name  string `xml:"valueName"`
	Value string `xml:"value"`
}

// Category is a CAP event category.
type Category string

// CAP 1.2 categories (CAP 1.2 §3.2.2). Met includes floods.
const (
	CategoryGeo       Category = "Geo"
	CategoryMet       Category = "Met"
	CategorySafety    Category = "Safety"
	CategorySecurity  Category = "Security"
	CategoryRescue    Category = "Rescue"
	CategoryFire      Category = "Fire"
	CategoryHealth    Category = "Health"
	CategoryEnv       Category = "Env"
	CategoryTransport Category = "Transport"
	CategoryInfra     Category = "Infra"
	CategoryCBRNE     Category = "CBRNE"
	CategoryOther     Category = "Other"
)

// Urgency is CAP's time available to prepare.
type Urgency string

// CAP 1.2 urgency values.
const (
	UrgencyImmediate Urgency = "Immediate"
	UrgencyExpected  Urgency = "Expected"
	UrgencyFuture    Urgency = "Future"
	UrgencyPast      Urgency = "Past"
	UrgencyUnknown   Urgency = "Unknown"
)

// Severity is CAP's intensity of impact.
type Severity string

// CAP 1.2 severity values.
const (
	SeverityExtreme  Severity = "Extreme"
	SeveritySevere   Severity = "Severe"
	SeverityModerate Severity = "Moderate"
	SeverityMinor    Severity = "Minor"
	SeverityUnknown  Severity = "Unknown"
)

// Certainty is CAP's confidence in the observation or prediction.
type Certainty string

// CAP 1.2 certainty values. Observed fits a measured threshold crossing,
// Likely a forecast crossing (p > ~50%).
const (
	CertaintyObserved Certainty = "Observed"
	CertaintyLikely   Certainty = "Likely"
	CertaintyPossible Certainty = "Possible"
	CertaintyUnlikely Certainty = "Unlikely"
	CertaintyUnknown  Certainty = "Unknown"
)

// ResponseType is CAP's recommended action.
type ResponseType string

// CAP 1.2 response types.
const (
	ResponseShelter  ResponseType = "Shelter"
	ResponseEvacuate ResponseType = "Evacuate"
	ResponsePrepare  ResponseType = "Prepare"
	ResponseExecute  ResponseType = "Execute"
	ResponseAvoid    ResponseType = "Avoid"
	ResponseMonitor  ResponseType = "Monitor"
	ResponseAssess   ResponseType = "Assess"
	ResponseAllClear ResponseType = "AllClear"
	ResponseNone     ResponseType = "None"
)

// Status is the handling code of a message.
type Status string

// The statuses a public warning feed publishes. CAP's System and Draft are
// deliberately absent: neither belongs in a public feed.
const (
	StatusActual   Status = "Actual"
	StatusExercise Status = "Exercise"
	StatusTest     Status = "Test"
)

// MsgType is the nature of a message.
type MsgType string

// The message types a warning feed publishes. Update and Cancel must
// reference the earlier messages they supersede.
const (
	MsgAlert  MsgType = "Alert"
	MsgUpdate MsgType = "Update"
	MsgCancel MsgType = "Cancel"
)

// scopePublic is the only scope this package writes: restricted and
// private messages need addressing this feed does not have.
const scopePublic = "Public"
