package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	"cityvitals/bench"
)

// BenchCmd groups the benchmarks.
type BenchCmd struct {
	Ingest BenchIngestCmd `cmd:"" help:"Drive a loopback server with HTTP NDJSON and MQTT batches; compare with raw store writes."`
}

// BenchIngestCmd runs the ingest benchmark.
type BenchIngestCmd struct {
	Streams     int           `default:"10000" help:"Datastreams to register and write to."`
	Batch       int           `default:"1000" help:"Observations per HTTP request or MQTT message."`
	HTTPWorkers int           `name:"http-workers" default:"8" help:"Concurrent HTTP clients."`
	MQTTClients int           `name:"mqtt-clients" default:"4" help:"Concurrent MQTT clients (QoS 1)."`
	Duration    time.Duration `default:"10s" help:"Length of each measured phase."`
	JSON        bool          `help:"Print one JSON object."`
}

// Run runs the benchmark and prints the figures.
func (c *BenchIngestCmd) Run(ctx context.Context, g *Globals) error {
	rep, err := bench.RunIngest(ctx, bench.IngestOptions{
		Streams: c.Streams, Batch: c.Batch, HTTPWorkers: c.HTTPWorkers,
		MQTTClients: c.MQTTClients, Duration: c.Duration, Logger: g.Log,
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
