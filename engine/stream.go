package engine

import (
	"slices"
)

// point is one applied observation kept in a stream's history.
type point struct {
	t int64
	v float64
}

// streamState is what the engine keeps per datastream: its latest point
// and, for properties an indicator reads the history of, the points of
// the longest such window.
type streamState struct {
	id   int64
	meta StreamMeta
	unit *unitState // the root when unplaced

	hasLatest bool
	latest    point
	history   []point // oldest first; trimmed on append

	// Scheduling memo: the last data and expiry ticks marked, and the
	// units marked (valid while gen matches the processor's).
	dataTick    int64
	expiryTicks []int64
	targets     []*unitState
	gen         int
}

// record applies a point that is newer than every point applied before.
func (st *streamState) record(t int64, v float64, prop *propertyPlan) {
	st.hasLatest, st.latest = true, point{t: t, v: v}
	if prop == nil || prop.history == 0 {
		st.history = nil
		return
	}
	cut := 0
	for cut < len(st.history) && st.history[cut].t <= t-prop.history {
		cut++
	}
	if cut > 0 {
		// Shift rather than reslice so the backing array does not grow
		// without bound on a long-lived stream.
		st.history = append(st.history[:0], st.history[cut:]...)
	}
	st.history = append(st.history, point{t: t, v: v})
}

// hasPointAt reports whether a point at t has been applied, as far as the
// state still remembers: the latest point and the kept history.
func (st *streamState) hasPointAt(t int64) bool {
	if st.hasLatest && st.latest.t == t {
		return true
	}
	_, found := slices.BinarySearchFunc(st.history, t, func(p point, t int64) int {
		switch {
		case p.t < t:
			return -1
		case p.t > t:
			return 1
		}
		return 0
	})
	return found
}

// selectionKey names a selection: streams of a property, optionally only
// those on assets of one type.
type selectionKey struct {
	property  string
	assetType string
}

// selection is the streams of one key in one unit's subtree. Streams are
// appended as they register and sorted by id when next read, so that
// reductions over floats run in the same order live and in replay.
type selection struct {
	streams []*streamState
	sorted  bool
}

func (s *selection) add(st *streamState) {
	if n := len(s.streams); n > 0 && s.streams[n-1].id > st.id {
		s.sorted = false
	}
	s.streams = append(s.streams, st)
}

func (s *selection) streamsByID() []*streamState {
	if !s.sorted {
		slices.SortFunc(s.streams, func(a, b *streamState) int {
			switch {
			case a.id < b.id:
				return -1
			case a.id > b.id:
				return 1
			}
			return 0
		})
		s.sorted = true
	}
	return s.streams
}

// tickHeap is a min-heap of ticks with work.
type tickHeap struct{ ticks []int64 }

func (h *tickHeap) len() int    { return len(h.ticks) }
func (h *tickHeap) peek() int64 { return h.ticks[0] }

func (h *tickHeap) push(t int64) {
	h.ticks = append(h.ticks, t)
	for i := len(h.ticks) - 1; i > 0; {
		parent := (i - 1) / 2
		if h.ticks[parent] <= h.ticks[i] {
			break
		}
		h.ticks[parent], h.ticks[i] = h.ticks[i], h.ticks[parent]
		i = parent
	}
}

func (h *tickHeap) pop() int64 {
	top := h.ticks[0]
	last := len(h.ticks) - 1
	h.ticks[0] = h.ticks[last]
	h.ticks = h.ticks[:last]
	for i := 0; ; {
		smallest, l, r := i, 2*i+1, 2*i+2
		if l < last && h.ticks[l] < h.ticks[smallest] {
			smallest = l
		}
		if r < last && h.ticks[r] < h.ticks[smallest] {
			smallest = r
		}
		if smallest == i {
			break
		}
		h.ticks[i], h.ticks[smallest] = h.ticks[smallest], h.ticks[i]
		i = smallest
	}
	return top
}

// bitset is a small set of non-negative integers.
type bitset []uint64

func (b *bitset) set(i int) {
	for len(*b) <= i/64 {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}

func (b bitset) has(i int) bool {
	return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0
}
