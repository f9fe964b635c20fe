package ingest

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's Prometheus instruments. Label values come from
// fixed sets only (transport names, rejection kinds), never from senders.
type metrics struct {
	observations  *prometheus.CounterVec // durable observations by transport
	rejected      *prometheus.CounterVec // rejected items by reason kind
	commitSeconds prometheus.Histogram
	queueDepth    prometheus.Gauge
	batchSize     prometheus.Histogram
	overloaded    prometheus.Counter
}

// transportLabel maps a Source.Transport to a label from a fixed set.
func transportLabel(transport string) string {
	switch transport {
	case "http", "mqtt", "bridge", "file", "submit":
		return transport
	}
	return "other"
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		observations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cityvitals_ingest_observations_total",
			Help: "Observations written durably, by transport.",
		}, []string{"transport"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cityvitals_ingest_rejected_total",
			Help: "Batch items rejected, by reason.",
		}, []string{"reason"}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cityvitals_ingest_commit_seconds",
			Help:    "Duration of one group commit (history store write).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5ms .. 4s
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cityvitals_ingest_queue_depth",
			Help: "Observations accepted and waiting to become durable.",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cityvitals_ingest_batch_size",
			Help:    "Observations per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10), // 1 .. 262144
		}),
		overloaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cityvitals_ingest_overloaded_total",
			Help: "Requests refused with EOVERLOADED because the commit queue was full.",
		}),
	}
	// Create every fixed label value up front so that dashboards see zeros.
	for _, t := range []string{"http", "mqtt", "bridge", "file", "submit", "other"} {
		m.observations.WithLabelValues(t)
	}
	for k := range numReasons {
		m.rejected.WithLabelValues(k.label())
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.observations, m.rejected, m.commitSeconds, m.queueDepth, m.batchSize, m.overloaded} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register ingest metrics: %w", err)
	}
	return m, nil
}

// transportCounter returns the observations counter of a transport.
func (m *metrics) transportCounter(transport string) prometheus.Counter {
	return m.observations.WithLabelValues(transportLabel(transport))
}

func (m *metrics) countRejections(r *rejections) {
	for k, n := range r.counts {
		if n > 0 {
			m.rejected.WithLabelValues(reasonKind(k).label()).Add(float64(n))
		}
	}
}
