package cluster

import (
	"container/heap"
	"math"
	"slices"

	"cityvitals/model"
)

// maxMembers bounds the live members of one kind, so a flood of signals
// is refused with an error rather than exhausting memory.
const maxMembers = 1 << 20

// member is one live emitter of a kind.
type member struct {
	key, unit        string
	lonDeg, latDeg   float64
	lon, lat, cosLat float64 // radians, for the distance test
	cell             cellKey
	firstAt          int64 // first activity of this membership
	lastAt           int64 // latest activity: alarm, end of alarm or report
	expireAt         int64 // lastAt + window once not active
	level            int8
	report           bool
	sources          []source // active alarms; none for reports
	c                *cluster
	cellIdx, unitIdx int // positions in cells and units, for O(1) removal
	clusterIdx       int
	gone             bool
	seen             uint64 // search epoch
	owner            int    // search group that reached it
}

type source struct {
	id    string
	level int8
}

func (m *member) active() bool { return len(m.sources) > 0 }

// older orders members by first activity, then key: the oldest names a
// cluster.
func (m *member) older(o *member) bool {
	if m.firstAt != o.firstAt {
		return m.firstAt < o.firstAt
	}
	return m.key < o.key
}

// kind holds the live members and clusters of one Pattern. Not safe for
// concurrent use: the Detector serialises.
type kind struct {
	p       Pattern
	order   int
	geo     geometry
	window  int64 // ms
	members map[string]*member
	cells   map[cellKey][]*member
	units   map[string][]*member // only with SameUnit
	expiry  expiryHeap
	dirty   []*cluster
	retired []retirement
	epoch   uint64
	firing  int
}

func newKind(p Pattern, order int) *kind {
	return &kind{
		p: p, order: order, geo: newGeometry(p.RadiusM), window: p.Window.Milliseconds(),
		members: map[string]*member{}, cells: map[cellKey][]*member{}, units: map[string][]*member{},
	}
}

// apply takes one signal in; frontier is the detector's event-time clock.
// It reports whether the signal came too late to matter.
func (k *kind) apply(s Signal, frontier int64) (late bool, err error) {
	m, ok := k.members[s.Key]
	switch {
	case !ok && !s.Active:
		return false, nil // an end of something never seen
	case !ok:
		return k.join(s, frontier)
	case m.report != s.Report:
		return false, model.Errorf(model.EINVALID, "cluster signal %q: Report is %v, but the key is live as a %s", clip(s.Key), s.Report, memberKind(m))
	case s.Report && !s.Active:
		k.remove(m)
	case s.Report:
		k.refreshReport(m, s)
	case s.Active:
		k.raise(m, s)
	default:
		k.end(m, s)
	}
	return false, nil
}

func memberKind(m *member) string {
	if m.report {
		return "report"
	}
	return "sensor"
}

// join makes a new member of an active signal.
func (k *kind) join(s Signal, frontier int64) (late bool, err error) {
	if s.Report && s.At+k.window <= frontier {
		return true, nil
	}
	if len(k.members) >= maxMembers {
		return false, model.Errorf(model.ETOOLARGE, "cluster kind %q: %d live members, the most one kind may hold", k.p.Kind, maxMembers)
	}
	m := &member{key: s.Key, report: s.Report, firstAt: s.At, lastAt: s.At, level: s.Level}
	m.place(s, k.geo)
	if s.Report {
		k.arm(m)
	} else {
		m.sources = []source{{id: s.Source, level: s.Level}}
	}
	k.members[m.key] = m
	k.link(m)
	return false, nil
}

func (m *member) place(s Signal, g geometry) {
	m.unit, m.lonDeg, m.latDeg = s.Unit, s.Lon, s.Lat
	m.lon, m.lat = s.Lon*radPerDeg, s.Lat*radPerDeg
	m.cosLat = math.Cos(m.lat)
	m.cell = g.cell(s.Lon, s.Lat)
}

func (m *member) moved(s Signal) bool {
	return s.Lon != m.lonDeg || s.Lat != m.latDeg || s.Unit != m.unit
}

// refreshReport takes a repeated report (same key) in.
func (k *kind) refreshReport(m *member, s Signal) {
	k.relocate(m, s)
	m.lastAt = max(m.lastAt, s.At)
	if m.expireAt != m.lastAt+k.window {
		k.arm(m)
	}
	k.setLevel(m, s.Level)
}

// raise records an active alarm of one source.
func (k *kind) raise(m *member, s Signal) {
	k.relocate(m, s)
	m.lastAt = max(m.lastAt, s.At)
	i := slices.IndexFunc(m.sources, func(x source) bool { return x.id == s.Source })
	if i < 0 {
		m.sources = append(m.sources, source{id: s.Source, level: s.Level})
	} else {
		m.sources[i].level = s.Level
	}
	k.setLevel(m, maxSourceLevel(m.sources))
}

// end records the end of one source's alarm; with none left, the member
// lingers for the window.
func (k *kind) end(m *member, s Signal) {
	i := slices.IndexFunc(m.sources, func(x source) bool { return x.id == s.Source })
	if i < 0 {
		return
	}
	m.sources = slices.Delete(m.sources, i, i+1)
	m.lastAt = max(m.lastAt, s.At)
	if m.active() {
		k.setLevel(m, maxSourceLevel(m.sources))
		return
	}
	k.arm(m)
}

func maxSourceLevel(ss []source) int8 {
	var l int8
	for _, s := range ss {
		l = max(l, s.level)
	}
	return l
}

func (k *kind) setLevel(m *member, level int8) {
	if m.level != level {
		m.c.levels[m.level]--
		m.level = level
		m.c.levels[m.level]++
		k.queue(m.c)
	}
}

// arm schedules the member's expiry a window after its last activity.
// Earlier entries for it go stale and are skipped when they come up.
func (k *kind) arm(m *member) {
	m.expireAt = m.lastAt + k.window
	heap.Push(&k.expiry, expiry{at: m.expireAt, m: m})
}

// relocate re-links a member whose position or unit changed. Its old
// cluster is searched whole at the next settle: the member's old links
// say nothing about where it went. A moved emitter begins a new
// membership, so a cluster named after it is no longer named after a
// member it holds (a cluster's namesake is always in it or gone).
func (k *kind) relocate(m *member, s Signal) {
	if !m.moved(s) {
		return
	}
	old := m.c
	k.unlink(m)
	old.searchAll = true
	m.firstAt = max(s.At, m.firstAt+1)
	m.lastAt = max(m.lastAt, m.firstAt)
	m.place(s, k.geo)
	k.link(m)
}

// remove ends a membership. The live members it linked to are where a
// split would show, so they are noted as starting points for the search
// at the next settle (for a unit, one member stands for all of it).
func (k *kind) remove(m *member) {
	if c := m.c; len(c.members) > 1 {
		k.noteStarts(m, c)
	}
	k.unlink(m)
	delete(k.members, m.key)
	m.gone = true
}

func (k *kind) noteStarts(m *member, c *cluster) {
	k.neighbours(m, func(n *member) { c.starts = append(c.starts, n) })
	if k.p.SameUnit && m.unit != "" {
		if i := slices.IndexFunc(k.units[m.unit], func(n *member) bool { return n != m }); i >= 0 {
			c.starts = append(c.starts, k.units[m.unit][i])
		}
	}
}

// link puts m in its cell (and unit) and joins every cluster it touches.
func (k *kind) link(m *member) {
	var into *cluster
	k.neighbours(m, func(n *member) { into = k.merge(into, n.c) })
	if k.p.SameUnit && m.unit != "" {
		if group := k.units[m.unit]; len(group) > 0 {
			into = k.merge(into, group[0].c)
		}
		m.unitIdx = len(k.units[m.unit])
		k.units[m.unit] = append(k.units[m.unit], m)
	}
	if into == nil {
		into = &cluster{}
	}
	m.cellIdx = len(k.cells[m.cell])
	k.cells[m.cell] = append(k.cells[m.cell], m)
	into.add(m)
	k.queue(into)
}

// unlink takes m out of its cell, unit and cluster; the cluster may have
// split, which the next settle finds out.
func (k *kind) unlink(m *member) {
	k.cells[m.cell] = removeAt(k.cells[m.cell], m.cellIdx, func(o *member, i int) { o.cellIdx = i })
	if len(k.cells[m.cell]) == 0 {
		delete(k.cells, m.cell)
	}
	if k.p.SameUnit && m.unit != "" {
		k.units[m.unit] = removeAt(k.units[m.unit], m.unitIdx, func(o *member, i int) { o.unitIdx = i })
		if len(k.units[m.unit]) == 0 {
			delete(k.units, m.unit)
		}
	}
	c := m.c
	c.drop(m)
	k.queue(c)
}

// removeAt swap-removes s[i], telling the moved element its new index.
func removeAt(s []*member, i int, moved func(*member, int)) []*member {
	last := len(s) - 1
	if i != last {
		s[i] = s[last]
		moved(s[i], i)
	}
	s[last] = nil
	return s[:last]
}

// neighbours calls fn for every other member within the radius of m.
func (k *kind) neighbours(m *member, fn func(*member)) {
	reach := k.geo.lonReach(m.latDeg)
	first := int32(math.Floor((m.lonDeg - reach) / k.geo.cellDeg))
	last := int32(math.Floor((m.lonDeg + reach) / k.geo.cellDeg))
	for row := m.cell.row - 1; row <= m.cell.row+1; row++ {
		for col := first; col <= last; col++ {
			for _, n := range k.cells[cellKey{row, col}] {
				if n != m && k.geo.near(m, n) {
					fn(n)
				}
			}
		}
	}
}

// expireDue removes the members whose window ended at the earliest due
// time, if that is at or before now, and returns it.
func (k *kind) expireDue(now int64) (at int64, ok bool) {
	if len(k.expiry) == 0 || k.expiry[0].at > now {
		return 0, false
	}
	at = k.expiry[0].at
	for len(k.expiry) > 0 && k.expiry[0].at == at {
		e := heap.Pop(&k.expiry).(expiry)
		if !e.m.gone && !e.m.active() && e.m.expireAt == at {
			k.remove(e.m)
		}
	}
	return at, true
}

// expiry is a scheduled end of a member's window.
type expiry struct {
	at int64
	m  *member
}

type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = expiry{}
	*h = old[:len(old)-1]
	return e
}
