package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"cityvitals/bench"
)

// BenchStormCmd runs the silent-device storm through the whole platform.
type BenchStormCmd struct {
	Streams      int           `default:"200000" help:"Datastreams in all."`
	StormUnits   int           `name:"storm-units" default:"20" help:"Units whose every device falls silent at once."`
	PerStormUnit int           `name:"per-storm-unit" default:"5000" help:"Devices in each of those units."`
	SteadyUnits  int           `name:"steady-units" default:"1000" help:"Units the streams that keep reporting spread over."`
	Interval     time.Duration `default:"1m" help:"Declared reporting interval of every stream (the silent detector counts at least 1m)."`
	Rate         int           `default:"100000" help:"Observations per second over HTTP, before and after the cut."`
	Workers      int           `default:"8" help:"Concurrent HTTP senders."`
	Warmup       time.Duration `default:"10s" help:"Load before the measured window."`
	Window       time.Duration `default:"20s" help:"Length of each measured load window (before the cut, before the silence threshold, from it)."`
	Step         time.Duration `default:"50ms" help:"Engine evaluation tick."`
	Lateness     time.Duration `default:"1ms" help:"Engine allowed lateness."`
	Speed        float64       `default:"1" help:"Run event time this many times faster than the wall clock (1 = readings carry the wall clock; more only for quick checks)."`
	Timeout      time.Duration `default:"1m" help:"How long after the silence threshold to wait for the grouped alerts."`
	CPUProfile   string        `name:"cpuprofile" help:"Write a CPU profile of the detection (from 1 s before the threshold) to this file."`
	JSON         bool          `help:"Print one JSON object."`
}

// Run runs the benchmark.
func (c *BenchStormCmd) Run(ctx context.Context, g *Globals) error {
	opts := bench.StormOptions{
		Streams: c.Streams, StormUnits: c.StormUnits, PerStormUnit: c.PerStormUnit, SteadyUnits: c.SteadyUnits,
		Interval: c.Interval, Rate: c.Rate, Workers: c.Workers, Warmup: c.Warmup, Window: c.Window,
		Step: c.Step, Lateness: c.Lateness, Speed: c.Speed, Timeout: c.Timeout, Logger: g.Log,
	}
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.CPUProfile = f
	}
	rep, err := bench.RunStorm(ctx, opts)
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(g.Out).Encode(rep)
	}
	fmt.Fprintf(g.Out, "%d of %d streams silent in %d units: %d grouped alerts fired, %d silent alerts stored (%d per-stream, %d stray)\n",
		rep.SilentStreams, rep.Streams, rep.StormUnits, rep.GroupAlerts, rep.SilentAlerts, rep.StreamAlerts, rep.StrayAlerts)
	fmt.Fprintf(g.Out, "after the %.0f s threshold: p50 %.0f ms, max %.0f ms (at worst %.0f ms until a scan caught it, %.0f ms from its event time to arrival)\n",
		rep.SilentAfterS, rep.AlertP50Ms, rep.AlertMaxMs, rep.ScanLagMaxMs, rep.ClockLagMaxMs)
	fmt.Fprintf(g.Out, "ingest before the threshold %.0f obs/s (p99 ack %.1f ms, longest gap %.0f ms); during detection %.0f obs/s (p99 ack %.1f ms, longest gap %.0f ms); ratio %.2f; goal met: %v\n",
		rep.Before.ObsPerS, rep.Before.P99AckMs, rep.Before.MaxGapMs, rep.During.ObsPerS, rep.During.P99AckMs, rep.During.MaxGapMs, rep.ThroughputRatio, rep.GoalMet)
	return nil
}
