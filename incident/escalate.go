package incident

import (
	"context"
	"fmt"
	"time"

	"cityvitals/model"
)

// systemActor names the platform itself in incident histories.
const systemActor = "system"

// Escalate looks at every open incident whose SLA clocks run and raises
// its escalation (督办) when a deadline has come near, passed, or long
// passed. Each step is stored with an event once: the stored escalation
// level is what keeps a step from being announced twice, across restarts
// too. It returns the incidents it escalated.
func (s *Service) Escalate(ctx context.Context) ([]model.Incident, error) {
	clocked, err := s.st.ClockedIncidents(ctx)
	if err != nil {
		return nil, fmt.Errorf("escalate: %w", err)
	}
	now := s.now()
	var raised []model.Incident
	for _, inc := range clocked {
		if inc.State == model.IncidentSuspended || inc.Clock.PausedAt > 0 || inc.DisposedAt > 0 {
			continue // on hold, or disposed and awaiting verification
		}
		level := s.clocks.Escalation(inc.Clock, inc.RespondedAt > 0, now)
		if level <= inc.Escalation {
			continue
		}
		stored, err := s.escalate(ctx, inc, level, now)
		if err != nil {
			return raised, err
		}
		raised = append(raised, stored)
	}
	return raised, nil
}

func (s *Service) escalate(ctx context.Context, inc model.Incident, level model.Escalation, now time.Time) (model.Incident, error) {
	from := inc.Escalation
	inc.Escalation, inc.UpdatedAt = level, now.UnixMilli()
	ev := model.IncidentEvent{
		At: now.UnixMilli(), Actor: systemActor, Action: "escalate", From: inc.State, To: inc.State,
		Note: escalationNote(inc, level),
		Data: map[string]any{
			"from": int(from), "to": int(level), "supervisor": inc.Clock.Supervisor,
			"respond_by": inc.Clock.RespondBy, "dispose_by": inc.Clock.DisposeBy,
		},
	}
	stored, err := s.st.UpdateIncident(ctx, inc, s.places.Ancestors(inc.Unit), ev)
	s.writes.Add(1)
	if err != nil {
		return stored, fmt.Errorf("escalate incident %d: %w", inc.ID, err)
	}
	if err := s.audit.Record(ctx, systemActor, "incident.escalate", fmt.Sprintf("incident/%d", inc.ID), ev.Data); err != nil {
		s.log.Error("audit incident escalation", "incident", inc.ID, "err", err)
	}
	for _, fn := range s.listen {
		fn(Change{Incident: stored, Event: ev})
	}
	return stored, nil
}

func escalationNote(inc model.Incident, level model.Escalation) string {
	deadline := inc.Clock.DisposeBy
	what := "处置"
	if inc.RespondedAt == 0 {
		deadline, what = inc.Clock.RespondBy, "签收"
	}
	at := time.UnixMilli(deadline).UTC().Format(time.RFC3339)
	switch level {
	case model.EscalationNear:
		return fmt.Sprintf("%s时限将至（%s）：提醒 %s", what, at, inc.Dept)
	case model.EscalationOverdue:
		return fmt.Sprintf("%s已超期（时限 %s）：督办 %s，抄送 %s", what, at, inc.Dept, inc.Clock.Supervisor)
	default:
		return fmt.Sprintf("%s严重超期（时限 %s）：升级督办至 %s", what, at, inc.Clock.Supervisor)
	}
}

// RunEscalation calls Escalate every interval until ctx ends.
func (s *Service) RunEscalation(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Escalate(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("incident escalation", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
