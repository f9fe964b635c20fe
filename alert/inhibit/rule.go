package inhibit

import (
	"fmt"
	"strconv"
	"strings"

	"cityvitals/alert/silence"
	"cityvitals/model"
)

// Rule says which firing alerts (sources) mute which others (targets).
// A source inhibits a target when the source is firing, matches Source,
// has a level of at least SourceMinLevel, agrees with the target on every
// label in Equal (a label both lack counts as equal), and is not the
// target itself; the target must match Target and, when TargetMaxLevel is
// set, have a level of at most TargetMaxLevel. With SourceIsParent, the
// source's indicator must also be the catalog parent of the target's.
// Matchers see the pseudo-labels rule and level as silences do.
type Rule struct {
	Name           string            `json:"name" yaml:"name"`
	Source         []silence.Matcher `json:"source" yaml:"source"`
	Target         []silence.Matcher `json:"target" yaml:"target"`
	SourceMinLevel int8              `json:"source_min_level" yaml:"source_min_level"` // 0: any level
	TargetMaxLevel int8              `json:"target_max_level" yaml:"target_max_level"` // 0: any level
	Equal          []string          `json:"equal" yaml:"equal"`
	SourceIsParent bool              `json:"source_is_parent" yaml:"source_is_parent"`
}

// Levels, as in model.Alert.
const (
	levelYellow int8 = 2
	levelRed    int8 = 4
)

// DefaultRules are the inhibition rules CityVitals ships:
//
//   - power-outage-mutes-silent-devices: a red power-cut alert
//     (indicator power.outage or one of its sub-indicators, such as the
//     street-level power.outage.points) mutes the silent-device alerts
//     (rule "silent") with the same unit: devices without power stop
//     reporting, and the outage is the one thing to act on.
//   - red-parent-mutes-yellow-children: a red alert on an indicator mutes
//     blue and yellow alerts on its sub-indicators in the same unit
//     (a red gas.leak mutes a yellow gas.leak.manholes); orange and red
//     sub-indicator alerts still notify, since they add urgency.
func DefaultRules() []Rule {
	return []Rule{
		{
			Name: "power-outage-mutes-silent-devices",
			Source: []silence.Matcher{
				{Name: "domain", Op: silence.OpEqual, Value: "power"},
				{Name: "indicator", Op: silence.OpRegexp, Value: `power\.outage(\..+)?`},
			},
			Target:         []silence.Matcher{{Name: silence.LabelRule, Op: silence.OpEqual, Value: "silent"}},
			SourceMinLevel: levelRed,
			Equal:          []string{"unit"},
		},
		{
			Name:           "red-parent-mutes-yellow-children",
			SourceMinLevel: levelRed,
			TargetMaxLevel: levelYellow,
			Equal:          []string{"unit"},
			SourceIsParent: true,
		},
	}
}

// compiledRule is a validated Rule with its selectors compiled.
type compiledRule struct {
	Rule
	source, target silence.Selector
}

// compileRules validates rules; errors are EINVALID and name the rule's
// index and field.
func compileRules(rules []Rule, parentKnown bool) ([]compiledRule, error) {
	out := make([]compiledRule, 0, len(rules))
	seen := map[string]bool{}
	for i, r := range rules {
		field := func(name string) string { return fmt.Sprintf("rules[%d].%s", i, name) }
		if r.Name == "" || seen[r.Name] {
			return nil, model.Errorf(model.EINVALID, "%s: %q must be a non-empty, unique name", field("name"), r.Name)
		}
		seen[r.Name] = true
		c := compiledRule{Rule: r}
		var err error
		if c.source, err = silence.Compile(r.Source); err != nil {
			return nil, model.Errorf(model.EINVALID, "%s: %s", field("source"), model.ErrorMessage(err))
		}
		if c.target, err = silence.Compile(r.Target); err != nil {
			return nil, model.Errorf(model.EINVALID, "%s: %s", field("target"), model.ErrorMessage(err))
		}
		if err := checkLevels(field, r); err != nil {
			return nil, err
		}
		if r.SourceIsParent && !parentKnown {
			return nil, model.Errorf(model.EINVALID, "%s: needs the indicator catalog's parent function", field("source_is_parent"))
		}
		out = append(out, c)
	}
	return out, nil
}

func checkLevels(field func(string) string, r Rule) error {
	if r.SourceMinLevel < 0 || r.SourceMinLevel > levelRed {
		return model.Errorf(model.EINVALID, "%s: %d is not a level 0…4", field("source_min_level"), r.SourceMinLevel)
	}
	if r.TargetMaxLevel < 0 || r.TargetMaxLevel > levelRed {
		return model.Errorf(model.EINVALID, "%s: %d is not a level 0…4", field("target_max_level"), r.TargetMaxLevel)
	}
	for j, name := range r.Equal {
		if name == "" {
			return model.Errorf(model.EINVALID, "%s: empty label name", field(fmt.Sprintf("equal[%d]", j)))
		}
	}
	return nil
}

// isSource reports whether firing alert a (with labels) can inhibit under r.
func (r *compiledRule) isSource(a model.Alert, labels map[string]string) bool {
	return a.Level >= r.SourceMinLevel && r.source.Matches(labels) &&
		(!r.SourceIsParent || labels["indicator"] != "")
}

// isTarget reports whether a (with labels) can be inhibited under r.
func (r *compiledRule) isTarget(a model.Alert, labels map[string]string) bool {
	return (r.TargetMaxLevel == 0 || a.Level <= r.TargetMaxLevel) && r.target.Matches(labels)
}

// key joins the values of the Equal labels and, for a parent rule, the
// indicator that must be the source's: sources and targets with the same
// key pair up. Each part is length-prefixed so no value can fake a
// separator.
func (r *compiledRule) key(labels map[string]string, indicator string) string {
	var b strings.Builder
	for _, name := range r.Equal {
		writePart(&b, labels[name])
	}
	if r.SourceIsParent {
		writePart(&b, indicator)
	}
	return b.String()
}

func writePart(b *strings.Builder, s string) {
	b.WriteString(strconv.Itoa(len(s)))
	b.WriteByte(':')
	b.WriteString(s)
}
