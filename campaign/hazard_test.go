package campaign

import (
	"strings"
	"testing"
	"time"

	"cityvitals/model"
)

// foundHazards inspects li.si's first household with the hose failed
// (general), LPG in the basement (major) and the flame-failure device
// fixed on the spot, and returns the three hazards by item.
func (f *fixture) foundHazards(t *testing.T) (model.Campaign, map[string]model.Hazard) {
	t.Helper()
	c, tasks := f.inspectedCampaign(t)
	out, err := f.svc.SubmitInspection(t.Context(), "li.si", c.ID, Inspection{
		Task: tasks["310101002-G1-m0"].ID, At: ms(periodStart.Add(30 * time.Hour)),
		Items: answers(map[string]model.ItemOutcome{"H01": model.OutcomeFail, "H07": model.OutcomeFail, "H03": model.OutcomeFixed}),
	})
	mustNil(t, err)
	byItem := map[string]model.Hazard{}
	for _, h := range out.Hazards {
		byItem[h.Item] = h
	}
	return c, byItem
}

func evidence(names ...string) Evidence {
	e := Evidence{Note: "已整改"}
	for _, n := range names {
		e.Evidence = append(e.Evidence, photo(n))
	}
	return e
}

func TestGeneralHazardLifecycleWithRefusals(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	_, hs := f.foundHazards(t)
	id := hs["H01"].ID

	_, err := f.svc.Rectify(ctx, "zhao.liu", id, Evidence{Note: "换了"})
	wantCode(t, err, model.EINVALID, "evidence")
	_, err = f.svc.Verify(ctx, "chen.qi", id, Verdict{Pass: true, Evidence: evidence("v").Evidence})
	wantCode(t, err, model.ECONFLICT, "open", "awaiting_verification")

	h, err := f.svc.Rectify(ctx, "zhao.liu", id, evidence("after"))
	mustNil(t, err)
	if h.State != model.HazardAwaiting || h.RectifiedBy != "zhao.liu" || h.Owner != "zhao.liu" {
		t.Fatalf("after rectify %+v", h)
	}
	_, err = f.svc.Verify(ctx, "zhao.liu", id, Verdict{Pass: true, Evidence: evidence("v").Evidence})
	wantCode(t, err, model.EFORBIDDEN, "zhao.liu", "cannot also verify")
	_, err = f.svc.Verify(ctx, "chen.qi", id, Verdict{Pass: true})
	wantCode(t, err, model.EINVALID, "evidence", "close-out")
	_, err = f.svc.Verify(ctx, "chen.qi", id, Verdict{Pass: false})
	wantCode(t, err, model.EINVALID, "note")

	h, err = f.svc.Verify(ctx, "chen.qi", id, Verdict{Pass: false, Note: "软管仍超过 2 米"})
	mustNil(t, err)
	if h.State != model.HazardRectifying || h.Reworks != 1 || h.RectifiedBy != "" {
		t.Fatalf("after rejection %+v", h)
	}
	f.clock.Advance(time.Hour)
	_, err = f.svc.Rectify(ctx, "zhao.liu", id, evidence("after2"))
	mustNil(t, err)
	h, err = f.svc.Verify(ctx, "chen.qi", id, Verdict{Pass: true, Note: "复查合格", Evidence: evidence("check").Evidence})
	mustNil(t, err)
	if h.State != model.HazardClosed || h.VerifiedBy != "chen.qi" || h.ClosedAt != ms(f.clock.Now()) || len(h.VerifyEvidence) != 1 {
		t.Fatalf("after close-out %+v", h)
	}

	_, err = f.svc.Reopen(ctx, "chen.qi", id, Reopening{})
	wantCode(t, err, model.EINVALID, "reason")
	h, err = f.svc.Reopen(ctx, "chen.qi", id, Reopening{Reason: "回头看发现仍使用橡胶管"})
	mustNil(t, err)
	if h.State != model.HazardOpen || h.Reopens != 1 || h.ClosedAt != 0 || h.VerifiedBy != "" ||
		h.Deadline != ms(time.Date(2025, 8, 3, 0, 0, 0, 0, cst)) {
		t.Errorf("after reopen %+v: want open again with a fresh 30-day deadline (reopened on 2025-07-03)", h)
	}

	events, err := f.svc.HazardEvents(ctx, id)
	mustNil(t, err)
	var trail []string
	for _, ev := range events {
		trail = append(trail, ev.Action+":"+string(ev.From)+">"+string(ev.To))
	}
	want := "found:>open rectify:open>awaiting_verification reject:awaiting_verification>rectifying " +
		"rectify:rectifying>awaiting_verification close:awaiting_verification>closed reopen:closed>open"
	if strings.Join(trail, " ") != want {
		t.Errorf("hazard file\n%s\nwant\n%s", strings.Join(trail, " "), want)
	}
	if got := strings.Join(f.audit.actions(hazardTarget(id)), ","); got != "hazard.rectify,hazard.reject,hazard.rectify,hazard.close,hazard.reopen" {
		t.Errorf("audited %s", got)
	}
}

func TestMajorHazardNeedsPlanAndMilestones(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	_, hs := f.foundHazards(t)
	major := hs["H07"]
	day := func(d int) int64 { return ms(periodStart.AddDate(0, 0, d)) }

	_, err := f.svc.Rectify(ctx, "zhao.liu", major.ID, evidence("x"))
	wantCode(t, err, model.ECONFLICT, "major", "plan")

	plan := Plan{Owner: "zhao.liu", Dept: "gas", Deadline: day(40), Measures: "关闭气瓶角阀，张贴警示，每日巡查",
		Milestones: []MilestoneInput{{Title: "气瓶移出地下室", Due: day(10)}, {Title: "改用管道燃气", Due: day(35)}}}
	cases := []struct {
		name  string
		edit  func(*Plan)
		code  string
		words []string
	}{
		{"no owner", func(p *Plan) { p.Owner = "" }, model.EINVALID, []string{"owner"}},
		{"no measures", func(p *Plan) { p.Measures = " " }, model.EINVALID, []string{"measures", "interim"}},
		{"no milestones", func(p *Plan) { p.Milestones = nil }, model.EINVALID, []string{"milestones", "timetable"}},
		{"milestone after the deadline", func(p *Plan) { p.Milestones[1].Due = day(41) }, model.EINVALID, []string{"milestones[1].due", "after the deadline"}},
		{"milestones out of order", func(p *Plan) { p.Milestones[1].Due = day(9) }, model.EINVALID, []string{"milestones[1].due", "not after"}},
		{"milestone before discovery", func(p *Plan) { p.Milestones[0].Due = day(0) }, model.EINVALID, []string{"milestones[0].due"}},
		{"untitled milestone", func(p *Plan) { p.Milestones[0].Title = "" }, model.EINVALID, []string{"milestones[0].title"}},
		{"deadline passed", func(p *Plan) { p.Deadline = ms(periodStart.Add(40 * time.Hour)) }, model.EINVALID, []string{"deadline", "passed"}},
		{"bad dept", func(p *Plan) { p.Dept = "Gas Co; DROP TABLE" }, model.EINVALID, []string{"dept"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := plan
			p.Milestones = append([]MilestoneInput(nil), plan.Milestones...)
			tc.edit(&p)
			_, err := f.svc.PlanRectification(ctx, "zhang.san", major.ID, p)
			wantCode(t, err, tc.code, tc.words...)
		})
	}
	h, err := f.svc.PlanRectification(ctx, "zhang.san", major.ID, plan)
	mustNil(t, err)
	if h.State != model.HazardRectifying || h.Owner != "zhao.liu" || h.Deadline != day(40) || len(h.Milestones) != 2 ||
		h.Milestones[1].Seq != 2 || h.Measures == "" {
		t.Fatalf("planned %+v", h)
	}

	_, err = f.svc.Rectify(ctx, "zhao.liu", major.ID, evidence("x"))
	wantCode(t, err, model.ECONFLICT, "milestone 1")
	_, err = f.svc.CompleteMilestone(ctx, "zhao.liu", major.ID, 1, Evidence{})
	wantCode(t, err, model.EINVALID, "evidence")
	_, err = f.svc.CompleteMilestone(ctx, "zhao.liu", major.ID, 7, evidence("m"))
	wantCode(t, err, model.ENOTFOUND, "milestone 7")
	h, err = f.svc.CompleteMilestone(ctx, "zhao.liu", major.ID, 1, evidence("moved"))
	mustNil(t, err)
	if h.Milestones[0].DoneBy != "zhao.liu" || h.Milestones[0].DoneAt == 0 || h.Milestones[1].DoneAt != 0 {
		t.Fatalf("milestones %+v", h.Milestones)
	}
	_, err = f.svc.CompleteMilestone(ctx, "zhao.liu", major.ID, 1, evidence("again"))
	wantCode(t, err, model.ECONFLICT, "was done")

	// Re-planning keeps the done milestone and renumbers after it.
	plan.Milestones = []MilestoneInput{{Title: "燃气公司接管道", Due: day(30)}, {Title: "验收通气", Due: day(38)}}
	h, err = f.svc.PlanRectification(ctx, "zhang.san", major.ID, plan)
	mustNil(t, err)
	if len(h.Milestones) != 3 || h.Milestones[0].DoneAt == 0 || h.Milestones[2].Seq != 3 || h.Milestones[2].Title != "验收通气" {
		t.Fatalf("re-planned milestones %+v", h.Milestones)
	}
	for _, seq := range []int{2, 3} {
		_, err = f.svc.CompleteMilestone(ctx, "zhao.liu", major.ID, seq, evidence("done"))
		mustNil(t, err)
	}
	_, err = f.svc.Rectify(ctx, "zhao.liu", major.ID, evidence("gas-piped"))
	mustNil(t, err)
	h, err = f.svc.Verify(ctx, "chen.qi", major.ID, Verdict{Pass: true, Evidence: evidence("check").Evidence})
	mustNil(t, err)
	if h.State != model.HazardClosed {
		t.Errorf("major hazard not closed: %+v", h)
	}
}

func TestOnSiteFixNeedsAnotherVerifierAndCampaignPeriod(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	c, hs := f.foundHazards(t)
	fixed := hs["H03"]

	_, err := f.svc.Verify(ctx, "li.si", fixed.ID, Verdict{Pass: true, Evidence: evidence("v").Evidence})
	wantCode(t, err, model.EFORBIDDEN, "li.si")

	f.clock.Set(time.UnixMilli(c.EndAt).Add(time.Hour))
	_, err = f.svc.Verify(ctx, "chen.qi", fixed.ID, Verdict{Pass: true, Evidence: evidence("v").Evidence})
	wantCode(t, err, model.EINVALID, "outside the period", "extend")

	end := c.EndAt + 30*dayMs
	_, err = f.svc.UpdateCampaign(ctx, "zhang.san", c.ID, CampaignChange{Version: c.Version, EndAt: &end})
	mustNil(t, err)
	h, err := f.svc.Verify(ctx, "chen.qi", fixed.ID, Verdict{Pass: true, Evidence: evidence("v").Evidence})
	mustNil(t, err)
	if h.State != model.HazardClosed || h.RectifiedBy != "li.si" || h.VerifiedBy != "chen.qi" {
		t.Errorf("closed %+v", h)
	}
}

func TestReportHazardOutsideTasks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	c, _ := f.inspectedCampaign(t)
	mustNil(t, f.db.PutAssets(ctx, []model.Asset{
		{ID: "pipe-7", Type: "gas_pipe_segment", Unit: "310104003-G1", Dept: "gas"},
		{ID: "pipe-9", Type: "gas_pipe_segment", Unit: "310115001-G1", Dept: "gas"},
	}))
	ok := NewHazard{Campaign: c.ID, Asset: "pipe-7", Category: "pipe", Severity: model.SeverityMajor,
		Description: "违章建筑占压中压燃气管线", Photos: []string{photo("over-pipe")}}
	cases := []struct {
		name  string
		edit  func(*NewHazard)
		code  string
		words []string
	}{
		{"unknown asset", func(n *NewHazard) { n.Asset = "pipe-0" }, model.ENOTFOUND, []string{"pipe-0"}},
		{"asset outside scope", func(n *NewHazard) { n.Asset = "pipe-9" }, model.EINVALID, []string{"asset", "outside the scope"}},
		{"no photo", func(n *NewHazard) { n.Photos = nil }, model.EINVALID, []string{"photos"}},
		{"unknown category", func(n *NewHazard) { n.Category = "weather" }, model.EINVALID, []string{"category", "weather"}},
		{"bad severity", func(n *NewHazard) { n.Severity = "critical" }, model.EINVALID, []string{"severity", "critical"}},
		{"no description", func(n *NewHazard) { n.Description = "" }, model.EINVALID, []string{"description"}},
		{"found before the period", func(n *NewHazard) { n.FoundAt = c.StartAt - 1 }, model.EINVALID, []string{"found_at", "outside"}},
		{"deadline before discovery", func(n *NewHazard) { n.Deadline = c.StartAt + 1; n.FoundAt = c.StartAt + 2 }, model.EINVALID, []string{"deadline"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := ok
			tc.edit(&n)
			_, err := f.svc.ReportHazard(ctx, "chen.qi", n)
			wantCode(t, err, tc.code, tc.words...)
		})
	}
	h, err := f.svc.ReportHazard(ctx, "chen.qi", ok)
	mustNil(t, err)
	if h.District != "310104" || h.Unit != "310104003-G1" || h.Dept != "gas" || h.Task != 0 ||
		h.FoundAt != ms(f.clock.Now()) || h.State != model.HazardOpen {
		t.Errorf("reported %+v", h)
	}
	open, err := f.svc.OpenHazardsOfAsset(ctx, "pipe-7")
	mustNil(t, err)
	majors, err := f.svc.OpenMajorByUnit(ctx)
	mustNil(t, err)
	if len(open) != 1 || open[0].ID != h.ID || majors["310104003-G1"] != 1 {
		t.Errorf("open of pipe-7 %+v; majors %v", open, majors)
	}
}

func TestEscalateReturnsEachOverdueOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	_, hs := f.foundHazards(t)
	day := func(d int) time.Time { return periodStart.AddDate(0, 0, d) }
	major := hs["H07"]
	_, err := f.svc.PlanRectification(ctx, "zhang.san", major.ID, Plan{Owner: "zhao.liu", Deadline: ms(day(40)),
		Measures: "关闭角阀", Milestones: []MilestoneInput{{Title: "移出气瓶", Due: ms(day(5))}}})
	mustNil(t, err)

	found, err := f.svc.Escalate(ctx)
	mustNil(t, err)
	if len(found) != 0 {
		t.Fatalf("nothing is due yet, found %+v", found)
	}
	f.clock.Set(day(6))
	found, err = f.svc.Escalate(ctx)
	mustNil(t, err)
	if len(found) != 1 || found[0].Hazard.ID != major.ID || found[0].Milestone != 1 || found[0].Due != ms(day(5)) {
		t.Fatalf("at day 6 found %+v, want milestone 1 of the major hazard", found)
	}
	if again, err := f.svc.Escalate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second scan found %+v, %v; want nothing", again, err)
	}
	// Day 33: the general hose hazard's deadline (end of 2025-08-01) has passed; the
	// on-site fix awaits verification and is nobody's delay.
	f.clock.Set(day(33))
	found, err = f.svc.Escalate(ctx)
	mustNil(t, err)
	if len(found) != 1 || found[0].Hazard.ID != hs["H01"].ID || found[0].Milestone != 0 {
		t.Fatalf("at day 33 found %+v, want the hose hazard's deadline", found)
	}
	// Moving the deadline re-arms its escalation.
	_, err = f.svc.PlanRectification(ctx, "zhang.san", hs["H01"].ID, Plan{Owner: "zhao.liu", Deadline: ms(day(45))})
	mustNil(t, err)
	f.clock.Set(day(46))
	found, err = f.svc.Escalate(ctx)
	mustNil(t, err)
	ids := map[int64]int{}
	for _, o := range found {
		ids[o.Hazard.ID] = o.Milestone
	}
	if len(found) != 2 || ids[hs["H01"].ID] != 0 || ids[major.ID] != 0 {
		t.Errorf("at day 46 found %+v: want both deadlines", found)
	}
	if got := f.audit.actions("hazards"); len(got) != 3 {
		t.Errorf("overdue scans audited %v, want one record per scan that found something", got)
	}
	events, err := f.svc.HazardEvents(ctx, major.ID)
	mustNil(t, err)
	if last := events[len(events)-1]; last.Action != "overdue" || last.Actor != systemActor {
		t.Errorf("last event of the major hazard %+v", last)
	}
}
