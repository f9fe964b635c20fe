package crew_test

import (
	"testing"

	"cityvitals/crew"
)

// vec is a cost compared lexicographically: unplaced urgent jobs, then
// unserved priority, then travel cost. Min-cost flow works over any
// ordered group, so this oracle needs no big-M at all.
type vec [3]int64

func (a vec) add(b vec) vec { return vec{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func (a vec) neg() vec      { return vec{-a[0], -a[1], -a[2]} }
func (a vec) less(b vec) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

type oracleArc struct {
	to, rev int
	cap     int
	cost    vec
}

// flowOracle solves the planning problem as a textbook min-cost flow on
// the explicit network (source → job → team → sink, plus a bypass job →
// sink for "unassigned"), one Bellman-Ford shortest path per unit of flow.
// It shares no code with the planner: it is slow and obviously right.
func flowOracle(tb testing.TB, o oracle) score {
	tb.Helper()
	var free []crew.Job
	pinned := score{}
	for _, j := range o.st.Jobs {
		if j.PinnedTeam != 0 {
			pinned.priority += j.Priority
			if j.Urgent {
				pinned.urgent++
			}
			continue
		}
		free = append(free, j)
	}
	n, m := len(free), len(o.st.Teams)
	source, sink := 0, n+m+1
	graph := make([][]oracleArc, n+m+2)
	link := func(u, v, c int, cost vec) {
		graph[u] = append(graph[u], oracleArc{to: v, rev: len(graph[v]), cap: c, cost: cost})
		graph[v] = append(graph[v], oracleArc{to: u, rev: len(graph[u]) - 1, cap: 0, cost: cost.neg()})
	}
	for i, j := range free {
		link(source, 1+i, 1, vec{})
		urgent := int64(0)
		if j.Urgent {
			urgent = 1
		}
		link(1+i, sink, 1, vec{urgent, int64(j.Priority), 0})
		for k, t := range o.st.Teams {
			if o.canTake(t, j) {
				link(1+i, 1+n+k, 1, vec{0, 0, o.cost(tb, t, j)})
			}
		}
	}
	for k, t := range o.st.Teams {
		if slots := t.FreeCapacity - o.pins(t.ID); slots > 0 {
			link(1+n+k, sink, slots, vec{})
		}
	}
	var total vec
	for range n {
		total = total.add(augmentCheapest(graph, source, sink))
	}
	best := pinned // plus every free job, less the unplaced ones
	for _, j := range free {
		best.priority += j.Priority
		if j.Urgent {
			best.urgent++
		}
	}
	best.urgent -= int(total[0])
	best.priority -= int(total[1])
	best.cost = total[2]
	return best
}

// augmentCheapest sends one unit along a cheapest source → sink path
// (Bellman-Ford in its queue form, as residual costs may be negative)
// and returns its cost.
func augmentCheapest(graph [][]oracleArc, source, sink int) vec {
	dist := make([]vec, len(graph))
	reached, queued := make([]bool, len(graph)), make([]bool, len(graph))
	prevNode, prevArc := make([]int, len(graph)), make([]int, len(graph))
	reached[source], queued[source] = true, true
	for queue := []int{source}; len(queue) > 0; {
		u := queue[0]
		queue, queued[u] = queue[1:], false
		for k, a := range graph[u] {
			if a.cap == 0 {
				continue
			}
			if d := dist[u].add(a.cost); !reached[a.to] || d.less(dist[a.to]) {
				dist[a.to], reached[a.to], prevNode[a.to], prevArc[a.to] = d, true, u, k
				if !queued[a.to] {
					queue, queued[a.to] = append(queue, a.to), true
				}
			}
		}
	}
	for v := sink; v != source; v = prevNode[v] {
		a := &graph[prevNode[v]][prevArc[v]]
		a.cap--
		graph[v][a.rev].cap++
	}
	return dist[sink]
}
