package plan

import (
	"cmp"
	"slices"

	"cityvitals/model"
)

// triggerIndex is an immutable snapshot of the plans alerts can
// activate: the latest version of each plan that has triggers and is not
// retired, in id order. Changes build a new index and swap the pointer,
// so MatchAlert never waits.
type triggerIndex struct {
	plans []model.Plan
}

func newTriggerIndex(plans []model.Plan) *triggerIndex {
	x := &triggerIndex{}
	for _, p := range plans {
		if len(p.Triggers) > 0 && !p.Retired {
			x.plans = append(x.plans, p)
		}
	}
	slices.SortFunc(x.plans, func(a, b model.Plan) int { return cmp.Compare(a.ID, b.ID) })
	return x
}

// with returns a copy of x in which p is the version of plan p.ID.
func (x *triggerIndex) with(p model.Plan) *triggerIndex {
	plans := slices.DeleteFunc(slices.Clone(x.plans), func(o model.Plan) bool { return o.ID == p.ID })
	return newTriggerIndex(append(plans, p))
}

// MatchAlert returns the plans a firing alert activates: those with a
// trigger that matches the alert's rule, labels (domain, indicator,
// unit's level) and level. Of the plans for one event type only the one
// with the highest level is returned, since a red rainstorm calls for the
// red plan, not also the blue, yellow and orange ones. Alerts that are
// not firing match nothing. The result is ordered by event type.
func (s *Service) MatchAlert(a model.Alert) []model.Plan {
	if a.State != model.AlertFiring {
		return nil
	}
	var out []model.Plan
	for _, p := range s.triggers.Load().plans {
		if !slices.ContainsFunc(p.Triggers, func(t model.PlanTrigger) bool { return s.triggerMatches(t, a) }) {
			continue
		}
		i := slices.IndexFunc(out, func(o model.Plan) bool { return o.EventType == p.EventType })
		switch {
		case i < 0:
			out = append(out, p)
		case p.Level > out[i].Level:
			out[i] = p
		}
	}
	slices.SortFunc(out, func(a, b model.Plan) int { return cmp.Compare(a.EventType, b.EventType) })
	return out
}

func (s *Service) triggerMatches(t model.PlanTrigger, a model.Alert) bool {
	if a.Level < t.MinLevel ||
		(t.Rule != "" && t.Rule != a.Rule) ||
		(t.Domain != "" && t.Domain != a.Labels["domain"]) ||
		(t.Indicator != "" && t.Indicator != a.Labels["indicator"]) {
		return false
	}
	if t.UnitLevel == "" {
		return true
	}
	if s.unitLevels == nil {
		return false
	}
	level, ok := s.unitLevels(a.Labels["unit"])
	return ok && level == t.UnitLevel
}
