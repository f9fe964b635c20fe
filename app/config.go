package app

import (
	"fmt"
	"path/filepath"
	"time"

	"cityvitals/ingest"
	"cityvitals/mqtt"
	"cityvitals/notify/webhook"
)

// Config is everything the platform needs to start. The CLI fills it from
// flags, CITYVITALS_* environment variables and an optional YAML file.
type Config struct {
	DataDir  string // one directory holds every file of the platform
	HTTPAddr string // API listen address; ":0" picks a free port
	// MQTTAddr is the embedded broker's listen address; "" disables it.
	// Not 1883, which an external broker on the same machine may hold.
	MQTTAddr string
	// Bridge, when BrokerURL is set, subscribes to an external broker.
	Bridge mqtt.BridgeConfig
	Ingest ingest.Config
	// SessionTTL is how long a login session lasts.
	SessionTTL time.Duration
	// ShutdownTimeout bounds the graceful drain on SIGTERM.
	ShutdownTimeout time.Duration
	// IndicatorFiles are a city's own catalog files, added to (or
	// replacing indicators of) the default catalog.
	IndicatorFiles []string
	// EngineStep and EngineLateness tune the vital-signs engine's event
	// time (0: the engine's defaults, 1 minute and 2 minutes). A level
	// change becomes visible at most about step + lateness after the
	// observation that caused it.
	EngineStep     time.Duration
	EngineLateness time.Duration
	// Webhooks receive every alert event (firing, updated, resolved,
	// acknowledged, assigned) through the persisted outbox.
	Webhooks []webhook.Receiver
	// AlertEscalation names, per level, the webhook that also gets the
	// repeats of unacknowledged alerts; AlertRepeatAfter is, per level, how
	// long a firing alert may stay unacknowledged before it is sent again
	// (nil: dispatch's defaults).
	AlertEscalation  map[int8]string
	AlertRepeatAfter map[int8]time.Duration
	// AlertGroupWait is how long a new group of alerts collects before its
	// first notification (0: dispatch's default, 30 s); AlertGroupInterval
	// the least time between two notifications of a group (0: 5 min).
	AlertGroupWait     time.Duration
	AlertGroupInterval time.Duration
	// OutboxRetention is how long delivered notifications are kept (0: 30
	// days): long enough that a restart still finds what each alert group
	// was last told, and that late resends of a key are dropped.
	OutboxRetention time.Duration
	// SLAPolicyFile replaces the embedded SLA policy (calendars,
	// categories, time limits); RoutingFile the embedded routing rules.
	SLAPolicyFile string
	RoutingFile   string
	// AutoRulesFile replaces the rules by which alerts register incidents.
	AutoRulesFile string
	// EscalationEvery is how often SLA clocks are checked (0: 30 s).
	EscalationEvery time.Duration
	// NoEngine leaves the vital-signs engine unfed: only for benchmarks
	// that measure what the engine costs ingest.
	NoEngine bool
}

func (c Config) historyPath() string { return filepath.Join(c.DataDir, "history") }

func (c Config) validate() error {
	if c.DataDir == "" {
		return fmt.Errorf("config: data directory is not set")
	}
	if c.OutboxRetention < 0 {
		return fmt.Errorf("config: outbox retention %s is negative", c.OutboxRetention)
	}
	return c.Ingest.Validate()
}
