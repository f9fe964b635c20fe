package crew

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// This file is the optimiser proper: a min-cost flow on integers, free of
// the planner's IDs and units.
//
// Network. source → job (capacity 1) → team (capacity 1, cost c(j,t)) →
// sink (capacity = the team's free slots, cost 0), plus a bypass job →
// sink of cost u(j) = M × value(j) that stands for "left unassigned".
// Every job sends its unit of flow, through a team or the bypass, so the
// flow cost is Σ travel cost of the served + M × Σ value of the unserved.
//
// Method: successive shortest paths with Johnson potentials. Jobs are
// inserted one at a time; each insertion augments along the cheapest path
// from the new job to the sink in the residual network. A path either
// ends at a team with a free slot, or at a bypass (the new job, or a job
// displaced along the way, goes unassigned), and in between it moves
// assigned jobs from team to team. After each augmentation the flow is a
// min-cost flow for the jobs inserted so far (SSP invariant), so after
// the last it is optimal; the insertion order changes only the work.
//
// Contraction. An assigned job has exactly one incoming residual arc,
// from its team, so job nodes need not be searched: the search runs over
// teams and the sink, and "team a → team b" means "move some job of a to
// b". The shortest-path search is Dijkstra on a binary heap over these
// m+1 nodes with reduced costs c(i,b) − c(i,a) + π(a) − π(b) ≥ 0; it
// stops as soon as the sink is settled, and the potentials are then
// raised by min(dist, D) (D the sink's distance), which keeps every
// residual reduced cost non-negative (the standard early-exit variant).
//
// Cost: one insertion settles at most m+1 nodes, and settling team a
// scans the feasible teams of the ≤ cap(a) jobs it holds, so it is
// O(Σcap × m + m log m) at worst and O(m) when the nearest feasible team
// has room. Over n jobs: O(n × (Σcap × m + m log m)).

// noPath marks a node the search has not reached.
const noPath = math.MaxInt64 / 2

// flowProblem is one instance in indices: jobs 0..n-1, teams 0..m-1.
type flowProblem struct {
	slots    []int       // per team: free slots
	edges    [][]flowArc // per job: the teams that may take it, at what cost
	unserved []int64     // per job: the cost of leaving it unassigned
	order    []int       // the order to insert jobs in
}

// flowArc is a team that may take a job, and the cost if it does.
type flowArc struct {
	team int32
	cost int64
}

// flowSolver holds the residual network between insertions and the
// search's scratch space, reused across insertions.
type flowSolver struct {
	p      *flowProblem
	sink   int32
	pi     []int64   // potentials: teams, then the sink
	held   [][]int32 // per team: the jobs it holds
	load   []int     // per team: len(held)
	teamOf []int32   // per job: its team, -1 unassigned
	paid   []int64   // per job: the cost of its current arc

	freeSlots int           // slots no job holds, over all teams
	heldWorth map[int64]int // how many held jobs have each unserved cost

	// search state
	dist     []int64
	settled  []bool
	fromTeam []int32 // team node's predecessor team; -1 = the new job
	viaJob   []int32 // the job that moves into the team on that arc
	viaCost  []int64 // that job's cost at the team
	sinkFrom int32   // team whose slot or bypass ends the path; -1 = the new job's bypass
	sinkJob  int32   // job that goes unassigned at the end; -1 = a free slot
	heap     distHeap
}

// solveFlow returns each job's team (-1 = unassigned) in an optimal flow.
func solveFlow(ctx context.Context, p *flowProblem) ([]int32, error) {
	m := len(p.slots)
	s := &flowSolver{
		p: p, sink: int32(m),
		pi:   make([]int64, m+1),
		held: make([][]int32, m), load: make([]int, m),
		teamOf: make([]int32, len(p.edges)), paid: make([]int64, len(p.edges)),
		dist: make([]int64, m+1), settled: make([]bool, m+1),
		fromTeam: make([]int32, m), viaJob: make([]int32, m), viaCost: make([]int64, m),
	}
	for i := range s.teamOf {
		s.teamOf[i] = -1
	}
	for _, n := range p.slots {
		s.freeSlots += n
	}
	s.heldWorth = make(map[int64]int)
	for n, job := range p.order {
		if n%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("plan: %w", err)
			}
		}
		if s.hopeless(int32(job)) {
			break // and so is every job after it: they stay unassigned
		}
		s.insert(int32(job))
	}
	return s.teamOf, nil
}

// insert places job j along the shortest path from it to the sink.
func (s *flowSolver) insert(j int32) {
	s.search(j)
	s.raisePotentials()
	s.augment(j)
}

// hopeless reports, without a search, that job j and every job inserted
// after it are best left unassigned: every slot is taken and every job
// held is worth more than j. Jobs are inserted by decreasing unserved
// cost, so held jobs are never worth less than j. A path from j must
// end by unassigning some held job i, at cost unserved[i] ≥ unserved[j]
// + M plus travel changes, and those changes are above −M, because M
// exceeds every job's costliest arc added up. So every path costs more
// than j's own bypass, and no cycle through j's bypass is negative. The
// same holds for every later job, which is worth no more than j, and
// nothing changes any more: the flow is final and optimal.
func (s *flowSolver) hopeless(j int32) bool {
	return s.freeSlots == 0 && s.heldWorth[s.p.unserved[j]] == 0
}

// search runs Dijkstra from job j until the sink is settled.
func (s *flowSolver) search(j int32) {
	for v := range s.dist {
		s.dist[v], s.settled[v] = noPath, false
	}
	s.heap = s.heap[:0]
	s.dist[s.sink], s.sinkFrom, s.sinkJob = s.p.unserved[j]-s.pi[s.sink], -1, j
	s.heap.push(s.dist[s.sink], s.sink)
	for _, a := range s.p.edges[j] {
		s.reach(a.team, a.cost-s.pi[a.team], -1, j, a.cost)
	}
	for len(s.heap) > 0 {
		d, v := s.heap.pop()
		if d > s.dist[v] || s.settled[v] {
			continue // a stale heap entry
		}
		s.settled[v] = true
		if v == s.sink {
			return
		}
		s.expand(v)
	}
}

// expand relaxes the arcs out of team a: its free slot, if any, and
// moving any job it holds to another team or to the bypass.
func (s *flowSolver) expand(a int32) {
	if s.load[a] < s.p.slots[a] {
		if d := s.dist[a] + s.pi[a] - s.pi[s.sink]; d < s.dist[s.sink] {
			s.dist[s.sink], s.sinkFrom, s.sinkJob = d, a, -1
			s.heap.push(d, s.sink)
		}
	}
	for _, i := range s.held[a] {
		base := s.dist[a] + s.pi[a] - s.paid[i]
		for _, arc := range s.p.edges[i] {
			if b := arc.team; !s.settled[b] {
				s.reach(b, base+arc.cost-s.pi[b], a, i, arc.cost)
			}
		}
		if d := base + s.p.unserved[i] - s.pi[s.sink]; d < s.dist[s.sink] {
			s.dist[s.sink], s.sinkFrom, s.sinkJob = d, a, i
			s.heap.push(d, s.sink)
		}
	}
}

// reach records a path to team b of length d if it is shorter. A path
// no shorter than the sink's is not recorded: b would not be settled
// before the sink, and raisePotentials treats it as at the sink's
// distance either way.
func (s *flowSolver) reach(b int32, d int64, from, job int32, cost int64) {
	if d < s.dist[b] && d < s.dist[s.sink] {
		s.dist[b], s.fromTeam[b], s.viaJob[b], s.viaCost[b] = d, from, job, cost
		s.heap.push(d, b)
	}
}

// raisePotentials adds min(dist, D) to every potential, D being the
// sink's distance, so reduced costs stay non-negative on every residual
// arc, including those the augmentation is about to reverse (they are
// tight: reduced cost 0).
func (s *flowSolver) raisePotentials() {
	d := s.dist[s.sink]
	for v := range s.pi {
		s.pi[v] += min(s.dist[v], d)
	}
}

// augment sends one unit along the path the search found, walking it
// back from the sink: the end frees or uses a slot, every team on the way
// hands one job on, and job j joins the first team.
func (s *flowSolver) augment(j int32) {
	t := s.sinkFrom
	switch {
	case t < 0:
		return // cheapest to leave j unassigned
	case s.sinkJob < 0:
		s.load[t]++
		s.freeSlots--
	default:
		s.release(t, s.sinkJob)
		s.teamOf[s.sinkJob] = -1
		s.heldWorth[s.p.unserved[s.sinkJob]]--
	}
	s.heldWorth[s.p.unserved[j]]++
	for {
		job, from := s.viaJob[t], s.fromTeam[t]
		s.held[t] = append(s.held[t], job)
		s.teamOf[job], s.paid[job] = t, s.viaCost[t]
		if from < 0 {
			return
		}
		s.release(from, job)
		t = from
	}
}

// release takes job i off team t's list; the slot passes to whoever
// takes its place on the path.
func (s *flowSolver) release(t, i int32) {
	k := slices.Index(s.held[t], i)
	last := len(s.held[t]) - 1
	s.held[t][k] = s.held[t][last]
	s.held[t] = s.held[t][:last]
}

// distHeap is a binary min-heap of (distance, node), with stale entries
// skipped by the caller instead of decrease-key.
type distHeap []heapEntry

type heapEntry struct {
	d int64
	v int32
}

func (h *distHeap) push(d int64, v int32) {
	*h = append(*h, heapEntry{d, v})
	a := *h
	for i := len(a) - 1; i > 0; {
		parent := (i - 1) / 2
		if a[parent].d <= a[i].d {
			break
		}
		a[parent], a[i] = a[i], a[parent]
		i = parent
	}
}

func (h *distHeap) pop() (int64, int32) {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < last && a[l].d < a[small].d {
			small = l
		}
		if r < last && a[r].d < a[small].d {
			small = r
		}
		if small == i {
			break
		}
		a[i], a[small] = a[small], a[i]
		i = small
	}
	*h = a
	return top.d, top.v
}
