package outbox

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the outbox's Prometheus series, all labelled by receiver.
type metrics struct {
	sent      *prometheus.CounterVec
	delivered *prometheus.CounterVec
	failures  *prometheus.CounterVec
	oldest    *oldestAge
	now       func() time.Time
}

func newMetrics() *metrics {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cityvitals_outbox_sent_total",
			Help: "Messages accepted by Send (durably queued; idempotent repeats included).",
		}, []string{"receiver"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cityvitals_outbox_delivered_total",
			Help: "Messages delivered and marked delivered.",
		}, []string{"receiver"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cityvitals_outbox_failed_attempts_total",
			Help: "Failed delivery attempts, by kind (transient or permanent).",
		}, []string{"receiver", "kind"}),
	}
	m.oldest = &oldestAge{
		desc: prometheus.NewDesc("cityvitals_outbox_oldest_undelivered_age_seconds",
			"Age of the oldest undelivered message as last seen by the dispatcher; 0 when the queue is empty.",
			[]string{"receiver"}, nil),
		created: make(map[string]time.Time),
		now:     func() time.Time { return m.now() },
	}
	return m
}

func (m *metrics) register(r prometheus.Registerer) error {
	return errors.Join(
		r.Register(m.sent), r.Register(m.delivered), r.Register(m.failures), r.Register(m.oldest))
}

// oldestAge is a collector that computes the age at scrape time, so the
// value keeps growing while a dispatcher waits out a long backoff.
type oldestAge struct {
	desc *prometheus.Desc
	now  func() time.Time

	mu      sync.Mutex
	created map[string]time.Time // receiver → Created of its head; zero when empty
}

// set records the Created time of receiver's oldest undelivered message,
// or the zero time when it has none.
func (a *oldestAge) set(receiver string, created time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.created[receiver] = created
}

func (a *oldestAge) Describe(ch chan<- *prometheus.Desc) { ch <- a.desc }

func (a *oldestAge) Collect(ch chan<- prometheus.Metric) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for receiver, created := range a.created {
		age := 0.0
		if !created.IsZero() {
			age = max(0, now.Sub(created).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(a.desc, prometheus.GaugeValue, age, receiver)
	}
}
