package cap

import (
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Languages of the info blocks.
const (
	LanguageZH = "zh-CN"
	LanguageEN = "en-US"
)

// levelParameter is the parameter that carries the colour of the warning,
// so that receivers who know the Chinese signals need not decode
// urgency/severity back.
const levelParameter = "level"

// timeLayout is CAP's dateTime: whole seconds and a numeric offset; "Z" is
// not allowed, hence -07:00 rather than Z07:00.
const timeLayout = "2006-01-02T15:04:05-07:00"

// chinaStandardTime is UTC+8 without daylight saving, which China has not
// observed since 1991. A fixed zone gives Asia/Shanghai's offset without
// depending on the host's time zone database.
var chinaStandardTime = time.FixedZone("CST", 8*60*60)

func formatTime(t time.Time) string { return t.In(chinaStandardTime).Format(timeLayout) }

// formatOptionalTime writes t, or nothing for the zero time.
func formatOptionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

// Build checks w and converts it to a CAP alert with a zh-CN info block
// and, if English text is given, an en-US one.
//
// Urgency and severity come from the level (see UrgencySeverity), except
// that a Cancel has urgency Past and, unless Responses says otherwise,
// response type AllClear. Categories come from the domain (see
// Categories). The area's polygons are simplified to MaxAreaPoints.
//
// Returns a *model.Error with code EINVALID naming the field if w cannot
// become a valid CAP document.
func Build(w Warning) (*Alert, error) {
	if err := w.validate(); err != nil {
		return nil, invalidWarning(&w, err)
	}
	area, err := buildArea(w.Area)
	if err != nil {
		return nil, invalidWarning(&w, err)
	}
	a := &Alert{
		Identifier: w.ID,
		Sender:     w.Sender,
		Sent:       formatTime(w.Sent),
		Status:     w.Status,
		MsgType:    w.MsgType,
		Scope:      scopePublic,
		Note:       w.Note,
		References: formatReferences(w.References),
		Incidents:  strings.Join(w.Incidents, " "),
	}
	zh := w.info(LanguageZH, localized{
		event: w.EventZH, senderName: w.SenderNameZH, headline: w.HeadlineZH,
		description: w.DescriptionZH, instruction: w.InstructionZH, areaName: w.Area.NameZH,
	}, area)
	a.Infos = append(a.Infos, zh)
	if w.hasEnglish() {
		a.Infos = append(a.Infos, w.info(LanguageEN, localized{
			event: w.EventEN, senderName: w.SenderNameEN, headline: w.HeadlineEN,
			description: w.DescriptionEN, instruction: w.InstructionEN, areaName: w.Area.NameEN,
		}, area))
	}
	return a, nil
}

// Render builds the CAP document of w and marshals it (see Build and
// Marshal).
func Render(w Warning) ([]byte, error) {
	a, err := Build(w)
	if err != nil {
		return nil, err
	}
	return Marshal(a)
}

// Marshal writes a as an indented UTF-8 XML document with declaration.
func Marshal(a *Alert) ([]byte, error) {
	body, err := xml.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal CAP alert %q: %w", a.Identifier, err)
	}
	doc := make([]byte, 0, len(xml.Header)+len(body)+1)
	doc = append(doc, xml.Header...)
	doc = append(doc, body...)
	return append(doc, '\n'), nil
}

// Parse reads a CAP 1.2 document, as written by Marshal.
func Parse(doc []byte) (*Alert, error) {
	var a Alert
	if err := xml.Unmarshal(doc, &a); err != nil {
		return nil, fmt.Errorf("parse CAP alert: %w", err)
	}
	if a.XMLName.Space != Namespace {
		return nil, errors.New("parse CAP alert: root element is not in the CAP 1.2 namespace")
	}
	return &a, nil
}

// localized holds the texts of one language.
type localized struct {
	event, senderName, headline, description, instruction, areaName string
}

// info builds the info block of one language. The area geometry is shared
// between languages; only its description is translated.
func (w *Warning) info(language string, text localized, area InfoArea) Info {
	urgency, severity := UrgencySeverity(w.Level)
	responses := w.Responses
	if w.MsgType == MsgCancel {
		urgency = UrgencyPast
		if len(responses) == 0 {
			responses = []ResponseType{ResponseAllClear}
		}
	}
	categories, _ := Categories(w.Domain)
	area.Desc = text.areaName
	return Info{
		Language:     language,
		Categories:   categories,
		Event:        text.event,
		ResponseType: responses,
		Urgency:      urgency,
		Severity:     severity,
		Certainty:    w.Certainty,
		Effective:    formatOptionalTime(w.Effective),
		Onset:        formatOptionalTime(w.Onset),
		Expires:      formatOptionalTime(w.Expires),
		SenderName:   text.senderName,
		Headline:     text.headline,
		Description:  text.description,
		Instruction:  text.instruction,
		Web:          w.Web,
		Contact:      w.Contact,
		Parameters:   w.parameters(),
		Areas:        []InfoArea{area},
	}
}

// parameters returns the level first, then the caller's parameters in
// name order so that documents are reproducible.
func (w *Warning) parameters() []NamedValue {
	params := []NamedValue{{Name: levelParameter, Value: w.Level.String()}}
	for _, name := range slices.Sorted(maps.Keys(w.Parameters)) {
		params = append(params, NamedValue{Name: name, Value: w.Parameters[name]})
	}
	return params
}

// buildArea converts the area's geometry to CAP text forms; Desc is left
// for the caller to fill per language.
func buildArea(a Area) (InfoArea, error) {
	if err := a.validate(); err != nil {
		return InfoArea{}, err
	}
	rings, err := outerRings(a.Geometry)
	if err != nil {
		return InfoArea{}, err
	}
	var out InfoArea
	for _, r := range fitRings(rings, MaxAreaPoints) {
		out.Polygons = append(out.Polygons, formatPolygon(r))
	}
	for _, c := range a.Circles {
		out.Circles = append(out.Circles, formatCircle(c))
	}
	if a.AdminCode != "" {
		out.Geocodes = []NamedValue{{Name: adminCodeScheme(a.AdminCode), Value: a.AdminCode}}
	}
	return out, nil
}

// adminCodeScheme names the standard a division code follows: GB/T 2260
// defines the 6-digit codes down to districts; the longer statistical
// codes of streets and communities extend them per GB/T 10114.
func adminCodeScheme(code string) string {
	if len(code) == 6 {
		return "GB/T 2260"
	}
	return "GB/T 10114"
}

// formatReferences writes CAP's space-separated "sender,identifier,sent"
// triples.
func formatReferences(refs []Reference) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = r.Sender + "," + r.ID + "," + formatTime(r.Sent)
	}
	return strings.Join(parts, " ")
}
