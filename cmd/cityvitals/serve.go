package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"cityvitals/app"
	"cityvitals/ingest"
	"cityvitals/mqtt"
	"cityvitals/notify/webhook"
)

// DataDirFlag is the data directory every command works on.
type DataDirFlag struct {
	DataDir string `help:"Data directory (SQLite and Pebble files)." default:"./cityvitals-data" type:"path"`
}

// ServeCmd starts the platform.
type ServeCmd struct {
	DataDirFlag
	HTTPAddr        string        `name:"http-addr" help:"API listen address." default:"127.0.0.1:8080"`
	MQTTAddr        string        `name:"mqtt-addr" help:"Embedded MQTT broker address; empty disables it." default:"127.0.0.1:1884"`
	SessionTTL      time.Duration `help:"Login session lifetime." default:"12h"`
	ShutdownTimeout time.Duration `help:"Graceful shutdown bound." default:"15s"`
	EngineStep      time.Duration `help:"Vital-signs evaluation tick (event time)." default:"1m"`
	EngineLateness  time.Duration `help:"How long the engine waits for late observations (event time) before evaluating a tick." default:"2m"`
	Indicators      []string      `help:"Extra indicator catalog files (YAML, see docs/indicators.md), added to the default catalog." type:"existingfile"`
	SLAPolicy       string        `name:"sla-policy" help:"SLA policy file replacing the embedded one (calendars, categories, time limits; see docs/incidents.md)." type:"existingfile"`
	Routing         string        `help:"Incident routing rules replacing the embedded ones (CEL; see docs/incidents.md)." type:"existingfile"`
	AutoRules       string        `help:"Rules by which alerts register incidents, replacing the defaults (YAML; see docs/incidents.md)." type:"existingfile"`

	Webhook []string `help:"Alert webhook 'NAME=URL', repeatable; its signing secret comes from CITYVITALS_WEBHOOK_SECRET_<NAME>."`
	// Escalation and repeat waits of unacknowledged alerts, per level.
	Escalate    map[string]string        `help:"Webhook that also gets the repeats of unacknowledged alerts, per level: red=supervisors;orange=supervisors." mapsep:";"`
	RepeatAfter map[string]time.Duration `help:"How long a firing alert may stay unacknowledged before it is sent again, per level: red=15m;orange=30m (0: never)." mapsep:";"`
	// Grouping of alert notifications (Alertmanager's group_wait and
	// group_interval): a storm becomes one message per unit and domain.
	AlertGroupWait     time.Duration `help:"How long a new group of alerts (one unit, one domain) collects before its first notification." default:"30s"`
	AlertGroupInterval time.Duration `help:"Least time between two notifications of one group." default:"5m"`
	OutboxRetention    time.Duration `help:"How long delivered notifications are kept; longer than any alert group stays quiet." default:"720h"`

	IngestFlags `embed:"" prefix:"ingest-"`
	BridgeFlags `embed:"" prefix:"bridge-"`
}

// IngestFlags are the ingest limits.
type IngestFlags struct {
	MaxBody       int           `help:"Largest observation batch body in bytes." default:"16777216"`
	MaxItems      int           `help:"Most observations in one batch." default:"100000"`
	QueueCapacity int           `help:"Observations accepted but not yet durable before ingest pushes back (503)." default:"500000"`
	MaxFuture     time.Duration `help:"How far ahead of the clock an observation may be." default:"5m"`
	MaxPast       time.Duration `help:"How far back an observation may be." default:"87600h"`
}

func (f IngestFlags) config() ingest.Config {
	return ingest.Config{
		MaxBodyBytes: f.MaxBody, MaxBatchItems: f.MaxItems, QueueCapacity: f.QueueCapacity,
		MaxFuture: f.MaxFuture, MaxPast: f.MaxPast,
	}
}

// BridgeFlags configure the optional bridge to an external MQTT broker.
type BridgeFlags struct {
	URL       string   `name:"url" help:"External broker to bridge from, e.g. tcp://127.0.0.1:1883; empty disables the bridge."`
	ClientID  string   `help:"Persistent session id on the external broker." default:"cityvitals-bridge"`
	Username  string   `help:"User name on the external broker."`
	Password  string   `help:"Password on the external broker (prefer the environment variable)."`
	Subscribe []string `help:"Subscription 'FILTER;device=ID[;format=batch|stream][;key=TEMPLATE][;provision]', repeatable."`
}

func (f BridgeFlags) config() (mqtt.BridgeConfig, error) {
	cfg := mqtt.BridgeConfig{BrokerURL: f.URL, ClientID: f.ClientID, Username: f.Username, Password: f.Password}
	for _, spec := range f.Subscribe {
		sub, err := parseSubscription(spec)
		if err != nil {
			return cfg, err
		}
		cfg.Subscriptions = append(cfg.Subscriptions, sub)
	}
	return cfg, nil
}

func parseSubscription(spec string) (mqtt.BridgeSubscription, error) {
	parts := strings.Split(spec, ";")
	sub := mqtt.BridgeSubscription{Filter: parts[0], Format: mqtt.FormatBatch}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "device":
			sub.Device = v
		case "format":
			sub.Format = mqtt.PayloadFormat(v)
		case "key":
			sub.KeyTemplate = v
		case "provision":
			sub.Provision = true
		default:
			return sub, fmt.Errorf("--bridge-subscribe %q: unknown option %q", spec, k)
		}
	}
	return sub, nil
}

// webhooks parses the --webhook flags; secrets come from the environment
// so they never sit in a process listing or a config file.
func (c *ServeCmd) webhooks() ([]webhook.Receiver, error) {
	var out []webhook.Receiver
	for _, spec := range c.Webhook {
		name, url, ok := strings.Cut(spec, "=")
		if !ok || name == "" || url == "" {
			return nil, fmt.Errorf("--webhook %q: want NAME=URL", spec)
		}
		r := webhook.Receiver{Name: name, URL: url, Secret: os.Getenv("CITYVITALS_WEBHOOK_SECRET_" + strings.ToUpper(name))}
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("--webhook %q: %w", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

var levelByName = map[string]int8{"blue": 1, "yellow": 2, "orange": 3, "red": 4}

// alertEscalation reads --escalate and --repeat-after; an escalation
// receiver must be one of the webhooks.
func (c *ServeCmd) alertEscalation(hooks []webhook.Receiver) (map[int8]string, map[int8]time.Duration, error) {
	escalate := map[int8]string{}
	for name, receiver := range c.Escalate {
		level, ok := levelByName[name]
		if !ok {
			return nil, nil, fmt.Errorf("--escalate %s=…: level must be blue, yellow, orange or red", name)
		}
		if !slices.ContainsFunc(hooks, func(r webhook.Receiver) bool { return r.Name == receiver }) {
			return nil, nil, fmt.Errorf("--escalate %s=%s: no --webhook is named %q", name, receiver, receiver)
		}
		escalate[level] = receiver
	}
	var repeat map[int8]time.Duration
	for name, wait := range c.RepeatAfter {
		level, ok := levelByName[name]
		if !ok || wait < 0 {
			return nil, nil, fmt.Errorf("--repeat-after %s=%s: want a level (blue…red) and a duration ≥ 0", name, wait)
		}
		if repeat == nil {
			repeat = map[int8]time.Duration{}
		}
		repeat[level] = wait
	}
	return escalate, repeat, nil
}

func (c *ServeCmd) config() (app.Config, error) {
	hooks, err := c.webhooks()
	if err != nil {
		return app.Config{}, err
	}
	escalate, repeat, err := c.alertEscalation(hooks)
	if err != nil {
		return app.Config{}, err
	}
	bridge, err := c.BridgeFlags.config()
	return app.Config{
		Webhooks: hooks, AlertEscalation: escalate, AlertRepeatAfter: repeat,
		AlertGroupWait: c.AlertGroupWait, AlertGroupInterval: c.AlertGroupInterval, OutboxRetention: c.OutboxRetention,
		DataDir: c.DataDir, HTTPAddr: c.HTTPAddr, MQTTAddr: c.MQTTAddr,
		Bridge: bridge, Ingest: c.IngestFlags.config(),
		SessionTTL: c.SessionTTL, ShutdownTimeout: c.ShutdownTimeout,
		IndicatorFiles: c.Indicators, EngineStep: c.EngineStep, EngineLateness: c.EngineLateness,
		SLAPolicyFile: c.SLAPolicy, RoutingFile: c.Routing, AutoRulesFile: c.AutoRules,
	}, err
}

// Run serves until SIGINT or SIGTERM, then drains and exits.
func (c *ServeCmd) Run(ctx context.Context, g *Globals) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, g.Log)
	if err != nil {
		return err
	}
	defer a.Close()
	g.Log.Info("cityvitals serving", "api", "http://"+a.HTTPAddr()+"/api/v1", "mqtt", a.MQTTAddr(), "data_dir", cfg.DataDir)
	if n, err := a.DB.ListUsers(ctx); err == nil && len(n) == 0 {
		g.Log.Warn("no users yet: create the first admin with `cityvitals user add --role admin NAME` (with the server stopped, or against the same --data-dir)")
	}
	if err := a.Run(ctx); err != nil {
		return err
	}
	g.Log.Info("cityvitals stopped cleanly")
	return nil
}
