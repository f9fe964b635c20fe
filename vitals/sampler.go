package vitals

import (
	"context"
	"log/slog"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

// Sampler keeps the indicator history that charts read: every interval it
// takes the current values of the units that charts are drawn for (the
// city, districts and streets — grids are too many to keep every value
// of) and stores those evaluated since the last sample.
type Sampler struct {
	Store    store.Signs
	Units    func() []string                          // units to sample; "" is the whole city
	Values   func(unit string) []model.IndicatorValue // current values of a unit
	Interval time.Duration
	Log      *slog.Logger

	last map[[2]string]int64 // (unit, indicator) → time of the last stored value
}

// Run samples until ctx ends.
func (s *Sampler) Run(ctx context.Context) error {
	if s.Interval <= 0 {
		s.Interval = 15 * time.Second
	}
	s.last = map[[2]string]int64{}
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.SampleOnce(ctx); err != nil && s.Log != nil {
				s.Log.Warn("sampling indicator values", "err", err)
			}
		}
	}
}

// SampleOnce stores the values evaluated since the previous call.
func (s *Sampler) SampleOnce(ctx context.Context) error {
	if s.last == nil {
		s.last = map[[2]string]int64{}
	}
	var fresh []model.IndicatorValue
	for _, unit := range s.Units() {
		for _, v := range s.Values(unit) {
			key := [2]string{v.Unit, v.Indicator}
			if v.Time > s.last[key] {
				s.last[key] = v.Time
				fresh = append(fresh, v)
			}
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	return s.Store.AppendIndicatorValues(ctx, fresh)
}
