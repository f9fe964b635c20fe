package anomaly

import (
	"math"
	"time"

	"cityvitals/model"
)

// Config is one configuration for every stream of a kind. The zero value of
// a field means "use the default" (see DefaultConfig), so Config{} is valid.
type Config struct {
	// LongHorizon is the memory, in observations, of the baselines that say
	// what is normal: the robust level of the values and the robust level
	// and spread of the seasonal residuals. Default 1000 (about 3.5 days of
	// 5-minute data).
	LongHorizon int
	// HuberK clips a residual at this many spreads before it updates a
	// baseline, so an outlier moves the baseline by a bounded step.
	// Default 3: real streams have heavier tails than a normal law, and
	// clipping them at 2 makes the spread too narrow.
	HuberK float64
	// Warmup is the number of observations scored 0 while the baselines
	// settle: the seasonal slots need a day or more of 5-minute data before
	// they say anything. Default 300.
	Warmup int
	// WarmupTime ends the warm-up early, in event time, once at least a
	// third of Warmup observations have been seen: 300 observations are
	// 25 hours of 5-minute data but 12.5 days of hourly data, and a new
	// hourly stream should not be deaf for that long. Default 72h (for
	// 5-minute data, Warmup ends first).
	WarmupTime time.Duration
	// Refractory is the number of observations after a score reaches
	// ReportLevel that all score 0: a finding is reported once, at its
	// first moment, rather than again on every observation of the same
	// episode. Default 400.
	Refractory int
	// RefractoryTime ends a refractory period early, in event time, so a
	// stream that reports hourly is not silenced for Refractory hours.
	// Default 48h (for 5-minute data, Refractory ends first).
	RefractoryTime time.Duration
	// ReportLevel is the score, in (0, 1], that counts as a finding and
	// opens a Refractory period. Default 0.5 (a tail probability of 1e-30
	// for a single reading, 1e-5 for a lasting run). Lower scores pass
	// through as they are.
	ReportLevel float64
	// ShortHorizon is the memory, in observations, of the short average of
	// surprises that the anomaly likelihood judges: long enough that one
	// odd reading does not make a run, short enough that a level shift is
	// caught within it. Default 20 (100 minutes of 5-minute data).
	ShortHorizon int
	// SeasonMinSamples is how many observations an hour-of-day (or
	// hour-of-week) slot must have seen before its baseline is trusted.
	// Default 24.
	SeasonMinSamples int
	// UTCOffset places the hour-of-day and day-of-week slots in local time.
	// Default 8h (China Standard Time, which has no daylight saving).
	UTCOffset time.Duration
}

// DefaultConfig returns the configuration used when a field is zero.
func DefaultConfig() Config {
	return Config{
		LongHorizon:      1000,
		HuberK:           3,
		Warmup:           300,
		WarmupTime:       72 * time.Hour,
		Refractory:       400,
		RefractoryTime:   48 * time.Hour,
		ReportLevel:      0.5,
		ShortHorizon:     20,
		SeasonMinSamples: 24,
		UTCOffset:        8 * time.Hour,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.LongHorizon == 0 {
		c.LongHorizon = d.LongHorizon
	}
	if c.HuberK == 0 {
		c.HuberK = d.HuberK
	}
	if c.Warmup == 0 {
		c.Warmup = d.Warmup
	}
	if c.WarmupTime == 0 {
		c.WarmupTime = d.WarmupTime
	}
	if c.Refractory == 0 {
		c.Refractory = d.Refractory
	}
	if c.RefractoryTime == 0 {
		c.RefractoryTime = d.RefractoryTime
	}
	if c.ReportLevel == 0 {
		c.ReportLevel = d.ReportLevel
	}
	if c.SeasonMinSamples == 0 {
		c.SeasonMinSamples = d.SeasonMinSamples
	}
	if c.ShortHorizon == 0 {
		c.ShortHorizon = d.ShortHorizon
	}
	if c.UTCOffset == 0 {
		c.UTCOffset = d.UTCOffset
	}
	return c
}

// Validate reports a field that no default can repair, as EINVALID.
func (c Config) Validate() error {
	switch {
	case c.LongHorizon < 0:
		return model.Errorf(model.EINVALID, "anomaly config: long_horizon %d is negative", c.LongHorizon)
	case c.HuberK < 0:
		return model.Errorf(model.EINVALID, "anomaly config: huber_k %g is negative", c.HuberK)
	case c.Warmup < 0:
		return model.Errorf(model.EINVALID, "anomaly config: warmup %d is negative", c.Warmup)
	case c.WarmupTime < 0:
		return model.Errorf(model.EINVALID, "anomaly config: warmup_time %s is negative", c.WarmupTime)
	case c.Refractory < 0:
		return model.Errorf(model.EINVALID, "anomaly config: refractory %d is negative", c.Refractory)
	case c.RefractoryTime < 0:
		return model.Errorf(model.EINVALID, "anomaly config: refractory_time %s is negative", c.RefractoryTime)
	case c.ReportLevel < 0 || c.ReportLevel > 1 || math.IsNaN(c.ReportLevel):
		return model.Errorf(model.EINVALID, "anomaly config: report_level %g is outside [0, 1]", c.ReportLevel)
	case c.SeasonMinSamples < 0:
		return model.Errorf(model.EINVALID, "anomaly config: season_min_samples %d is negative", c.SeasonMinSamples)
	case c.ShortHorizon < 0:
		return model.Errorf(model.EINVALID, "anomaly config: short_horizon %d is negative", c.ShortHorizon)
	}
	return nil
}
