package mqtt

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// brokerMetrics are the embedded broker's counters. Message outcomes are
// labelled by the model error code that decided them, so a dashboard can
// tell devices sending garbage ("invalid") from a struggling store
// ("overloaded", "internal").
type brokerMetrics struct {
	received      *prometheus.CounterVec // by topic kind
	failed        *prometheus.CounterVec // messages not ingested, by code
	itemsRejected prometheus.Counter
	authFailures  prometheus.Counter
	aclDenials    *prometheus.CounterVec // by action: publish, subscribe
}

func newBrokerMetrics(connected func() float64) (*brokerMetrics, []prometheus.Collector) {
	m := &brokerMetrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cityvitals_mqtt_messages_received_total",
			Help: "Messages devices published to ingest topics of the embedded broker, by topic kind.",
		}, []string{"topic"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cityvitals_mqtt_messages_rejected_total",
			Help: "Messages not ingested as a whole, by error code (invalid and too_large are acknowledged, overloaded and internal are not).",
		}, []string{"code"}),
		itemsRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cityvitals_mqtt_items_rejected_total",
			Help: "Items of ingested messages that the ingest service rejected.",
		}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cityvitals_mqtt_auth_failures_total",
			Help: "CONNECT attempts refused for missing or bad device credentials.",
		}),
		aclDenials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cityvitals_mqtt_acl_denials_total",
			Help: "Publishes and subscriptions refused because the topic is not the device's own.",
		}, []string{"action"}),
	}
	clients := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cityvitals_mqtt_clients_connected",
		Help: "Devices currently connected to the embedded broker.",
	}, connected)
	return m, []prometheus.Collector{m.received, m.failed, m.itemsRejected, m.authFailures, m.aclDenials, clients}
}

// bridgeMetrics are one bridge's counters, labelled with its client id so
// that several bridges can share a registry.
type bridgeMetrics struct {
	messages      *prometheus.CounterVec // by outcome
	itemsRejected prometheus.Counter
	connects      prometheus.Counter
	connected     prometheus.Gauge
}

// Bridge message outcomes.
const (
	outcomeIngested = "ingested" // durable and acknowledged
	outcomeInvalid  = "invalid"  // bad as a whole; acknowledged and dropped
	outcomeFailed   = "failed"   // not acknowledged; redelivered after reconnect
	outcomeUnrouted = "unrouted" // matched no configured filter; acknowledged and dropped
)

func newBridgeMetrics(clientID string) (*bridgeMetrics, []prometheus.Collector) {
	labels := prometheus.Labels{"client_id": clientID}
	m := &bridgeMetrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "cityvitals_mqtt_bridge_messages_total",
			Help:        "Messages received from the external broker, by outcome.",
			ConstLabels: labels,
		}, []string{"outcome"}),
		itemsRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "cityvitals_mqtt_bridge_items_rejected_total",
			Help:        "Items of bridged messages that the ingest service rejected.",
			ConstLabels: labels,
		}),
		connects: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "cityvitals_mqtt_bridge_connects_total",
			Help:        "Successful connections to the external broker, the first one included.",
			ConstLabels: labels,
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "cityvitals_mqtt_bridge_connected",
			Help:        "1 while the bridge is connected and subscribed, else 0.",
			ConstLabels: labels,
		}),
	}
	return m, []prometheus.Collector{m.messages, m.itemsRejected, m.connects, m.connected}
}

// register registers cs on reg; a nil reg leaves the metrics unexported.
func register(reg prometheus.Registerer, cs []prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}
