package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"time"

	"cityvitals/bench"
)

// BenchCmd groups the benchmarks.
type BenchCmd struct {
	Ingest   BenchIngestCmd   `cmd:"" help:"Drive a loopback server with HTTP NDJSON and MQTT batches; compare with raw store writes."`
	Streams  BenchStreamsCmd  `cmd:"" help:"Memory of N registered datastreams with live latest values."`
	Latency  BenchLatencyCmd  `cmd:"" help:"Time from an observation's acknowledgement to its level change on the SSE stream, under load."`
	NAB      BenchNABCmd      `cmd:"" name:"nab" help:"Score a NAB-layout folder with the seasonal anomaly detector (one file, one stream)."`
	Forecast BenchForecastCmd `cmd:"" help:"Replay air-quality CSV files through forecast early warning; score lead time and false warnings."`
	Storm    BenchStormCmd    `cmd:"" help:"Silence 100,000 devices in 20 units under load; time the grouped alerts and watch ingest."`

	Dashboard BenchDashboardCmd `cmd:"" help:"100 dashboards walk the demo city while its simulator feeds 50,000 obs/s; time every API call."`
}

// BenchIngestCmd runs the ingest benchmark.
type BenchIngestCmd struct {
	Streams     int           `default:"10000" help:"Datastreams to register and write to."`
	Batch       int           `default:"1000" help:"Observations per HTTP request or MQTT message."`
	HTTPWorkers int           `name:"http-workers" default:"8" help:"Concurrent HTTP clients."`
	MQTTClients int           `name:"mqtt-clients" default:"4" help:"Concurrent MQTT clients (QoS 1)."`
	Duration    time.Duration `default:"10s" help:"Length of each measured phase."`
	Units       int           `help:"Cover the streams' area with about this many grid cells."`
	Indicators  int           `help:"Add this many generated grid-level indicators to the default catalog."`
	Engine      bool          `help:"Also run the load without the vital-signs engine and report what the engine costs."`
	CPUProfile  string        `name:"cpuprofile" help:"Write a CPU profile of the whole run to this file."`
	JSON        bool          `help:"Print one JSON object."`
}

// Run runs the benchmark and prints the figures.
func (c *BenchIngestCmd) Run(ctx context.Context, g *Globals) error {
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.RunIngest(ctx, bench.IngestOptions{
		Streams: c.Streams, Batch: c.Batch, HTTPWorkers: c.HTTPWorkers,
		MQTTClients: c.MQTTClients, Duration: c.Duration, Logger: g.Log,
		Units: c.Units, ExtraIndicators: c.Indicators, CompareEngine: c.Engine,
	})
	if err != nil {
		return err
	}
	rep.GOMAXPROCS = runtime.GOMAXPROCS(0)
	if c.JSON {
		return json.NewEncoder(g.Out).Encode(rep)
	}
	fmt.Fprintf(g.Out, "platform: %.0f obs/s (HTTP %.0f, MQTT %.0f), ack p50 %.1f ms, p99 %.1f ms\n",
		rep.ObsPerS, rep.HTTPObsPerS, rep.MQTTObsPerS, rep.P50AckMs, rep.P99AckMs)
	fmt.Fprintf(g.Out, "raw store: %.0f obs/s; platform/raw = %.2f\n", rep.RawObsPerS, rep.RatioToRaw)
	return nil
}

// BenchStreamsCmd measures the memory of many registered datastreams with
// live latest values, in a fresh process as the server would hold them.
type BenchStreamsCmd struct {
	N          int    `default:"1000000" help:"Datastreams to register."`
	DataDir    string `help:"Use (and keep) this directory; default a temporary one."`
	Existing   bool   `help:"Only measure opening an already populated --data-dir." hidden:""`
	MemProfile string `name:"memprofile" help:"With --existing: write a heap profile after opening."`
	JSON       bool   `help:"Print one JSON object."`
}

// Run populates a directory, then re-executes itself to measure a fresh
// process opening it, so the figure is not inflated by the population.
func (c *BenchStreamsCmd) Run(ctx context.Context, g *Globals) error {
	if c.Existing {
		rep, err := bench.MeasureOpen(ctx, c.DataDir, func() {
			if c.MemProfile == "" {
				return
			}
			if f, err := os.Create(c.MemProfile); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		})
		if err != nil {
			return err
		}
		return json.NewEncoder(g.Out).Encode(rep)
	}
	dir := c.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "cityvitals-streams-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	took, err := bench.PopulateStreams(ctx, dir, c.N, g.Log)
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, os.Args[0], "bench", "streams", "--existing", "--data-dir", dir).Output()
	if err != nil {
		return fmt.Errorf("measure in a fresh process: %w", err)
	}
	var rep bench.StreamsReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return fmt.Errorf("measure in a fresh process: %w", err)
	}
	rep.RegisterSeconds = took.Seconds()
	if c.JSON {
		return json.NewEncoder(g.Out).Encode(rep)
	}
	fmt.Fprintf(g.Out, "%d streams: registered in %.1fs; a fresh process opens them in %.1fs and holds %.0f MiB RSS (%.0f B/stream)\n",
		rep.Streams, rep.RegisterSeconds, rep.OpenSeconds, float64(rep.RSSBytes)/(1<<20), rep.BytesPerStream)
	return nil
}

// BenchLatencyCmd times level changes from acknowledgement to the SSE
// stream under load.
type BenchLatencyCmd struct {
	Rate     int           `default:"100000" help:"Background observations per second."`
	Streams  int           `default:"100000" help:"Background datastreams."`
	Probes   int           `default:"200" help:"Level changes to time."`
	Step     time.Duration `default:"50ms" help:"Engine evaluation tick."`
	Lateness time.Duration `default:"1ms" help:"Engine allowed lateness."`
	Units    int           `default:"5000" help:"Grid cells over the streams' area."`
	JSON     bool          `help:"Print one JSON object."`
}

// Run runs the benchmark.
func (c *BenchLatencyCmd) Run(ctx context.Context, g *Globals) error {
	rep, err := bench.RunLatency(ctx, bench.LatencyOptions{
		Rate: c.Rate, Streams: c.Streams, Probes: c.Probes, Step: c.Step, Lateness: c.Lateness, Units: c.Units, Logger: g.Log,
	})
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(g.Out).Encode(rep)
	}
	fmt.Fprintf(g.Out, "level change on SSE after ack: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d probes, load %.0f obs/s, step %d ms, lateness %d ms)\n",
		rep.P50Ms, rep.P99Ms, rep.MaxMs, rep.Probes, rep.LoadObsPerS, rep.StepMs, rep.LatenessMs)
	return nil
}
