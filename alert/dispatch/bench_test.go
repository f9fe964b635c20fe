package dispatch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/dispatch"
)

// BenchmarkObserve measures taking in firing events spread over 1000
// groups, from parallel goroutines.
func BenchmarkObserve(b *testing.B) {
	d, err := dispatch.New(dispatch.Config{Receivers: []string{"ops"}}, func(context.Context, string, string, []byte) error { return nil }, nil)
	if err != nil {
		b.Fatal(err)
	}
	events := make([]alert.Event, 10000)
	for i := range events {
		events[i] = fire(newAlert(fmt.Sprintf("grid-%03d", i%1000), "gas", fmt.Sprintf("s%d", i), 4, 0))
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d.Observe(events[i%len(events)])
			i++
		}
	})
}

// BenchmarkTick measures one Tick over 1000 groups of 10 firing alerts
// each, all due: what a city-wide storm costs once.
func BenchmarkTick(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		d, err := dispatch.New(dispatch.Config{Receivers: []string{"ops"}}, func(context.Context, string, string, []byte) error { return nil }, nil)
		if err != nil {
			b.Fatal(err)
		}
		for i := range 10000 {
			d.Observe(fire(newAlert(fmt.Sprintf("grid-%03d", i%1000), "gas", fmt.Sprintf("s%d", i), 4, 0)))
		}
		b.StartTimer()
		if err := d.Tick(ctx, time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
}
