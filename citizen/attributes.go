package citizen

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on attribute answers.
const (
	maxStringAnswer = 200  // runes of a one-line answer
	maxTextAnswer   = 4000 // runes of a free-text answer, as for a description
)

// CheckAttributes validates the answers to the service's definition, keyed
// by attribute code, and returns them trimmed, with empty answers dropped.
// It returns every problem found, each naming the attribute the way the
// client sent it (attribute[code]).
func (s ServiceType) CheckAttributes(answers map[string][]string) (map[string][]string, []string) {
	return s.checkAttributes(answers, true)
}

// checkAttributes is CheckAttributes; without requireAll, missing
// required answers pass (imported history never answered our questions).
func (s ServiceType) checkAttributes(answers map[string][]string, requireAll bool) (map[string][]string, []string) {
	var problems []string
	out := map[string][]string{}
	known := make(map[string]Attribute, len(s.Attributes))
	for _, a := range s.Attributes {
		known[a.Code] = a
	}
	for _, code := range sortedKeys(answers) {
		values := nonEmpty(answers[code])
		a, ok := known[code]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("attribute[%s]: service %s has no such attribute%s",
				clip(code), s.Code, s.attributeList()))
			continue
		case len(values) == 0:
			continue
		case !a.Variable:
			problems = append(problems, fmt.Sprintf("attribute[%s]: informational only, takes no answer", code))
			continue
		}
		if p := a.check(values); len(p) > 0 {
			problems = append(problems, p...)
		} else {
			out[code] = values
		}
	}
	for _, a := range s.Attributes {
		if requireAll && a.Required && len(out[a.Code]) == 0 && len(nonEmpty(answers[a.Code])) == 0 {
			problems = append(problems, fmt.Sprintf("attribute[%s]: required by service %s (%s)",
				a.Code, s.Code, a.Description.In(EN)))
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

func (s ServiceType) attributeList() string {
	if len(s.Attributes) == 0 {
		return " (it has none)"
	}
	codes := make([]string, len(s.Attributes))
	for i, a := range s.Attributes {
		codes[i] = a.Code
	}
	return " (it has " + strings.Join(codes, ", ") + ")"
}

// check validates one attribute's non-empty answers.
func (a Attribute) check(values []string) []string {
	if a.Datatype != DatatypeMultiValueList && len(values) > 1 {
		return []string{fmt.Sprintf("attribute[%s]: takes one answer, got %d", a.Code, len(values))}
	}
	var problems []string
	seen := map[string]bool{}
	for _, v := range values {
		if msg := a.checkValue(v); msg != "" {
			problems = append(problems, fmt.Sprintf("attribute[%s]: %s", a.Code, msg))
		}
		if seen[v] {
			problems = append(problems, fmt.Sprintf("attribute[%s]: %q is given twice", a.Code, clip(v)))
		}
		seen[v] = true
	}
	return problems
}

// checkValue returns what is wrong with one answer, or "".
func (a Attribute) checkValue(v string) string {
	if msg := checkText(v, a.Datatype == DatatypeText); msg != "" {
		return msg
	}
	switch a.Datatype {
	case DatatypeString:
		if n := utf8.RuneCountInString(v); n > maxStringAnswer {
			return fmt.Sprintf("%d characters, at most %d", n, maxStringAnswer)
		}
	case DatatypeText:
		if n := utf8.RuneCountInString(v); n > maxTextAnswer {
			return fmt.Sprintf("%d characters, at most %d", n, maxTextAnswer)
		}
	case DatatypeNumber:
		return a.checkNumber(v)
	case DatatypeDatetime:
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return fmt.Sprintf("%q is not an ISO 8601 date-time with a zone, e.g. 2025-07-01T22:30:00+08:00", clip(v))
		}
	case DatatypeSingleValueList, DatatypeMultiValueList:
		if !slices.ContainsFunc(a.Values, func(x Value) bool { return x.Key == v }) {
			return fmt.Sprintf("%q is not one of %s", clip(v), strings.Join(a.keys(), ", "))
		}
	}
	return ""
}

func (a Attribute) checkNumber(v string) string {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Sprintf("%q is not a number", clip(v))
	}
	if (a.Min != nil && f < *a.Min) || (a.Max != nil && f > *a.Max) {
		return fmt.Sprintf("%v is outside %s", f, a.bounds())
	}
	return ""
}

func (a Attribute) bounds() string {
	lo, hi := "-∞", "∞"
	if a.Min != nil {
		lo = strconv.FormatFloat(*a.Min, 'g', -1, 64)
	}
	if a.Max != nil {
		hi = strconv.FormatFloat(*a.Max, 'g', -1, 64)
	}
	return "[" + lo + ", " + hi + "]"
}

func (a Attribute) keys() []string {
	keys := make([]string, len(a.Values))
	for i, v := range a.Values {
		keys[i] = v.Key
	}
	return keys
}

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
