package cap

import (
	"time"

	"github.com/paulmach/orb"
)

// Warning is the plain input of Build: one public warning as the alert
// lifecycle knows it, independent of how the platform stores alerts.
//
// Fields ending in ZH are required; fields ending in EN are optional as a
// group: when any English text is given, EventEN and HeadlineEN must be too,
// and an en-US info block is written.
type Warning struct {
	ID         string      // CAP identifier, unique per Sender; no spaces, commas, '<' or '&'
	Sender     string      // CAP sender, e.g. "cityvitals@example.gov.cn"; same character rules
	Sent       time.Time   // when the message is issued
	Status     Status      // Actual, Exercise or Test
	MsgType    MsgType     // Alert, Update or Cancel
	References []Reference // the messages an Update or Cancel supersedes
	Incidents  []string    // incident ids grouping related messages; no whitespace or commas
	Note       string      // free text, e.g. why a Cancel was issued

	Level     Level     // blue..red; decides urgency and severity
	Certainty Certainty // Observed for a measured crossing, Likely for a forecast
	Domain    Domain    // decides the CAP categories
	Responses []ResponseType

	EventZH, EventEN             string // short event type, e.g. 燃气泄漏 / Gas leak
	SenderNameZH, SenderNameEN   string
	HeadlineZH, HeadlineEN       string
	DescriptionZH, DescriptionEN string
	InstructionZH, InstructionEN string
	Web                          string // absolute URL with more information
	Contact                      string

	Effective time.Time // zero: effective when sent
	Onset     time.Time // zero: not stated
	Expires   time.Time // zero: not stated

	Area Area

	// Parameters are extra machine-readable facts (indicator id, value,
	// threshold...), written in key order. The key "level" is reserved.
	Parameters map[string]string
}

// Reference names an earlier CAP message by its extended identifier.
type Reference struct {
	Sender string
	ID     string
	Sent   time.Time
}

// Area is where the warning applies. At least one of Geometry, Circles and
// AdminCode must be given.
type Area struct {
	NameZH, NameEN string
	// AdminCode is a Chinese administrative division code: 6 digits
	// (GB/T 2260, district and above) or 9/12 digits (statistical division
	// codes per GB/T 10114, streets and communities).
	AdminCode string
	// Geometry is WGS84 longitude/latitude, e.g. a model.Unit's polygon.
	// Holes are dropped (CAP polygons have none, so the warning covers
	// them) and large shapes are simplified to MaxAreaPoints.
	Geometry orb.MultiPolygon
	Circles  []Circle
}

// Circle is a disc around a WGS84 point.
type Circle struct {
	Center   orb.Point // longitude, latitude
	RadiusKm float64
}
