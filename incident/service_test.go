package incident

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/audit"
	"cityvitals/model"
	"cityvitals/store"
)

// png is the smallest valid PNG header a sniffer recognises.
var png = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

func TestFullLoopFromReportToEvaluation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	operator := f.user("li.duty", model.RoleOperator, "ops-centre", "")
	worker := f.user("wang.gas", model.RoleField, "gas", "")
	inspector := f.user("zhao.check", model.RoleInspector, "ops-centre", "")

	inc, err := f.svc.Open(ctx, operator, New{Title: "燃气异味", Category: "gas_leak", Level: 3, Lon: ptr(121.47), Lat: ptr(31.23)})
	if err != nil {
		t.Fatal(err)
	}
	if inc.State != model.IncidentReported || inc.Unit != "310101002" || inc.Dept != "gas" || inc.Version != 1 {
		t.Fatalf("opened %+v: want reported, located in 310101002, routed to gas, version 1", inc)
	}
	f.act(t, operator, inc.ID, Command{Action: "register"})
	inc = f.act(t, operator, inc.ID, Command{Action: "dispatch", Team: 7})
	if inc.State != model.IncidentDispatched || inc.Clock.RespondBy != f.now.Now().UnixMilli()+15*60e3 || inc.Team != 7 {
		t.Fatalf("dispatched %+v: want the clock started now with a 15 min response", inc)
	}
	f.now.Advance(5 * time.Minute)
	inc = f.act(t, worker, inc.ID, Command{Action: "accept"})
	if inc.RespondedAt != f.now.Now().UnixMilli() {
		t.Fatalf("responded at %d, want now", inc.RespondedAt)
	}
	photo, err := f.svc.Attach(ctx, worker, inc.ID, "after.png", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	if photo.Type != "image/png" || len(photo.Hash) != 64 {
		t.Fatalf("attachment %+v", photo)
	}
	f.now.Advance(40 * time.Minute)
	f.act(t, worker, inc.ID, Command{Action: "feedback", Note: "关闭阀门，更换接头", Attachments: []string{photo.Hash}})
	inc = f.act(t, inspector, inc.ID, Command{Action: "verify", Pass: ptr(true), Note: "现场复核无泄漏"})
	if inc.State != model.IncidentClosed || inc.ClosedAt == 0 {
		t.Fatalf("verified: %+v", inc)
	}
	inc = f.act(t, inspector, inc.ID, Command{Action: "evaluate", Satisfaction: 5})
	want := model.Evaluation{RespondedOnTime: true, DisposedOnTime: true, Satisfaction: 5}
	if inc.State != model.IncidentEvaluated || inc.Evaluation == nil || *inc.Evaluation != want {
		t.Fatalf("evaluated %+v (%+v), want %+v", inc, inc.Evaluation, want)
	}

	evs, err := f.svc.History(ctx, operator, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(evs); !eq(got, []string{"open", "register", "dispatch", "accept", "attach", "feedback", "verify", "evaluate"}) {
		t.Fatalf("history %v", got)
	}
	if evs[5].Actor != "wang.gas" || evs[5].Attachments[0] != photo.Hash || evs[5].To != model.IncidentFedBack {
		t.Fatalf("feedback event %+v", evs[5])
	}
	if len(*f.changes) != len(evs) {
		t.Fatalf("listeners heard %d changes, history has %d", len(*f.changes), len(evs))
	}
	var recs []model.AuditRecord
	if err := f.db.EachAudit(ctx, func(r model.AuditRecord) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(evs) || recs[len(recs)-1].Action != "incident.evaluate" {
		t.Fatalf("audit has %d records (last %q), want one per event", len(recs), recs[len(recs)-1].Action)
	}
	if rep, err := audit.Verify(ctx, f.db); err != nil || !rep.OK() {
		t.Fatalf("audit chain: %v %+v", err, rep)
	}
	_, content, err := f.svc.Attachment(ctx, inspector, inc.ID, photo.Hash)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(content)
	if !bytes.Equal(buf.Bytes(), png) {
		t.Fatal("attachment content changed")
	}
}

// dispatched opens an incident in 310101002 and dispatches it to dept.
func (f *fixture) dispatched(t *testing.T, category, dept string) model.Incident {
	t.Helper()
	op := f.user("li.duty", model.RoleOperator, "ops-centre", "")
	inc, err := f.svc.Open(context.Background(), op, New{Title: "t", Category: category, Unit: "310101002", Register: true})
	if err != nil {
		t.Fatal(err)
	}
	return f.act(t, op, inc.ID, Command{Action: "dispatch", Dept: dept})
}

func TestWhoMayTakeWhichStep(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inc := f.dispatched(t, "gas_leak", "gas")
	other := f.user("chen.water", model.RoleField, "water", "")
	viewer := f.user("guest", model.RoleViewer, "", "")
	worker := f.user("wang.gas", model.RoleField, "gas", "")
	inspector := f.user("zhao.check", model.RoleInspector, "", "")

	_, err := f.svc.Act(ctx, other, inc.ID, Command{Action: "accept"})
	wantCode(t, err, model.EFORBIDDEN) // another department's incident
	_, err = f.svc.Act(ctx, viewer, inc.ID, Command{Action: "dispatch"})
	wantCode(t, err, model.EFORBIDDEN)
	_, err = f.svc.Act(ctx, worker, inc.ID, Command{Action: "feedback", Note: "done"})
	wantCode(t, err, model.ECONFLICT) // not accepted yet
	_, err = f.svc.Act(ctx, worker, inc.ID, Command{Action: "fly"})
	wantCode(t, err, model.EINVALID)
	_, err = f.svc.Act(ctx, worker, inc.ID, Command{Action: "accept", Version: inc.Version - 1})
	wantCode(t, err, model.ECONFLICT) // decided on a stale view
	f.act(t, worker, inc.ID, Command{Action: "accept", Version: inc.Version})
	_, err = f.svc.Act(ctx, worker, inc.ID, Command{Action: "feedback"})
	wantCode(t, err, model.EINVALID) // feedback must say what was done
	_, err = f.svc.Act(ctx, worker, inc.ID, Command{Action: "feedback", Note: "done", Attachments: []string{strings.Repeat("a", 64)}})
	wantCode(t, err, model.EINVALID) // evidence never uploaded
	f.act(t, worker, inc.ID, Command{Action: "feedback", Note: "done"})

	admin := f.user("root", model.RoleAdmin, "", "")
	_, err = f.svc.Act(ctx, f.user("wang.gas", model.RoleAdmin, "", ""), inc.ID, Command{Action: "verify", Pass: ptr(true)})
	wantCode(t, err, model.EFORBIDDEN) // the disposer may not verify
	_, err = f.svc.Act(ctx, inspector, inc.ID, Command{Action: "verify", Pass: ptr(false)})
	wantCode(t, err, model.EINVALID) // a rework needs a reason
	got := f.act(t, inspector, inc.ID, Command{Action: "verify", Pass: ptr(false), Note: "接头仍有异味"})
	if got.State != model.IncidentDisposing || got.Reworks != 1 || got.DisposedBy != "" {
		t.Fatalf("after a failed verification %+v: want back in disposal, one rework", got)
	}
	f.act(t, admin, inc.ID, Command{Action: "feedback", Note: "redone"}) // admins act for any department
	got = f.act(t, inspector, inc.ID, Command{Action: "verify", Pass: ptr(true)})
	got = f.act(t, inspector, got.ID, Command{Action: "evaluate"})
	if !got.Evaluation.Reworked {
		t.Fatal("evaluation forgot the rework")
	}
}

func TestRequestsNeedAnotherPersonsApproval(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	worker := f.user("wang.gas", model.RoleField, "gas", "")
	boss := f.user("sun.supervisor", model.RoleSupervisor, "supervision", "")
	dispatcher := f.user("qian.dispatch", model.RoleDispatcher, "ops-centre", "")

	t.Run("return", func(t *testing.T) {
		inc := f.dispatched(t, "gas_leak", "gas")
		_, err := f.svc.Act(ctx, worker, inc.ID, Command{Action: "request", Kind: RequestReturn})
		wantCode(t, err, model.EINVALID) // no reason
		f.act(t, worker, inc.ID, Command{Action: "request", Kind: RequestReturn, Note: "不属燃气，系下水道沼气"})
		_, err = f.svc.Act(ctx, worker, inc.ID, Command{Action: "request", Kind: RequestExtend, ExtendMinutes: 60, Note: "x"})
		wantCode(t, err, model.ECONFLICT) // one request at a time
		_, err = f.svc.Act(ctx, worker, inc.ID, Command{Action: "approve"})
		wantCode(t, err, model.EFORBIDDEN) // field workers do not approve
		got := f.act(t, boss, inc.ID, Command{Action: "approve"})
		if got.State != model.IncidentRegistered || got.Dept != "" || got.Clock.Start != 0 || got.Pending != nil {
			t.Fatalf("after an approved return %+v", got)
		}
	})
	t.Run("extend", func(t *testing.T) {
		inc := f.dispatched(t, "gas_leak", "gas")
		_, err := f.svc.Act(ctx, worker, inc.ID, Command{Action: "request", Kind: RequestExtend, ExtendMinutes: 0, Note: "x"})
		wantCode(t, err, model.EINVALID)
		f.act(t, worker, inc.ID, Command{Action: "request", Kind: RequestExtend, ExtendMinutes: 90, Note: "需停气施工"})
		_, err = f.svc.Act(ctx, boss, inc.ID, Command{Action: "reject"})
		wantCode(t, err, model.EINVALID) // a rejection says why
		got := f.act(t, boss, inc.ID, Command{Action: "approve"})
		if got.Clock.DisposeBy != inc.Clock.DisposeBy+90*60e3 {
			t.Fatalf("dispose by %d, want %d", got.Clock.DisposeBy, inc.Clock.DisposeBy+90*60e3)
		}
	})
	t.Run("suspend and resume move the deadlines", func(t *testing.T) {
		inc := f.dispatched(t, "gas_leak", "gas")
		f.act(t, worker, inc.ID, Command{Action: "request", Kind: RequestSuspend, Note: "业主不在家"})
		got := f.act(t, boss, inc.ID, Command{Action: "approve"})
		if got.State != model.IncidentSuspended || got.Clock.PausedAt == 0 {
			t.Fatalf("suspended %+v", got)
		}
		f.now.Advance(3 * time.Hour)
		raised, _ := f.svc.Escalate(ctx) // the extended incident of the last case is overdue by now
		for _, r := range raised {
			if r.ID == inc.ID {
				t.Fatalf("a suspended incident escalated: %+v", r)
			}
		}
		got = f.act(t, dispatcher, inc.ID, Command{Action: "resume"})
		if got.State != model.IncidentDispatched || got.Clock.RespondBy != inc.Clock.RespondBy+3*3600e3 {
			t.Fatalf("resumed %+v, want dispatched with deadlines 3 h later", got)
		}
	})
	t.Run("cancel; the requester may not approve", func(t *testing.T) {
		inc := f.dispatched(t, "exposed_garbage", "greening")
		f.act(t, dispatcher, inc.ID, Command{Action: "request", Kind: RequestCancel, Note: "重复上报"})
		_, err := f.svc.Act(ctx, f.user("qian.dispatch", model.RoleSupervisor, "", ""), inc.ID, Command{Action: "approve"})
		wantCode(t, err, model.EFORBIDDEN)
		if got := f.act(t, boss, inc.ID, Command{Action: "approve"}); got.State != model.IncidentCancelled {
			t.Fatalf("cancelled: %s", got.State)
		}
	})
}

func TestEscalationHappensOnceAndSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inc := f.dispatched(t, "gas_leak", "gas")
	f.now.Advance(12 * time.Minute) // 80 % of 15 min
	raised, err := f.svc.Escalate(ctx)
	if err != nil || len(raised) != 1 || raised[0].Escalation != model.EscalationNear {
		t.Fatalf("escalate at 12 min: %v %+v", err, raised)
	}
	if again, _ := f.svc.Escalate(ctx); len(again) != 0 {
		t.Fatalf("escalated twice: %+v", again)
	}
	f.now.Advance(4 * time.Minute)
	f.svc = f.open(t) // a restart: the stored level remembers what was said
	raised, _ = f.svc.Escalate(ctx)
	if len(raised) != 1 || raised[0].Escalation != model.EscalationOverdue {
		t.Fatalf("escalate at 16 min after restart: %+v", raised)
	}
	if again, _ := f.svc.Escalate(ctx); len(again) != 0 {
		t.Fatalf("escalated twice after restart: %+v", again)
	}
	overdue, _, err := f.svc.List(ctx, f.user("v", model.RoleViewer, "", ""), store.IncidentFilter{Overdue: true}, store.Page{})
	if err != nil || len(overdue) != 1 || overdue[0].ID != inc.ID {
		t.Fatalf("overdue listing: %v %+v", err, overdue)
	}
	evs, _ := f.svc.History(ctx, f.user("v", model.RoleViewer, "", ""), inc.ID)
	last := evs[len(evs)-1]
	if last.Action != "escalate" || last.Actor != "system" || !strings.Contains(last.Note, "city-supervision") {
		t.Fatalf("escalation event %+v", last)
	}
}

func TestAreaScope(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.user("li.duty", model.RoleOperator, "ops-centre", "")
	huangpu := f.user("hp.viewer", model.RoleViewer, "", "310101")
	west, _ := f.svc.Open(ctx, op, New{Title: "w", Category: "other", Unit: "310101002"})
	east, _ := f.svc.Open(ctx, op, New{Title: "e", Category: "other", Unit: "310115001"})
	if _, err := f.svc.Get(ctx, huangpu, east.ID); model.ErrorCode(err) != model.EFORBIDDEN {
		t.Fatalf("a Huangpu viewer read a Pudong incident: %v", err)
	}
	items, _, err := f.svc.List(ctx, huangpu, store.IncidentFilter{}, store.Page{})
	if err != nil || len(items) != 1 || items[0].ID != west.ID {
		t.Fatalf("Huangpu's listing: %v %+v", err, items)
	}
	_, _, err = f.svc.List(ctx, huangpu, store.IncidentFilter{Under: "310115"}, store.Page{})
	wantCode(t, err, model.EFORBIDDEN)
	_, err = f.svc.Open(ctx, f.user("hp.op", model.RoleOperator, "", "310101"), New{Title: "x", Category: "other", Unit: "310115001"})
	wantCode(t, err, model.EFORBIDDEN)
}

func TestOpenRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	op := f.user("li.duty", model.RoleOperator, "ops-centre", "")
	nan := 0.0
	nan = nan / nan
	for name, n := range map[string]New{
		"no title":         {Category: "other"},
		"unknown category": {Title: "t", Category: "<script>"},
		"lon without lat":  {Title: "t", Category: "other", Lon: ptr(121.0)},
		"NaN position":     {Title: "t", Category: "other", Lon: &nan, Lat: ptr(31.0)},
		"off the earth":    {Title: "t", Category: "other", Lon: ptr(200.0), Lat: ptr(31.0)},
		"unknown unit":     {Title: "t", Category: "other", Unit: "999"},
		"bad level":        {Title: "t", Category: "other", Level: 9},
		"bad source":       {Title: "t", Category: "other", Source: "rumour"},
		"huge description": {Title: "t", Category: "other", Description: strings.Repeat("x", 5000)},
		"invalid utf-8":    {Title: "\xff\xfe", Category: "other"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.Open(context.Background(), op, n)
			wantCode(t, err, model.EINVALID)
		})
	}
}

func TestAttachmentsAreCheckedAndStoredOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inc := f.dispatched(t, "gas_leak", "gas")
	worker := f.user("wang.gas", model.RoleField, "gas", "")
	_, err := f.svc.Attach(ctx, worker, inc.ID, "notes.txt", strings.NewReader("plain text"))
	wantCode(t, err, model.EINVALID)
	_, err = f.svc.Attach(ctx, worker, inc.ID, "huge.png", bytes.NewReader(append(png, make([]byte, MaxAttachment)...)))
	wantCode(t, err, model.ETOOLARGE)
	_, err = f.svc.Attach(ctx, f.user("guest", model.RoleViewer, "", ""), inc.ID, "a.png", bytes.NewReader(png))
	wantCode(t, err, model.EFORBIDDEN)
	a1, err := f.svc.Attach(ctx, worker, inc.ID, "../../etc/a.png", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	a2, err := f.svc.Attach(ctx, worker, inc.ID, "b.png", bytes.NewReader(png))
	if err != nil || a1.Hash != a2.Hash || a1.Name != "a.png" {
		t.Fatalf("same content twice: %v %+v %+v", err, a1, a2)
	}
	if _, _, err := f.svc.Attachment(ctx, worker, inc.ID+1000, a1.Hash); model.ErrorCode(err) != model.ENOTFOUND {
		t.Fatalf("attachment of an unknown incident: %v", err)
	}
}

// TestAttachSurvivesAChangeDuringTheUpload changes the incident while the
// file is being read, as the platform noting an alert would: the upload
// is still noted, on the new version, and the other change is kept.
func TestAttachSurvivesAChangeDuringTheUpload(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inc := f.dispatched(t, "gas_leak", "gas")
	worker := f.user("wang.gas", model.RoleField, "gas", "")
	dispatcher := f.user("zhao.dispatch", model.RoleDispatcher, "ops-centre", "")
	body := &duringRead{r: bytes.NewReader(png), once: func() {
		f.act(t, dispatcher, inc.ID, Command{Action: "note", Note: "燃气公司已到场"})
	}}
	if _, err := f.svc.Attach(ctx, worker, inc.ID, "evidence.png", body); err != nil {
		t.Fatalf("upload while the incident changed: %v", err)
	}
	events, err := f.db.IncidentEvents(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	if n := len(actions); n < 2 || actions[n-2] != "note" || actions[n-1] != "attach" {
		t.Fatalf("events %v: want the note, then the attachment", actions)
	}
}

// duringRead calls once before its first read.
type duringRead struct {
	r    io.Reader
	once func()
}

func (d *duringRead) Read(p []byte) (int, error) {
	if d.once != nil {
		d.once()
		d.once = nil
	}
	return d.r.Read(p)
}

func TestMergeMovesLinks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op := f.user("li.duty", model.RoleOperator, "ops-centre", "")
	a, _ := f.svc.Open(ctx, op, New{Title: "a", Category: "waterlogging", Unit: "310101002", Reports: []int64{1}})
	b, _ := f.svc.Open(ctx, op, New{Title: "b", Category: "waterlogging", Unit: "310101002", Reports: []int64{2}, Alerts: []string{"fp"}})
	_, err := f.svc.Act(ctx, op, b.ID, Command{Action: "merge", Target: b.ID})
	wantCode(t, err, model.EINVALID)
	got := f.act(t, op, b.ID, Command{Action: "merge", Target: a.ID, Note: "同一积水点"})
	if got.State != model.IncidentMerged || got.MergedInto != a.ID {
		t.Fatalf("merged %+v", got)
	}
	target, _ := f.svc.Get(ctx, op, a.ID)
	if !eq(target.Alerts, []string{"fp"}) || len(target.Reports) != 2 {
		t.Fatalf("target after merge %+v", target)
	}
	if _, err := f.db.OpenIncidentForAlert(ctx, "fp"); err != nil {
		t.Fatalf("the alert's open incident is now the target: %v", err)
	}
}

func TestAlertsRegisterIncidentsButNeverCloseThem(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	system := f.user("system", model.RoleAdmin, "", "")
	rules := DefaultAutoRules()
	gas := model.Alert{Fingerprint: "fp-gas", Rule: "threshold", Level: 3, State: model.AlertFiring,
		Labels: map[string]string{"unit": "310101002", "domain": "gas", "indicator": "gas_lel_max"}, SummaryZH: "燃气浓度橙色预警"}
	if err := f.svc.FromAlert(ctx, system, rules, alert.Event{Kind: alert.EventFiring, Alert: gas}); err != nil {
		t.Fatal(err)
	}
	inc, err := f.db.OpenIncidentForAlert(ctx, "fp-gas")
	if err != nil || inc.State != model.IncidentDispatched || inc.Dept != "gas" || inc.Category != "gas_leak" || inc.Source != model.SourceAlert {
		t.Fatalf("incident for an orange gas alert: %v %+v", err, inc)
	}
	gas.Level = 4
	if err := f.svc.FromAlert(ctx, system, rules, alert.Event{Kind: alert.EventUpdated, Alert: gas}); err != nil {
		t.Fatal(err)
	}
	gas.State = model.AlertResolved
	if err := f.svc.FromAlert(ctx, system, rules, alert.Event{Kind: alert.EventResolved, Alert: gas}); err != nil {
		t.Fatal(err)
	}
	after, _ := f.svc.Get(ctx, system, inc.ID)
	if after.Level != 4 || after.State != model.IncidentDispatched {
		t.Fatalf("after raise and resolution %+v: want level 4, still dispatched", after)
	}
	evs, _ := f.svc.History(ctx, system, inc.ID)
	if got := actions(evs); !eq(got, []string{"open", "dispatch", "alert", "alert"}) {
		t.Fatalf("history %v", got)
	}
	for name, e := range map[string]alert.Event{
		"blue":  {Kind: alert.EventFiring, Alert: model.Alert{Fingerprint: "b", Level: 1, Labels: map[string]string{"unit": "310101002", "domain": "gas"}}},
		"muted": {Kind: alert.EventFiring, Muted: true, Alert: model.Alert{Fingerprint: "m", Level: 4, Labels: map[string]string{"unit": "310101002"}}},
	} {
		if err := f.svc.FromAlert(ctx, system, rules, e); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.OpenIncidentForAlert(ctx, e.Alert.Fingerprint); model.ErrorCode(err) != model.ENOTFOUND {
			t.Fatalf("%s alert registered an incident: %v", name, err)
		}
	}
}

func TestRoutingRules(t *testing.T) {
	r, err := DefaultRouter()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   RouteInput
		dept string
	}{
		{RouteInput{Category: "gas_leak"}, "gas"},
		{RouteInput{Category: "other", Domain: "drainage"}, "drainage"},
		{RouteInput{Category: "exposed_garbage"}, "greening"},
		{RouteInput{Category: "other", Unit: "310101002"}, "street-office"},
	} {
		if dept, _, err := r.Route(tc.in); err != nil || dept != tc.dept {
			t.Errorf("route %+v = %q, %v; want %q", tc.in, dept, err, tc.dept)
		}
	}
	_, err = ParseRouter("r.yaml", []byte("rules:\n  - name: a\n    when: category ==\n    dept: x\n"))
	if err == nil || !strings.Contains(err.Error(), "r.yaml:2") {
		t.Fatalf("syntax error: %v, want it placed at r.yaml:2", err)
	}
	_, err = ParseRouter("r.yaml", []byte("rules:\n  - name: a\n    when: category\n    dept: x\n"))
	if err == nil || !strings.Contains(err.Error(), "boolean") {
		t.Fatalf("non-boolean condition: %v", err)
	}
	district, _ := ParseRouter("r.yaml", []byte("rules:\n  - name: pudong\n    when: '\"310115\" in path'\n    dept: pd\n  - name: rest\n    when: 'true'\n    dept: city\n"))
	if dept, _, _ := district.Route(RouteInput{Path: []string{"310000", "310115", "310115001"}}); dept != "pd" {
		t.Fatalf("district rule routed to %q", dept)
	}
}

func TestEvaluationRates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	start := f.now.Now()
	worker := f.user("wang.gas", model.RoleField, "gas", "")
	inspector := f.user("zhao.check", model.RoleInspector, "", "")
	boss := f.user("sun.supervisor", model.RoleSupervisor, "", "")
	op := f.user("li.duty", model.RoleOperator, "ops-centre", "")

	onTime := f.dispatched(t, "gas_leak", "gas")
	f.act(t, worker, onTime.ID, Command{Action: "accept"})
	f.act(t, worker, onTime.ID, Command{Action: "feedback", Note: "done"})
	f.act(t, inspector, onTime.ID, Command{Action: "verify", Pass: ptr(true)})

	reworked := f.dispatched(t, "gas_leak", "gas")
	f.act(t, worker, reworked.ID, Command{Action: "accept"})
	f.act(t, worker, reworked.ID, Command{Action: "feedback", Note: "done"})
	f.act(t, inspector, reworked.ID, Command{Action: "verify", Pass: ptr(false), Note: "again"})
	f.act(t, worker, reworked.ID, Command{Action: "feedback", Note: "redone"})
	f.act(t, inspector, reworked.ID, Command{Action: "verify", Pass: ptr(true)})

	extended := f.dispatched(t, "gas_leak", "gas")
	f.act(t, worker, extended.ID, Command{Action: "request", Kind: RequestExtend, ExtendMinutes: 30, Note: "x"})
	f.act(t, boss, extended.ID, Command{Action: "approve"})

	returned := f.dispatched(t, "gas_leak", "gas")
	f.act(t, worker, returned.ID, Command{Action: "request", Kind: RequestReturn, Note: "not ours"})
	f.act(t, boss, returned.ID, Command{Action: "approve"})
	f.act(t, op, returned.ID, Command{Action: "dispatch", Dept: "water"})

	f.now.Advance(5 * time.Hour) // every open clock is past its 2 h (+30 min) disposal deadline
	if _, err := f.svc.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	ev, err := f.svc.Evaluate(ctx, op, start.Add(-time.Hour), f.now.Now(), "dept")
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Rows) != 2 || ev.Rows[0].Key != "gas" || ev.Rows[1].Key != "water" {
		t.Fatalf("rows %+v, want gas and water", ev.Rows)
	}
	gas := ev.Rows[0]
	want := EvaluationRow{Key: "gas", Created: 3, Dispatched: 3, Disposed: 2, DisposedOnTime: 2, DueToDispose: 3,
		Closed: 2, ClosedOnTime: 1, Reworked: 1, Extended: 1, Open: 1, OpenOverdue: 1}
	gas.Rates = nil
	if !reflect.DeepEqual(gas, want) {
		t.Fatalf("gas row\n%+v\nwant\n%+v", gas, want)
	}
	r := ev.Rows[0].Rates
	if r["on_time_close"] != 1.0/3 || r["rework"] != 1.0/3 || r["on_time_disposal"] != 2.0/3 {
		t.Fatalf("gas rates %v", r)
	}
	if ev.Total.Returned != 1 || ev.Total.Rates["correct_dispatch"] != 0.75 {
		t.Fatalf("total %+v", ev.Total)
	}
	_, err = f.svc.Evaluate(ctx, op, f.now.Now(), start, "dept")
	wantCode(t, err, model.EINVALID)
	_, err = f.svc.Evaluate(ctx, op, start, f.now.Now(), "mood")
	wantCode(t, err, model.EINVALID)
}

func TestAutoRulesFromYAML(t *testing.T) {
	rules, err := ParseAutoRules("auto.yaml", []byte("rules:\n  - name: pudong gas\n    domains: [gas]\n    min_level: 2\n    under: \"310115\"\n    dispatch: true\n"))
	if err != nil || len(rules) != 1 || rules[0].Under != "310115" || !rules[0].Dispatch || rules[0].MinLevel != 2 {
		t.Fatalf("rules %+v, %v", rules, err)
	}
	for _, bad := range []string{
		"rules:\n  - name: x\n    min_level: 7\n",
		"rules:\n  - min_level: 2\n",
		"rules:\n  - name: x\n    min_level: 2\n    colour: red\n",
	} {
		if _, err := ParseAutoRules("auto.yaml", []byte(bad)); model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), "auto.yaml") {
			t.Errorf("%q: %v, want EINVALID naming the file", bad, err)
		}
	}
}
