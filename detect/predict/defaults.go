package predict

import (
	_ "embed"
	"encoding/json"
	"fmt"
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
		{Property: "pm25", Threshold: 150, Above: true, Horizon: 12 * time.Hour, Level: 2, Step: time.Hour, NameZH: "重污染 150 µg/m³", NameEN: "heavy pollution at 150 µg/m³",
			Context: PM25Context(), Gate: PM25Gate(), UTCOffset: 8 * time.Hour, Hold: true},
	}
}

// PM25Context are the co-located readings the PM2.5 gate weighs: humid,
// still air lets particles build up; a dry north wind (falling dew
// point, rising pressure) clears them.
func PM25Context() []string {
	return []string{"dew_point", "wind_speed", "air_temperature", "air_pressure", "rainfall"}
}

// pm25Gate is the PM2.5 gate as `cityvitals bench forecast --fit`
// printed it.
//
//go:embed pm25_gate.json
var pm25Gate []byte

// PM25Gate is the gate for PM2.5 ≥ 150 µg/m³ within 12 h: a logistic
// model over FeatureNames(PM25Context()) with 100 boosted trees of depth
// 3 on top, fitted with `cityvitals bench forecast --fit` on the even
// Beijing stations 2013-03 … 2015-02 and judged on the odd ones
// 2015-03 … 2017-02. Its raise probability 0.80 was chosen by two-fold
// cross-validation on the two training years (the lowest false share
// with a hit rate ≥ 0.55); docs/benchmarks.md has the figures. Each call
// returns a fresh copy.
func PM25Gate() *forecast.Gate {
	var g forecast.Gate
	if err := json.Unmarshal(pm25Gate, &g); err != nil {
		// The file is part of the build and a test reads it: a broken
		// one is a programming error, not a runtime condition.
		panic(fmt.Sprintf("predict: embedded pm25_gate.json: %v", err))
	}
	return &g
}
