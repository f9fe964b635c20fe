package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"cityvitals/app"
	"cityvitals/simulate"
)

// DemoCmd starts the platform on a fresh data directory with a generated
// demo city and the simulator feeding it.
type DemoCmd struct {
	HTTPAddr   string        `name:"http-addr" help:"API listen address." default:"127.0.0.1:8080"`
	Seed       int64         `help:"Seed of the city and its data: the same seed gives the same city and readings." default:"1"`
	Rate       float64       `help:"Observations per second the simulator sends (at least the city's natural rate)." default:"2000"`
	Scale      string        `help:"City size: small (4 districts, 36 streets) or medium (8 districts, 72 streets)." default:"small" enum:"small,medium"`
	Keep       bool          `help:"Keep the data directory when the demo stops."`
	Backfill   bool          `help:"Send recent history first (3 h; 2 days of weather) so windowed indicators start full." default:"true" negatable:""`
	EngineStep time.Duration `help:"Vital-signs evaluation tick (event time); short, so a demo reacts within seconds." default:"5s"`
}

// Run builds the city, serves it and simulates until interrupted.
func (c *DemoCmd) Run(ctx context.Context, g *Globals) error {
	began := time.Now()
	city, err := simulate.GenerateCity(c.Seed, simulate.Scale(c.Scale))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "cityvitals-demo-")
	if err != nil {
		return fmt.Errorf("demo: create the data directory: %w", err)
	}
	if !c.Keep {
		defer os.RemoveAll(dir)
	}
	cfg := app.Config{DataDir: dir, HTTPAddr: c.HTTPAddr, EngineStep: c.EngineStep, EngineLateness: c.EngineStep}
	a, err := app.Open(ctx, cfg, g.Log)
	if err != nil {
		return err
	}
	defer a.Close()
	installed, err := simulate.Install(ctx, simulate.Platform{Inventory: a.Inventory, Teams: a.DB, Accounts: a.Accounts}, city)
	if err != nil {
		return err
	}
	base := "http://" + a.HTTPAddr()
	sink, err := simulate.NewHTTPSink(base, installed.DeviceToken, nil)
	if err != nil {
		return err
	}
	sim, err := simulate.New(simulate.Config{City: city, Sink: sink, Rate: c.Rate, Backfill: c.Backfill, Logger: g.Log})
	if err != nil {
		return err
	}
	a.AttachSimulator(sim)
	return c.serve(ctx, g, a, sim, func() {
		printDemo(g, demoBanner{base: base, drillToken: installed.DrillToken, dir: dir, keep: c.Keep,
			city: city, installed: installed, seed: c.Seed, scale: c.Scale, took: time.Since(began)})
	})
}

// serve runs the platform and the simulator until ctx ends; ready is
// called once the API answers.
func (c *DemoCmd) serve(ctx context.Context, g *Globals, a *app.App, sim *simulate.Simulator, ready func()) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	appDone := make(chan error, 1)
	go func() { appDone <- a.Run(runCtx) }()
	simDone := make(chan error, 1)
	go func() { simDone <- sim.Run(runCtx) }()
	ready()
	var err error
	select {
	case <-ctx.Done():
	case err = <-simDone:
		simDone <- nil
	}
	stop()
	err = errors.Join(err, <-simDone, <-appDone)
	sent, failed := sim.Stats()
	g.Log.Info("demo stopped", "readings_sent", sent, "readings_lost", failed)
	return err
}

type demoBanner struct {
	base, drillToken, dir string
	keep                  bool
	city                  *simulate.City
	installed             simulate.Installed
	seed                  int64
	scale                 string
	took                  time.Duration
}

func printDemo(g *Globals, b demoBanner) {
	w := g.Out
	fmt.Fprintf(w, "CityVitals demo city ready in %.1fs: %d units (%d districts, %d streets), %d assets, %d datastreams, %d field teams\n",
		b.took.Seconds(), b.installed.Units, len(b.city.Districts), len(b.city.Streets), b.installed.Assets, b.installed.Streams, b.installed.Teams)
	fmt.Fprintf(w, "API:  %s/api/v1   (vital signs: %s/api/v1/vitals/units/city)\n", b.base, b.base)
	fmt.Fprintf(w, "Data: %s%s\n\n", b.dir, map[bool]string{true: " (kept)", false: " (removed on exit; --keep keeps it)"}[b.keep])
	fmt.Fprintln(w, "Users (passwords are random and shown only now):")
	for _, u := range b.installed.Users {
		dept := u.Dept
		if dept == "" {
			dept = "-"
		}
		fmt.Fprintf(w, "  user %-18s role %-10s dept %-16s password %s\n", u.Name, u.Role, dept, u.Password)
	}
	fmt.Fprintf(w, "\nGateway device token (device %s): %s\n", simulate.GatewayDevice, b.installed.DeviceToken)
	fmt.Fprintf(w, "\nDrill scenarios (the dashboard's drill panel, or POST /api/v1/scenarios/{name} with the operator's API token %s):\n", b.drillToken)
	for _, s := range simulate.Scenarios() {
		fmt.Fprintf(w, "  %-17s %s / %s (%s)\n", s.Name, s.TitleZH, s.TitleEN, s.Duration)
	}
	fmt.Fprintf(w, "Play one:\n  cityvitals simulate --control %s --token %s --scenario gas_leak --unit %s\n", b.base, b.drillToken, b.city.Streets[0])
	fmt.Fprintf(w, "  curl -X POST -H 'Authorization: Bearer %s' -d '{\"unit\":\"%s\"}' %s/api/v1/scenarios/gas_leak\n", b.drillToken, b.city.Streets[0], b.base)
	fmt.Fprintf(w, "\nServing at %s (seed %d, scale %s). Ctrl-C stops.\n", b.base, b.seed, b.scale)
}
