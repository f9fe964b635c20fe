package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"cityvitals/bench"
	"cityvitals/obsimport"
)

// BenchForecastCmd scores forecast early warnings on air-quality files.
type BenchForecastCmd struct {
	Mapping   string        `required:"" type:"existingfile" help:"Mapping YAML of the CSV files (see examples/import)."`
	Paths     []string      `arg:"" type:"existingfile|existingdir" help:"CSV files or directories of CSV files."`
	Property  string        `default:"pm25" help:"Observed property to forecast."`
	Threshold float64       `default:"150" help:"Warn of readings at or above this."`
	Horizon   time.Duration `default:"6h" help:"How far ahead a crossing is warned of; also the horizon a warning is judged by."`
	Rearm     time.Duration `default:"6h" help:"Time below the threshold before a crossing counts as a new episode."`
	Quantile  float64       `default:"0.5" help:"Quantile of the projected path that must cross."`
	JSON      bool          `help:"Print one JSON object."`
}

// Run replays the files through one forecaster and warner per stream.
func (c *BenchForecastCmd) Run(ctx context.Context, g *Globals) error {
	mapping, err := obsimport.LoadMapping(c.Mapping)
	if err != nil {
		return err
	}
	opts := bench.DefaultForecastOptions()
	opts.Property, opts.Threshold, opts.Horizon, opts.Rearm = c.Property, c.Threshold, c.Horizon, c.Rearm
	opts.Model.Quantile = c.Quantile
	rep, err := bench.RunForecast(ctx, mapping, c.Paths, opts, readProgress())
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(g.Out).Encode(rep)
	}
	fmt.Fprintf(g.Out, "%d episodes over %d streams: %.0f%% warned, median lead %.0f min; %d warnings, %.0f%% false (horizon %.0f min)\n",
		rep.Episodes, rep.Streams, 100*rep.HitRate, rep.MedianLeadMinutes, rep.Warnings, 100*rep.FalseWarningShare, rep.HorizonMinutes)
	return nil
}

// readProgress draws a progress bar of the files read on stderr, so that
// stdout keeps only the figures.
func readProgress() func(obsimport.Progress) {
	var bar *progressbar.ProgressBar
	return func(p obsimport.Progress) {
		if bar == nil {
			bar = progressbar.NewOptions64(p.BytesTotal, progressbar.OptionSetWriter(os.Stderr),
				progressbar.OptionSetDescription("reading"), progressbar.OptionShowBytes(true), progressbar.OptionClearOnFinish())
		}
		_ = bar.Set64(p.BytesRead)
	}
}
