package silent

import (
	"math"
	"time"

	"cityvitals/model"
)

// Alert levels, as in alert.Finding.
const (
	levelBlue   int8 = 1
	levelYellow int8 = 2
	levelOrange int8 = 3
	levelRed    int8 = 4
)

// Config tunes a Detector. The zero value of a field means its default.
type Config struct {
	// K: a stream is silent once it has sent nothing for K × its expected
	// interval. Default 3, so one or two lost messages are not an alert.
	K float64
	// MinInterval is the expected interval of streams that declare none
	// (or a shorter one, or a negative one). Default 1 minute.
	MinInterval time.Duration
	// GroupMin is how many silent streams a unit needs for one group
	// finding instead of one finding per stream. Default 5.
	GroupMin int
	// Shares are the silent shares of a unit's registered streams at which
	// a group finding is yellow, orange and red; below the first it is
	// blue. Default 0.2, 0.5, 0.8.
	Shares [3]float64
	// Names gives a unit's Chinese and English names for summaries.
	// Default: the unit code in both.
	Names func(unit string) (zh, en string)
}

// DefaultConfig returns the configuration used for zero fields.
func DefaultConfig() Config {
	return Config{
		K:           3,
		MinInterval: time.Minute,
		GroupMin:    5,
		Shares:      [3]float64{0.2, 0.5, 0.8},
		Names:       func(unit string) (string, string) { return unit, unit },
	}
}

// withDefaults fills zero fields from DefaultConfig and checks the rest.
// It returns EINVALID naming the field that is wrong.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.K == 0 {
		c.K = d.K
	}
	if c.MinInterval == 0 {
		c.MinInterval = d.MinInterval
	}
	if c.GroupMin == 0 {
		c.GroupMin = d.GroupMin
	}
	if c.Shares == ([3]float64{}) {
		c.Shares = d.Shares
	}
	if c.Names == nil {
		c.Names = d.Names
	}
	switch {
	case math.IsNaN(c.K) || math.IsInf(c.K, 0) || c.K < 0:
		return c, model.Errorf(model.EINVALID, "silent detector config: K is %v, want a positive number", c.K)
	case c.MinInterval < 0:
		return c, model.Errorf(model.EINVALID, "silent detector config: MinInterval is %v, want a positive duration", c.MinInterval)
	case c.GroupMin < 0:
		return c, model.Errorf(model.EINVALID, "silent detector config: GroupMin is %d, want at least 1", c.GroupMin)
	}
	last := 0.0
	for i, share := range c.Shares {
		if !(share > last && share <= 1) {
			return c, model.Errorf(model.EINVALID, "silent detector config: Shares[%d] is %v, want ascending shares in (0, 1]", i, share)
		}
		last = share
	}
	return c, nil
}

// span is how long, in ms, a stream with this expected interval may stay
// quiet before it is silent: K × max(interval, MinInterval), at least 1 ms
// and capped so that deadlines never overflow.
func (c Config) span(interval time.Duration) int64 {
	interval = max(interval, c.MinInterval)
	ms := c.K * float64(interval.Milliseconds())
	return int64(min(max(ms, 1), float64(maxSpan)))
}

// maxSpan caps a stream's quiet span at about 292 years, far beyond any
// real interval, so that time + span cannot overflow an int64.
const maxSpan = math.MaxInt64 / 1024

// level grades a group by its silent share of the unit's streams.
func (c Config) level(silent, total int) int8 {
	share := 1.0
	if total > silent {
		share = float64(silent) / float64(total)
	}
	switch {
	case share >= c.Shares[2]:
		return levelRed
	case share >= c.Shares[1]:
		return levelOrange
	case share >= c.Shares[0]:
		return levelYellow
	}
	return levelBlue
}
