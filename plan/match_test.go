package plan_test

import (
	"strings"
	"testing"

	"cityvitals/model"
	"cityvitals/plan"
)

func firing(indicator, unit string, level int8) model.Alert {
	domain, _, _ := strings.Cut(indicator, ".")
	return model.Alert{
		Fingerprint: "fp-" + strings.ReplaceAll(indicator, ".", "-") + "-" + unit, Rule: "threshold",
		Labels: map[string]string{"domain": domain, "indicator": indicator, "unit": unit},
		Level:  level, State: model.AlertFiring, SummaryZH: "测试告警", SummaryEN: "test alert",
	}
}

func planIDs(plans []model.Plan) string {
	ids := make([]string, len(plans))
	for i, p := range plans {
		ids[i] = p.ID
	}
	return strings.Join(ids, ",")
}

func TestMatchAlert(t *testing.T) {
	t.Parallel()
	f := seeded(t)
	pending := firing("weather.rainstorm", "310101", 4)
	pending.State = model.AlertPending
	resolved := firing("gas.leak", "g-310101-0042", 4)
	resolved.State = model.AlertResolved
	otherRule := firing("gas.leak", "g-310101-0042", 4)
	otherRule.Labels["indicator"] = "gas.leak.manholes"

	tests := []struct {
		name  string
		alert model.Alert
		want  string
	}{
		{"rainstorm red in a district", firing("weather.rainstorm", "310101", 4), "rainstorm-red"},
		{"rainstorm orange", firing("weather.rainstorm", "310101", 3), "rainstorm-orange"},
		{"rainstorm yellow", firing("weather.rainstorm", "310104", 2), "rainstorm-yellow"},
		{"rainstorm blue", firing("weather.rainstorm", "310101", 1), "rainstorm-blue"},
		{"rainstorm in a street, not a district", firing("weather.rainstorm", "310101001", 4), ""},
		{"rainstorm in an unknown unit", firing("weather.rainstorm", "999999", 4), ""},
		{"rainstorm rolled up to the city", firing("weather.rainstorm", "310000", 4), ""},
		{"gas leak at 25 %LEL in a grid", firing("gas.leak", "g-310101-0042", 3), "gas-leak"},
		{"gas leak below the plan's level", firing("gas.leak", "g-310101-0042", 2), ""},
		{"another gas indicator", otherRule, ""},
		{"crowd density", firing("crowd.density", "g-310101-0042", 4), "crowd-metro"},
		{"cold wave", firing("weather.coldwave", "310104", 3), "cold-wave-orange"},
		{"power cut in a street", firing("power.outage.points", "310101001", 3), "power-cut"},
		{"power cut city-wide", firing("power.outage", "310000", 4), "power-cut"},
		{"pending", pending, ""},
		{"resolved", resolved, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := planIDs(f.svc.MatchAlert(tc.alert)); got != tc.want {
				t.Errorf("MatchAlert = %q, want %q", got, tc.want)
			}
		})
	}

	// Without a way to tell unit levels, unit_level triggers match nothing.
	blind, err := plan.NewService(f.db, f.incidents, nil, f.clock.Now)
	mustNil(t, err)
	mustNil(t, blind.Refresh(t.Context()))
	if got := blind.MatchAlert(firing("weather.rainstorm", "310101", 4)); len(got) != 0 {
		t.Errorf("without a unit-level resolver a unit_level trigger matched %q", planIDs(got))
	}
}

func TestMatchAlertFollowsPlanChanges(t *testing.T) {
	t.Parallel()
	f := seeded(t, rainstormPlans...)
	ctx := t.Context()
	red := firing("weather.rainstorm", "310101", 4)

	// Another event type answering the same alert comes back too.
	extra := customPlan("storm-schools")
	extra.EventType = "school_closure"
	extra.Triggers = []model.PlanTrigger{{Domain: "weather", MinLevel: 4}}
	_, err := f.svc.Put(ctx, "li.na", extra)
	mustNil(t, err)
	if got := planIDs(f.svc.MatchAlert(red)); got != "rainstorm-red,storm-schools" {
		t.Errorf("with a second event type: %q", got)
	}

	// Retiring the red plan hands the alert to the orange one.
	p, err := f.svc.Plan(ctx, "rainstorm-red")
	mustNil(t, err)
	p.Retired = true
	_, err = f.svc.Put(ctx, "li.na", p)
	mustNil(t, err)
	if got := planIDs(f.svc.MatchAlert(red)); got != "rainstorm-orange,storm-schools" {
		t.Errorf("after retiring rainstorm-red: %q", got)
	}

	// A fresh service over the same store sees the same after Refresh.
	other, err := plan.NewService(f.db, f.incidents, nil, f.clock.Now, plan.WithUnitLevels(unitLevel))
	mustNil(t, err)
	if got := other.MatchAlert(red); len(got) != 0 {
		t.Errorf("before Refresh a new service matched %q", planIDs(got))
	}
	mustNil(t, other.Refresh(ctx))
	if got := planIDs(other.MatchAlert(red)); got != "rainstorm-orange,storm-schools" {
		t.Errorf("after Refresh: %q", got)
	}
}

func TestActivateForAlert(t *testing.T) {
	t.Parallel()
	f := seeded(t, rainstormPlans...)
	ctx := t.Context()
	alert := firing("weather.rainstorm", "310101", 4)

	made, err := f.svc.ActivateForAlert(ctx, "alerting", alert)
	mustNil(t, err)
	if len(made) != 1 || made[0].PlanID != "rainstorm-red" || made[0].Unit != "310101" || made[0].AlertFingerprint != alert.Fingerprint {
		t.Fatalf("activations %+v", made)
	}
	if !strings.Contains(made[0].Reason, alert.Fingerprint) || !strings.Contains(made[0].Reason, "测试告警") {
		t.Errorf("reason %q should name the alert and its summary", made[0].Reason)
	}
	opened := f.incidents.calls()
	for _, inc := range opened {
		if len(inc.Alerts) != 1 || inc.Alerts[0] != alert.Fingerprint {
			t.Errorf("incident %d links alerts %v, want [%s]", inc.ID, inc.Alerts, alert.Fingerprint)
		}
	}

	// The alert fires again (an update): the plan is active, nothing new.
	made, err = f.svc.ActivateForAlert(ctx, "alerting", alert)
	mustNil(t, err)
	if len(made) != 0 || len(f.incidents.calls()) != len(opened) {
		t.Errorf("a repeated alert made %d activations and %d incidents", len(made), len(f.incidents.calls())-len(opened))
	}

	// A summary written from data may carry anything; it still activates.
	yellow := firing("weather.rainstorm", "310104", 2)
	yellow.SummaryZH = "雨量\x1b[31m " + strings.Repeat("很大", 2000)
	made, err = f.svc.ActivateForAlert(ctx, "alerting", yellow)
	if err != nil || len(made) != 1 || made[0].PlanID != "rainstorm-yellow" {
		t.Errorf("alert with a hostile summary: %v, %v", made, err)
	}

	made, err = f.svc.ActivateForAlert(ctx, "alerting", firing("env.aqi", "310101", 4))
	if len(made) != 0 || err != nil {
		t.Errorf("an alert no plan answers: %v, %v", made, err)
	}

	smog := customPlan("smog")
	smog.Triggers = []model.PlanTrigger{{Indicator: "env.aqi", MinLevel: 4}}
	_, err = f.svc.Put(ctx, "li.na", smog)
	mustNil(t, err)
	noUnit := firing("env.aqi", "", 4)
	delete(noUnit.Labels, "unit")
	_, err = f.svc.ActivateForAlert(ctx, "alerting", noUnit)
	wantError(t, err, model.EINVALID, "no unit label")
}
