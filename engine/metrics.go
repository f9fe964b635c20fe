package engine

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's Prometheus series. The watermark is exported as
// a timestamp rather than a lag so that the engine never reads the wall
// clock; alert on `time() - cityvitals_engine_watermark_seconds`.
type metrics struct {
	watermark    prometheus.Gauge
	queueDepth   prometheus.Gauge
	applied      prometheus.Counter
	late         prometheus.Counter
	duplicates   prometheus.Counter
	evaluations  prometheus.Counter
	levelChanges prometheus.Counter
	overflows    prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "cityvitals", Subsystem: "engine", Name: name, Help: help})
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "cityvitals", Subsystem: "engine", Name: name, Help: help})
	}
	m := &metrics{
		watermark:    gauge("watermark_seconds", "Event-time watermark: newest observation time minus allowed lateness, Unix seconds."),
		queueDepth:   gauge("queue_batches", "Batches waiting between ingest and the engine goroutine."),
		applied:      counter("observations_applied_total", "Observations applied to the live state."),
		late:         counter("observations_late_total", "Observations that arrived at or behind the applied frontier and were not applied."),
		duplicates:   counter("observations_duplicate_total", "Observations repeating an applied stream and time; not applied."),
		evaluations:  counter("evaluations_total", "Indicator evaluations and roll-ups."),
		levelChanges: counter("level_changes_total", "Indicator level changes emitted."),
		overflows:    counter("queue_overflows_total", "Batches enqueued past the queue bound after waiting the maximum block time."),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.watermark, m.queueDepth, m.applied, m.late, m.duplicates, m.evaluations, m.levelChanges, m.overflows} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
