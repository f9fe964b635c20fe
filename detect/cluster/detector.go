package cluster

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"cityvitals/alert"
	"cityvitals/model"
)

// Rule is the name findings of this detector carry.
const Rule = "cluster"

// Detector groups signals into spatial-temporal clusters and reports the
// clusters as alert findings. Safe for concurrent use; one lock guards
// everything, and no call blocks on anything but that lock.
type Detector struct {
	names namer

	mu       sync.Mutex
	kinds    map[string]*kind
	order    []*kind
	frontier int64 // event-time clock: the latest Advance or signal time
	pending  []alert.Finding
	late     uint64
}

// New builds a detector for the given patterns (one per kind; see
// DefaultPatterns). names gives a unit's Chinese and English names for
// summaries and is called under the detector's lock, so it must not call
// back; nil uses the unit code. Returns EINVALID naming the first bad
// pattern field or a repeated kind.
func New(patterns []Pattern, names func(unit string) (zh, en string)) (*Detector, error) {
	if len(patterns) == 0 {
		return nil, model.Errorf(model.EINVALID, "cluster detector: no patterns")
	}
	if names == nil {
		names = func(unit string) (string, string) { return unit, unit }
	}
	d := &Detector{names: names, kinds: map[string]*kind{}, frontier: math.MinInt64}
	for i, p := range patterns {
		if err := p.validate(i); err != nil {
			return nil, err
		}
		if _, dup := d.kinds[p.Kind]; dup {
			return nil, model.Errorf(model.EINVALID, "cluster pattern %d: kind %q is already defined by an earlier pattern", i, p.Kind)
		}
		k := newKind(p, i)
		d.kinds[p.Kind] = k
		d.order = append(d.order, k)
	}
	return d, nil
}

// Observe takes one signal in. A signal later than the detector's clock
// first advances the clock to it (see Advance). What the signal changes is
// decided at the next move of the clock. A report whose window ended
// before the clock is ignored and counted in Stats.Late.
//
// Returns EINVALID naming the field when the signal is malformed, its
// kind has no pattern, or its key is live as the other of report and
// sensor; ETOOLARGE when its kind already holds the most live members
// allowed (about a million).
func (d *Detector) Observe(s Signal) error {
	if err := s.validate(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	k, ok := d.kinds[s.Kind]
	if !ok {
		return model.Errorf(model.EINVALID, "cluster signal %q: kind %q has no pattern", clip(s.Key), clip(s.Kind))
	}
	if s.At > d.frontier {
		d.advance(s.At)
	}
	late, err := k.apply(s, d.frontier)
	if late {
		d.late++
	}
	return err
}

// Advance moves the event-time clock to now (never back): the signals
// observed since the last move are settled into findings stamped with the
// clock, then members whose window ended at or before now leave, and
// each leaving time is settled in turn.
func (d *Detector) Advance(now int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.advance(now)
}

func (d *Detector) advance(now int64) {
	var out []alert.Finding
	for _, k := range d.order {
		out = k.settle(d.frontier, d.names, out)
		for {
			at, ok := k.expireDue(now)
			if !ok {
				break
			}
			out = k.settle(max(at, d.frontier), d.names, out)
		}
	}
	d.frontier = max(d.frontier, now)
	slices.SortStableFunc(out, func(a, b alert.Finding) int {
		return cmp.Or(cmp.Compare(a.At, b.At),
			cmp.Compare(d.kinds[a.Labels["kind"]].order, d.kinds[b.Labels["kind"]].order),
			cmp.Compare(a.Labels["cluster"], b.Labels["cluster"]))
	})
	d.pending = append(d.pending, out...)
}

// Drain returns the findings settled since the last call.
func (d *Detector) Drain() []alert.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.pending
	d.pending = nil
	return out
}

// Stats counts what the detector holds.
type Stats struct {
	Members int    // live members, all kinds
	Firing  int    // clusters whose alert is active
	Late    uint64 // reports ignored because their window had ended
}

// Stats returns the current counts.
func (d *Detector) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := Stats{Late: d.late}
	for _, k := range d.order {
		s.Members += len(k.members)
		s.Firing += k.firing
	}
	return s
}

// Cluster is a firing cluster as the dashboard shows it.
type Cluster struct {
	ID, Kind, Unit  string
	Level           int8
	Members         []string // keys, oldest first (all of them)
	Lon, Lat        float64  // centroid
	FirstAt, LastAt int64
}

// Clusters returns the clusters whose alert is active, by pattern order
// and then ID, with their members as of now (signals since the last
// settle included).
func (d *Detector) Clusters() []Cluster {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Cluster
	for _, k := range d.order {
		start := len(out)
		for _, c := range k.firingClusters() {
			s := shapeOf(c.members)
			members := make([]string, 0, len(c.members))
			for _, m := range sortedByAge(c.members) {
				members = append(members, m.key)
			}
			out = append(out, Cluster{
				ID: c.id, Kind: k.p.Kind, Unit: c.unit, Level: min(c.level()+k.p.Boost, levelRed),
				Members: members, Lon: s.lon, Lat: s.lat, FirstAt: s.firstAt, LastAt: s.lastAt,
			})
		}
		slices.SortFunc(out[start:], func(a, b Cluster) int { return cmp.Compare(a.ID, b.ID) })
	}
	return out
}

// firingClusters finds the fired clusters through their members: the
// detector keeps no list of clusters, only members pointing at them.
func (k *kind) firingClusters() []*cluster {
	seen := map[*cluster]bool{}
	var out []*cluster
	for _, m := range k.members {
		if c := m.c; c.fired && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
