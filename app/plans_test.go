package app_test

import (
	"fmt"
	"os"
	"testing"

	"cityvitals/model"
)

// TestPlanActivationCreatesItsIncidents activates the rainstorm-orange
// plan in 浦东新区: every task becomes an incident dispatched to its
// department at once, the progress page follows them, and the plan cannot
// be activated twice in the same district while active.
func TestPlanActivationCreatesItsIncidents(t *testing.T) {
	h := startApp(t)
	admin, dispatcher, viewer := h.tokens[model.RoleAdmin], h.tokens[model.RoleDispatcher], h.tokens[model.RoleViewer]
	geo, err := os.ReadFile(shanghaiGCJ)
	if err != nil {
		t.Fatal(err)
	}
	h.postRaw(admin, "/api/v1/units/import?level=district&crs=gcj02&create_parents=true", geo, 200, nil)

	var plans struct{ Items []struct{ ID string } }
	h.do(viewer, "GET", "/api/v1/plans", "", 200, &plans)
	if len(plans.Items) < 8 {
		t.Fatalf("%d default plans, want the embedded set", len(plans.Items))
	}
	h.do(viewer, "POST", "/api/v1/plans/rainstorm-orange/activate", `{"unit":"310115","reason":"x"}`, 403, nil)
	var act struct {
		ID    int64
		Tasks []struct {
			Dept       string
			IncidentID int64 `json:"incident_id"`
		}
	}
	h.do(dispatcher, "POST", "/api/v1/plans/rainstorm-orange/activate", `{"unit":"310115","reason":"暴雨橙色预警"}`, 201, &act)
	if len(act.Tasks) < 3 {
		t.Fatalf("activation %+v has too few tasks", act)
	}
	for _, task := range act.Tasks {
		var d struct{ Incident incidentJSON }
		h.do(viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d", task.IncidentID), "", 200, &d)
		if d.Incident.State != "dispatched" || d.Incident.Dept != task.Dept || d.Incident.Source != "plan" {
			t.Fatalf("task for %s: incident %+v", task.Dept, d.Incident)
		}
	}
	var progress struct{ Total, Done, Overdue int }
	h.do(viewer, "GET", fmt.Sprintf("/api/v1/plan-activations/%d/progress", act.ID), "", 200, &progress)
	if progress.Total != len(act.Tasks) || progress.Done != 0 {
		t.Fatalf("progress %+v", progress)
	}
	h.do(dispatcher, "POST", "/api/v1/plans/rainstorm-orange/activate", `{"unit":"310115","reason":"again"}`, 409, nil)
	h.do(dispatcher, "POST", fmt.Sprintf("/api/v1/plan-activations/%d/end", act.ID), "", 200, nil)
	h.do(h.tokens[model.RoleOperator], "PUT", "/api/v1/plans/rainstorm-orange", `{"level":9}`, 400, nil)
}
