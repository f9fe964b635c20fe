package simulate

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

// ScenarioInfo describes a scenario for people and for the control API.
type ScenarioInfo struct {
	Name          string            `json:"name"`
	TitleZH       string            `json:"title_zh"`
	TitleEN       string            `json:"title_en"`
	DescriptionZH string            `json:"description_zh"`
	DescriptionEN string            `json:"description_en"`
	Duration      string            `json:"duration"`
	Units         []model.UnitLevel `json:"units"`    // the levels --unit may name
	Triggers      []string          `json:"triggers"` // indicators and detectors it should set off
}

// InjectOptions say where and when a scenario plays.
type InjectOptions struct {
	// Unit is a street, district or the city, as the scenario allows
	// ("": the scenario's default place in the demo city).
	Unit string `json:"unit,omitempty"`
	// At is when the scenario starts (zero: now). It may lie up to six
	// hours back, to join a scenario already under way, or a day ahead.
	At time.Time `json:"at,omitzero"`
}

// Injection is a scenario placed in time and space.
type Injection struct {
	ID       int       `json:"id"`
	Scenario string    `json:"scenario"`
	Unit     string    `json:"unit"`
	At       time.Time `json:"at"`
	Until    time.Time `json:"until"`
	// Lon and Lat are the scenario's centre where it has one (a leak, a
	// burst, a station).
	Lon     float64 `json:"lon,omitempty"`
	Lat     float64 `json:"lat,omitempty"`
	Streams int     `json:"streams"` // how many streams it changes
}

// effect changes one stream's value elapsed into a scenario; period is
// the reading's reporting period. false silences the reading.
type effect func(elapsed time.Duration, v float64, period time.Duration) (float64, bool)

type injection struct {
	Injection
	effects map[int]effect
}

// scenario is one entry of the scenario table.
type scenario struct {
	info     ScenarioInfo
	duration time.Duration
	levels   []model.UnitLevel
	// place returns the affected streams and their effects, and the
	// centre (zero when the scenario has none).
	place func(c *City, unit string) (map[int]effect, orb.Point, error)
}

// Scenarios lists the scenarios Inject knows, in a stable order.
func Scenarios() []ScenarioInfo {
	out := make([]ScenarioInfo, len(scenarioTable))
	for i, sc := range scenarioTable {
		out[i] = sc.info
		out[i].Duration = sc.duration.String()
		out[i].Units = sc.levels
	}
	return out
}

func lookupScenario(name string) (scenario, error) {
	i := slices.IndexFunc(scenarioTable, func(sc scenario) bool { return sc.info.Name == name })
	if i < 0 {
		names := make([]string, len(scenarioTable))
		for j, sc := range scenarioTable {
			names[j] = sc.info.Name
		}
		return scenario{}, model.Errorf(model.ENOTFOUND, "scenario %q is unknown; known: %s", clip(name), strings.Join(names, ", "))
	}
	return scenarioTable[i], nil
}

// Bounds on when an injection may start, relative to now.
const (
	maxInjectPast   = 6 * time.Hour
	maxInjectFuture = 24 * time.Hour
)

// Inject schedules a scenario. ENOTFOUND for an unknown scenario;
// EINVALID for a unit that is not in the city or not of a level the
// scenario allows, or a start out of bounds.
func (s *Simulator) Inject(ctx context.Context, name string, opts InjectOptions) (Injection, error) {
	if err := ctx.Err(); err != nil {
		return Injection{}, err
	}
	sc, err := lookupScenario(name)
	if err != nil {
		return Injection{}, err
	}
	now := s.now()
	at := opts.At
	if at.IsZero() {
		at = now
	}
	if at.Before(now.Add(-maxInjectPast)) || at.After(now.Add(maxInjectFuture)) {
		return Injection{}, model.Errorf(model.EINVALID, "at: %s is more than %s before or %s after now", at.Format(time.RFC3339), maxInjectPast, maxInjectFuture)
	}
	unit, err := s.city.targetUnit(sc, opts.Unit)
	if err != nil {
		return Injection{}, err
	}
	effects, centre, err := sc.place(s.city, unit)
	if err != nil {
		return Injection{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	inj := &injection{Injection: Injection{
		ID: s.nextID, Scenario: name, Unit: unit, At: at, Until: at.Add(sc.duration),
		Lon: centre[0], Lat: centre[1], Streams: len(effects),
	}, effects: effects}
	s.injections = append(s.injections, inj)
	s.log.Info("simulator: scenario injected", "scenario", name, "unit", unit, "at", at, "streams", len(effects))
	return inj.Injection, nil
}

// Injections lists what has been injected, oldest first.
func (s *Simulator) Injections() []Injection {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Injection, len(s.injections))
	for i, inj := range s.injections {
		out[i] = inj.Injection
	}
	return out
}

// activeBetween returns the injections that overlap [from, to).
func (s *Simulator) activeBetween(from, to time.Time) []*injection {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*injection
	for _, inj := range s.injections {
		if inj.At.Before(to) && inj.Until.After(from) {
			out = append(out, inj)
		}
	}
	return out
}

// RunScenario injects a scenario and plays only the streams it changes
// until it ends: a one-shot run against a server whose baseline comes
// from elsewhere.
func (s *Simulator) RunScenario(ctx context.Context, name string, opts InjectOptions) (Injection, error) {
	inj, err := s.Inject(ctx, name, opts)
	if err != nil {
		return inj, err
	}
	s.mu.Lock()
	only := make([]int, 0, inj.Streams)
	for i := range s.injections[len(s.injections)-1].effects {
		only = append(only, i)
	}
	s.mu.Unlock()
	slices.Sort(only)
	from := inj.At
	if now := s.now(); from.Before(now) {
		from = now // what lies before now has already been missed
	}
	if from.After(s.now()) {
		select {
		case <-ctx.Done():
			return inj, nil
		case <-time.After(time.Until(from)):
		}
	}
	return inj, s.play(ctx, from, inj.Until, only)
}

// targetUnit resolves the unit an injection names, or the scenario's
// default: the first street or district, or the city.
func (c *City) targetUnit(sc scenario, unit string) (string, error) {
	if unit == "" {
		switch sc.levels[0] {
		case model.LevelStreet:
			return c.Streets[0], nil
		case model.LevelDistrict:
			return c.Districts[0], nil
		}
		return CityCode, nil
	}
	level, ok := c.levelOf(unit)
	if !ok {
		return "", model.Errorf(model.EINVALID, "unit %q is not a street, district or the city of the demo city (streets %s…%s, districts %s…%s, city %s)",
			clip(unit), c.Streets[0], c.Streets[len(c.Streets)-1], c.Districts[0], c.Districts[len(c.Districts)-1], CityCode)
	}
	if !slices.Contains(sc.levels, level) {
		return "", model.Errorf(model.EINVALID, "scenario %s plays in a %v, and %q is a %s", sc.info.Name, sc.levels, unit, level)
	}
	return unit, nil
}

func (c *City) levelOf(code string) (model.UnitLevel, bool) {
	switch {
	case code == CityCode:
		return model.LevelCity, true
	case slices.Contains(c.Districts, code):
		return model.LevelDistrict, true
	case slices.Contains(c.Streets, code):
		return model.LevelStreet, true
	}
	return "", false
}

// within reports whether stream st lies in unit (a street, a district or
// the city).
func (c *City) within(st Stream, unit string) bool {
	return unit == CityCode || st.Street == unit || st.District == unit
}

// pick collects the streams in unit that measure prop at one of places
// (any place when none is given).
func (c *City) pick(unit, prop string, places ...Place) []int {
	var out []int
	for i, st := range c.Streams {
		if st.Property == prop && c.within(st, unit) && (len(places) == 0 || slices.Contains(places, st.Place)) {
			out = append(out, i)
		}
	}
	return out
}

// Shapes of a scenario over time; e is the elapsed time.

// approach rises from 0 towards 1 with time constant tau.
func approach(e, tau time.Duration) float64 { return 1 - math.Exp(-e.Seconds()/tau.Seconds()) }

// ramp rises linearly from 0 to 1 over d.
func ramp(e, d time.Duration) float64 { return math.Min(1, math.Max(0, e.Seconds()/d.Seconds())) }

// fadeAfter is 1 until t0 and then decays with time constant tau.
func fadeAfter(e, t0, tau time.Duration) float64 {
	if e <= t0 {
		return 1
	}
	return math.Exp(-(e - t0).Seconds() / tau.Seconds())
}

func add(f func(e time.Duration) float64) effect {
	return func(e time.Duration, v float64, _ time.Duration) (float64, bool) { return v + f(e), true }
}

func scale(f func(e time.Duration) float64) effect {
	return func(e time.Duration, v float64, _ time.Duration) (float64, bool) { return v * f(e), true }
}

func set(value float64) effect {
	return func(time.Duration, float64, time.Duration) (float64, bool) { return value, true }
}

func silence(time.Duration, float64, time.Duration) (float64, bool) { return 0, false }

func apply(effects map[int]effect, ids []int, e effect) {
	for _, i := range ids {
		effects[i] = e
	}
}
