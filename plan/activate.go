package plan

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"cityvitals/model"
)

const maxReasonRunes = 2000

var (
	unitPattern        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)
	fingerprintPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{0,128}$`)
)

// TaskError is why one task of an activation has no incident.
type TaskError struct {
	TaskID string
	Err    error
}

// PartialError reports an activation some of whose tasks could not get
// an incident. The activation is stored with the others' incidents and
// each failed task's error; RetryTasks tries the failed ones again.
type PartialError struct {
	ActivationID int64
	Created      []string // task ids that have an incident
	Failed       []TaskError
}

func (e *PartialError) Error() string {
	failed := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		failed[i] = fmt.Sprintf("%s (%v)", f.TaskID, f.Err)
	}
	return fmt.Sprintf("activation %d: no incident for %d of %d tasks: %s; created: %s; retry the failed tasks",
		e.ActivationID, len(e.Failed), len(e.Failed)+len(e.Created), strings.Join(failed, ", "), orNone(e.Created))
}

// Unwrap returns the tasks' errors, so callers can ask errors.As for a
// *model.Error among them.
func (e *PartialError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}

func orNone(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// Activate starts the latest version of plan planID in unit, for reason,
// on behalf of by (alertFP names the alert that triggered it, or is "").
// It records the activation and then opens one incident per task through
// Incidents.Open, all before returning. ENOTFOUND for an unknown plan,
// EINVALID for a retired plan or bad input, ECONFLICT if the plan is
// already active in unit. If some incidents cannot be opened, the
// activation is returned together with a *PartialError (see the package
// comment). Audited as "plan.activate".
func (s *Service) Activate(ctx context.Context, by, planID, unit, reason, alertFP string) (model.Activation, error) {
	by, unit, reason = strings.TrimSpace(by), strings.TrimSpace(unit), strings.TrimSpace(reason)
	if err := checkActivation(planID, by, unit, reason, alertFP); err != nil {
		return model.Activation{}, err
	}
	p, err := s.store.Plan(ctx, planID)
	if err != nil {
		return model.Activation{}, fmt.Errorf("activate plan %q: %w", planID, err)
	}
	if p.Retired {
		return model.Activation{}, model.Errorf(model.EINVALID, "plan %q is retired (version %d) and cannot be activated", p.ID, p.Version)
	}
	if err := s.acquireFanout(ctx); err != nil {
		return model.Activation{}, fmt.Errorf("activate plan %q: %w", planID, err)
	}
	defer s.releaseFanout()
	a, err := s.store.CreateActivation(ctx, s.newActivation(p, by, unit, reason, alertFP))
	if err != nil {
		return model.Activation{}, fmt.Errorf("activate plan %q in unit %q: %w", planID, unit, err)
	}
	// The activation exists now: open every incident even if the caller
	// goes away, or a dropped request would leave half a plan running.
	ctx = context.WithoutCancel(ctx)
	return s.openAndRecord(ctx, by, "plan.activate", p, a)
}

// checkActivation checks what a caller gives Activate.
func checkActivation(planID, by, unit, reason, alertFP string) error {
	switch {
	case !planIDPattern.MatchString(planID):
		return model.Errorf(model.EINVALID, "activate: plan id must match %s, got %q", planIDPattern, planID)
	case badText(by, maxNameRunes) != "":
		return model.Errorf(model.EINVALID, "activate plan %q: activated_by: %s", planID, badText(by, maxNameRunes))
	case !unitPattern.MatchString(unit):
		return model.Errorf(model.EINVALID, "activate plan %q: unit must be a unit code matching %s, got %q", planID, unitPattern, unit)
	case reason == "":
		return model.Errorf(model.EINVALID, "activate plan %q: reason: required", planID)
	case utf8.RuneCountInString(reason) > maxReasonRunes || !utf8.ValidString(reason):
		return model.Errorf(model.EINVALID, "activate plan %q: reason: at most %d characters of UTF-8", planID, maxReasonRunes)
	case strings.ContainsFunc(reason, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return model.Errorf(model.EINVALID, "activate plan %q: reason: control characters other than newline and tab are not allowed", planID)
	case !fingerprintPattern.MatchString(alertFP):
		return model.Errorf(model.EINVALID, "activate plan %q: alert fingerprint must match %s, got %q", planID, fingerprintPattern, alertFP)
	}
	return nil
}

func (s *Service) newActivation(p model.Plan, by, unit, reason, alertFP string) model.Activation {
	at := s.now()
	a := model.Activation{
		PlanID: p.ID, Version: p.Version, Level: p.Level, Unit: unit, Reason: reason,
		ActivatedBy: by, AlertFingerprint: alertFP, At: at.UnixMilli(),
		Tasks: make([]model.ActivationTask, len(p.Tasks)),
	}
	for i, t := range p.Tasks {
		a.Tasks[i] = model.ActivationTask{
			TaskID: t.ID, Dept: t.Dept, Title: t.TitleZH, Category: t.Category, Level: t.Level,
			DeadlineAt: at.Add(t.Deadline).UnixMilli(),
		}
	}
	return a
}

// RetryTasks opens incidents for the tasks of an active activation that
// have none (their earlier attempt failed, or the process stopped
// mid-way). ENOTFOUND for an unknown activation, ECONFLICT for one that
// has ended. Errors are as for Activate. Audited as "plan.retry" when
// there was something to retry.
func (s *Service) RetryTasks(ctx context.Context, by string, id int64) (model.Activation, error) {
	by = strings.TrimSpace(by)
	if reason := badText(by, maxNameRunes); reason != "" {
		return model.Activation{}, model.Errorf(model.EINVALID, "retry activation %d: by: %s", id, reason)
	}
	if err := s.acquireFanout(ctx); err != nil {
		return model.Activation{}, fmt.Errorf("retry activation %d: %w", id, err)
	}
	defer s.releaseFanout()
	a, err := s.store.Activation(ctx, id)
	if err != nil {
		return model.Activation{}, fmt.Errorf("retry activation %d: %w", id, err)
	}
	if !a.Active() {
		return a, model.Errorf(model.ECONFLICT, "activation %d has ended; activate the plan again instead", id)
	}
	if len(pendingTasks(a)) == 0 {
		return a, nil
	}
	p, err := s.store.PlanVersion(ctx, a.PlanID, a.Version)
	if err != nil {
		return a, fmt.Errorf("retry activation %d: %w", id, err)
	}
	return s.openAndRecord(context.WithoutCancel(ctx), by, "plan.retry", p, a)
}

// pendingTasks returns the indexes of the tasks that have no incident.
func pendingTasks(a model.Activation) []int {
	var out []int
	for i, t := range a.Tasks {
		if t.IncidentID == 0 {
			out = append(out, i)
		}
	}
	return out
}

// openAndRecord opens the incidents a's tasks lack, records each on its
// task as soon as it is open, and audits what happened as action.
func (s *Service) openAndRecord(ctx context.Context, by, action string, p model.Plan, a model.Activation) (model.Activation, error) {
	var failed []TaskError
	for _, i := range pendingTasks(a) {
		t := &a.Tasks[i]
		inc, openErr := s.incidents.Open(ctx, by, s.incidentFor(p, a, *t))
		t.IncidentID, t.Error = inc.ID, ""
		if openErr != nil {
			t.IncidentID, t.Error = 0, model.ErrorMessage(openErr)
			failed = append(failed, TaskError{t.TaskID, openErr})
		}
		if err := s.store.SetActivationTask(ctx, a.ID, *t); err != nil {
			return a, fmt.Errorf("activation %d task %q: record incident %d: %w", a.ID, t.TaskID, t.IncidentID, err)
		}
	}
	var partial error
	if len(failed) > 0 {
		partial = &PartialError{ActivationID: a.ID, Created: createdTasks(a), Failed: failed}
	}
	if err := s.audit.Record(ctx, by, action, a.Target(), activationDetail(a)); err != nil {
		return a, errors.Join(partial, fmt.Errorf("activation %d: %w", a.ID, err))
	}
	return a, partial
}

func createdTasks(a model.Activation) []string {
	var ids []string
	for _, t := range a.Tasks {
		if t.IncidentID != 0 {
			ids = append(ids, t.TaskID)
		}
	}
	return ids
}

// activationDetail is what the audit log keeps of an activation.
func activationDetail(a model.Activation) map[string]any {
	incidents, failed := map[string]int64{}, map[string]string{}
	for _, t := range a.Tasks {
		if t.IncidentID != 0 {
			incidents[t.TaskID] = t.IncidentID
		} else {
			failed[t.TaskID] = t.Error
		}
	}
	return map[string]any{
		"plan": a.PlanID, "version": a.Version, "unit": a.Unit, "reason": a.Reason,
		"alert": a.AlertFingerprint, "incidents": incidents, "failed": failed,
	}
}

// incidentFor is the incident that carries task t of activation a.
func (s *Service) incidentFor(p model.Plan, a model.Activation, t model.ActivationTask) model.Incident {
	inc := model.Incident{
		Title:       t.Title,
		Description: s.describe(p, a, t),
		Category:    t.Category,
		Level:       t.Level,
		Source:      model.SourcePlan,
		Unit:        a.Unit,
		Plan:        strconv.FormatInt(a.ID, 10),
		Dept:        t.Dept,
	}
	if a.AlertFingerprint != "" {
		inc.Alerts = []string{a.AlertFingerprint}
	}
	return inc
}

// describe says, in Chinese and English, which plan the task is from,
// why it was activated and by when the task is due.
func (s *Service) describe(p model.Plan, a model.Activation, t model.ActivationTask) string {
	var task model.PlanTask
	for _, pt := range p.Tasks {
		if pt.ID == t.TaskID {
			task = pt
		}
	}
	dept, ok := s.vocabulary.Department(t.Dept)
	if !ok {
		dept = Term{ID: t.Dept, NameZH: t.Dept, NameEN: t.Dept}
	}
	due := time.UnixMilli(t.DeadlineAt).In(s.location).Format("2006-01-02 15:04 MST")
	after := shortDuration(task.Deadline)
	return fmt.Sprintf("应急预案「%s」（%s 第 %d 版，%s）已启动，启动编号 %d。原因：%s\n"+
		"本任务 %s：%s。责任部门：%s。完成时限：%s（启动后 %s）。\n\n"+
		"Contingency plan %q (%s v%d, %s) activated as activation %d. Reason: %s\n"+
		"Task %s: %s. Department: %s. Due by %s (%s after activation).",
		p.NameZH, p.ID, p.Version, levelNamesZH[p.Level], a.ID, a.Reason,
		t.TaskID, task.TitleZH, dept.NameZH, due, after,
		p.NameEN, p.ID, p.Version, levelNames[p.Level], a.ID, a.Reason,
		t.TaskID, task.TitleEN, dept.NameEN, due, after)
}

// shortDuration writes 30m and 2h rather than 30m0s and 2h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func (s *Service) acquireFanout(ctx context.Context) error {
	select {
	case s.fanout <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) releaseFanout() { <-s.fanout }

// ActivateForAlert activates every plan MatchAlert returns for a, in
// the unit the alert is about, on behalf of by. A plan already active in
// that unit is skipped: an alert that keeps firing activates a plan once.
// It returns the activations it made; errors of the others are joined.
func (s *Service) ActivateForAlert(ctx context.Context, by string, a model.Alert) ([]model.Activation, error) {
	plans := s.MatchAlert(a)
	if len(plans) == 0 {
		return nil, nil
	}
	unit := a.Labels["unit"]
	if unit == "" {
		return nil, model.Errorf(model.EINVALID, "alert %s matches plan %q but has no unit label", a.Fingerprint, plans[0].ID)
	}
	reason := a.SummaryZH
	if reason == "" {
		reason = a.SummaryEN
	}
	reason = alertReason(fmt.Sprintf("告警 alert %s (%s): %s", a.Fingerprint, a.Rule, reason))
	var made []model.Activation
	var errs []error
	for _, p := range plans {
		act, err := s.Activate(ctx, by, p.ID, unit, reason, a.Fingerprint)
		if model.ErrorCode(err) == model.ECONFLICT && act.ID == 0 {
			continue // already active in this unit
		}
		if act.ID != 0 {
			made = append(made, act)
		}
		errs = append(errs, err)
	}
	return made, errors.Join(errs...)
}

// alertReason makes an alert's summary a valid reason: detectors write
// summaries from data, so they are cut to length and stripped of control
// characters rather than refused.
func alertReason(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxReasonRunes {
		s = string([]rune(s)[:maxReasonRunes])
	}
	return s
}

// End ends an active activation on behalf of by. Its incidents stay
// open: each follows its own loop to closure. Ending lets the plan be
// activated again in the unit. ENOTFOUND for an unknown activation,
// ECONFLICT if it has already ended. Audited as "plan.end".
func (s *Service) End(ctx context.Context, by string, id int64) (model.Activation, error) {
	by = strings.TrimSpace(by)
	if reason := badText(by, maxNameRunes); reason != "" {
		return model.Activation{}, model.Errorf(model.EINVALID, "end activation %d: ended_by: %s", id, reason)
	}
	if err := s.store.EndActivation(ctx, id, by, s.now().UnixMilli()); err != nil {
		return model.Activation{}, fmt.Errorf("end activation %d: %w", id, err)
	}
	a, err := s.store.Activation(ctx, id)
	if err != nil {
		return model.Activation{}, fmt.Errorf("end activation %d: %w", id, err)
	}
	if err := s.audit.Record(ctx, by, "plan.end", a.Target(), map[string]any{"plan": a.PlanID, "unit": a.Unit}); err != nil {
		return a, fmt.Errorf("end activation %d: %w", id, err)
	}
	return a, nil
}
