package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"cityvitals/ingest"
	"cityvitals/model"
)

// externalBrokerURL is the real broker the bridge tests run against.
func externalBrokerURL() string {
	if u := os.Getenv("CITYVITALS_TEST_MQTT_URL"); u != "" {
		return u
	}
	return "tcp://127.0.0.1:1883"
}

// uniqueName is name plus a random suffix, so that parallel runs against
// one broker never share topics or sessions.
func uniqueName(t *testing.T, name string) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random suffix: %v", err)
	}
	return name + "-" + hex.EncodeToString(b)
}

// externalClient connects a plain client to the external broker; the test
// fails, not skips, when there is none: CI provides one.
func externalClient(t *testing.T, clientID string, clean bool) paho.Client {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker(externalBrokerURL()).SetClientID(clientID).
		SetCleanSession(clean).SetProtocolVersion(4).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("no MQTT broker reachable at %s (set CITYVITALS_TEST_MQTT_URL to point the bridge tests at one): %v",
			externalBrokerURL(), tok.Error())
	}
	return c
}

// bridgeRun is a running Bridge that can be stopped and started again.
type bridgeRun struct {
	cancel context.CancelFunc
	done   chan error
}

func startBridge(t *testing.T, b *Bridge) *bridgeRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &bridgeRun{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- b.Run(ctx) }()
	deadline := time.Now().Add(15 * time.Second)
	for value(t, b.metrics.connected) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("bridge not connected to %s within 15s", externalBrokerURL())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

func (r *bridgeRun) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Errorf("bridge Run: %v", err)
	}
}

// value reads the current value of a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatalf("read metric: %v", err)
	}
	return out.GetCounter().GetValue() + out.GetGauge().GetValue()
}

// newTestBridge builds a bridge on unique topics and a unique persistent
// session, which it removes from the broker when the test ends.
func newTestBridge(t *testing.T, ing Ingester) (*Bridge, string) {
	t.Helper()
	prefix := uniqueName(t, "cvtest")
	clientID := uniqueName(t, "cv-bridge")
	externalClient(t, clientID+"-probe", true).Disconnect(0)
	b, err := NewBridge(BridgeConfig{
		BrokerURL: externalBrokerURL(),
		ClientID:  clientID,
		Subscriptions: []BridgeSubscription{
			{Filter: prefix + "/batch", Device: "gw-1", Format: FormatBatch},
			{Filter: prefix + "/sensors/+/pm25", Device: "gw-2", Provision: true, Format: FormatStream, KeyTemplate: "{2}/pm25"},
		},
		MinBackoff: 50 * time.Millisecond,
		MaxBackoff: time.Second,
	}, ing, nil, nil)
	if err != nil {
		t.Fatalf("NewBridge: %v", err)
	}
	t.Cleanup(func() { // a clean-session connect ends the persistent session
		externalClient(t, clientID, true).Disconnect(0)
	})
	return b, prefix
}

func publishExternal(t *testing.T, c paho.Client, topic, payload string) {
	t.Helper()
	waitToken(t, "publish "+topic, c.Publish(topic, 1, false, payload))
}

func TestBridgeIngestsAndKeepsSessionWhileStopped(t *testing.T) {
	ing := newFakeIngester()
	b, prefix := newTestBridge(t, ing)
	pub := externalClient(t, uniqueName(t, "cv-pub"), true)
	defer pub.Disconnect(100)

	run := startBridge(t, b)
	publishExternal(t, pub, prefix+"/batch", `[{"datastream":"pm25-a","time":1714550400000,"value":35}]`)
	publishExternal(t, pub, prefix+"/sensors/dev7/pm25", `{"time":1714550400000,"value":41}`)
	ing.waitCalls(t, 2, 10*time.Second)
	run.stop(t)

	// While the bridge is away the broker queues for its session.
	queued := []string{`[{"datastream":"pm25-a","value":1}]`, `[{"datastream":"pm25-a","value":2}]`, `[{"datastream":"pm25-a","value":3}]`}
	for _, p := range queued {
		publishExternal(t, pub, prefix+"/batch", p)
	}
	run = startBridge(t, b)
	defer run.stop(t)
	calls := ing.waitCalls(t, 5, 10*time.Second)

	want := []ingestCall{
		{src: ingest.Source{Transport: "bridge", Device: "gw-1", Actor: "device:gw-1"}, body: `[{"datastream":"pm25-a","time":1714550400000,"value":35}]`},
		{src: ingest.Source{Transport: "bridge", Device: "gw-2", Provision: true, Actor: "device:gw-2"}, body: `[{"datastream":"dev7/pm25","time":1714550400000,"value":41}]`},
	}
	for _, p := range queued {
		want = append(want, ingestCall{src: want[0].src, body: p})
	}
	if len(calls) != len(want) {
		t.Fatalf("got %d calls, want %d: %+v", len(calls), len(want), calls)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, calls[i], want[i])
		}
	}
}

func TestBridgeRedeliversAfterFailedIngest(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{name: "overloaded", err: model.Errorf(model.EOVERLOADED, "commit queue full")},
		{name: "internal", err: context.DeadlineExceeded},
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
			b, prefix := newTestBridge(t, ing)
			pub := externalClient(t, uniqueName(t, "cv-pub"), true)
			defer pub.Disconnect(100)
			run := startBridge(t, b)
			defer run.stop(t)

			payload := `[{"datastream":"pm25-a","value":9}]`
			publishExternal(t, pub, prefix+"/batch", payload)
			calls := ing.waitCalls(t, 2, 10*time.Second)
			if calls[0].body != payload || calls[1].body != payload {
				t.Fatalf("bodies = %q, %q; want the failed message redelivered", calls[0].body, calls[1].body)
			}
			deadline := time.Now().Add(5 * time.Second)
			for value(t, b.metrics.connects) < 2 { // counted just after CONNACK, maybe after the redelivery
				if time.Now().After(deadline) {
					t.Fatal("no reconnect after the failed ingest")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if n := value(t, b.metrics.messages.WithLabelValues(outcomeFailed)); n != 1 {
				t.Errorf("failed messages = %v, want 1", n)
			}
			// The redelivered message was acknowledged: a later message is
			// the only thing that arrives next.
			publishExternal(t, pub, prefix+"/batch", `[]`)
			if calls := ing.waitCalls(t, 3, 10*time.Second); len(calls) != 3 || calls[2].body != `[]` {
				t.Fatalf("calls after the redelivery = %+v, want just the new message", calls[2:])
			}
		})
	}
}
