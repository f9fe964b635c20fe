package app_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"cityvitals/account"
	"cityvitals/model"
)

// login creates a user and returns a session token.
func (h *harness) login(nu account.NewUser) string {
	h.t.Helper()
	nu.Password = "correct horse battery"
	if _, err := h.app.Accounts.CreateUser(context.Background(), "test", nu); err != nil {
		h.t.Fatalf("create %s: %v", nu.Name, err)
	}
	var out struct{ Token string }
	h.do("", "POST", "/api/v1/auth/login", `{"name":"`+nu.Name+`","password":"correct horse battery"}`, 200, &out)
	return out.Token
}

// follow reads event names of an SSE stream into a channel.
func (h *harness) follow(token, path string) <-chan string {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		h.t.Fatalf("stream %s: %v %v", path, err, resp.Status)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	names := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if k, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				names <- k
			}
		}
	}()
	return names
}

type incidentJSON struct {
	ID       int64
	State    string
	Dept     string
	Category string
	Level    int
	Source   string
	Version  int64
	Clock    struct {
		Start     int64
		RespondBy int64 `json:"respond_by"`
		DisposeBy int64 `json:"dispose_by"`
		Rule      string
	}
	Evaluation *struct {
		RespondedOnTime bool `json:"responded_on_time"`
		DisposedOnTime  bool `json:"disposed_on_time"`
	}
}

// TestIncidentLoopThroughTheAPI drives a gas incident through every step
// over HTTP with the people each step belongs to, on the real SLA policy.
func TestIncidentLoopThroughTheAPI(t *testing.T) {
	h := startApp(t)
	operator := h.tokens[model.RoleOperator]
	worker := h.login(account.NewUser{Name: "wang.gas", Role: model.RoleField, Dept: "gas"})
	otherWorker := h.login(account.NewUser{Name: "chen.water", Role: model.RoleField, Dept: "water"})
	inspector := h.tokens[model.RoleInspector]
	stream := h.follow(h.tokens[model.RoleViewer], "/api/v1/incidents/stream")

	var inc incidentJSON
	h.do(operator, "POST", "/api/v1/incidents", `{"title":"居民楼道燃气异味","category":"gas_leak","level":3}`, 201, &inc)
	if inc.State != "reported" || inc.Dept != "gas" || inc.Source != "manual" {
		t.Fatalf("opened %+v", inc)
	}
	waitFor(t, stream, "open")
	path := fmt.Sprintf("/api/v1/incidents/%d", inc.ID)
	h.do(operator, "POST", path+"/actions/register", `{}`, 200, &inc)
	h.do(operator, "POST", path+"/actions/dispatch", `{"version":`+fmt.Sprint(inc.Version)+`}`, 200, &inc)
	if inc.State != "dispatched" || inc.Clock.RespondBy <= inc.Clock.Start || inc.Clock.DisposeBy <= inc.Clock.RespondBy || inc.Clock.Rule == "" {
		t.Fatalf("dispatched without an SLA clock: %+v", inc)
	}
	waitFor(t, stream, "dispatch")
	h.do(otherWorker, "POST", path+"/actions/accept", `{}`, 403, nil)
	h.do(worker, "POST", path+"/actions/feedback", `{"note":"x"}`, 409, nil)
	h.do(worker, "POST", path+"/actions/accept", `{}`, 200, &inc)
	h.do(worker, "POST", path+"/actions/accept", `{"nonsense":1}`, 400, nil)

	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	var photo struct{ Hash, Type string }
	h.postRaw(worker, path+"/attachments?name=after.png", png, 201, &photo)
	h.postRaw(worker, path+"/attachments?name=evil.html", []byte("<html><script>alert(1)</script>"), 400, nil)
	h.do(worker, "POST", path+"/actions/feedback", `{"note":"更换老化胶管","attachments":["`+photo.Hash+`"]}`, 200, &inc)
	h.do(inspector, "POST", path+"/actions/verify", `{"pass":true}`, 200, &inc)
	h.do(inspector, "POST", path+"/actions/evaluate", `{"satisfaction":4}`, 200, &inc)
	if inc.State != "evaluated" || inc.Evaluation == nil || !inc.Evaluation.RespondedOnTime || !inc.Evaluation.DisposedOnTime {
		t.Fatalf("evaluated %+v", inc)
	}

	var detail struct {
		Events []struct{ Action, Actor string }
	}
	h.do(h.tokens[model.RoleViewer], "GET", path, "", 200, &detail)
	var acts []string
	for _, e := range detail.Events {
		acts = append(acts, e.Action+":"+e.Actor)
	}
	want := "open:user-operator register:user-operator dispatch:user-operator accept:wang.gas attach:wang.gas feedback:wang.gas verify:user-inspector evaluate:user-inspector"
	if strings.Join(acts, " ") != want {
		t.Fatalf("history\n%s\nwant\n%s", strings.Join(acts, " "), want)
	}

	req, _ := http.NewRequest("GET", h.base+path+"/attachments/"+photo.Hash, nil)
	req.Header.Set("Authorization", "Bearer "+inspector)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, png) || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("attachment: %s %q %d bytes", resp.Status, resp.Header.Get("Content-Type"), len(got))
	}

	var board struct {
		Steps map[string]int
	}
	h.do(h.tokens[model.RoleViewer], "GET", "/api/v1/incidents/board", "", 200, &board)
	if board.Steps["evaluated"] != 1 {
		t.Fatalf("board %+v", board)
	}
	h.do(h.tokens[model.RoleViewer], "POST", "/api/v1/incidents", `{"title":"x","category":"other"}`, 403, nil)
	h.do(operator, "POST", "/api/v1/incidents", `{"title":"x","category":"other","source":"alert"}`, 400, nil)
	h.do(operator, "GET", "/api/v1/incidents?state=evaluated&min_level=3", "", 200, nil)
	h.do(operator, "GET", "/api/v1/incidents?overdue=maybe", "", 400, nil)
}

// TestRedGasAlertOpensAnIncident follows a gas detector into red: the
// alert registers an incident by itself and dispatches it to the gas
// department; the alert resolving does not close it.
func TestRedGasAlertOpensAnIncident(t *testing.T) {
	h := startApp(t)
	admin, viewer := h.tokens[model.RoleAdmin], h.tokens[model.RoleViewer]
	var ds struct{ ID int64 }
	h.do(admin, "POST", "/api/v1/datastreams", `{"key":"mh-9/lel","property":"gas_lel","interval":"1m"}`, 201, &ds)
	start := time.Now().Add(-30 * time.Minute).Truncate(time.Minute)
	post := func(minute int, value float64) {
		h.do(h.device, "POST", "/api/v1/observations",
			fmt.Sprintf(`{"datastream":%d,"time":%d,"value":%g}`, ds.ID, start.Add(time.Duration(minute)*time.Minute).UnixMilli(), value), 200, nil)
	}
	post(0, 3)
	post(1, 60)
	post(2, 61)
	h.app.Engine.Flush()

	var list struct{ Items []incidentJSON }
	deadline := time.Now().Add(10 * time.Second)
	// Registered and dispatched are two steps: wait for the second.
	for (len(list.Items) == 0 || list.Items[0].State != "dispatched") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		h.do(viewer, "GET", "/api/v1/incidents?source=alert", "", 200, &list)
	}
	if len(list.Items) == 0 {
		t.Fatal("no incident registered from the red gas alert within 10 s")
	}
	inc := list.Items[0]
	if inc.State != "dispatched" || inc.Dept != "gas" || inc.Category != "gas_leak" || inc.Level != 4 {
		t.Fatalf("incident from the alert: %+v", inc)
	}
	post(3, 2)
	post(4, 2)
	post(5, 1)
	h.app.Engine.Flush()
	time.Sleep(2 * time.Second)
	var again incidentJSON
	h.do(viewer, "GET", fmt.Sprintf("/api/v1/incidents/%d", inc.ID), "", 200, &struct {
		Incident *incidentJSON
	}{&again})
	if again.State != "dispatched" {
		t.Fatalf("after the gas cleared the incident is %s; only verification closes it", again.State)
	}
	h.do(viewer, "GET", "/api/v1/incidents?source=alert", "", 200, &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d incidents for one alert", len(list.Items))
	}
}
