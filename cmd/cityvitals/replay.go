package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"cityvitals/app"
	"cityvitals/engine"
	"cityvitals/model"
	"cityvitals/obsimport"
	"cityvitals/replay"
	pebblestore "cityvitals/store/pebble"
)

// ReplayCmd feeds history through the engine at full speed.
type ReplayCmd struct {
	DataDir string   `help:"Data directory whose units and streams to use; default a fresh temporary one."`
	Mapping string   `type:"existingfile" help:"Replay CSV files read through this mapping (as the import command reads them)."`
	Paths   []string `arg:"" optional:"" type:"existingfile|existingdir" help:"CSV files or directories (with --mapping)."`
	From    string   `help:"Replay the data directory's stored history from this RFC 3339 time (without --mapping)."`
	To      string   `help:"... up to this RFC 3339 time (default now)."`
	Changes string   `help:"Write every level change as JSON lines to this file."`
	JSON    bool     `help:"Print one JSON object."`
}

// Run replays and reports.
func (c *ReplayCmd) Run(ctx context.Context, g *Globals) error {
	if (c.Mapping == "") == (c.From == "") {
		return fmt.Errorf("replay: give either --mapping with files, or --from (and --to) to replay stored history")
	}
	dir := c.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "cityvitals-replay-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	core, err := app.OpenCore(ctx, dir)
	if err != nil {
		return err
	}
	defer core.Close()
	cat, err := core.DefaultCatalog()
	if err != nil {
		return err
	}
	eng, err := core.NewEngine(engine.Config{}, cat)
	if err != nil {
		return err
	}
	out, closeOut, err := c.changesWriter()
	if err != nil {
		return err
	}
	defer closeOut()
	eng.Subscribe(out)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(runCtx) }()
	rep, err := c.feed(ctx, core, dir, eng)
	stop()
	err = errors.Join(err, <-done)
	if err != nil {
		return err
	}
	stats := eng.Stats()
	res := struct {
		replay.Report
		Late int64 `json:"late"`
	}{rep, stats.Late}
	res.LevelChanges = stats.LevelChanges
	if c.JSON {
		return json.NewEncoder(g.Out).Encode(res)
	}
	fmt.Fprintf(g.Out, "replayed %d observations of %d streams in %.1fs (engine %.1fs): %d level changes, %d late, %d skipped\n",
		res.Observations, res.Streams, res.Seconds, res.EngineSecs, res.LevelChanges, res.Late, res.Skipped)
	return nil
}

func (c *ReplayCmd) feed(ctx context.Context, core *app.Core, dir string, eng *engine.Engine) (replay.Report, error) {
	if c.Mapping != "" {
		m, err := obsimport.LoadMapping(c.Mapping)
		if err != nil {
			return replay.Report{}, err
		}
		rep, sum, err := replay.Files(ctx, eng, m, c.Paths, streamEnsurer{core.Inventory}, nil)
		if err == nil && !c.JSON && sum.SkippedCount() > 0 {
			_ = sum.WriteReport(os.Stderr)
		}
		return rep, err
	}
	from, err := time.Parse(time.RFC3339, c.From)
	if err != nil {
		return replay.Report{}, fmt.Errorf("--from: %w", err)
	}
	to := time.Now()
	if c.To != "" {
		if to, err = time.Parse(time.RFC3339, c.To); err != nil {
			return replay.Report{}, fmt.Errorf("--to: %w", err)
		}
	}
	h, err := pebblestore.Open(dir+"/history", pebblestore.Options{})
	if err != nil {
		return replay.Report{}, fmt.Errorf("open the history (is a server using %s?): %w", dir, err)
	}
	defer h.Close()
	var ids []int64
	_ = core.DB.EachDatastream(ctx, func(ds model.Datastream) error { ids = append(ids, ds.ID); return nil })
	return replay.Store(ctx, eng, h, ids, from.UnixMilli(), to.UnixMilli())
}

// changesWriter returns the level-change callback: JSON lines to the
// --changes file, or nothing.
func (c *ReplayCmd) changesWriter() (func(engine.LevelChange), func(), error) {
	if c.Changes == "" {
		return func(engine.LevelChange) {}, func() {}, nil
	}
	f, err := os.Create(c.Changes)
	if err != nil {
		return nil, nil, err
	}
	enc := json.NewEncoder(f)
	return func(ch engine.LevelChange) { _ = enc.Encode(ch) }, func() { f.Close() }, nil
}
