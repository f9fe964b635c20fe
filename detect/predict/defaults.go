package predict

import (
	"time"

	"cityvitals/detect/forecast"
)

// DefaultTargets are the crossings watched out of the box: slow build-ups
// where a forecast buys time. Gas detectors are left to the threshold
// detector: they are the most numerous sensors of a city and a leak
// outruns an hourly trend. PM2.5 is gated by PM25Gate over the station's
// weather and the region (docs/benchmarks.md has what that buys).
func DefaultTargets() []Target {
	return []Target{
		{Property: "flood_stage_index", Threshold: 0, Above: true, Horizon: 2 * time.Hour, Level: 2, Step: 5 * time.Minute, NameZH: "警戒水位", NameEN: "the warning stage"},
		{Property: "flood_stage_index", Threshold: 1, Above: true, Horizon: 2 * time.Hour, Level: 3, Step: 5 * time.Minute, NameZH: "保证水位", NameEN: "the guaranteed stage"},
		{Property: "pm25", Threshold: 150, Above: true, Horizon: 6 * time.Hour, Level: 2, Step: time.Hour, NameZH: "重污染 150 µg/m³", NameEN: "heavy pollution at 150 µg/m³",
			Context: PM25Context(), Gate: PM25Gate(), UTCOffset: 8 * time.Hour},
	}
}

// PM25Context are the co-located readings the PM2.5 gate weighs: humid,
// still air lets particles build up; a dry north wind (falling dew
// point, rising pressure) clears them.
func PM25Context() []string {
	return []string{"dew_point", "wind_speed", "air_temperature", "air_pressure", "rainfall"}
}

// PM25Gate is the gate for PM2.5 ≥ 150 µg/m³ within 6 h, fitted with
// `cityvitals bench forecast --fit` on the even Beijing stations
// 2013-03 … 2015-02 and checked on the odd ones 2015-03 … 2017-02; the
// raise probability 0.65 was chosen on the training half as the lowest
// false share that keeps the median lead ≥ 30 min. The weights act on
// raw features (see FeatureNames); Fill is their training mean.
func PM25Gate() *forecast.Gate {
	return &forecast.Gate{
		Bias: -9.0724,
		Weights: []float64{
			0.0582995,    // log_level
			0.883799,     // margin
			0.582202,     // crossing
			0.350197,     // change_1
			-0.734909,    // change_3
			0.03294,      // hour_sin
			-0.751261,    // hour_cos
			2.05048,      // region_level
			0.495006,     // region_change_3
			-0.0246642,   // dew_point
			0.156996,     // dew_point_change_3
			-0.383686,    // wind_speed
			0.118865,     // wind_speed_change_3
			0.0180122,    // air_temperature
			-0.0571977,   // air_temperature_change_3
			-0.000621148, // air_pressure
			0.00759763,   // air_pressure_change_3
			-0.626784,    // rainfall
			0.0335815,    // rainfall_change_3
		},
		Fill: []float64{
			3.64426,     // log_level
			-2.19507,    // margin
			0.0216084,   // crossing
			-0.00600313, // change_1
			-0.0208872,  // change_3
			0.00830124,  // hour_sin
			-0.00792216, // hour_cos
			3.67581,     // region_level
			-0.00610099, // region_change_3
			2.37265,     // dew_point
			-0.0067091,  // dew_point_change_3
			1.68816,     // wind_speed
			-0.0142276,  // wind_speed_change_3
			13.7953,     // air_temperature
			-0.00893185, // air_temperature_change_3
			1009.74,     // air_pressure
			0.0122151,   // air_pressure_change_3
			0.0534357,   // rainfall
			-0.00863517, // rainfall_change_3
		},
		Raise: 0.65, Clear: 0.5,
	}
}
