package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/account"
	"cityvitals/app"
	"cityvitals/auth"
	"cityvitals/model"
)

// harness is a running platform on loopback with a token per role.
type harness struct {
	t      *testing.T
	app    *app.App
	base   string
	tokens map[model.Role]string
	device string // device token secret
	stop   func() // stops the platform and closes it; safe twice
}

func startApp(t *testing.T) *harness { return startAppWith(t, nil) }

// startAppWith lets a test adjust the configuration first.
func startAppWith(t *testing.T, adjust func(*app.Config)) *harness {
	t.Helper()
	ctx := context.Background()
	cfg := app.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTAddr: "127.0.0.1:0"}
	if adjust != nil {
		adjust(&cfg)
	}
	a, err := app.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	var once sync.Once
	h := &harness{t: t, app: a, base: "http://" + a.HTTPAddr(), tokens: map[model.Role]string{}}
	h.stop = func() {
		once.Do(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
			a.Close()
		})
	}
	t.Cleanup(h.stop)
	for _, role := range model.Roles {
		name := "user-" + string(role)
		if _, err := a.Accounts.CreateUser(ctx, "test", account.NewUser{Name: name, Password: "correct horse battery", Role: role}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		var out struct{ Token string }
		h.do("", "POST", "/api/v1/auth/login", `{"name":"`+name+`","password":"correct horse battery"}`, 200, &out)
		h.tokens[role] = out.Token
	}
	secret, _, err := a.Accounts.IssueToken(ctx, "test", account.NewToken{Kind: model.TokenDevice, Device: "gw-1"})
	if err != nil {
		t.Fatal(err)
	}
	h.device = secret
	return h
}

// do sends a request and checks the status; out, if non-nil, receives the
// JSON answer. It returns the body.
func (h *harness) do(token, method, path, body string, want int, out any) []byte {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			h.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return data
}

func concretePath(p string) string {
	return strings.NewReplacer("{id}", "1", "{code}", "310101", "{indicator}", "gas.leak").Replace(p)
}

// TestEveryRouteIsAuthenticatedAndAuthorised walks the route table: no
// token and a wrong token get 401, a role without the route's permission
// gets 403, and so does a device token on anything but ingest.
func TestEveryRouteIsAuthenticatedAndAuthorised(t *testing.T) {
	h := startApp(t)
	policy := auth.NewPolicy()
	for _, rt := range h.app.Routes() {
		path := concretePath(rt.Path)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			h.t = t
			h.do("", rt.Method, path, "{}", http.StatusUnauthorized, nil)
			h.do("cvs_not-a-real-token", rt.Method, path, "{}", http.StatusUnauthorized, nil)
			if rt.Perm == "" {
				return
			}
			for _, role := range model.Roles {
				if !policy.Allowed(role, rt.Perm) {
					h.do(h.tokens[role], rt.Method, path, "{}", http.StatusForbidden, nil)
				}
			}
			if rt.Perm != auth.IngestWrite {
				h.do(h.device, rt.Method, path, "{}", http.StatusForbidden, nil)
			}
		})
	}
}

const shanghaiGCJ = "../../shared/data/shanghai/shanghai_districts_detailed_gcj02.geojson"

// TestIngestAndQueryEndToEnd imports real district boundaries, registers
// streams at known places, ingests a batch with good and bad items over
// HTTP, and reads everything back through the API.
func TestIngestAndQueryEndToEnd(t *testing.T) {
	h := startApp(t)
	admin := h.tokens[model.RoleAdmin]
	geo, err := os.ReadFile(shanghaiGCJ)
	if err != nil {
		t.Fatal(err)
	}
	var imp struct{ Units int }
	h.postRaw(admin, "/api/v1/units/import?level=district&crs=gcj02&create_parents=true", geo, 200, &imp)
	if imp.Units != 17 {
		t.Fatalf("imported %d units, want the city and its 16 districts", imp.Units)
	}
	var created struct {
		Items []struct {
			ID   int64
			Key  string
			Unit string
		}
	}
	h.do(admin, "POST", "/api/v1/datastreams", `[
		{"key":"peoples-square/pm25","property":"pm25","uom":"ug/m3","interval":"1m","location":{"lon":121.4737,"lat":31.2304}},
		{"key":"lujiazui/pm25","property":"pm25","interval":"1m","location":{"lon":121.5055,"lat":31.2355}}]`, 201, &created)
	if got := []string{created.Items[0].Unit, created.Items[1].Unit}; got[0] != "310101" || got[1] != "310115" {
		t.Fatalf("units = %v, want [310101 310115] (黄浦区, 浦东新区)", got)
	}
	square := created.Items[0].ID
	now := time.Now().UTC().Truncate(time.Minute)
	var lines []string
	for i := range 10 {
		lines = append(lines, fmt.Sprintf(`{"datastream":%d,"time":"%s","value":%d}`, square, now.Add(time.Duration(i-10)*time.Minute).Format(time.RFC3339), 30+i))
	}
	lines = append(lines,
		`{"datastream":"lujiazui/pm25","time":`+fmt.Sprint(now.UnixMilli())+`,"value":12.5}`,
		`{"datastream":"nope","time":"2026-01-01T00:00:00Z","value":1}`,
		`{"datastream":1,"time":"yesterday","value":1}`,
		`{"datastream":1,"time":"2026-01-01T00:00:00Z","value":"high"}`,
		`not json`)
	var res struct {
		Accepted int
		Rejected []struct {
			Index  int
			Reason string
		}
	}
	h.do(h.device, "POST", "/api/v1/observations", strings.Join(lines, "\n"), 200, &res)
	if res.Accepted != 11 || len(res.Rejected) != 4 {
		t.Fatalf("accepted %d, rejected %+v; want 11 and 4", res.Accepted, res.Rejected)
	}
	for i, r := range res.Rejected {
		if r.Index != 11+i || r.Reason == "" {
			t.Errorf("rejection %d = %+v, want index %d with a reason", i, r, 11+i)
		}
	}
	viewer := h.tokens[model.RoleViewer]
	var rng struct{ Items []struct{ Value float64 } }
	h.do(viewer, "GET", fmt.Sprintf("/api/v1/datastreams/%d/observations?from=%d", square, now.Add(-time.Hour).UnixMilli()), "", 200, &rng)
	if len(rng.Items) != 10 || rng.Items[0].Value != 30 || rng.Items[9].Value != 39 {
		t.Fatalf("range = %+v, want 10 values 30..39", rng.Items)
	}
	var latest struct{ Value float64 }
	h.do(viewer, "GET", fmt.Sprintf("/api/v1/datastreams/%d/latest", square), "", 200, &latest)
	if latest.Value != 39 {
		t.Fatalf("latest = %v, want 39", latest.Value)
	}
	var unitLatest struct{ Items []struct{ Datastream int64 } }
	h.do(viewer, "GET", "/api/v1/units/310115/latest", "", 200, &unitLatest)
	if len(unitLatest.Items) != 1 || unitLatest.Items[0].Datastream != created.Items[1].ID {
		t.Fatalf("latest in 浦东新区 = %+v, want the Lujiazui stream only", unitLatest.Items)
	}
	var agg struct {
		Items []struct {
			Count int64
			Avg   float64
		}
	}
	h.do(viewer, "GET", fmt.Sprintf("/api/v1/datastreams/%d/aggregates?from=%d&step=24h", square, now.Add(-48*time.Hour).UnixMilli()), "", 200, &agg)
	var total int64
	var sum float64
	for _, b := range agg.Items {
		total += b.Count
		sum += b.Avg * float64(b.Count)
	}
	if total != 10 || sum != 345 {
		t.Fatalf("aggregates count %d sum %v, want 10 and 345", total, sum)
	}
	metrics := string(h.do(admin, "GET", "/metrics", "", 200, nil))
	for _, want := range []string{
		`cityvitals_ingest_observations_total{transport="http"} 11`,
		`cityvitals_ingest_rejected_total{reason="unknown_datastream"} 1`,
		"cityvitals_ingest_commit_seconds_count",
		"cityvitals_ingest_queue_depth 0",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func (h *harness) postRaw(token, path string, body []byte, want int, out any) {
	h.t.Helper()
	h.do(token, "POST", path, string(body), want, out)
}

// TestBadInputGetsClearErrors checks the whole-request failures on the
// ingest path: each is a problem document naming what is wrong.
func TestBadInputGetsClearErrors(t *testing.T) {
	h := startApp(t)
	cases := []struct {
		name   string
		body   string
		status int
		detail string
	}{
		{"not JSON", "<xml/>", 400, "JSON"},
		{"empty", "", 400, "empty"},
		{"too large", `[` + strings.Repeat(`{"datastream":1,"time":0,"value":1},`, 600_000) + `]`, 413, "bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			body := h.do(h.device, "POST", "/api/v1/observations", tc.body, tc.status, nil)
			if tc.detail != "" && !bytes.Contains(body, []byte(tc.detail)) {
				t.Errorf("body %s does not mention %q", body, tc.detail)
			}
		})
	}
	t.Run("a stream's unit is not the client's to set", func(t *testing.T) {
		h.t = t
		body := h.do(h.tokens[model.RoleAdmin], "POST", "/api/v1/datastreams",
			`[{"key":"ok","property":"pm25"},{"key":"placed","property":"pm25","unit":"310101"}]`, 400, nil)
		if !bytes.Contains(body, []byte("datastreams[1]")) || !bytes.Contains(body, []byte("unit comes from location or asset")) {
			t.Errorf("body %s does not name the stream and the field", body)
		}
	})
}

// TestSpatialScope gives users limited to 黄浦区 and checks they see and
// change only what lies there.
func TestSpatialScope(t *testing.T) {
	h := startApp(t)
	ctx := context.Background()
	admin := h.tokens[model.RoleAdmin]
	geo, err := os.ReadFile(shanghaiGCJ)
	if err != nil {
		t.Fatal(err)
	}
	h.postRaw(admin, "/api/v1/units/import?level=district&crs=gcj02&create_parents=true", geo, 200, nil)
	var created struct{ Items []struct{ ID int64 } }
	h.do(admin, "POST", "/api/v1/datastreams", `[
		{"key":"huangpu","property":"pm25","location":{"lon":121.4737,"lat":31.2304}},
		{"key":"pudong","property":"pm25","location":{"lon":121.5055,"lat":31.2355}}]`, 201, &created)
	huangpu, pudong := created.Items[0].ID, created.Items[1].ID

	scoped := map[model.Role]string{}
	for _, role := range []model.Role{model.RoleViewer, model.RoleOperator} {
		name := "huangpu-" + string(role)
		if _, err := h.app.Accounts.CreateUser(ctx, "test", account.NewUser{Name: name, Password: "correct horse battery", Role: role, Scope: "310101"}); err != nil {
			t.Fatal(err)
		}
		var out struct{ Token string }
		h.do("", "POST", "/api/v1/auth/login", `{"name":"`+name+`","password":"correct horse battery"}`, 200, &out)
		scoped[role] = out.Token
	}
	viewer, operator := scoped[model.RoleViewer], scoped[model.RoleOperator]
	h.do(viewer, "GET", fmt.Sprintf("/api/v1/datastreams/%d", huangpu), "", 200, nil)
	h.do(viewer, "GET", fmt.Sprintf("/api/v1/datastreams/%d", pudong), "", 403, nil)
	h.do(viewer, "GET", "/api/v1/units/310115", "", 403, nil)
	h.do(viewer, "GET", "/api/v1/units/310000", "", 200, nil) // above its area: navigable
	var roots struct{ Items []struct{ Code string } }
	h.do(viewer, "GET", "/api/v1/units?parent=310000", "", 200, &roots)
	if len(roots.Items) != 1 || roots.Items[0].Code != "310101" {
		t.Fatalf("a 黄浦区 user lists %+v under the city, want only 310101", roots.Items)
	}
	h.do(viewer, "GET", "/api/v1/datastreams", "", 403, nil)
	h.do(viewer, "GET", "/api/v1/datastreams?unit=310101", "", 200, nil)

	h.do(operator, "POST", "/api/v1/datastreams", `{"key":"in","property":"pm25","location":{"lon":121.4737,"lat":31.2304}}`, 201, nil)
	h.do(operator, "POST", "/api/v1/datastreams", `{"key":"out","property":"pm25","location":{"lon":121.5055,"lat":31.2355}}`, 403, nil)
	h.do(operator, "POST", "/api/v1/units/import?level=district", "{}", 403, nil)

	// Drills: an area-bound operator plays scenarios only inside its area
	// (and this platform has no simulator to play them).
	h.do(operator, "POST", "/api/v1/scenarios/gas_leak", `{}`, 400, nil)
	h.do(operator, "POST", "/api/v1/scenarios/gas_leak", `{"unit":"310115"}`, 403, nil)
	h.do(operator, "POST", "/api/v1/scenarios/gas_leak", `{"unit":"310101"}`, 404, nil)
	h.do(operator, "GET", "/api/v1/scenarios", "", 404, nil)
}

// TestPasswordGuessingIsThrottled: after five wrong passwords for a name
// the sixth attempt is refused with 429 and Retry-After — even with the
// right password — and the failures are in the audit log.
func TestPasswordGuessingIsThrottled(t *testing.T) {
	h := startApp(t)
	for range 5 {
		h.do("", "POST", "/api/v1/auth/login", `{"name":"user-admin","password":"wrong guess 123"}`, 401, nil)
	}
	req, _ := http.NewRequest("POST", h.base+"/api/v1/auth/login", strings.NewReader(`{"name":"user-admin","password":"correct horse battery"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth attempt: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	h.do("", "POST", "/api/v1/auth/login", `{"name":"user-viewer","password":"correct horse battery"}`, 200, nil)
	var audit struct{ Items []struct{ Action string } }
	h.do(h.tokens[model.RoleAdmin], "GET", "/api/v1/audit?limit=1000", "", 200, &audit)
	failed := 0
	for _, r := range audit.Items {
		if r.Action == "auth.login_failed" {
			failed++
		}
	}
	if failed != 5 {
		t.Fatalf("%d failed logins audited, want 5", failed)
	}
}

// TestOpenFailingLateReleasesTheDataDir: a build step after the stores
// are open fails (an indicator file that does not exist); Open returns
// the error rather than panicking, and has closed the stores, so the next
// Open of the same directory succeeds.
func TestOpenFailingLateReleasesTheDataDir(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	_, err := app.Open(ctx, app.Config{DataDir: dir, IndicatorFiles: []string{filepath.Join(dir, "missing.yaml")}}, nil)
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("Open with a missing indicator file: %v, want an error naming it", err)
	}
	a, err := app.Open(ctx, app.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatalf("Open after a failed Open: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}
