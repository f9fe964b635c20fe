package dispatch_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/dispatch"
	"cityvitals/model"
	"cityvitals/notify/outbox"
	sqlitestore "cityvitals/store/sqlite"
)

// keyScript exercises every kind of message: a burst, a level change and
// its undoing, a resolution, repeats and escalations.
func keyScript() []step {
	red := newAlert("310101", "gas", "pipe-7", 4, 0)
	yellow := newAlert("310101", "gas", "manhole-3", 2, 0)
	return concat(burst("310104", "water", 2, 20, 0, time.Second), []step{
		{at: 0, events: []alert.Event{fire(red), fire(yellow)}},
		{at: 6 * time.Minute, events: []alert.Event{relevel(yellow, 3, 6*time.Minute)}},
		{at: 12 * time.Minute, events: []alert.Event{relevel(yellow, 2, 12*time.Minute)}},
		{at: 40 * time.Minute, events: []alert.Event{resolve(yellow, 40*time.Minute)}},
	})
}

func runKeyScript(t *testing.T) []sent {
	h := newHarness(t, dispatch.Config{Receivers: []string{"ops", "sms"}, Escalation: map[int8]string{dispatch.LevelRed: "duban"}})
	h.runUntil(time.Hour, keyScript())
	return h.rec.Sent()
}

func TestKeysAreStableAndDistinct(t *testing.T) {
	t.Parallel()
	first, second := runKeyScript(t), runKeyScript(t)
	if len(first) == 0 || !slices.EqualFunc(first, second, func(x, y sent) bool {
		return x.Receiver == y.Receiver && x.Key == y.Key && string(x.Payload) == string(y.Payload)
	}) {
		t.Fatalf("two runs of one script differ:\n%+v\n%+v", summarise(first), summarise(second))
	}
	seen := map[string]bool{}
	for _, m := range first {
		id := m.Receiver + " " + m.Key
		if seen[id] {
			t.Errorf("key %s sent to %s twice", m.Key, m.Receiver)
		}
		seen[id] = true
	}
	// Both receivers get every group notification and repeat under one key.
	for _, m := range first {
		if m.Receiver == "ops" && !seen["sms "+m.Key] {
			t.Errorf("%s %s sent to ops but not to sms", m.N.Kind, m.Key)
		}
	}
}

// TestRestartResendsOnlyNews runs a Dispatcher into a real outbox, starts a
// second one from the open alerts, and checks what reaches the outbox.
func TestRestartResendsOnlyNews(t *testing.T) {
	t.Parallel()
	first := newAlert("310101", "gas", "pipe-7", 3, 0)
	late := newAlert("310101", "gas", "pipe-8", 3, 2*time.Minute)
	tests := []struct {
		name      string
		open      []model.Alert // the open alerts the restart finds
		wantAfter int           // messages in the outbox after the restart's notification
	}{
		{name: "unchanged alerts are not sent again", open: []model.Alert{first}, wantAfter: 1},
		{name: "an alert fired after the last notification is sent", open: []model.Alert{first, late}, wantAfter: 2},
		{name: "an acknowledged alert is not sent again", open: []model.Alert{acked(first)}, wantAfter: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, box := openOutbox(t)
			before := &clock{now: t0}
			d, err := dispatch.New(dispatch.Config{Receivers: []string{"ops"}}, box.Send, before.Now)
			if err != nil {
				t.Fatal(err)
			}
			d.Observe(fire(first))
			if err := d.Tick(ctx, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			assertPending(t, db, 1)

			after := &clock{now: t0.Add(3 * time.Minute)}
			restarted, err := dispatch.New(dispatch.Config{Receivers: []string{"ops"}}, box.Send, after.Now)
			if err != nil {
				t.Fatal(err)
			}
			restarted.Restore(tt.open)
			if err := restarted.Tick(ctx, after.Now().Add(dispatch.DefaultGroupWait)); err != nil {
				t.Fatal(err)
			}
			assertPending(t, db, tt.wantAfter)
		})
	}
}

func acked(a model.Alert) model.Alert {
	a.AckedBy, a.AckedAt = "duty-officer", t0.Add(time.Minute)
	return a
}

func assertPending(t *testing.T, db *sqlitestore.DB, want int) {
	t.Helper()
	n, err := db.Pending(context.Background(), "ops")
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("outbox holds %d messages for ops, want %d", n, want)
	}
}

// TestRestartTellsWaitingResolutions stops a Dispatcher while a
// resolution waits in its group, restarts from what the outbox holds and
// the alerts' stored states, and checks that the resolution, and nothing
// already said, is sent.
func TestRestartTellsWaitingResolutions(t *testing.T) {
	t.Parallel()
	a := newAlert("310101", "gas", "pipe-7", 3, 0)
	b := newAlert("310101", "gas", "pipe-8", 3, 0)
	quiet := newAlert("310101", "gas", "pipe-9", 2, 2*time.Minute) // fires and resolves between two notifications
	resolvedB, resolvedQuiet := resolve(b, 3*time.Minute), resolve(quiet, 3*time.Minute)
	tests := []struct {
		name         string
		toldB        bool // the resolution of b was sent before the stop
		wantMessages int  // in the outbox after the restart's notification
		wantResolved []string
	}{
		{name: "a resolution waiting at the stop is told", wantMessages: 2, wantResolved: []string{b.Fingerprint}},
		{name: "a resolution already told is not told again", toldB: true, wantMessages: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, box := openOutbox(t)
			cfg := dispatch.Config{Receivers: []string{"ops"}}
			d, err := dispatch.New(cfg, box.Send, (&clock{now: t0}).Now)
			if err != nil {
				t.Fatal(err)
			}
			d.Observe(fire(a))
			d.Observe(fire(b))
			mustTick(t, d, t0.Add(time.Minute)) // {a, b} firing
			d.Observe(fire(quiet))
			d.Observe(resolvedB)
			d.Observe(resolvedQuiet)
			if tt.toldB {
				mustTick(t, d, t0.Add(10*time.Minute)) // {a} firing, b resolved
			}
			// The process stops here; the alerts' stored states are these.
			stored := map[string]model.Alert{a.Fingerprint: a, b.Fingerprint: resolvedB.Alert, quiet.Fingerprint: resolvedQuiet.Alert}

			after := t0.Add(20 * time.Minute)
			restarted, err := dispatch.New(cfg, box.Send, (&clock{now: after}).Now)
			if err != nil {
				t.Fatal(err)
			}
			restarted.Restore([]model.Alert{a})
			var payloads [][]byte // newest first, as RestoreSent reads them
			for _, m := range newest(t, box, 100) {
				payloads = append(payloads, m.Payload)
			}
			err = restarted.RestoreSent(slices.Values(payloads), func(fp string) (model.Alert, bool, error) {
				al, ok := stored[fp]
				return al, ok, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			mustTick(t, restarted, after.Add(dispatch.DefaultGroupWait))

			all := newest(t, box, 100)
			if len(all) != tt.wantMessages {
				t.Fatalf("outbox holds %d messages, want %d", len(all), tt.wantMessages)
			}
			var last dispatch.Notification
			if err := json.Unmarshal(all[0].Payload, &last); err != nil {
				t.Fatal(err)
			}
			var resolved []string
			for _, r := range last.Resolved {
				resolved = append(resolved, r.Fingerprint)
			}
			if !slices.Equal(resolved, tt.wantResolved) && len(tt.wantResolved) > 0 {
				t.Errorf("the restart's notification resolves %v, want %v", resolved, tt.wantResolved)
			}
			if len(tt.wantResolved) > 0 && (len(last.Firing) != 1 || last.Firing[0].Fingerprint != a.Fingerprint) {
				t.Errorf("the restart's notification lists %+v as firing, want only %s", last.Firing, a.Fingerprint)
			}

			// a counts as announced after the restart: it repeats.
			mustTick(t, restarted, after.Add(dispatch.DefaultRepeatAfter()[a.Level]+time.Minute))
			all = newest(t, box, 1)
			if err := json.Unmarshal(all[0].Payload, &last); err != nil || last.Kind != dispatch.KindRepeat || len(last.Firing) != 1 {
				t.Errorf("no repeat of the unacknowledged alert after the restart; the newest message is %s", all[0].Payload)
			}
		})
	}
}

func mustTick(t *testing.T, d *dispatch.Dispatcher, now time.Time) {
	t.Helper()
	if err := d.Tick(context.Background(), now); err != nil {
		t.Fatal(err)
	}
}

// openOutbox opens a real outbox on a fresh SQLite database.
func openOutbox(t *testing.T) (*sqlitestore.DB, *outbox.Outbox) {
	t.Helper()
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "cityvitals.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := outbox.New(db, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db, box
}

// newest returns the outbox's newest messages for ops, newest first.
func newest(t *testing.T, box *outbox.Outbox, limit int) []outbox.Message {
	t.Helper()
	var out []outbox.Message
	err := box.EachNewest(context.Background(), "ops", limit, func(m outbox.Message) bool {
		out = append(out, m)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
