// Command cityvitals is the one binary of the CityVitals platform: it
// serves the API and the embedded MQTT broker, imports units, assets and
// observations, manages users and tokens, verifies the audit log and runs
// the benchmarks.
//
// Every flag can also be set with a CITYVITALS_* environment variable
// (CITYVITALS_DATA_DIR for --data-dir) or in a YAML file given with
// --config, whose keys are the flag names with '_' or '-'.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
	"go.yaml.in/yaml/v3"
)

// CLI is the command tree.
type CLI struct {
	Config   kong.ConfigFlag `help:"YAML configuration file (keys are flag names)." type:"existingfile"`
	LogLevel string          `help:"Log level." default:"info" enum:"debug,info,warn,error"`

	Serve    ServeCmd    `cmd:"" help:"Start the platform: HTTP API, MQTT broker, ingest."`
	User     UserCmd     `cmd:"" help:"Manage users."`
	Token    TokenCmd    `cmd:"" help:"Issue device and API tokens."`
	Import   ImportCmd   `cmd:"" help:"Import units, grids, assets and observations into a data directory."`
	Audit    AuditCmd    `cmd:"" help:"Inspect the tamper-evident audit log."`
	Replay   ReplayCmd   `cmd:"" help:"Feed history (CSV files or the store) through the vital-signs engine at full speed."`
	Bench    BenchCmd    `cmd:"" help:"Benchmarks that print JSON figures."`
	Demo     DemoCmd     `cmd:"" help:"Start the platform with a generated demo city and live simulated data."`
	Simulate SimulateCmd `cmd:"" help:"Feed a demo server with simulated streams, or play a scenario against it."`
}

// Globals are what every command gets.
type Globals struct {
	Log *slog.Logger
	Out io.Writer
}

func main() {
	var cli CLI
	parser := kong.Parse(&cli,
		kong.Name("cityvitals"),
		kong.Description("CityVitals: the city's vital signs, from sensors to closed-loop action."),
		kong.DefaultEnvars("CITYVITALS"),
		kong.Configuration(yamlResolver),
		kong.UsageOnError(),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &Globals{Log: newLogger(cli.LogLevel), Out: os.Stdout}
	parser.BindTo(ctx, (*context.Context)(nil))
	parser.FatalIfErrorf(parser.Run(g))
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// yamlResolver reads the YAML configuration file by converting it to the
// JSON form kong's own resolver understands.
func yamlResolver(r io.Reader) (kong.Resolver, error) {
	var values map[string]any
	if err := yaml.NewDecoder(r).Decode(&values); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read YAML configuration: %w", err)
	}
	raw, err := json.Marshal(normaliseKeys(values))
	if err != nil {
		return nil, fmt.Errorf("read YAML configuration: %w", err)
	}
	return kong.JSON(bytes.NewReader(raw))
}

// normaliseKeys lets the file say data-dir or data_dir alike.
func normaliseKeys(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		key := []byte(k)
		for i, c := range key {
			if c == '-' {
				key[i] = '_'
			}
		}
		if sub, ok := v.(map[string]any); ok {
			v = normaliseKeys(sub)
		}
		out[string(key)] = v
	}
	return out
}
