package simulate

import (
	"math"
	"time"
)

// Randomness is counter-based: every draw is a hash of the seed, the
// stream and the reading, so a value never depends on the order in which
// readings are generated, on timing or on other streams.
func mix(xs ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, x := range xs {
		h ^= x + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h = splitmix(h)
	}
	return h
}

func splitmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform maps a hash to [0, 1).
func uniform(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// gaussian maps a hash to a standard normal draw (Box–Muller).
func gaussian(h uint64) float64 {
	u1 := max(uniform(h), 1e-12)
	u2 := uniform(splitmix(h))
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// Salts keep the draws for different purposes apart.
const (
	saltNoise = iota + 1
	saltDrop
	saltOutage
	saltScale
	saltDrift
	saltPhase
)

// shanghai is China Standard Time; China keeps no daylight saving, so a
// fixed zone is exact and needs no time-zone database.
var shanghai = time.FixedZone("CST", 8*3600)

// clock is the local time of day in hours and whether it is a weekend.
type clock struct {
	hour    float64
	weekend bool
	t       time.Time
}

func localClock(t time.Time) clock {
	l := t.In(shanghai)
	h := float64(l.Hour()) + float64(l.Minute())/60 + float64(l.Second())/3600
	return clock{hour: h, weekend: l.Weekday() == time.Saturday || l.Weekday() == time.Sunday, t: t}
}

// bump is a daily peak around hour centre with the given width in hours.
func bump(h, centre, width float64) float64 {
	d := math.Mod(math.Abs(h-centre), 24)
	d = math.Min(d, 24-d)
	return math.Exp(-0.5 * (d / width) * (d / width))
}

// commute is the weekday double peak of travel; weekends have one broad
// afternoon hump instead.
func commute(c clock) float64 {
	if c.weekend {
		return 0.6 * bump(c.hour, 15, 3)
	}
	return bump(c.hour, 8, 1.2) + 1.1*bump(c.hour, 18, 1.5)
}

// demand is the daily pattern of household gas and water use.
func demand(c clock) float64 { return bump(c.hour, 7.5, 1.5) + bump(c.hour, 18.5, 2) }

// profile is a property's normal behaviour: its value at a time for a
// stream whose level is scaled by scale, and the standard deviation of
// its measurement noise (0: a state or count that carries none).
type profile struct {
	level func(c clock, scale float64) float64
	noise float64
	round bool // codes and counts are whole numbers
	count bool // a count: Poisson-like spread instead of noise
}

func steady(v float64) func(clock, float64) float64 {
	return func(_ clock, s float64) float64 { return v * s }
}

func state(v float64) profile {
	return profile{level: func(clock, float64) float64 { return v }, round: true}
}

// tide is the semidiurnal tide of the Huangpu's tributaries, metres.
func tide(t time.Time) float64 {
	const period = 12.42 * float64(time.Hour)
	return 0.5 * math.Sin(2*math.Pi*float64(t.UnixNano()%int64(100*period))/period)
}

// River gauge levels: the warning and guaranteed stages that turn a level
// into the flood stage index (property flood_stage_index).
const (
	riverBase       = 2.6
	riverWarning    = 4.0
	riverGuaranteed = 4.8
)

func temperature(c clock, s float64) float64 {
	return 16*s + 4*math.Cos(2*math.Pi*(c.hour-14.5)/24)
}

var profiles = map[string]profile{
	"gas_lel":         {level: steady(1.2), noise: 0.3},
	"gas_pressure":    {level: func(c clock, s float64) float64 { return 300*s - 12*demand(c) }, noise: 0.4},
	"gas_flow":        {level: func(c clock, s float64) float64 { return 600 * s * (0.6 + 0.6*demand(c)) }, noise: 8},
	"gas_valve_state": state(1),

	"water_pressure":    {level: func(c clock, s float64) float64 { return 0.32*s - 0.04*demand(c) }, noise: 0.002},
	"water_flow":        {level: func(c clock, s float64) float64 { return 900 * s * (0.5 + 0.6*demand(c)) }, noise: 10},
	"water_turbidity":   {level: steady(0.25), noise: 0.03},
	"residual_chlorine": {level: steady(0.6), noise: 0.02},
	"hydrant_pressure":  {level: func(c clock, s float64) float64 { return 0.3*s - 0.04*demand(c) }, noise: 0.002},

	"water_level":       {level: func(c clock, s float64) float64 { return riverBase*s + tide(c.t) }, noise: 0.01},
	"flood_stage_index": {level: func(c clock, s float64) float64 { return stageIndex(riverBase*s + tide(c.t)) }, noise: 0.01},
	"ponding_depth":     {level: steady(0)},
	"pump_state":        state(0),
	"rainfall_rate":     {level: steady(0)},
	"rainfall":          {level: steady(0)},

	"air_temperature":   {level: temperature, noise: 0.1},
	"dew_point":         {level: func(c clock, s float64) float64 { return temperature(c, s) - 5 }, noise: 0.1},
	"air_pressure":      {level: func(c clock, s float64) float64 { return 1015 + math.Sin(2*math.Pi*c.hour/12) }, noise: 0.1},
	"relative_humidity": {level: func(c clock, s float64) float64 { return 70*s - 12*math.Cos(2*math.Pi*(c.hour-14.5)/24) }, noise: 1},
	"wind_speed":        {level: func(c clock, s float64) float64 { return 3*s + 1.5*bump(c.hour, 14, 4) }, noise: 0.5},
	"wind_direction":    {level: func(c clock, s float64) float64 { return 110 + 30*math.Sin(2*math.Pi*c.hour/24) }, noise: 10},

	"pm25": {level: func(c clock, s float64) float64 { return 30*s + 10*bump(c.hour, 8, 2) + 12*bump(c.hour, 21, 3) }, noise: 3},
	"pm10": {level: func(c clock, s float64) float64 { return 50*s + 15*bump(c.hour, 8, 2) + 15*bump(c.hour, 21, 3) }, noise: 4},
	"so2":  {level: steady(7), noise: 1},
	"no2":  {level: func(c clock, s float64) float64 { return 28*s + 18*commute(c) }, noise: 3},
	"co":   {level: func(c clock, s float64) float64 { return 0.6*s + 0.2*commute(c) }, noise: 0.05},
	"o3":   {level: func(c clock, s float64) float64 { return 55*s + 70*bump(c.hour, 15, 3) }, noise: 5},
	"aqi": {level: func(c clock, s float64) float64 {
		return (30*s + 10*bump(c.hour, 8, 2) + 12*bump(c.hour, 21, 3)) * 50 / 35
	}, noise: 3, round: true, count: true},

	"noise":         {level: func(c clock, s float64) float64 { return 46*s + 9*bump(c.hour, 13, 5) }, noise: 1.5},
	"traffic_speed": {level: func(c clock, s float64) float64 { return 42*s - 16*commute(c) }, noise: 2.5},
	"traffic_flow":  {level: func(c clock, s float64) float64 { return 400*s + 900*commute(c) + 300*bump(c.hour, 13, 4) }, noise: 30, round: true, count: true},

	"crowd_count":   {level: func(c clock, s float64) float64 { return 600*s + 3000*commute(c) }, noise: 60, round: true, count: true},
	"crowd_density": {level: func(c clock, s float64) float64 { return 0.2*s + 0.75*commute(c) }, noise: 0.04},
	"crowd_load":    {level: func(c clock, s float64) float64 { return 18*s + 45*commute(c) }, noise: 1.5},

	"power_load":            {level: func(c clock, s float64) float64 { return 350*s + 120*bump(c.hour, 11, 3) + 150*bump(c.hour, 20, 2.5) }, noise: 4},
	"voltage":               {level: steady(110), noise: 0.3},
	"transformer_load_rate": {level: func(c clock, s float64) float64 { return 45*s + 12*bump(c.hour, 11, 3) + 18*bump(c.hour, 20, 2.5) }, noise: 1.5},
	"voltage_deviation":     {level: steady(0), noise: 0.8},
	"power_supply_state":    state(0),

	"manhole_tilt": {level: steady(1), noise: 0.15},
	"lamp_state": {level: func(c clock, _ float64) float64 {
		if c.hour < 6 || c.hour >= 18 {
			return 1 // on at night
		}
		return 0
	}, round: true},

	"bridge_strain":     {level: func(c clock, s float64) float64 { return 120*s + 70*commute(c) }, noise: 8},
	"bridge_deflection": {level: func(c clock, s float64) float64 { return 3*s + 3*commute(c) }, noise: 0.2},

	"elevator_state":      state(0),
	"elevator_fault_code": state(0),
	"fire_alarm_state":    state(0),
	"smoke_concentration": {level: steady(0.05), noise: 0.01},

	"hotline_calls":        {level: func(c clock, s float64) float64 { return 5*s + 7*bump(c.hour, 10, 2) + 5*bump(c.hour, 15, 2) }, round: true, count: true},
	"hotline_urgent_calls": {level: func(c clock, s float64) float64 { return 0.3*s + 0.6*bump(c.hour, 10, 2) }, round: true, count: true},
}

// stageIndex turns a river level into the flood stage index: 0 at the
// warning stage, 1 at the guaranteed stage.
func stageIndex(level float64) float64 {
	return (level - riverWarning) / (riverGuaranteed - riverWarning)
}

// countNoise is the Poisson-like spread of a count with mean m.
func countNoise(m float64) float64 { return math.Sqrt(math.Max(m, 0)) }
