package app_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"cityvitals/account"
	"cityvitals/app"
	"cityvitals/model"
)

// TestGasCampaignFromInspectionToCloseOut runs a gas-safety campaign over
// 黄浦区 through the API: tasks from the household meters in scope, an
// inspection that finds a major hazard, the hazard raising the gas risk
// in the vital signs, rectification, a refused self-verification, the
// close-out by an inspector, and the district report in three formats.
func TestGasCampaignFromInspectionToCloseOut(t *testing.T) {
	h := startAppWith(t, func(c *app.Config) { c.EscalationEvery = 200 * time.Millisecond })
	admin, operator, inspector := h.tokens[model.RoleAdmin], h.tokens[model.RoleOperator], h.tokens[model.RoleInspector]
	worker := h.login(account.NewUser{Name: "wang.gas", Role: model.RoleField, Dept: "gas"})
	geo, err := os.ReadFile(shanghaiGCJ)
	if err != nil {
		t.Fatal(err)
	}
	h.postRaw(admin, "/api/v1/units/import?level=district&crs=gcj02&create_parents=true", geo, 200, nil)
	h.do(admin, "POST", "/api/v1/units/310101/grid", `{"cell_m":1000}`, 200, nil)
	meters := `{"type":"FeatureCollection","features":[
		{"type":"Feature","id":"m-1","properties":{"id":"m-1"},"geometry":{"type":"Point","coordinates":[121.4737,31.2304]}},
		{"type":"Feature","id":"m-2","properties":{"id":"m-2"},"geometry":{"type":"Point","coordinates":[121.4800,31.2250]}},
		{"type":"Feature","id":"m-3","properties":{"id":"m-3"},"geometry":{"type":"Point","coordinates":[121.5055,31.2355]}}]}`
	h.postRaw(admin, "/api/v1/assets/import?type=household_gas_meter&crs=wgs84", []byte(meters), 200, nil)

	now := time.Now()
	var c struct{ ID int64 }
	h.do(operator, "POST", "/api/v1/campaigns", fmt.Sprintf(`{"name":"黄浦区城镇燃气安全专项整治","domain":"gas","units":["310101"],
		"start_at":%d,"end_at":%d,"depts":["gas"],"checklists":["household_gas"]}`, now.Add(-time.Hour).UnixMilli(), now.Add(90*24*time.Hour).UnixMilli()), 201, &c)
	base := fmt.Sprintf("/api/v1/campaigns/%d", c.ID)
	var gen struct{ Created int }
	h.do(operator, "POST", base+"/tasks/generate", "", 200, &gen)
	if gen.Created != 2 {
		t.Fatalf("generated %d tasks, want the 2 meters in 黄浦区 (m-3 is in 浦东)", gen.Created)
	}
	var tasks struct {
		Items []struct {
			ID    int64
			Asset string
		}
	}
	h.do(worker, "GET", base+"/tasks", "", 200, &tasks)

	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	var photo struct{ Hash string }
	h.postRaw(worker, "/api/v1/files?name=basement.png", png, 201, &photo)
	var items []string
	for i := 1; i <= 12; i++ {
		if i == 7 { // LPG kept in the basement: a major hazard
			items = append(items, fmt.Sprintf(`{"item":"H07","outcome":"fail","photos":[%q]}`, photo.Hash))
			continue
		}
		items = append(items, fmt.Sprintf(`{"item":"H%02d","outcome":"ok"}`, i))
	}
	inspection := fmt.Sprintf(`{"task":%d,"at":%d,"photos":[%q],"items":[%s]}`, tasks.Items[0].ID, now.UnixMilli(), photo.Hash, strings.Join(items, ","))
	h.do(worker, "POST", base+"/inspections", strings.Replace(inspection, photo.Hash, strings.Repeat("0", 64), 1), 400, nil)
	var out struct {
		Hazards []struct {
			ID       int64
			Severity string
			State    string
		}
	}
	h.do(worker, "POST", base+"/inspections", inspection, 201, &out)
	if len(out.Hazards) != 1 || out.Hazards[0].Severity != "major" {
		t.Fatalf("inspection found %+v, want one major hazard", out.Hazards)
	}
	hazard := fmt.Sprintf("/api/v1/hazards/%d", out.Hazards[0].ID)

	// The open major hazard raises the gas risk of its grid in the vital signs.
	warned := func(l string) bool { return l == "yellow" || l == "orange" || l == "red" }
	var level string
	for deadline := time.Now().Add(15 * time.Second); !warned(level) && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		h.app.Engine.Flush()
		level = indicatorLevel(t, h, "310101", "gas.hazards.major_open")
	}
	if !warned(level) {
		t.Fatalf("gas.hazards.major_open in 310101 is %q, want yellow or above while the major hazard is open", level)
	}

	h.do(worker, "POST", hazard+"/plan", fmt.Sprintf(`{"owner":"张师傅","deadline":%d,"measures":"关闭气瓶阀门，搬离地下室前禁止使用","milestones":[{"due":%d,"title":"气瓶搬出地下室"}]}`,
		now.Add(10*24*time.Hour).UnixMilli(), now.Add(3*24*time.Hour).UnixMilli()), 200, nil)
	h.do(worker, "POST", hazard+"/milestones/1/done", fmt.Sprintf(`{"note":"已搬出","evidence":[%q]}`, photo.Hash), 200, nil)
	h.do(worker, "POST", hazard+"/rectify", `{"note":"气瓶已移出"}`, 400, nil) // no evidence
	h.do(worker, "POST", hazard+"/rectify", fmt.Sprintf(`{"note":"气瓶已移出","evidence":[%q]}`, photo.Hash), 200, nil)
	h.do(worker, "POST", hazard+"/verify", fmt.Sprintf(`{"pass":true,"evidence":[%q]}`, photo.Hash), 403, nil) // field workers do not verify
	var closed struct{ State string }
	h.do(inspector, "POST", hazard+"/verify", fmt.Sprintf(`{"pass":true,"note":"复查合格","evidence":[%q]}`, photo.Hash), 200, &closed)
	if closed.State != "closed" {
		t.Fatalf("after verification the hazard is %q, want closed", closed.State)
	}

	var report struct {
		Rows  []struct{ Key string }
		Total map[string]any
	}
	h.do(operator, "GET", base+"/report?by=district", "", 200, &report)
	if len(report.Rows) != 1 || report.Rows[0].Key != "310101" {
		t.Fatalf("district report %+v", report)
	}
	for _, f := range []struct{ path, ctype string }{{"/report.csv", "text/csv"}, {"/report.xlsx", "spreadsheetml"}} {
		req, _ := http.NewRequest("GET", h.base+base+f.path+"?by=dept", nil)
		req.Header.Set("Authorization", "Bearer "+operator)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), f.ctype) || len(body) < 50 {
			t.Fatalf("%s: %s %q %d bytes", f.path, resp.Status, resp.Header.Get("Content-Type"), len(body))
		}
	}
	h.do(h.tokens[model.RoleViewer], "POST", "/api/v1/campaigns", `{}`, 403, nil)
}

// indicatorLevel finds an indicator's level name in a unit's vital signs
// ("" when the unit does not have it).
func indicatorLevel(t *testing.T, h *harness, unit, id string) string {
	t.Helper()
	type sign struct {
		ID, Level string
		Subs      []sign
	}
	var vitals struct {
		Domains []struct{ Indicators []sign }
	}
	h.do(h.tokens[model.RoleViewer], "GET", "/api/v1/vitals/units/"+unit, "", 200, &vitals)
	var find func([]sign) string
	find = func(signs []sign) string {
		for _, s := range signs {
			if s.ID == id {
				return s.Level
			}
			if l := find(s.Subs); l != "" {
				return l
			}
		}
		return ""
	}
	for _, d := range vitals.Domains {
		if l := find(d.Indicators); l != "" {
			return l
		}
	}
	return ""
}
