package outbox_test

import (
	"fmt"
	"testing"

	"cityvitals/notify/outbox"
	"cityvitals/notify/webhook"
)

// BenchmarkDispatch measures end-to-end delivery: head read from SQLite,
// signed POST to a local receiver, fsynced mark, one message at a time in
// order.
func BenchmarkDispatch(b *testing.B) {
	db, _ := openStore(b)
	o, err := outbox.New(db, outbox.Options{})
	must(b, err)
	msgs := make([]outbox.Message, b.N)
	for i := range msgs {
		k := fmt.Sprintf("bench-%d", i)
		msgs[i] = outbox.Message{Receiver: "ops", Key: k, Payload: []byte(`{"alert":"` + k + `"}`)}
	}
	for start := 0; start < len(msgs); start += 500 {
		must(b, o.SendBatch(b.Context(), msgs[start:min(start+500, len(msgs))]))
	}
	rcv := newCountingReceiver(b, "bench", b.N)
	hook, err := webhook.New(webhook.Receiver{Name: "ops", URL: rcv.URL, Secret: "bench"}, rcv.Client())
	must(b, err)
	d := o.Dispatcher("ops", hook, outbox.DispatcherConfig{})
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() { errc <- d.Run(b.Context()) }()
	<-rcv.done
	b.StopTimer()
	d.Stop()
	must(b, <-errc)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
