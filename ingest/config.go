package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/model"
)

// Defaults used by Config for every zero field.
const (
	DefaultMaxBodyBytes          = 16 << 20 // 16 MiB
	DefaultMaxBatchItems         = 100_000
	DefaultMaxFuture             = 5 * time.Minute
	DefaultMaxPast               = 10 * 365 * 24 * time.Hour // about 10 years
	DefaultQueueCapacity         = 500_000
	DefaultMaxCommitObservations = 32_768
	DefaultCommitWorkers         = 2
)

// RangeFunc returns the plausible range of values of an observed property
// (e.g. gas_lel: 0..100). ok is false for properties without a range; their
// values are only checked for being finite.
type RangeFunc func(property string) (lo, hi float64, ok bool)

// Provisioner creates a datastream for an unknown external key on behalf of
// a sender allowed to do so (Source.Provision). It stores the stream in the
// relational store and returns it with its assigned ID; the service then
// adds it to the Registry. property and uom are taken from the first item
// that named the key and may be empty. An error that is a *model.Error is
// shown to the sender in the items' rejections; any other error is logged
// and shown as "internal error".
type Provisioner func(ctx context.Context, src Source, key, property, uom string) (model.Datastream, error)

// Config sets the limits of a Service and injects its collaborators. Zero
// numeric fields take the Default* values; nil functions take the defaults
// documented on each field.
type Config struct {
	// MaxBodyBytes is the largest body Ingest accepts (default 16 MiB).
	// Transports should also enforce it while reading, so that a huge body
	// is never buffered.
	MaxBodyBytes int
	// MaxBatchItems is the most items in one body or one Submit call
	// (default 100,000).
	MaxBatchItems int
	// MaxFuture is how far past the clock an observation's time may be
	// (default 5 minutes), for devices whose clocks run a little fast.
	MaxFuture time.Duration
	// MaxPast is how far before the clock an observation's time may be
	// (default 10 years).
	MaxPast time.Duration
	// QueueCapacity bounds the observations accepted but not yet durable
	// (default 500,000). Beyond it Ingest fails fast with EOVERLOADED and
	// Submit waits for room. It must be at least MaxBatchItems.
	QueueCapacity int
	// MaxCommitObservations is the most observations one History.Write
	// carries (default 32,768). A single request larger than that is still
	// written whole, in a write of its own.
	MaxCommitObservations int
	// CommitWorkers is how many History.Write calls may run at once
	// (default 2), so that one batch is encoded while the previous one is
	// being synced.
	CommitWorkers int

	// Clock returns the current time for the time window (default time.Now).
	Clock func() time.Time
	// Range gives plausible value ranges per property (default: none).
	Range RangeFunc
	// Provision creates unknown streams (default: none, so unknown keys are
	// rejected even for senders with Source.Provision).
	Provision Provisioner
	// Registerer receives the service's metrics (default: not registered).
	Registerer prometheus.Registerer
	// Logger receives internal errors that are not shown to senders
	// (default: discarded).
	Logger *slog.Logger
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	setDefault(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&c.MaxBatchItems, DefaultMaxBatchItems)
	setDefault(&c.MaxFuture, DefaultMaxFuture)
	setDefault(&c.MaxPast, DefaultMaxPast)
	setDefault(&c.QueueCapacity, DefaultQueueCapacity)
	setDefault(&c.MaxCommitObservations, DefaultMaxCommitObservations)
	setDefault(&c.CommitWorkers, DefaultCommitWorkers)
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func setDefault[T int | time.Duration](field *T, def T) {
	if *field == 0 {
		*field = def
	}
}

// Validate reports the first inconsistent limit as an EINVALID error naming
// the field. Zero fields are valid: they take their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	positive := []struct {
		name  string
		value int64
	}{
		{"MaxBodyBytes", int64(c.MaxBodyBytes)},
		{"MaxBatchItems", int64(c.MaxBatchItems)},
		{"MaxFuture", int64(c.MaxFuture)},
		{"MaxPast", int64(c.MaxPast)},
		{"QueueCapacity", int64(c.QueueCapacity)},
		{"MaxCommitObservations", int64(c.MaxCommitObservations)},
		{"CommitWorkers", int64(c.CommitWorkers)},
	}
	for _, f := range positive {
		if f.value < 0 {
			return model.Errorf(model.EINVALID, "ingest config: %s must not be negative, got %d", f.name, f.value)
		}
	}
	if c.QueueCapacity < c.MaxBatchItems {
		return model.Errorf(model.EINVALID,
			"ingest config: QueueCapacity (%d) must be at least MaxBatchItems (%d), or a full batch could never be queued",
			c.QueueCapacity, c.MaxBatchItems)
	}
	return nil
}

// String summarises the limits for start-up logs.
func (c Config) String() string {
	c = c.withDefaults()
	return fmt.Sprintf("body<=%dB items<=%d window=[-%s,+%s] queue<=%d commit<=%d workers=%d",
		c.MaxBodyBytes, c.MaxBatchItems, c.MaxPast, c.MaxFuture, c.QueueCapacity,
		c.MaxCommitObservations, c.CommitWorkers)
}
