package app_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"cityvitals/model"
)

// TestTeamPlanSendsTheNearestCapableTeam registers two gas teams and one
// water team, dispatches gas incidents near each gas team, and checks that
// the proposed plan sends each incident to the gas team next to it, that
// applying it assigns them, and that a red incident is placed at once.
func TestTeamPlanSendsTheNearestCapableTeam(t *testing.T) {
	h := startApp(t)
	dispatcher, operator := h.tokens[model.RoleDispatcher], h.tokens[model.RoleOperator]
	team := func(name, dept string, lon, lat float64) int64 {
		var out struct{ ID int64 }
		h.do(dispatcher, "POST", "/api/v1/teams", fmt.Sprintf(
			`{"name":%q,"dept":%q,"skills":["gas_leak"],"mode":"car","lon":%g,"lat":%g,"shifts":["daily 00:00-24:00"],"capacity":2}`,
			name, dept, lon, lat), 201, &out)
		return out.ID
	}
	west := team("浦西抢修一队", "gas", 121.44, 31.22)
	east := team("浦东抢修一队", "gas", 121.60, 31.22)
	team("供水抢修队", "water", 121.45, 31.22)
	h.do(h.tokens[model.RoleViewer], "POST", "/api/v1/teams", `{"name":"x","dept":"gas","mode":"car","capacity":1}`, 403, nil)
	h.do(dispatcher, "POST", "/api/v1/teams", `{"name":"bad","dept":"gas","mode":"rocket","capacity":1}`, 400, nil)

	open := func(title string, lon float64, level int) int64 {
		var inc incidentJSON
		h.do(operator, "POST", "/api/v1/incidents", fmt.Sprintf(`{"title":%q,"category":"gas_leak","level":%d,"lon":%g,"lat":31.23,"register":true}`, title, level, lon), 201, &inc)
		h.do(operator, "POST", fmt.Sprintf("/api/v1/incidents/%d/actions/dispatch", inc.ID), `{}`, 200, nil)
		return inc.ID
	}
	nearWest := open("徐家汇燃气异味", 121.43, 2)
	nearEast := open("张江燃气异味", 121.61, 2)

	var prop struct {
		Assignments []struct{ Job, Team int64 }
		Method      string
	}
	body := h.do(dispatcher, "GET", "/api/v1/team-plan", "", 200, &prop)
	got := map[int64]int64{}
	for _, a := range prop.Assignments {
		got[a.Job] = a.Team
	}
	if got[nearWest] != west || got[nearEast] != east || prop.Method == "" {
		t.Fatalf("plan %s: want %d→%d and %d→%d", body, nearWest, west, nearEast, east)
	}
	var plan map[string]any
	if err := json.Unmarshal(body, &plan); err != nil {
		t.Fatal(err)
	}
	delete(plan, "unplaced")
	delete(plan, "incidents")
	planJSON, _ := json.Marshal(plan)
	h.do(dispatcher, "POST", "/api/v1/team-plan/apply", string(planJSON), 200, nil)
	var d struct{ Incident struct{ Team int64 } }
	h.do(dispatcher, "GET", fmt.Sprintf("/api/v1/incidents/%d", nearEast), "", 200, &d)
	if d.Incident.Team != east {
		t.Fatalf("after applying, incident %d has team %d, want %d", nearEast, d.Incident.Team, east)
	}
	h.do(dispatcher, "POST", fmt.Sprintf("/api/v1/incidents/%d/actions/assign", nearEast), `{"team":999}`, 400, nil)

	red := open("陆家嘴燃气管道泄漏", 121.59, 4)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		d.Incident.Team = 0
		h.do(dispatcher, "GET", fmt.Sprintf("/api/v1/incidents/%d", red), "", 200, &d)
		if d.Incident.Team != 0 || time.Now().After(deadline) {
			break
		}
	}
	if d.Incident.Team != east {
		t.Fatalf("the red incident was placed with team %d, want the east team %d", d.Incident.Team, east)
	}
}
