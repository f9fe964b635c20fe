package cap

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"cityvitals/model"
)

// fieldError is a validation failure of one Warning field. Build turns it
// into a *model.Error that also names the warning.
type fieldError struct {
	field  string
	reason string
}

func (e *fieldError) Error() string { return e.field + ": " + e.reason }

func fieldErrorf(field, format string, args ...any) *fieldError {
	return &fieldError{field: field, reason: fmt.Sprintf(format, args...)}
}

func invalidWarning(w *Warning, err error) error {
	return model.Errorf(model.EINVALID, "warning %q: %v", w.ID, err)
}

// validate checks everything CAP's schema and rules demand of the input,
// except the geometry, which buildArea checks while converting it.
func (w *Warning) validate() error {
	checks := []func() error{
		w.validateHeader,
		w.validateReferences,
		w.validateClassification,
		w.validateTimes,
		w.validateText,
		w.validateParameters,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (w *Warning) validateHeader() error {
	if err := checkIdentifier("ID", w.ID); err != nil {
		return err
	}
	if err := checkIdentifier("Sender", w.Sender); err != nil {
		return err
	}
	switch w.Status {
	case StatusActual, StatusExercise, StatusTest:
	default:
		return fieldErrorf("Status", "%q is not Actual, Exercise or Test", w.Status)
	}
	switch w.MsgType {
	case MsgAlert, MsgUpdate, MsgCancel:
	default:
		return fieldErrorf("MsgType", "%q is not Alert, Update or Cancel", w.MsgType)
	}
	for i, inc := range w.Incidents {
		if err := checkIdentifier(fmt.Sprintf("Incidents[%d]", i), inc); err != nil {
			return err
		}
	}
	if w.Web != "" {
		u, err := url.Parse(w.Web)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fieldErrorf("Web", "%q is not an absolute http(s) URL", w.Web)
		}
	}
	return nil
}

func (w *Warning) validateReferences() error {
	if w.MsgType != MsgAlert && len(w.References) == 0 {
		return fieldErrorf("References", "an %s must reference the message it supersedes", w.MsgType)
	}
	for i, r := range w.References {
		field := fmt.Sprintf("References[%d]", i)
		if err := checkIdentifier(field+".Sender", r.Sender); err != nil {
			return err
		}
		if err := checkIdentifier(field+".ID", r.ID); err != nil {
			return err
		}
		if err := checkTime(field+".Sent", r.Sent); err != nil {
			return err
		}
		if r.Sender == w.Sender && r.ID == w.ID {
			return fieldErrorf(field, "a message cannot reference itself")
		}
	}
	return nil
}

func (w *Warning) validateClassification() error {
	if !w.Level.Valid() {
		return fieldErrorf("Level", "%d is not 1 (blue) to 4 (red)", int(w.Level))
	}
	switch w.Certainty {
	case CertaintyObserved, CertaintyLikely, CertaintyPossible, CertaintyUnlikely, CertaintyUnknown:
	default:
		return fieldErrorf("Certainty", "%q is not a CAP certainty", w.Certainty)
	}
	if _, ok := Categories(w.Domain); !ok {
		return fieldErrorf("Domain", "%q is not a known domain", w.Domain)
	}
	for i, r := range w.Responses {
		switch r {
		case ResponseShelter, ResponseEvacuate, ResponsePrepare, ResponseExecute, ResponseAvoid,
			ResponseMonitor, ResponseAssess, ResponseAllClear, ResponseNone:
		default:
			return fieldErrorf(fmt.Sprintf("Responses[%d]", i), "%q is not a CAP response type", r)
		}
	}
	return nil
}

func (w *Warning) validateTimes() error {
	if err := checkTime("Sent", w.Sent); err != nil {
		return err
	}
	for _, t := range []struct {
		field string
		value time.Time
	}{{"Effective", w.Effective}, {"Onset", w.Onset}, {"Expires", w.Expires}} {
		if t.value.IsZero() {
			continue
		}
		if err := checkTime(t.field, t.value); err != nil {
			return err
		}
	}
	if !w.Expires.IsZero() && !w.Expires.After(w.Sent) {
		return fieldErrorf("Expires", "%s is not after Sent %s", formatTime(w.Expires), formatTime(w.Sent))
	}
	if !w.Expires.IsZero() && !w.Onset.IsZero() && !w.Expires.After(w.Onset) {
		return fieldErrorf("Expires", "%s is not after Onset %s", formatTime(w.Expires), formatTime(w.Onset))
	}
	return nil
}

// validateText checks that the required texts are there and that every
// text can be written as XML 1.0 character data.
func (w *Warning) validateText() error {
	required := []namedText{
		{"EventZH", w.EventZH},
		{"HeadlineZH", w.HeadlineZH},
		{"Area.NameZH", w.Area.NameZH},
	}
	if w.hasEnglish() {
		required = append(required,
			namedText{"EventEN", w.EventEN},
			namedText{"HeadlineEN", w.HeadlineEN},
			namedText{"Area.NameEN", w.Area.NameEN})
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return fieldErrorf(r.field, "must not be empty")
		}
	}
	for _, t := range w.texts() {
		if err := checkXMLText(t.field, t.value); err != nil {
			return err
		}
	}
	return nil
}

func (w *Warning) validateParameters() error {
	for name, value := range w.Parameters {
		field := fmt.Sprintf("Parameters[%q]", name)
		if strings.TrimSpace(name) == "" {
			return fieldErrorf(field, "name must not be empty")
		}
		if name == levelParameter {
			return fieldErrorf(field, "name %q is reserved for the warning level", levelParameter)
		}
		if err := checkXMLText(field, name); err != nil {
			return err
		}
		if err := checkXMLText(field, value); err != nil {
			return err
		}
	}
	return nil
}

// hasEnglish reports whether any English text is given, which asks for an
// en-US info block.
func (w *Warning) hasEnglish() bool {
	for _, s := range []string{w.EventEN, w.SenderNameEN, w.HeadlineEN, w.DescriptionEN, w.InstructionEN, w.Area.NameEN} {
		if s != "" {
			return true
		}
	}
	return false
}

// namedText is a text field with the name errors report it by.
type namedText struct{ field, value string }

// texts lists the free-text fields written into the document.
func (w *Warning) texts() []namedText {
	return []namedText{
		{"Note", w.Note}, {"Contact", w.Contact}, {"Web", w.Web},
		{"EventZH", w.EventZH}, {"EventEN", w.EventEN},
		{"SenderNameZH", w.SenderNameZH}, {"SenderNameEN", w.SenderNameEN},
		{"HeadlineZH", w.HeadlineZH}, {"HeadlineEN", w.HeadlineEN},
		{"DescriptionZH", w.DescriptionZH}, {"DescriptionEN", w.DescriptionEN},
		{"InstructionZH", w.InstructionZH}, {"InstructionEN", w.InstructionEN},
		{"Area.NameZH", w.Area.NameZH}, {"Area.NameEN", w.Area.NameEN},
	}
}

// checkIdentifier enforces CAP's rule for identifier, sender and the parts
// of references: not empty, and no whitespace, commas, '<' or '&', since
// references are comma- and space-separated lists of them.
func checkIdentifier(field, s string) error {
	if s == "" {
		return fieldErrorf(field, "must not be empty")
	}
	if i := strings.IndexFunc(s, isIdentifierBreaker); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fieldErrorf(field, "%q must not contain %q", s, r)
	}
	return checkXMLText(field, s)
}

func isIdentifierBreaker(r rune) bool {
	return r == ',' || r == '<' || r == '&' || r == ' ' || r == '\t' || r == '\n' || r == '\r' ||
		r == 0x85 || r == 0xA0 || r == 0x3000 || r == utf8.RuneError
}

// checkTime rejects times CAP cannot carry: the zero time and years that do
// not have four digits.
func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return fieldErrorf(field, "must be set")
	}
	if y := t.In(chinaStandardTime).Year(); y < 1 || y > 9999 {
		return fieldErrorf(field, "year %d is outside 0001-9999", y)
	}
	return nil
}

// checkXMLText rejects text XML 1.0 cannot hold (invalid UTF-8, control
// characters), which encoding/xml would otherwise silently replace.
func checkXMLText(field, s string) error {
	if !utf8.ValidString(s) {
		return fieldErrorf(field, "is not valid UTF-8")
	}
	for i, r := range s {
		if !isXMLChar(r) {
			return fieldErrorf(field, "character %U at byte %d is not allowed in XML", r, i)
		}
	}
	return nil
}

// isXMLChar reports whether r is in XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// adminCodePattern matches 6-digit GB/T 2260 codes and the 9- and
// 12-digit statistical division codes below them.
var adminCodePattern = regexp.MustCompile(`^(\d{6}|\d{9}|\d{12})$`)

func (a *Area) validate() error {
	if a.AdminCode != "" && !adminCodePattern.MatchString(a.AdminCode) {
		return fieldErrorf("Area.AdminCode", "%q is not a 6-, 9- or 12-digit division code", a.AdminCode)
	}
	for i, c := range a.Circles {
		field := fmt.Sprintf("Area.Circles[%d]", i)
		if err := checkPoint(c.Center); err != nil {
			return fieldErrorf(field, "%s", err)
		}
		if !(c.RadiusKm > 0) || math.IsInf(c.RadiusKm, 1) {
			return fieldErrorf(field, "radius %v km is not a positive number", c.RadiusKm)
		}
	}
	if len(a.Geometry) == 0 && len(a.Circles) == 0 && a.AdminCode == "" {
		return fieldErrorf("Area", "needs a geometry, a circle or an admin code")
	}
	return nil
}
