package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"cityvitals/app"
	"cityvitals/model"
)

// TestVitalSignsThroughTheAPI drives one gas detector through the levels
// of the default catalog's gas-leak indicator and checks what the
// dashboard sees: the live SSE feed, the unit's vital signs, and the
// stored level changes.
func TestVitalSignsThroughTheAPI(t *testing.T) {
	h := startApp(t)
	admin, viewer := h.tokens[model.RoleAdmin], h.tokens[model.RoleViewer]
	var ds struct{ ID int64 }
	h.do(admin, "POST", "/api/v1/datastreams", `{"key":"mh-1/lel","property":"gas_lel","interval":"1m"}`, 201, &ds)

	events := make(chan map[string]any, 100)
	req, _ := http.NewRequest("GET", h.base+"/api/v1/vitals/changes/stream?after=now", nil)
	req.Header.Set("Authorization", "Bearer "+viewer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("SSE: %d %s", resp.StatusCode, body)
	}
	defer resp.Body.Close()
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev map[string]any
				if json.Unmarshal([]byte(data), &ev) == nil {
					events <- ev
				}
			}
		}
	}()

	start := time.Now().Add(-30 * time.Minute).Truncate(time.Minute)
	var lines []string
	for i, v := range []float64{3, 4, 12, 22, 30, 55} {
		lines = append(lines, fmt.Sprintf(`{"datastream":%d,"time":%d,"value":%g}`, ds.ID, start.Add(time.Duration(i)*time.Minute).UnixMilli(), v))
	}
	h.do(h.device, "POST", "/api/v1/observations", strings.Join(lines, "\n"), 200, nil)
	h.app.Engine.Flush()

	deadline := time.After(10 * time.Second)
	for red := false; !red; {
		select {
		case ev := <-events:
			red = ev["indicator"] == "gas.leak" && ev["to"] == "red" && ev["unit"] == "city"
		case <-deadline:
			t.Fatal("no level change to red for gas.leak arrived on the SSE stream")
		}
	}

	var vit struct {
		Worst   string
		Domains []struct {
			Domain     string
			Indicators []struct {
				ID    string
				Level string
				Value *float64
				Trend []float64
			}
		}
	}
	h.do(viewer, "GET", "/api/v1/vitals/units/city", "", 200, &vit)
	found := false
	for _, d := range vit.Domains {
		for _, ind := range d.Indicators {
			if ind.ID == "gas.leak" {
				found = true
				if ind.Level != "red" || ind.Value == nil || *ind.Value != 55 {
					t.Fatalf("gas.leak in the city = %+v, want red at 55", ind)
				}
			}
		}
	}
	if !found || vit.Worst != "red" {
		t.Fatalf("city vitals: gas.leak found %v, worst %q; want found and red", found, vit.Worst)
	}
	var changes struct {
		Items []struct{ From, To, Indicator string }
	}
	h.do(viewer, "GET", "/api/v1/vitals/changes?indicator=gas.leak&unit=city", "", 200, &changes)
	var path []string
	for _, c := range changes.Items {
		path = append(path, c.To)
	}
	if got := strings.Join(path, ","); !strings.HasSuffix(got, "blue,yellow,orange,red") {
		t.Fatalf("stored gas.leak changes go %s, want …blue,yellow,orange,red", got)
	}
	var cat struct{ Items []struct{ Domain string } }
	h.do(viewer, "GET", "/api/v1/indicators", "", 200, &cat)
	if len(cat.Items) < 10 {
		t.Fatalf("catalog has %d domains, want ≥ 10", len(cat.Items))
	}
}

// TestRestartRebuildsVitalSigns stops a platform that holds vital signs and
// starts it again on the same data directory: before it serves, the engine
// must have rebuilt the same signs from the stored history.
func TestRestartRebuildsVitalSigns(t *testing.T) {
	dir := t.TempDir()
	h := startAppWith(t, func(c *app.Config) { c.DataDir = dir })
	admin := h.tokens[model.RoleAdmin]
	var ds struct{ ID int64 }
	h.do(admin, "POST", "/api/v1/datastreams", `{"key":"mh-9/lel","property":"gas_lel","interval":"1m"}`, 201, &ds)
	start := time.Now().Add(-20 * time.Minute).Truncate(time.Minute)
	var lines []string
	for i, v := range []float64{3, 8, 14, 26} {
		lines = append(lines, fmt.Sprintf(`{"datastream":%d,"time":%d,"value":%g}`, ds.ID, start.Add(time.Duration(i)*time.Minute).UnixMilli(), v))
	}
	h.do(h.device, "POST", "/api/v1/observations", strings.Join(lines, "\n"), 200, nil)
	h.app.Engine.Flush()
	before, _ := h.app.Engine.Signs("")
	if len(before.Signs) == 0 {
		t.Fatalf("no signs before the restart: %+v", before)
	}
	h.stop()

	again, err := app.Open(context.Background(), app.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	again.Engine.Flush()
	after, _ := again.Engine.Signs("")
	if fmt.Sprint(after.Signs) != fmt.Sprint(before.Signs) || after.Worst != before.Worst {
		t.Fatalf("signs after the restart differ:\nbefore %+v\nafter  %+v", before, after)
	}
}

// TestIndicatorCatalogChangesThroughTheAPI refuses a broken change with
// the line and field at fault, keeping the catalog in force, and applies
// a good one.
func TestIndicatorCatalogChangesThroughTheAPI(t *testing.T) {
	h := startApp(t)
	operator, viewer := h.tokens[model.RoleOperator], h.tokens[model.RoleViewer]
	good := `domain: gas
indicators:
  - id: gas.leak.wells
    parent: gas.leak
    name_zh: 阀门井可燃气体
    name_en: Gas in valve wells
    unit: "%LEL"
    dept: 市燃气管理处
    level: grid
    window: 10m
    expr: max(gas_lel.on("gas_valve"))
    direction: high
    thresholds: {yellow: 20, orange: 25, red: 50}
    rollup: worst
    why_zh: 阀门井是燃气积聚的高风险空间。
    why_en: Valve wells are where leaking gas collects.
    sources: {thresholds: "GB/T 50493-2019 §5.5"}
`
	broken := strings.Replace(good, "max(gas_lel.on(\"gas_valve\"))", "max(no_such_property)", 1)
	body := h.do(operator, "PUT", "/api/v1/indicators", broken, 400, nil)
	if !strings.Contains(string(body), "request body:11") || !strings.Contains(string(body), "no_such_property") {
		t.Fatalf("refusal %s does not name line 11 and the unknown property", body)
	}
	h.do(viewer, "GET", "/api/v1/indicators/gas.leak.wells", "", 404, nil)
	h.do(viewer, "PUT", "/api/v1/indicators", good, 403, nil)
	h.do(operator, "PUT", "/api/v1/indicators", good, 200, nil)
	var ind struct{ Parent, Expr string }
	h.do(viewer, "GET", "/api/v1/indicators/gas.leak.wells", "", 200, &ind)
	if ind.Parent != "gas.leak" || !strings.Contains(ind.Expr, "gas_valve") {
		t.Fatalf("stored indicator %+v", ind)
	}
	var audit struct {
		Items []struct{ Action, Actor string }
	}
	h.do(h.tokens[model.RoleAdmin], "GET", "/api/v1/audit?limit=1000", "", 200, &audit)
	last := audit.Items[len(audit.Items)-1]
	if last.Action != "indicator.put" || last.Actor != "user-operator" {
		t.Fatalf("last audit record %+v, want indicator.put by user-operator", last)
	}
}

// TestSilentNewDeviceCountsAsRegistered registers two gas detectors of
// which only one ever reports: the online rate must be 0.5, not 1 — a
// device that never reported is a blind spot, not an unknown.
func TestSilentNewDeviceCountsAsRegistered(t *testing.T) {
	h := startApp(t)
	admin := h.tokens[model.RoleAdmin]
	var created struct{ Items []struct{ ID int64 } }
	h.do(admin, "POST", "/api/v1/datastreams", `[{"key":"d1","property":"gas_lel"},{"key":"d2","property":"gas_lel"}]`, 201, &created)
	now := time.Now().Truncate(time.Minute).Add(-5 * time.Minute)
	h.do(h.device, "POST", "/api/v1/observations",
		fmt.Sprintf(`{"datastream":%d,"time":%d,"value":1}`, created.Items[0].ID, now.UnixMilli()), 200, nil)
	h.app.Engine.Flush()
	us, _ := h.app.Engine.Signs("")
	for _, sg := range us.Signs {
		if sg.Indicator == "gas.monitoring" {
			if !sg.HasValue || sg.Value != 0.5 {
				t.Fatalf("gas.monitoring = %+v, want 0.5 (one of two detectors reporting)", sg)
			}
			return
		}
	}
	t.Fatal("no gas.monitoring sign for the city")
}
