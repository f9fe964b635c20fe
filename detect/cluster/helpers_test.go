package cluster_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/detect/cluster"
)

const (
	minute = int64(time.Minute / time.Millisecond)
	t0     = int64(1_750_000_000_000) // June 2025, Unix ms
	pudong = "310115"
)

// metresPerDegree is one degree of latitude on the detector's sphere.
const metresPerDegree = 6_371_008.8 * math.Pi / 180

// place returns the point eastM and northM metres from a spot in Pudong.
func place(eastM, northM float64) (lon, lat float64) {
	lat = 31.2 + northM/metresPerDegree
	lon = 121.5 + eastM/(metresPerDegree*math.Cos(31.2*math.Pi/180))
	return lon, lat
}

func unitNames(unit string) (string, string) {
	if unit == pudong {
		return "浦东新区", "Pudong"
	}
	return unit, unit
}

func newDetector(t testing.TB, patterns ...cluster.Pattern) *cluster.Detector {
	t.Helper()
	if len(patterns) == 0 {
		patterns = cluster.DefaultPatterns()
	}
	d, err := cluster.New(patterns, unitNames)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

// gasAlarm is a manhole gas sensor in alarm eastM metres along a street.
func gasAlarm(key string, eastM float64, at int64, level int8) cluster.Signal {
	lon, lat := place(eastM, 0)
	return cluster.Signal{Key: key, Kind: "gas_leak", Unit: pudong, Lon: lon, Lat: lat, At: at, Level: level, Active: true}
}

// ended is the end of s's alarm at the given time.
func ended(s cluster.Signal, at int64) cluster.Signal {
	s.Active, s.At = false, at
	return s
}

func report(id, kind, unit string, eastM, northM float64, at int64) cluster.Signal {
	lon, lat := place(eastM, northM)
	return cluster.FromReport(id, kind, unit, lon, lat, at)
}

func observe(t testing.TB, d *cluster.Detector, signals ...cluster.Signal) {
	t.Helper()
	for _, s := range signals {
		if err := d.Observe(s); err != nil {
			t.Fatalf("Observe(%+v): %v", s, err)
		}
	}
}

// brief renders a finding as "cluster-id level count@at".
func brief(f alert.Finding) string {
	return fmt.Sprintf("%s L%d n=%v @%+dmin", f.Labels["cluster"], f.Level, f.Evidence["count"], (f.At-t0)/minute)
}

func briefs(fs []alert.Finding) string {
	var b []string
	for _, f := range fs {
		b = append(b, brief(f))
	}
	return strings.Join(b, "; ")
}

func fingerprint(f alert.Finding) string { return alert.Fingerprint(f.Rule, f.Labels) }
