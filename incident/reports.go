package incident

import (
	"context"
	"slices"
	"time"

	"cityvitals/auth"
	"cityvitals/model"
)

// AddReport links a citizen report (a duplicate of one already linked, or
// a new report about the same thing) to an open incident.
func (s *Service) AddReport(ctx context.Context, p auth.Principal, id, report int64) (model.Incident, error) {
	inc, err := s.st.Incident(ctx, id)
	if err != nil {
		return inc, err
	}
	if slices.Contains(inc.Reports, report) {
		return inc, nil
	}
	inc.Reports = append(inc.Reports, report)
	inc.UpdatedAt = s.now().UnixMilli()
	ev := s.event(p, "report", inc.State, inc.State, "", nil)
	ev.Data = map[string]any{"report": report}
	return s.store(ctx, p, inc, ev)
}

// CloseImported closes an incident that an import replays from another
// system, where it was verified and closed at `at`: the history says so
// (action "close_imported"), so imported cases are never mistaken for
// ones verified here.
func (s *Service) CloseImported(ctx context.Context, p auth.Principal, id int64, at time.Time, note string) (model.Incident, error) {
	inc, err := s.st.Incident(ctx, id)
	if err != nil || !inc.State.Open() {
		return inc, err
	}
	from := inc.State
	inc.State, inc.ClosedAt, inc.UpdatedAt = model.IncidentClosed, at.UnixMilli(), s.now().UnixMilli()
	ev := s.event(p, "close_imported", from, inc.State, note, nil)
	ev.Data = map[string]any{"closed_at": at.UnixMilli()}
	return s.store(ctx, p, inc, ev)
}

// ReportStatus is the citizen-facing status of a report whose incident
// is in state st, and whether it changed anything worth telling.
func ReportStatus(st model.IncidentState) (model.ReportStatus, bool) {
	switch st {
	case model.IncidentRegistered:
		return model.ReportRegistered, true
	case model.IncidentDispatched, model.IncidentDisposing:
		return model.ReportDispatched, true
	case model.IncidentFedBack:
		return model.ReportDisposed, true
	case model.IncidentClosed, model.IncidentEvaluated:
		return model.ReportClosed, true
	case model.IncidentCancelled:
		return model.ReportRejected, true
	}
	return "", false
}
