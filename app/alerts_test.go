package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/app"
	"cityvitals/model"
	"cityvitals/notify/webhook"
)

// TestAlertsFromVitalSigns follows a gas detector from normal to red and
// back: the red gas-leak level fires an alert at once (red has no `for`),
// the dashboard's alert stream sees it, a dispatcher acknowledges it, and
// it resolves when the gas clears.
func TestAlertsFromVitalSigns(t *testing.T) {
	h := startApp(t)
	admin, dispatcher, viewer := h.tokens[model.RoleAdmin], h.tokens[model.RoleDispatcher], h.tokens[model.RoleViewer]
	var ds struct{ ID int64 }
	h.do(admin, "POST", "/api/v1/datastreams", `{"key":"mh-2/lel","property":"gas_lel","interval":"1m"}`, 201, &ds)

	req, _ := http.NewRequest("GET", h.base+"/api/v1/alerts/stream", nil)
	req.Header.Set("Authorization", "Bearer "+viewer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("alert stream: %v %v", err, resp.Status)
	}
	defer resp.Body.Close()
	kinds := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if k, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				kinds <- k
			}
		}
	}()

	start := time.Now().Add(-30 * time.Minute).Truncate(time.Minute)
	post := func(minute int, value float64) {
		h.do(h.device, "POST", "/api/v1/observations",
			fmt.Sprintf(`{"datastream":%d,"time":%d,"value":%g}`, ds.ID, start.Add(time.Duration(minute)*time.Minute).UnixMilli(), value), 200, nil)
	}
	post(0, 3)
	post(1, 60)
	post(2, 61)
	h.app.Engine.Flush()
	waitFor(t, kinds, "firing")

	var list struct {
		Items []struct {
			Fingerprint string
			State       string
			Level       int
			Labels      map[string]string
			SummaryZH   string `json:"summary_zh"`
		}
	}
	h.do(viewer, "GET", "/api/v1/alerts?state=firing&min_level=4", "", 200, &list)
	var fp string
	for _, a := range list.Items {
		if a.Labels["indicator"] == "gas.leak" && a.Labels["unit"] == "" {
			fp = a.Fingerprint
			if !strings.Contains(a.SummaryZH, "红色预警") {
				t.Errorf("summary %q does not say red", a.SummaryZH)
			}
		}
	}
	if fp == "" {
		t.Fatalf("no firing red gas.leak alert for the city in %+v", list.Items)
	}
	h.do(viewer, "POST", "/api/v1/alerts/"+fp+"/ack", "", 403, nil)
	var acked struct {
		AckedBy string `json:"acked_by"`
	}
	h.do(dispatcher, "POST", "/api/v1/alerts/"+fp+"/ack", "", 200, &acked)
	if acked.AckedBy != "user-dispatcher" {
		t.Fatalf("acked by %q", acked.AckedBy)
	}
	waitFor(t, kinds, "acknowledged")

	post(3, 2)
	post(20, 2)
	h.app.Engine.Flush()
	waitFor(t, kinds, "resolved")
	var one struct {
		State  string
		EndsAt int64 `json:"ends_at"`
	}
	h.do(viewer, "GET", "/api/v1/alerts/"+fp, "", 200, &one)
	if one.State != "resolved" || one.EndsAt == 0 {
		t.Fatalf("alert after the gas cleared: %+v", one)
	}
}

// firingIndicator reports whether a dispatch notification lists a firing
// alert about the indicator.
func firingIndicator(t *testing.T, body []byte, indicator string) bool {
	t.Helper()
	var n struct {
		Firing []struct{ Labels map[string]string }
	}
	if err := json.Unmarshal(body, &n); err != nil {
		t.Fatalf("webhook body %s: %v", body, err)
	}
	for _, a := range n.Firing {
		if a.Labels["indicator"] == indicator {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, kinds <-chan string, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case k := <-kinds:
			if k == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %q event on the alert stream", want)
		}
	}
}

// TestAlertEventsReachAWebhook configures a real HTTP receiver: a group
// notification listing the firing red gas-leak alert must arrive there,
// signed, with an idempotency key, through dispatch and the outbox.
func TestAlertEventsReachAWebhook(t *testing.T) {
	type delivery struct {
		key, signature string
		body           []byte
	}
	got := make(chan delivery, 100)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Get(webhook.IdempotencyKeyHeader), r.Header.Get(webhook.SignatureHeader), body}
	}))
	defer receiver.Close()
	h := startAppWith(t, func(c *app.Config) {
		c.Webhooks = []webhook.Receiver{{Name: "ops", URL: receiver.URL, Secret: "s3cret"}}
		c.AlertGroupWait = 50 * time.Millisecond
	})
	var ds struct{ ID int64 }
	h.do(h.tokens[model.RoleAdmin], "POST", "/api/v1/datastreams", `{"key":"mh-3/lel","property":"gas_lel"}`, 201, &ds)
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	h.do(h.device, "POST", "/api/v1/observations", fmt.Sprintf(`{"datastream":%d,"time":%d,"value":70}`, ds.ID, start.UnixMilli()), 200, nil)
	h.app.Engine.Flush()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case d := <-got:
			if !firingIndicator(t, d.body, "gas.leak") {
				continue
			}
			if d.key == "" || !webhook.Verify("s3cret", d.body, d.signature) {
				t.Fatalf("delivery without a key or with a bad signature: key %q signature %q", d.key, d.signature)
			}
			return
		case <-deadline:
			t.Fatal("no firing gas.leak event reached the webhook")
		}
	}
}

// TestSilenceMutesNotificationsNotTheDashboard silences the gas-leak
// indicator through the API: its alert still fires and shows on the
// dashboard's stream, marked muted, but nothing about it is sent to the
// webhook.
func TestSilenceMutesNotificationsNotTheDashboard(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
	}))
	defer receiver.Close()
	h := startAppWith(t, func(c *app.Config) {
		c.Webhooks = []webhook.Receiver{{Name: "ops", URL: receiver.URL}}
		c.AlertGroupWait = 50 * time.Millisecond
	})
	dispatcher, viewer := h.tokens[model.RoleDispatcher], h.tokens[model.RoleViewer]
	h.do(viewer, "POST", "/api/v1/silences", `{"matchers":"{indicator=\"gas.leak\"}","ends_at":"2100-01-01T00:00:00Z","comment":"x"}`, 403, nil)
	body := h.do(dispatcher, "POST", "/api/v1/silences", `{"matchers":"{indicator=~\"gas[.\"}","ends_at":"2100-01-01T00:00:00Z","comment":"x"}`, 400, nil)
	if !strings.Contains(string(body), "matchers") {
		t.Fatalf("a broken matcher is refused without naming it: %s", body)
	}
	var silence struct{ ID int64 }
	h.do(dispatcher, "POST", "/api/v1/silences",
		fmt.Sprintf(`{"matchers":"{indicator=\"gas.leak\"}","ends_at":%q,"comment":"planned works on the Bund main"}`,
			time.Now().Add(2*time.Hour).Format(time.RFC3339)), 201, &silence)

	events, cancel := h.app.AlertHub.Subscribe()
	defer cancel()
	var ds struct{ ID int64 }
	h.do(h.tokens[model.RoleAdmin], "POST", "/api/v1/datastreams", `{"key":"mh-4/lel","property":"gas_lel"}`, 201, &ds)
	// An unsilenced warning alongside, to prove notifications flow.
	var air struct{ ID int64 }
	h.do(h.tokens[model.RoleAdmin], "POST", "/api/v1/datastreams", `{"key":"aq-1/pm25","property":"pm25"}`, 201, &air)
	// A reading from just now: silences start on the wall clock and mute
	// alert changes from their start on (the change is stamped with the
	// engine tick that holds the reading, which is no earlier).
	start := time.Now()
	h.do(h.device, "POST", "/api/v1/observations", fmt.Sprintf(`{"datastream":%d,"time":%d,"value":70}`+"\n"+`{"datastream":%d,"time":%d,"value":400}`,
		ds.ID, start.UnixMilli(), air.ID, start.UnixMilli()), 200, nil)
	h.app.Engine.Flush()
	var fired alert.Event
	for deadline := time.After(10 * time.Second); fired.Alert.Fingerprint == ""; {
		select {
		case e := <-events:
			if e.Kind == alert.EventFiring && e.Alert.Labels["indicator"] == "gas.leak" {
				fired = e
			}
		case <-deadline:
			t.Fatal("the silenced alert did not fire on the dashboard's hub")
		}
	}
	if !fired.Muted || fired.MutedBy == nil || !slices.Equal(fired.MutedBy.Silences, []int64{silence.ID}) {
		t.Fatalf("the firing event of a silenced alert is not marked muted by silence %d: %v %+v", silence.ID, fired.Muted, fired.MutedBy)
	}
	// The API says why nobody was told.
	var shown struct {
		MutedBy *alert.MuteReason `json:"muted_by"`
	}
	h.do(viewer, "GET", "/api/v1/alerts/"+fired.Alert.Fingerprint, "", 200, &shown)
	if shown.MutedBy == nil || !slices.Equal(shown.MutedBy.Silences, []int64{silence.ID}) {
		t.Fatalf("GET /alerts/%s says muted_by %+v, want silence %d", fired.Alert.Fingerprint, shown.MutedBy, silence.ID)
	}
	// Other alerts of the same reading (not silenced) are notified: once
	// one has arrived, dispatch has had its say about the group.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		pending, err := h.app.DB.Pending(context.Background(), "ops")
		if n > 0 && err == nil && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing reached the webhook: the test proves nothing")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		if firingIndicator(t, b, "gas.leak") {
			t.Fatalf("the silenced alert was sent to the webhook: %s", b)
		}
	}
}

// TestSilentDevicesGiveOneGroupAlert lets six detectors fall silent
// together: one group alert fires for them, not six.
func TestSilentDevicesGiveOneGroupAlert(t *testing.T) {
	h := startApp(t)
	var created struct{ Items []struct{ ID int64 } }
	h.do(h.tokens[model.RoleAdmin], "POST", "/api/v1/datastreams",
		`[{"key":"s1","property":"gas_lel","interval":"1m"},{"key":"s2","property":"gas_lel","interval":"1m"},{"key":"s3","property":"gas_lel","interval":"1m"},
		  {"key":"s4","property":"gas_lel","interval":"1m"},{"key":"s5","property":"gas_lel","interval":"1m"},{"key":"s6","property":"gas_lel","interval":"1m"}]`, 201, &created)
	var lines []string
	at := time.Now().Add(-20 * time.Minute).UnixMilli()
	for _, s := range created.Items {
		lines = append(lines, fmt.Sprintf(`{"datastream":%d,"time":%d,"value":1}`, s.ID, at))
	}
	h.do(h.device, "POST", "/api/v1/observations", strings.Join(lines, "\n"), 200, nil)
	var list struct {
		Items []struct {
			Labels   map[string]string
			Level    int
			Evidence map[string]any
		}
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		h.do(h.tokens[model.RoleViewer], "GET", "/api/v1/alerts?rule=silent&state=firing", "", 200, &list)
		if len(list.Items) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(list.Items) != 1 || list.Items[0].Labels["kind"] != "group" || list.Items[0].Evidence["silent"] != float64(6) || list.Items[0].Level != 4 {
		t.Fatalf("silent alerts = %+v, want one red group alert for 6 streams", list.Items)
	}
}

// TestForecastWarnsBeforeTheGaugeCrosses feeds a rising flood gauge: a
// forecast alert about reaching the warning stage fires while the gauge
// is still below it.
func TestForecastWarnsBeforeTheGaugeCrosses(t *testing.T) {
	h := startApp(t)
	var ds struct{ ID int64 }
	h.do(h.tokens[model.RoleAdmin], "POST", "/api/v1/datastreams", `{"key":"gauge-1","property":"flood_stage_index","interval":"5m"}`, 201, &ds)
	start := time.Now().Add(-3 * time.Hour).Truncate(5 * time.Minute)
	var list struct {
		Items []struct {
			State     string
			SummaryZH string `json:"summary_zh"`
			Evidence  map[string]any
		}
	}
	for i := range 24 { // rising 0.05 per 5 min from −1.2: still below 0 at i = 23
		v := -1.2 + 0.05*float64(i)
		h.do(h.device, "POST", "/api/v1/observations",
			fmt.Sprintf(`{"datastream":%d,"time":%d,"value":%g}`, ds.ID, start.Add(time.Duration(i)*5*time.Minute).UnixMilli(), v), 200, nil)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		h.do(h.tokens[model.RoleViewer], "GET", "/api/v1/alerts?rule=forecast&state=firing", "", 200, &list)
		if len(list.Items) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(list.Items) == 0 {
		t.Fatal("no forecast alert for a gauge rising towards its warning stage")
	}
	a := list.Items[0]
	if !strings.Contains(a.SummaryZH, "警戒水位") || a.Evidence["eta"] == nil {
		t.Fatalf("forecast alert %+v lacks the stage or the ETA", a)
	}
}

// TestAnomalyInAWatchedSeries feeds a week of a water main's pressure with
// its daily rhythm, then a reading far off the pattern: an anomaly alert
// fires for that stream.
func TestAnomalyInAWatchedSeries(t *testing.T) {
	h := startApp(t)
	var ds struct{ ID int64 }
	h.do(h.tokens[model.RoleAdmin], "POST", "/api/v1/datastreams", `{"key":"main-1/p","property":"water_pressure","interval":"15m"}`, 201, &ds)
	start := time.Now().Add(-8 * 24 * time.Hour).Truncate(15 * time.Minute)
	var lines []string
	for i := range 96 * 7 {
		v := 0.3 + 0.05*math.Sin(2*math.Pi*float64(i%96)/96) + 0.002*float64(i%7)
		lines = append(lines, fmt.Sprintf(`{"datastream":%d,"time":%d,"value":%.4f}`, ds.ID, start.Add(time.Duration(i)*15*time.Minute).UnixMilli(), v))
	}
	lines = append(lines, fmt.Sprintf(`{"datastream":%d,"time":%d,"value":2.2}`, ds.ID, start.Add(96*7*15*time.Minute).UnixMilli()))
	h.do(h.device, "POST", "/api/v1/observations", strings.Join(lines, "\n"), 200, nil)
	var list struct {
		Items []struct{ Labels map[string]string }
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		h.do(h.tokens[model.RoleViewer], "GET", "/api/v1/alerts?rule=anomaly&state=firing", "", 200, &list)
		if len(list.Items) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(list.Items) != 1 || list.Items[0].Labels["stream"] != fmt.Sprint(ds.ID) {
		t.Fatalf("anomaly alerts %+v, want one for stream %d", list.Items, ds.ID)
	}
}

// TestFastPressureDropInAGasMain feeds a gas main steady at 400 kPa, then
// falling 30 kPa a minute: the rate-of-change detector raises a red alert
// about the drop while the pressure itself is still in its normal band.
func TestFastPressureDropInAGasMain(t *testing.T) {
	h := startApp(t)
	var ds struct{ ID int64 }
	h.do(h.tokens[model.RoleAdmin], "POST", "/api/v1/datastreams", `{"key":"main-7/p","property":"gas_pressure","interval":"1m"}`, 201, &ds)
	start := time.Now().Add(-40 * time.Minute).Truncate(time.Minute)
	var batch []string
	for i := range 30 {
		v := 400.0
		if i >= 20 {
			v = 400 - 30*float64(i-19)
		}
		batch = append(batch, fmt.Sprintf(`{"datastream":%d,"time":%d,"value":%g}`, ds.ID, start.Add(time.Duration(i)*time.Minute).UnixMilli(), v))
	}
	h.do(h.device, "POST", "/api/v1/observations", "["+strings.Join(batch, ",")+"]", 200, nil)
	var list struct {
		Items []struct {
			Level     int
			SummaryZH string `json:"summary_zh"`
			Evidence  map[string]any
		}
	}
	// The drop steepens minute by minute, so the alert may fire orange on
	// the first readings the detector sees and turn red on the rest.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		h.do(h.tokens[model.RoleViewer], "GET", "/api/v1/alerts?rule=rate&state=firing", "", 200, &list)
		if len(list.Items) > 0 && list.Items[0].Level == 4 || time.Now().After(deadline) {
			break
		}
	}
	if len(list.Items) != 1 {
		t.Fatalf("%d rate alerts for one falling main, want 1", len(list.Items))
	}
	if a := list.Items[0]; a.Level != 4 || !strings.Contains(a.SummaryZH, "下降") || a.Evidence["rate"] == nil {
		t.Fatalf("rate alert %+v: want red, about a drop, with the rate as evidence", a)
	}
}

// TestAdjacentManholesRaiseOneClusterAlert feeds three gas detectors in
// manholes within 200 m of each other whose %LEL rises one after another:
// one correlated cluster alert fires, a level above the single alarms.
func TestAdjacentManholesRaiseOneClusterAlert(t *testing.T) {
	h := startApp(t)
	admin := h.tokens[model.RoleAdmin]
	start := time.Now().Add(-20 * time.Minute).Truncate(time.Minute)
	var lines []string
	for i, lon := range []float64{121.4800, 121.4810, 121.4820} {
		var ds struct{ ID int64 }
		h.do(admin, "POST", "/api/v1/datastreams", fmt.Sprintf(`{"key":"mh-%d/lel","property":"gas_lel","interval":"1m","location":{"lon":%g,"lat":31.2300}}`, i, lon), 201, &ds)
		lines = append(lines,
			fmt.Sprintf(`{"datastream":%d,"time":%d,"value":2}`, ds.ID, start.UnixMilli()),
			fmt.Sprintf(`{"datastream":%d,"time":%d,"value":30}`, ds.ID, start.Add(time.Duration(2+i)*time.Minute).UnixMilli()))
	}
	h.do(h.device, "POST", "/api/v1/observations", "["+strings.Join(lines, ",")+"]", 200, nil)
	var list struct {
		Items []struct {
			Level     int
			Labels    map[string]string
			SummaryZH string `json:"summary_zh"`
			Evidence  map[string]any
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		h.do(h.tokens[model.RoleViewer], "GET", "/api/v1/alerts?rule=cluster&state=firing", "", 200, &list)
		if len(list.Items) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(list.Items) != 1 {
		t.Fatalf("%d cluster alerts for three adjacent manholes, want 1", len(list.Items))
	}
	if a := list.Items[0]; a.Level != 3 || a.Labels["kind"] != "gas_leak" || a.Evidence["count"] != 3.0 {
		t.Fatalf("cluster alert %+v: want orange gas_leak with 3 members", a)
	}
}
