package rate

import (
	"math"
	"strconv"
	"time"

	"cityvitals/model"
)

// Direction is which way of change a Spec watches.
type Direction string

// The watched directions.
const (
	Drop   Direction = "drop"   // falling values (pressure loss)
	Rise   Direction = "rise"   // rising values (water coming up)
	Either Direction = "either" // both; the level follows the magnitude
)

// Window bounds: shorter than a second is a two-point difference at any
// real cadence; longer than a day is a trend, which the forecast detector
// owns. A day also keeps a bin's span inside an int32 of milliseconds.
const (
	minWindow = time.Second
	maxWindow = 24 * time.Hour
)

// Bin bounds. DefaultBins holds a 5-minute cadence over a 30-minute window
// one reading per bin; maxBins keeps a stream's state under 2 KiB.
const (
	DefaultBins = 8
	maxBins     = 64
)

// minReadings is the floor of Spec.MinReadings: a slope through two
// readings is a two-point difference, driven by noise.
const minReadings = 3

// Spec is the rate-of-change configuration of one observed property,
// shared by every datastream of that property.
type Spec struct {
	Property string // observed-property id, e.g. "gas_pressure"
	UoM      string // the property's canonical unit, e.g. "kPa"
	// NameZH and NameEN name what is measured in summaries ("燃气管道压力",
	// "gas pipe pressure"); the property id stands in when empty.
	NameZH, NameEN string
	Direction      Direction
	// Window is the trailing span whose readings give the slope.
	Window time.Duration
	// Per is the time unit of the rate and its thresholds: time.Minute
	// or time.Hour.
	Per time.Duration
	// Thresholds are the rates, in UoM per Per and in the watched
	// direction, at which levels 1 blue … 4 red begin (index 0 is blue).
	// 0 leaves a level unused; the used ones must increase strictly.
	Thresholds [4]float64
	// Hysteresis is how far below a level's threshold the rate must go
	// before the level is left, in UoM per Per; less than the lowest
	// threshold.
	Hysteresis float64
	// MinReadings is how many readings the window must hold before the
	// stream is judged (at least 3).
	MinReadings int
	// Bins is how many time bins hold the window (0: DefaultBins); at
	// least MinReadings, at most 64. Memory per stream grows 32 B a bin.
	Bins int
}

// levelNames are the level words, index 1 blue … 4 red.
var levelNames = [5]string{"none", "blue", "yellow", "orange", "red"}

// validate reports the first field no stream could be judged with, naming
// the spec's position and property.
func (s Spec) validate(i int) error {
	at := "rate specs[" + strconv.Itoa(i) + "] (" + s.Property + ")"
	switch {
	case s.Property == "":
		return model.Errorf(model.EINVALID, "rate specs[%d]: property is required", i)
	case s.UoM == "":
		return model.Errorf(model.EINVALID, "%s: uom is required (the property's canonical unit)", at)
	case s.Direction != Drop && s.Direction != Rise && s.Direction != Either:
		return model.Errorf(model.EINVALID, "%s: direction %q must be drop, rise or either", at, s.Direction)
	case s.Window < minWindow || s.Window > maxWindow:
		return model.Errorf(model.EINVALID, "%s: window %s must be between %s and %s", at, s.Window, minWindow, maxWindow)
	case s.Per != time.Minute && s.Per != time.Hour:
		return model.Errorf(model.EINVALID, "%s: per %s must be 1m0s or 1h0m0s", at, s.Per)
	case s.MinReadings < minReadings:
		return model.Errorf(model.EINVALID, "%s: min_readings %d must be at least %d (two readings make a two-point difference)", at, s.MinReadings, minReadings)
	case s.Bins != 0 && (s.Bins < s.MinReadings || s.Bins > maxBins):
		return model.Errorf(model.EINVALID, "%s: bins %d must be between min_readings %d and %d", at, s.Bins, s.MinReadings, maxBins)
	case s.Bins == 0 && DefaultBins < s.MinReadings:
		return model.Errorf(model.EINVALID, "%s: min_readings %d exceeds the default %d bins; set bins", at, s.MinReadings, DefaultBins)
	}
	return s.validateLevels(at)
}

// validateLevels checks the thresholds and the hysteresis.
func (s Spec) validateLevels(at string) error {
	lowest, prev := 0.0, 0.0
	for i, t := range s.Thresholds {
		name := levelNames[i+1]
		switch {
		case math.IsNaN(t) || math.IsInf(t, 0) || t < 0:
			return model.Errorf(model.EINVALID, "%s: thresholds.%s %g must be a positive rate (0 leaves the level unused)", at, name, t)
		case t == 0:
			continue
		case t <= prev:
			return model.Errorf(model.EINVALID, "%s: thresholds.%s %g must be above the lower levels' %g", at, name, t, prev)
		}
		if lowest == 0 {
			lowest = t
		}
		prev = t
	}
	switch {
	case lowest == 0:
		return model.Errorf(model.EINVALID, "%s: thresholds: at least one level needs a rate", at)
	case math.IsNaN(s.Hysteresis) || s.Hysteresis < 0 || s.Hysteresis >= lowest:
		return model.Errorf(model.EINVALID, "%s: hysteresis %g must be at least 0 and below the lowest threshold %g", at, s.Hysteresis, lowest)
	}
	return nil
}

// DefaultSpecs are the rates watched out of the box. Units are the
// canonical ones of property/catalog.yaml (TestDefaultSpecsMatchTheCatalog
// keeps them so). [R] marks a value reasoned here; where the indicator
// catalog grades the same rate for a unit, the values agree with it so a
// stream's alert and its grid's indicator tell one story.
func DefaultSpecs() []Spec {
	return []Spec{
		{
			// Gas main leak or rupture, or a pipe cut by digging. Medium-
			// pressure mains run at 0.2–0.4 MPa (GB 50028-2006 §6.1.6, class
			// A/B medium pressure); thresholds, window and hysteresis are
			// those of the catalog's gas.pressure_drop: 2 kPa/min is beyond
			// any diurnal swing, 20 kPa/min empties the margin to a
			// regulator's minimum inlet pressure within minutes. With 5-minute
			// readings the window holds four: a sudden loss of 50 kPa reads
			// 3 kPa/min at the first low reading and 4 at the second, and a
			// main that keeps falling reads its true rate once the window has
			// filled with the fall. Low-pressure service lines
			// (about 2–3 kPa) cannot fall this fast and need a spec of their
			// own property.
			Property: "gas_pressure", UoM: "kPa", NameZH: "燃气管道压力", NameEN: "gas pipe pressure",
			Direction: Drop, Window: 15 * time.Minute, Per: time.Minute,
			Thresholds: [4]float64{2, 5, 10, 20}, Hysteresis: 0.5, MinReadings: 3,
		},
		{
			// Water-main burst. Networks run at 0.2–0.4 MPa with diurnal
			// swings of about 0.05 MPa over hours; a fall of 0.05 MPa a
			// minute is a burst. Values of the catalog's water.pressure.drop.
			Property: "water_pressure", UoM: "MPa", NameZH: "供水管网压力", NameEN: "water main pressure",
			Direction: Drop, Window: 15 * time.Minute, Per: time.Minute,
			Thresholds: [4]float64{0.005, 0.01, 0.02, 0.05}, Hysteresis: 0.002, MinReadings: 3,
		},
		{
			// Fast-rising river or drain, per hour. [R] Blue starts just above
			// the fastest ordinary rise, a spring flood tide on Shanghai's
			// tidal rivers (0.3–0.5 m/h, the source of the catalog's
			// drainage.river.rising), so one spec fits tidal and inland
			// gauges without firing twice a day. Yellow 0.75 m/h brings a
			// gauge 0.5 m below its warning stage there in 40 min, orange
			// 1 m/h in 30 min; red 1.5 m/h (25 cm in 10 min) is a flash rise
			// that leaves no time for a staged response. A 30-minute window
			// reacts within a few 5-minute readings.
			Property: "water_level", UoM: "m", NameZH: "水位", NameEN: "water level",
			Direction: Rise, Window: 30 * time.Minute, Per: time.Hour,
			Thresholds: [4]float64{0.5, 0.75, 1, 1.5}, Hysteresis: 0.05, MinReadings: 4,
		},
		{
			// Surface ponding rising, per hour. Values of the catalog's
			// drainage.ponding.rising: at 0.3 m/h a point goes from the
			// 0.15 m waterlogging standard (GB 51222-2017) to the 0.5 m red
			// depth in about 70 minutes; 0.05 m/h is the first notice that
			// inflow exceeds the drains.
			Property: "ponding_depth", UoM: "m", NameZH: "积水深度", NameEN: "ponding depth",
			Direction: Rise, Window: 30 * time.Minute, Per: time.Hour,
			Thresholds: [4]float64{0.05, 0.1, 0.2, 0.3}, Hysteresis: 0.02, MinReadings: 4,
		},
		{
			// Distribution transformer load surging, percentage points per
			// hour. [R] The steepest ordinary ramp, the summer evening peak,
			// is of the order of 10–15 points an hour, so blue is 20; yellow
			// 30 takes a transformer from its 70 % notice to overload (100 %,
			// State Grid 过载) within an hour; orange 50 from heavy load (80 %)
			// to overload in under 25 minutes; red 80 from overload to the
			// 120 % trip zone in 15 minutes. Readings come every 15 minutes,
			// hence the one-hour window; hysteresis as the load indicator's.
			Property: "transformer_load_rate", UoM: "%", NameZH: "配变负载率", NameEN: "transformer load rate",
			Direction: Rise, Window: time.Hour, Per: time.Hour,
			Thresholds: [4]float64{20, 30, 50, 80}, Hysteresis: 3, MinReadings: 4,
		},
	}
}
