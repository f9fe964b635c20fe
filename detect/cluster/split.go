package cluster

// split finds out whether c fell apart since the last settle and, if so,
// moves the parts that broke off into new clusters.
//
// Every part left after removals holds a live member that a removed one
// was linked to (c.starts), so the search starts a breadth-first search
// from each and runs them in turns: searches that meet join, a search
// that runs out of members has found a whole part, and once one search is
// left, the members it has not reached are the last part. The cost is the
// size of the parts that broke off (times the starts), not of c: a large
// cluster losing a well-linked member settles in a few steps.
func (k *kind) split(c *cluster) {
	starts := k.splitStarts(c)
	if len(starts) < 2 {
		return
	}
	parts := k.race(starts)
	if len(parts) == 0 {
		return
	}
	news := make([]*cluster, len(parts))
	for i, part := range parts {
		news[i] = &cluster{}
		for _, m := range part {
			c.drop(m)
			news[i].add(m)
		}
		k.queue(news[i])
	}
	if c.named() {
		k.placeIdentity(c, news)
	}
}

// splitStarts are the distinct live members of c to search from.
func (k *kind) splitStarts(c *cluster) []*member {
	if c.searchAll {
		return append([]*member(nil), c.members...)
	}
	k.epoch++
	var starts []*member
	for _, m := range c.starts {
		if !m.gone && m.c == c && m.seen != k.epoch {
			m.seen = k.epoch
			starts = append(starts, m)
		}
	}
	return starts
}

// search is one breadth-first search of race.
type search struct {
	queue  []*member // found, not yet expanded, from head on
	head   int
	found  []*member
	parent int // union-find over searches: searches that met
	done   bool
}

// race runs a search from each start in turns and returns the parts
// found whole, all but the one left when a single search remains.
func (k *kind) race(starts []*member) [][]*member {
	k.epoch++
	s := make([]search, len(starts))
	for i, m := range starts {
		m.seen, m.owner = k.epoch, i
		s[i] = search{queue: []*member{m}, found: []*member{m}, parent: i}
	}
	root := func(i int) int {
		for s[i].parent != i {
			s[i].parent = s[s[i].parent].parent
			i = s[i].parent
		}
		return i
	}
	var unitsTaken map[string]bool // units whose members a search has visited
	var parts [][]*member
	active := len(starts)
	cur := 0
	visit := func(n *member) {
		if n.seen != k.epoch {
			n.seen, n.owner = k.epoch, cur
			s[cur].queue = append(s[cur].queue, n)
			s[cur].found = append(s[cur].found, n)
		} else if r := root(n.owner); r != cur {
			cur = join(s, cur, r)
			active--
		}
	}
	for active > 1 {
		for i := range s {
			if active <= 1 {
				break
			}
			if s[i].parent != i || s[i].done {
				continue
			}
			g := &s[i]
			if g.head == len(g.queue) {
				g.done = true
				active--
				parts = append(parts, g.found)
				continue
			}
			m := g.queue[g.head]
			g.queue[g.head] = nil
			g.head++
			cur = i
			k.neighbours(m, visit)
			if k.p.SameUnit && m.unit != "" {
				if unitsTaken[m.unit] {
					visit(k.units[m.unit][0]) // joins the search that took the unit
					continue
				}
				if unitsTaken == nil {
					unitsTaken = map[string]bool{}
				}
				unitsTaken[m.unit] = true
				for _, n := range k.units[m.unit] {
					visit(n)
				}
			}
		}
	}
	return parts
}

// join merges search b into a (the smaller into the larger) and returns
// the one that goes on.
func join(s []search, a, b int) int {
	if len(s[a].found) < len(s[b].found) {
		a, b = b, a
	}
	s[a].queue = append(s[a].queue, s[b].queue[s[b].head:]...)
	s[a].found = append(s[a].found, s[b].found...)
	s[b] = search{parent: a}
	return a
}

// placeIdentity gives c's identity to the part holding its namesake, or,
// if the namesake is gone, to the largest part (ties: the one with the
// oldest member); the parts are c and the clusters in news.
func (k *kind) placeIdentity(c *cluster, news []*cluster) {
	holder := c
	if m, ok := k.members[c.idKey]; ok && m.firstAt == c.idAt {
		holder = m.c
	} else {
		for _, nc := range news {
			if len(nc.members) > len(holder.members) ||
				len(nc.members) == len(holder.members) && oldest(nc.members).older(oldest(holder.members)) {
				holder = nc
			}
		}
	}
	if holder != c {
		holder.identity, c.identity = c.identity, identity{}
	}
}
