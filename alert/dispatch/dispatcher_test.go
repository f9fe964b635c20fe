package dispatch_test

import (
	"slices"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/dispatch"
)

func TestGrouping(t *testing.T) {
	t.Parallel()
	a := newAlert("310101", "gas", "manhole-1", 2, 0)
	b := newAlert("310101", "gas", "manhole-2", 2, 0)
	red := newAlert("310101", "gas", "pipe-7", 4, 0)
	tests := []struct {
		name  string
		steps []step
		end   time.Duration
		want  []got
	}{
		{
			name:  "a burst of 100 within group wait is one notification",
			steps: burst("310101", "gas", 2, 100, 0, 200*time.Millisecond),
			end:   10 * time.Minute,
			want:  []got{{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 100}},
		},
		{
			name: "a second burst after the group interval is one more",
			steps: concat(burst("310101", "gas", 2, 50, 0, 100*time.Millisecond),
				burst("310101", "gas", 3, 50, 6*time.Minute, 100*time.Millisecond)),
			end: 12 * time.Minute,
			want: []got{
				{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 50},
				{At: 6*time.Minute + 30*time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 3, Firing: 100},
			},
		},
		{
			name: "changes within the group interval wait for its end",
			steps: concat(burst("310101", "gas", 2, 5, 0, time.Second),
				burst("310101", "gas", 2, 5, time.Minute, time.Second)),
			end: 12 * time.Minute,
			want: []got{
				{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 5},
				{At: 5*time.Minute + 30*time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 10},
			},
		},
		{
			name: "different units and domains are notified separately",
			steps: concat(burst("310101", "gas", 2, 3, 0, time.Second),
				burst("310104", "gas", 2, 4, 0, time.Second),
				burst("310101", "water", 2, 2, 0, time.Second)),
			end: 10 * time.Minute,
			want: []got{
				{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 3},
				{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/water", Level: 2, Firing: 2},
				{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310104/gas", Level: 2, Firing: 4},
			},
		},
		{
			name: "a resolved alert is reported once",
			steps: []step{
				{at: 0, events: []alert.Event{fire(a), fire(b)}},
				{at: 2 * time.Minute, events: []alert.Event{resolve(a, 2*time.Minute)}},
			},
			end: 20 * time.Minute,
			want: []got{
				{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 2},
				{At: 5*time.Minute + 30*time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 1, Resolved: 1},
			},
		},
		{
			name: "an alert resolved before its group was notified is never sent",
			steps: []step{
				{at: 0, events: []alert.Event{fire(a)}},
				{at: 10 * time.Second, events: []alert.Event{resolve(a, 10*time.Second)}},
			},
			end: 10 * time.Minute,
		},
		{
			name: "muted events are never sent",
			steps: []step{
				{at: 0, events: []alert.Event{muted(fire(a)), fire(b)}},
				{at: 3 * time.Minute, events: []alert.Event{muted(resolve(a, 3*time.Minute))}},
			},
			end:  20 * time.Minute,
			want: []got{{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 1}},
		},
		{
			name: "a muted update withdraws a red alert from its repeats",
			steps: []step{
				{at: 0, events: []alert.Event{fire(red)}},
				{at: time.Minute, events: []alert.Event{muted(relevel(red, 4, time.Minute))}},
				{at: 20 * time.Minute, events: []alert.Event{muted(resolve(red, 20*time.Minute))}},
			},
			end:  40 * time.Minute,
			want: []got{{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 4, Firing: 1}},
		},
		{
			name: "a level change is notified",
			steps: []step{
				{at: 0, events: []alert.Event{fire(a)}},
				{at: 2 * time.Minute, events: []alert.Event{relevel(a, 3, 2*time.Minute)}},
			},
			end: 10 * time.Minute,
			want: []got{
				{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 1},
				{At: 5*time.Minute + 30*time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 3, Firing: 1},
			},
		},
		{
			name: "a level change undone within the interval is not notified",
			steps: []step{
				{at: 0, events: []alert.Event{fire(a)}},
				{at: time.Minute, events: []alert.Event{relevel(a, 3, time.Minute)}},
				{at: 2 * time.Minute, events: []alert.Event{relevel(a, 2, 2*time.Minute)}},
			},
			end:  10 * time.Minute,
			want: []got{{At: 30 * time.Second, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: 2, Firing: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dispatch.Config{Receivers: []string{"ops"}})
			h.runUntil(tt.end, tt.steps)
			if got := summarise(h.rec.Sent()); !slices.Equal(got, tt.want) {
				t.Errorf("sent\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
