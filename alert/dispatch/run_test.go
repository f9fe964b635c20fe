package dispatch_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"cityvitals/alert/dispatch"
	"cityvitals/model"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     dispatch.Config
		wantErr string // "" for a valid config
	}{
		{name: "zero config takes the defaults", cfg: dispatch.Config{}},
		{name: "full config", cfg: dispatch.Config{GroupBy: []string{"district"}, GroupWait: time.Second, GroupInterval: time.Minute,
			RepeatAfter: map[int8]time.Duration{4: time.Minute, 1: 0}, Receivers: []string{"ops", "sms"}, Escalation: map[int8]string{4: "duban"}}},
		{name: "empty receiver", cfg: dispatch.Config{Receivers: []string{"ops", ""}},
			wantErr: "invalid: dispatch config: receivers[1] is empty"},
		{name: "receiver twice", cfg: dispatch.Config{Receivers: []string{"ops", "ops"}},
			wantErr: `invalid: dispatch config: receivers[1] "ops" is listed twice`},
		{name: "empty group label", cfg: dispatch.Config{GroupBy: []string{""}},
			wantErr: "invalid: dispatch config: group_by[0] is empty"},
		{name: "negative group wait", cfg: dispatch.Config{GroupWait: -time.Second},
			wantErr: "invalid: dispatch config: group_wait -1s is negative"},
		{name: "negative group interval", cfg: dispatch.Config{GroupInterval: -time.Second},
			wantErr: "invalid: dispatch config: group_interval -1s is negative"},
		{name: "repeat for level 5", cfg: dispatch.Config{RepeatAfter: map[int8]time.Duration{5: time.Minute}},
			wantErr: "invalid: dispatch config: repeat_after level 5 is not 1 (blue) to 4 (red)"},
		{name: "negative repeat", cfg: dispatch.Config{RepeatAfter: map[int8]time.Duration{4: -time.Minute}},
			wantErr: "invalid: dispatch config: repeat_after[4] -1m0s is negative"},
		{name: "escalation for level 0", cfg: dispatch.Config{Escalation: map[int8]string{0: "duban"}},
			wantErr: "invalid: dispatch config: escalation level 0 is not 1 (blue) to 4 (red)"},
		{name: "escalation without receiver", cfg: dispatch.Config{Escalation: map[int8]string{4: ""}},
			wantErr: "invalid: dispatch config: escalation[4] names no receiver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := dispatch.New(tt.cfg, func(context.Context, string, string, []byte) error { return nil }, nil)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("New: %v, want %s", err, tt.wantErr)
			case tt.wantErr != "" && model.ErrorCode(err) != model.EINVALID:
				t.Fatalf("New: code %s, want %s", model.ErrorCode(err), model.EINVALID)
			}
		})
	}
}

// TestRunRetriesFailedSends runs the real Run loop on synctest's clock
// against a receiver that fails its first sends.
func TestRunRetriesFailedSends(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		rec := &recorder{clock: time.Now, failures: 3}
		d, err := dispatch.New(dispatch.Config{Receivers: []string{"ops", "sms"}}, rec.Send, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()

		for _, s := range burst("310101", "gas", 2, 10, 0, 0) {
			d.Observe(fire(s.events[0].Alert))
		}
		time.Sleep(dispatch.DefaultGroupWait + 5*time.Second)
		synctest.Wait()
		msgs := rec.Sent()
		if len(msgs) != 2 || msgs[0].Receiver != "ops" || msgs[1].Receiver != "sms" || msgs[0].Key != msgs[1].Key {
			t.Fatalf("sent %+v, want one notification to ops, then to sms", summarise(msgs))
		}
		// 3 failed ticks after the one at GroupWait.
		if delay := msgs[0].At.Sub(start); delay != dispatch.DefaultGroupWait+3*dispatch.TickEvery {
			t.Errorf("delivered %s after the burst, want %s", delay, dispatch.DefaultGroupWait+3*dispatch.TickEvery)
		}
		if n := d.Unsent(); n != 0 {
			t.Errorf("%d messages unsent", n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

func TestStopEndsRunAndDrains(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{clock: time.Now}
		d, err := dispatch.New(dispatch.Config{Receivers: []string{"ops"}, GroupWait: time.Second}, rec.Send, nil)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- d.Run(t.Context()) }()
		d.Observe(fire(newAlert("310101", "gas", "pipe-7", 4, 0)))
		rec.mu.Lock()
		rec.failures = 1 // the tick's send fails; the drain at stop delivers
		rec.mu.Unlock()
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		d.Stop()
		d.Stop()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if n := len(rec.Sent()); n != 1 {
			t.Errorf("sent %d messages, want 1 (drained at stop)", n)
		}
	})
}

func TestTickKeepsOrderAfterFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, dispatch.Config{Receivers: []string{"ops"}})
	h.d.Observe(fire(newAlert("310101", "gas", "pipe-7", 4, 0)))
	h.d.Observe(fire(newAlert("310104", "gas", "pipe-9", 4, 0)))
	h.rec.failures = 1
	err := h.d.Tick(context.Background(), t0.Add(time.Minute))
	if err == nil || h.d.Unsent() != 2 {
		t.Fatalf("Tick: %v with %d unsent, want an error and 2 unsent", err, h.d.Unsent())
	}
	if err := h.d.Tick(context.Background(), t0.Add(time.Minute+time.Second)); err != nil {
		t.Fatal(err)
	}
	got := summarise(h.rec.Sent())
	if len(got) != 2 || got[0].Group != "310101/gas" || got[1].Group != "310104/gas" {
		t.Errorf("sent %+v, want 310101 then 310104", got)
	}
}

func TestNewRejectsNilSend(t *testing.T) {
	t.Parallel()
	_, err := dispatch.New(dispatch.Config{}, nil, nil)
	if model.ErrorCode(err) != model.EINVALID {
		t.Fatalf("New with nil send: %v, want %s", err, model.EINVALID)
	}
	var e *model.Error
	if !errors.As(err, &e) || e.Message != "dispatch: send function is nil" {
		t.Errorf("message %v", err)
	}
}
