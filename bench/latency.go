package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cityvitals/account"
	"cityvitals/app"
	"cityvitals/model"
)

// LatencyOptions shape the level-change latency benchmark.
type LatencyOptions struct {
	Rate     int           // background observations per second
	Streams  int           // background datastreams
	Probes   int           // level changes to time
	Step     time.Duration // engine evaluation tick
	Lateness time.Duration // engine allowed lateness
	Units    int           // grid cells over the streams' area
	Logger   *slog.Logger
}

// LatencyReport is what `cityvitals bench latency --json` prints.
type LatencyReport struct {
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	Probes       int     `json:"probes"`
	LoadObsPerS  float64 `json:"load_obs_per_s"`
	StepMs       int64   `json:"step_ms"`
	LatenessMs   int64   `json:"lateness_ms"`
	LevelChanges int64   `json:"level_changes"`
	// AlertP50Ms and AlertP99Ms time the same flips to the alert they
	// fire or resolve on /alerts/stream.
	AlertP50Ms float64 `json:"alert_p50_ms"`
	AlertP99Ms float64 `json:"alert_p99_ms"`
	Units      int     `json:"units"`
	Streams    int     `json:"streams"`
}

// RunLatency measures how long after an observation is acknowledged the
// level change it causes reaches a dashboard's SSE stream, while a
// background load is ingested. A probe gas detector alternates between
// 5 %LEL and 60 %LEL (normal ↔ red for the gas-leak indicator); every
// observation is stamped with the wall clock, as live devices do.
func RunLatency(ctx context.Context, opts LatencyOptions) (LatencyReport, error) {
	dir, err := os.MkdirTemp("", "cityvitals-latency-")
	if err != nil {
		return LatencyReport{}, err
	}
	defer os.RemoveAll(dir)
	cfg := app.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", EngineStep: opts.Step, EngineLateness: opts.Lateness}
	a, err := app.Open(ctx, cfg, opts.Logger)
	if err != nil {
		return LatencyReport{}, err
	}
	defer a.Close()
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()

	base := "http://" + a.HTTPAddr()
	secret, _, err := a.Accounts.IssueToken(ctx, "bench", account.NewToken{Kind: model.TokenDevice, Device: "bench"})
	if err != nil {
		return LatencyReport{}, err
	}
	if opts.Units > 0 {
		if _, err := coverWithGrid(ctx, a, opts.Units); err != nil {
			return LatencyReport{}, err
		}
	}
	// The background: gas detectors across the grid reading a normal
	// 1–3 %LEL; the probe: one more detector, in a cell of its own.
	load, err := registerStreamsOf(ctx, a, opts.Streams, "gas_lel")
	if err != nil {
		return LatencyReport{}, err
	}
	probe, err := a.Inventory.CreateDatastreams(ctx, "bench", []model.Datastream{{Key: "bench/probe", Property: "gas_lel",
		Interval: time.Second, Lon: benchEast - 0.0001, Lat: benchNorth - 0.0001, HasPoint: true}})
	if err != nil {
		return LatencyReport{}, err
	}
	token, err := viewerToken(ctx, a)
	if err != nil {
		return LatencyReport{}, err
	}
	arrivals, closeSSE, err := watchStream(ctx, base, token, "/api/v1/vitals/changes/stream", isCityGasLeakChange)
	if err != nil {
		return LatencyReport{}, err
	}
	defer closeSSE()
	alerts, closeAlerts, err := watchStream(ctx, base, token, "/api/v1/alerts/stream", isCityGasLeakAlert)
	if err != nil {
		return LatencyReport{}, err
	}
	defer closeAlerts()

	loadCtx, stopLoad := context.WithCancel(ctx)
	var sent atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { paceLoad(loadCtx, base, secret, load, opts.Rate, &sent) })
	began := time.Now()
	lat, alertLat, err := runProbes(ctx, base, secret, probe[0].ID, opts.Probes, arrivals, alerts)
	stopLoad()
	wg.Wait()
	if err != nil {
		return LatencyReport{}, err
	}
	rep := LatencyReport{Probes: len(lat), Units: opts.Units, Streams: opts.Streams, LoadObsPerS: float64(sent.Load()) / time.Since(began).Seconds(),
		StepMs: opts.Step.Milliseconds(), LatenessMs: opts.Lateness.Milliseconds(), LevelChanges: a.Engine.Stats().LevelChanges}
	rep.P50Ms, rep.P99Ms, rep.MaxMs = quantileMs(lat, 0.5), quantileMs(lat, 0.99), quantileMs(lat, 1)
	rep.AlertP50Ms, rep.AlertP99Ms = quantileMs(alertLat, 0.5), quantileMs(alertLat, 0.99)
	return rep, nil
}

func quantileMs(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[int(q*float64(len(d)-1))].Seconds() * 1000
}

// viewerToken signs in a viewer, as the operations centre's screen does.
func viewerToken(ctx context.Context, a *app.App) (string, error) {
	if _, err := a.Accounts.CreateUser(ctx, "bench", account.NewUser{Name: "bench-viewer", Password: "bench-viewer-password", Role: model.RoleViewer}); err != nil {
		return "", err
	}
	token, _, err := a.Auth.Login(ctx, "bench-viewer", "bench-viewer-password")
	return token, err
}

// watchStream follows an SSE stream and delivers the arrival time of
// every event whose data the filter accepts.
func watchStream(ctx context.Context, base, token, path string, keep func(event string, data []byte) bool) (<-chan time.Time, func(), error) {
	sseCtx, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(sseCtx, "GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	out := make(chan time.Time, 1024)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			if e, ok := strings.CutPrefix(line, "event: "); ok {
				event = e
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok && keep(event, []byte(data)) {
				out <- time.Now()
			}
		}
	}()
	return out, cancel, nil
}

func isCityGasLeakChange(_ string, data []byte) bool {
	var c struct{ Indicator, Unit string }
	return json.Unmarshal(data, &c) == nil && c.Indicator == "gas.leak" && c.Unit == "city"
}

func isCityGasLeakAlert(event string, data []byte) bool {
	if event != "firing" && event != "resolved" {
		return false
	}
	var e struct {
		Alert struct{ Labels map[string]string }
	}
	return json.Unmarshal(data, &e) == nil && e.Alert.Labels["indicator"] == "gas.leak" && e.Alert.Labels["unit"] == ""
}

// runProbes flips the probe between normal and red and times each flip
// from its acknowledgement to its arrival on the SSE stream.
func runProbes(ctx context.Context, base, secret string, probe int64, n int, arrivals, alerts <-chan time.Time) (lat, alertLat []time.Duration, err error) {
	for i := range n {
		value := 60.0
		if i%2 == 1 {
			value = 5
		}
		body := fmt.Sprintf(`{"datastream":%d,"time":%d,"value":%g}`, probe, time.Now().UnixMilli(), value)
		acked, err := post(ctx, base, secret, []byte(body))
		if err != nil {
			return nil, nil, err
		}
		for _, w := range []struct {
			ch   <-chan time.Time
			into *[]time.Duration
			what string
		}{{arrivals, &lat, "level change"}, {alerts, &alertLat, "alert event"}} {
			select {
			case at := <-w.ch:
				*w.into = append(*w.into, at.Sub(acked))
			case <-time.After(time.Minute):
				return nil, nil, fmt.Errorf("probe %d: no %s arrived", i, w.what)
			}
		}
		time.Sleep(time.Duration(100+rand.IntN(200)) * time.Millisecond)
	}
	return lat, alertLat, nil
}

func post(ctx context.Context, base, secret string, body []byte) (time.Time, error) {
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/observations", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("ingest: HTTP %d: %.200s", resp.StatusCode, msg)
	}
	return time.Now(), nil
}

// paceLoad posts background observations stamped with the wall clock at
// about rate per second, in batches every 10 ms.
func paceLoad(ctx context.Context, base, secret string, ids []int64, rate int, sent *atomic.Int64) {
	const tick = 10 * time.Millisecond
	perTick := max(1, rate/100)
	t := time.NewTicker(tick)
	defer t.Stop()
	var buf bytes.Buffer
	next := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		buf.Reset()
		now := time.Now().UnixMilli()
		for range perTick {
			fmt.Fprintf(&buf, `{"datastream":%d,"time":%d,"value":%d}`+"\n", ids[next%len(ids)], now, 1+next%3)
			next++
		}
		if _, err := post(ctx, base, secret, buf.Bytes()); err == nil {
			sent.Add(int64(perTick))
		}
	}
}
