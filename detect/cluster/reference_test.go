package cluster_test

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"cityvitals/detect/cluster"
)

// reference is the detector's definition done the slow, obvious way: the
// live members kept in a map, clusters found by checking every pair.
type reference struct {
	p       cluster.Pattern
	members map[string]*refMember
}

type refMember struct {
	report           bool
	sources          map[string]int8
	lastAt, expireAt int64
	level            int8
	lon, lat         float64
	unit             string
}

func (r *reference) expire(now int64) {
	for key, m := range r.members {
		if len(m.sources) == 0 && m.expireAt <= now {
			delete(r.members, key)
		}
	}
}

// apply takes a signal no earlier than any before it.
func (r *reference) apply(s cluster.Signal) {
	r.expire(s.At)
	window := r.p.Window.Milliseconds()
	m, ok := r.members[s.Key]
	switch {
	case !ok && !s.Active:
		return
	case !ok:
		m = &refMember{report: s.Report, sources: map[string]int8{}, lastAt: s.At}
		r.members[s.Key] = m
	case s.Report && !s.Active:
		delete(r.members, s.Key)
		return
	}
	m.lastAt = max(m.lastAt, s.At)
	switch {
	case s.Report:
		m.expireAt, m.level = m.lastAt+window, s.Level
	case s.Active:
		m.sources[s.Source] = s.Level
	default:
		if _, ok := m.sources[s.Source]; !ok {
			return
		}
		delete(m.sources, s.Source)
		if len(m.sources) == 0 {
			m.expireAt = m.lastAt + window
			return
		}
	}
	if !s.Report {
		m.level = slices.Max(slices.Collect(maps.Values(m.sources)))
	}
	if s.Active { // an end says nothing about where the emitter is
		m.lon, m.lat, m.unit = s.Lon, s.Lat, s.Unit
	}
}

// clusters returns "level:key,key,…" for every component of at least
// MinKeys members, keys sorted, components sorted.
func (r *reference) clusters() []string {
	keys := slices.Sorted(maps.Keys(r.members))
	members := make([]*refMember, len(keys))
	for i, key := range keys {
		members[i] = r.members[key]
	}
	parent := make([]int, len(keys))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			a, b := members[i], members[j]
			if math.Abs(a.lat-b.lat)*metresPerDegree <= r.p.RadiusM && refDistance(a, b) <= r.p.RadiusM || r.p.SameUnit && a.unit != "" && a.unit == b.unit {
				parent[find(i)] = find(j)
			}
		}
	}
	groups := map[int][]string{}
	levels := map[int]int8{}
	for i, key := range keys {
		root := find(i)
		groups[root] = append(groups[root], key)
		levels[root] = max(levels[root], r.members[key].level)
	}
	var out []string
	for root, g := range groups {
		if len(g) >= r.p.MinKeys {
			out = append(out, fmt.Sprintf("%d:%s", min(levels[root]+r.p.Boost, 4), strings.Join(g, ",")))
		}
	}
	slices.Sort(out)
	return out
}

func refDistance(a, b *refMember) float64 {
	const rad = math.Pi / 180
	dLat, dLon := (b.lat-a.lat)*rad, (b.lon-a.lon)*rad
	sLat, sLon := math.Sin(dLat/2), math.Sin(dLon/2)
	h := sLat*sLat + math.Cos(a.lat*rad)*math.Cos(b.lat*rad)*sLon*sLon
	return 2 * 6_371_008.8 * math.Asin(math.Sqrt(h))
}

func detectorClusters(d *cluster.Detector) []string {
	var out []string
	for _, c := range d.Clusters() {
		out = append(out, fmt.Sprintf("%d:%s", c.Level, strings.Join(slices.Sorted(slices.Values(c.Members)), ",")))
	}
	slices.Sort(out)
	return out
}

// scenario makes random signals over a 1.5 km square for four hours, one
// batch per minute: alarms rising, changing level, moving and ending on
// two sources per sensor; reports made and withdrawn.
func scenario(seed uint64, kind string) [][]cluster.Signal {
	rng := rand.New(rand.NewPCG(seed, 7))
	type pos struct {
		lon, lat float64
		unit     string
	}
	somewhere := func() pos {
		e, n := rng.Float64()*1500, rng.Float64()*1500
		lon, lat := place(e, n)
		unit := fmt.Sprintf("g%d%d", int(e/500), int(n/500))
		if rng.IntN(5) == 0 {
			unit = ""
		}
		return pos{lon, lat, unit}
	}
	sensors := make([]pos, 60)
	for i := range sensors {
		sensors[i] = somewhere()
	}
	reports := []pos{}
	var steps [][]cluster.Signal
	for step := range 240 {
		var batch []cluster.Signal
		for range rng.IntN(6) {
			at := t0 + int64(step)*minute + rng.Int64N(minute)
			s := cluster.Signal{Kind: kind, At: at, Level: int8(1 + rng.IntN(4)), Active: true}
			switch r := rng.IntN(10); {
			case r < 5: // a sensor alarm rises or changes, sometimes after a move
				i := rng.IntN(len(sensors))
				if rng.IntN(50) == 0 {
					sensors[i] = somewhere()
				}
				s.Key, s.Source = fmt.Sprintf("stream:%d", i), []string{"", "anomaly"}[rng.IntN(2)]
				s.Lon, s.Lat, s.Unit = sensors[i].lon, sensors[i].lat, sensors[i].unit
			case r < 8: // an alarm ends
				i := rng.IntN(len(sensors))
				s.Key, s.Source, s.Active = fmt.Sprintf("stream:%d", i), []string{"", "anomaly"}[rng.IntN(2)], false
				s.Lon, s.Lat, s.Unit = sensors[i].lon, sensors[i].lat, sensors[i].unit
			case r < 9 || len(reports) == 0: // a new report
				reports = append(reports, somewhere())
				p := reports[len(reports)-1]
				s = cluster.FromReport(fmt.Sprint(len(reports)-1), kind, p.unit, p.lon, p.lat, at)
			default: // a report is withdrawn
				i := rng.IntN(len(reports))
				p := reports[i]
				s = cluster.FromReport(fmt.Sprint(i), kind, p.unit, p.lon, p.lat, at)
				s.Active = false
			}
			batch = append(batch, s)
		}
		slices.SortStableFunc(batch, func(a, b cluster.Signal) int { return int(a.At - b.At) })
		steps = append(steps, batch)
	}
	return steps
}

func TestMatchesBruteForce(t *testing.T) {
	patterns := []cluster.Pattern{
		{Kind: "near", NameZH: "近", NameEN: "near", RadiusM: 200, Window: 30 * time.Minute, MinKeys: 3, Boost: 1},
		{Kind: "by_unit", NameZH: "同单元", NameEN: "by unit", RadiusM: 150, Window: 20 * time.Minute, MinKeys: 4, SameUnit: true},
	}
	for _, p := range patterns {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%s/seed%d", p.Kind, seed), func(t *testing.T) {
				d := newDetector(t, p)
				ref := &reference{p: p, members: map[string]*refMember{}}
				fired := 0
				for step, batch := range scenario(seed, p.Kind) {
					for _, s := range batch {
						observe(t, d, s)
						ref.apply(s)
					}
					now := t0 + int64(step+1)*minute
					d.Advance(now)
					d.CheckInvariants(t, fmt.Sprint("minute ", step+1))
					ref.expire(now)
					want, got := ref.clusters(), detectorClusters(d)
					if !slices.Equal(got, want) {
						t.Fatalf("after minute %d:\n got %q\nwant %q", step+1, got, want)
					}
					if st := d.Stats(); st.Members != len(ref.members) || st.Firing != len(want) {
						t.Fatalf("after minute %d: stats %+v, want %d members, %d firing", step+1, st, len(ref.members), len(want))
					}
					fired += len(want)
				}
				if fired == 0 {
					t.Fatal("the scenario never formed a cluster")
				}
			})
		}
	}
}

// TestFindingsTrackClusters replays a random scenario and checks the
// findings against the clusters: every firing cluster's latest finding is
// active, at its level, and every other cluster name's latest is a clear.
func TestFindingsTrackClusters(t *testing.T) {
	p := cluster.DefaultPatterns()[0]
	d := newDetector(t, p)
	latest := map[string]int8{}
	for step, batch := range scenario(42, p.Kind) {
		observe(t, d, batch...)
		d.Advance(t0 + int64(step+1)*minute)
		for _, f := range d.Drain() {
			latest[f.Labels["cluster"]] = f.Level
		}
		firing := map[string]int8{}
		for _, c := range d.Clusters() {
			firing[c.ID] = c.Level
		}
		for id, level := range latest {
			if want := firing[id]; level != want {
				t.Fatalf("after minute %d: cluster %s last reported at level %d, is at %d", step+1, id, level, want)
			}
		}
		for id := range firing {
			if _, ok := latest[id]; !ok {
				t.Fatalf("after minute %d: cluster %s firing without a finding", step+1, id)
			}
		}
	}
	if len(latest) < 3 {
		t.Fatalf("only %d clusters ever fired", len(latest))
	}
}
