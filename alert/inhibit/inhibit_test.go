package inhibit_test

import (
	"strings"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/inhibit"
	"cityvitals/alert/silence"
	"cityvitals/asset"
	"cityvitals/indicator"
	"cityvitals/model"
	"cityvitals/property"
)

var _ alert.Muter = (*inhibit.Inhibitor)(nil)

var t0 = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

// catalogParent returns the parent function of the real default catalog.
func catalogParent(tb testing.TB) inhibit.ParentFunc {
	tb.Helper()
	cat, err := indicator.Default(property.Default(), asset.DefaultTypes())
	if err != nil {
		tb.Fatal(err)
	}
	return func(id string) string {
		p, ok := cat.Program(id)
		if !ok {
			return ""
		}
		return p.Indicator().Parent
	}
}

func newDefault(tb testing.TB) *inhibit.Inhibitor {
	tb.Helper()
	in, err := inhibit.New(inhibit.DefaultRules(), catalogParent(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

// firing returns a firing threshold alert on an indicator in a unit.
func firing(unit, ind, domain string, level int8) model.Alert {
	labels := map[string]string{"unit": unit, "indicator": ind, "domain": domain}
	return model.Alert{Fingerprint: alert.Fingerprint("threshold", labels), Rule: "threshold", Labels: labels,
		Level: level, State: model.AlertFiring, StartsAt: t0.UnixMilli()}
}

func silentDevice(unit string) model.Alert {
	labels := map[string]string{"unit": unit, "device": "meter-" + unit}
	return model.Alert{Fingerprint: alert.Fingerprint("silent", labels), Rule: "silent", Labels: labels,
		Level: 1, State: model.AlertFiring, StartsAt: t0.UnixMilli()}
}

const streetA, streetB = "310101002", "310101013"

func TestPowerOutageMutesSilentDevices(t *testing.T) {
	t.Parallel()
	in := newDefault(t)
	in.Observe(firing(streetA, "power.outage.points", "power", 4))
	in.Observe(firing(streetB, "power.outage.points", "power", 3)) // orange: not a source
	at := t0.Add(time.Minute)
	tests := []struct {
		name   string
		target model.Alert
		want   bool
	}{
		{"silent device in the dark street", silentDevice(streetA), true},
		{"silent device in a street with an orange outage", silentDevice(streetB), false},
		{"silent device elsewhere", silentDevice("310104003"), false},
		{"other alert in the dark street", firing(streetA, "gas.leak", "gas", 1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := in.Mutes(tc.target, at); got != tc.want {
				t.Errorf("Mutes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRedParentMutesYellowChildren(t *testing.T) {
	t.Parallel()
	in := newDefault(t)
	parent := firing(streetA, "gas.leak", "gas", 4)
	in.Update([]model.Alert{parent, firing(streetA, "gas.pressure_drop", "gas", 3)})
	at := t0.Add(time.Minute)
	tests := []struct {
		name   string
		target model.Alert
		want   bool
	}{
		{"yellow child, same unit", firing(streetA, "gas.leak.manholes", "gas", 2), true},
		{"blue child, same unit", firing(streetA, "gas.leak.kitchens", "gas", 1), true},
		{"orange child, same unit", firing(streetA, "gas.leak.manholes", "gas", 3), false},
		{"yellow child, other unit", firing(streetB, "gas.leak.manholes", "gas", 2), false},
		{"yellow child of an orange parent", firing(streetA, "gas.pressure_drop.regulators", "gas", 2), false},
		{"yellow sibling core indicator", firing(streetA, "gas.monitoring", "gas", 2), false},
		{"the parent itself", parent, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := in.Mutes(tc.target, at); got != tc.want {
				t.Errorf("Mutes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSourceLifecycle(t *testing.T) {
	t.Parallel()
	in := newDefault(t)
	src := firing(streetA, "gas.leak", "gas", 4)
	child := firing(streetA, "gas.leak.manholes", "gas", 2)
	at := t0.Add(time.Minute)

	in.Observe(src)
	if rule, fp, ok := in.InhibitedBy(child, at); !ok || rule != "red-parent-mutes-yellow-children" || fp != src.Fingerprint {
		t.Errorf("InhibitedBy = %q, %q, %v; want the parent rule and source %s", rule, fp, ok, src.Fingerprint)
	}
	why := alert.Muters{in}.Explain(child, at)
	if why == nil || why.InhibitRule != "red-parent-mutes-yellow-children" || why.InhibitedBy != src.Fingerprint || len(why.Silences) != 0 {
		t.Errorf("Explain = %+v; want the parent rule and source %s", why, src.Fingerprint)
	}
	if in.Mutes(child, t0.Add(-time.Minute)) {
		t.Error("a source muted a change from before its start")
	}
	if why := (alert.Muters{in}).Explain(child, t0.Add(-time.Minute)); why != nil {
		t.Errorf("Explain of an unmuted change = %+v, want nil", why)
	}
	src.Level = 3 // relevelled to orange: no longer a source
	in.Observe(src)
	if in.Mutes(child, at) {
		t.Error("an orange parent still mutes")
	}
	src.Level = 4
	in.Observe(src)
	src.State = model.AlertResolved
	in.Observe(src)
	if in.Mutes(child, at) {
		t.Error("a resolved parent still mutes")
	}
}

func TestNewRejectsBadRules(t *testing.T) {
	t.Parallel()
	valid := inhibit.Rule{Name: "r", Target: []silence.Matcher{{Name: "rule", Op: silence.OpEqual, Value: "silent"}}}
	tests := []struct {
		name   string
		change func(*inhibit.Rule)
		parent inhibit.ParentFunc
		want   string
	}{
		{"no name", func(r *inhibit.Rule) { r.Name = "" }, nil, "rules[0].name"},
		{"bad source regexp", func(r *inhibit.Rule) {
			r.Source = []silence.Matcher{{Name: "unit", Op: silence.OpRegexp, Value: "("}}
		}, nil, "rules[0].source: matchers[0].value"},
		{"bad target op", func(r *inhibit.Rule) { r.Target[0].Op = "==" }, nil, "rules[0].target: matchers[0].op"},
		{"level out of range", func(r *inhibit.Rule) { r.SourceMinLevel = 5 }, nil, "rules[0].source_min_level"},
		{"empty equal label", func(r *inhibit.Rule) { r.Equal = []string{"unit", ""} }, nil, "rules[0].equal[1]"},
		{"parent rule without catalog", func(r *inhibit.Rule) { r.SourceIsParent = true }, nil, "rules[0].source_is_parent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := valid
			r.Target = append([]silence.Matcher(nil), valid.Target...)
			tc.change(&r)
			_, err := inhibit.New([]inhibit.Rule{r}, tc.parent)
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error %v, want EINVALID naming %s", err, tc.want)
			}
		})
	}
	if _, err := inhibit.New([]inhibit.Rule{valid, valid}, nil); model.ErrorCode(err) != model.EINVALID {
		t.Errorf("duplicate rule names: error %v, want EINVALID", err)
	}
}
