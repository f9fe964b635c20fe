package forecast

import (
	"math"
	"time"

	"cityvitals/model"
)

// Config is the one configuration shared by every stream of a kind. The
// zero value of a field means its default (see DefaultConfig), except
// Gamma and Log, whose zero values switch the feature off.
type Config struct {
	// Step is the model's time unit: the nominal reporting interval of
	// the streams (1h for hourly air quality, 1m for a river gauge).
	// Smoothing constants are per Step; readings at other spacings are
	// weighted by the elapsed time in Steps.
	Step time.Duration
	// Alpha, Beta and Phi are Holt's level smoothing, trend smoothing and
	// per-Step trend damping, each in (0, 1].
	Alpha, Beta, Phi float64
	// Gamma is the smoothing of the time-of-day profile in [0, 1); 0 turns
	// the seasonal component off. SeasonBins splits the day into that
	// many bins (default 24).
	Gamma      float64
	SeasonBins int
	// Log models log(1+max(x, 0)) instead of x: build-ups that multiply
	// (pollution episodes) become straight lines and the interval widens
	// with the level. Only for non-negative quantities.
	Log bool
	// Quantile of the projected distribution that must cross the
	// threshold for Crossing to answer yes, in (0, 1): 0.5 warns on the
	// median path, higher values warn earlier and more often.
	Quantile float64
	// ErrorWeight is the smoothing weight of the running one-step squared
	// error, in (0, 1).
	ErrorWeight float64
	// MaxGap is the longest silence the trend survives; after a longer
	// one the level restarts at the new reading with no trend.
	MaxGap time.Duration
	// MinObs is how many readings a stream needs before Crossing answers.
	MinObs int
}

// DefaultConfig is the configuration chosen on the Beijing PM2.5 data
// (tuned on half the stations and the first two years, checked on the
// other stations and years) and meant for any slowly building series
// reported hourly: a quick level, a moderate trend that loses a fifth
// of itself per Step, on the linear scale, warning on the median path. The log scale and a daily profile were tried and warned more
// often falsely (docs/benchmarks.md has the figures).
func DefaultConfig() Config {
	return Config{
		Step:        time.Hour,
		Alpha:       0.9,
		Beta:        0.2,
		Phi:         0.8,
		SeasonBins:  24,
		Gamma:       0,
		Log:         false,
		Quantile:    0.5,
		ErrorWeight: 0.02,
		MaxGap:      6 * time.Hour,
		MinObs:      6,
	}
}

// withDefaults fills the zero fields that have defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Step == 0 {
		c.Step = d.Step
	}
	if c.Alpha == 0 {
		c.Alpha = d.Alpha
	}
	if c.Beta == 0 {
		c.Beta = d.Beta
	}
	if c.Phi == 0 {
		c.Phi = d.Phi
	}
	if c.SeasonBins == 0 {
		c.SeasonBins = d.SeasonBins
	}
	if c.Quantile == 0 {
		c.Quantile = d.Quantile
	}
	if c.ErrorWeight == 0 {
		c.ErrorWeight = d.ErrorWeight
	}
	if c.MaxGap == 0 {
		c.MaxGap = 6 * c.Step
	}
	if c.MinObs == 0 {
		c.MinObs = d.MinObs
	}
	return c
}

// Validate reports the first out-of-range field as an EINVALID
// *model.Error naming it. Zero fields are read as their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	unit := func(name string, v float64, lowOpen bool) error {
		if v > 1 || v < 0 || (lowOpen && v == 0) || math.IsNaN(v) {
			return model.Errorf(model.EINVALID, "forecast config: %s = %g is outside (0, 1]", name, v)
		}
		return nil
	}
	switch {
	case c.Step < time.Millisecond:
		return model.Errorf(model.EINVALID, "forecast config: step = %s must be at least 1ms", c.Step)
	case c.Gamma < 0 || c.Gamma >= 1:
		return model.Errorf(model.EINVALID, "forecast config: gamma = %g is outside [0, 1)", c.Gamma)
	case c.SeasonBins < 1 || c.SeasonBins > 24*60:
		return model.Errorf(model.EINVALID, "forecast config: season_bins = %d is outside 1..1440", c.SeasonBins)
	case c.Quantile <= 0 || c.Quantile >= 1:
		return model.Errorf(model.EINVALID, "forecast config: quantile = %g is outside (0, 1)", c.Quantile)
	case c.ErrorWeight <= 0 || c.ErrorWeight >= 1:
		return model.Errorf(model.EINVALID, "forecast config: error_weight = %g is outside (0, 1)", c.ErrorWeight)
	case c.MaxGap < c.Step:
		return model.Errorf(model.EINVALID, "forecast config: max_gap = %s is shorter than step %s", c.MaxGap, c.Step)
	case c.MinObs < 2:
		return model.Errorf(model.EINVALID, "forecast config: min_obs = %d must be at least 2", c.MinObs)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"alpha", c.Alpha}, {"beta", c.Beta}, {"phi", c.Phi}} {
		if err := unit(p.name, p.v, true); err != nil {
			return err
		}
	}
	return nil
}

// day is the period of the seasonal component.
const day = 24 * time.Hour

// Model is a validated Config with the constants derived from it. It is
// immutable and shared by the Forecasters of every stream of a kind.
type Model struct {
	cfg      Config
	stepMs   float64
	maxGapMs int64
	binMs    int64
	z        float64 // standard-normal quantile of cfg.Quantile
}

// NewModel validates cfg (see Config.Validate) and derives its constants.
func NewModel(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Model{
		cfg:      cfg,
		stepMs:   float64(cfg.Step.Milliseconds()),
		maxGapMs: cfg.MaxGap.Milliseconds(),
		binMs:    day.Milliseconds() / int64(cfg.SeasonBins),
		z:        math.Sqrt2 * math.Erfinv(2*cfg.Quantile-1),
	}, nil
}

// Config returns the model's configuration with defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// New returns the empty state of one stream.
func (m *Model) New() *Forecaster {
	f := &Forecaster{m: m}
	if m.cfg.Gamma > 0 {
		f.season = make([]float32, m.cfg.SeasonBins)
	}
	return f
}

// New returns a Forecaster with a Model of its own. It panics on an
// invalid cfg, a programming error; streams that share a configuration
// should share one NewModel instead.
func New(cfg Config) *Forecaster {
	m, err := NewModel(cfg)
	if err != nil {
		panic(err)
	}
	return m.New()
}

// toModel maps a reading into the space the model smooths in.
func (m *Model) toModel(v float64) float64 {
	if m.cfg.Log {
		return math.Log1p(max(v, 0))
	}
	return v
}

// fromModel is the inverse of toModel.
func (m *Model) fromModel(y float64) float64 {
	if m.cfg.Log {
		return math.Expm1(y)
	}
	return y
}

// dampedSum is φ + φ² + … + φ^k for a possibly fractional k: how many
// Steps' worth of the current trend a horizon of k Steps adds.
func (m *Model) dampedSum(k float64) float64 {
	phi := m.cfg.Phi
	if phi == 1 {
		return k
	}
	return phi * (1 - math.Pow(phi, k)) / (1 - phi)
}
