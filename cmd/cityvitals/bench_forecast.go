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
	"cityvitals/detect/predict"
	"cityvitals/obsimport"
)

// BenchForecastCmd scores forecast early warnings on air-quality files.
type BenchForecastCmd struct {
	Mapping    string          `required:"" type:"existingfile" help:"Mapping YAML of the CSV files (see examples/import)."`
	Paths      []string        `arg:"" type:"existingfile|existingdir" help:"CSV files or directories of CSV files."`
	Property   string          `default:"pm25" help:"Observed property to forecast."`
	Threshold  float64         `default:"150" help:"Warn of readings at or above this."`
	Horizon    time.Duration   `help:"How far ahead a crossing is warned of: the longest window a warning states and is judged by (0: the target's)."`
	Rearm      time.Duration   `default:"6h" help:"Time below the threshold before a crossing counts as a new episode."`
	Quantile   float64         `default:"0.5" help:"Quantile of the projected path that must cross."`
	Half       string          `default:"all" enum:"all,train,held-out,year1,year2,other-stations,later-years" help:"Stations and years to replay: all; train (even stations 2013-03…2015-02); held-out (odd stations 2015-03…2017-02); year1 and year2 are the train half's two years; other-stations (odd stations 2013-03…2015-02) and later-years (even stations 2015-03…2017-02) split the held-out half's difference in two."`
	NoGate     bool            `help:"Warn whenever the forecast crosses, without the target's gate (the rule before issue #4's tuning)."`
	Gate       string          `type:"existingfile" help:"Judge these window gates (JSON as printed by --fit) instead of the target's."`
	Windows    []time.Duration `help:"Windows shorter than the horizon a warning may state, each with its own gate (default: the target's; 0 alone: none). With --fit and --options: the windows to fit."`
	Trees      int             `default:"100" help:"With --fit: boosted trees added to the logistic gate (0: logistic only)."`
	Drop       []string        `help:"With --fit: features to hide from the gate (names as in predict.FeatureNames), to measure what they buy."`
	RaiseAfter int             `help:"Successive yes answers before a warning is raised (0: the target's)."`
	Hold       bool            `default:"true" negatable:"" help:"Keep each warning up for its whole stated horizon unless the series crosses (--no-hold: withdraw when the gate falls below its clear probability)."`
	Options    bool            `help:"Judge every warning rule tried (forecast alone, lower bound, k in a row, gates over more inputs) on both halves; prints a JSON array."`
	Fit        bool            `help:"Fit the gate (raise probability chosen by two-fold cross-validation on the train half's two years, then refitted on the whole train half) and print it as JSON: the source of detect/predict/pm25_windows.json."`
	JSON       bool            `help:"Print one JSON object."`
}

// Run replays the files through the forecast detector.
func (c *BenchForecastCmd) Run(ctx context.Context, g *Globals) error {
	mapping, err := obsimport.LoadMapping(c.Mapping)
	if err != nil {
		return err
	}
	opts := bench.DefaultForecastOptions()
	opts.Property, opts.Threshold, opts.Rearm = c.Property, c.Threshold, c.Rearm
	if c.Horizon > 0 {
		opts.Horizon = c.Horizon
	}
	opts.Model.Quantile = c.Quantile
	opts.Half = map[string]bench.Half{"all": bench.AllData(), "train": bench.TrainHalf(), "held-out": bench.HeldOutHalf(),
		"year1": bench.TrainYears()[0], "year2": bench.TrainYears()[1], "other-stations": bench.OtherStations(), "later-years": bench.LaterYears()}[c.Half]
	if err := c.chooseWindows(&opts); err != nil {
		return err
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
		for _, w := range opts.Target.Windows {
			fit.Windows = append(fit.Windows, w.Within)
		}
		if c.Trees > 0 {
			b := forecast.DefaultBoostConfig()
			b.Trees = c.Trees
			fit.Boost = &b
		}
		windows, choice, err := bench.FitForecastFiles(ctx, mapping, c.Paths, opts, fit, readProgress())
		if err != nil {
			return err
		}
		for _, p := range choice.Curve {
			fmt.Fprintf(os.Stderr, "raise p ≥ %.3f: cross-validated on the train years, hit rate %.3f, false share %.3f\n", p.Raise, p.HitRate, p.FalseWarningShare)
		}
		fmt.Fprintf(os.Stderr, "chosen: raise p ≥ %.3f\n", choice.Raise)
		return json.NewEncoder(g.Out).Encode(windows)
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

// chooseWindows sets the target's window gates from the flags: none
// (--no-gate, or a property other than PM2.5), a file's (--gate), or the
// shipped ones; --windows replaces the shorter windows (ungated: only
// --fit and --options fit them).
func (c *BenchForecastCmd) chooseWindows(opts *bench.ForecastOptions) error {
	switch {
	case c.NoGate || c.Property != "pm25":
		opts.Target.Gate, opts.Target.Windows, opts.Target.Context = nil, nil, nil
		return nil
	case c.Gate != "":
		b, err := os.ReadFile(c.Gate)
		if err != nil {
			return fmt.Errorf("read gate: %w", err)
		}
		ws, err := predict.ParseWindows(b)
		if err != nil {
			return fmt.Errorf("read gate %s: %w", c.Gate, err)
		}
		opts.Target.SetWindows(ws)
		opts.Horizon = opts.Target.Horizon
		return nil
	}
	if c.Windows != nil || opts.Horizon != opts.Target.Horizon {
		if !c.Fit && !c.Options {
			return fmt.Errorf("--windows and --horizon change the windows the gates are fitted for: use them with --fit or --options, or judge a fitted file with --gate")
		}
		opts.Target.Windows = nil
		for _, w := range c.Windows {
			if w > 0 {
				opts.Target.Windows = append(opts.Target.Windows, predict.Window{Within: w})
			}
		}
	}
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
