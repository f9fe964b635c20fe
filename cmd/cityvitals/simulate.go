package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"cityvitals/simulate"
)

// SimulateCmd feeds a running server with the demo city's streams, or
// plays one scenario against it.
type SimulateCmd struct {
	URL      string        `help:"Server root URL (the demo prints it)." default:"http://127.0.0.1:8080"`
	MQTT     string        `help:"Publish over MQTT to this broker (tcp://host:port, the server's --mqtt-addr) instead of posting to --url."`
	Token    string        `help:"Device token of the demo gateway; with --control, an API token with scenario.run (the demo prints the operator's)." env:"CITYVITALS_SIM_TOKEN"`
	Seed     int64         `help:"Seed the demo city was built with." default:"1"`
	Scale    string        `help:"Scale the demo city was built with." default:"small" enum:"small,medium"`
	Rate     float64       `help:"Observations per second." default:"2000"`
	Scenario string        `help:"Play this scenario (see --list) for its duration, then exit."`
	Unit     string        `help:"Street, district or city code the scenario plays in (default: the scenario's own)."`
	Control  string        `help:"Base URL of a running demo (e.g. http://127.0.0.1:8080): play the scenario there, through its API, so the demo's own simulator plays it."`
	Duration time.Duration `help:"Without --scenario, stop after this long (0: until interrupted)."`
	List     bool          `help:"List the scenarios and exit."`
}

// Run does what the flags say.
func (c *SimulateCmd) Run(ctx context.Context, g *Globals) error {
	if c.List {
		return json.NewEncoder(g.Out).Encode(simulate.Scenarios())
	}
	if c.Control != "" {
		return c.injectRemote(ctx, g)
	}
	city, err := simulate.GenerateCity(c.Seed, simulate.Scale(c.Scale))
	if err != nil {
		return err
	}
	sink, err := c.sink(ctx)
	if err != nil {
		return err
	}
	if closer, ok := sink.(interface{ Close() }); ok {
		defer closer.Close()
	}
	sim, err := simulate.New(simulate.Config{City: city, Sink: sink, Rate: c.Rate, Logger: g.Log})
	if err != nil {
		return err
	}
	if c.Scenario != "" {
		inj, err := sim.RunScenario(ctx, c.Scenario, simulate.InjectOptions{Unit: c.Unit})
		if err != nil {
			return err
		}
		sent, lost := sim.Stats()
		fmt.Fprintf(g.Out, "scenario %s in %s from %s to %s: %d streams, %d readings sent, %d lost\n",
			inj.Scenario, inj.Unit, inj.At.Format(time.RFC3339), inj.Until.Format(time.RFC3339), inj.Streams, sent, lost)
		return nil
	}
	if c.Unit != "" {
		return fmt.Errorf("--unit needs --scenario")
	}
	if c.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Duration)
		defer cancel()
	}
	err = sim.Run(ctx)
	sent, lost := sim.Stats()
	fmt.Fprintf(g.Out, "%d readings sent, %d lost\n", sent, lost)
	return err
}

// sink is where readings go: the broker with --mqtt, else the HTTP API.
func (c *SimulateCmd) sink(ctx context.Context) (simulate.Sink, error) {
	if c.MQTT != "" {
		return simulate.NewMQTTSink(ctx, c.MQTT, simulate.GatewayDevice, c.Token)
	}
	return simulate.NewHTTPSink(c.URL, c.Token, nil)
}

// injectRemote asks a running demo, through its API, to play the
// scenario.
func (c *SimulateCmd) injectRemote(ctx context.Context, g *Globals) error {
	if c.Scenario == "" {
		return fmt.Errorf("--control needs --scenario NAME")
	}
	body, _ := json.Marshal(simulate.InjectOptions{Unit: c.Unit})
	url := strings.TrimRight(c.Control, "/") + "/api/v1/scenarios/" + c.Scenario
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--control %q: %w", c.Control, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("inject %s: %w", c.Scenario, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("inject %s: HTTP %d: %s", c.Scenario, resp.StatusCode, bytes.TrimSpace(answer))
	}
	_, err = g.Out.Write(answer)
	return err
}
