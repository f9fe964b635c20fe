package app_test

import (
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"cityvitals/model"
	"cityvitals/mqtt"
)

// TestMQTTDeviceToHistory publishes from a real MQTT client to the
// embedded broker with a device token and reads the values back over HTTP:
// the whole path from broker through ingest into the history store.
func TestMQTTDeviceToHistory(t *testing.T) {
	h := startApp(t)
	admin := h.tokens[model.RoleAdmin]
	var ds struct{ ID int64 }
	h.do(admin, "POST", "/api/v1/datastreams", `{"key":"gw-1/level","property":"water_level","interval":"1m"}`, 201, &ds)

	opts := paho.NewClientOptions().AddBroker("tcp://" + h.app.MQTTAddr()).
		SetClientID("gw-1").SetUsername("gw-1").SetPassword(h.device).SetCleanSession(true)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(100)

	now := time.Now().UTC().Truncate(time.Second)
	batch := fmt.Sprintf(`[{"datastream":%d,"time":%d,"value":1.25},{"datastream":%d,"time":%d,"value":1.5}]`,
		ds.ID, now.Add(-2*time.Minute).UnixMilli(), ds.ID, now.Add(-time.Minute).UnixMilli())
	if tok := c.Publish(mqtt.ObservationsTopic("gw-1"), 1, false, batch); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish batch: %v", tok.Error())
	}
	// A bare number on the per-stream topic takes the receipt time.
	if tok := c.Publish(mqtt.DatastreamTopic("gw-1", "gw-1/level"), 1, false, "1.75"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish value: %v", tok.Error())
	}
	// The PUBACKs above came after the data was durable, so it is readable now.
	var rng struct{ Items []struct{ Value float64 } }
	h.do(h.tokens[model.RoleViewer], "GET", fmt.Sprintf("/api/v1/datastreams/%d/observations?from=%d", ds.ID, now.Add(-time.Hour).UnixMilli()), "", 200, &rng)
	if len(rng.Items) != 3 || rng.Items[0].Value != 1.25 || rng.Items[2].Value != 1.75 {
		t.Fatalf("stored %+v, want 1.25, 1.5, 1.75", rng.Items)
	}

	wrong := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + h.app.MQTTAddr()).
		SetClientID("gw-2").SetUsername("gw-2").SetPassword(h.device))
	if tok := wrong.Connect(); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
		wrong.Disconnect(0)
		t.Fatal("gw-1's token let a client in as gw-2")
	}
}
