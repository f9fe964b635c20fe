package model

import "time"

// Datastream is one measured quantity of one sensor: what it measures
// (an observed property from the catalog), in which unit of measurement,
// how often it is expected to report, and where it is.
//
// ID is assigned by the store on creation and never reused. Key is the
// optional external key a device or file uses to name the stream; it is
// unique when set.
type Datastream struct {
	ID       int64         `json:"id"`
	Key      string        `json:"key,omitempty"`
	Name     string        `json:"name,omitempty"`
	Property string        `json:"property"` // observed-property id, e.g. "gas_lel"
	UoM      string        `json:"uom"`      // e.g. "%LEL", "kPa"
	Interval time.Duration `json:"-"`        // expected reporting interval
	Device   string        `json:"device,omitempty"`
	Asset    string        `json:"asset,omitempty"`
	Lon      float64       `json:"lon,omitempty"`
	Lat      float64       `json:"lat,omitempty"`
	HasPoint bool          `json:"-"`
	Unit     string        `json:"unit,omitempty"` // resolved from the point or the asset
	Created  time.Time     `json:"created"`
}

// Quality flags carried by an observation. Zero means good.
const (
	QualityGood    uint8 = 0
	QualitySuspect uint8 = 1
	QualityBad     uint8 = 2
)

// Observation is one reading of one datastream. Time is the phenomenon time
// in Unix milliseconds (UTC). It is a small value type on purpose: the
// ingest path moves millions of them a second.
type Observation struct {
	Stream  int64
	Time    int64
	Value   float64
	Quality uint8
}
