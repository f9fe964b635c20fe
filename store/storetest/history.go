package storetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"cityvitals/model"
	"cityvitals/store"
)

// History runs the contract suite for store.History.
//
// open must return a store for the (sub)test it is given: empty the first
// time it is called for a test name, and holding the same data when it is
// called again for the same test name after the suite closed the previous
// store (the reopen test does that). The suite closes every store it gets;
// open must not. Subtests run in parallel, each with its own store.
func History(t *testing.T, open func(t *testing.T) store.History) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) store.History)
	}{
		{"WriteAndRange", testHistoryWriteAndRange},
		{"ReplaceSameTime", testHistoryReplaceSameTime},
		{"RangeBoundsAndLimit", testHistoryRangeBoundsAndLimit},
		{"NegativeTimes", testHistoryNegativeTimes},
		{"Latest", testHistoryLatest},
		{"InvalidInput", testHistoryInvalidInput},
		{"AggregateMatchesBruteForce", testHistoryAggregateMatchesBruteForce},
		{"AggregateAfterLateData", testHistoryAggregateAfterLateData},
		{"ConcurrentWritersAndReaders", testHistoryConcurrent},
		{"Reopen", testHistoryReopen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open)
		})
	}
}

// Times used by the suite, in Unix milliseconds.
const (
	histMinute = int64(60_000)
	histHour   = 60 * histMinute
	histDay    = 24 * histHour
	histBase   = int64(1_735_689_600_000) // 2025-01-01T00:00:00Z
)

// openHistory opens a store through the caller's open and closes it when
// the test ends (unless the test closed it first, see reopen).
func openHistory(t *testing.T, open func(t *testing.T) store.History) *histHandle {
	t.Helper()
	h := &histHandle{History: open(t)}
	t.Cleanup(func() {
		if !h.closed {
			if err := h.Close(); err != nil {
				t.Errorf("close history: %v", err)
			}
		}
	})
	return h
}

type histHandle struct {
	store.History
	closed bool
}

// reopen closes the store and opens it again over the same data.
func (h *histHandle) reopen(t *testing.T, open func(t *testing.T) store.History) *histHandle {
	t.Helper()
	h.closed = true
	histNoErr(t, h.Close())
	return openHistory(t, open)
}

func testHistoryWriteAndRange(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	rng := rand.New(rand.NewPCG(1, 1))
	m := newHistModel()
	for range 5 {
		batch := histRandomBatch(rng, []int64{1, 2, 3}, histBase, histBase+histDay, 200)
		histNoErr(t, h.Write(ctx, batch))
		m.write(batch)
	}
	for _, s := range []int64{1, 2, 3, 4} {
		got, err := h.Range(ctx, s, math.MinInt64, math.MaxInt64, 0)
		histNoErr(t, err)
		histEqualObs(t, fmt.Sprintf("Range(stream %d, everything)", s), got, m.rangeOf(s, math.MinInt64, math.MaxInt64, 0))
	}
}

func testHistoryReplaceSameTime(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	histNoErr(t, h.Write(ctx, []model.Observation{
		{Stream: 7, Time: histBase, Value: 1},
		{Stream: 7, Time: histBase + 1, Value: 10},
		{Stream: 7, Time: histBase + 1, Value: 11, Quality: model.QualitySuspect}, // same batch: the later item wins
	}))
	histNoErr(t, h.Write(ctx, []model.Observation{{Stream: 7, Time: histBase, Value: 2, Quality: model.QualityBad}}))
	got, err := h.Range(ctx, 7, histBase, histBase+2, 0)
	histNoErr(t, err)
	histEqualObs(t, "Range after replacing", got, []model.Observation{
		{Stream: 7, Time: histBase, Value: 2, Quality: model.QualityBad},
		{Stream: 7, Time: histBase + 1, Value: 11, Quality: model.QualitySuspect},
	})
	latest, err := h.Latest(ctx, []int64{7})
	histNoErr(t, err)
	histEqualObs(t, "Latest after replacing", []model.Observation{latest[7]}, got[1:])
}

func testHistoryRangeBoundsAndLimit(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	m := newHistModel()
	var batch []model.Observation
	for _, s := range []int64{9, 10, 11} { // neighbours must not leak into stream 10
		for i := range int64(10) {
			batch = append(batch, model.Observation{Stream: s, Time: histBase + i*1000, Value: float64(s*100 + i)})
		}
	}
	batch = append(batch,
		model.Observation{Stream: 10, Time: math.MinInt64, Value: -1},
		model.Observation{Stream: 10, Time: math.MaxInt64, Value: 1})
	histNoErr(t, h.Write(ctx, batch))
	m.write(batch)
	for _, tc := range []struct {
		name     string
		from, to int64
		limit    int
	}{
		{"everything", math.MinInt64, math.MaxInt64, 0},
		{"from inclusive to exclusive", histBase + 2000, histBase + 5000, 0},
		{"unaligned bounds", histBase + 1999, histBase + 5001, 0},
		{"limit", histBase, histBase + 10_000, 3},
		{"limit above count", histBase, histBase + 10_000, 100},
		{"negative limit means all", histBase, histBase + 10_000, -1},
		{"empty window", histBase + 1, histBase + 1000, 0},
		{"from equals to", histBase, histBase, 0},
		{"from after to", histBase + 5000, histBase, 0},
		{"minimum time", math.MinInt64, math.MinInt64 + 1, 0},
		{"up to maximum time excludes it", histBase, math.MaxInt64, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.Range(ctx, 10, tc.from, tc.to, tc.limit)
			histNoErr(t, err)
			histEqualObs(t, "Range", got, m.rangeOf(10, tc.from, tc.to, tc.limit))
		})
	}
}

func testHistoryNegativeTimes(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	m := newHistModel()
	var batch []model.Observation
	for _, tm := range []int64{3 * histHour, -1, 0, 1, -histDay - 1, -histHour, histHour - 1, -3 * histHour} {
		batch = append(batch, model.Observation{Stream: 5, Time: tm, Value: float64(tm % 1000)})
	}
	histNoErr(t, h.Write(ctx, batch))
	m.write(batch)
	got, err := h.Range(ctx, 5, -2*histDay, 2*histDay, 0)
	histNoErr(t, err)
	histEqualObs(t, "Range across zero", got, m.rangeOf(5, -2*histDay, 2*histDay, 0))
	for _, step := range []int64{histHour, 7 * histMinute, histDay} {
		buckets, err := h.Aggregate(ctx, 5, -2*histDay, 2*histDay, step)
		histNoErr(t, err)
		histEqualBuckets(t, fmt.Sprintf("Aggregate across zero, step %d", step), buckets, m.aggregate(5, -2*histDay, 2*histDay, step))
	}
}

func testHistoryLatest(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	for _, tc := range []struct {
		name  string
		write []model.Observation
		want  map[int64]model.Observation
	}{
		{"first values", []model.Observation{
			{Stream: 1, Time: histBase, Value: 1}, {Stream: 2, Time: histBase + 5, Value: 2}, {Stream: 1, Time: histBase + 3, Value: 3},
		}, map[int64]model.Observation{
			1: {Stream: 1, Time: histBase + 3, Value: 3}, 2: {Stream: 2, Time: histBase + 5, Value: 2},
		}},
		{"older data does not replace", []model.Observation{{Stream: 1, Time: histBase + 1, Value: 9}}, map[int64]model.Observation{
			1: {Stream: 1, Time: histBase + 3, Value: 3}, 2: {Stream: 2, Time: histBase + 5, Value: 2},
		}},
		{"equal time replaces", []model.Observation{{Stream: 2, Time: histBase + 5, Value: 4, Quality: model.QualitySuspect}}, map[int64]model.Observation{
			1: {Stream: 1, Time: histBase + 3, Value: 3}, 2: {Stream: 2, Time: histBase + 5, Value: 4, Quality: model.QualitySuspect},
		}},
		{"newer replaces", []model.Observation{{Stream: 1, Time: histBase + 4, Value: -5}}, map[int64]model.Observation{
			1: {Stream: 1, Time: histBase + 4, Value: -5}, 2: {Stream: 2, Time: histBase + 5, Value: 4, Quality: model.QualitySuspect},
		}},
	} {
		histNoErr(t, h.Write(ctx, tc.write))
		got, err := h.Latest(ctx, []int64{1, 2, 3})
		histNoErr(t, err)
		histEqualLatest(t, tc.name, got, tc.want)
	}
	got, err := h.Latest(ctx, nil)
	histNoErr(t, err)
	histEqualLatest(t, "no streams asked", got, map[int64]model.Observation{})
}

func testHistoryInvalidInput(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	for _, tc := range []struct {
		name string
		obs  []model.Observation
	}{
		{"NaN", []model.Observation{{Stream: 1, Time: histBase, Value: 1}, {Stream: 1, Time: histBase + 1, Value: math.NaN()}}},
		{"+Inf", []model.Observation{{Stream: 1, Time: histBase, Value: math.Inf(1)}}},
		{"-Inf", []model.Observation{{Stream: 1, Time: histBase, Value: math.Inf(-1)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			histWantCode(t, h.Write(ctx, tc.obs), model.EINVALID)
		})
	}
	got, err := h.Range(ctx, 1, math.MinInt64, math.MaxInt64, 0)
	histNoErr(t, err)
	histEqualObs(t, "Range after rejected writes", got, nil)
	latest, err := h.Latest(ctx, []int64{1})
	histNoErr(t, err)
	histEqualLatest(t, "Latest after rejected writes", latest, map[int64]model.Observation{})
	for _, step := range []int64{0, -histHour} {
		_, err := h.Aggregate(ctx, 1, histBase, histBase+histDay, step)
		histWantCode(t, err, model.EINVALID)
	}
}

// histAggregateSteps covers steps below, equal to and multiples of common
// roll-up steps (1 h, 5 min), and steps that are none of those.
var histAggregateSteps = []int64{
	histMinute, 5 * histMinute, 7 * histMinute, histHour, 90 * histMinute, 3 * histHour, histDay, 7 * histDay,
}

func testHistoryAggregateMatchesBruteForce(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	rng := rand.New(rand.NewPCG(2, 2))
	m := newHistModel()
	streams := []int64{1, 2, 3}
	for day := range int64(4) { // days written in order, points shuffled within
		batch := histRandomBatch(rng, streams, histBase-2*histDay+day*histDay, histBase-histDay+day*histDay, 2000)
		histNoErr(t, h.Write(ctx, batch))
		m.write(batch)
	}
	negative := histRandomBatch(rng, []int64{4}, -histDay, histDay, 3000)
	histNoErr(t, h.Write(ctx, negative))
	m.write(negative)

	windows := [][2]int64{
		{math.MinInt64, math.MaxInt64},
		{histBase - 2*histDay, histBase + 2*histDay},
		{histBase - 36*histHour + 17*histMinute, histBase + 5*histHour + 3},
		{-histDay + 11*histMinute, histDay - 13},
	}
	for pass := range 2 { // the second pass may be served from roll-ups built by the first
		for _, s := range append(streams, 4) {
			for _, w := range windows {
				for _, step := range histAggregateSteps {
					got, err := h.Aggregate(ctx, s, w[0], w[1], step)
					histNoErr(t, err)
					what := fmt.Sprintf("pass %d: Aggregate(stream %d, [%d, %d), step %d)", pass, s, w[0], w[1], step)
					histEqualBuckets(t, what, got, m.aggregate(s, w[0], w[1], step))
				}
			}
		}
	}
}

func testHistoryAggregateAfterLateData(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	rng := rand.New(rand.NewPCG(3, 3))
	m := newHistModel()
	const stream = 42
	batch := histRandomBatch(rng, []int64{stream}, histBase, histBase+10*histHour, 3000)
	histNoErr(t, h.Write(ctx, batch))
	m.write(batch)
	from, to := histBase-histDay, histBase+histDay
	for _, step := range []int64{histHour, 5 * histMinute, histDay} {
		_, err := h.Aggregate(ctx, stream, from, to, step) // materialises what it may
		histNoErr(t, err)
	}
	for _, tc := range []struct {
		name string
		late []model.Observation
	}{
		{"new maximum in an old bucket", []model.Observation{{Stream: stream, Time: histBase + 2*histHour + 1, Value: 1e6}}},
		{"new minimum and a replaced value", []model.Observation{
			{Stream: stream, Time: histBase + 1, Value: -1e6}, {Stream: stream, Time: batch[0].Time, Value: 123},
		}},
		{"late point in a bucket that had no data", []model.Observation{{Stream: stream, Time: histBase - 5*histHour, Value: 77}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			histNoErr(t, h.Write(ctx, tc.late))
			m.write(tc.late)
			for _, step := range []int64{histHour, 5 * histMinute, 2 * histHour, histDay} {
				got, err := h.Aggregate(ctx, stream, from, to, step)
				histNoErr(t, err)
				histEqualBuckets(t, fmt.Sprintf("Aggregate step %d after late data", step), got, m.aggregate(stream, from, to, step))
			}
		})
	}
}

// testHistoryConcurrent runs writers (in-order and late) and aggregating
// readers at once, then checks the end state against the model. Times are
// unique per writer so that the end state does not depend on the schedule.
func testHistoryConcurrent(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	const writers, batches, perBatch = 4, 30, 100
	streams := []int64{100, 101, 102}
	m := newHistModel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range int64(writers) {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 4))
			for b := range int64(batches) {
				batch := make([]model.Observation, perBatch)
				for i := range batch {
					// Mostly advancing time, sometimes hours late, on whole
					// seconds; the milliseconds keep times unique per writer.
					second := histBase + b*10*histMinute - rng.Int64N(3)*rng.Int64N(5)*histHour + rng.Int64N(600)*1000
					batch[i] = model.Observation{
						Stream: streams[rng.IntN(len(streams))],
						Time:   second + w*perBatch + int64(i),
						Value:  float64(rng.IntN(20000)-10000) / 100,
					}
				}
				if err := h.Write(ctx, batch); err != nil {
					t.Errorf("writer %d batch %d: %v", w, b, err)
					return
				}
				mu.Lock()
				m.write(batch)
				mu.Unlock()
			}
		})
	}
	for r := range 2 {
		wg.Go(func() {
			for i := range 40 {
				s := streams[(r+i)%len(streams)]
				if _, err := h.Aggregate(ctx, s, histBase-histDay, histBase+histDay, histHour*int64(1+i%3)); err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	histCheckAgainstModel(t, h, m, streams)
}

func testHistoryReopen(t *testing.T, open func(t *testing.T) store.History) {
	ctx := t.Context()
	h := openHistory(t, open)
	rng := rand.New(rand.NewPCG(5, 5))
	m := newHistModel()
	streams := []int64{1, 2, 3, 1 << 40}
	batch := histRandomBatch(rng, streams, histBase, histBase+2*histDay, 3000)
	histNoErr(t, h.Write(ctx, batch))
	m.write(batch)
	_, err := h.Aggregate(ctx, 1, histBase, histBase+2*histDay, histHour)
	histNoErr(t, err)

	h = h.reopen(t, open)
	histCheckAgainstModel(t, h, m, streams)
	late := []model.Observation{{Stream: 1, Time: histBase + histHour + 5, Value: 5e5}}
	histNoErr(t, h.Write(ctx, late))
	m.write(late)
	h = h.reopen(t, open)
	histCheckAgainstModel(t, h, m, streams)
}

// histCheckAgainstModel compares Range, Latest and Aggregate of every
// stream with the model.
func histCheckAgainstModel(t *testing.T, h store.History, m *histModel, streams []int64) {
	t.Helper()
	ctx := context.Background()
	latest, err := h.Latest(ctx, streams)
	histNoErr(t, err)
	histEqualLatest(t, "Latest", latest, m.latest(streams))
	for _, s := range streams {
		got, err := h.Range(ctx, s, math.MinInt64, math.MaxInt64, 0)
		histNoErr(t, err)
		histEqualObs(t, fmt.Sprintf("Range(stream %d)", s), got, m.rangeOf(s, math.MinInt64, math.MaxInt64, 0))
		for _, step := range []int64{histMinute, histHour, 2 * histHour, histDay} {
			buckets, err := h.Aggregate(ctx, s, histBase-histDay, histBase+3*histDay, step)
			histNoErr(t, err)
			histEqualBuckets(t, fmt.Sprintf("Aggregate(stream %d, step %d)", s, step), buckets, m.aggregate(s, histBase-histDay, histBase+3*histDay, step))
		}
	}
}

// histRandomBatch returns n observations of the streams at random times in
// [from, to), values with two decimals in [-100, 100), qualities mixed.
func histRandomBatch(rng *rand.Rand, streams []int64, from, to int64, n int) []model.Observation {
	out := make([]model.Observation, n)
	for i := range out {
		out[i] = model.Observation{
			Stream:  streams[rng.IntN(len(streams))],
			Time:    from + rng.Int64N(to-from),
			Value:   float64(rng.IntN(20000)-10000) / 100,
			Quality: uint8(rng.IntN(3)),
		}
	}
	return out
}

// histModel is the obviously correct reference the History suite compares
// stores with: every observation in a map, aggregates by brute force.
type histModel struct {
	obs    map[int64]map[int64]model.Observation // stream -> time -> observation
	sorted map[int64][]model.Observation         // stream -> observations in time order, rebuilt after writes
}

func newHistModel() *histModel {
	return &histModel{obs: make(map[int64]map[int64]model.Observation), sorted: make(map[int64][]model.Observation)}
}

func (m *histModel) write(batch []model.Observation) {
	for _, o := range batch {
		if m.obs[o.Stream] == nil {
			m.obs[o.Stream] = make(map[int64]model.Observation)
		}
		m.obs[o.Stream][o.Time] = o
		delete(m.sorted, o.Stream)
	}
}

// rangeOf returns the stream's observations with from <= Time < to in time
// order, at most limit (limit <= 0: all).
func (m *histModel) rangeOf(stream, from, to int64, limit int) []model.Observation {
	all, ok := m.sorted[stream]
	if !ok {
		for _, tm := range slices.Sorted(maps.Keys(m.obs[stream])) {
			all = append(all, m.obs[stream][tm])
		}
		m.sorted[stream] = all
	}
	var out []model.Observation
	for _, o := range all {
		if o.Time >= from && o.Time < to && (limit <= 0 || len(out) < limit) {
			out = append(out, o)
		}
	}
	return out
}

func (m *histModel) latest(streams []int64) map[int64]model.Observation {
	out := make(map[int64]model.Observation)
	for _, s := range streams {
		all := m.rangeOf(s, math.MinInt64, math.MaxInt64, 0)
		if len(all) > 0 {
			out[s] = all[len(all)-1]
		}
	}
	return out
}

// aggregate buckets the points of [from, to) by floor(t/step)*step.
func (m *histModel) aggregate(stream, from, to, step int64) []store.Bucket {
	byStart := make(map[int64]*store.Bucket)
	for _, o := range m.rangeOf(stream, from, to, 0) {
		start := histFloor(o.Time, step)
		b := byStart[start]
		if b == nil {
			byStart[start] = &store.Bucket{Start: start, Count: 1, Sum: o.Value, Min: o.Value, Max: o.Value}
			continue
		}
		b.Count++
		b.Sum += o.Value
		b.Min = min(b.Min, o.Value)
		b.Max = max(b.Max, o.Value)
	}
	out := make([]store.Bucket, 0, len(byStart))
	for _, b := range byStart {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b store.Bucket) int { return cmp.Compare(a.Start, b.Start) })
	return out
}

// histFloor is floor(t/step)*step: t minus its non-negative remainder.
func histFloor(t, step int64) int64 {
	return t - ((t%step)+step)%step
}

func histNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func histWantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := model.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func histEqualObs(t *testing.T, what string, got, want []model.Observation) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d observations, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: item %d = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func histEqualLatest(t *testing.T, what string, got, want map[int64]model.Observation) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// histEqualBuckets compares exactly except for Sum, which may differ in
// the last bits because stores add in another order (roll-ups first).
func histEqualBuckets(t *testing.T, what string, got, want []store.Bucket) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d buckets, want %d\n got  %+v\n want %+v", what, len(got), len(want), got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		sumOK := math.Abs(g.Sum-w.Sum) <= 1e-9*max(1, math.Abs(w.Sum))
		if g.Start != w.Start || g.Count != w.Count || g.Min != w.Min || g.Max != w.Max || !sumOK {
			t.Fatalf("%s: bucket %d = %+v, want %+v", what, i, g, w)
		}
	}
}
