// Package crew owns field teams at work (指挥调度): how long a team takes
// to reach a place (Travel), whether it is on duty (OnShift, States),
// and the planner that assigns open incidents to teams (Planner).
//
// The planner is exact: it solves a min-cost flow whose objective is,
// in order, to place every urgent job it can, to serve as much priority
// as the teams' capacity allows, and to minimise Σ priority × travel
// seconds, honouring skills, shifts, capacity and dispatchers' pins.
// Replan re-plans when an urgent incident arrives and moves settled jobs
// only when that pays for the churn. docs/dispatch.md gives the model,
// the method, its complexity and the defaults.
//
// Teams themselves (model.Team) are stored through store.Teams.
// Everything here is pure computation on values passed in: the time is an
// argument, never read from the clock, except Plan.Elapsed.
package crew
