package dispatch_test

import (
	"encoding/json"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/dispatch"
	"cityvitals/model"
)

// TestPayload checks the wire form of a group notification that reports
// a firing and a resolved alert.
func TestPayload(t *testing.T) {
	t.Parallel()
	red := newAlert("310101", "gas", "pipe-7", 4, 0)
	yellow := newAlert("310101", "gas", "manhole-3", 2, 10*time.Second)
	h := newHarness(t, dispatch.Config{Receivers: []string{"ops"}})
	h.runUntil(6*time.Minute, []step{
		{at: 0, events: []alert.Event{fire(red)}},
		{at: 10 * time.Second, events: []alert.Event{fire(yellow)}},
		{at: 2 * time.Minute, events: []alert.Event{resolve(yellow, 2*time.Minute)}},
	})
	msgs := h.rec.Sent()
	if len(msgs) != 2 {
		t.Fatalf("sent %+v, want 2 group notifications", summarise(msgs))
	}
	var wire map[string]any
	if err := json.Unmarshal(msgs[1].Payload, &wire); err != nil {
		t.Fatal(err)
	}
	firing := wire["firing"].([]any)[0].(map[string]any)
	resolved := wire["resolved"].([]any)[0].(map[string]any)
	counts := wire["counts"].(map[string]any)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"kind", wire["kind"], "group"},
		{"group_key", wire["group_key"], `{unit="310101",domain="gas"}`},
		{"group unit", wire["group"].(map[string]any)["unit"], "310101"},
		{"highest level", wire["level"], 4.0},
		{"firing fingerprint", firing["fingerprint"], red.Fingerprint},
		{"firing starts_at", firing["starts_at"], t0.Format(time.RFC3339)},
		{"firing summary", firing["summary_zh"], "pipe-7 超限"},
		{"resolved fingerprint", resolved["fingerprint"], yellow.Fingerprint},
		{"resolved ends_at", resolved["ends_at"], t0.Add(2 * time.Minute).Format(time.RFC3339)},
		{"firing count", counts["firing"], 1.0},
		{"resolved count", counts["resolved"], 1.0},
		{"firing red count", counts["firing_by_level"].(map[string]any)["4"], 1.0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestRestoreTakesFiringAlertsOnly(t *testing.T) {
	t.Parallel()
	firing := newAlert("310101", "gas", "pipe-7", 4, 0)
	pending := newAlert("310101", "gas", "pipe-8", 4, 0)
	pending.State = model.AlertPending
	resolved := newAlert("310101", "gas", "pipe-9", 4, 0)
	resolved.State, resolved.EndsAt = model.AlertResolved, t0.Add(time.Minute).UnixMilli()
	h := newHarness(t, dispatch.Config{Receivers: []string{"ops"}})
	h.d.Restore([]model.Alert{firing, pending, resolved})
	h.runUntil(time.Minute, nil)
	msgs := h.rec.Sent()
	if len(msgs) != 1 || len(msgs[0].N.Firing) != 1 || msgs[0].N.Firing[0].Fingerprint != firing.Fingerprint || len(msgs[0].N.Resolved) != 0 {
		t.Fatalf("sent %+v, want one notification listing only the firing alert", summarise(msgs))
	}
}
