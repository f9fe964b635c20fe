package campaign

import (
	"context"
	"fmt"
	"time"

	"cityvitals/model"
)

// systemActor names the platform itself in hazard files and the audit log.
const systemActor = "system"

// Escalate finds the rectification deadlines and milestones that have
// passed since the last scan while the hazard is still open or
// rectifying, marks them, and returns them: each is returned by exactly
// one call, across restarts and concurrent scanners too, because marking
// and reading happen in one transaction. A hazard awaiting verification is
// not escalated: its owner has done their part. The caller notifies the
// responsible department (督办); the scan is audited once.
func (s *Service) Escalate(ctx context.Context) ([]model.HazardOverdue, error) {
	found, err := s.st.MarkOverdue(ctx, s.nowMs())
	if err != nil {
		return nil, fmt.Errorf("escalate overdue hazards: %w", err)
	}
	if len(found) == 0 {
		return nil, nil
	}
	items := make([]map[string]any, len(found))
	for i, o := range found {
		items[i] = map[string]any{"hazard": o.Hazard.ID, "milestone": o.Milestone, "due": o.Due,
			"dept": o.Hazard.Dept, "owner": o.Hazard.Owner, "severity": o.Hazard.Severity}
	}
	s.record(ctx, systemActor, "hazard.overdue", "hazards", map[string]any{"items": items})
	return found, nil
}

// RunEscalation calls Escalate every interval until ctx ends and hands
// what it finds to notify (which must not block for long).
func (s *Service) RunEscalation(ctx context.Context, every time.Duration, notify func([]model.HazardOverdue)) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		found, err := s.Escalate(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("hazard escalation", "err", err)
		case len(found) > 0 && notify != nil:
			notify(found)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
