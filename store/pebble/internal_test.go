package pebblestore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"cityvitals/model"
)

const (
	testHour = int64(3_600_000)
	testBase = int64(1_735_689_600_000) // 2025-01-01T00:00:00Z
)

func openTest(t *testing.T, dir string, opts Options) *History {
	t.Helper()
	h, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func mustWrite(t *testing.T, h *History, obs ...model.Observation) {
	t.Helper()
	if err := h.Write(t.Context(), obs); err != nil {
		t.Fatal(err)
	}
}

// rollupStarts lists the bucket starts of the stored roll-ups of stream.
func rollupStarts(t *testing.T, h *History, stream int64) []int64 {
	t.Helper()
	bs, err := h.readRollups(t.Context(), stream, math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, b := range bs {
		out = append(out, b.Start)
	}
	return out
}

func TestEncodeTimeKeepsOrder(t *testing.T) {
	times := []int64{math.MinInt64, -testBase, -1, 0, 1, testBase, math.MaxInt64}
	for i := 1; i < len(times); i++ {
		a := putTimeKey(make([]byte, timeKeyLen), prefixObs, 3, times[i-1])
		b := putTimeKey(make([]byte, timeKeyLen), prefixObs, 3, times[i])
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("key of %d does not sort before key of %d", times[i-1], times[i])
		}
		if got := keyTime(b); got != times[i] {
			t.Errorf("keyTime round trip of %d = %d", times[i], got)
		}
	}
}

func TestBucketStart(t *testing.T) {
	for _, tc := range []struct {
		name       string
		t, step    int64
		wantBucket int64
	}{
		{"zero", 0, 10, 0},
		{"positive inside", 15, 10, 10},
		{"positive on edge", 20, 10, 20},
		{"negative inside", -1, 10, -10},
		{"negative on edge", -10, 10, -10},
		{"negative far", -11, 10, -20},
		{"hour of a real time", testBase + 5, testHour, testBase},
		{"unrepresentable start clamps", math.MinInt64 + 1, testHour, math.MinInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bucketStart(tc.t, tc.step); got != tc.wantBucket {
				t.Errorf("bucketStart(%d, %d) = %d, want %d", tc.t, tc.step, got, tc.wantBucket)
			}
		})
	}
}

func TestBucketCeil(t *testing.T) {
	for _, tc := range []struct {
		name    string
		t, step int64
		want    int64
	}{
		{"zero", 0, 10, 0},
		{"positive inside", 15, 10, 20},
		{"positive on edge", 20, 10, 20},
		{"negative inside", -15, 10, -10},
		{"minimum time", math.MinInt64, testHour, -2_562_047_788_015 * testHour}, // MinInt64/hour = -2562047788015.2
		{"unrepresentable ceiling clamps", math.MaxInt64 - 1, testHour, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bucketCeil(tc.t, tc.step); got != tc.want {
				t.Errorf("bucketCeil(%d, %d) = %d, want %d", tc.t, tc.step, got, tc.want)
			}
		})
	}
}

func TestLatestMergerKeepsNewestTime(t *testing.T) {
	op := func(tm int64, v float64) []byte {
		return putLatestValue(make([]byte, latestValLen), model.Observation{Time: tm, Value: v})
	}
	for _, tc := range []struct {
		name      string
		first     []byte
		newer     [][]byte // applied with MergeNewer, in order
		older     [][]byte // applied with MergeOlder, in order
		wantTime  int64
		wantValue float64
	}{
		{"newer operand with later time wins", op(5, 1), [][]byte{op(6, 2)}, nil, 6, 2},
		{"newer operand with earlier time loses", op(5, 1), [][]byte{op(4, 2)}, nil, 5, 1},
		{"newer operand with equal time wins", op(5, 1), [][]byte{op(5, 2)}, nil, 5, 2},
		{"older operand with equal time loses", op(5, 1), nil, [][]byte{op(5, 2)}, 5, 1},
		{"older operand with later time wins", op(5, 1), nil, [][]byte{op(9, 2), op(7, 3)}, 9, 2},
		{"negative times", op(-5, 1), [][]byte{op(-7, 2), op(-1, 3)}, nil, -1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm, err := newLatestMerger().Merge([]byte("k"), tc.first)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tc.newer {
				if err := vm.MergeNewer(v); err != nil {
					t.Fatal(err)
				}
			}
			for _, v := range tc.older {
				if err := vm.MergeOlder(v); err != nil {
					t.Fatal(err)
				}
			}
			res, _, err := vm.Finish(true)
			if err != nil {
				t.Fatal(err)
			}
			if got := decodeLatestValue(1, res); got.Time != tc.wantTime || got.Value != tc.wantValue {
				t.Errorf("merged to %+v, want time %d value %v", got, tc.wantTime, tc.wantValue)
			}
		})
	}
	if _, err := newLatestMerger().Merge([]byte("k"), []byte{1, 2}); !errors.Is(err, errCorruptRecord) {
		t.Errorf("short operand: error %v, want errCorruptRecord", err)
	}
}

// hourly writes one point every 10 minutes of stream for hours hours.
func hourly(stream int64, hours int64) []model.Observation {
	var out []model.Observation
	for tm := testBase; tm < testBase+hours*testHour; tm += testHour / 6 {
		out = append(out, model.Observation{Stream: stream, Time: tm, Value: float64(tm % 1000)})
	}
	return out
}

func TestRollupsAreBuiltForClosedBucketsAndDroppedByLateData(t *testing.T) {
	ctx := t.Context()
	h := openTest(t, t.TempDir(), Options{})
	mustWrite(t, h, hourly(1, 5)...) // latest is in hour 4: hours 0-3 are closed
	if _, err := h.Aggregate(ctx, 1, testBase, testBase+10*testHour, testHour); err != nil {
		t.Fatal(err)
	}
	closed := []int64{testBase, testBase + testHour, testBase + 2*testHour, testBase + 3*testHour}
	if got := rollupStarts(t, h, 1); !slices.Equal(got, closed) {
		t.Fatalf("roll-ups after the first aggregate: %v, want %v", got, closed)
	}

	mustWrite(t, h, model.Observation{Stream: 1, Time: testBase + testHour + 7, Value: 1e6})
	want := slices.Delete(slices.Clone(closed), 1, 2)
	if got := rollupStarts(t, h, 1); !slices.Equal(got, want) {
		t.Fatalf("roll-ups after a late write into hour 1: %v, want %v", got, want)
	}

	buckets, err := h.Aggregate(ctx, 1, testBase, testBase+10*testHour, testHour)
	if err != nil {
		t.Fatal(err)
	}
	if b := buckets[1]; b.Count != 7 || b.Max != 1e6 {
		t.Errorf("hour 1 after the late write = %+v, want 7 points with max 1e6", b)
	}
	if got := rollupStarts(t, h, 1); !slices.Equal(got, closed) {
		t.Errorf("roll-ups after the second aggregate: %v, want %v", got, closed)
	}
}

func TestAggregateStoresNoRollupsWhileAWriteIsInFlight(t *testing.T) {
	h := openTest(t, t.TempDir(), Options{})
	mustWrite(t, h, hourly(1, 5)...)
	h.streams.reserve(1) // as a Write does before committing
	buckets, err := h.Aggregate(t.Context(), 1, testBase, testBase+10*testHour, testHour)
	h.streams.release(model.Observation{Stream: 1, Time: testBase}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(buckets) != 5 {
		t.Errorf("%d hourly buckets, want 5", len(buckets))
	}
	if got := rollupStarts(t, h, 1); len(got) != 0 {
		t.Errorf("roll-ups stored during an in-flight write: %v", got)
	}
}

func TestChangedRollupStepDropsOldRollups(t *testing.T) {
	dir := t.TempDir()
	h := openTest(t, dir, Options{})
	mustWrite(t, h, hourly(1, 5)...)
	if _, err := h.Aggregate(t.Context(), 1, testBase, testBase+10*testHour, testHour); err != nil {
		t.Fatal(err)
	}
	if len(rollupStarts(t, h, 1)) == 0 {
		t.Fatal("no roll-ups were built")
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h = openTest(t, dir, Options{RollupStep: testHour / 2})
	if got := rollupStarts(t, h, 1); len(got) != 0 {
		t.Errorf("roll-ups of the old step survived: %v", got)
	}
	buckets, err := h.Aggregate(t.Context(), 1, testBase, testBase+10*testHour, testHour)
	if err != nil {
		t.Fatal(err)
	}
	if len(buckets) != 5 || buckets[0].Count != 6 {
		t.Errorf("hourly buckets with half-hour roll-ups: %+v", buckets)
	}
}

// TestPersistedLatestIgnoresCommitOrder commits an older observation after
// a newer one, from concurrent writers, and checks the reloaded latest.
func TestPersistedLatestIgnoresCommitOrder(t *testing.T) {
	dir := t.TempDir()
	h := openTest(t, dir, Options{})
	var wg sync.WaitGroup
	for w := range int64(8) {
		wg.Go(func() {
			for i := range int64(20) {
				o := model.Observation{Stream: 1 + i%3, Time: testBase + w*1000 + i, Value: float64(w)}
				if err := h.Write(context.Background(), []model.Observation{o}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	mustWrite(t, h, model.Observation{Stream: 2, Time: testBase - 1, Value: -1}) // old data, committed last
	before, err := h.Latest(t.Context(), []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h = openTest(t, dir, Options{})
	after, err := h.Latest(t.Context(), []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	for s := int64(1); s <= 3; s++ {
		if before[s] != after[s] || after[s].Time < testBase+7000 {
			t.Errorf("stream %d: latest before reopen %+v, after %+v", s, before[s], after[s])
		}
	}
}

func TestCorruptRecordIsAnInternalError(t *testing.T) {
	h := openTest(t, t.TempDir(), Options{})
	key := putTimeKey(make([]byte, timeKeyLen), prefixObs, 1, testBase)
	if err := h.db.Set(key, []byte{1, 2, 3}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	_, err := h.Range(t.Context(), 1, testBase, testBase+1, 0)
	if model.ErrorCode(err) != model.EINTERNAL || !strings.Contains(err.Error(), "corruption") {
		t.Errorf("Range over a malformed record: %v, want an internal corruption error", err)
	}
}

func TestClosedStore(t *testing.T) {
	h := openTest(t, t.TempDir(), Options{})
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := h.Write(t.Context(), hourly(1, 1)); !errors.Is(err, errClosed) {
		t.Errorf("Write after Close: %v, want errClosed", err)
	}
	if _, err := h.Aggregate(t.Context(), 1, 0, 1, 1); !errors.Is(err, errClosed) {
		t.Errorf("Aggregate after Close: %v, want errClosed", err)
	}
}

func TestCanceledContext(t *testing.T) {
	h := openTest(t, t.TempDir(), Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := h.Write(ctx, hourly(1, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a canceled context: %v", err)
	}
	if _, err := h.Range(ctx, 1, 0, math.MaxInt64, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Range with a canceled context: %v", err)
	}
}

func TestStatsAndLogger(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := openTest(t, t.TempDir(), Options{Logger: logger})
	mustWrite(t, h, append(hourly(1, 2), hourly(2, 1)...)...)
	if err := h.db.Flush(); err != nil {
		t.Fatal(err)
	}
	st := h.Stats()
	if st.Streams != 2 || st.DiskBytes == 0 {
		t.Errorf("Stats = %+v, want 2 streams and some disk use", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "flush") {
		t.Errorf("no flush event in the log:\n%s", logs.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestStreamIndexMemory checks the in-memory latest state of a million
// streams against its budget (the goal is well under 1 GiB per million
// streams; the index alone must stay near its 32-byte entries).
func TestStreamIndexMemory(t *testing.T) {
	const streams = 1_000_000
	before := heapAlloc()
	x := newStreamIndex()
	for s := int64(1); s <= streams; s++ {
		x.load(model.Observation{Stream: s, Time: testBase + s, Value: float64(s)})
	}
	perStream := float64(heapAlloc()-before) / streams
	runtime.KeepAlive(x)
	t.Logf("stream index: %.1f heap bytes per stream", perStream)
	if perStream > 128 {
		t.Errorf("stream index uses %.1f heap bytes per stream, budget 128", perStream)
	}
}

func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
