package silence

import (
	"strings"
	"testing"

	"cityvitals/model"
)

func TestMatcherSemantics(t *testing.T) {
	t.Parallel()
	labels := map[string]string{"unit": "310101", "indicator": "gas.leak.manholes", "domain": "gas"}
	tests := []struct {
		name    string
		matcher Matcher
		want    bool
	}{
		{"equal hit", Matcher{"unit", OpEqual, "310101"}, true},
		{"equal miss", Matcher{"unit", OpEqual, "310104"}, false},
		{"equal is not a prefix match", Matcher{"unit", OpEqual, "3101"}, false},
		{"not equal hit", Matcher{"unit", OpNotEqual, "310104"}, true},
		{"not equal miss", Matcher{"unit", OpNotEqual, "310101"}, false},
		{"regexp whole value", Matcher{"indicator", OpRegexp, `gas\..*`}, true},
		{"regexp anchored at start", Matcher{"indicator", OpRegexp, `leak.*`}, false},
		{"regexp anchored at end", Matcher{"indicator", OpRegexp, `gas\.leak`}, false},
		{"regexp alternation anchored as a group", Matcher{"domain", OpRegexp, `power|gas`}, true},
		{"alternation does not leak past the anchor", Matcher{"indicator", OpRegexp, `power|gas`}, false},
		{"not regexp hit", Matcher{"indicator", OpNotRegexp, `power\..*`}, true},
		{"not regexp miss", Matcher{"indicator", OpNotRegexp, `gas\..*`}, false},
		{"missing label equals empty", Matcher{"asset", OpEqual, ""}, true},
		{"missing label differs from a value", Matcher{"asset", OpNotEqual, "mh-1"}, true},
		{"missing label fails equal", Matcher{"asset", OpEqual, "mh-1"}, false},
		{"missing label matches .*", Matcher{"asset", OpRegexp, ".*"}, true},
		{"missing label fails .+", Matcher{"asset", OpRegexp, ".+"}, false},
		{"present label fails empty equal", Matcher{"unit", OpEqual, ""}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sel, err := Compile([]Matcher{tc.matcher})
			if err != nil {
				t.Fatal(err)
			}
			if got := sel.Matches(labels); got != tc.want {
				t.Errorf("%s on %v = %v, want %v", tc.matcher, labels, got, tc.want)
			}
		})
	}
}

func TestSelectorNeedsEveryMatcher(t *testing.T) {
	t.Parallel()
	sel := MustCompile([]Matcher{{"unit", OpEqual, "310101"}, {"domain", OpEqual, "gas"}})
	if !sel.Matches(map[string]string{"unit": "310101", "domain": "gas"}) {
		t.Error("both matchers hold, selector does not match")
	}
	if sel.Matches(map[string]string{"unit": "310101", "domain": "power"}) {
		t.Error("one matcher fails, selector still matches")
	}
}

func TestCompileErrorsNameIndexAndField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		matchers []Matcher
		want     string
	}{
		{"invalid regexp", []Matcher{{"unit", OpEqual, "1"}, {"indicator", OpRegexp, "gas.("}}, "matchers[1].value: invalid regular expression"},
		{"bad operator", []Matcher{{"unit", "==", "1"}}, "matchers[0].op"},
		{"empty name", []Matcher{{"", OpEqual, "1"}}, "matchers[0].name"},
		{"name with a dash", []Matcher{{"a-b", OpEqual, "1"}}, "matchers[0].name"},
		{"name starting with a digit", []Matcher{{"1a", OpEqual, "1"}}, "matchers[0].name"},
		{"value too long", []Matcher{{"unit", OpRegexp, strings.Repeat("a", maxValueLen+1)}}, "matchers[0].value: longer than"},
		{"invalid utf-8", []Matcher{{"unit", OpEqual, "\xff"}}, "matchers[0].value: not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tc.matchers)
			if model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("Compile(%v) error %v, want EINVALID", tc.matchers, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestMatchesEverything(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		matchers []Matcher
		want     bool
	}{
		{"none", nil, true},
		{"dot star", []Matcher{{"unit", OpRegexp, ".*"}}, true},
		{"not equal only", []Matcher{{"unit", OpNotEqual, "310101"}}, true},
		{"one needs a value", []Matcher{{"unit", OpNotEqual, "310101"}, {"domain", OpEqual, "gas"}}, false},
		{"dot plus", []Matcher{{"unit", OpRegexp, ".+"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := MustCompile(tc.matchers).MatchesEverything(); got != tc.want {
				t.Errorf("MatchesEverything(%v) = %v, want %v", tc.matchers, got, tc.want)
			}
		})
	}
}

func TestAlertLabelsAddPseudoLabels(t *testing.T) {
	t.Parallel()
	a := model.Alert{Rule: "threshold", Level: 3, Labels: map[string]string{"unit": "310101", "level": "bogus"}}
	got := AlertLabels(a)
	want := map[string]string{"unit": "310101", "rule": "threshold", "level": "orange"}
	if len(got) != len(want) {
		t.Fatalf("AlertLabels = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("AlertLabels[%q] = %q, want %q", k, got[k], v)
		}
	}
	if a.Labels["level"] != "bogus" {
		t.Error("AlertLabels changed the alert's own labels")
	}
}
