package cluster

import (
	"math"
	"time"

	"cityvitals/model"
)

// Pattern says when signals of one kind correlate and what their cluster
// means. (Its name avoids clashing with Rule, the rule name findings
// carry.)
type Pattern struct {
	// Kind is the family of signals that can correlate, e.g. "gas_leak":
	// lower-case letters, digits and underscores.
	Kind string
	// Domain is the catalog domain put on findings as the "domain" label,
	// so dispatch groups them with the domain's other alerts. Optional.
	Domain string
	// NameZH and NameEN say what a cluster suggests: "燃气泄漏", "gas leak".
	NameZH, NameEN string
	// RadiusM links two live members at most this many metres apart.
	RadiusM float64
	// Window is how long a member stays live after its last activity.
	Window time.Duration
	// MinKeys is the number of distinct emitters a cluster needs to fire.
	MinKeys int
	// SameUnit also links members in the same spatial unit, however far
	// apart: reports geocoded to a road or a community are imprecise.
	SameUnit bool
	// Boost raises the cluster above its highest member level.
	Boost int8
}

// Limits on a Pattern. Larger radii would make cells so wide that one
// signal meets half the city; a week is longer than any correlation an
// operator would act on.
const (
	minRadiusM = 1
	maxRadiusM = 50_000
	maxWindow  = 7 * 24 * time.Hour
	maxMinKeys = 10_000
	maxBoost   = levelRed - levelBlue
	maxKindLen = 64
)

// Alert levels, as in alert.Finding.
const (
	levelBlue int8 = 1
	levelRed  int8 = 4
)

// DefaultPatterns are the correlations worth an alert in a Chinese city's
// operations centre. Each says why its numbers are what they are.
func DefaultPatterns() []Pattern {
	return []Pattern{
		{
			// Manhole and valve-well sensors on one street stand 30–80 m
			// apart. Gas from a leaking main migrates along the pipe
			// trench and sewers and shows in several adjacent wells within
			// minutes, while one sensor alone is often drift or sewer
			// biogas. Three within a block in half an hour is the pattern
			// of a real leak, and a leak near an ignition source is the
			// city's worst hour: one level up.
			Kind: "gas_leak", Domain: "gas", NameZH: "燃气泄漏", NameEN: "gas leak",
			RadiusM: 200, Window: 30 * time.Minute, MinKeys: 3, Boost: 1,
		},
		{
			// Ponding sensors are sparse (one per underpass or known low
			// point) and citizen reports geocode to a road or a community,
			// so the radius is wide and the same unit counts. An hour
			// covers the rise of a cloudburst; three independent signals
			// make it a flooded area rather than one blocked gully.
			Kind: "waterlogging", Domain: "drainage", NameZH: "道路积水", NameEN: "waterlogging",
			RadiusM: 500, Window: time.Hour, MinKeys: 3, SameUnit: true, Boost: 1,
		},
		{
			// A burst main depressurises the zone it feeds: pressure-drop
			// alarms at several monitoring points a kilometre apart and
			// "no water" reports arrive within half an hour. One low point
			// is usually a local valve or meter.
			Kind: "water_main_burst", Domain: "water", NameZH: "供水管道爆管", NameEN: "water main burst",
			RadiusM: 1000, Window: 30 * time.Minute, MinKeys: 3, Boost: 1,
		},
		{
			// Single smoke detectors false-alarm often (cooking, dust,
			// steam); two independent alarms, or an alarm and a report,
			// within one building's reach in ten minutes rarely do. Two is
			// enough because fire spreads faster than anything else here.
			Kind: "fire", Domain: "fire", NameZH: "火情", NameEN: "fire",
			RadiusM: 100, Window: 10 * time.Minute, MinKeys: 2, Boost: 1,
		},
		{
			// A crowd that fills a whole area, as on the Bund on New
			// Year's Eve 2014, shows as density alarms at several adjacent
			// cameras rather than one busy spot; by then the time to thin
			// it out is short.
			Kind: "overcrowding", Domain: "crowd", NameZH: "人群过度聚集", NameEN: "overcrowding",
			RadiusM: 300, Window: 15 * time.Minute, MinKeys: 3, Boost: 1,
		},
	}
}

// validate checks pattern i; errors are EINVALID and name the field.
func (p Pattern) validate(i int) error {
	bad := func(field, format string, args ...any) error {
		return model.Errorf(model.EINVALID, "cluster pattern %d (kind %q): %s "+format, append([]any{i, p.Kind, field}, args...)...)
	}
	switch {
	case !validKind(p.Kind):
		return bad("Kind", "is not 1–%d lower-case letters, digits or underscores", maxKindLen)
	case p.Domain != "" && !validKind(p.Domain):
		return bad("Domain", "%q is not lower-case letters, digits or underscores", p.Domain)
	case p.NameZH == "" || p.NameEN == "":
		return bad("NameZH/NameEN", "must both be set")
	case math.IsNaN(p.RadiusM) || p.RadiusM < minRadiusM || p.RadiusM > maxRadiusM:
		return bad("RadiusM", "is %v, want %d to %d metres", p.RadiusM, minRadiusM, maxRadiusM)
	case p.Window < time.Millisecond || p.Window > maxWindow:
		return bad("Window", "is %v, want 1ms to %v", p.Window, maxWindow)
	case p.MinKeys < 2 || p.MinKeys > maxMinKeys:
		return bad("MinKeys", "is %d, want 2 to %d (one signal is not a correlation)", p.MinKeys, maxMinKeys)
	case p.Boost < 0 || p.Boost > maxBoost:
		return bad("Boost", "is %d, want 0 to %d", p.Boost, maxBoost)
	}
	return nil
}

func validKind(s string) bool {
	if s == "" || len(s) > maxKindLen {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
