package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"cityvitals/account"
	"cityvitals/model"
)

// TestCitizenReportBecomesAnIncidentAndHearsBack posts a gas smell
// through Open311 with a citizen app's api_key: it opens an incident, a
// second report nearby joins the same incident, and as the incident is
// registered and dispatched the report's status follows; the reporter's
// phone is masked for a dispatcher and never shown by Open311.
func TestCitizenReportBecomesAnIncidentAndHearsBack(t *testing.T) {
	h := startApp(t)
	ctx := context.Background()
	geo, err := os.ReadFile(shanghaiGCJ)
	if err != nil {
		t.Fatal(err)
	}
	h.postRaw(h.tokens[model.RoleAdmin], "/api/v1/units/import?level=district&crs=gcj02&create_parents=true", geo, 200, nil)
	app311, err := h.app.Accounts.CreateUser(ctx, "test", account.NewUser{Name: "citizen-app", Password: "correct horse battery", Role: model.RoleCitizen})
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := h.app.Accounts.IssueToken(ctx, "test", account.NewToken{Kind: model.TokenAPI, UserID: app311.ID})
	if err != nil {
		t.Fatal(err)
	}
	post := func(lon float64, phone string) string {
		form := url.Values{"api_key": {key}, "service_code": {"gas_smell"}, "lat": {"31.2304"}, "long": {fmt.Sprint(lon)},
			"description": {"楼道里有煤气味"}, "attribute[location_kind]": {"stairwell"}, "phone": {phone}}
		resp, err := http.PostForm(h.base+"/open311/v2/requests.json", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out []struct {
			ID string `json:"service_request_id"`
		}
		if resp.StatusCode != 201 && resp.StatusCode != 200 {
			t.Fatalf("POST requests.json: %s", resp.Status)
		}
		if err := decode(resp, &out); err != nil || len(out) != 1 || out[0].ID == "" {
			t.Fatalf("POST requests.json: %v %+v", err, out)
		}
		return out[0].ID
	}
	first := post(121.4737, "13812345678")
	post(121.4740, "13900001111") // 30 m away: the same gas smell

	var list struct{ Items []incidentJSON }
	h.do(h.tokens[model.RoleViewer], "GET", "/api/v1/incidents?source=report", "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].Category != "gas_leak" || list.Items[0].State != "reported" {
		t.Fatalf("incidents from two reports of one gas smell: %+v", list.Items)
	}
	inc := list.Items[0]
	operator := h.tokens[model.RoleOperator]
	h.do(operator, "POST", fmt.Sprintf("/api/v1/incidents/%d/actions/register", inc.ID), `{}`, 200, nil)
	h.do(operator, "POST", fmt.Sprintf("/api/v1/incidents/%d/actions/dispatch", inc.ID), `{}`, 200, nil)

	resp, err := http.Get(h.base + "/open311/v2/requests/" + first + ".json?api_key=" + url.QueryEscape(key))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []map[string]any
	if err := decode(resp, &got); err != nil || len(got) != 1 {
		t.Fatalf("GET request: %v %+v", err, got)
	}
	if got[0]["status"] != "open" || got[0]["service_code"] != "gas_smell" {
		t.Fatalf("report after dispatch: %+v", got[0])
	}
	for k := range got[0] {
		if k == "phone" || k == "email" || k == "first_name" {
			t.Fatalf("Open311 showed personal field %q", k)
		}
	}
	var reports struct {
		Items []map[string]any
	}
	body := h.do(h.tokens[model.RoleDispatcher], "GET", "/api/v1/reports", "", 200, &reports)
	if strings.Contains(string(body), "13812345678") || !strings.Contains(string(body), "138****5678") {
		t.Fatalf("dispatcher's view of reports is not masked: %s", body)
	}
	if len(reports.Items) != 2 || reports.Items[0]["status"] != "dispatched" || reports.Items[1]["status"] != "dispatched" {
		t.Fatalf("report statuses after dispatch: %s", body)
	}
	resp2, _ := http.Get(h.base + "/open311/v2/services.json")
	resp2.Body.Close()
	if resp2.StatusCode != 403 {
		t.Fatalf("Open311 without api_key: %s, want 403", resp2.Status)
	}
}

func decode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// TestGasSmellReportsJoinTheDetectorsCluster: two citizens smell gas
// next to a gas detector in alarm; together they make a cluster.
func TestGasSmellReportsJoinTheDetectorsCluster(t *testing.T) {
	h := startApp(t)
	ctx := context.Background()
	geo, err := os.ReadFile(shanghaiGCJ)
	if err != nil {
		t.Fatal(err)
	}
	h.postRaw(h.tokens[model.RoleAdmin], "/api/v1/units/import?level=district&crs=gcj02&create_parents=true", geo, 200, nil)
	var ds struct{ ID int64 }
	h.do(h.tokens[model.RoleAdmin], "POST", "/api/v1/datastreams", `{"key":"mh-1/lel","property":"gas_lel","interval":"1m","location":{"lon":121.4737,"lat":31.2304}}`, 201, &ds)
	now := time.Now().Truncate(time.Minute)
	h.do(h.device, "POST", "/api/v1/observations", fmt.Sprintf(`[{"datastream":%d,"time":%d,"value":2},{"datastream":%d,"time":%d,"value":30}]`,
		ds.ID, now.Add(-3*time.Minute).UnixMilli(), ds.ID, now.Add(-time.Minute).UnixMilli()), 200, nil)
	app311, err := h.app.Accounts.CreateUser(ctx, "test", account.NewUser{Name: "citizen-app", Password: "correct horse battery", Role: model.RoleCitizen})
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := h.app.Accounts.IssueToken(ctx, "test", account.NewToken{Kind: model.TokenAPI, UserID: app311.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, lon := range []string{"121.4745", "121.4750"} {
		resp, err := http.PostForm(h.base+"/open311/v2/requests.json", url.Values{"api_key": {key}, "service_code": {"gas_smell"},
			"lat": {"31.2304"}, "long": {lon}, "attribute[location_kind]": {"street"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 && resp.StatusCode != 200 {
			t.Fatalf("report: %s", resp.Status)
		}
	}
	var list struct {
		Items []struct {
			Evidence map[string]any
			Labels   map[string]string
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		h.do(h.tokens[model.RoleViewer], "GET", "/api/v1/alerts?rule=cluster&state=firing", "", 200, &list)
		if len(list.Items) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(list.Items) != 1 || list.Items[0].Labels["kind"] != "gas_leak" || list.Items[0].Evidence["count"] != 3.0 {
		t.Fatalf("cluster alerts %+v: want one gas_leak cluster of a detector and two reports", list.Items)
	}
}
