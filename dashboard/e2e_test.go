package dashboard_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"cityvitals/app"
	"cityvitals/dashboard"
	"cityvitals/simulate"
)

const (
	chromiumPath = "/usr/bin/chromium"
	e2eStreet    = "310101005"
	// The run signs in four times and drives one incident through the
	// whole loop against a race-instrumented server.
	e2eLimit = 5 * time.Minute
)

// demoCity is the demo platform running in process, as `cityvitals demo`
// starts it (cmd/cityvitals/demo.go), behind one origin that serves the
// dashboard at / and the API at /api/ — the way the API server mounts it.
type demoCity struct {
	origin string
	// passwords of the demo users by name (simulate.Install makes one
	// user per role)
	passwords map[string]string
}

// The demo users the run signs in as: the operator injects the drill,
// assigns, files a request, verifies and evaluates; the supervisor
// approves; the gas department's field worker accepts and feeds back.
const (
	demoOperator   = "demo-operator"
	demoSupervisor = "demo-supervisor"
	demoField      = "demo-field"
)

// TestDashboardInChromium drives the built dashboard in Debian's Chromium
// through web/e2e/run.mjs: sign in, see the map, inject a gas leak through
// the drills panel, see a level change re-colour the map live and the alert
// arrive, open its incident, assign it, request an extension (the
// operator's own approval refused), check the board, acknowledge and
// silence, approve as the supervisor, accept and feed back with evidence as
// the field worker, verify and evaluate, read the evaluation page, drill
// down, switch language, and measure first paint and the 5,000-cell map
// re-colour (docs/dashboard.md). scripts/test.sh installs Chromium and the
// npm packages; missing either fails (never skips).
func TestDashboardInChromium(t *testing.T) {
	node := requireTools(t)
	city := startDemoCity(t)
	artifacts, err := filepath.Abs(filepath.Join("testdata", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("e2e", "run.mjs"))
	cmd.Dir = filepath.Join("..", "web")
	cmd.Env = append(os.Environ(),
		"CV_BASE_URL="+city.origin,
		"CV_USER="+demoOperator, "CV_PASSWORD="+city.passwords[demoOperator],
		"CV_APPROVER="+demoSupervisor, "CV_APPROVER_PASSWORD="+city.passwords[demoSupervisor],
		"CV_FIELD="+demoField, "CV_FIELD_PASSWORD="+city.passwords[demoField],
		"CV_STREET="+e2eStreet, "CV_ARTIFACTS="+artifacts, "CV_CHROMIUM="+chromiumPath)
	began := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("browser run took %s; screenshots and perf.json in %s\n%s", time.Since(began).Round(time.Millisecond), artifacts, out)
	if ctx.Err() != nil {
		t.Fatalf("the browser run did not finish within %s", e2eLimit)
	}
	if err != nil {
		t.Fatalf("web/e2e/run.mjs failed (%v); its output is above", err)
	}
}

// requireTools fails with the fix when Chromium, node or the npm packages
// are missing: scripts/test.sh installs all three.
func requireTools(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s is missing: install Debian's chromium (scripts/test.sh does): %v", chromiumPath, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is missing: install Node.js (scripts/test.sh needs it for the dashboard test): %v", err)
	}
	if _, err := os.Stat(filepath.Join("..", "web", "node_modules", "playwright-core")); err != nil {
		t.Fatalf("web/node_modules/playwright-core is missing: run `npm ci` in web/ (scripts/test.sh does): %v", err)
	}
	return node
}

func startDemoCity(t *testing.T) demoCity {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	city, err := simulate.GenerateCity(7, simulate.ScaleSmall)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", EngineStep: 2 * time.Second, EngineLateness: 2 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	installed, err := simulate.Install(ctx, simulate.Platform{Inventory: a.Inventory, Teams: a.DB, Accounts: a.Accounts}, city)
	if err != nil {
		t.Fatal(err)
	}
	apiBase := "http://" + a.HTTPAddr()
	sink, err := simulate.NewHTTPSink(apiBase, installed.DeviceToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulate.New(simulate.Config{City: city, Sink: sink, Rate: 300, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	a.AttachSimulator(sim)
	appDone, simDone := make(chan error, 1), make(chan error, 1)
	go func() { appDone <- a.Run(ctx) }()
	go func() { simDone <- sim.Run(ctx) }()
	front := httptest.NewServer(frontDoor(t, apiBase))
	t.Cleanup(func() {
		front.Close()
		cancel()
		for _, err := range []error{<-simDone, <-appDone, a.Close()} {
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("demo city: %v", err)
			}
		}
	})
	d := demoCity{origin: front.URL, passwords: map[string]string{}}
	for _, u := range installed.Users {
		d.passwords[u.Name] = u.Password
	}
	for _, name := range []string{demoOperator, demoSupervisor, demoField} {
		if d.passwords[name] == "" {
			t.Fatalf("the demo city has no %s user", name)
		}
	}
	return d
}

// frontDoor serves the dashboard at / and proxies /api/ to the platform,
// streaming server-sent events as they come.
func frontDoor(t *testing.T, apiBase string) http.Handler {
	t.Helper()
	dash, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(apiBase)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	mux := http.NewServeMux()
	mux.Handle("/api/", proxy)
	mux.Handle("/", dash)
	return mux
}
