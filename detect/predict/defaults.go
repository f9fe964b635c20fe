package predict

import (
	_ "embed"
	"fmt"
	"time"
)

// DefaultTargets are the crossings watched out of the box: slow build-ups
// where a forecast buys time. Gas detectors are left to the threshold
// detector: they are the most numerous sensors of a city and a leak
// outruns an hourly trend. PM2.5 is gated by PM25Windows over the
// station's weather and the region (docs/benchmarks.md has what that
// buys).
func DefaultTargets() []Target {
	pm25 := Target{Property: "pm25", Threshold: 150, Above: true, Level: 2, Step: time.Hour, NameZH: "重污染 150 µg/m³", NameEN: "heavy pollution at 150 µg/m³",
		Context: PM25Context(), UTCOffset: 8 * time.Hour, Hold: true}
	pm25.SetWindows(PM25Windows())
	return []Target{
		{Property: "flood_stage_index", Threshold: 0, Above: true, Horizon: 2 * time.Hour, Level: 2, Step: 5 * time.Minute, NameZH: "警戒水位", NameEN: "the warning stage"},
		{Property: "flood_stage_index", Threshold: 1, Above: true, Horizon: 2 * time.Hour, Level: 3, Step: 5 * time.Minute, NameZH: "保证水位", NameEN: "the guaranteed stage"},
		pm25,
	}
}

// PM25Context are the co-located readings the PM2.5 gate weighs: humid,
// still air lets particles build up; a dry north wind (falling dew
// point, rising pressure) clears them.
func PM25Context() []string {
	return []string{"dew_point", "wind_speed", "air_temperature", "air_pressure", "rainfall"}
}

// pm25Windows are the PM2.5 windows and gates as `cityvitals bench
// forecast --fit` printed them.
//
//go:embed pm25_windows.json
var pm25Windows []byte

// PM25Windows are the windows a PM2.5 ≥ 150 µg/m³ warning may state,
// shortest first, each with its gate: a logistic model over
// FeatureNames(PM25Context()) with 100 boosted trees of depth 3 on top,
// fitted with `cityvitals bench forecast --fit` on the even Beijing
// stations 2013-03 … 2015-02 and judged on the odd ones 2015-03 …
// 2017-02. Their common raise probability was chosen by two-fold
// cross-validation on the two training years; docs/benchmarks.md has
// the figures. Each call returns fresh copies.
func PM25Windows() []Window {
	ws, err := ParseWindows(pm25Windows)
	if err != nil {
		// The file is part of the build and a test reads it: a broken
		// one is a programming error, not a runtime condition.
		panic(fmt.Sprintf("predict: embedded pm25_windows.json: %v", err))
	}
	return ws
}
