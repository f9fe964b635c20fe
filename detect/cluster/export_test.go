package cluster

import "testing"

// CheckInvariants fails t when the detector's books disagree: a member
// in a dead cluster, one name on two clusters, or a firing count that is
// not the number of fired clusters.
func (d *Detector) CheckInvariants(t testing.TB, where string) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range d.order {
		fired := map[*cluster]bool{}
		names := map[string]*cluster{}
		for _, m := range k.members {
			c := m.c
			if c == nil || c.dead {
				t.Fatalf("%s: member %s has no live cluster", where, m.key)
			}
			if c.fired {
				fired[c] = true
			}
			if o, ok := names[c.id]; ok && c.id != "" && o != c {
				t.Fatalf("%s: name %s on two clusters", where, c.id)
			}
			names[c.id] = c
		}
		if len(fired) != k.firing {
			t.Fatalf("%s: kind %s has %d fired clusters, counts %d", where, k.p.Kind, len(fired), k.firing)
		}
	}
}
