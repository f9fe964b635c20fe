package obsimport

import "sort"

// timeSet remembers the times one stream has seen in this import, to spot
// duplicates. Real series are mostly in order and regular, so it stores
// ascending runs of evenly spaced times (one run for a clean hourly
// series) and keeps the rare out-of-order times in a map. Memory grows
// with irregularity, not with length.
type timeSet struct {
	runs  []timeRun // ascending, non-overlapping
	extra map[int64]struct{}
}

// timeRun holds first, first+step, …, last.
type timeRun struct {
	first, last, step int64
}

// add inserts t and reports whether it was new.
func (s *timeSet) add(t int64) bool {
	n := len(s.runs)
	if n == 0 || t > s.runs[n-1].last {
		s.appendInOrder(t)
		return true
	}
	if s.containsInRuns(t) {
		return false
	}
	if _, dup := s.extra[t]; dup {
		return false
	}
	if s.extra == nil {
		s.extra = map[int64]struct{}{}
	}
	s.extra[t] = struct{}{}
	return true
}

func (s *timeSet) appendInOrder(t int64) {
	n := len(s.runs)
	if n > 0 {
		last := &s.runs[n-1]
		switch {
		case last.first == last.last: // a single time: t fixes the step
			last.step, last.last = t-last.last, t
			return
		case t-last.last == last.step:
			last.last = t
			return
		}
	}
	s.runs = append(s.runs, timeRun{first: t, last: t})
}

func (s *timeSet) containsInRuns(t int64) bool {
	i := sort.Search(len(s.runs), func(i int) bool { return s.runs[i].last >= t })
	if i == len(s.runs) {
		return false
	}
	r := s.runs[i]
	if t < r.first {
		return false
	}
	return r.step == 0 || (t-r.first)%r.step == 0
}
