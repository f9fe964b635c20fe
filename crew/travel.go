package crew

import (
	"maps"
	"math"
	"slices"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"cityvitals/model"
)

// ModeProfile is how fast a travel mode gets across the city.
type ModeProfile struct {
	// SpeedKMH is the average door-to-door speed on urban streets,
	// stops and signals included.
	SpeedKMH float64
	// Detour is road distance over great-circle distance (the circuity
	// factor); street networks make it about 1.2-1.4 in cities.
	Detour float64
}

// DefaultProfiles returns the speeds the planner assumes when nothing
// better is known: walking 4.5 km/h, bicycle 12, car 25, works van 22,
// with a detour factor of 1.3 on foot and by bicycle (they cut through
// lanes and squares) and 1.4 on the road. Calibrate them from dispatch
// records where those exist.
func DefaultProfiles() map[model.TravelMode]ModeProfile {
	return map[model.TravelMode]ModeProfile{
		model.ModeWalk: {SpeedKMH: 4.5, Detour: 1.3},
		model.ModeBike: {SpeedKMH: 12, Detour: 1.3},
		model.ModeCar:  {SpeedKMH: 25, Detour: 1.4},
		model.ModeVan:  {SpeedKMH: 22, Detour: 1.4},
	}
}

// RoadGraph answers travel times over an imported road network. None is
// built in yet: until one is, every estimate is great-circle based.
// Implementations must be safe for concurrent use.
type RoadGraph interface {
	// TravelSeconds returns how long mode takes from → to, and false if
	// the graph cannot route it (a point off the network, a mode it does
	// not model); the planner then falls back to the great-circle estimate.
	TravelSeconds(mode model.TravelMode, from, to orb.Point) (seconds float64, ok bool)
}

// Travel estimates how long a team takes to reach a place. The zero value
// is not usable; start from DefaultTravel. Safe for concurrent use if
// Roads is.
type Travel struct {
	Profiles map[model.TravelMode]ModeProfile
	Roads    RoadGraph // nil: great-circle estimates only
}

// DefaultTravel returns great-circle estimates with DefaultProfiles.
func DefaultTravel() Travel {
	return Travel{Profiles: DefaultProfiles()}
}

// Validate returns EINVALID naming a mode whose profile has a speed that
// is not positive or a detour factor below 1, or a model mode without a
// profile.
func (tr Travel) Validate() error {
	for _, mode := range model.TravelModes {
		p, ok := tr.Profiles[mode]
		switch {
		case !ok:
			return model.Errorf(model.EINVALID, "travel: no profile for mode %q", mode)
		case !(p.SpeedKMH > 0) || math.IsInf(p.SpeedKMH, 0):
			return model.Errorf(model.EINVALID, "travel: mode %q speed %v km/h must be positive and finite", mode, p.SpeedKMH)
		case !(p.Detour >= 1) || math.IsInf(p.Detour, 0):
			return model.Errorf(model.EINVALID, "travel: mode %q detour factor %v must be at least 1 and finite", mode, p.Detour)
		}
	}
	return nil
}

// Seconds returns the time mode needs from from to to: the road graph's
// answer when there is one, else great-circle (haversine) distance ×
// detour ÷ speed. EINVALID for a mode without a profile; a road graph
// answer that is negative or not finite is refused rather than planned on.
func (tr Travel) Seconds(mode model.TravelMode, from, to orb.Point) (float64, error) {
	if tr.Roads != nil {
		if s, ok := tr.Roads.TravelSeconds(mode, from, to); ok {
			if !(s >= 0) || math.IsInf(s, 0) {
				return 0, model.Errorf(model.EINVALID, "road graph: %v seconds by %s from %v to %v", s, mode, from, to)
			}
			return s, nil
		}
	}
	perMeter, err := tr.secondsPerMeter(mode)
	if err != nil {
		return 0, err
	}
	return orbgeo.DistanceHaversine(from, to) * perMeter, nil
}

// secondsPerMeter is how long mode takes per metre of great-circle
// distance: detour ÷ speed.
func (tr Travel) secondsPerMeter(mode model.TravelMode) (float64, error) {
	p, ok := tr.Profiles[mode]
	if !ok {
		return 0, model.Errorf(model.EINVALID, "travel: mode %q is not one of %v", mode, slices.Sorted(maps.Keys(tr.Profiles)))
	}
	return p.Detour / (p.SpeedKMH / 3.6), nil
}
