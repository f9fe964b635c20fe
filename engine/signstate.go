package engine

import (
	"slices"

	"cityvitals/indicator"
)

// trendLength is how many evaluation values a sign remembers.
const trendLength = 30

// signState is one indicator's current state in one unit. It holds no
// pointers, so the blocks it is allocated in cost the garbage collector
// nothing to scan. The trend's newest value is kept inline and the older
// ones, from the sign's second value on, in a ring of its unit: most signs
// of a large city have been evaluated once or not at all, so most never
// take the memory of a ring.
type signState struct {
	value    float64
	updated  int64 // tick of the last evaluation
	weight   int   // streams behind the value, for weighted roll-ups
	newest   float64
	ring     int32 // 1 + index of the ring in unitState.trends; 0: none yet
	trendLen uint8 // values in the trend, newest included
	ringEnd  uint8 // index in the ring after the newest older value
	hasValue bool
	level    indicator.Level
}

// trendRing holds a sign's trend values older than the newest.
type trendRing [trendLength - 1]float64

// pushTrend appends v to the trend of s, a sign of u, moving the newest
// value into the ring.
func (s *signState) pushTrend(u *unitState, v float64) {
	if s.trendLen > 0 {
		if s.ring == 0 {
			u.trends = append(u.trends, trendRing{})
			s.ring = int32(len(u.trends))
		}
		ring := &u.trends[s.ring-1]
		ring[s.ringEnd] = s.newest
		s.ringEnd = (s.ringEnd + 1) % uint8(len(ring))
	}
	s.newest = v
	s.trendLen = min(s.trendLen+1, trendLength)
}

// trendValues returns the trend of s, a sign of u, oldest first.
func (s *signState) trendValues(u *unitState) []float64 {
	out := make([]float64, 0, s.trendLen)
	if s.trendLen == 0 {
		return out
	}
	if s.ring != 0 {
		ring := &u.trends[s.ring-1]
		n := len(ring)
		for i := int(s.trendLen) - 1; i > 0; i-- {
			out = append(out, ring[(int(s.ringEnd)-i+n)%n])
		}
	}
	return append(out, s.newest)
}

// signSlab allocates sign states in blocks: there is one per unit and
// indicator, millions in a large city, and as they hold no pointers a
// block costs the garbage collector nothing to scan.
type signSlab struct{ free []signState }

const signSlabSize = 512

func (s *signSlab) alloc() *signState {
	if len(s.free) == 0 {
		s.free = make([]signState, signSlabSize)
	}
	sg := &s.free[0]
	s.free = s.free[1:]
	sg.level = indicator.LevelNoData
	return sg
}

// signOf returns u's state of pp's indicator, creating it from slab;
// signs is how many indicator numbers there are.
func signOf(u *unitState, pp *programPlan, slab *signSlab, signs int) *signState {
	if s := u.sign(pp.sign); s != nil {
		return s
	}
	if pp.sign >= len(u.signs) {
		u.signs = slices.Grow(u.signs, signs-len(u.signs))[:max(pp.sign+1, signs)]
	}
	s := slab.alloc()
	u.signs[pp.sign] = s
	return s
}
