package pebblestore

import (
	"context"
	"math"

	"github.com/cockroachdb/pebble/v2"

	"cityvitals/model"
)

// streamInBatch is what one Write needs per distinct stream of its batch.
type streamInBatch struct {
	newest model.Observation // the batch's newest observation of the stream
	// lateBefore: roll-up buckets starting before it may be materialised,
	// so data written into them must delete the roll-up. It is the bucket
	// of the stream's committed latest at reservation (MinInt64 if none:
	// roll-ups exist only for streams with a latest).
	lateBefore  int64
	lastDeleted int64 // roll-up bucket deleted last, to skip repeats
	deleted     bool
}

// writeScratch is reused across Write calls so that a batch costs no
// allocation per observation.
type writeScratch struct {
	index   map[int64]int32 // stream -> position in streams
	streams []streamInBatch
	pos     []int32 // per observation: its stream's position in streams
	key     [timeKeyLen]byte
	val     [latestValLen]byte
}

func newWriteScratch() *writeScratch {
	return &writeScratch{index: make(map[int64]int32)}
}

// maxPooledObs bounds the scratch kept for reuse, so that one huge batch
// does not pin its buffers forever.
const maxPooledObs = 1 << 16

func (h *History) putScratch(sc *writeScratch) {
	if cap(sc.pos) > maxPooledObs {
		return
	}
	clear(sc.index)
	sc.streams = sc.streams[:0]
	sc.pos = sc.pos[:0]
	h.scratch.Put(sc)
}

// collect groups the batch by stream and finds each stream's newest
// observation; on equal times the later item wins, as in the raw records.
func (sc *writeScratch) collect(obs []model.Observation) {
	for _, o := range obs {
		p, ok := sc.index[o.Stream]
		if !ok {
			p = int32(len(sc.streams))
			sc.index[o.Stream] = p
			sc.streams = append(sc.streams, streamInBatch{newest: o})
		} else if o.Time >= sc.streams[p].newest.Time {
			sc.streams[p].newest = o
		}
		sc.pos = append(sc.pos, p)
	}
}

// Write stores obs in one Pebble batch committed with fsync: when it
// returns nil every observation survives a crash. Items with the same
// stream and time replace earlier ones (later items of the same batch
// win). A NaN or infinite value rejects the whole batch with EINVALID and
// stores nothing; nothing else is validated here.
//
// Concurrent calls are cheap: Pebble's commit pipeline shares one fsync
// among the batches waiting for it.
func (h *History) Write(ctx context.Context, obs []model.Observation) error {
	if err := h.usable(ctx); err != nil {
		return err
	}
	if len(obs) == 0 {
		return nil
	}
	if err := validateValues(obs); err != nil {
		return err
	}
	sc := h.scratch.Get().(*writeScratch)
	defer h.putScratch(sc)
	sc.collect(obs)

	committed := false
	h.reserve(sc)
	defer h.release(sc, &committed)

	b := h.db.NewBatchWithSize(batchSize(len(obs), len(sc.streams)))
	defer b.Close()
	lateShards, err := h.fillBatch(b, obs, sc)
	if err != nil {
		return storageErr(h.dir, "build write batch", err)
	}
	unlock := h.lockRollups(lateShards)
	err = b.Commit(pebble.Sync)
	unlock()
	if err != nil {
		return storageErr(h.dir, "commit write batch", err)
	}
	committed = true
	return nil
}

func validateValues(obs []model.Observation) error {
	for i, o := range obs {
		if math.IsNaN(o.Value) || math.IsInf(o.Value, 0) {
			return model.Errorf(model.EINVALID,
				"observation %d (stream %d, time %d): value %v is not a finite number", i, o.Stream, o.Time, o.Value)
		}
	}
	return nil
}

// batchSize estimates the batch representation: per record a kind byte,
// two length varints, key and value.
func batchSize(nObs, nStreams int) int {
	const header = 12
	perObs := 1 + 2 + timeKeyLen + obsValueLen
	perStream := 1 + 2 + streamKeyLen + latestValLen
	return header + nObs*perObs + nStreams*perStream
}

// reserve marks every stream of the batch as being written and records
// which of its roll-up buckets count as late for this write.
func (h *History) reserve(sc *writeScratch) {
	for i := range sc.streams {
		s := &sc.streams[i]
		st := h.streams.reserve(s.newest.Stream)
		s.lateBefore = math.MinInt64
		if st.has {
			s.lateBefore = bucketStart(st.time, h.rollupStep)
		}
	}
}

func (h *History) release(sc *writeScratch, committed *bool) {
	for i := range sc.streams {
		h.streams.release(sc.streams[i].newest, *committed)
	}
}

// fillBatch adds the raw records, the roll-up deletions for late data and
// one latest merge operand per stream. It returns the set of shards (a bit
// per shard) whose roll-ups the batch invalidates.
func (h *History) fillBatch(b *pebble.Batch, obs []model.Observation, sc *writeScratch) (lateShards uint64, err error) {
	for i, o := range obs {
		if err := b.Set(putTimeKey(sc.key[:], prefixObs, o.Stream, o.Time), putObsValue(sc.val[:], o.Value, o.Quality), nil); err != nil {
			return 0, err
		}
		s := &sc.streams[sc.pos[i]]
		start := bucketStart(o.Time, h.rollupStep)
		if start >= s.lateBefore || (s.deleted && s.lastDeleted == start) {
			continue
		}
		if err := b.Delete(putTimeKey(sc.key[:], prefixRollup, o.Stream, start), nil); err != nil {
			return 0, err
		}
		s.deleted, s.lastDeleted = true, start
		lateShards |= 1 << shardOf(o.Stream)
	}
	for i := range sc.streams {
		n := sc.streams[i].newest
		if err := b.Merge(putStreamKey(sc.key[:], prefixLatest, n.Stream), putLatestValue(sc.val[:], n), nil); err != nil {
			return 0, err
		}
	}
	return lateShards, nil
}

// lockRollups takes the roll-up locks of the given shards in ascending
// order (so two writers cannot deadlock) and returns their release.
func (h *History) lockRollups(shards uint64) (unlock func()) {
	if shards == 0 {
		return func() {}
	}
	for i := range shardCount {
		if shards&(1<<i) != 0 {
			h.streams.shards[i].rollupMu.Lock()
		}
	}
	return func() {
		for i := range shardCount {
			if shards&(1<<i) != 0 {
				h.streams.shards[i].rollupMu.Unlock()
			}
		}
	}
}
