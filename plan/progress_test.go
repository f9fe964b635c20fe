package plan_test

import (
	"testing"
	"time"

	"cityvitals/model"
)

func TestProgressFollowsTheIncidents(t *testing.T) {
	t.Parallel()
	f := seeded(t, "gas-leak")
	ctx := t.Context()
	// gas-leak: repair-crew 30m, remove-ignition 15m, cordon 30m,
	// divert-traffic 30m, evacuate 30m, ambulance 30m.
	a, err := f.svc.Activate(ctx, "wang.wei", "gas-leak", "g-310101-0042", "窨井 32 %LEL", "")
	mustNil(t, err)
	incident := map[string]int64{}
	for _, task := range a.Tasks {
		incident[task.TaskID] = task.IncidentID
	}

	p, err := f.svc.Progress(ctx, a.ID)
	mustNil(t, err)
	if p.Total != 6 || p.Done != 0 || p.Overdue != 0 || p.Failed != 0 || p.PlanNameZH == "" {
		t.Fatalf("at start: %+v", p)
	}

	at := func(d time.Duration) int64 { return t0.Add(d).UnixMilli() }
	close := func(task string, when time.Duration) {
		f.incidents.set(incident[task], func(inc *model.Incident) { inc.State, inc.ClosedAt = model.IncidentClosed, at(when) })
	}
	close("repair-crew", 10*time.Minute) // in time
	close("cordon", 40*time.Minute)      // late
	f.incidents.set(incident["divert-traffic"], func(inc *model.Incident) { inc.State = model.IncidentCancelled })
	f.incidents.set(incident["ambulance"], func(inc *model.Incident) {
		inc.State, inc.MergedInto = model.IncidentMerged, incident["repair-crew"]
	})
	f.incidents.set(incident["evacuate"], func(inc *model.Incident) { inc.State = model.IncidentDisposing })
	f.clock.Advance(20 * time.Minute)

	p, err = f.svc.Progress(ctx, a.ID)
	mustNil(t, err)
	want := map[string]struct {
		state         model.IncidentState
		done, overdue bool
	}{
		"repair-crew":     {model.IncidentClosed, true, false},
		"remove-ignition": {model.IncidentDispatched, false, true}, // 15 min deadline, 20 min gone
		"cordon":          {model.IncidentClosed, true, false},
		"divert-traffic":  {model.IncidentCancelled, false, false},
		"evacuate":        {model.IncidentDisposing, false, false}, // 30 min deadline not reached
		"ambulance":       {model.IncidentClosed, true, false},     // merged into the closed repair incident
	}
	for _, task := range p.Tasks {
		w := want[task.TaskID]
		if task.State != w.state || task.Done != w.done || task.Overdue != w.overdue {
			t.Errorf("%s: state %s done %v overdue %v; want %s %v %v", task.TaskID, task.State, task.Done, task.Overdue, w.state, w.done, w.overdue)
		}
	}
	if p.Done != 3 || p.Overdue != 1 || p.At != at(20*time.Minute) {
		t.Errorf("totals done %d overdue %d at %d; want 3, 1, %d", p.Done, p.Overdue, p.At, at(20*time.Minute))
	}
	for _, task := range p.Tasks {
		switch task.TaskID {
		case "cordon":
			if !task.Late || task.DoneAt != at(40*time.Minute) {
				t.Errorf("cordon closed at 40 min against a 30 min deadline: %+v", task)
			}
		case "repair-crew":
			if task.Late {
				t.Errorf("repair-crew closed in time but marked late")
			}
		case "ambulance":
			if task.MergedInto != incident["repair-crew"] {
				t.Errorf("ambulance merged into %d, want %d", task.MergedInto, incident["repair-crew"])
			}
		}
	}

	f.clock.Advance(20 * time.Minute) // 40 min: evacuate is late too
	f.incidents.remove(incident["remove-ignition"])
	p, err = f.svc.Progress(ctx, a.ID)
	mustNil(t, err)
	if p.Overdue != 2 || p.Failed != 1 {
		t.Errorf("at 40 min: overdue %d failed %d; want 2 (evacuate, the vanished incident) and 1", p.Overdue, p.Failed)
	}

	_, err = f.svc.Progress(ctx, 999)
	wantError(t, err, model.ENOTFOUND, "activation 999")
}
