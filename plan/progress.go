package plan

import (
	"context"
	"fmt"

	"cityvitals/model"
)

// maxMergeHops bounds how far Progress follows an incident merged into
// another, so a cycle in bad data cannot loop.
const maxMergeHops = 8

// Progress is the one-page view of an activation: each task's incident
// and where it stands, and the totals.
type Progress struct {
	Activation model.Activation `json:"activation"`
	PlanNameZH string           `json:"plan_name_zh"`
	PlanNameEN string           `json:"plan_name_en"`
	At         int64            `json:"at"` // when it was computed, Unix ms
	Tasks      []TaskProgress   `json:"tasks"`
	Total      int              `json:"total"`
	Done       int              `json:"done"`
	Overdue    int              `json:"overdue"`
	Failed     int              `json:"failed"` // tasks without an incident
}

// TaskProgress is where one task stands. Done means its incident is
// closed or evaluated; Overdue means the deadline has passed and work is
// still due (an incident still open, or none at all). A cancelled
// incident is neither.
type TaskProgress struct {
	model.ActivationTask
	State      model.IncidentState `json:"state,omitempty"`
	MergedInto int64               `json:"merged_into,omitempty"` // the incident whose state this is, if merged
	Done       bool                `json:"done"`
	DoneAt     int64               `json:"done_at,omitempty"` // Unix ms
	Late       bool                `json:"late,omitempty"`    // done after the deadline
	Overdue    bool                `json:"overdue"`
}

// Progress reads where every task of activation id stands now.
// ENOTFOUND for an unknown activation. An incident that no longer exists
// is shown as a task without incident, with the reason in Error.
func (s *Service) Progress(ctx context.Context, id int64) (Progress, error) {
	a, err := s.store.Activation(ctx, id)
	if err != nil {
		return Progress{}, fmt.Errorf("progress of activation %d: %w", id, err)
	}
	p, err := s.store.PlanVersion(ctx, a.PlanID, a.Version)
	if err != nil {
		return Progress{}, fmt.Errorf("progress of activation %d: %w", id, err)
	}
	out := Progress{Activation: a, PlanNameZH: p.NameZH, PlanNameEN: p.NameEN, At: s.now().UnixMilli(),
		Tasks: make([]TaskProgress, len(a.Tasks)), Total: len(a.Tasks)}
	for i, t := range a.Tasks {
		tp, err := s.taskProgress(ctx, t, out.At)
		if err != nil {
			return Progress{}, fmt.Errorf("progress of activation %d: %w", id, err)
		}
		out.Tasks[i] = tp
		out.Done += count(tp.Done)
		out.Overdue += count(tp.Overdue)
		out.Failed += count(tp.IncidentID == 0)
	}
	return out, nil
}

func (s *Service) taskProgress(ctx context.Context, t model.ActivationTask, now int64) (TaskProgress, error) {
	tp := TaskProgress{ActivationTask: t}
	if t.IncidentID != 0 {
		inc, err := s.followMerges(ctx, t.IncidentID)
		switch {
		case model.ErrorCode(err) == model.ENOTFOUND:
			tp.IncidentID, tp.Error = 0, fmt.Sprintf("incident %d no longer exists", t.IncidentID)
		case err != nil:
			return tp, fmt.Errorf("task %q: %w", t.TaskID, err)
		default:
			tp.State = inc.State
			if inc.ID != t.IncidentID {
				tp.MergedInto = inc.ID
			}
			tp.Done = inc.State == model.IncidentClosed || inc.State == model.IncidentEvaluated
			if tp.Done {
				tp.DoneAt = inc.ClosedAt
				tp.Late = inc.ClosedAt > t.DeadlineAt
			}
		}
	}
	workDue := tp.IncidentID == 0 || tp.State.Open()
	tp.Overdue = !tp.Done && workDue && now > t.DeadlineAt
	return tp, nil
}

// followMerges reads incident id, or the incident it was merged into.
func (s *Service) followMerges(ctx context.Context, id int64) (model.Incident, error) {
	inc, err := s.incidents.Incident(ctx, id)
	for hops := 0; err == nil && inc.State == model.IncidentMerged && inc.MergedInto != 0 && hops < maxMergeHops; hops++ {
		inc, err = s.incidents.Incident(ctx, inc.MergedInto)
	}
	return inc, err
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}
