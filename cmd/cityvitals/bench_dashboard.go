package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"cityvitals/bench"
	"cityvitals/simulate"
)

// BenchDashboardCmd times the dashboard's API calls with many viewers
// while the simulator feeds the demo city.
type BenchDashboardCmd struct {
	Viewers    int           `default:"100" help:"Concurrent dashboards: each signs in, holds the three live streams open and walks the unit tree."`
	Rate       float64       `default:"50000" help:"Observations per second the demo city's simulator sends over HTTP."`
	Duration   time.Duration `default:"60s" help:"Length of the measured window."`
	Warmup     time.Duration `default:"10s" help:"Load before the measured window (after the simulator is live)."`
	Think      time.Duration `default:"1s" help:"Mean pause between two looks of one viewer (each drawn from [think/2, 3·think/2])."`
	History    float64       `default:"0.2" help:"Share of looks that also open an indicator's history chart (negative: never)."`
	Seed       int64         `default:"1" help:"Seed of the demo city and the viewers' walks."`
	Scale      string        `default:"small" enum:"small,medium" help:"Demo city size."`
	EngineStep time.Duration `name:"engine-step" default:"5s" help:"Engine evaluation tick and allowed lateness, as cityvitals demo."`
	Backfill   bool          `default:"true" negatable:"" help:"Send the demo's recent history first, as cityvitals demo does."`
	CPUProfile string        `name:"cpuprofile" help:"Write a CPU profile of the measured window to this file."`
	JSON       bool          `help:"Print one JSON object."`
}

// Run runs the benchmark.
func (c *BenchDashboardCmd) Run(ctx context.Context, g *Globals) error {
	opts := bench.DashboardOptions{
		Viewers: c.Viewers, Rate: c.Rate, Duration: c.Duration, Warmup: c.Warmup, Think: c.Think,
		HistoryShare: c.History, Seed: c.Seed, Scale: simulate.Scale(c.Scale), EngineStep: c.EngineStep,
		Backfill: c.Backfill, Logger: g.Log,
	}
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return fmt.Errorf("bench dashboard: %w", err)
		}
		defer f.Close()
		opts.CPUProfile = f
	}
	rep, err := bench.RunDashboard(ctx, opts)
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(g.Out).Encode(rep)
	}
	fmt.Fprintf(g.Out, "%d viewers over %.0f s: %d calls (%.0f/s), %d errors; p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms; goal met: %v\n",
		rep.Viewers, rep.WindowS, rep.Requests, rep.RequestsPerS, rep.Errors, rep.Overall.P50Ms, rep.Overall.P95Ms, rep.Overall.P99Ms, rep.Overall.MaxMs, rep.GoalMet)
	for _, e := range rep.Endpoints {
		fmt.Fprintf(g.Out, "  %-48s %6d calls %4d errors  p50 %6.1f  p95 %6.1f  p99 %6.1f  max %7.1f ms\n",
			e.Endpoint, e.Requests, e.Errors, e.P50Ms, e.P95Ms, e.P99Ms, e.MaxMs)
	}
	fmt.Fprintf(g.Out, "ingest: offered %.0f obs/s, ingested %.0f obs/s (simulator acknowledged %.0f, worst lag %.0f ms, %d readings lost); SSE %d open, %d events, %d drops; load average %.2f → %.2f on %d CPUs\n",
		rep.OfferedObsPerS, rep.IngestedObsPerS, rep.AckedObsPerS, rep.SimLagMaxMs, rep.ReadingsLost, rep.SSEOpen, rep.SSEEvents, rep.SSEDrops,
		rep.LoadAvgBefore[0], rep.LoadAvgAfter[0], rep.NumCPU)
	fmt.Fprintf(g.Out, "%d units viewed; at the end %d running SLA clocks, %d firing and %d pending alerts\n",
		rep.UnitsViewed, rep.RunningClocks, rep.AlertsFiring, rep.AlertsPending)
	fmt.Fprintf(g.Out, "goroutines waiting for a CPU (server and viewers): p50 %.2f ms, p99 %.1f ms, max %.0f ms\n",
		rep.SchedLatency.P50Ms, rep.SchedLatency.P99Ms, rep.SchedLatency.MaxMs)
	return nil
}
