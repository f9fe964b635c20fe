package vitals_test

import (
	"context"
	"testing"
	"time"

	"cityvitals/model"
	pebblestore "cityvitals/store/pebble"
	"cityvitals/vitals"
)

func TestFeedStoresBroadcastsAndResumes(t *testing.T) {
	h, err := pebblestore.Open(t.TempDir(), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	feed := vitals.NewFeed(h, 16, nil)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()

	change := func(i int) model.LevelChange {
		return model.LevelChange{Time: int64(i), Unit: "310101", Indicator: "gas.leak", To: 2}
	}
	for i := 1; i <= 3; i++ {
		feed.Publish(ctx, change(i))
	}
	sub := waitSubscribe(t, feed, 0, 3)
	if len(sub.Backlog) != 3 || sub.Backlog[2].Seq != 3 {
		t.Fatalf("backlog = %+v, want seq 1..3", sub.Backlog)
	}
	for i := 4; i <= 6; i++ {
		feed.Publish(ctx, change(i))
	}
	for want := int64(4); want <= 6; want++ {
		select {
		case c := <-sub.C:
			if c.Seq != want || c.Time != want {
				t.Fatalf("live change = %+v, want seq %d", c, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no live change %d", want)
		}
	}
	sub.Close()
	// A subscriber that was away resumes from the last seq it saw.
	resumed, err := feed.Subscribe(ctx, 5, 100)
	if err != nil || len(resumed.Backlog) != 1 || resumed.Backlog[0].Seq != 6 {
		t.Fatalf("resume after 5: %+v, %v", resumed, err)
	}
	resumed.Close()
	// A subscriber from now on gets no stored change, only the next one.
	live, err := feed.SubscribeNow()
	if err != nil || len(live.Backlog) != 0 {
		t.Fatalf("subscribe now: %+v, %v", live, err)
	}
	feed.Publish(ctx, change(7))
	select {
	case c := <-live.C:
		if c.Seq != 7 {
			t.Fatalf("first change after subscribing now = %+v, want seq 7", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no change after subscribing now")
	}
	live.Close()
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitSubscribe subscribes once the first n changes are stored.
func waitSubscribe(t *testing.T, feed *vitals.Feed, after int64, n int) *vitals.Subscription {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		sub, err := feed.Subscribe(context.Background(), after, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(sub.Backlog) >= n || time.Now().After(deadline) {
			return sub
		}
		sub.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSlowSubscriberIsCutOffNotBlocking(t *testing.T) {
	h, err := pebblestore.Open(t.TempDir(), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	feed := vitals.NewFeed(h, 4096, nil)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go feed.Run(ctx)
	sub, err := feed.Subscribe(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for i := range 3000 { // more than the subscriber buffer; nobody reads
		feed.Publish(ctx, model.LevelChange{Time: int64(i), Unit: "u", Indicator: "x"})
	}
	waitSubscribe(t, feed, 2999, 1).Close() // all 3000 stored and broadcast
	deadline := time.After(10 * time.Second)
	for n := 0; ; n++ {
		select {
		case _, ok := <-sub.C:
			if !ok {
				if n >= 3000 {
					t.Fatalf("channel closed only after all %d changes", n)
				}
				return // cut off, as it should be
			}
		case <-deadline:
			t.Fatal("slow subscriber neither cut off nor served")
		}
	}
}
