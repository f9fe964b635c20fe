package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/schollz/progressbar/v3"

	"cityvitals/bench"
	"cityvitals/detect/anomaly"
)

// BenchNABCmd replays a NAB-layout folder through the live anomaly watch,
// one datastream per file, and writes the score files that nabscore.py
// grades.
type BenchNABCmd struct {
	Data  string `required:"" type:"existingdir" help:"NAB-layout folder holding data/<category>/<file>.csv."`
	Out   string `required:"" help:"Folder to write <category>/<file>.csv (timestamp,anomaly_score) into."`
	Quiet bool   `help:"No progress bar."`
	JSON  bool   `help:"Print one JSON object."`
}

// Run replays every file with the default configuration, the one the
// live watch runs with.
func (c *BenchNABCmd) Run(ctx context.Context, g *Globals) error {
	opts := bench.NABOptions{DataDir: c.Data, OutDir: c.Out, Detector: anomaly.DefaultConfig()}
	if !c.Quiet {
		var bar *progressbar.ProgressBar
		opts.Progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.Default(int64(total), "scoring NAB files")
			}
			_ = bar.Set(done)
		}
	}
	rep, err := bench.RunNAB(ctx, opts)
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(g.Out).Encode(rep)
	}
	fmt.Fprintf(g.Out, "\nscored %d files, %d observations in %.2fs (%.0f ns/observation) into %s\n",
		rep.Files, rep.Observations, rep.Seconds, rep.NsPerObs, c.Out)
	return nil
}
