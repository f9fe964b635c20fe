package engine

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"cityvitals/model"
)

// TestObsBufferMatchesSlice checks the chunked buffer against a plain
// slice: same order after a stable sort, same contents when drained,
// across chunk boundaries and after partial draining.
func TestObsBufferMatchesSlice(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		popped  int // taken before sorting
		shuffle bool
	}{
		{name: "empty", n: 0},
		{name: "one chunk in order", n: 100},
		{name: "exactly one chunk", n: chunkLen},
		{name: "several chunks in order", n: 3*chunkLen + 17},
		{name: "several chunks shuffled", n: 3*chunkLen + 17, shuffle: true},
		{name: "shuffled after partial drain", n: 2*chunkLen + 5, popped: chunkLen + 3, shuffle: true},
		{name: "one chunk partly drained", n: 50, popped: 20, shuffle: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pool chunkPool
			rng := rand.New(rand.NewPCG(1, uint64(tt.n)))
			want := make([]model.Observation, tt.n)
			for i := range want {
				// Few distinct keys, so equal keys must keep receipt order.
				want[i] = model.Observation{Stream: int64(i % 7), Time: int64(i / 50), Value: float64(i)}
			}
			if tt.shuffle {
				rng.Shuffle(len(want), func(i, j int) { want[i], want[j] = want[j], want[i] })
			}
			var buf obsBuffer
			for _, o := range want {
				buf.push(&pool, o)
			}
			for range tt.popped {
				buf.pop(&pool)
			}
			want = want[tt.popped:]
			if buf.len() != len(want) {
				t.Fatalf("len = %d, want %d", buf.len(), len(want))
			}
			if tt.shuffle && buf.len() > 0 {
				buf.sortStable(&pool)
				slices.SortStableFunc(want, func(a, b model.Observation) int {
					return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Stream, b.Stream))
				})
			}
			var got []model.Observation
			for {
				o, ok := buf.front()
				if !ok {
					break
				}
				got = append(got, o)
				buf.pop(&pool)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("drained %d observations differing from the %d expected", len(got), len(want))
			}
			if buf.chunks != nil {
				t.Errorf("drained buffer keeps %d chunks", len(buf.chunks))
			}
		})
	}
}
