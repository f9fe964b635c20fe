package silent

import (
	"math"
	"sync"
	"sync/atomic"
)

// never marks a stream that has not reported since it was registered.
const never = math.MinInt64

// slot is one registered stream inside a shard.
type slot struct {
	id     int64
	unit   int32 // index in the detector's unit table
	device string
	span   int64        // quiet span before silent, ms
	last   atomic.Int64 // latest observation time, Unix ms, or never
	since  int64        // registration time, Unix ms; valid once armed
	armed  int64        // wheel bucket the slot is queued in, or never
	silent int32        // position in shard.silent, -1 while reporting
	live   bool         // registered (false: on the free list)
	fresh  bool         // registered since the last Scan, not yet armed
}

// quietSince is when the stream last reported, or its registration time.
func (s *slot) quietSince() int64 {
	if last := s.last.Load(); last != never {
		return last
	}
	return s.since
}

// deadline is the last event time at which the stream is not yet silent.
func (s *slot) deadline() int64 {
	since := s.quietSince()
	if since > math.MaxInt64-s.span {
		return math.MaxInt64
	}
	return since + s.span
}

// report records an observation at t, keeping the latest time.
func (s *slot) report(t int64) {
	for {
		old := s.last.Load()
		if t <= old || s.last.CompareAndSwap(old, t) {
			return
		}
	}
}

// changeKind says what happened to a stream between two Scans.
type changeKind uint8

const (
	wentSilent changeKind = iota // no data for its span
	recovered                    // reported again
	forgotten                    // unregistered while silent
)

// change is a stream's transition found by one shard, applied to its
// unit's state afterwards.
type change struct {
	kind   changeKind
	unit   int32
	id     int64
	device string
	since  int64 // quietSince at the transition
}

// shard holds the streams whose id falls to it. mu's read lock is all
// Seen takes; everything else takes the write lock.
type shard struct {
	mu     sync.RWMutex
	index  map[int64]int32 // stream id → slot
	slots  []slot
	free   []int32
	fresh  []int32 // slots registered since the last Scan
	silent []int32 // slots currently silent
	gone   []change
	wheel  wheel
}

func (s *shard) init() {
	s.index = map[int64]int32{}
	s.wheel = newWheel()
}

// add registers a stream, returning its slot. The caller holds mu.
func (s *shard) add(id int64, unit int32, device string, span, last int64) {
	var i int32
	if n := len(s.free); n > 0 {
		i, s.free = s.free[n-1], s.free[:n-1]
	} else {
		s.slots = append(s.slots, slot{})
		i = int32(len(s.slots) - 1)
	}
	sl := &s.slots[i]
	sl.id, sl.unit, sl.device, sl.span = id, unit, device, span
	sl.last.Store(last)
	sl.armed, sl.silent, sl.live, sl.fresh = never, -1, true, true
	s.index[id] = i
	s.fresh = append(s.fresh, i)
}

// remove unregisters the stream in slot i and returns its last report
// time. A silent stream leaves a change so the next Scan clears it. The
// caller holds mu.
func (s *shard) remove(i int32) (last int64) {
	sl := &s.slots[i]
	if sl.silent >= 0 {
		s.gone = append(s.gone, change{kind: forgotten, unit: sl.unit, id: sl.id, device: sl.device})
		s.unsilence(i)
	}
	delete(s.index, sl.id)
	last = sl.last.Load()
	sl.live, sl.fresh, sl.armed, sl.device = false, false, never, ""
	s.free = append(s.free, i)
	return last
}

// unsilence drops slot i from the silent list (swap with the last).
func (s *shard) unsilence(i int32) {
	pos := s.slots[i].silent
	lastSlot := s.silent[len(s.silent)-1]
	s.silent[pos] = lastSlot
	s.slots[lastSlot].silent = pos
	s.silent = s.silent[:len(s.silent)-1]
	s.slots[i].silent = -1
}

// arm queues slot i at its deadline.
func (s *shard) arm(i int32) {
	sl := &s.slots[i]
	sl.armed = bucketOf(sl.deadline())
	s.wheel.push(sl.armed, i)
}

// scan appends to out the changes of this shard at event time now:
// forgotten silent streams, silent streams that reported, and streams
// whose deadline passed. registeredAt is the registration time of streams
// registered since the last Scan. The caller holds mu.
func (s *shard) scan(now, registeredAt int64, out []change) []change {
	out = append(out, s.gone...)
	s.gone = s.gone[:0]
	s.armFresh(registeredAt)
	out = s.scanSilent(now, out)
	return s.scanDue(now, out)
}

func (s *shard) armFresh(registeredAt int64) {
	for _, i := range s.fresh {
		if sl := &s.slots[i]; sl.fresh {
			sl.fresh, sl.since = false, registeredAt
			s.arm(i)
		}
	}
	s.fresh = s.fresh[:0]
}

// scanSilent finds silent streams that have reported again.
func (s *shard) scanSilent(now int64, out []change) []change {
	for k := 0; k < len(s.silent); {
		i := s.silent[k]
		sl := &s.slots[i]
		if sl.deadline() < now {
			k++
			continue
		}
		out = append(out, change{kind: recovered, unit: sl.unit, id: sl.id, device: sl.device, since: sl.quietSince()})
		s.unsilence(i) // moves the last silent slot to k: look at k again
		s.arm(i)
	}
	return out
}

// scanDue pops the wheel buckets that fell due. A stream that reported
// since it was queued is queued again at its new deadline (after the loop,
// so that a bucket is never popped twice in one Scan).
func (s *shard) scanDue(now int64, out []change) []change {
	var later []int32
	for {
		bucket, due, ok := s.wheel.popBefore(now)
		if !ok {
			break
		}
		for _, i := range due {
			sl := &s.slots[i]
			if !sl.live || sl.armed != bucket {
				continue // forgotten, or queued again elsewhere
			}
			sl.armed = never
			if sl.deadline() >= now {
				later = append(later, i)
				continue
			}
			sl.silent = int32(len(s.silent))
			s.silent = append(s.silent, i)
			out = append(out, change{kind: wentSilent, unit: sl.unit, id: sl.id, device: sl.device, since: sl.quietSince()})
		}
		s.wheel.recycle(due)
	}
	for _, i := range later {
		s.arm(i)
	}
	return out
}
