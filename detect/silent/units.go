package silent

import (
	"sync"
)

// units is the table of spatial units streams are grouped by. Its mutex
// is taken after a shard's, never before.
type units struct {
	mu     sync.Mutex
	byCode map[string]int32
	list   []*unit
}

// unit is one spatial unit's silence: its registered streams, the ones
// now silent, and which findings about them are active.
type unit struct {
	code   string
	total  int              // registered streams
	silent map[int64]member // silent streams by id
	group  bool             // the group finding is active
	shown  int              // silent count of the last group finding
	level  int8             // level of the last group finding

	// The transitions of the Scan in progress.
	touched bool
	added   []int64
	removed []removal
}

// member is a silent stream of a unit.
type member struct {
	device  string
	since   int64 // last report or registration, Unix ms
	alerted bool  // its own (per-stream) finding is active
}

// removal is a stream that stopped being silent in this Scan.
type removal struct {
	member
	id   int64
	kind changeKind
}

func newUnits() units {
	return units{byCode: map[string]int32{}}
}

// join counts a newly registered stream in unit code and returns the
// unit's index.
func (us *units) join(code string) int32 {
	us.mu.Lock()
	defer us.mu.Unlock()
	i, ok := us.byCode[code]
	if !ok {
		i = int32(len(us.list))
		us.byCode[code] = i
		us.list = append(us.list, &unit{code: code, silent: map[int64]member{}})
	}
	us.list[i].total++
	return i
}

// leave uncounts a stream that was registered in unit i.
func (us *units) leave(i int32) {
	us.mu.Lock()
	defer us.mu.Unlock()
	us.list[i].total--
}

// apply records each change in its unit and returns the units touched.
// The caller holds mu.
func (us *units) apply(changes []change) []*unit {
	var touched []*unit
	for _, c := range changes {
		u := us.list[c.unit]
		if !u.touched {
			u.touched = true
			touched = append(touched, u)
		}
		if c.kind == wentSilent {
			u.silent[c.id] = member{device: c.device, since: c.since}
			u.added = append(u.added, c.id)
			continue
		}
		if m, ok := u.silent[c.id]; ok {
			delete(u.silent, c.id)
			u.removed = append(u.removed, removal{member: m, id: c.id, kind: c.kind})
		}
	}
	return touched
}

// done forgets the transitions of the Scan that has been settled.
func (u *unit) done() {
	u.touched = false
	u.added = u.added[:0]
	u.removed = u.removed[:0]
}
