package mqtt

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/sync/errgroup"

	"cityvitals/ingest"
)

// countingIngester is as fast as an ingester can be: it counts.
type countingIngester struct{ n atomic.Int64 }

func (c *countingIngester) Ingest(context.Context, ingest.Source, []byte) (ingest.Result, error) {
	c.n.Add(1)
	return ingest.Result{Accepted: 1}, nil
}

// BenchmarkBrokerPublishQoS1 measures acknowledged QoS 1 messages per
// second through the embedded broker, with several devices publishing at
// once, each keeping up to a window of messages in flight.
func BenchmarkBrokerPublishQoS1(b *testing.B) {
	for _, clients := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			ing := &countingIngester{}
			auth := make(fakeAuth)
			for i := range clients {
				auth[fmt.Sprintf("bench-%d", i)] = "secret"
			}
			broker, _ := startBrokerWith(b, BrokerConfig{MaxClients: 1000}, ing, auth)
			devices := make([]paho.Client, clients)
			for i := range devices {
				devices[i] = connectDevice(b, deviceOptions(broker, fmt.Sprintf("bench-%d", i), "secret"))
			}
			payload := []byte(`[{"datastream":"lel-1","time":1714550400000,"value":3.5}]`)
			b.SetBytes(int64(len(payload)))
			b.ResetTimer()
			start := time.Now()
			var g errgroup.Group
			for i, c := range devices {
				g.Go(func() error {
					return publishWindowed(c, ObservationsTopic(fmt.Sprintf("bench-%d", i)), payload, share(b.N, clients, i))
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			if got := ing.n.Load(); got != int64(b.N) {
				b.Fatalf("ingested %d messages, want %d", got, b.N)
			}
		})
	}
}

// share is client i's part of n messages spread over clients.
func share(n, clients, i int) int {
	s := n / clients
	if i < n%clients {
		s++
	}
	return s
}

// publishWindowed publishes n messages at QoS 1 keeping at most 32 unacked.
func publishWindowed(c paho.Client, topic string, payload []byte, n int) error {
	const window = 32
	pending := make([]paho.Token, 0, window)
	wait := func(tok paho.Token) error {
		if !tok.WaitTimeout(10 * time.Second) {
			return fmt.Errorf("publish to %s: no PUBACK within 10s", topic)
		}
		return tok.Error()
	}
	for range n {
		if len(pending) == window {
			if err := wait(pending[0]); err != nil {
				return err
			}
			pending = pending[1:]
		}
		pending = append(pending, c.Publish(topic, 1, false, payload))
	}
	for _, tok := range pending {
		if err := wait(tok); err != nil {
			return err
		}
	}
	return nil
}
