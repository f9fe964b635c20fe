package model

// Warning levels as stored: -1 no data, 0 normal, 1 blue (IV), 2 yellow
// (III), 3 orange (II), 4 red (I). Package indicator names them.

// LevelChange is one change of an indicator's level in one unit, at an
// event time, with the evidence that caused it.
type LevelChange struct {
	Seq       int64   `json:"seq"`  // assigned by the store, increasing
	Time      int64   `json:"time"` // event time of the evaluation, Unix ms
	Unit      string  `json:"unit"` // "" is the whole city
	Indicator string  `json:"indicator"`
	From      int8    `json:"from"`
	To        int8    `json:"to"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	WindowMs  int64   `json:"window_ms"`
}

// IndicatorValue is one evaluated value of an indicator in a unit.
type IndicatorValue struct {
	Time      int64   `json:"time"`
	Unit      string  `json:"unit"`
	Indicator string  `json:"indicator"`
	Value     float64 `json:"value"`
	Level     int8    `json:"level"`
}
