package app

import (
	"fmt"
	"sync"
	"time"

	"cityvitals/alert"
	"cityvitals/detect/cluster"
	"cityvitals/detect/rate"
	"cityvitals/model"
)

// sensorAlarm says when one reading of a property is an alarm that may
// correlate with its neighbours' (cluster kind, level of the alarm).
type sensorAlarm struct {
	kind  string
	at    float64 // alarm at or above
	level int8
}

// sensorAlarms are the per-device alarm points whose neighbours matter:
// gas detectors at 20 %LEL (below the 25 %LEL first alarm of GB/T
// 50493-2019, so a spreading leak is seen as it spreads), standing water
// at 15 cm (a lane is waterlogged), a fire alarm, crowds at 4 people/m².
var sensorAlarms = map[string]sensorAlarm{
	"gas_lel":          {kind: "gas_leak", at: 20, level: 2},
	"ponding_depth":    {kind: "waterlogging", at: 0.15, level: 2},
	"fire_alarm_state": {kind: "fire", at: 1, level: 3},
	"crowd_density":    {kind: "overcrowding", at: 4, level: 2},
}

// rateKinds are the rate-of-change findings that count as cluster
// signals: falling water-main pressure at several points is a burst.
var rateKinds = map[string]string{"water_pressure": "water_main_burst", "gas_pressure": "gas_leak"}

// clusterFeed turns readings and findings into cluster signals, keeping
// per stream only whether it is in alarm, so each alarm starts and ends
// once.
type clusterFeed struct {
	d       *cluster.Detector
	streams func(id int64) (model.Datastream, bool)
	onError func(error)

	mu     sync.Mutex
	alarms map[int64]bool
}

func (f *clusterFeed) observeBatch(batch []model.Observation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var newest int64
	for _, o := range batch {
		newest = max(newest, o.Time)
		ds, ok := f.streams(o.Stream)
		if !ok || !ds.HasPoint {
			continue
		}
		rule, ok := sensorAlarms[ds.Property]
		if !ok {
			continue
		}
		active := o.Value >= rule.at
		if active == f.alarms[o.Stream] {
			continue
		}
		if active {
			f.alarms[o.Stream] = true
		} else {
			delete(f.alarms, o.Stream)
		}
		f.observe(cluster.Signal{
			Key: fmt.Sprintf("stream:%d", o.Stream), Source: "reading", Kind: rule.kind, Unit: ds.Unit,
			Lon: ds.Lon, Lat: ds.Lat, At: o.Time, Level: rule.level, Active: active,
		})
	}
	if newest > 0 {
		f.d.Advance(newest)
	}
}

// observeFindings passes on the rate findings that can correlate.
func (f *clusterFeed) observeFindings(found []alert.Finding) {
	for _, fd := range found {
		if fd.Rule != rate.Rule {
			continue
		}
		kind, ok := rateKinds[fd.Labels["property"]]
		if !ok {
			continue
		}
		var id int64
		if _, err := fmt.Sscan(fd.Labels["stream"], &id); err != nil {
			continue
		}
		ds, ok := f.streams(id)
		if !ok || !ds.HasPoint {
			continue
		}
		f.observe(cluster.FromFinding(fd, kind, ds.Lon, ds.Lat))
	}
}

// reportKinds are the citizen-report categories that correlate with
// sensor alarms of a cluster kind.
var reportKinds = map[string]string{"gas_leak": "gas_leak", "waterlogging": "waterlogging", "water_main_burst": "water_main_burst", "fire": "fire"}

// observeReport counts a live citizen report as a signal near its point
// (an imported history of old reports raises nothing now).
func (f *clusterFeed) observeReport(r model.Report, category string) {
	kind, ok := reportKinds[category]
	if !ok || !r.HasPoint || time.Since(r.RequestedAt) > 24*time.Hour {
		return
	}
	f.observe(cluster.FromReport(fmt.Sprint(r.ID), kind, r.Unit, r.Lon, r.Lat, r.RequestedAt.UnixMilli()))
}

func (f *clusterFeed) observe(s cluster.Signal) {
	if err := f.d.Observe(s); err != nil {
		f.onError(err)
	}
}
