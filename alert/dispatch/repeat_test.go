package dispatch_test

import (
	"slices"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/dispatch"
)

func TestRepeatAndEscalation(t *testing.T) {
	t.Parallel()
	red := newAlert("310101", "gas", "pipe-7", 4, 0)
	orange := newAlert("310101", "gas", "valve-2", 3, 0)
	blue := newAlert("310101", "gas", "manhole-9", 1, 0)
	yellow := newAlert("310101", "gas", "manhole-3", 2, 0)
	group := func(at time.Duration, level int8, firing, resolved int) got {
		return got{At: at, Receiver: "ops", Kind: "group", Group: "310101/gas", Level: level, Firing: firing, Resolved: resolved}
	}
	repeat := func(at time.Duration, receiver, kind string, level int8) got {
		return got{At: at, Receiver: receiver, Kind: kind, Group: "310101/gas", Level: level, Firing: 1}
	}
	tests := []struct {
		name  string
		steps []step
		end   time.Duration
		want  []got
	}{
		{
			name:  "an unacknowledged red repeats every 15 min and escalates",
			steps: []step{{at: 0, events: []alert.Event{fire(red)}}},
			end:   31 * time.Minute,
			want: []got{
				group(30*time.Second, 4, 1, 0),
				repeat(15*time.Minute+30*time.Second, "ops", "repeat", 4),
				repeat(15*time.Minute+30*time.Second, "duban", "escalation", 4),
				repeat(30*time.Minute+30*time.Second, "ops", "repeat", 4),
				repeat(30*time.Minute+30*time.Second, "duban", "escalation", 4),
			},
		},
		{
			name:  "an acknowledged red does not repeat",
			steps: []step{{at: 0, events: []alert.Event{fire(red)}}, {at: 5 * time.Minute, events: []alert.Event{ack(red, 5*time.Minute)}}},
			end:   time.Hour,
			want:  []got{group(30*time.Second, 4, 1, 0)},
		},
		{
			name:  "acknowledging stops the repeats",
			steps: []step{{at: 0, events: []alert.Event{fire(red)}}, {at: 20 * time.Minute, events: []alert.Event{ack(red, 20*time.Minute)}}},
			end:   time.Hour,
			want: []got{
				group(30*time.Second, 4, 1, 0),
				repeat(15*time.Minute+30*time.Second, "ops", "repeat", 4),
				repeat(15*time.Minute+30*time.Second, "duban", "escalation", 4),
			},
		},
		{
			name:  "resolving stops the repeats",
			steps: []step{{at: 0, events: []alert.Event{fire(red)}}, {at: 20 * time.Minute, events: []alert.Event{resolve(red, 20*time.Minute)}}},
			end:   time.Hour,
			want: []got{
				group(30*time.Second, 4, 1, 0),
				repeat(15*time.Minute+30*time.Second, "ops", "repeat", 4),
				repeat(15*time.Minute+30*time.Second, "duban", "escalation", 4),
				group(20*time.Minute+30*time.Second, 0, 0, 1),
			},
		},
		{
			name:  "an orange repeats after 30 min without escalation",
			steps: []step{{at: 0, events: []alert.Event{fire(orange)}}},
			end:   time.Hour,
			want: []got{
				group(30*time.Second, 3, 1, 0),
				repeat(30*time.Minute+30*time.Second, "ops", "repeat", 3),
			},
		},
		{
			name:  "a blue never repeats",
			steps: []step{{at: 0, events: []alert.Event{fire(blue)}}},
			end:   3 * time.Hour,
			want:  []got{group(30*time.Second, 1, 1, 0)},
		},
		{
			name:  "a new level restarts the wait once announced",
			steps: []step{{at: 0, events: []alert.Event{fire(yellow)}}, {at: 10 * time.Minute, events: []alert.Event{relevel(yellow, 4, 10*time.Minute)}}},
			end:   26 * time.Minute,
			want: []got{
				group(30*time.Second, 2, 1, 0),
				group(10*time.Minute+30*time.Second, 4, 1, 0),
				repeat(25*time.Minute+30*time.Second, "ops", "repeat", 4),
				repeat(25*time.Minute+30*time.Second, "duban", "escalation", 4),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dispatch.Config{Receivers: []string{"ops"}, Escalation: map[int8]string{dispatch.LevelRed: "duban"}})
			h.runUntil(tt.end, tt.steps)
			if got := summarise(h.rec.Sent()); !slices.Equal(got, tt.want) {
				t.Errorf("sent\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestRepeatListsOnlyDueAlerts: of a group of a red and an acknowledged
// red, only the unacknowledged one is sent again.
func TestRepeatListsOnlyDueAlerts(t *testing.T) {
	t.Parallel()
	loud := newAlert("310101", "gas", "pipe-7", 4, 0)
	seen := newAlert("310101", "gas", "pipe-8", 4, 0)
	h := newHarness(t, dispatch.Config{Receivers: []string{"ops"}, Escalation: map[int8]string{dispatch.LevelRed: "duban"}})
	h.runUntil(16*time.Minute, []step{
		{at: 0, events: []alert.Event{fire(loud), fire(seen)}},
		{at: time.Minute, events: []alert.Event{ack(seen, time.Minute)}},
	})
	msgs := h.rec.Sent()
	if len(msgs) != 3 {
		t.Fatalf("sent %+v, want a group notification, a repeat and an escalation", summarise(msgs))
	}
	for _, m := range msgs[1:] {
		if len(m.N.Firing) != 1 || m.N.Firing[0].Fingerprint != loud.Fingerprint {
			t.Errorf("%s to %s lists %+v, want only %s", m.N.Kind, m.Receiver, m.N.Firing, loud.Fingerprint)
		}
	}
}
