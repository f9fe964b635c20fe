package silence_test

import (
	"reflect"
	"testing"
	"time"

	"cityvitals/alert/silence"
)

func TestSilencerReloadSeesChangesMadeElsewhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	direct := gasWorks("310104")
	direct.StartsAt, direct.CreatedAt, direct.UpdatedAt = t0, t0, t0
	s, err := f.db.PutSilence(ctx, direct) // as another process would
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	if f.silencer.Mutes(gasAlert("310104"), at) {
		t.Fatal("silence stored behind the Silencer's back mutes before Reload")
	}
	if err := f.silencer.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.silencer.MutedBy(gasAlert("310104"), at); !reflect.DeepEqual(got, []int64{s.ID}) {
		t.Errorf("MutedBy after Reload = %v, want [%d]", got, s.ID)
	}
}

func TestSilencerForgetsAfterLookback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	s, err := f.service.Create(ctx, gasWorks("310101"))
	if err != nil {
		t.Fatal(err)
	}
	during := t0.Add(time.Hour)
	tests := []struct {
		name string
		wall time.Time
		want bool
	}{
		{"within the lookback", s.EndsAt.Add(silence.DefaultLookback - time.Minute), true},
		{"past the lookback", s.EndsAt.Add(silence.DefaultLookback + time.Minute), false},
	}
	for _, tc := range tests {
		f.clock.now = tc.wall
		if err := f.silencer.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.silencer.Mutes(gasAlert("310101"), during); got != tc.want {
			t.Errorf("%s: a late event from during the silence muted = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSilencerMatchesPseudoLabels(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := gasWorks("310101")
	in.Matchers = []silence.Matcher{{Name: "rule", Op: silence.OpEqual, Value: "threshold"}, {Name: "level", Op: silence.OpRegexp, Value: "blue|yellow"}}
	if _, err := f.service.Create(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	for level, want := range map[int8]bool{1: true, 2: true, 3: false, 4: false} {
		a := gasAlert("310104")
		a.Level = level
		if got := f.silencer.Mutes(a, at); got != want {
			t.Errorf("level %s: Mutes = %v, want %v", silence.LevelName(level), got, want)
		}
	}
}
