package simulate

import (
	"context"
	"fmt"
	"net/url"

	paho "github.com/eclipse/paho.mqtt.golang"

	"cityvitals/model"
)

// MQTTSink publishes readings to a CityVitals broker as the demo gateway
// would: NDJSON batches on the device's observations topic at QoS 1. The
// broker acknowledges a batch only once it is durable, so Send returning
// nil means the same as an HTTP 200.
type MQTTSink struct {
	client paho.Client
	topic  string
}

// NewMQTTSink connects to broker (tcp://host:port) as device with its
// device token. EINVALID for a URL that is not tcp:// or an empty token.
func NewMQTTSink(ctx context.Context, broker, device, token string) (*MQTTSink, error) {
	u, err := url.Parse(broker)
	if err != nil || u.Scheme != "tcp" || u.Host == "" {
		return nil, model.Errorf(model.EINVALID, "broker URL %q must be tcp://host:port", clip(broker))
	}
	if token == "" {
		return nil, model.Errorf(model.EINVALID, "a device token is needed to publish observations")
	}
	opts := paho.NewClientOptions().AddBroker(broker).
		SetClientID("cityvitals-sim-" + device).SetUsername(device).SetPassword(token).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(false)
	client := paho.NewClient(opts)
	if err := wait(ctx, client.Connect()); err != nil {
		return nil, fmt.Errorf("connect to %s as %s: %w", broker, device, err)
	}
	return &MQTTSink{client: client, topic: "cityvitals/v1/devices/" + device + "/observations"}, nil
}

// Send publishes one batch and waits for the broker's acknowledgement.
func (m *MQTTSink) Send(ctx context.Context, rs []Reading) error {
	if err := wait(ctx, m.client.Publish(m.topic, 1, false, ndjson(rs))); err != nil {
		return fmt.Errorf("publish observations: %w", err)
	}
	return nil
}

// Close disconnects, giving in-flight publishes a moment to finish.
func (m *MQTTSink) Close() { m.client.Disconnect(250) }

// wait waits for a paho token until ctx ends.
func wait(ctx context.Context, t paho.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
