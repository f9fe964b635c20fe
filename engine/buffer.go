package engine

import (
	"cmp"
	"slices"
	"sync"

	"cityvitals/model"
)

// chunkLen is the capacity of a pooled observation chunk: 4096
// observations, 128 KiB.
const chunkLen = 4096

// maxPooledLen bounds the chunks kept for reuse, so one huge batch does not
// pin its memory in the pool.
const maxPooledLen = 16 * chunkLen

// chunkPool recycles observation slices between Observe's copies and the
// tick buffers. Ingest buffers millions of observations a minute; without
// reuse every copy and every doubling of a growing buffer is garbage the
// collector must chase while ingest is running.
type chunkPool struct{ pool sync.Pool }

// get returns an empty slice with room for at least chunkLen observations.
func (cp *chunkPool) get() []model.Observation {
	if s, ok := cp.pool.Get().(*[]model.Observation); ok {
		return (*s)[:0]
	}
	return make([]model.Observation, 0, chunkLen)
}

// copyOf returns batch copied into a pooled slice.
func (cp *chunkPool) copyOf(batch []model.Observation) []model.Observation {
	return append(cp.get(), batch...)
}

// put hands s back for reuse; the caller must not touch it afterwards.
func (cp *chunkPool) put(s []model.Observation) {
	if cap(s) < chunkLen || cap(s) > maxPooledLen {
		return
	}
	s = s[:0]
	cp.pool.Put(&s)
}

// obsBuffer is a queue of observations kept in fixed-size pooled chunks:
// appending never copies what is already buffered, and applied chunks go
// back to the pool.
type obsBuffer struct {
	chunks [][]model.Observation
	head   int // observations of chunks[0] already taken
	n      int // observations buffered
}

func (b *obsBuffer) len() int { return b.n }

func (b *obsBuffer) push(pool *chunkPool, o model.Observation) {
	last := len(b.chunks) - 1
	if last < 0 || len(b.chunks[last]) == cap(b.chunks[last]) {
		b.chunks = append(b.chunks, pool.get())
		last++
	}
	b.chunks[last] = append(b.chunks[last], o)
	b.n++
}

// back returns the newest observation; the buffer must not be empty.
func (b *obsBuffer) back() model.Observation {
	c := b.chunks[len(b.chunks)-1]
	return c[len(c)-1]
}

// front returns the oldest observation, false if the buffer is empty.
func (b *obsBuffer) front() (model.Observation, bool) {
	if b.n == 0 {
		return model.Observation{}, false
	}
	return b.chunks[0][b.head], true
}

// pop drops the oldest observation, recycling its chunk once used up.
func (b *obsBuffer) pop(pool *chunkPool) {
	b.head++
	b.n--
	if b.head < len(b.chunks[0]) {
		return
	}
	pool.put(b.chunks[0])
	b.chunks[0] = nil
	b.chunks = b.chunks[1:]
	b.head = 0
	if len(b.chunks) == 0 {
		b.chunks = nil
	}
}

// sortStable puts the buffer in (time, stream) order, keeping the receipt
// order of equal keys so the last received wins. Chunks are joined into
// one slice first: the sort runs once per tick, only when data arrived out
// of order.
func (b *obsBuffer) sortStable(pool *chunkPool) {
	all := b.chunks[0][b.head:]
	if len(b.chunks) > 1 {
		all = make([]model.Observation, 0, b.n)
		for i, c := range b.chunks {
			start := 0
			if i == 0 {
				start = b.head
			}
			all = append(all, c[start:]...)
			pool.put(c)
		}
	}
	slices.SortStableFunc(all, func(a, b model.Observation) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Stream, b.Stream))
	})
	b.chunks, b.head = [][]model.Observation{all}, 0
}
