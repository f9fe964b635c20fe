package cluster

import (
	"fmt"

	"cityvitals/alert"
)

// settle decides, at event time t, what the changes since the last settle
// mean: clusters that lost members are searched for splits, merged-away
// alerts are cleared, and every changed cluster fires, updates or clears.
func (k *kind) settle(t int64, names namer, out []alert.Finding) []alert.Finding {
	for i := 0; i < len(k.dirty); i++ { // split appends new parts to dirty
		if c := k.dirty[i]; !c.dead {
			k.split(c)
		}
	}
	for _, r := range k.retired {
		out = append(out, k.mergedFinding(r, t, names))
	}
	for _, c := range k.dirty {
		c.queued, c.starts, c.searchAll = false, nil, false
		if !c.dead {
			out = k.review(c, t, names, out)
		}
	}
	clear(k.dirty)
	k.dirty, k.retired = k.dirty[:0], nil
	return out
}

// review fires a cluster that reached MinKeys members, updates it when
// its level changed or its size moved by a quarter since its last finding
// (so a cluster of hundreds does not send one finding per member), and
// clears it when it fell below MinKeys.
func (k *kind) review(c *cluster, t int64, names namer, out []alert.Finding) []alert.Finding {
	n := len(c.members)
	level := min(c.level()+k.p.Boost, levelRed)
	switch {
	case n >= k.p.MinKeys:
		if !c.named() {
			k.name(c, t)
		}
		if !c.fired {
			c.fired = true
			k.firing++
		} else if level == c.shownLevel && abs(n-c.shown) < max(1, c.shown/4) {
			break
		}
		c.shown, c.shownLevel = n, level
		out = append(out, k.firingFinding(c, level, t, names))
	case c.fired:
		c.fired, c.shown, c.shownLevel = false, 0, 0
		k.firing--
		out = append(out, k.clearedFinding(c, t, names))
	}
	if n == 0 {
		c.dead = true
	}
	return out
}

func abs(x int) int { return max(x, -x) }

// name gives a cluster firing for the first time its identity.
func (k *kind) name(c *cluster, t int64) {
	first := oldest(c.members)
	c.idKey, c.idAt = first.key, first.firstAt
	c.id = fmt.Sprintf("%s:%s@%d", k.p.Kind, first.key, first.firstAt)
	c.unit = mainUnit(c.members)
	c.since = t
}

func oldest(ms []*member) *member {
	first := ms[0]
	for _, m := range ms[1:] {
		if m.older(first) {
			first = m
		}
	}
	return first
}

// mainUnit is the unit holding most members (ties: the smaller code);
// members of unknown unit count only if no member has one.
func mainUnit(ms []*member) string {
	counts := map[string]int{}
	for _, m := range ms {
		if m.unit != "" {
			counts[m.unit]++
		}
	}
	best, most := "", 0
	for u, n := range counts {
		if n > most || n == most && u < best {
			best, most = u, n
		}
	}
	return best
}
