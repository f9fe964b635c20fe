package incident

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"cityvitals/auth"
	"cityvitals/model"
)

// Command is one step a person takes on an incident. Which fields count
// depends on the action.
type Command struct {
	Action      string   `json:"-"`
	Note        string   `json:"note,omitempty"`
	Attachments []string `json:"attachments,omitempty"` // hashes of files attached to this incident
	// Version, when set, must equal the incident's: the change was
	// decided on what the actor saw.
	Version int64 `json:"version,omitempty"`

	Category string `json:"category,omitempty"` // register: correct the category
	Level    *int8  `json:"level,omitempty"`    // register: correct the level
	Dept     string `json:"dept,omitempty"`     // dispatch: override routing
	Team     int64  `json:"team,omitempty"`     // dispatch: the field team
	Assignee string `json:"assignee,omitempty"` // dispatch: a person

	Pass         *bool `json:"pass,omitempty"`         // verify: disposal accepted?
	Satisfaction int   `json:"satisfaction,omitempty"` // evaluate: 1–5

	Kind          string `json:"kind,omitempty"`           // request: return | extend | suspend | cancel
	ExtendMinutes int64  `json:"extend_minutes,omitempty"` // request extend
	Target        int64  `json:"target,omitempty"`         // merge: the incident this one joins; link: the parent
}

// Request kinds that need a supervisor's approval.
const (
	RequestReturn  = "return"  // 回退: not this department's; back to registration
	RequestExtend  = "extend"  // 延期: more time to dispose
	RequestSuspend = "suspend" // 缓办: on hold, clocks paused
	RequestCancel  = "cancel"  // 作废: void
)

// step is one action of the loop: who may take it, from which states,
// and what it does. do returns the state the incident moves to.
type step struct {
	perms   []auth.Permission // any of these
	from    []model.IncidentState
	ownDept bool // only the responsible department (or an admin)
	do      func(s *Service, inc *model.Incident, p auth.Principal, c Command, now time.Time) (model.IncidentState, error)
}

var openStates = []model.IncidentState{
	model.IncidentReported, model.IncidentRegistered, model.IncidentDispatched,
	model.IncidentDisposing, model.IncidentFedBack, model.IncidentSuspended,
}

func steps() map[string]step {
	return map[string]step{
		"register": {perms: []auth.Permission{auth.IncidentDispatch}, from: []model.IncidentState{model.IncidentReported}, do: (*Service).register},
		"dispatch": {perms: []auth.Permission{auth.IncidentDispatch}, from: []model.IncidentState{model.IncidentRegistered}, do: (*Service).dispatch},
		"accept":   {perms: []auth.Permission{auth.IncidentDispose}, from: []model.IncidentState{model.IncidentDispatched}, ownDept: true, do: accept},
		"feedback": {perms: []auth.Permission{auth.IncidentDispose}, from: []model.IncidentState{model.IncidentDisposing}, ownDept: true, do: feedback},
		"verify":   {perms: []auth.Permission{auth.IncidentVerify}, from: []model.IncidentState{model.IncidentFedBack}, do: verify},
		"evaluate": {perms: []auth.Permission{auth.IncidentVerify}, from: []model.IncidentState{model.IncidentClosed}, do: evaluate},
		"request": {
			perms: []auth.Permission{auth.IncidentDispose, auth.IncidentDispatch, auth.IncidentReport},
			from:  openStates, do: request,
		},
		"approve": {perms: []auth.Permission{auth.IncidentApprove}, from: openStates, do: (*Service).approve},
		"reject":  {perms: []auth.Permission{auth.IncidentApprove}, from: openStates, do: reject},
		"resume":  {perms: []auth.Permission{auth.IncidentDispatch, auth.IncidentApprove}, from: []model.IncidentState{model.IncidentSuspended}, do: (*Service).resume},
		"note": {
			perms: []auth.Permission{auth.IncidentReport, auth.IncidentDispatch, auth.IncidentDispose, auth.IncidentVerify, auth.IncidentApprove},
			from:  model.IncidentStates, do: unchanged,
		},
		"assign": {
			perms: []auth.Permission{auth.IncidentDispatch},
			from:  []model.IncidentState{model.IncidentDispatched, model.IncidentDisposing}, do: assign,
		},
		"link": {perms: []auth.Permission{auth.IncidentDispatch}, from: openStates, do: (*Service).link},
		// merge is handled by Merge (it changes two incidents); listed
		// here for its permission and states.
		"merge": {perms: []auth.Permission{auth.IncidentDispatch}, from: openStates, do: merged},
	}
}

// Actions lists the actions Act takes.
func Actions() []string {
	names := make([]string, 0, 16)
	for name := range steps() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Act takes one step on an incident on behalf of p.
func (s *Service) Act(ctx context.Context, p auth.Principal, id int64, c Command) (model.Incident, error) {
	if c.Action == "merge" {
		return s.Merge(ctx, p, id, c)
	}
	inc, st, err := s.prepare(ctx, p, id, c)
	if err != nil {
		return inc, err
	}
	now := s.now()
	from := inc.State
	to, err := st.do(s, &inc, p, c, now)
	if err != nil {
		return inc, err
	}
	inc.State, inc.UpdatedAt = to, now.UnixMilli()
	ev := s.event(p, c.Action, from, to, c.Note, c.Attachments)
	ev.Data = commandData(c)
	return s.store(ctx, p, inc, ev)
}

// prepare loads the incident and checks everything about the actor and
// the command that does not depend on the action's own logic.
func (s *Service) prepare(ctx context.Context, p auth.Principal, id int64, c Command) (model.Incident, step, error) {
	st, ok := steps()[c.Action]
	if !ok {
		return model.Incident{}, st, model.Errorf(model.EINVALID, "action: %q is not one of %s", clip(c.Action), strings.Join(Actions(), ", "))
	}
	if !slices.ContainsFunc(st.perms, p.Can) {
		return model.Incident{}, st, model.Errorf(model.EFORBIDDEN, "%s may not %s incidents (needs one of %v)", p.Name(), c.Action, st.perms)
	}
	inc, err := s.Get(ctx, p, id)
	if err != nil {
		return inc, st, err
	}
	if err := s.checkCommand(ctx, inc, st, p, c); err != nil {
		return inc, st, err
	}
	return inc, st, nil
}

func (s *Service) checkCommand(ctx context.Context, inc model.Incident, st step, p auth.Principal, c Command) error {
	switch {
	case c.Version != 0 && c.Version != inc.Version:
		return model.Errorf(model.ECONFLICT, "incident %d is at version %d, not %d: reload and decide again", inc.ID, inc.Version, c.Version)
	case !slices.Contains(st.from, inc.State):
		return model.Errorf(model.ECONFLICT, "incident %d is %s: %s needs it to be one of %v", inc.ID, inc.State, c.Action, st.from)
	case st.ownDept && !ownDepartment(p, inc):
		return model.Errorf(model.EFORBIDDEN, "incident %d belongs to department %q, not to %s's", inc.ID, inc.Dept, p.Name())
	case len(c.Note) > s.cfg.MaxText || !utf8.ValidString(c.Note):
		return model.Errorf(model.EINVALID, "note: must be valid UTF-8 of at most %d bytes", s.cfg.MaxText)
	case len(c.Attachments) > 20:
		return model.Errorf(model.EINVALID, "attachments: at most 20 per step, got %d", len(c.Attachments))
	}
	if err := s.checkTeam(ctx, inc, c); err != nil {
		return err
	}
	for _, h := range c.Attachments {
		if _, err := s.st.Attachment(ctx, inc.ID, h); err != nil {
			return model.Errorf(model.EINVALID, "attachments: %q is not attached to incident %d (upload it first)", clip(h), inc.ID)
		}
	}
	return nil
}

// checkTeam refuses a field team that does not exist or belongs to
// another department than the one the incident goes to.
func (s *Service) checkTeam(ctx context.Context, inc model.Incident, c Command) error {
	if c.Team == 0 || s.teamDept == nil {
		return nil
	}
	dept, err := s.teamDept(ctx, c.Team)
	if err != nil {
		return model.Errorf(model.EINVALID, "team: %d is not a field team", c.Team)
	}
	want := inc.Dept
	if c.Dept != "" {
		want = c.Dept
	}
	if dept != want {
		return model.Errorf(model.EINVALID, "team: %d belongs to department %q, the incident to %q", c.Team, dept, want)
	}
	return nil
}

func ownDepartment(p auth.Principal, inc model.Incident) bool {
	if p.User == nil {
		return false
	}
	return p.User.Role == model.RoleAdmin || (p.User.Dept != "" && p.User.Dept == inc.Dept)
}

// store writes the changed incident with its event, then audits and
// announces it.
func (s *Service) store(ctx context.Context, p auth.Principal, inc model.Incident, ev model.IncidentEvent) (model.Incident, error) {
	stored, err := s.st.UpdateIncident(ctx, inc, s.places.Ancestors(inc.Unit), ev)
	s.writes.Add(1)
	if err != nil {
		return stored, fmt.Errorf("incident %d %s: %w", inc.ID, ev.Action, err)
	}
	s.after(ctx, p, stored, ev)
	return stored, nil
}

func commandData(c Command) map[string]any {
	d := map[string]any{}
	set := func(k string, v any, ok bool) {
		if ok {
			d[k] = v
		}
	}
	set("category", c.Category, c.Category != "")
	set("dept", c.Dept, c.Dept != "")
	set("team", c.Team, c.Team != 0)
	set("assignee", c.Assignee, c.Assignee != "")
	set("kind", c.Kind, c.Kind != "")
	set("extend_minutes", c.ExtendMinutes, c.ExtendMinutes != 0)
	set("target", c.Target, c.Target != 0)
	set("satisfaction", c.Satisfaction, c.Satisfaction != 0)
	if c.Level != nil {
		d["level"] = *c.Level
	}
	if c.Pass != nil {
		d["pass"] = *c.Pass
	}
	if len(d) == 0 {
		return nil
	}
	return d
}

func unchanged(_ *Service, inc *model.Incident, _ auth.Principal, _ Command, _ time.Time) (model.IncidentState, error) {
	return inc.State, nil
}

// register (立案) accepts the incident as a case, correcting its category
// and level if the operator says so, and routes it again if they changed.
func (s *Service) register(inc *model.Incident, _ auth.Principal, c Command, _ time.Time) (model.IncidentState, error) {
	changed := false
	if c.Category != "" && c.Category != inc.Category {
		if _, ok := s.cfg.Categories[c.Category]; !ok {
			return "", model.Errorf(model.EINVALID, "category: %q is not a known incident category", clip(c.Category))
		}
		inc.Category, changed = c.Category, true
	}
	if c.Level != nil {
		if *c.Level < 0 || *c.Level > 4 {
			return "", model.Errorf(model.EINVALID, "level: %d is not 0 (unrated) or 1 blue … 4 red", *c.Level)
		}
		inc.Level, changed = *c.Level, changed || *c.Level != inc.Level
	}
	if changed || inc.Dept == "" {
		if dept, _, err := s.route(*inc); err == nil {
			inc.Dept = dept
		}
	}
	return model.IncidentRegistered, nil
}

// dispatch (派遣) sends the incident to its department and starts the
// SLA clocks.
func (s *Service) dispatch(inc *model.Incident, _ auth.Principal, c Command, now time.Time) (model.IncidentState, error) {
	if c.Dept != "" {
		inc.Dept = c.Dept
	}
	if inc.Dept == "" {
		return "", model.Errorf(model.EINVALID, "dept: no routing rule names a department for incident %d; name one", inc.ID)
	}
	clock, err := s.clocks.Start(inc.Category, inc.Level, now)
	if err != nil {
		return "", fmt.Errorf("start SLA clock of incident %d: %w", inc.ID, err)
	}
	inc.Clock, inc.Escalation = clock, model.EscalationNone
	inc.Team, inc.Assignee = c.Team, c.Assignee
	return model.IncidentDispatched, nil
}

// accept (签收) is the department taking the incident on: the response.
func accept(_ *Service, inc *model.Incident, _ auth.Principal, _ Command, now time.Time) (model.IncidentState, error) {
	inc.RespondedAt = now.UnixMilli()
	return model.IncidentDisposing, nil
}

// feedback (反馈) reports the disposal, with what was done.
func feedback(_ *Service, inc *model.Incident, p auth.Principal, c Command, now time.Time) (model.IncidentState, error) {
	if strings.TrimSpace(c.Note) == "" {
		return "", model.Errorf(model.EINVALID, "note: feedback must say what was done")
	}
	inc.DisposedAt, inc.DisposedBy = now.UnixMilli(), p.Name()
	return model.IncidentFedBack, nil
}

// verify (核查) closes the incident, or sends it back for rework (返工).
// The verifier must not be the person who reported the disposal.
func verify(_ *Service, inc *model.Incident, p auth.Principal, c Command, now time.Time) (model.IncidentState, error) {
	switch {
	case c.Pass == nil:
		return "", model.Errorf(model.EINVALID, "pass: say whether the disposal is accepted (true) or must be redone (false)")
	case p.Name() == inc.DisposedBy:
		return "", model.Errorf(model.EFORBIDDEN, "%s reported the disposal of incident %d and may not verify it", p.Name(), inc.ID)
	case !*c.Pass && strings.TrimSpace(c.Note) == "":
		return "", model.Errorf(model.EINVALID, "note: say why the disposal must be redone")
	case !*c.Pass:
		inc.Reworks++
		inc.DisposedAt, inc.DisposedBy = 0, ""
		return model.IncidentDisposing, nil
	}
	inc.ClosedAt = now.UnixMilli()
	return model.IncidentClosed, nil
}

// evaluate (综合评价) scores a closed incident against its clocks.
func evaluate(_ *Service, inc *model.Incident, _ auth.Principal, c Command, _ time.Time) (model.IncidentState, error) {
	if c.Satisfaction < 0 || c.Satisfaction > 5 {
		return "", model.Errorf(model.EINVALID, "satisfaction: %d is not 1–5 (or 0 for none)", c.Satisfaction)
	}
	inc.Evaluation = &model.Evaluation{
		RespondedOnTime: inc.Clock.RespondBy == 0 || (inc.RespondedAt > 0 && inc.RespondedAt <= inc.Clock.RespondBy),
		DisposedOnTime:  inc.Clock.DisposeBy == 0 || (inc.DisposedAt > 0 && inc.DisposedAt <= inc.Clock.DisposeBy),
		Reworked:        inc.Reworks > 0,
		Satisfaction:    c.Satisfaction,
		Note:            c.Note,
	}
	return model.IncidentEvaluated, nil
}

// assign sends a dispatched incident to a field team (or person) of its
// department: the dispatcher's decision or override of the team plan.
func assign(_ *Service, inc *model.Incident, _ auth.Principal, c Command, _ time.Time) (model.IncidentState, error) {
	if c.Team <= 0 && c.Assignee == "" {
		return "", model.Errorf(model.EINVALID, "team: name the field team (or an assignee)")
	}
	inc.Team, inc.Assignee = c.Team, c.Assignee
	return inc.State, nil
}

// link makes the incident a child of c.Target.
func (s *Service) link(inc *model.Incident, _ auth.Principal, c Command, _ time.Time) (model.IncidentState, error) {
	if c.Target == 0 || c.Target == inc.ID {
		return "", model.Errorf(model.EINVALID, "target: name another incident as the parent")
	}
	inc.Parent = c.Target
	return inc.State, nil
}

func merged(_ *Service, inc *model.Incident, _ auth.Principal, c Command, _ time.Time) (model.IncidentState, error) {
	inc.MergedInto = c.Target
	return model.IncidentMerged, nil
}

// Merge folds incident id into c.Target: the target takes its alerts,
// reports and assets; the merged one leaves the loop. The target is
// written first so a failure never leaves links nowhere.
func (s *Service) Merge(ctx context.Context, p auth.Principal, id int64, c Command) (model.Incident, error) {
	c.Action = "merge"
	inc, _, err := s.prepare(ctx, p, id, c)
	if err != nil {
		return inc, err
	}
	if c.Target == 0 || c.Target == id {
		return inc, model.Errorf(model.EINVALID, "target: name another incident to merge %d into", id)
	}
	target, err := s.Get(ctx, p, c.Target)
	if err != nil {
		return inc, err
	}
	if !target.State.Open() {
		return inc, model.Errorf(model.ECONFLICT, "incident %d is %s: only an open incident can take another in", target.ID, target.State)
	}
	now := s.now()
	target.Alerts = union(target.Alerts, inc.Alerts)
	target.Assets = union(target.Assets, inc.Assets)
	target.Reports = union(target.Reports, inc.Reports)
	target.Hazards = union(target.Hazards, inc.Hazards)
	target.UpdatedAt = now.UnixMilli()
	absorb := s.event(p, "absorb", target.State, target.State, c.Note, nil)
	absorb.Data = map[string]any{"merged": id}
	if _, err := s.store(ctx, p, target, absorb); err != nil {
		return inc, err
	}
	from := inc.State
	inc.State, inc.MergedInto, inc.UpdatedAt = model.IncidentMerged, target.ID, now.UnixMilli()
	ev := s.event(p, "merge", from, inc.State, c.Note, c.Attachments)
	ev.Data = map[string]any{"target": target.ID}
	return s.store(ctx, p, inc, ev)
}

func union[T comparable](a, b []T) []T {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
