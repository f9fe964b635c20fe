package cluster

import (
	"math"
	"unicode"
	"unicode/utf8"

	"cityvitals/alert"
	"cityvitals/model"
)

// Signal is one piece of news about one emitter: a sensor's alarm began,
// changed or ended, or a citizen made a report.
type Signal struct {
	// Key names the emitter, e.g. "stream:42" or "report:9". Members are
	// counted by key, so one sensor never counts twice.
	Key string
	// Source tells apart the alarms one key can have at once (say a
	// threshold and an anomaly finding on one stream): the member stays
	// active until every source has ended. "" is a source like any other.
	Source string
	// Kind selects the Pattern, e.g. "gas_leak".
	Kind string
	// Unit is the spatial unit holding the emitter ("" if unknown).
	Unit string
	// Lon, Lat in WGS84 degrees; |Lat| ≤ 85, and not both 0 (that is a
	// missing position: leave emitters without one out).
	Lon, Lat float64
	// At is the event time, Unix ms.
	At int64
	// Level of the alarm, 1 blue … 4 red; required while Active.
	Level int8
	// Active: the source is in alarm from At on. False ends it: a sensor
	// member then stays live for the pattern's Window; a report is
	// withdrawn (found false or a duplicate) and leaves at once.
	Active bool
	// Report marks a citizen report (12345 call, app report): a one-off
	// event, live for Window after At, that never needs ending.
	Report bool
}

// Limits on a Signal's strings, which end up in labels and evidence.
const (
	maxKeyLen  = 256
	maxUnitLen = 128
	maxLat     = 85      // beyond, cells a radius wide in longitude get too many
	maxAt      = 1 << 53 // far beyond any real Unix ms, and At+Window cannot overflow
)

// FromFinding turns another detector's finding into a signal of the given
// kind at the emitter's position. The key is the finding's stream
// ("stream:<id>"), else its asset ("asset:<id>"), else the finding itself
// ("alert:<fingerprint>"); the source is the finding's fingerprint, so a
// stream's threshold and anomaly findings are one member with two sources.
func FromFinding(f alert.Finding, kind string, lon, lat float64) Signal {
	fp := alert.Fingerprint(f.Rule, f.Labels)
	key := "alert:" + fp
	if id := f.Labels["stream"]; id != "" {
		key = "stream:" + id
	} else if id := f.Labels["asset"]; id != "" {
		key = "asset:" + id
	}
	return Signal{
		Key: key, Source: fp, Kind: kind, Unit: f.Labels["unit"],
		Lon: lon, Lat: lat, At: f.At, Level: min(f.Level, levelRed), Active: f.Level > 0,
	}
}

// FromReport is a citizen report with the given id, at blue level.
func FromReport(id, kind, unit string, lon, lat float64, at int64) Signal {
	return Signal{
		Key: "report:" + id, Kind: kind, Unit: unit,
		Lon: lon, Lat: lat, At: at, Level: levelBlue, Active: true, Report: true,
	}
}

// validate checks what does not depend on the detector's state; errors
// are EINVALID and name the field and the value.
func (s Signal) validate() error {
	bad := func(format string, args ...any) error {
		return model.Errorf(model.EINVALID, "cluster signal %q: "+format, append([]any{clip(s.Key)}, args...)...)
	}
	switch {
	case s.Key == "" || len(s.Key) > maxKeyLen || !printable(s.Key):
		return bad("Key must be 1–%d bytes of printable UTF-8", maxKeyLen)
	case len(s.Source) > maxKeyLen || !printable(s.Source):
		return bad("Source must be at most %d bytes of printable UTF-8", maxKeyLen)
	case len(s.Unit) > maxUnitLen || !printable(s.Unit):
		return bad("Unit must be at most %d bytes of printable UTF-8", maxUnitLen)
	case math.IsNaN(s.Lon) || s.Lon < -180 || s.Lon > 180:
		return bad("Lon is %v, want -180 to 180", s.Lon)
	case math.IsNaN(s.Lat) || s.Lat < -maxLat || s.Lat > maxLat:
		return bad("Lat is %v, want -%d to %d", s.Lat, maxLat, maxLat)
	case s.Lon == 0 && s.Lat == 0:
		// The zero value of a missing position: every emitter without one
		// would otherwise cluster together in the Gulf of Guinea.
		return bad("has no position (Lon and Lat are 0)")
	case s.At < 0 || s.At > maxAt:
		return bad("At is %d, want Unix milliseconds from 0 to %d", s.At, int64(maxAt))
	case s.Active && (s.Level < levelBlue || s.Level > levelRed):
		return bad("Level is %d, want 1 (blue) to 4 (red) for an active signal", s.Level)
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters,
// which could forge label boundaries or break a log line.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// clip shortens a hostile key for an error message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	for i := n; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
