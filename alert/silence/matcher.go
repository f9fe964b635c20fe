package silence

import (
	"fmt"
	"maps"
	"regexp"
	"unicode/utf8"

	"cityvitals/model"
)

// Op is how a matcher compares a label's value.
type Op string

// The matcher operators, as in Prometheus and Alertmanager.
const (
	OpEqual     Op = "="  // the value equals
	OpNotEqual  Op = "!=" // the value differs
	OpRegexp    Op = "=~" // the whole value matches the regular expression
	OpNotRegexp Op = "!~" // the whole value does not match it
)

// maxValueLen bounds a matcher's value, so a regular expression stays a
// size a person would type (RE2 matching is linear in any case).
const maxValueLen = 1024

// labelName is the Prometheus label-name syntax.
var labelName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Matcher selects alerts by one label. A label the alert does not have
// counts as the empty string, so unit!="310101" matches an alert without
// a unit label and unit="" matches only alerts without one.
type Matcher struct {
	Name  string `json:"name"`
	Op    Op     `json:"op"`
	Value string `json:"value"`
}

// String renders the matcher the way ParseMatchers reads it.
func (m Matcher) String() string {
	return fmt.Sprintf("%s%s%q", m.Name, m.Op, m.Value)
}

// compiledMatcher is a validated matcher with its regular expression
// compiled once.
type compiledMatcher struct {
	Matcher
	re *regexp.Regexp // nil for = and !=
}

func (m compiledMatcher) matches(value string) bool {
	switch m.Op {
	case OpEqual:
		return value == m.Value
	case OpNotEqual:
		return value != m.Value
	case OpRegexp:
		return m.re.MatchString(value)
	default: // OpNotRegexp; compile admits nothing else
		return !m.re.MatchString(value)
	}
}

// compileMatcher validates m; errors name the field of matchers[index].
func compileMatcher(index int, m Matcher) (compiledMatcher, error) {
	field := func(name string) string { return fmt.Sprintf("matchers[%d].%s", index, name) }
	if !labelName.MatchString(m.Name) {
		return compiledMatcher{}, model.Errorf(model.EINVALID,
			"%s: %q is not a label name (letters, digits and _, not starting with a digit)", field("name"), m.Name)
	}
	if len(m.Value) > maxValueLen {
		return compiledMatcher{}, model.Errorf(model.EINVALID, "%s: longer than %d bytes", field("value"), maxValueLen)
	}
	if !utf8.ValidString(m.Value) {
		return compiledMatcher{}, model.Errorf(model.EINVALID, "%s: not valid UTF-8", field("value"))
	}
	c := compiledMatcher{Matcher: m}
	switch m.Op {
	case OpEqual, OpNotEqual:
	case OpRegexp, OpNotRegexp:
		// Checked alone first so the error quotes what the person wrote.
		if _, err := regexp.Compile(m.Value); err != nil {
			return compiledMatcher{}, model.Errorf(model.EINVALID, "%s: invalid regular expression: %v", field("value"), err)
		}
		// Anchored like Alertmanager: the expression must match the whole value.
		c.re = regexp.MustCompile("^(?:" + m.Value + ")$")
	default:
		return compiledMatcher{}, model.Errorf(model.EINVALID,
			"%s: %q is not one of =, !=, =~, !~", field("op"), m.Op)
	}
	return c, nil
}

// Selector is a validated list of matchers, ready to match: an alert is
// selected when every matcher matches. The zero Selector selects
// everything. It is immutable and safe for concurrent use.
type Selector struct {
	matchers []compiledMatcher
}

// Compile validates the matchers and compiles their regular expressions.
// Errors are EINVALID and name the matcher's index and field, e.g.
// "matchers[1].value: invalid regular expression: …".
func Compile(ms []Matcher) (Selector, error) {
	s := Selector{matchers: make([]compiledMatcher, 0, len(ms))}
	for i, m := range ms {
		c, err := compileMatcher(i, m)
		if err != nil {
			return Selector{}, err
		}
		s.matchers = append(s.matchers, c)
	}
	return s, nil
}

// MustCompile is Compile for matchers fixed in the program; it panics on
// an error.
func MustCompile(ms []Matcher) Selector {
	s, err := Compile(ms)
	if err != nil {
		panic(err)
	}
	return s
}

// Matches reports whether every matcher matches labels.
func (s Selector) Matches(labels map[string]string) bool {
	for _, m := range s.matchers {
		if !m.matches(labels[m.Name]) {
			return false
		}
	}
	return true
}

// MatchesEverything reports whether the selector would select an alert
// with no labels at all, i.e. no matcher needs a label to be present.
// Such a selector would mute every alert, so silences must not use one.
func (s Selector) MatchesEverything() bool {
	return s.Matches(nil)
}

// Pseudo-labels matchers can use besides an alert's own labels.
const (
	LabelRule  = "rule"  // the detector that found the alert, e.g. "threshold"
	LabelLevel = "level" // blue, yellow, orange or red
)

var levelNames = [...]string{1: "blue", 2: "yellow", 3: "orange", 4: "red"}

// LevelName returns blue, yellow, orange or red for levels 1…4 and ""
// for anything else.
func LevelName(level int8) string {
	if level < 1 || int(level) >= len(levelNames) {
		return ""
	}
	return levelNames[level]
}

// AlertLabels returns the labels matchers see for a: its own labels plus
// the pseudo-labels rule and level, which win over labels of the same
// name because they are the alert's authoritative fields.
func AlertLabels(a model.Alert) map[string]string {
	labels := make(map[string]string, len(a.Labels)+2)
	maps.Copy(labels, a.Labels)
	labels[LabelRule] = a.Rule
	labels[LabelLevel] = LevelName(a.Level)
	return labels
}
