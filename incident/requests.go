package incident

import (
	"fmt"
	"strings"
	"time"

	"cityvitals/auth"
	"cityvitals/model"
)

// maxExtension bounds one extension (延期): longer delays are a
// suspension or a new plan, not an extension.
const maxExtension = 30 * 24 * time.Hour

// request files a return, extension, suspension or cancellation for a
// supervisor to decide. Returns, extensions and suspensions come from the
// responsible department; a cancellation from whoever registers or
// dispatches incidents. One request is pending at a time.
func request(_ *Service, inc *model.Incident, p auth.Principal, c Command, now time.Time) (model.IncidentState, error) {
	if inc.Pending != nil {
		return "", model.Errorf(model.ECONFLICT, "incident %d already has a pending %s request by %s", inc.ID, inc.Pending.Kind, inc.Pending.By)
	}
	if strings.TrimSpace(c.Note) == "" {
		return "", model.Errorf(model.EINVALID, "note: a %s request must give its reason", c.Kind)
	}
	if err := checkRequest(inc, p, c); err != nil {
		return "", err
	}
	req := &model.IncidentRequest{Kind: c.Kind, By: p.Name(), At: now.UnixMilli(), Reason: c.Note, ExtendMin: c.ExtendMinutes}
	if p.User != nil {
		req.Dept = p.User.Dept
	}
	inc.Pending = req
	return inc.State, nil
}

func checkRequest(inc *model.Incident, p auth.Principal, c Command) error {
	disposal := inc.State == model.IncidentDispatched || inc.State == model.IncidentDisposing
	switch c.Kind {
	case RequestReturn, RequestExtend, RequestSuspend:
		if !p.Can(auth.IncidentDispose) && !p.Can(auth.IncidentDispatch) {
			return model.Errorf(model.EFORBIDDEN, "%s may not ask to %s incident %d", p.Name(), c.Kind, inc.ID)
		}
		if p.Can(auth.IncidentDispose) && !p.Can(auth.IncidentDispatch) && !ownDepartment(p, *inc) {
			return model.Errorf(model.EFORBIDDEN, "incident %d belongs to department %q, not to %s's", inc.ID, inc.Dept, p.Name())
		}
		if c.Kind != RequestSuspend && !disposal {
			return model.Errorf(model.ECONFLICT, "incident %d is %s: a %s request needs it dispatched or in disposal", inc.ID, inc.State, c.Kind)
		}
		if c.Kind == RequestSuspend && inc.State == model.IncidentSuspended {
			return model.Errorf(model.ECONFLICT, "incident %d is already suspended", inc.ID)
		}
	case RequestCancel:
		if !p.Can(auth.IncidentDispatch) && !p.Can(auth.IncidentReport) {
			return model.Errorf(model.EFORBIDDEN, "%s may not ask to cancel incident %d", p.Name(), inc.ID)
		}
	default:
		return model.Errorf(model.EINVALID, "kind: %q is not one of return, extend, suspend, cancel", clip(c.Kind))
	}
	if c.Kind == RequestExtend {
		d := time.Duration(c.ExtendMinutes) * time.Minute
		if d <= 0 || d > maxExtension {
			return model.Errorf(model.EINVALID, "extend_minutes: %d is not between 1 and %d", c.ExtendMinutes, int64(maxExtension/time.Minute))
		}
	}
	return nil
}

// approve carries out the pending request. The approver may not be the
// one who asked.
func (s *Service) approve(inc *model.Incident, p auth.Principal, _ Command, now time.Time) (model.IncidentState, error) {
	req := inc.Pending
	if req == nil {
		return "", model.Errorf(model.ECONFLICT, "incident %d has no pending request", inc.ID)
	}
	if req.By == p.Name() {
		return "", model.Errorf(model.EFORBIDDEN, "%s asked for this %s and may not approve it", p.Name(), req.Kind)
	}
	inc.Pending = nil
	switch req.Kind {
	case RequestReturn:
		inc.Returns++
		inc.Dept, inc.Team, inc.Assignee = "", 0, ""
		inc.Clock, inc.Escalation, inc.RespondedAt = model.IncidentClock{}, model.EscalationNone, 0
		return model.IncidentRegistered, nil
	case RequestExtend:
		clock, err := s.clocks.Extend(inc.Clock, time.Duration(req.ExtendMin)*time.Minute, now)
		if err != nil {
			return "", fmt.Errorf("extend the clock of incident %d: %w", inc.ID, err)
		}
		inc.Clock = clock
		inc.Extensions++
		inc.Escalation = s.clocks.Escalation(inc.Clock, inc.RespondedAt > 0, now)
		return inc.State, nil
	case RequestSuspend:
		if inc.State == model.IncidentSuspended {
			return inc.State, nil
		}
		inc.Resumes = inc.State
		if inc.Clock.Start > 0 {
			clock, err := s.clocks.Pause(inc.Clock, now)
			if err != nil {
				return "", fmt.Errorf("pause the clock of incident %d: %w", inc.ID, err)
			}
			inc.Clock = clock
		}
		return model.IncidentSuspended, nil
	case RequestCancel:
		return model.IncidentCancelled, nil
	}
	return "", model.Errorf(model.EINVALID, "pending request kind %q is unknown", req.Kind)
}

// reject turns down the pending request; the note says why.
func reject(_ *Service, inc *model.Incident, _ auth.Principal, c Command, _ time.Time) (model.IncidentState, error) {
	if inc.Pending == nil {
		return "", model.Errorf(model.ECONFLICT, "incident %d has no pending request", inc.ID)
	}
	if strings.TrimSpace(c.Note) == "" {
		return "", model.Errorf(model.EINVALID, "note: say why the %s request is rejected", inc.Pending.Kind)
	}
	inc.Pending = nil
	return inc.State, nil
}

// resume ends a suspension: the incident returns to where it was and
// its deadlines move by the working time it was on hold.
func (s *Service) resume(inc *model.Incident, _ auth.Principal, _ Command, now time.Time) (model.IncidentState, error) {
	if inc.Clock.PausedAt > 0 {
		clock, err := s.clocks.Resume(inc.Clock, now)
		if err != nil {
			return "", fmt.Errorf("resume the clock of incident %d: %w", inc.ID, err)
		}
		inc.Clock = clock
	}
	to := inc.Resumes
	if to == "" {
		to = model.IncidentRegistered
	}
	inc.Resumes = ""
	return to, nil
}
