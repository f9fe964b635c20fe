package simulate_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"cityvitals/app"
	"cityvitals/simulate"
)

// TestSinksDeliverToThePlatform sends one batch over HTTP and one over
// MQTT (the platform's embedded broker, with the gateway's device token)
// and reads both back from the history store: a nil Send means stored.
func TestSinksDeliverToThePlatform(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	city, err := simulate.GenerateCity(3, simulate.ScaleSmall)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTAddr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
		a.Close()
	})
	installed, err := simulate.Install(ctx, simulate.Platform{Inventory: a.Inventory, Teams: a.DB, Accounts: a.Accounts}, city)
	if err != nil {
		t.Fatal(err)
	}
	httpSink, err := simulate.NewHTTPSink("http://"+a.HTTPAddr(), installed.DeviceToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	mqttSink, err := simulate.NewMQTTSink(ctx, "tcp://"+a.MQTTAddr(), simulate.GatewayDevice, installed.DeviceToken)
	if err != nil {
		t.Fatal(err)
	}
	defer mqttSink.Close()
	if _, err := simulate.NewMQTTSink(ctx, "tcp://"+a.MQTTAddr(), simulate.GatewayDevice, "cvd_wrong"); err == nil {
		t.Fatal("a wrong device token connected to the broker")
	}

	// Gas detectors, whose %LEL any value below 100 is valid for.
	var detectors []int
	for i, s := range city.Streams {
		if s.Property == "gas_lel" && len(detectors) < 10 {
			detectors = append(detectors, i)
		}
	}
	at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	sent := map[string]float64{}
	batch := func(streams []int, sink simulate.Sink) {
		var rs []simulate.Reading
		for _, i := range streams {
			key := city.Streams[i].Key
			sent[key] = float64(len(sent)) + 0.5
			rs = append(rs, simulate.Reading{Stream: i, Key: key, Time: at, Value: sent[key]})
		}
		if err := sink.Send(ctx, rs); err != nil {
			t.Fatalf("%T: %v", sink, err)
		}
	}
	batch(detectors[:5], httpSink)
	batch(detectors[5:], mqttSink)

	ids := map[int64]string{}
	var list []int64
	for key := range sent {
		ds, ok := a.Registry.ByKey(key)
		if !ok {
			t.Fatalf("stream %s is not registered", key)
		}
		ids[ds.ID] = key
		list = append(list, ds.ID)
	}
	latest, err := a.History.Latest(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	for id, key := range ids {
		o, ok := latest[id]
		if !ok || o.Value != sent[key] || o.Time != at.UnixMilli() {
			t.Errorf("%s: stored %+v (found %v), want %g at %d", key, o, ok, sent[key], at.UnixMilli())
		}
	}
}
