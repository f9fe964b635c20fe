package dispatch

import (
	"log/slog"
	"time"

	"cityvitals/model"
)

// Levels of alerts, as in model.Alert.Level.
const (
	LevelBlue   int8 = 1
	LevelYellow int8 = 2
	LevelOrange int8 = 3
	LevelRed    int8 = 4
)

// Defaults of Config's zero fields.
const (
	DefaultGroupWait     = 30 * time.Second
	DefaultGroupInterval = 5 * time.Minute
)

// DefaultGroupBy groups by spatial unit and domain.
var DefaultGroupBy = []string{"unit", "domain"}

// DefaultRepeatAfter returns the default repeat waits: red 15 min, orange
// 30 min, yellow 2 h; blue alerts are never repeated. It returns a new map
// each time so that callers may change it.
func DefaultRepeatAfter() map[int8]time.Duration {
	return map[int8]time.Duration{
		LevelYellow: 2 * time.Hour,
		LevelOrange: 30 * time.Minute,
		LevelRed:    15 * time.Minute,
	}
}

// Config tunes a Dispatcher. Zero fields take the defaults above.
type Config struct {
	// GroupBy names the labels whose values make up a group [unit, domain].
	// An alert without one of them groups under the empty value.
	GroupBy []string
	// GroupWait is how long a new group, or a group that was quiet for
	// longer than GroupInterval, collects changes before it is notified.
	GroupWait time.Duration
	// GroupInterval is the least time between two notifications of a group.
	GroupInterval time.Duration
	// RepeatAfter is, per level, how long a firing alert may stay
	// unacknowledged before it is sent again. A level that is missing or
	// maps to 0 is never repeated. nil takes DefaultRepeatAfter.
	RepeatAfter map[int8]time.Duration
	// Receivers get every group notification and every repeat, e.g. the
	// names of webhooks in the outbox.
	Receivers []string
	// Escalation names, per level, the receiver that also gets the repeats
	// of alerts at that level (the supervising department, 督办).
	Escalation map[int8]string
	// Logger receives send failures in Run; nil means slog.Default().
	Logger *slog.Logger
}

// withDefaults returns c with its zero fields filled in.
func (c Config) withDefaults() Config {
	if len(c.GroupBy) == 0 {
		c.GroupBy = DefaultGroupBy
	}
	if c.GroupWait == 0 {
		c.GroupWait = DefaultGroupWait
	}
	if c.GroupInterval == 0 {
		c.GroupInterval = DefaultGroupInterval
	}
	if c.RepeatAfter == nil {
		c.RepeatAfter = DefaultRepeatAfter()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports the first wrong field of c as an EINVALID *model.Error.
func (c Config) Validate() error {
	if err := validateNames("group_by", c.GroupBy); err != nil {
		return err
	}
	if err := validateNames("receivers", c.Receivers); err != nil {
		return err
	}
	if c.GroupWait < 0 {
		return model.Errorf(model.EINVALID, "dispatch config: group_wait %s is negative", c.GroupWait)
	}
	if c.GroupInterval < 0 {
		return model.Errorf(model.EINVALID, "dispatch config: group_interval %s is negative", c.GroupInterval)
	}
	for level, wait := range c.RepeatAfter {
		if err := validateLevel("repeat_after", level); err != nil {
			return err
		}
		if wait < 0 {
			return model.Errorf(model.EINVALID, "dispatch config: repeat_after[%d] %s is negative", level, wait)
		}
	}
	for level, receiver := range c.Escalation {
		if err := validateLevel("escalation", level); err != nil {
			return err
		}
		if receiver == "" {
			return model.Errorf(model.EINVALID, "dispatch config: escalation[%d] names no receiver", level)
		}
	}
	return nil
}

func validateNames(field string, names []string) error {
	seen := make(map[string]bool, len(names))
	for i, name := range names {
		if name == "" {
			return model.Errorf(model.EINVALID, "dispatch config: %s[%d] is empty", field, i)
		}
		if seen[name] {
			return model.Errorf(model.EINVALID, "dispatch config: %s[%d] %q is listed twice", field, i, name)
		}
		seen[name] = true
	}
	return nil
}

func validateLevel(field string, level int8) error {
	if level < LevelBlue || level > LevelRed {
		return model.Errorf(model.EINVALID, "dispatch config: %s level %d is not 1 (blue) to 4 (red)", field, level)
	}
	return nil
}
