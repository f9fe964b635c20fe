package mqtt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/ingest"
	"cityvitals/model"
)

// Devices and secrets the test brokers accept; read only.
var testDevices = fakeAuth{"gas-7": "s3cret-7", "gas-8": "s3cret-8"}

// startBroker runs a broker for testDevices on a free port until the test ends.
func startBroker(t testing.TB, cfg BrokerConfig, ing Ingester) (*Broker, *prometheus.Registry) {
	t.Helper()
	return startBrokerWith(t, cfg, ing, testDevices)
}

func startBrokerWith(t testing.TB, cfg BrokerConfig, ing Ingester, auth Authenticator) (*Broker, *prometheus.Registry) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	reg := prometheus.NewRegistry()
	b, err := NewBroker(cfg, ing, auth, nil, reg)
	if err != nil {
		t.Fatalf("NewBroker: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return b, reg
}

// deviceOptions are paho options for a device of the test broker.
func deviceOptions(b *Broker, device, secret string) *paho.ClientOptions {
	return paho.NewClientOptions().
		AddBroker("tcp://" + b.Addr().String()).
		SetClientID(fmt.Sprintf("%s-%d", device, time.Now().UnixNano())).
		SetUsername(device).
		SetPassword(secret).
		SetProtocolVersion(4). // MQTT 3.1.1 only: no second attempt as 3.1 after a refusal
		SetAutoReconnect(false).
		SetConnectTimeout(5 * time.Second)
}

// connectDevice connects a paho client and disconnects it when the test ends.
func connectDevice(t testing.TB, opts *paho.ClientOptions) paho.Client {
	t.Helper()
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect as %s: %v", opts.Username, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func TestBrokerAcksOnlyAfterIngestReturned(t *testing.T) {
	received := time.Now()
	tests := []struct {
		name     string
		topic    string
		payload  string
		wantBody func(body string) error
	}{
		{
			name:    "batch on observations topic",
			topic:   ObservationsTopic("gas-7"),
			payload: `[{"datastream":"lel-1","time":"2024-05-01T08:00:00Z","value":3.5}]`,
			wantBody: func(body string) error {
				return equal(body, `[{"datastream":"lel-1","time":"2024-05-01T08:00:00Z","value":3.5}]`)
			},
		},
		{
			name:    "bare number on datastream topic",
			topic:   DatastreamTopic("gas-7", "lel-1"),
			payload: "4.25",
			wantBody: func(body string) error {
				return checkStreamItem(body, "lel-1", 4.25, received)
			},
		},
		{
			name:    "item object on datastream topic",
			topic:   DatastreamTopic("gas-7", "kpa-2"),
			payload: `{"time":1714550400000,"value":101.3,"quality":1}`,
			wantBody: func(body string) error {
				return equal(body, `[{"datastream":"kpa-2","quality":1,"time":1714550400000,"value":101.3}]`)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ing := newFakeIngester()
			ing.entered, ing.release = make(chan struct{}, 1), make(chan struct{})
			b, _ := startBroker(t, BrokerConfig{}, ing)
			c := connectDevice(t, deviceOptions(b, "gas-7", "s3cret-7"))

			tok := c.Publish(tt.topic, 1, false, tt.payload)
			select {
			case <-ing.entered:
			case <-time.After(10 * time.Second):
				t.Fatal("Ingest was not called within 10s")
			}
			select {
			case <-tok.Done():
				t.Fatal("PUBACK arrived while Ingest was still running")
			case <-time.After(200 * time.Millisecond):
			}
			close(ing.release)
			waitToken(t, "publish", tok)

			calls := ing.recorded()
			if len(calls) != 1 {
				t.Fatalf("got %d ingest calls, want 1", len(calls))
			}
			want := ingest.Source{Transport: "mqtt", Device: "gas-7", Provision: true, Actor: "device:gas-7"}
			if calls[0].src != want {
				t.Errorf("source = %+v, want %+v", calls[0].src, want)
			}
			if err := tt.wantBody(calls[0].body); err != nil {
				t.Error(err)
			}
		})
	}
}

func equal(got, want string) error {
	if got != want {
		return fmt.Errorf("body = %s, want %s", got, want)
	}
	return nil
}

// checkStreamItem checks a one-item batch built from a bare number: key and
// value as sent, time the receipt time (within a minute of notBefore).
func checkStreamItem(body, key string, value float64, notBefore time.Time) error {
	var items []struct {
		Datastream string  `json:"datastream"`
		Time       int64   `json:"time"`
		Value      float64 `json:"value"`
	}
	if err := json.Unmarshal([]byte(body), &items); err != nil {
		return fmt.Errorf("body %s: %w", body, err)
	}
	if len(items) != 1 || items[0].Datastream != key || items[0].Value != value {
		return fmt.Errorf("body = %s, want one item of %q with value %v", body, key, value)
	}
	if ms := items[0].Time; ms < notBefore.UnixMilli() || ms > notBefore.Add(time.Minute).UnixMilli() {
		return fmt.Errorf("item time %d is not the receipt time (about %d)", ms, notBefore.UnixMilli())
	}
	return nil
}

func TestBrokerRefusesBadCredentials(t *testing.T) {
	b, reg := startBroker(t, BrokerConfig{}, newFakeIngester())
	tests := []struct {
		name   string
		device string
		secret string
		will   string
	}{
		{name: "wrong secret", device: "gas-7", secret: "guess"},
		{name: "unknown device", device: "gas-99", secret: "s3cret-7"},
		{name: "anonymous", device: "", secret: ""},
		{name: "other device's secret", device: "gas-7", secret: "s3cret-8"},
		{name: "will on another device's topic", device: "gas-7", secret: "s3cret-7", will: RejectionsTopic("gas-8")},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := deviceOptions(b, tt.device, tt.secret)
			if tt.will != "" {
				opts.SetWill(tt.will, `{"spoofed":true}`, 1, false)
			}
			c := paho.NewClient(opts)
			tok := c.Connect()
			if !tok.WaitTimeout(10 * time.Second) {
				t.Fatal("connect: no answer within 10s")
			}
			if tok.Error() == nil {
				c.Disconnect(0)
				t.Fatal("connect succeeded, want refused")
			}
			if got := metricSum(t, reg, "cityvitals_mqtt_auth_failures_total"); got != float64(i+1) {
				t.Errorf("auth failures = %v, want %d", got, i+1)
			}
		})
	}
}

func TestBrokerRefusesSessionOfAnotherDevice(t *testing.T) {
	b, _ := startBroker(t, BrokerConfig{}, newFakeIngester())
	first := deviceOptions(b, "gas-7", "s3cret-7").SetCleanSession(false)
	connectDevice(t, first)

	thief := deviceOptions(b, "gas-8", "s3cret-8").SetClientID(first.ClientID)
	c := paho.NewClient(thief)
	if tok := c.Connect(); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
		c.Disconnect(0)
		t.Fatal("gas-8 took over the session of gas-7")
	}
}

// metricSum is the sum over all series of the metric family name in reg.
func metricSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func TestBrokerConfinesDevicesToOwnTopics(t *testing.T) {
	ing := newFakeIngester()
	b, reg := startBroker(t, BrokerConfig{}, ing)

	t.Run("publish", func(t *testing.T) {
		tests := []struct {
			name  string
			topic string
			qos   byte
		}{
			{name: "other device qos 0", topic: ObservationsTopic("gas-8"), qos: 0},
			{name: "other device stream qos 1", topic: DatastreamTopic("gas-8", "lel-1"), qos: 1},
			{name: "own rejections topic", topic: RejectionsTopic("gas-7"), qos: 1},
			{name: "outside the device tree", topic: "city/alerts", qos: 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				lost := make(chan error, 1)
				opts := deviceOptions(b, "gas-7", "s3cret-7").SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err })
				c := connectDevice(t, opts)
				tok := c.Publish(tt.topic, tt.qos, false, "1")
				tok.WaitTimeout(time.Second)
				if tt.qos > 0 { // MQTT 3.1.1 has no negative PUBACK: the broker disconnects
					select {
					case <-lost:
					case <-time.After(10 * time.Second):
						t.Fatal("client still connected after a refused QoS 1 publish")
					}
				}
			})
		}
		// A publish of its own after the refused ones proves they were
		// processed (one connection's packets are handled in order) and
		// that none of them reached Ingest.
		c := connectDevice(t, deviceOptions(b, "gas-7", "s3cret-7"))
		waitToken(t, "own publish", c.Publish(ObservationsTopic("gas-7"), 1, false, `[]`))
		if calls := ing.recorded(); len(calls) != 1 || calls[0].body != `[]` {
			t.Fatalf("ingest calls = %+v, want only the device's own publish", calls)
		}
		if got := metricSum(t, reg, "cityvitals_mqtt_acl_denials_total"); got < float64(len(tests)) {
			t.Errorf("acl denials = %v, want at least %d", got, len(tests))
		}
	})

	t.Run("subscribe", func(t *testing.T) {
		c := connectDevice(t, deviceOptions(b, "gas-7", "s3cret-7"))
		tests := []struct {
			name    string
			filter  string
			granted bool
		}{
			{name: "own rejections", filter: RejectionsTopic("gas-7"), granted: true},
			{name: "other device's rejections", filter: RejectionsTopic("gas-8")},
			{name: "own observations", filter: ObservationsTopic("gas-7")},
			{name: "wildcard over own topics", filter: "cityvitals/v1/devices/gas-7/#"},
			{name: "everything", filter: "#"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tok := c.Subscribe(tt.filter, 1, func(paho.Client, paho.Message) {})
				waitToken(t, "subscribe", tok)
				qos := tok.(*paho.SubscribeToken).Result()[tt.filter]
				if granted := qos <= 2; granted != tt.granted {
					t.Errorf("subscribe %q: granted = %v (code %#x), want %v", tt.filter, granted, qos, tt.granted)
				}
			})
		}
	})
}

func TestBrokerReportsRejections(t *testing.T) {
	rejected := []ingest.Rejection{{Index: 1, Stream: "lel-1", Reason: "value is not a number"}}
	ing := newFakeIngester()
	ing.answer = func(_ int, body []byte) (ingest.Result, error) {
		if strings.Contains(string(body), "huge") {
			return ingest.Result{}, model.Errorf(model.ETOOLARGE, "batch of 2 items is over the limit of 1")
		}
		return ingest.Result{Accepted: 1, Rejected: rejected}, nil
	}
	b, _ := startBroker(t, BrokerConfig{}, ing)
	c := connectDevice(t, deviceOptions(b, "gas-7", "s3cret-7"))
	reports := make(chan RejectionReport, 4)
	waitToken(t, "subscribe", c.Subscribe(RejectionsTopic("gas-7"), 1, func(_ paho.Client, m paho.Message) {
		var r RejectionReport
		if err := json.Unmarshal(m.Payload(), &r); err != nil {
			t.Errorf("report %s: %v", m.Payload(), err)
		}
		reports <- r
	}))

	tests := []struct {
		name    string
		topic   string
		payload string
		want    RejectionReport
	}{
		{
			name:    "items rejected by ingest",
			topic:   ObservationsTopic("gas-7"),
			payload: `[{"datastream":"lel-1","value":1},{"datastream":"lel-1","value":"x"}]`,
			want:    RejectionReport{Topic: ObservationsTopic("gas-7"), Result: ingest.Result{Accepted: 1, Rejected: rejected}},
		},
		{
			name:    "whole message refused by ingest",
			topic:   ObservationsTopic("gas-7"),
			payload: `[{"huge":1},{"huge":2}]`,
			want: RejectionReport{Topic: ObservationsTopic("gas-7"), Result: ingest.Result{Rejected: []ingest.Rejection{}},
				Error: &ReportError{Code: model.ETOOLARGE, Message: "batch of 2 items is over the limit of 1"}},
		},
		{
			name:    "payload of datastream topic not a number",
			topic:   DatastreamTopic("gas-7", "lel-1"),
			payload: `high`,
			want: RejectionReport{Topic: DatastreamTopic("gas-7", "lel-1"), Result: ingest.Result{Rejected: []ingest.Rejection{}},
				Error: &ReportError{Code: model.EINVALID, Message: `payload of datastream "lel-1": want a bare number or a JSON object, got "high"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waitToken(t, "publish", c.Publish(tt.topic, 1, false, tt.payload))
			select {
			case got := <-reports:
				if !reportsEqual(got, tt.want) {
					t.Errorf("report = %+v, want %+v", got, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no rejection report within 10s")
			}
		})
	}
	if n := len(ing.recorded()); n != 2 {
		t.Errorf("ingest calls = %d, want 2 (the bad datastream payload never reaches Ingest)", n)
	}
}

func reportsEqual(a, b RejectionReport) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestBrokerClosesConnectionOnOversizePacket(t *testing.T) {
	ing := newFakeIngester()
	b, _ := startBroker(t, BrokerConfig{MaxPacketSize: 1024}, ing)
	lost := make(chan error, 1)
	c := connectDevice(t, deviceOptions(b, "gas-7", "s3cret-7").
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err }))

	big := `[{"datastream":"lel-1","value":1,"pad":"` + strings.Repeat("x", 2048) + `"}]`
	c.Publish(ObservationsTopic("gas-7"), 1, false, big)
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatal("connection still open after an oversize packet")
	}
	if calls := ing.recorded(); len(calls) != 0 {
		t.Fatalf("oversize packet was ingested: %d calls", len(calls))
	}
}

func TestBrokerWithholdsAckWhenIngestFails(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{name: "overloaded", err: model.Errorf(model.EOVERLOADED, "commit queue full")},
		{name: "store failure", err: errors.New("pebble: disk full")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ing := newFakeIngester()
			ing.answer = func(n int, _ []byte) (ingest.Result, error) {
				if n == 1 {
					return ingest.Result{}, tt.err
				}
				return ingest.Result{Accepted: 1}, nil
			}
			b, reg := startBroker(t, BrokerConfig{}, ing)
			var lost atomic.Int32
			// A persistent session and automatic reconnects are what a device
			// needs for the redelivery the broker relies on.
			opts := deviceOptions(b, "gas-7", "s3cret-7").
				SetCleanSession(false).
				SetAutoReconnect(true).
				SetMaxReconnectInterval(100 * time.Millisecond).
				SetConnectionLostHandler(func(paho.Client, error) { lost.Add(1) })
			c := connectDevice(t, opts)

			payload := `[{"datastream":"lel-1","value":7}]`
			c.Publish(ObservationsTopic("gas-7"), 1, false, payload)
			calls := ing.waitCalls(t, 2, 15*time.Second)
			if calls[0].body != payload || calls[1].body != payload {
				t.Errorf("bodies = %q, %q, want the same message twice", calls[0].body, calls[1].body)
			}
			// paho reports the lost connection on a goroutine of its own,
			// which may run after the reconnect has redelivered.
			for deadline := time.Now().Add(5 * time.Second); lost.Load() == 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if lost.Load() == 0 {
				t.Error("the client was not disconnected after the failed ingest")
			}
			// The redelivered message was acknowledged: the session carries on
			// and the next message goes through once.
			waitToken(t, "next publish", c.Publish(ObservationsTopic("gas-7"), 1, false, `[]`))
			if n := len(ing.waitCalls(t, 3, 5*time.Second)); n != 3 {
				t.Errorf("ingest calls = %d, want 3", n)
			}
			if got := metricSum(t, reg, "cityvitals_mqtt_messages_rejected_total"); got != 1 {
				t.Errorf("rejected messages = %v, want 1", got)
			}
		})
	}
}
