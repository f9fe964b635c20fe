package plan_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/plan"
	"cityvitals/store"
)

func TestActivateOpensOneIncidentPerTask(t *testing.T) {
	t.Parallel()
	f := seeded(t, "rainstorm-orange")
	ctx := t.Context()
	p, err := f.svc.Plan(ctx, "rainstorm-orange")
	mustNil(t, err)

	a, err := f.svc.Activate(ctx, "wang.wei", "rainstorm-orange", "310101", "黄浦区 3 小时雨量 58 mm", "")
	mustNil(t, err)
	if a.ID == 0 || a.Version != p.Version || a.Level != 3 || a.At != t0.UnixMilli() || a.ActivatedBy != "wang.wei" {
		t.Errorf("activation %+v", a)
	}
	calls := f.incidents.calls()
	if len(calls) != len(p.Tasks) || len(a.Tasks) != len(p.Tasks) {
		t.Fatalf("%d incidents opened and %d tasks recorded for %d plan tasks", len(calls), len(a.Tasks), len(p.Tasks))
	}
	for i, task := range p.Tasks {
		inc, at := calls[i], a.Tasks[i]
		if inc.Dept != task.Dept || inc.Category != task.Category || inc.Level != task.Level || inc.Title != task.TitleZH {
			t.Errorf("task %s opened %+v", task.ID, inc)
		}
		if inc.Source != model.SourcePlan || inc.Plan != strconv.FormatInt(a.ID, 10) || inc.Unit != "310101" || inc.CreatedBy != "wang.wei" {
			t.Errorf("task %s: incident source %q plan %q unit %q by %q", task.ID, inc.Source, inc.Plan, inc.Unit, inc.CreatedBy)
		}
		if at.TaskID != task.ID || at.Dept != task.Dept || at.IncidentID != inc.ID || at.Error != "" {
			t.Errorf("task %s recorded as %+v (incident %d)", task.ID, at, inc.ID)
		}
		if want := t0.Add(task.Deadline).UnixMilli(); at.DeadlineAt != want {
			t.Errorf("task %s due at %d, want %d (activation + %s)", task.ID, at.DeadlineAt, want, task.Deadline)
		}
		due := t0.Add(task.Deadline).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")
		for _, want := range []string{"rainstorm-orange", p.NameZH, task.TitleEN, due, "黄浦区 3 小时雨量 58 mm"} {
			if !strings.Contains(inc.Description, want) {
				t.Errorf("task %s description does not mention %q:\n%s", task.ID, want, inc.Description)
			}
		}
	}

	stored, err := f.svc.Activation(ctx, a.ID)
	mustNil(t, err)
	if taskIDs(stored.Tasks) != taskIDs(a.Tasks) {
		t.Errorf("stored tasks %s, returned %s", taskIDs(stored.Tasks), taskIDs(a.Tasks))
	}
	records := f.audits(t, "plan.activate")
	if len(records) != 1 || records[0].Actor != "wang.wei" || records[0].Target != a.Target() {
		t.Fatalf("plan.activate audit records: %+v", records)
	}
	var detail struct {
		Plan      string           `json:"plan"`
		Incidents map[string]int64 `json:"incidents"`
	}
	mustNil(t, json.Unmarshal([]byte(records[0].Detail), &detail))
	if detail.Plan != "rainstorm-orange" || len(detail.Incidents) != len(p.Tasks) {
		t.Errorf("audit detail %s", records[0].Detail)
	}
}

func TestActivateOncePerPlanAndUnit(t *testing.T) {
	t.Parallel()
	f := seeded(t, "gas-leak")
	ctx := t.Context()
	a, err := f.svc.Activate(ctx, "wang.wei", "gas-leak", "g-310101-0042", "窨井 32 %LEL", "")
	mustNil(t, err)
	opened := len(f.incidents.calls())

	_, err = f.svc.Activate(ctx, "li.na", "gas-leak", "g-310101-0042", "again", "")
	wantError(t, err, model.ECONFLICT, "already active", strconv.FormatInt(a.ID, 10))
	if n := len(f.incidents.calls()); n != opened {
		t.Errorf("the refused activation opened %d incidents", n-opened)
	}

	ended, err := f.svc.End(ctx, "wang.wei", a.ID)
	mustNil(t, err)
	if ended.Active() || ended.EndedBy != "wang.wei" {
		t.Errorf("ended activation %+v", ended)
	}
	_, err = f.svc.End(ctx, "wang.wei", a.ID)
	wantError(t, err, model.ECONFLICT, "already ended")
	if ends := f.audits(t, "plan.end"); len(ends) != 1 || ends[0].Target != a.Target() {
		t.Errorf("plan.end audit records %+v", ends)
	}

	again, err := f.svc.Activate(ctx, "li.na", "gas-leak", "g-310101-0042", "leak again after the repair", "")
	mustNil(t, err)
	if again.ID == a.ID {
		t.Error("re-activation reused the ended activation")
	}
}

func TestConcurrentActivationsOfOnePlanInOneUnit(t *testing.T) {
	t.Parallel()
	f := seeded(t, "crowd-metro")
	ctx := t.Context()
	const callers = 8
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			_, errs[i] = f.svc.Activate(ctx, "op"+strconv.Itoa(i), "crowd-metro", "g-310101-0042", "人民广场站客流 95 %", "")
		})
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch model.ErrorCode(err) {
		case "":
			ok++
		case model.ECONFLICT:
			conflicts++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	p, err := f.svc.Plan(ctx, "crowd-metro")
	mustNil(t, err)
	if ok != 1 || conflicts != callers-1 || len(f.incidents.calls()) != len(p.Tasks) {
		t.Errorf("%d succeeded, %d refused, %d incidents: want 1, %d, %d", ok, conflicts, len(f.incidents.calls()), callers-1, len(p.Tasks))
	}
}

func TestActivateRollsForwardWhenAnIncidentFails(t *testing.T) {
	t.Parallel()
	f := seeded(t, "rainstorm-orange")
	ctx := t.Context()
	f.incidents.setFail(func(inc model.Incident) error {
		switch inc.Dept {
		case "metro":
			return model.Errorf(model.EINVALID, "department metro has no duty roster")
		case "power":
			return errDiskFull // internal: its text must not reach the activation record
		}
		return nil
	})
	a, err := f.svc.Activate(ctx, "wang.wei", "rainstorm-orange", "310101", "暴雨橙色", "")
	var partial *plan.PartialError
	if !errors.As(err, &partial) {
		t.Fatalf("error %v: want a *PartialError", err)
	}
	if partial.ActivationID != a.ID || len(partial.Failed) != 2 || len(partial.Created) != len(a.Tasks)-2 {
		t.Errorf("partial error %+v", partial)
	}
	if model.ErrorCode(err) != model.EINVALID || !errors.Is(err, errDiskFull) {
		t.Errorf("error %v: want the tasks' errors reachable through it", err)
	}
	for _, want := range []string{"station-floodgates", "substations", "created: command-post"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	stored, err := f.svc.Activation(ctx, a.ID)
	mustNil(t, err)
	for _, task := range stored.Tasks {
		switch task.TaskID {
		case "station-floodgates":
			if task.IncidentID != 0 || task.Error != "department metro has no duty roster" {
				t.Errorf("failed task stored as %+v", task)
			}
		case "substations":
			if task.IncidentID != 0 || task.Error != "internal error" {
				t.Errorf("internally failed task stored as %+v: want the generic message only", task)
			}
		default:
			if task.IncidentID == 0 || task.Error != "" {
				t.Errorf("task stored as %+v: want its incident", task)
			}
		}
	}
	var detail struct{ Failed map[string]string }
	records := f.audits(t, "plan.activate")
	mustNil(t, json.Unmarshal([]byte(records[0].Detail), &detail))
	if len(detail.Failed) != 2 {
		t.Errorf("audit detail %s: want the two failed tasks", records[0].Detail)
	}

	// The one-page view shows the tasks nobody holds, overdue like any
	// other once their deadline passes.
	f.clock.Advance(61 * time.Minute) // past the longest deadline, 1h
	progress, err := f.svc.Progress(ctx, a.ID)
	mustNil(t, err)
	if progress.Failed != 2 || progress.Overdue != progress.Total {
		t.Errorf("failed %d overdue %d of %d: want 2 failed and every task overdue", progress.Failed, progress.Overdue, progress.Total)
	}

	f.incidents.setFail(nil)
	retried, err := f.svc.RetryTasks(ctx, "wang.wei", a.ID)
	mustNil(t, err)
	perTask := map[string]int{}
	for _, inc := range f.incidents.calls() {
		if inc.ID != 0 {
			perTask[inc.Title]++
		}
	}
	for title, n := range perTask {
		if n != 1 {
			t.Errorf("%d incidents for task %q, want exactly one", n, title)
		}
	}
	for _, task := range retried.Tasks {
		if task.IncidentID == 0 || task.Error != "" {
			t.Errorf("after retry task %+v", task)
		}
	}
	if len(f.audits(t, "plan.retry")) != 1 {
		t.Error("retry not audited")
	}
	// Nothing left to retry: no incident, no audit record.
	before := len(f.incidents.calls())
	_, err = f.svc.RetryTasks(ctx, "wang.wei", a.ID)
	mustNil(t, err)
	if len(f.incidents.calls()) != before || len(f.audits(t, "plan.retry")) != 1 {
		t.Error("a retry with nothing to do opened incidents or wrote the audit log")
	}
}

func TestActivateFinishesWhenTheCallerGoesAway(t *testing.T) {
	t.Parallel()
	f := seeded(t, "water-main-burst")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f.incidents.onOpen = cancel // the caller hangs up once the first incident is being opened
	a, err := f.svc.Activate(ctx, "wang.wei", "water-main-burst", "g-310101-0042", "压降 0.06 MPa/min", "")
	mustNil(t, err)
	for _, task := range a.Tasks {
		if task.IncidentID == 0 {
			t.Errorf("task %s has no incident after the caller went away", task.TaskID)
		}
	}
}

func TestActivateRefuses(t *testing.T) {
	t.Parallel()
	f := seeded(t, "heat-wave-orange", "gas-leak")
	ctx := t.Context()
	retired, err := f.svc.Plan(ctx, "heat-wave-orange")
	mustNil(t, err)
	retired.Retired = true
	_, err = f.svc.Put(ctx, "li.na", retired)
	mustNil(t, err)

	tests := []struct {
		name                       string
		by, plan, unit, reason, fp string
		code                       string
		fragment                   string
	}{
		{"unknown plan", "op", "snow-red", "310101", "r", "", model.ENOTFOUND, `plan "snow-red"`},
		{"retired plan", "op", "heat-wave-orange", "310101", "r", "", model.EINVALID, "retired"},
		{"no unit", "op", "gas-leak", "", "r", "", model.EINVALID, "unit must be a unit code"},
		{"hostile unit", "op", "gas-leak", "310101 OR 1=1", "r", "", model.EINVALID, "unit must be a unit code"},
		{"no reason", "op", "gas-leak", "310101", " ", "", model.EINVALID, "reason: required"},
		{"huge reason", "op", "gas-leak", "310101", strings.Repeat("雨", 2001), "", model.EINVALID, "reason: at most 2000"},
		{"escape in reason", "op", "gas-leak", "310101", "ok\x1b[2J", "", model.EINVALID, "control characters"},
		{"nobody", "", "gas-leak", "310101", "r", "", model.EINVALID, "activated_by: required"},
		{"bad plan id", "op", "../x", "310101", "r", "", model.EINVALID, "plan id must match"},
		{"bad fingerprint", "op", "gas-leak", "310101", "r", "<script>", model.EINVALID, "alert fingerprint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Activate(ctx, tc.by, tc.plan, tc.unit, tc.reason, tc.fp)
			wantError(t, err, tc.code, tc.fragment)
		})
	}
	if n := len(f.incidents.calls()); n != 0 {
		t.Errorf("refused activations opened %d incidents", n)
	}
	items, _, err := f.svc.Activations(ctx, store.ActivationFilter{}, store.Page{})
	mustNil(t, err)
	if len(items) != 0 {
		t.Errorf("refused activations were stored: %+v", items)
	}

	_, err = f.svc.RetryTasks(ctx, "op", 404)
	wantError(t, err, model.ENOTFOUND, "activation 404")
	_, err = f.svc.End(ctx, "op", 404)
	wantError(t, err, model.ENOTFOUND, "activation 404")

	// An ended activation is not retried: its failed tasks stay failed.
	f.incidents.setFail(func(model.Incident) error { return model.Errorf(model.EINVALID, "closed for the night") })
	a, err := f.svc.Activate(ctx, "op", "gas-leak", "g-310101-0042", "窨井 30 %LEL", "")
	if model.ErrorCode(err) != model.EINVALID {
		t.Fatalf("activate: %v", err)
	}
	_, err = f.svc.End(ctx, "op", a.ID)
	mustNil(t, err)
	f.incidents.setFail(nil)
	_, err = f.svc.RetryTasks(ctx, "op", a.ID)
	wantError(t, err, model.ECONFLICT, "has ended")
}
