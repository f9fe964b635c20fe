package crew

import (
	"cmp"
	"context"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"cityvitals/model"
)

// Job is an open incident waiting for a team.
type Job struct {
	ID       int64    `json:"id"`
	Lon      float64  `json:"lon"` // WGS84
	Lat      float64  `json:"lat"`
	Priority int      `json:"priority"`         // weight ≥ 1; see LevelWeight
	Skills   []string `json:"skills,omitempty"` // every one is required of the team
	Urgent   bool     `json:"urgent,omitempty"` // placed before anything else (see Planner)
	// PinnedTeam is a dispatcher's override: the job goes to this team
	// whatever its skills, shift or load, and uses one of its slots.
	// 0 = the planner decides.
	PinnedTeam int64 `json:"pinned_team,omitempty"`
}

// TeamState is a team as the planner sees it at one moment (see States).
type TeamState struct {
	ID           int64            `json:"id"`
	Lon          float64          `json:"lon"`
	Lat          float64          `json:"lat"`
	Mode         model.TravelMode `json:"mode"`
	Skills       []string         `json:"skills,omitempty"`
	FreeCapacity int              `json:"free_capacity"` // incidents it can still take
	OnShift      bool             `json:"on_shift"`
}

// State is what the planner plans over: the open jobs and the teams.
type State struct {
	Jobs  []Job       `json:"jobs"`
	Teams []TeamState `json:"teams"`
}

// Assignment sends one job to one team.
type Assignment struct {
	Job           int64 `json:"job"`
	Team          int64 `json:"team"`
	TravelSeconds int64 `json:"travel_seconds"`
	Cost          int64 `json:"cost"` // Priority × TravelSeconds
	Pinned        bool  `json:"pinned,omitempty"`
}

// Reason says why a job is left without a team.
type Reason string

const (
	ReasonNoSkill   Reason = "no_skill_match"   // no team has every skill it needs
	ReasonOffShift  Reason = "no_team_on_shift" // teams with the skills exist, none is on duty
	ReasonCapacity  Reason = "no_capacity"      // capable teams on duty are full with weightier work
	ReasonPreempted Reason = "preempted"        // it had a team in the previous plan and lost it to weightier work
)

// Unassigned is a job the plan leaves waiting, and why.
type Unassigned struct {
	Job    int64  `json:"job"`
	Reason Reason `json:"reason"`
}

// Plan is the planner's answer. Assignments and Unassigned follow the
// order of State.Jobs.
type Plan struct {
	Assignments      []Assignment  `json:"assignments"`
	Unassigned       []Unassigned  `json:"unassigned"`
	TotalCost        int64         `json:"total_cost"`        // Σ Assignment.Cost
	UnservedPriority int           `json:"unserved_priority"` // Σ Priority of Unassigned
	Moved            []int64       `json:"moved,omitempty"`   // Replan: jobs whose team changed or was taken away
	Method           string        `json:"method"`
	Elapsed          time.Duration `json:"elapsed"`
}

// Method names the optimisation in every Plan.
const Method = "min-cost flow: successive shortest paths, Dijkstra with Johnson potentials"

// Limits on one planning call. They bound memory (a cost per job and
// team) and keep every cost an exact int64.
const (
	MaxJobs     = 20000
	MaxTeams    = 5000
	MaxPairs    = 4_000_000 // jobs × teams
	MaxPriority = 1000
)

// DefaultChurn is the default Planner.Churn.
const DefaultChurn = 5 * time.Minute

// Planner assigns open jobs to field teams. Safe for concurrent use if
// its Travel is.
//
// Objective, in order: (1) place as many urgent jobs as possible,
// (2) serve as much priority as capacity allows, (3) minimise
// Σ priority × travel seconds. It is solved exactly as one min-cost flow
// whose bypass arcs charge M × value for a job left unassigned, M being
// larger than any possible difference in travel cost, and an urgent job's
// value exceeding the priority of all jobs together. Pinned jobs are
// fixed first and use their team's slots.
type Planner struct {
	Travel Travel
	// Churn is what a re-plan charges for moving a job that had a team
	// to another: priority × Churn in seconds, so a job changes team
	// only if that saves the plan more than Churn of its own travel.
	Churn time.Duration
}

// NewPlanner returns a planner with DefaultTravel and DefaultChurn.
func NewPlanner() *Planner {
	return &Planner{Travel: DefaultTravel(), Churn: DefaultChurn}
}

// Plan assigns st's jobs to its teams. EINVALID naming the field for bad
// input (NaN coordinates, negative capacity, unknown mode, a pin to a team
// not in st, …); ETOOLARGE beyond the limits above.
func (p *Planner) Plan(ctx context.Context, st State) (Plan, error) {
	return p.plan(ctx, st, nil)
}

// Replan plans again when urgent arrives, starting from prev: the urgent
// job (added to st.Jobs, or replacing the job with its ID) is placed
// whenever a capable team on duty has a slot that pins and other urgent
// jobs leave, preempting the least costly work if it must; any other job keeps its team from prev unless moving it saves
// more than the churn charge (see Planner.Churn). Jobs and teams of prev
// that are no longer in st are forgotten.
func (p *Planner) Replan(ctx context.Context, prev Plan, st State, urgent Job) (Plan, error) {
	urgent.Urgent = true
	jobs := slices.Clone(st.Jobs)
	if i := slices.IndexFunc(jobs, func(j Job) bool { return j.ID == urgent.ID }); i >= 0 {
		jobs[i] = urgent
	} else {
		jobs = append(jobs, urgent)
	}
	before := make(map[int64]int64, len(prev.Assignments))
	for _, a := range prev.Assignments {
		before[a.Job] = a.Team
	}
	return p.plan(ctx, State{Jobs: jobs, Teams: st.Teams}, before)
}

// plan is Plan with the previous team of each job (nil: a fresh plan).
func (p *Planner) plan(ctx context.Context, st State, before map[int64]int64) (Plan, error) {
	start := time.Now()
	if err := p.validate(st); err != nil {
		return Plan{}, err
	}
	b, err := p.build(st, before)
	if err != nil {
		return Plan{}, err
	}
	teamOf, err := solveFlow(ctx, &b.flow)
	if err != nil {
		return Plan{}, err
	}
	out := b.result(teamOf, before)
	out.Elapsed = time.Since(start)
	return out, nil
}

// builder turns a State into a flow problem and the answer back.
type builder struct {
	st     State
	pinned []Assignment
	free   []int // indices into st.Jobs of the jobs the flow places
	teams  []int // indices into st.Teams of the flow's teams
	travel [][]int64
	flow   flowProblem
}

func (p *Planner) build(st State, before map[int64]int64) (*builder, error) {
	b := &builder{st: st}
	slots := make([]int, len(st.Teams))
	teamIndex := make(map[int64]int, len(st.Teams))
	for k, t := range st.Teams {
		slots[k], teamIndex[t.ID] = t.FreeCapacity, k
	}
	for i, j := range st.Jobs {
		if j.PinnedTeam == 0 {
			b.free = append(b.free, i)
			continue
		}
		k := teamIndex[j.PinnedTeam]
		secs, err := p.travelSeconds(st.Teams[k], j)
		if err != nil {
			return nil, err
		}
		b.pinned = append(b.pinned, Assignment{Job: j.ID, Team: j.PinnedTeam, TravelSeconds: secs,
			Cost: int64(j.Priority) * secs, Pinned: true})
		slots[k]--
	}
	flowIndex := make([]int32, len(st.Teams))
	for k, t := range st.Teams {
		flowIndex[k] = -1
		if t.OnShift && slots[k] > 0 {
			flowIndex[k] = int32(len(b.teams))
			b.teams = append(b.teams, k)
			b.flow.slots = append(b.flow.slots, slots[k])
		}
	}
	if err := p.addArcs(b, flowIndex, before); err != nil {
		return nil, err
	}
	return b, b.setUnservedCosts()
}

// addArcs gives every free job an arc to each flow team that has its
// skills, costing priority × travel, plus the churn charge for leaving
// the team it had.
func (p *Planner) addArcs(b *builder, flowIndex []int32, before map[int64]int64) error {
	skills := newSkillIndex(b.st)
	churn := int64(p.Churn / time.Second)
	estimate, err := p.estimators(b)
	if err != nil {
		return err
	}
	// One backing array each: a million small appends cost more than the search.
	arcs := make([]flowArc, 0, len(b.free)*len(b.teams))
	travel := make([]int64, 0, cap(arcs))
	b.flow.edges = make([][]flowArc, len(b.free))
	b.travel = make([][]int64, len(b.free))
	for n, i := range b.free {
		job := b.st.Jobs[i]
		need := skills.of(job.Skills)
		prevTeam, hadTeam := before[job.ID]
		first := len(arcs)
		for f, k := range b.teams {
			team := b.st.Teams[k]
			if !skills.teamHas(k, need) {
				continue
			}
			secs, err := estimate[f](job)
			if err != nil {
				return err
			}
			cost := int64(job.Priority) * secs
			if hadTeam && team.ID != prevTeam {
				cost += int64(job.Priority) * churn
			}
			arcs = append(arcs, flowArc{team: flowIndex[k], cost: cost})
			travel = append(travel, secs)
		}
		b.flow.edges[n] = arcs[first:len(arcs):len(arcs)]
		b.travel[n] = travel[first:len(travel):len(travel)]
	}
	return nil
}

// estimators returns, for each flow team, its travel time to a job in
// whole seconds. Without a road graph the per-metre rate is looked up
// once per team rather than once per pair.
func (p *Planner) estimators(b *builder) ([]func(Job) (int64, error), error) {
	out := make([]func(Job) (int64, error), len(b.teams))
	for f, k := range b.teams {
		team := b.st.Teams[k]
		if p.Travel.Roads != nil {
			out[f] = func(j Job) (int64, error) { return p.travelSeconds(team, j) }
			continue
		}
		perMeter, err := p.Travel.secondsPerMeter(team.Mode)
		if err != nil {
			return nil, err
		}
		from := orb.Point{team.Lon, team.Lat}
		out[f] = func(j Job) (int64, error) {
			return wholeSeconds(team, j, orbgeo.DistanceHaversine(from, orb.Point{j.Lon, j.Lat})*perMeter)
		}
	}
	return out, nil
}

// setUnservedCosts prices leaving each job unassigned at M × value and
// orders the insertions. M exceeds the largest total cost any placement
// can have, so serving more value always wins; an urgent job's value
// exceeds the priority of all jobs together. ETOOLARGE if the costs would
// not fit an int64 with room to add them up.
func (b *builder) setUnservedCosts() error {
	var bigM, allPriority uint64 = 1, 0
	for n, i := range b.free {
		var worst int64
		for _, a := range b.flow.edges[n] {
			worst = max(worst, a.cost)
		}
		bigM += uint64(worst)
		allPriority += uint64(b.st.Jobs[i].Priority)
	}
	b.flow.unserved = make([]int64, len(b.free))
	var total uint64
	for n, i := range b.free {
		value := uint64(b.st.Jobs[i].Priority)
		if b.st.Jobs[i].Urgent {
			value += allPriority + 1
		}
		hi, lo := bits.Mul64(bigM, value)
		total += lo
		if hi != 0 || lo > math.MaxInt64/8 || total > math.MaxInt64/8 {
			return model.Errorf(model.ETOOLARGE,
				"plan: %d jobs with these priorities and distances overflow the cost arithmetic; plan fewer or nearer jobs", len(b.free))
		}
		b.flow.unserved[n] = int64(lo)
	}
	b.flow.order = make([]int, len(b.free))
	for n := range b.flow.order {
		b.flow.order[n] = n
	}
	// Weightiest first: they settle near their best team early and are
	// rarely displaced, which keeps later searches short.
	slices.SortStableFunc(b.flow.order, func(x, y int) int {
		return cmp.Compare(b.flow.unserved[y], b.flow.unserved[x])
	})
	return nil
}

// result reads the plan off the flow.
func (b *builder) result(teamOf []int32, before map[int64]int64) Plan {
	out := Plan{Method: Method}
	placed := make(map[int64]Assignment, len(b.st.Jobs))
	for _, a := range b.pinned {
		placed[a.Job] = a
	}
	for n, i := range b.free {
		if t := teamOf[n]; t >= 0 {
			job := b.st.Jobs[i]
			k := slices.IndexFunc(b.flow.edges[n], func(a flowArc) bool { return a.team == t })
			secs := b.travel[n][k]
			placed[job.ID] = Assignment{Job: job.ID, Team: b.st.Teams[b.teams[t]].ID,
				TravelSeconds: secs, Cost: int64(job.Priority) * secs}
		}
	}
	out.Assignments = make([]Assignment, 0, len(placed))
	skills := newSkillIndex(b.st)
	for _, job := range b.st.Jobs {
		a, ok := placed[job.ID]
		if ok {
			out.Assignments = append(out.Assignments, a)
			out.TotalCost += a.Cost
		} else {
			out.Unassigned = append(out.Unassigned, Unassigned{Job: job.ID, Reason: b.reason(job, skills, before)})
			out.UnservedPriority += job.Priority
		}
		if prev, had := before[job.ID]; had && (!ok || a.Team != prev) {
			out.Moved = append(out.Moved, job.ID)
		}
	}
	return out
}

// reason explains why job has no team.
func (b *builder) reason(job Job, skills *skillIndex, before map[int64]int64) Reason {
	need := skills.of(job.Skills)
	capable, onDuty := false, false
	for k, t := range b.st.Teams {
		if skills.teamHas(k, need) {
			capable = true
			onDuty = onDuty || t.OnShift
		}
	}
	switch {
	case !capable:
		return ReasonNoSkill
	case !onDuty:
		return ReasonOffShift
	case b.couldHaveStayed(job, skills, before):
		return ReasonPreempted
	}
	return ReasonCapacity
}

// couldHaveStayed reports whether job had a team in the previous plan
// that is still on duty with the skills, so only weightier work took it.
func (b *builder) couldHaveStayed(job Job, skills *skillIndex, before map[int64]int64) bool {
	prev, had := before[job.ID]
	if !had {
		return false
	}
	k := slices.IndexFunc(b.st.Teams, func(t TeamState) bool { return t.ID == prev })
	return k >= 0 && b.st.Teams[k].OnShift && skills.teamHas(k, skills.of(job.Skills))
}

// travelSeconds is the team's travel time to the job in whole seconds.
func (p *Planner) travelSeconds(t TeamState, j Job) (int64, error) {
	s, err := p.Travel.Seconds(t.Mode, orb.Point{t.Lon, t.Lat}, orb.Point{j.Lon, j.Lat})
	if err != nil {
		return 0, err
	}
	return wholeSeconds(t, j, s)
}

// wholeSeconds rounds a travel time; costs are whole priority-seconds so
// that the optimiser's arithmetic is exact. ETOOLARGE beyond
// maxTravelSeconds.
func wholeSeconds(t TeamState, j Job, s float64) (int64, error) {
	if s > maxTravelSeconds {
		return 0, model.Errorf(model.ETOOLARGE, "plan: team %d is %.0f s from job %d, beyond the %d s the planner handles",
			t.ID, s, j.ID, int64(maxTravelSeconds))
	}
	return int64(math.Round(s)), nil
}

// maxTravelSeconds bounds one travel time (a walk half round the Earth
// takes about 6 × 10⁶ s) so every cost stays exact.
const maxTravelSeconds = 1e8

// LevelWeight returns the default priority weight of a warning level
// (1 blue, 2 yellow, 3 orange, 4 red, as in model.Alert): blue 1,
// yellow 2, orange 4, red 8, so one red incident weighs as much as eight
// blue ones. ok is false for any other level.
func LevelWeight(level int8) (weight int, ok bool) {
	switch level {
	case 1, 2, 3, 4:
		return 1 << (level - 1), true
	}
	return 0, false
}
