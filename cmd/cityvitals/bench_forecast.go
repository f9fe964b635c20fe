package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"cityvitals/bench"
	"cityvitals/detect/forecast"
	"cityvitals/obsimport"
)

// BenchForecastCmd scores forecast early warnings on air-quality files.
type BenchForecastCmd struct {
	Mapping    string        `required:"" type:"existingfile" help:"Mapping YAML of the CSV files (see examples/import)."`
	Paths      []string      `arg:"" type:"existingfile|existingdir" help:"CSV files or directories of CSV files."`
	Property   string        `default:"pm25" help:"Observed property to forecast."`
	Threshold  float64       `default:"150" help:"Warn of readings at or above this."`
	Horizon    time.Duration `default:"12h" help:"How far ahead a crossing is warned of: the horizon every warning states and is judged by."`
	Rearm      time.Duration `default:"6h" help:"Time below the threshold before a crossing counts as a new episode."`
	Quantile   float64       `default:"0.5" help:"Quantile of the projected path that must cross."`
	Half       string        `default:"all" enum:"all,train,held-out,year1,year2" help:"Stations and years to replay: all; train (even stations 2013-03…2015-02); held-out (odd stations 2015-03…2017-02); year1 and year2 are the train half's two years."`
	NoGate     bool          `help:"Warn whenever the forecast crosses, without the target's gate (the rule before issue #4's tuning)."`
	Gate       string        `type:"existingfile" help:"Judge this gate (JSON as printed by --fit) instead of the target's."`
	Trees      int           `default:"100" help:"With --fit: boosted trees added to the logistic gate (0: logistic only)."`
	Drop       []string      `help:"With --fit: features to hide from the gate (names as in predict.FeatureNames), to measure what they buy."`
	RaiseAfter int           `help:"Successive yes answers before a warning is raised (0: the target's)."`
	Hold       bool          `default:"true" negatable:"" help:"Keep each warning up for its whole stated horizon unless the series crosses (--no-hold: withdraw when the gate falls below its clear probability)."`
	Options    bool          `help:"Judge every warning rule tried (forecast alone, lower bound, k in a row, gates over more inputs) on both halves; prints a JSON array."`
	Fit        bool          `help:"Fit the gate (raise probability chosen by two-fold cross-validation on the train half's two years, then refitted on the whole train half) and print it as JSON: the source of detect/predict/pm25_gate.json."`
	JSON       bool          `help:"Print one JSON object."`
}

// Run replays the files through the forecast detector.
func (c *BenchForecastCmd) Run(ctx context.Context, g *Globals) error {
	mapping, err := obsimport.LoadMapping(c.Mapping)
	if err != nil {
		return err
	}
	opts := bench.DefaultForecastOptions()
	opts.Property, opts.Threshold, opts.Horizon, opts.Rearm = c.Property, c.Threshold, c.Horizon, c.Rearm
	opts.Model.Quantile = c.Quantile
	opts.Half = map[string]bench.Half{"all": bench.AllData(), "train": bench.TrainHalf(), "held-out": bench.HeldOutHalf(),
		"year1": bench.TrainYears()[0], "year2": bench.TrainYears()[1]}[c.Half]
	if c.NoGate || c.Property != "pm25" {
		opts.Target.Gate, opts.Target.Context = nil, nil
	}
	if c.Gate != "" {
		if opts.Target.Gate, err = readGate(c.Gate); err != nil {
			return err
		}
	}
	opts.Target.Hold = c.Hold
	if c.RaiseAfter > 0 {
		opts.Target.RaiseAfter = c.RaiseAfter
	}
	switch {
	case c.Options:
		cmp, err := bench.CompareForecast(ctx, mapping, c.Paths, opts, readProgress())
		if err != nil {
			return err
		}
		return json.NewEncoder(g.Out).Encode(cmp)
	case c.Fit:
		fit := bench.GateFit{Drop: c.Drop}
		if c.Trees > 0 {
			b := forecast.DefaultBoostConfig()
			b.Trees = c.Trees
			fit.Boost = &b
		}
		gate, choice, err := bench.FitForecastFiles(ctx, mapping, c.Paths, opts, fit, readProgress())
		if err != nil {
			return err
		}
		for _, p := range choice.Curve {
			fmt.Fprintf(os.Stderr, "raise p ≥ %.3f: cross-validated on the train years, hit rate %.3f, false share %.3f\n", p.Raise, p.HitRate, p.FalseWarningShare)
		}
		fmt.Fprintf(os.Stderr, "chosen: raise p ≥ %.3f\n", choice.Raise)
		return json.NewEncoder(g.Out).Encode(gate)
	}
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

func readGate(path string) (*forecast.Gate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read gate: %w", err)
	}
	var g forecast.Gate
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("read gate %s: %w", path, err)
	}
	return &g, nil
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
