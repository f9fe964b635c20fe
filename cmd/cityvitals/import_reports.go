package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"cityvitals/app"
	"cityvitals/citizen"
)

// ImportReportsCmd replays a 311-style CSV of citizen reports: each row
// is submitted at its creation time and, if closed, closed at its closing
// time, through the same path as live reports (duplicates merge, incidents
// open and close).
type ImportReportsCmd struct {
	DataDirFlag
	Mapping     string `required:"" type:"existingfile" help:"Column mapping YAML (see examples/import/sf311.yaml)."`
	Path        string `arg:"" type:"existingfile" help:"The CSV file."`
	KeepOutside bool   `help:"Keep rows whose point lies in no unit of the city (another city's data)."`
	Quiet       bool   `help:"No progress bar."`
	JSON        bool   `help:"Print the summary as JSON."`
}

// Run imports and prints what was refused and why.
func (c *ImportReportsCmd) Run(ctx context.Context, g *Globals) error {
	m, err := citizen.LoadMapping(c.Mapping)
	if err != nil {
		return err
	}
	f, err := os.Open(c.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	a, err := app.Open(ctx, app.Config{DataDir: c.DataDir}, g.Log)
	if err != nil {
		return err
	}
	defer a.Close()
	opts := citizen.ImportOptions{Actor: cliActor(), KeepOutside: c.KeepOutside}
	if !c.Quiet {
		var bar *progressbar.ProgressBar
		opts.Progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.Default(int64(total), "replaying")
			}
			_ = bar.Set(done)
		}
	}
	start := time.Now()
	rep, err := a.Reports.ImportCSV(ctx, f, m, opts)
	if c.JSON {
		_ = json.NewEncoder(g.Out).Encode(rep)
		return err
	}
	fmt.Fprintf(g.Out, "\n%d rows in %s: %d reports imported (%d duplicates merged), %d closed, %d already there, %d refused\n",
		rep.Rows, time.Since(start).Round(time.Millisecond), rep.Imported, rep.Duplicates, rep.Closed, rep.Existing, rep.Failed)
	for i, e := range rep.Errors {
		if i == 20 {
			fmt.Fprintf(g.Out, "  … and %d more\n", len(rep.Errors)-20)
			break
		}
		fmt.Fprintf(g.Out, "  line %d %s: %s\n", e.Line, e.Column, e.Message)
	}
	return err
}
