package bench

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
)

// TestStormGivesOneAlertPerUnit runs a small storm through the whole
// platform: 1,000 of 2,000 gas detectors (2 units × 500) fall silent while
// the rest keep reporting over HTTP. Exactly the two units' grouped alerts
// must fire on the alert stream — not 1,000 per-device alerts, and none
// for the units that keep reporting. Event time runs 60× the wall clock
// so the 3-minute threshold passes in 3 s.
func TestStormGivesOneAlertPerUnit(t *testing.T) {
	rep, err := RunStorm(context.Background(), StormOptions{
		Streams: 2_000, StormUnits: 2, PerStormUnit: 500, SteadyUnits: 10,
		Rate: 4_000, Workers: 2, Warmup: 300 * time.Millisecond, Window: time.Second,
		Step: time.Second, Lateness: time.Millisecond, Speed: 60, Timeout: 5 * time.Second,
		DataDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if rep.SilentStreams != 1_000 || rep.SilentAfterS != 180 {
		t.Fatalf("report %+v: want 1,000 silent streams and the platform's 3 × 1 min threshold", rep)
	}
	if rep.GroupAlerts != 2 || rep.SilentAlerts != 2 || rep.StreamAlerts != 0 || rep.StrayAlerts != 0 {
		t.Fatalf("silent alerts: %d grouped fired, %d stored (%d per stream, %d stray); want the 2 grouped ones and nothing else",
			rep.GroupAlerts, rep.SilentAlerts, rep.StreamAlerts, rep.StrayAlerts)
	}
	// Nothing can know of the silence before the threshold: a negative
	// delay would mean the run measures from the wrong moment.
	if rep.AlertP50Ms < 0 || rep.AlertMaxMs < rep.AlertP50Ms || rep.ScanLagMaxMs < 0 || rep.ClockLagMaxMs < 0 {
		t.Fatalf("alert delays p50 %v ms, max %v ms (scan lag %v, clock lag %v): want 0 ≤ p50 ≤ max and both parts ≥ 0",
			rep.AlertP50Ms, rep.AlertMaxMs, rep.ScanLagMaxMs, rep.ClockLagMaxMs)
	}
	if rep.BeforeCut.ObsPerS <= 0 || rep.Before.ObsPerS <= 0 || rep.During.ObsPerS <= 0 || rep.Unacknowledged != 0 {
		t.Fatalf("load before the cut %+v, before the threshold %+v, during %+v, %d unacknowledged: want acknowledged load in every window",
			rep.BeforeCut, rep.Before, rep.During, rep.Unacknowledged)
	}
}

// TestStormOptionsRefused checks that options that cannot give a
// meaningful storm are refused, naming what is wrong, before anything
// starts.
func TestStormOptionsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts StormOptions
		want string
	}{
		{"too few per unit to group", StormOptions{PerStormUnit: 4}, "group minimum 5"},
		{"no steady streams", StormOptions{Streams: 100_000, StormUnits: 20, PerStormUnit: 5_000}, "fewer than the 1000 steady units"},
		{"negative rate", StormOptions{Rate: -1}, "rate -1"},
		{"slow clock", StormOptions{Speed: 0.5}, "speed 0.5"},
		{"load too thin for the threshold", StormOptions{Rate: 1_000}, "too close to the 3m0s silence threshold"},
		{"window under a second", StormOptions{Window: time.Millisecond}, "window 1ms"},
		{"window longer than the silence", StormOptions{Window: 3 * time.Minute}, "does not fit"},
		{"negative lateness", StormOptions{Lateness: -time.Second}, "lateness -1s"},
		{"huge city", StormOptions{Streams: 50_000_000}, "at most 2000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RunStorm(context.Background(), tc.opts)
			var me *model.Error
			if !errors.As(err, &me) || me.Code != model.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want EINVALID mentioning %q", err, tc.want)
			}
		})
	}
}

// TestLoadWindowFindsTheStall feeds acknowledgements with a 1.5 s hole:
// the window must report it as the longest gap and an empty second.
func TestLoadWindowFindsTheStall(t *testing.T) {
	from := time.Unix(1_000, 0)
	var acks []ack
	for ms := 0; ms < 4_000; ms += 100 {
		if ms >= 1_000 && ms < 2_500 {
			continue
		}
		acks = append(acks, ack{at: from.Add(time.Duration(ms) * time.Millisecond), lat: time.Duration(ms/100) * time.Millisecond, n: 10})
	}
	acks = append(acks, ack{at: from.Add(-time.Second), n: 1_000}, ack{at: from.Add(5 * time.Second), n: 1_000}) // outside
	w := loadWindow(acks, from, from.Add(4*time.Second))
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-6 }
	if !near(w.MaxGapMs, 1_600) || w.MinObsPerS != 0 || !near(w.ObsPerS, 62.5) {
		t.Fatalf("window %+v: want a 1,600 ms gap, an empty second and 25 acks × 10 / 4 s = 62.5 obs/s", w)
	}
	if !near(w.MaxAckMs, 39) {
		t.Fatalf("max ack %v ms, want 39 (the slowest inside the window)", w.MaxAckMs)
	}
}
