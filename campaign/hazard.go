package campaign

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

const (
	dayMs = int64(24 * time.Hour / time.Millisecond)
	// maxMilestones bounds a rectification timetable.
	maxMilestones = 50
)

// defaultDeadline is the end of the day, in the service's zone, that
// lies the campaign's number of days for the severity after at.
func (s *Service) defaultDeadline(c model.Campaign, sev model.HazardSeverity, at int64) int64 {
	days := c.Deadlines.General
	if sev == model.SeverityMajor {
		days = c.Deadlines.Major
	}
	return s.endOfDay(at, days)
}

// endOfDay returns midnight after the day that lies days after at.
func (s *Service) endOfDay(at int64, days int) int64 {
	t := time.UnixMilli(at).In(s.loc)
	y, m, d := t.Date()
	return time.Date(y, m, d+days+1, 0, 0, 0, 0, s.loc).UnixMilli()
}

// NewHazard is a hazard registered outside an inspection task: found on
// a patrol, reported by a citizen, found again in the review (回头看).
type NewHazard struct {
	Campaign    int64                `json:"campaign"`
	Asset       string               `json:"asset"`
	Category    string               `json:"category"`
	Severity    model.HazardSeverity `json:"severity"`
	Description string               `json:"description"`
	FoundAt     int64                `json:"found_at"` // Unix ms; 0 = now
	Photos      []string             `json:"photos"`
	Lon         *float64             `json:"lon,omitempty"`
	Lat         *float64             `json:"lat,omitempty"`
	Dept        string               `json:"dept,omitempty"`     // "" = the asset's owner
	Deadline    int64                `json:"deadline,omitempty"` // 0 = the campaign's default for the severity
}

// ReportHazard registers a hazard found outside an inspection task, by
// actor. EINVALID names the field at fault; ENOTFOUND for an unknown
// campaign or asset.
func (s *Service) ReportHazard(ctx context.Context, actor string, n NewHazard) (model.Hazard, error) {
	if err := checkActor(actor); err != nil {
		return model.Hazard{}, err
	}
	c, err := s.st.Campaign(ctx, n.Campaign)
	if err != nil {
		return model.Hazard{}, fmt.Errorf("report hazard: %w", err)
	}
	a, err := s.st.Asset(ctx, n.Asset)
	if err != nil {
		return model.Hazard{}, fmt.Errorf("report hazard: %w", err)
	}
	now := s.nowMs()
	if n.FoundAt == 0 {
		n.FoundAt = now
	}
	if err := s.checkNewHazard(c, a, n, now); err != nil {
		return model.Hazard{}, err
	}
	h := s.newHazard(c, a, n, actor, now)
	ev := model.HazardEvent{At: now, Actor: actor, Action: "report", To: h.State, Note: h.Description, Evidence: h.Photos}
	stored, err := s.st.CreateHazard(ctx, h, ev)
	if err != nil {
		return model.Hazard{}, fmt.Errorf("report hazard on asset %q: %w", n.Asset, err)
	}
	s.record(ctx, actor, "hazard.report", hazardTarget(stored.ID), map[string]any{
		"campaign": c.ID, "asset": a.ID, "severity": h.Severity, "category": h.Category, "deadline": h.Deadline,
	})
	return stored, nil
}

func (s *Service) checkNewHazard(c model.Campaign, a model.Asset, n NewHazard, now int64) error {
	switch {
	case !s.inScope(c, a.Unit):
		return model.Errorf(model.EINVALID, "asset: %q lies in unit %q, outside the scope of campaign %d", a.ID, a.Unit, c.ID)
	case !n.Severity.Valid():
		return model.Errorf(model.EINVALID, "severity: %q: want major or general", clip(string(n.Severity)))
	case n.Category == "" || len(n.Category) > 48:
		return model.Errorf(model.EINVALID, "category: missing or too long")
	case strings.TrimSpace(n.Description) == "":
		return model.Errorf(model.EINVALID, "description: missing")
	case len(n.Photos) == 0:
		return model.Errorf(model.EINVALID, "photos: a hazard is registered with at least one photo")
	case !c.Within(n.FoundAt):
		return model.Errorf(model.EINVALID, "found_at: %s is outside the campaign period %s – %s", rfc3339(n.FoundAt), rfc3339(c.StartAt), rfc3339(c.EndAt))
	case n.FoundAt > now+clockSkew:
		return model.Errorf(model.EINVALID, "found_at: %s is in the future", rfc3339(n.FoundAt))
	case n.Deadline != 0 && n.Deadline <= n.FoundAt:
		return model.Errorf(model.EINVALID, "deadline: %s is not after found_at %s", rfc3339(n.Deadline), rfc3339(n.FoundAt))
	case n.Dept != "" && !codePattern.MatchString(n.Dept):
		return model.Errorf(model.EINVALID, "dept: %q is not a department id", clip(n.Dept))
	}
	if _, ok := s.checklists.Category(n.Category); !ok {
		return model.Errorf(model.EINVALID, "category: %q is not a problem category", clip(n.Category))
	}
	for _, p := range [][]FieldError{checkText("description", n.Description), checkPhotos("photos", n.Photos), checkPoint(n.Lon, n.Lat)} {
		if len(p) > 0 {
			return model.Errorf(model.EINVALID, "%s: %s", p[0].Field, p[0].Message)
		}
	}
	return nil
}

func (s *Service) newHazard(c model.Campaign, a model.Asset, n NewHazard, actor string, now int64) model.Hazard {
	h := model.Hazard{
		Campaign: c.ID, Asset: a.ID, AssetType: a.Type, Unit: a.Unit, District: s.place(a.Unit, nil).District,
		Category: n.Category, Severity: n.Severity, Description: strings.TrimSpace(n.Description),
		FoundAt: n.FoundAt, FoundBy: actor, Photos: n.Photos, Dept: n.Dept, State: model.HazardOpen,
		Deadline: n.Deadline, CreatedAt: now, UpdatedAt: now,
	}
	if h.Dept == "" {
		h.Dept = a.Dept
	}
	if h.Deadline == 0 {
		h.Deadline = s.defaultDeadline(c, n.Severity, n.FoundAt)
	}
	if n.Lon != nil {
		h.Lon, h.Lat, h.HasPoint = *n.Lon, *n.Lat, true
	}
	return h
}

// MilestoneInput is one step of a rectification timetable.
type MilestoneInput struct {
	Title string `json:"title"`
	Due   int64  `json:"due"` // Unix ms
}

// Plan is how a hazard will be rectified: who answers for it, by when,
// how the risk is controlled meanwhile, and the steps on the way.
type Plan struct {
	Dept       string           `json:"dept,omitempty"` // "" keeps the current department
	Owner      string           `json:"owner"`          // the responsible person (责任人)
	Deadline   int64            `json:"deadline"`       // Unix ms; 0 keeps the current deadline
	Measures   string           `json:"measures,omitempty"`
	Milestones []MilestoneInput `json:"milestones,omitempty"` // replace the milestones not done yet
	Note       string           `json:"note,omitempty"`
}

// PlanRectification sets or revises the rectification plan of an open or
// rectifying hazard and moves it to rectifying. A major hazard needs
// interim measures and at least one milestone. Milestones are due in
// order, after the discovery and no later than the deadline; milestones
// already done are kept. Moving the deadline re-arms its escalation.
func (s *Service) PlanRectification(ctx context.Context, actor string, id int64, p Plan) (model.Hazard, error) {
	return s.change(ctx, actor, id, "plan", func(h *model.Hazard, now int64) (model.HazardEvent, error) {
		if err := mustBeIn(h, model.HazardOpen, model.HazardRectifying); err != nil {
			return model.HazardEvent{}, err
		}
		ev := model.HazardEvent{Note: p.Note, Data: map[string]any{"owner": p.Owner, "deadline": p.Deadline}}
		if err := s.applyPlan(h, p, now); err != nil {
			return ev, err
		}
		ev.Data["deadline"], ev.Data["milestones"], ev.Data["dept"] = h.Deadline, len(h.Milestones), h.Dept
		h.State = model.HazardRectifying
		return ev, nil
	})
}

func (s *Service) applyPlan(h *model.Hazard, p Plan, now int64) error {
	p.Owner, p.Measures = strings.TrimSpace(p.Owner), strings.TrimSpace(p.Measures)
	switch {
	case p.Owner == "" || len(p.Owner) > maxNameBytes:
		return model.Errorf(model.EINVALID, "owner: name the responsible person (at most %d bytes)", maxNameBytes)
	case p.Dept != "" && !codePattern.MatchString(p.Dept):
		return model.Errorf(model.EINVALID, "dept: %q is not a department id", clip(p.Dept))
	case len(p.Milestones) > maxMilestones:
		return model.Errorf(model.ETOOLARGE, "milestones: at most %d", maxMilestones)
	}
	if probs := append(checkText("measures", p.Measures), checkText("note", p.Note)...); len(probs) > 0 {
		return model.Errorf(model.EINVALID, "%s: %s", probs[0].Field, probs[0].Message)
	}
	deadline := h.Deadline
	if p.Deadline != 0 {
		deadline = p.Deadline
	}
	if deadline <= h.FoundAt {
		return model.Errorf(model.EINVALID, "deadline: %s is not after the discovery at %s", rfc3339(deadline), rfc3339(h.FoundAt))
	}
	if p.Deadline != 0 && p.Deadline != h.Deadline && p.Deadline <= now {
		return model.Errorf(model.EINVALID, "deadline: %s has already passed", rfc3339(p.Deadline))
	}
	milestones, err := planMilestones(h, p.Milestones, deadline)
	if err != nil {
		return err
	}
	if h.Severity == model.SeverityMajor {
		if err := checkMajorPlan(p.Measures, milestones); err != nil {
			return err
		}
	}
	if deadline != h.Deadline {
		h.OverdueAt = 0
	}
	h.Owner, h.Deadline, h.Measures, h.Milestones = p.Owner, deadline, p.Measures, milestones
	if p.Dept != "" {
		h.Dept = p.Dept
	}
	return nil
}

// checkMajorPlan holds a major hazard to what its rectification needs:
// control of the risk meanwhile (临时管控措施) and a timetable.
func checkMajorPlan(measures string, milestones []model.Milestone) error {
	if measures == "" {
		return model.Errorf(model.EINVALID, "measures: a major hazard needs interim control measures while it is rectified")
	}
	if len(milestones) == 0 {
		return model.Errorf(model.EINVALID, "milestones: a major hazard needs a timetable of at least one milestone")
	}
	return nil
}

// planMilestones keeps the done milestones and appends the new ones,
// numbered on from them.
func planMilestones(h *model.Hazard, in []MilestoneInput, deadline int64) ([]model.Milestone, error) {
	var out []model.Milestone
	last, seq := h.FoundAt, 0
	for _, m := range h.Milestones {
		if m.DoneAt > 0 {
			out = append(out, m)
			last, seq = max(last, m.Due), max(seq, m.Seq)
		}
	}
	for i, m := range in {
		field := fmt.Sprintf("milestones[%d]", i)
		title := strings.TrimSpace(m.Title)
		switch {
		case title == "" || len(title) > maxNameBytes:
			return nil, model.Errorf(model.EINVALID, "%s.title: missing or longer than %d bytes", field, maxNameBytes)
		case m.Due > deadline:
			return nil, model.Errorf(model.EINVALID, "%s.due: %s is after the deadline %s", field, rfc3339(m.Due), rfc3339(deadline))
		case m.Due <= last:
			return nil, model.Errorf(model.EINVALID, "%s.due: %s is not after %s (the discovery or the milestone before)", field, rfc3339(m.Due), rfc3339(last))
		}
		seq++
		out = append(out, model.Milestone{Seq: seq, Title: title, Due: m.Due})
		last = m.Due
	}
	return out, nil
}

// Evidence is what a person reports with a step of rectification.
type Evidence struct {
	Note     string   `json:"note,omitempty"`
	Evidence []string `json:"evidence"` // attachment content hashes
}

func (e Evidence) check() error {
	if len(e.Evidence) == 0 {
		return model.Errorf(model.EINVALID, "evidence: attach at least one photo or document")
	}
	for _, p := range [][]FieldError{checkPhotos("evidence", e.Evidence), checkText("note", e.Note)} {
		if len(p) > 0 {
			return model.Errorf(model.EINVALID, "%s: %s", p[0].Field, p[0].Message)
		}
	}
	return nil
}

// CompleteMilestone marks milestone seq of a rectifying hazard done.
func (s *Service) CompleteMilestone(ctx context.Context, actor string, id int64, seq int, e Evidence) (model.Hazard, error) {
	return s.change(ctx, actor, id, "milestone", func(h *model.Hazard, now int64) (model.HazardEvent, error) {
		if err := mustBeIn(h, model.HazardRectifying); err != nil {
			return model.HazardEvent{}, err
		}
		i := slices.IndexFunc(h.Milestones, func(m model.Milestone) bool { return m.Seq == seq })
		switch {
		case i < 0:
			return model.HazardEvent{}, model.Errorf(model.ENOTFOUND, "hazard %d has no milestone %d", h.ID, seq)
		case h.Milestones[i].DoneAt > 0:
			return model.HazardEvent{}, model.Errorf(model.ECONFLICT, "milestone %d of hazard %d was done at %s", seq, h.ID, rfc3339(h.Milestones[i].DoneAt))
		}
		if err := e.check(); err != nil {
			return model.HazardEvent{}, err
		}
		m := &h.Milestones[i]
		m.DoneAt, m.DoneBy, m.Evidence, m.Note = now, actor, e.Evidence, e.Note
		return model.HazardEvent{Note: e.Note, Evidence: e.Evidence, Data: map[string]any{"milestone": seq, "late": now > m.Due}}, nil
	})
}

// Rectify reports an open or rectifying hazard rectified, with evidence,
// and moves it to awaiting verification. Every milestone must be done.
// The actor becomes the rectifier, who may not verify it.
func (s *Service) Rectify(ctx context.Context, actor string, id int64, e Evidence) (model.Hazard, error) {
	return s.change(ctx, actor, id, "rectify", func(h *model.Hazard, now int64) (model.HazardEvent, error) {
		if err := mustBeIn(h, model.HazardOpen, model.HazardRectifying); err != nil {
			return model.HazardEvent{}, err
		}
		if err := e.check(); err != nil {
			return model.HazardEvent{}, err
		}
		for _, m := range h.Milestones {
			if m.DoneAt == 0 {
				return model.HazardEvent{}, model.Errorf(model.ECONFLICT, "milestone %d (%s) is not done yet", m.Seq, m.Title)
			}
		}
		if h.Severity == model.SeverityMajor && h.State == model.HazardOpen {
			return model.HazardEvent{}, model.Errorf(model.ECONFLICT, "hazard %d is major: plan its rectification (measures, milestones) first", h.ID)
		}
		if h.Owner == "" {
			h.Owner = actor
		}
		h.State, h.RectifiedBy, h.RectifiedAt, h.Evidence, h.RectifyNote = model.HazardAwaiting, actor, now, e.Evidence, e.Note
		return model.HazardEvent{Note: e.Note, Evidence: e.Evidence, Data: map[string]any{"late": now > h.Deadline}}, nil
	})
}

// Verdict is a verifier's finding on a rectification.
type Verdict struct {
	Pass     bool     `json:"pass"`
	Note     string   `json:"note,omitempty"`
	Evidence []string `json:"evidence,omitempty"` // required to pass: the close-out evidence
}

// Verify closes (销项) a hazard awaiting verification, or sends it back
// to rectifying (返工). The verifier must not be the rectifier
// (EFORBIDDEN); a close-out needs evidence and must happen inside the
// campaign period (EINVALID); a rejection needs a note.
func (s *Service) Verify(ctx context.Context, actor string, id int64, v Verdict) (model.Hazard, error) {
	return s.change(ctx, actor, id, "verify", func(h *model.Hazard, now int64) (model.HazardEvent, error) {
		if err := mustBeIn(h, model.HazardAwaiting); err != nil {
			return model.HazardEvent{}, err
		}
		if actor == h.RectifiedBy {
			return model.HazardEvent{}, model.Errorf(model.EFORBIDDEN, "%s rectified hazard %d and cannot also verify it; another person verifies", actor, h.ID)
		}
		if !v.Pass {
			return reject(h, v)
		}
		c, err := s.st.Campaign(ctx, h.Campaign)
		if err != nil {
			return model.HazardEvent{}, fmt.Errorf("verify hazard %d: %w", h.ID, err)
		}
		return closeOut(h, c, actor, v, now)
	})
}

func reject(h *model.Hazard, v Verdict) (model.HazardEvent, error) {
	if strings.TrimSpace(v.Note) == "" {
		return model.HazardEvent{}, model.Errorf(model.EINVALID, "note: say what is still wrong when sending a rectification back")
	}
	if probs := append(checkText("note", v.Note), checkPhotos("evidence", v.Evidence)...); len(probs) > 0 {
		return model.HazardEvent{}, model.Errorf(model.EINVALID, "%s: %s", probs[0].Field, probs[0].Message)
	}
	ev := model.HazardEvent{Action: "reject", Note: v.Note, Evidence: v.Evidence, Data: map[string]any{"rectified_by": h.RectifiedBy}}
	h.State, h.Reworks = model.HazardRectifying, h.Reworks+1
	h.RectifiedBy, h.RectifiedAt, h.Evidence, h.RectifyNote = "", 0, nil, ""
	return ev, nil
}

func closeOut(h *model.Hazard, c model.Campaign, actor string, v Verdict, now int64) (model.HazardEvent, error) {
	if len(v.Evidence) == 0 {
		return model.HazardEvent{}, model.Errorf(model.EINVALID, "evidence: a close-out (销项) needs evidence of the check; attach at least one photo")
	}
	if !c.Within(now) {
		return model.HazardEvent{}, model.Errorf(model.EINVALID, "close-out at %s is outside the period of campaign %d (%s – %s); extend the campaign first",
			rfc3339(now), c.ID, rfc3339(c.StartAt), rfc3339(c.EndAt))
	}
	if err := (Evidence{Note: v.Note, Evidence: v.Evidence}).check(); err != nil {
		return model.HazardEvent{}, err
	}
	h.State, h.VerifiedBy, h.VerifiedAt, h.VerifyEvidence, h.VerifyNote, h.ClosedAt = model.HazardClosed, actor, now, v.Evidence, v.Note, now
	return model.HazardEvent{Action: "close", Note: v.Note, Evidence: v.Evidence, Data: map[string]any{"rectified_by": h.RectifiedBy}}, nil
}

// Reopening is why a closed hazard is reopened and its new deadline.
type Reopening struct {
	Reason   string `json:"reason"`
	Deadline int64  `json:"deadline,omitempty"` // Unix ms; 0 = the campaign's default from now
}

// Reopen takes a closed hazard back to open: the close-out is undone (it
// stays in the hazard's file), and the hazard needs a plan again.
func (s *Service) Reopen(ctx context.Context, actor string, id int64, r Reopening) (model.Hazard, error) {
	return s.change(ctx, actor, id, "reopen", func(h *model.Hazard, now int64) (model.HazardEvent, error) {
		if err := mustBeIn(h, model.HazardClosed); err != nil {
			return model.HazardEvent{}, err
		}
		if strings.TrimSpace(r.Reason) == "" {
			return model.HazardEvent{}, model.Errorf(model.EINVALID, "reason: say why the hazard is reopened")
		}
		if p := checkText("reason", r.Reason); len(p) > 0 {
			return model.HazardEvent{}, model.Errorf(model.EINVALID, "%s: %s", p[0].Field, p[0].Message)
		}
		if r.Deadline != 0 && r.Deadline <= now {
			return model.HazardEvent{}, model.Errorf(model.EINVALID, "deadline: %s has already passed", rfc3339(r.Deadline))
		}
		c, err := s.st.Campaign(ctx, h.Campaign)
		if err != nil {
			return model.HazardEvent{}, fmt.Errorf("reopen hazard %d: %w", h.ID, err)
		}
		ev := model.HazardEvent{Note: r.Reason, Data: map[string]any{"closed_at": h.ClosedAt, "verified_by": h.VerifiedBy}}
		reopen(h, r.Deadline, s.defaultDeadline(c, h.Severity, now))
		ev.Data["deadline"] = h.Deadline
		return ev, nil
	})
}

func reopen(h *model.Hazard, deadline, fallback int64) {
	if deadline == 0 {
		deadline = fallback
	}
	h.State, h.Reopens, h.Deadline, h.OverdueAt, h.OnSite = model.HazardOpen, h.Reopens+1, deadline, 0, false
	h.RectifiedBy, h.RectifiedAt, h.Evidence, h.RectifyNote = "", 0, nil, ""
	h.VerifiedBy, h.VerifiedAt, h.VerifyEvidence, h.VerifyNote, h.ClosedAt = "", 0, nil, "", 0
	h.Milestones = slices.DeleteFunc(h.Milestones, func(m model.Milestone) bool { return m.DoneAt == 0 })
}

// change loads a hazard, lets fn change it, stores it with the event fn
// returns, and audits. fn sets the state; change fills in the event's
// time, actor, action (unless fn named one) and states.
func (s *Service) change(ctx context.Context, actor string, id int64, action string,
	fn func(h *model.Hazard, now int64) (model.HazardEvent, error)) (model.Hazard, error) {
	if err := checkActor(actor); err != nil {
		return model.Hazard{}, err
	}
	h, err := s.st.Hazard(ctx, id)
	if err != nil {
		return model.Hazard{}, fmt.Errorf("%s hazard %d: %w", action, id, err)
	}
	from, now := h.State, s.nowMs()
	ev, err := fn(&h, now)
	if err != nil {
		return model.Hazard{}, err
	}
	if ev.Action == "" {
		ev.Action = action
	}
	ev.At, ev.Actor, ev.From, ev.To = now, actor, from, h.State
	h.UpdatedAt = now
	stored, err := s.st.UpdateHazard(ctx, h, ev)
	if err != nil {
		return model.Hazard{}, fmt.Errorf("%s hazard %d: %w", action, id, err)
	}
	detail := map[string]any{"from": from, "to": stored.State, "note": ev.Note, "evidence": ev.Evidence}
	for k, v := range ev.Data {
		detail[k] = v
	}
	s.record(ctx, actor, "hazard."+ev.Action, hazardTarget(id), detail)
	return stored, nil
}

// mustBeIn refuses a step the hazard's state does not allow.
func mustBeIn(h *model.Hazard, states ...model.HazardState) error {
	if slices.Contains(states, h.State) {
		return nil
	}
	return model.Errorf(model.ECONFLICT, "hazard %d is %s; this step needs it %s", h.ID, h.State, joinStates(states))
}

func joinStates(states []model.HazardState) string {
	parts := make([]string, len(states))
	for i, st := range states {
		parts[i] = string(st)
	}
	return strings.Join(parts, " or ")
}

// Hazard returns ENOTFOUND for an unknown id.
func (s *Service) Hazard(ctx context.Context, id int64) (model.Hazard, error) {
	return s.st.Hazard(ctx, id)
}

// Hazards lists the register, newest first, a page at a time.
func (s *Service) Hazards(ctx context.Context, f store.HazardFilter, p store.Page) ([]model.Hazard, string, error) {
	return s.st.Hazards(ctx, f, p)
}

// HazardEvents returns a hazard's file (一户一档), oldest first.
func (s *Service) HazardEvents(ctx context.Context, id int64) ([]model.HazardEvent, error) {
	return s.st.HazardEvents(ctx, id)
}

// OpenMajorByUnit counts the major hazards not closed, by unit, for the
// vital-signs risk indicator; roll-up to parents is the caller's.
func (s *Service) OpenMajorByUnit(ctx context.Context) (map[string]int, error) {
	return s.st.OpenMajorByUnit(ctx)
}

// OpenHazardsOfAsset returns the asset's hazards not closed, oldest first,
// for linking incidents on the asset to them.
func (s *Service) OpenHazardsOfAsset(ctx context.Context, asset string) ([]model.Hazard, error) {
	return s.st.OpenHazardsOfAsset(ctx, asset)
}
