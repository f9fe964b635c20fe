package bench

import (
	"context"
	"math"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
)

// TestDashboardBenchAgainstDemoCity runs the dashboard benchmark tiny: the
// real demo city in process, its simulator at 2,000 obs/s over HTTP and
// three viewers signing in, holding their streams and walking the tree
// for 3 s. Every call must succeed and the figures must be real ones.
func TestDashboardBenchAgainstDemoCity(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole platform")
	}
	rep, err := RunDashboard(context.Background(), DashboardOptions{
		Viewers: 3, Rate: 2_000, Warmup: time.Second, Duration: 3 * time.Second,
		Think: 200 * time.Millisecond, EngineStep: time.Second, DataDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if rep.Requests == 0 || rep.Errors != 0 {
		t.Fatalf("%d calls, %d errors (%+v): want calls and no error", rep.Requests, rep.Errors, rep.Endpoints)
	}
	checkOrdered(t, "overall", rep.Overall)
	calls := map[string]int{}
	for _, e := range rep.Endpoints {
		checkOrdered(t, e.Endpoint, e.LatencySummary)
		calls[e.Endpoint] = e.Requests
	}
	for _, ep := range []string{epUnit, epVitals, epChildVitals, epAlertsFiring, epAlertsPending, epBoard, epGeoJSON} {
		if calls[ep] == 0 {
			t.Errorf("no %s call in the window: %v", ep, calls)
		}
	}
	// The walk leaves the city: down into districts and streets.
	if rep.UnitsViewed < 2 {
		t.Errorf("the viewers looked at %d units: they never left the city", rep.UnitsViewed)
	}
	if rep.IngestedObsPerS <= 0 || rep.AckedObsPerS <= 0 || rep.ReadingsLost != 0 {
		t.Errorf("ingested %.0f obs/s, simulator acknowledged %.0f obs/s, %d lost: want the simulator's load ingested",
			rep.IngestedObsPerS, rep.AckedObsPerS, rep.ReadingsLost)
	}
	if rep.SSEOpen != 3*rep.Viewers || rep.SSEDrops != 0 {
		t.Errorf("%d live streams open, %d dropped: want 3 per viewer held open", rep.SSEOpen, rep.SSEDrops)
	}
}

func checkOrdered(t *testing.T, what string, l LatencySummary) {
	t.Helper()
	if !(0 < l.P50Ms && l.P50Ms <= l.P95Ms && l.P95Ms <= l.P99Ms && l.P99Ms <= l.MaxMs) {
		t.Errorf("%s: p50 %v, p95 %v, p99 %v, max %v ms: want 0 < p50 ≤ p95 ≤ p99 ≤ max", what, l.P50Ms, l.P95Ms, l.P99Ms, l.MaxMs)
	}
}

// TestDashboardSummary checks the per-endpoint figures on calls whose
// latencies are known.
func TestDashboardSummary(t *testing.T) {
	var calls []call
	for i := 1; i <= 100; i++ {
		calls = append(calls, call{endpoint: epVitals, took: time.Duration(i) * time.Millisecond})
	}
	calls = append(calls, call{endpoint: epBoard, took: 500 * time.Millisecond, err: "HTTP 503: busy"},
		call{endpoint: epBoard, took: 2 * time.Millisecond})
	eps, overall := summarise(calls)
	if len(eps) != 2 || eps[0].Endpoint != epBoard || eps[1].Endpoint != epVitals {
		t.Fatalf("endpoints %+v: want the board, then vitals", eps)
	}
	board, vitals := eps[0], eps[1]
	if board.Requests != 2 || board.Errors != 1 || board.FirstError != "HTTP 503: busy" || board.MaxMs != 500 {
		t.Errorf("board %+v: want 2 calls, 1 error named, max 500 ms", board)
	}
	if vitals.Requests != 100 || vitals.Errors != 0 || vitals.P50Ms != 50 || vitals.P95Ms != 95 || vitals.P99Ms != 99 || vitals.MaxMs != 100 {
		t.Errorf("vitals %+v: want 100 calls, p50 50, p95 95, p99 99, max 100 ms", vitals)
	}
	if overall.MaxMs != 500 || overall.P50Ms != 50 {
		t.Errorf("overall %+v: want max 500 ms and p50 50 ms over the 102 calls", overall)
	}
}

// TestDashboardOptionsRefused checks that options that cannot give a
// meaningful run are refused, naming what is wrong, before anything
// starts.
func TestDashboardOptionsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts DashboardOptions
		want string
	}{
		{"negative viewers", DashboardOptions{Viewers: -1}, "viewers"},
		{"rate beyond the simulator", DashboardOptions{Rate: 1e9}, "rate"},
		{"window too short", DashboardOptions{Duration: time.Millisecond}, "duration"},
		{"negative think", DashboardOptions{Think: -time.Second}, "think"},
		{"history share above one", DashboardOptions{HistoryShare: 2}, "history share"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RunDashboard(context.Background(), tc.opts)
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want EINVALID naming %q", err, tc.want)
			}
		})
	}
}

// TestSchedHistogramSummary checks quantiles of the counts added between
// two reads of a runtime histogram, each as its bucket's upper bound.
func TestSchedHistogramSummary(t *testing.T) {
	buckets := []float64{0, 0.001, 0.01, 0.1, math.Inf(1)}
	before := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{5, 5, 5, 5}}
	now := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{5 + 90, 5 + 8, 5 + 1, 5 + 1}}
	got := histogramSummary(now, before)
	want := LatencySummary{P50Ms: 1, P95Ms: 10, P99Ms: 100, MaxMs: 100}
	if got != want {
		t.Fatalf("got %+v, want %+v (the open-ended bucket reads as its lower bound)", got, want)
	}
	if got := histogramSummary(before, before); got != (LatencySummary{}) {
		t.Fatalf("nothing added: got %+v, want zeros", got)
	}
}

// TestSlowPerSecond checks that slow calls are binned by the second of
// the window they started in, and calls outside it are left out.
func TestSlowPerSecond(t *testing.T) {
	from := time.Unix(1_000, 0)
	w := window{from: from, to: from.Add(3 * time.Second)}
	calls := []call{
		{at: from, took: 60 * time.Millisecond},
		{at: from.Add(100 * time.Millisecond), took: 10 * time.Millisecond},
		{at: from.Add(2500 * time.Millisecond), took: time.Second},
		{at: from.Add(2600 * time.Millisecond), took: 51 * time.Millisecond},
		{at: from.Add(5 * time.Second), took: time.Second},
	}
	got := slowPerSecond(calls, w, 50*time.Millisecond)
	if want := []int{1, 0, 2}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestCPUTicks checks that this process's CPU time and the machine's grow
// by at least what a busy loop burns (Linux /proc).
func TestCPUTicks(t *testing.T) {
	p0, ok1 := processTicks()
	m0, ok2 := machineTicks()
	if !ok1 || !ok2 {
		t.Fatalf("cannot read /proc: process %v, machine %v", ok1, ok2)
	}
	// Spin until the process has been charged 10 ticks (100 ms of CPU);
	// on a busy machine that takes longer than 100 ms of wall time.
	var p1 uint64
	for deadline := time.Now().Add(20 * time.Second); ; {
		for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
		}
		p1, _ = processTicks()
		if p1-p0 >= 10 || time.Now().After(deadline) {
			break
		}
	}
	m1, _ := machineTicks()
	if p1-p0 < 10 || m1-m0 < p1-p0 {
		t.Fatalf("process +%d ticks, machine +%d: want ≥ 10 and the machine at least the process", p1-p0, m1-m0)
	}
}
