package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/simulate"
)

// lockedBuffer lets the test read what the demo prints while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDemoServesTheCityAndAlertsOnAGasLeak starts `cityvitals demo` in
// process on port 0, signs in as a printed user, reads the city's vital
// signs, plays a gas leak through the API with the printed drill token
// and waits for a gas alert.
func TestDemoServesTheCityAndAlertsOnAGasLeak(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	g := &Globals{Log: slog.New(slog.DiscardHandler), Out: out}
	cmd := &DemoCmd{HTTPAddr: "127.0.0.1:0", Seed: 7, Rate: 300, Scale: "small", Backfill: false, EngineStep: 2 * time.Second}
	began := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Run(ctx, g) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	})

	banner := waitFor(t, 30*time.Second, func() (string, bool) {
		s := out.String()
		return s, strings.Contains(s, "Serving at")
	})
	base := match(t, banner, `API:\s+(http://\S+)/api/v1`)
	drills := match(t, banner, `API token (\S+)\):`)
	password := match(t, banner, `user demo-operator\s.*password (\S+)`)
	viewerPassword := match(t, banner, `user demo-viewer\s.*password (\S+)`)

	var login struct{ Token string }
	call(t, "", http.MethodPost, base+"/api/v1/auth/login", fmt.Sprintf(`{"name":"demo-operator","password":%q}`, password), http.StatusOK, &login)
	call(t, login.Token, http.MethodGet, base+"/api/v1/vitals/units/city", "", http.StatusOK, nil)
	if took := time.Since(began); took > 30*time.Second {
		t.Fatalf("the city's vital signs answered after %s, want within 30 s", took)
	}

	scenarios := base + "/api/v1/scenarios"
	var listing struct{ Scenarios []struct{ Name string } }
	call(t, login.Token, http.MethodGet, scenarios, "", http.StatusOK, &listing)
	if len(listing.Scenarios) != len(simulate.Scenarios()) {
		t.Fatalf("GET /scenarios lists %d scenarios, want %d", len(listing.Scenarios), len(simulate.Scenarios()))
	}
	var viewer struct{ Token string }
	call(t, "", http.MethodPost, base+"/api/v1/auth/login", fmt.Sprintf(`{"name":"demo-viewer","password":%q}`, viewerPassword), http.StatusOK, &viewer)
	call(t, viewer.Token, http.MethodPost, scenarios+"/gas_leak", `{}`, http.StatusForbidden, nil)
	call(t, "wrong", http.MethodPost, scenarios+"/gas_leak", `{}`, http.StatusUnauthorized, nil)
	call(t, drills, http.MethodPost, scenarios+"/no_such", `{}`, http.StatusNotFound, nil)
	at := time.Now().Add(-2 * time.Minute).UTC().Format(time.RFC3339)
	var inj struct {
		Unit    string
		Streams int
	}
	call(t, drills, http.MethodPost, scenarios+"/gas_leak", fmt.Sprintf(`{"unit":"310101005","at":%q}`, at), http.StatusCreated, &inj)
	if inj.Unit != "310101005" || inj.Streams < 3 {
		t.Fatalf("injection = %+v, want street 310101005 and at least 3 streams", inj)
	}
	waitFor(t, 60*time.Second, func() (string, bool) {
		var alerts struct {
			Items []struct {
				Labels map[string]string
				Level  int
			}
		}
		call(t, login.Token, http.MethodGet, base+"/api/v1/alerts?limit=500", "", http.StatusOK, &alerts)
		for _, a := range alerts.Items {
			if strings.HasPrefix(a.Labels["indicator"], "gas.leak") && a.Level >= 3 {
				return "", true
			}
		}
		return fmt.Sprint(alerts.Items), false
	})
}

// waitFor polls check every 200 ms until it says done, or fails the test
// with the last state it saw.
func waitFor(t *testing.T, limit time.Duration, check func() (string, bool)) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		state, ok := check()
		if ok {
			return state
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done within %s; last state: %.2000s", limit, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func match(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("the demo did not print %s:\n%s", pattern, s)
	}
	return m[1]
}

func call(t *testing.T, token, method, url, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: HTTP %d, want %d: %s", method, url, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
}
