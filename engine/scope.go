package engine

import "cityvitals/indicator"

// scope is indicator.Scope for one unit, tick and window. Each evaluator
// reuses one scope and its stream sets for every evaluation, which the
// contract allows: Programs must not keep what they are given.
type scope struct {
	ev         *evaluator
	unit       *unitState
	from, to   int64 // the window (from, to]
	registered int   // the largest selection made: the evaluation's weight
	sets       []*streamSet
	used       int
}

var (
	_ indicator.Scope     = (*scope)(nil)
	_ indicator.StreamSet = (*streamSet)(nil)
)

func (s *scope) reset(u *unitState, tick, window int64) {
	s.unit, s.from, s.to, s.registered, s.used = u, tick-window, tick, 0, 0
}

// Streams selects the streams of property (on assetType assets) in the
// unit's subtree.
func (s *scope) Streams(property, assetType string) indicator.StreamSet {
	streams := s.ev.selection(s.unit, selectionKey{property: property, assetType: assetType})
	s.registered = max(s.registered, len(streams))
	if s.used == len(s.sets) {
		s.sets = append(s.sets, &streamSet{})
	}
	set := s.sets[s.used]
	s.used++
	set.reset(streams, s.from, s.to)
	return set
}

// Indicator returns another indicator's current value in the same unit.
func (s *scope) Indicator(id string) (float64, bool) {
	i, known := s.ev.p.signIDs[id]
	if !known {
		return 0, false
	}
	sg := s.unit.sign(i)
	if sg == nil || !sg.hasValue {
		return 0, false
	}
	return sg.value, true
}

// streamSet reduces a selection over the window; each reduction is
// computed on first call into a reused buffer.
type streamSet struct {
	streams  []*streamState
	from, to int64

	latest, totals []float64
	changes        []indicator.Change
	haveLatest     bool
	haveTotals     bool
	haveChanges    bool
}

func (s *streamSet) reset(streams []*streamState, from, to int64) {
	s.streams, s.from, s.to = streams, from, to
	s.haveLatest, s.haveTotals, s.haveChanges = false, false, false
}

func (s *streamSet) inWindow(t int64) bool { return t > s.from && t <= s.to }

// Registered counts the selected streams, reporting or not.
func (s *streamSet) Registered() int { return len(s.streams) }

// Latest returns the newest value of each stream that reported in the
// window.
func (s *streamSet) Latest() []float64 {
	if !s.haveLatest {
		s.latest = s.latest[:0]
		for _, st := range s.streams {
			if st.hasLatest && s.inWindow(st.latest.t) {
				s.latest = append(s.latest, st.latest.v)
			}
		}
		s.haveLatest = true
	}
	return s.latest
}

// Totals returns each reporting stream's sum over the window. A stream
// whose history is not kept contributes its latest value.
func (s *streamSet) Totals() []float64 {
	if !s.haveTotals {
		s.totals = s.totals[:0]
		for _, st := range s.streams {
			if total, ok := s.total(st); ok {
				s.totals = append(s.totals, total)
			}
		}
		s.haveTotals = true
	}
	return s.totals
}

func (s *streamSet) total(st *streamState) (float64, bool) {
	if st.history == nil {
		return st.latest.v, st.hasLatest && s.inWindow(st.latest.t)
	}
	var sum float64
	n := 0
	for _, pt := range st.history {
		if s.inWindow(pt.t) {
			sum += pt.v
			n++
		}
	}
	return sum, n > 0
}

// Changes returns the first and last point of each stream with at least
// two points in the window.
func (s *streamSet) Changes() []indicator.Change {
	if !s.haveChanges {
		s.changes = s.changes[:0]
		for _, st := range s.streams {
			first, last, ok := s.span(st)
			if ok {
				s.changes = append(s.changes, indicator.Change{
					First:   first.v,
					Last:    last.v,
					Minutes: float64(last.t-first.t) / 60000,
				})
			}
		}
		s.haveChanges = true
	}
	return s.changes
}

func (s *streamSet) span(st *streamState) (first, last point, ok bool) {
	n := 0
	for _, pt := range st.history {
		if !s.inWindow(pt.t) {
			continue
		}
		if n == 0 {
			first = pt
		}
		last = pt
		n++
	}
	return first, last, n >= 2
}
