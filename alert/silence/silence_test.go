package silence

import (
	"testing"
	"time"
)

func TestSilenceState(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	s := Silence{StartsAt: start, EndsAt: start.Add(2 * time.Hour)}
	tests := []struct {
		name string
		at   time.Time
		want State
	}{
		{"before start", start.Add(-time.Millisecond), StatePending},
		{"at start", start, StateActive},
		{"midway", start.Add(time.Hour), StateActive},
		{"just before end", s.EndsAt.Add(-time.Millisecond), StateActive},
		{"at end", s.EndsAt, StateExpired},
		{"long after", s.EndsAt.Add(24 * time.Hour), StateExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := s.State(tc.at); got != tc.want {
				t.Errorf("State(%s) = %s, want %s", tc.at, got, tc.want)
			}
		})
	}
}
