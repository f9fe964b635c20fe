package campaign

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

// inspectedCampaign is a household campaign with two meters in each of
// the three scoped grids and their tasks.
func (f *fixture) inspectedCampaign(t *testing.T) (model.Campaign, map[string]model.InspectionTask) {
	t.Helper()
	c := f.householdCampaign(t)
	f.putMeters(t, 2, "310101002-G1", "310101002-G2", "310104003-G1")
	_, err := f.svc.GenerateTasks(t.Context(), "zhang.san", c.ID)
	mustNil(t, err)
	byAsset := map[string]model.InspectionTask{}
	for _, task := range f.allTasks(t, c) {
		byAsset[task.Asset] = task
	}
	return c, byAsset
}

func TestSubmitInspectionRecordsHazards(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	c, tasks := f.inspectedCampaign(t)
	task := tasks["310101002-G1-m0"]
	lon, lat := 121.4800, 31.2400
	at := ms(periodStart.Add(30 * time.Hour)) // 2025-07-02 06:00 CST
	out, err := f.svc.SubmitInspection(ctx, "li.si", c.ID, Inspection{
		Task: task.ID, At: at, Lon: &lon, Lat: &lat, Note: "住户在家",
		Items: answers(map[string]model.ItemOutcome{"H01": model.OutcomeFail, "H07": model.OutcomeFail, "H03": model.OutcomeFixed, "H06": model.OutcomeNA}),
	})
	mustNil(t, err)
	if !out.Task.Done() || out.Task.Hazards != 3 || out.Task.InspectedBy != "li.si" || len(out.Hazards) != 3 {
		t.Fatalf("outcome %+v", out)
	}
	byItem := map[string]model.Hazard{}
	for _, h := range out.Hazards {
		byItem[h.Item] = h
	}
	hose, basement, flame := byItem["H01"], byItem["H07"], byItem["H03"]
	// 30 days for general hazards: the end of 2025-08-01 in Shanghai.
	if hose.State != model.HazardOpen || hose.Severity != model.SeverityGeneral || hose.Category != "hose" ||
		hose.Deadline != ms(time.Date(2025, 8, 2, 0, 0, 0, 0, cst)) || hose.District != "310101" ||
		hose.Dept != "gas" || !hose.HasPoint || hose.Photos[0] != photo("H01") || hose.FoundBy != "li.si" {
		t.Errorf("hose hazard %+v", hose)
	}
	if basement.Severity != model.SeverityMajor || basement.Deadline != ms(time.Date(2025, 10, 1, 0, 0, 0, 0, cst)) {
		t.Errorf("basement hazard %+v: want major, 90 days", basement)
	}
	if flame.State != model.HazardAwaiting || !flame.OnSite || flame.RectifiedBy != "li.si" || len(flame.Evidence) != 1 {
		t.Errorf("fixed-on-site hazard %+v: want awaiting verification with the inspector as rectifier", flame)
	}
	stored, err := f.svc.InspectionResult(ctx, task.ID)
	mustNil(t, err)
	if stored.Lon != lon || stored.Note != "住户在家" || len(stored.Items) != 12 || stored.SubmittedBy != "li.si" {
		t.Errorf("stored result %+v", stored)
	}
	events, err := f.svc.HazardEvents(ctx, hose.ID)
	mustNil(t, err)
	if len(events) != 1 || events[0].Action != "found" || events[0].To != model.HazardOpen {
		t.Errorf("hose hazard file %+v", events)
	}
	if got := f.audit.actions(campaignTarget(c.ID)); got[len(got)-1] != "inspection.submit" {
		t.Errorf("audited %v, want inspection.submit last", got)
	}

	_, err = f.svc.SubmitInspection(ctx, "li.si", c.ID, Inspection{Task: task.ID, At: at, Items: answers(nil)})
	wantCode(t, err, model.ECONFLICT, "already inspected")
}

func TestSubmitInspectionRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, tasks := f.inspectedCampaign(t)
	ok := func() Inspection {
		return Inspection{Task: tasks["310101002-G1-m1"].ID, At: ms(periodStart.Add(30 * time.Hour)), Items: answers(nil)}
	}
	bigLon := 190.0
	cases := []struct {
		name  string
		actor string
		edit  func(*Inspection)
		code  string
		words []string
	}{
		{"unknown task", "li.si", func(in *Inspection) { in.Task = 99999 }, model.ENOTFOUND, []string{"task", "99999"}},
		{"neither task nor asset", "li.si", func(in *Inspection) { in.Task = 0 }, model.EINVALID, []string{"task"}},
		{"task and other asset", "li.si", func(in *Inspection) { in.Asset = "310104003-G1-m0" }, model.EINVALID, []string{"asset", "310104003-G1-m0"}},
		{"not the assigned inspector", "wang.wu", func(*Inspection) {}, model.EINVALID, []string{"inspector", "assigned to li.si"}},
		{"before the period", "li.si", func(in *Inspection) { in.At = ms(periodStart) - 1 }, model.EINVALID, []string{"inspected_at", "outside the campaign period"}},
		{"in the future", "li.si", func(in *Inspection) { in.At = ms(periodStart.Add(72 * time.Hour)) }, model.EINVALID, []string{"inspected_at", "future"}},
		{"missing item", "li.si", func(in *Inspection) { in.Items = in.Items[1:] }, model.EINVALID, []string{"items.H01", "not answered"}},
		{"item twice", "li.si", func(in *Inspection) { in.Items = append(in.Items, in.Items[0]) }, model.EINVALID, []string{"items.H01", "twice"}},
		{"foreign item", "li.si", func(in *Inspection) {
			in.Items = append(in.Items, model.ItemResult{Item: "R01", Outcome: model.OutcomeOK})
		}, model.EINVALID, []string{"items.R01", "household_gas"}},
		{"bad outcome", "li.si", func(in *Inspection) { in.Items[2].Outcome = "maybe" }, model.EINVALID, []string{"items.H03", "maybe"}},
		{"failed item without photo", "li.si", func(in *Inspection) { in.Items[0].Outcome = model.OutcomeFail }, model.EINVALID, []string{"items.H01.photos", "at least one photo"}},
		{"photo not a hash", "li.si", func(in *Inspection) { in.Photos = []string{"../../etc/passwd"} }, model.EINVALID, []string{"photos", "SHA-256"}},
		{"longitude out of range", "li.si", func(in *Inspection) { lat := 31.2; in.Lon, in.Lat = &bigLon, &lat }, model.EINVALID, []string{"lon", "190"}},
		{"only latitude", "li.si", func(in *Inspection) { lat := 31.2; in.Lat = &lat }, model.EINVALID, []string{"lon", "both"}},
		{"note not UTF-8", "li.si", func(in *Inspection) { in.Note = "\xff\xfe" }, model.EINVALID, []string{"note", "UTF-8"}},
		{"huge note", "li.si", func(in *Inspection) { in.Note = strings.Repeat("x", 5000) }, model.EINVALID, []string{"note"}},
		{"no actor", "", func(*Inspection) {}, model.EINVALID, []string{"acting user"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := ok()
			tc.edit(&in)
			_, err := f.svc.SubmitInspection(t.Context(), tc.actor, c.ID, in)
			wantCode(t, err, tc.code, tc.words...)
		})
	}
	task, err := f.svc.Task(t.Context(), tasks["310101002-G1-m1"].ID)
	mustNil(t, err)
	if task.Done() {
		t.Error("a refused inspection marked the task inspected")
	}
}

func TestBatchJSONKeepsValidRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	c, tasks := f.inspectedCampaign(t)
	row := func(asset string, at string, items []model.ItemResult) map[string]any {
		return map[string]any{"asset": asset, "inspector": "wang.wu", "inspected_at": at, "items": items}
	}
	good1 := row("310101002-G2-m0", "2025-07-02T09:00:00+08:00", answers(map[string]model.ItemOutcome{"H02": model.OutcomeFail}))
	good2 := row("310101002-G2-m1", "2025-07-02 09:30", answers(nil))
	noItem := row("310101002-G2-m1", "2025-07-02 09:40", answers(nil)[1:]) // also repeats good2's task
	badTime := row("310104003-G1-m0", "yesterday", answers(nil))
	typo := map[string]any{"asset": "310104003-G1-m1", "inspected_at": 1751418000000, "items": answers(nil), "inspecter": "x"}
	wrongType := map[string]any{"task": "seven", "items": answers(nil)}
	unknown := row("no-such-meter", "2025-07-02 10:00", answers(nil))
	body, err := json.Marshal([]any{good1, good2, noItem, badTime, typo, wrongType, unknown})
	mustNil(t, err)

	rep, err := f.svc.UploadJSON(ctx, "wang.wu", c.ID, strings.NewReader(string(body)))
	mustNil(t, err)
	if rep.Rows != 7 || rep.Accepted != 2 || rep.Rejected != 5 || rep.Hazards != 1 {
		t.Fatalf("report %+v: want 2 of 7 accepted with one hazard", rep)
	}
	wantErrors := map[int][]string{
		3: {"items.H01", "not answered", "already in row 2"}, // two problems, both reported
		4: {"inspected_at", "yesterday"},
		5: {"inspecter", "unknown field"},
		6: {"task", "int64"},
		7: {"asset", "no-such-meter"},
	}
	checkRowErrors(t, rep.Errors, wantErrors)
	done, _, err := f.svc.Tasks(ctx, store.TaskFilter{Campaign: c.ID, Done: true}, store.Page{})
	mustNil(t, err)
	if len(done) != 2 || done[0].ID != tasks["310101002-G2-m0"].ID || done[1].ID != tasks["310101002-G2-m1"].ID {
		t.Errorf("inspected tasks %+v: want the two valid rows' tasks", done)
	}

	_, err = f.svc.UploadJSON(ctx, "wang.wu", c.ID, strings.NewReader(`[{"asset": "x"`))
	wantCode(t, err, model.EINVALID, "not valid JSON")
}

func TestBatchNDJSONReportsBrokenLines(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, _ := f.inspectedCampaign(t)
	items, err := json.Marshal(answers(nil))
	mustNil(t, err)
	body := fmt.Sprintf(`{"asset": "310104003-G1-m0", "inspected_at": "2025-07-02T10:00:00Z", "items": %s}

{"asset": "310104003-G1-m1", "inspected_at": "2025-07-02T10:00:00Z", "items": [
{"asset": "310104003-G1-m1", "inspected_at": "2025-07-02T10:05:00Z", "items": %s}
`, items, items)
	rep, err := f.svc.UploadJSON(t.Context(), "zhao.liu", c.ID, strings.NewReader(body))
	mustNil(t, err)
	if rep.Accepted != 2 || rep.Rejected != 1 || len(rep.Errors) != 1 || rep.Errors[0].Row != 3 ||
		!strings.Contains(rep.Errors[0].Message, "JSON") {
		t.Errorf("report %+v: want lines 1 and 4 accepted, line 3 refused as broken JSON", rep)
	}
}

func TestBatchCSV(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	c, tasks := f.inspectedCampaign(t)
	var header, ok []string
	cl, _ := DefaultChecklists().Checklist("household_gas")
	for _, it := range cl.Items {
		header, ok = append(header, it.ID), append(ok, "合格")
	}
	line := func(asset, at string, outcomes ...string) string {
		cells := append([]string{asset, at, "121.47", "31.23"}, ok...)
		for i := 0; i+1 < len(outcomes); i += 2 {
			idx := strings.TrimPrefix(outcomes[i], "H")
			var n int
			fmt.Sscanf(idx, "%d", &n)
			cells[3+n] = outcomes[i+1]
		}
		return strings.Join(cells, ",") + ",,"
	}
	csv := "\ufeffasset,inspected_at,lon,lat," + strings.Join(header, ",") + ",h01.photos,H01.note\n" +
		strings.TrimSuffix(line("310104003-G1-m0", "2025-07-02 10:00", "H01", "不合格"), ",,") + "," + photo("a") + ";" + photo("b") + ",橡胶管老化\n" +
		line("310104003-G1-m1", "2025-07-02 10:20", "H05", "当场整改") + "\n" + // fixed without a photo
		line("310101002-G2-m0", "2025-07-02 10:40", "H04", "maybe") + "\n" +
		"310101002-G2-m1,2025-07-02 11:00\n" + // too few fields
		"\n" + // blank lines are skipped
		line("310101002-G2-m1", "2025-07-02 11:10", "H06", "不适用") + "\n"
	rep, err := f.svc.UploadCSV(ctx, "zhao.liu", c.ID, strings.NewReader(csv))
	mustNil(t, err)
	// Row 2 is zhao.liu's district, accepted. Row 3 lacks a photo. Row 4
	// has a bad outcome and is wang.wu's task. Row 5 is short. Row 7 is
	// wang.wu's task too.
	if rep.Rows != 5 || rep.Accepted != 1 || rep.Hazards != 1 {
		t.Fatalf("report %+v", rep)
	}
	checkRowErrors(t, rep.Errors, map[int][]string{
		3: {"H05.photos", "at least one photo"},
		4: {"H04", "maybe", "assigned to wang.wu"},
		5: {"fields"},
		7: {"assigned to wang.wu"},
	})
	hs, _, err := f.svc.Hazards(ctx, store.HazardFilter{Task: tasks["310104003-G1-m0"].ID}, store.Page{})
	mustNil(t, err)
	if len(hs) != 1 || hs[0].Item != "H01" || len(hs[0].Photos) != 2 || !strings.Contains(hs[0].Description, "橡胶管老化") ||
		hs[0].FoundAt != ms(time.Date(2025, 7, 2, 10, 0, 0, 0, cst)) {
		t.Errorf("hazard from CSV %+v", hs)
	}

	_, err = f.svc.UploadCSV(ctx, "zhao.liu", c.ID, strings.NewReader("asset,colour\nx,red\n"))
	wantCode(t, err, model.EINVALID, "colour")
	_, err = f.svc.UploadCSV(ctx, "zhao.liu", c.ID, strings.NewReader("inspector,H01\nx,ok\n"))
	wantCode(t, err, model.EINVALID, "task or an asset")
}

func TestBatchTooLarge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rows := make([]BatchRow, MaxBatchRows+1)
	_, err := f.svc.SubmitBatch(t.Context(), "li.si", 1, rows)
	wantCode(t, err, model.ETOOLARGE, "10000")
	var body strings.Builder
	body.WriteString("[")
	for i := range MaxBatchRows + 1 {
		if i > 0 {
			body.WriteString(",")
		}
		body.WriteString("{}")
	}
	body.WriteString("]")
	_, err = f.svc.UploadJSON(t.Context(), "li.si", 1, strings.NewReader(body.String()))
	wantCode(t, err, model.ETOOLARGE, "10000")
}

// checkRowErrors wants exactly the rows of want refused, each with
// errors that together mention all its words.
func checkRowErrors(t *testing.T, errs []RowError, want map[int][]string) {
	t.Helper()
	got := map[int]string{}
	for _, e := range errs {
		got[e.Row] += e.Field + " " + e.Message + "\n"
	}
	for row, words := range want {
		for _, w := range words {
			if !strings.Contains(got[row], w) {
				t.Errorf("row %d: errors %q do not mention %q", row, got[row], w)
			}
		}
	}
	for row, text := range got {
		if _, ok := want[row]; !ok {
			t.Errorf("row %d refused unexpectedly: %s", row, text)
		}
	}
}
