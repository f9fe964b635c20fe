package pebblestore

import (
	"sync"
	"sync/atomic"

	"cityvitals/model"
)

// shardCount splits the per-stream state so that concurrent writers and
// readers of different streams rarely share a lock. A power of two.
const shardCount = 64

// streamState is what the store keeps in memory per stream: the newest
// committed observation and the number of writes in flight. It is 24 bytes
// on purpose; a million streams must fit in well under a GiB.
type streamState struct {
	time     int64
	value    float64
	inflight int32 // Write calls that reserved this stream and have not finished
	quality  uint8
	has      bool // time, value and quality hold a committed observation
}

func (s streamState) observation(stream int64) model.Observation {
	return model.Observation{Stream: stream, Time: s.time, Value: s.value, Quality: s.quality}
}

// shard guards the state of the streams hashed to it.
type shard struct {
	mu      sync.Mutex
	streams map[int64]streamState

	// rollupMu serialises, for the streams of this shard, an Aggregate that
	// reads raw points and stores roll-ups with a Write that deletes
	// roll-ups of late data. See aggregate.go for why that is enough.
	rollupMu sync.Mutex
}

// streamIndex is the in-memory per-stream state, sharded by stream id.
type streamIndex struct {
	shards     [shardCount]shard
	withLatest atomic.Int64
}

func newStreamIndex() *streamIndex {
	x := &streamIndex{}
	for i := range x.shards {
		x.shards[i].streams = make(map[int64]streamState)
	}
	return x
}

// shardOf spreads stream ids (often dense and sequential) over the shards
// with a multiplicative hash.
func shardOf(stream int64) int {
	return int((uint64(stream) * 0x9E3779B97F4A7C15) >> (64 - 6))
}

// load installs a persisted latest observation at Open.
func (x *streamIndex) load(o model.Observation) {
	sh := &x.shards[shardOf(o.Stream)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.streams[o.Stream].has {
		x.withLatest.Add(1)
	}
	sh.streams[o.Stream] = streamState{time: o.Time, value: o.Value, quality: o.Quality, has: true}
}

// latest returns the newest committed observation of the stream.
func (x *streamIndex) latest(stream int64) (model.Observation, bool) {
	sh := &x.shards[shardOf(stream)]
	sh.mu.Lock()
	st := sh.streams[stream]
	sh.mu.Unlock()
	return st.observation(stream), st.has
}

// snapshot returns the stream's state (latest and writes in flight).
func (x *streamIndex) snapshot(stream int64) streamState {
	sh := &x.shards[shardOf(stream)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.streams[stream]
}

// reserve marks a write of the stream as in flight and returns the stream's
// committed state at that moment. Every reserve is paired with a release.
func (x *streamIndex) reserve(stream int64) streamState {
	sh := &x.shards[shardOf(stream)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := sh.streams[stream]
	sh.streams[stream] = streamState{time: st.time, value: st.value, quality: st.quality, has: st.has, inflight: st.inflight + 1}
	return st
}

// release ends a reserved write. If the write committed, newest (the
// batch's newest observation of the stream) becomes the latest unless a
// newer one is there already; equal times replace, like raw records do.
func (x *streamIndex) release(newest model.Observation, committed bool) {
	sh := &x.shards[shardOf(newest.Stream)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := sh.streams[newest.Stream]
	st.inflight--
	if committed && (!st.has || newest.Time >= st.time) {
		if !st.has {
			x.withLatest.Add(1)
		}
		st = streamState{time: newest.Time, value: newest.Value, quality: newest.Quality, has: true, inflight: st.inflight}
	}
	if !st.has && st.inflight == 0 {
		delete(sh.streams, newest.Stream) // a failed first write leaves nothing behind
		return
	}
	sh.streams[newest.Stream] = st
}

// count returns the number of streams with a latest observation.
func (x *streamIndex) count() int64 { return x.withLatest.Load() }
