package pebblestore

import (
	"context"
	"errors"
	"math"

	"github.com/cockroachdb/pebble/v2"

	"cityvitals/model"
	"cityvitals/store"
)

// Roll-ups.
//
// A roll-up is the (count, sum, min, max) of one stream over one
// RollupStep-aligned bucket. Aggregate materialises them lazily, for
// closed buckets only: a bucket is closed when its end <= the stream's
// latest time. Data can still arrive late into a closed bucket, so:
//
//  1. Write treats an observation as late when its roll-up bucket starts
//     before the bucket of the stream's latest as seen when the write
//     reserved the stream (streamIndex.reserve); the same synced batch
//     deletes that roll-up, and the write commits holding the shard's
//     rollupMu.
//  2. Aggregate holds rollupMu from reading the stream's state, through
//     reading roll-ups and raw points, to storing the new roll-ups; it
//     stores only if no write of the stream was in flight when it read the
//     state.
//
// Why that is enough: a roll-up Aggregate stores covers bucket b with
// b < bucket(L), L being the latest it read. A write reserved after that
// read sees a latest >= L, so its points in b are late: it must wait for
// rollupMu and its deletion lands after the store. A write reserved
// before that read is either finished (its points are in the raw scan)
// or in flight (Aggregate does not store). Deciding lateness against the
// latest at reserve time, not at commit time, is what closes the race of
// a concurrent newer write moving the latest forward in between.
//
// Roll-ups are derived data, so they are committed without fsync: a crash
// loses at most some of them, never their correctness.

// Aggregate returns, for stream, one bucket per step-aligned interval
// (bucket start floor(t/step)*step) holding points with from <= t < to.
// Steps that are a multiple of the roll-up step are served from roll-ups
// where the buckets are closed; EINVALID if step <= 0.
func (h *History) Aggregate(ctx context.Context, stream int64, from, to, step int64) ([]store.Bucket, error) {
	if err := h.usable(ctx); err != nil {
		return nil, err
	}
	if step <= 0 {
		return nil, model.Errorf(model.EINVALID, "aggregate of stream %d: step %d ms must be positive", stream, step)
	}
	if from >= to {
		return nil, nil
	}
	if step%h.rollupStep != 0 {
		return h.aggregate(ctx, aggregation{stream: stream, from: from, to: to, step: step})
	}
	a := aggregation{stream: stream, from: from, to: to, step: step}
	sh := &h.streams.shards[shardOf(stream)]
	sh.rollupMu.Lock()
	st := h.streams.snapshot(stream)
	if st.has { // without a latest nothing is closed
		a.zoneFrom, a.zoneTo = h.rollupZone(from, to, st.time)
	}
	if st.inflight > 0 {
		// A write of this stream is in flight: roll-ups built now might
		// miss its points, so use the stored ones but store none.
		sh.rollupMu.Unlock()
		return h.aggregate(ctx, a)
	}
	defer sh.rollupMu.Unlock()
	a.store = true
	return h.aggregate(ctx, a)
}

// rollupZone returns the roll-up buckets usable for [from, to) given the
// stream's latest time: those lying wholly inside [from, to) and closed.
// An empty zone has zoneFrom >= zoneTo.
func (h *History) rollupZone(from, to, latest int64) (zoneFrom, zoneTo int64) {
	r := h.rollupStep
	zoneFrom = bucketCeil(from, r)
	zoneTo = min(bucketStart(to, r), bucketStart(latest, r))
	return zoneFrom, zoneTo
}

// aggregation is one Aggregate call's plan.
type aggregation struct {
	stream           int64
	from, to, step   int64
	zoneFrom, zoneTo int64 // roll-up buckets to use or build; empty if zoneFrom >= zoneTo
	store            bool  // persist the roll-ups built from raw points
}

func (a aggregation) hasZone() bool { return a.zoneFrom < a.zoneTo }

// aggregate merges the stored roll-ups of the zone with the raw points not
// covered by them, in time order, building roll-ups for the zone's
// uncovered buckets on the way.
func (h *History) aggregate(ctx context.Context, a aggregation) ([]store.Bucket, error) {
	var rollups []store.Bucket
	if a.hasZone() {
		var err error
		if rollups, err = h.readRollups(ctx, a.stream, a.zoneFrom, a.zoneTo); err != nil {
			return nil, storageErr(h.dir, "aggregate: read roll-ups", err)
		}
	}
	it, err := h.rawIter(ctx, a.stream, a.from, a.to)
	if err != nil {
		return nil, storageErr(h.dir, "aggregate", err)
	}
	out := bucketList{step: a.step}
	built := bucketList{step: h.rollupStep}
	valid := it.First()
	for n := 0; ; n++ {
		if n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, errors.Join(err, it.Close())
			}
		}
		t := int64(math.MaxInt64)
		if valid {
			t = keyTime(it.Key())
		}
		if len(rollups) > 0 && rollups[0].Start <= t {
			// Use a run of adjacent roll-ups, then skip their raw points
			// with one seek.
			end := rollups[0].Start
			for len(rollups) > 0 && rollups[0].Start == end {
				out.addBucket(rollups[0])
				end += h.rollupStep
				rollups = rollups[1:]
			}
			if valid && t < end {
				valid = it.SeekGE(timeKey(prefixObs, a.stream, end))
			}
			continue
		}
		if !valid {
			break
		}
		o, err := iterObs(it)
		if err != nil {
			return nil, errors.Join(storageErr(h.dir, "aggregate", err), it.Close())
		}
		out.add(o.Time, o.Value)
		if a.hasZone() && o.Time >= a.zoneFrom && o.Time < a.zoneTo {
			built.add(o.Time, o.Value)
		}
		valid = it.Next()
	}
	if err := it.Close(); err != nil {
		return nil, storageErr(h.dir, "aggregate", err)
	}
	if a.store && len(built.buckets) > 0 {
		if err := h.storeRollups(a.stream, built.buckets); err != nil {
			return nil, err
		}
	}
	return out.buckets, nil
}

// readRollups returns the stored roll-ups of stream starting in [from, to).
func (h *History) readRollups(ctx context.Context, stream, from, to int64) ([]store.Bucket, error) {
	it, err := h.db.NewIterWithContext(ctx, &pebble.IterOptions{
		LowerBound: timeKey(prefixRollup, stream, from),
		UpperBound: timeKey(prefixRollup, stream, to),
	})
	if err != nil {
		return nil, err
	}
	var out []store.Bucket
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, errors.Join(err, it.Close())
		}
		b, err := decodeRollup(it.Key(), v)
		if err != nil {
			return nil, errors.Join(err, it.Close())
		}
		out = append(out, b)
	}
	return out, it.Close()
}

// storeRollups persists roll-ups without fsync (they can be rebuilt).
func (h *History) storeRollups(stream int64, buckets []store.Bucket) error {
	b := h.db.NewBatchWithSize(len(buckets) * (3 + timeKeyLen + rollupValLen))
	defer b.Close()
	var key [timeKeyLen]byte
	var val [rollupValLen]byte
	for _, r := range buckets {
		err := b.Set(putTimeKey(key[:], prefixRollup, stream, r.Start), putRollupValue(val[:], r.Count, r.Sum, r.Min, r.Max), nil)
		if err != nil {
			return storageErr(h.dir, "store roll-ups", err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return storageErr(h.dir, "store roll-ups", err)
	}
	return nil
}

// bucketList accumulates buckets of one step from inputs in time order.
type bucketList struct {
	step    int64
	buckets []store.Bucket
}

func (l *bucketList) add(t int64, v float64) {
	l.addBucket(store.Bucket{Start: t, Count: 1, Sum: v, Min: v, Max: v})
}

// addBucket folds b (whose Start is any time inside its bucket of l.step,
// and which lies wholly inside it) into the list.
func (l *bucketList) addBucket(b store.Bucket) {
	b.Start = bucketStart(b.Start, l.step)
	n := len(l.buckets)
	if n == 0 || l.buckets[n-1].Start != b.Start {
		l.buckets = append(l.buckets, b)
		return
	}
	last := &l.buckets[n-1]
	last.Count += b.Count
	last.Sum += b.Sum
	last.Min = min(last.Min, b.Min)
	last.Max = max(last.Max, b.Max)
}
