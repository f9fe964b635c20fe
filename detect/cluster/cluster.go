package cluster

// cluster is a connected group of live members of one kind.
type cluster struct {
	members []*member
	levels  [levelRed + 1]int // members per level, so the top is O(1)
	identity
	// starts are the live members a member removed since the last settle
	// was linked to: a split, if any, separates them. searchAll asks for
	// the whole cluster to be searched instead (a member moved).
	starts    []*member
	searchAll bool
	queued    bool // in kind.dirty
	dead      bool // absorbed by another or emptied
}

// identity is what a cluster is known by, set when it first fires: id
// names it after its oldest member then (idKey, idAt); unit is the label
// chosen then. It moves between cluster structs on merges and splits.
type identity struct {
	id, unit   string
	idKey      string
	idAt       int64
	since      int64 // event time it first fired
	fired      bool  // its alert is active
	shown      int   // member count in its last finding
	shownLevel int8  // level in its last finding
}

func (c *cluster) named() bool { return c.id != "" }

func (c *cluster) add(m *member) {
	m.c, m.clusterIdx = c, len(c.members)
	c.members = append(c.members, m)
	c.levels[m.level]++
}

func (c *cluster) drop(m *member) {
	c.members = removeAt(c.members, m.clusterIdx, func(o *member, i int) { o.clusterIdx = i })
	c.levels[m.level]--
	m.c = nil
}

// level is the highest member level.
func (c *cluster) level() int8 {
	for l := levelRed; l > 0; l-- {
		if c.levels[l] > 0 {
			return l
		}
	}
	return 0
}

// firstNamed orders identities by which survives a merge: a named one
// over an unnamed one, then the one that fired first.
func firstNamed(a, b *identity) bool {
	switch {
	case a.id != "" && b.id == "" || a.id == "" && b.id != "":
		return a.id != ""
	case a.since != b.since:
		return a.since < b.since
	}
	return a.id < b.id
}

// retirement is a fired cluster that merged into another; its alert is
// cleared at the next settle.
type retirement struct {
	id, unit, into string
}

// merge joins clusters a (nil for none yet) and b and returns the result.
// The larger absorbs the smaller's members; the identity that fired first
// survives, and a fired identity that does not is retired.
func (k *kind) merge(a, b *cluster) *cluster {
	if a == nil || a == b {
		return b
	}
	keep, drop := a.identity, b.identity
	if firstNamed(&drop, &keep) {
		keep, drop = drop, keep
	}
	if drop.fired {
		k.retired = append(k.retired, retirement{id: drop.id, unit: drop.unit, into: keep.id})
		k.firing--
	}
	big, small := a, b
	if len(small.members) > len(big.members) {
		big, small = small, big
	}
	for _, m := range small.members {
		big.add(m)
	}
	big.identity = keep
	big.starts = append(big.starts, small.starts...)
	big.searchAll = big.searchAll || small.searchAll
	*small = cluster{dead: true, queued: small.queued}
	k.queue(big)
	return big
}

func (k *kind) queue(c *cluster) {
	if !c.queued {
		c.queued = true
		k.dirty = append(k.dirty, c)
	}
}
