package campaign

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"cityvitals/model"
)

// reportedCampaign inspects three households — two in 黄浦区, one in
// 徐汇区 — closes two of the four hazards found and lets the day be
// 2025-08-05, when 徐汇区's hose hazard is past its deadline.
func (f *fixture) reportedCampaign(t *testing.T) model.Campaign {
	t.Helper()
	ctx := t.Context()
	c, hs := f.foundHazards(t)
	_, tasks := f.allTasksByAsset(t, c)
	at := ms(periodStart.Add(40 * time.Hour))
	_, err := f.svc.SubmitInspection(ctx, "li.si", c.ID, Inspection{Task: tasks["310101002-G1-m1"].ID, At: at, Items: answers(nil)})
	mustNil(t, err)
	_, err = f.svc.SubmitInspection(ctx, "zhao.liu", c.ID, Inspection{Task: tasks["310104003-G1-m0"].ID, At: at,
		Items: answers(map[string]model.ItemOutcome{"H02": model.OutcomeFail})})
	mustNil(t, err)

	f.clock.Set(time.Date(2025, 8, 5, 0, 0, 0, 0, cst))
	_, err = f.svc.Verify(ctx, "chen.qi", hs["H03"].ID, Verdict{Pass: true, Evidence: evidence("ok").Evidence})
	mustNil(t, err)
	_, err = f.svc.Rectify(ctx, "zhao.liu", hs["H01"].ID, evidence("hose"))
	mustNil(t, err)
	_, err = f.svc.Verify(ctx, "chen.qi", hs["H01"].ID, Verdict{Pass: true, Evidence: evidence("ok").Evidence})
	mustNil(t, err)
	return c
}

func (f *fixture) allTasksByAsset(t *testing.T, c model.Campaign) ([]model.InspectionTask, map[string]model.InspectionTask) {
	t.Helper()
	all := f.allTasks(t, c)
	by := map[string]model.InspectionTask{}
	for _, task := range all {
		by[task.Asset] = task
	}
	return all, by
}

func rateOf(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

func TestReportByDistrictAndDept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.reportedCampaign(t)
	r, err := f.svc.Report(t.Context(), c.ID, ReportQuery{})
	mustNil(t, err)
	if r.By != ByDistrict || r.From != c.StartAt || r.To != c.EndAt || r.AsOf != ms(f.clock.Now()) || r.MajorOpenDays != 30 || len(r.Rows) != 2 {
		t.Fatalf("report %+v", r)
	}
	huangpu, xuhui := r.Rows[0], r.Rows[1]
	wantHuangpu := model.CampaignReportRow{Key: "310101", Name: "黄浦区", Tasks: 4, Inspected: 2, Found: 3, Major: 1, OnSite: 1,
		Rectified: 2, MajorOpenLong: 1}
	wantXuhui := model.CampaignReportRow{Key: "310104", Name: "徐汇区", Tasks: 2, Inspected: 1, Found: 1, Overdue: 1}
	for _, tc := range []struct {
		got, want            model.CampaignReportRow
		inspection, rectRate float64
	}{
		{huangpu, wantHuangpu, 0.5, 2.0 / 3},
		{xuhui, wantXuhui, 0.5, 0},
		{r.Total, model.CampaignReportRow{Name: "合计", Tasks: 6, Inspected: 3, Found: 4, Major: 1, OnSite: 1, Rectified: 2, Overdue: 1, MajorOpenLong: 1}, 0.5, 0.5},
	} {
		got := tc.got
		if rateOf(got.InspectionRate) != tc.inspection || rateOf(got.RectificationRate) != tc.rectRate {
			t.Errorf("%s rates %v, %v; want %v, %v", got.Name, rateOf(got.InspectionRate), rateOf(got.RectificationRate), tc.inspection, tc.rectRate)
		}
		got.InspectionRate, got.RectificationRate, got.RectifiedMajor, got.RectifiedLate, got.Reopened = nil, nil, 0, 0, 0
		if got != tc.want {
			t.Errorf("row\n%+v\nwant\n%+v", got, tc.want)
		}
	}

	byDept, err := f.svc.Report(t.Context(), c.ID, ReportQuery{By: ByDept, MajorOpenDays: 40})
	mustNil(t, err)
	if len(byDept.Rows) != 1 || byDept.Rows[0].Name != "燃气公司" || byDept.Rows[0].Found != 4 || byDept.Rows[0].MajorOpenLong != 0 {
		t.Errorf("by department %+v", byDept.Rows)
	}
	later, err := f.svc.Report(t.Context(), c.ID, ReportQuery{From: ms(periodStart.AddDate(0, 0, 3))})
	mustNil(t, err)
	if later.Total.Found != 0 || later.Total.RectificationRate != nil || later.Total.Inspected != 0 {
		t.Errorf("report from day 3 %+v: nothing was found or inspected after day 2", later.Total)
	}
	_, err = f.svc.Report(t.Context(), c.ID, ReportQuery{By: "street"})
	wantCode(t, err, model.EINVALID, "by")
	_, err = f.svc.Report(t.Context(), c.ID, ReportQuery{From: c.EndAt, To: c.StartAt})
	wantCode(t, err, model.EINVALID, "to")
}

func TestReportExports(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.reportedCampaign(t)
	r, err := f.svc.Report(t.Context(), c.ID, ReportQuery{})
	mustNil(t, err)

	var csvOut bytes.Buffer
	mustNil(t, f.svc.WriteReportCSV(&csvOut, r))
	if !bytes.HasPrefix(csvOut.Bytes(), []byte("\ufeff")) {
		t.Error("CSV has no byte-order mark: spreadsheet programs would garble the Chinese")
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvOut.Bytes(), []byte("\ufeff")))).ReadAll()
	mustNil(t, err)
	xlsx := readXLSX(t, f, r)
	for name, rows := range map[string][][]string{"csv": records, "xlsx": xlsx} {
		t.Run(name, func(t *testing.T) { checkExportLayout(t, rows) })
	}
}

func readXLSX(t *testing.T, f *fixture, r model.CampaignReport) [][]string {
	t.Helper()
	var out bytes.Buffer
	mustNil(t, f.svc.WriteReportXLSX(&out, r))
	book, err := excelize.OpenReader(&out)
	mustNil(t, err)
	defer book.Close()
	if sheets := book.GetSheetList(); len(sheets) != 1 || sheets[0] != "统计表" {
		t.Errorf("sheets %v", sheets)
	}
	merged, err := book.GetMergeCells("统计表")
	mustNil(t, err)
	var spans []string
	for _, m := range merged {
		spans = append(spans, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	if !strings.Contains(strings.Join(spans, " "), "A1:M1") || !strings.Contains(strings.Join(spans, " "), "A2:M2") {
		t.Errorf("merged cells %v: want the title and period rows across A:M", spans)
	}
	for cell, want := range map[string]float64{"C4": 4, "E4": 0.5, "J4": 2.0 / 3, "C6": 6, "J6": 0.5} {
		raw, err := book.GetCellValue("统计表", cell, excelize.Options{RawCellValue: true})
		mustNil(t, err)
		if v, err := strconv.ParseFloat(raw, 64); err != nil || math.Abs(v-want) > 1e-9 {
			t.Errorf("raw %s = %q, want the number %v", cell, raw, want)
		}
	}
	rows, err := book.GetRows("统计表")
	mustNil(t, err)
	return rows
}

// checkExportLayout checks the cells a district office reads: title,
// period, header, one numbered row per district, the total, the notes.
func checkExportLayout(t *testing.T, rows [][]string) {
	t.Helper()
	if len(rows) < 9 {
		t.Fatalf("%d rows: %q", len(rows), rows)
	}
	cell := func(r, c int) string {
		if r >= len(rows) || c >= len(rows[r]) {
			return ""
		}
		return rows[r][c]
	}
	if !strings.Contains(cell(0, 0), "2025年城镇燃气安全专项整治") || !strings.Contains(cell(0, 0), "按区") {
		t.Errorf("title %q", cell(0, 0))
	}
	if !strings.Contains(cell(1, 0), "统计周期：2025年7月1日至2025年9月30日") || !strings.Contains(cell(1, 0), "2025年8月5日00时00分") {
		t.Errorf("period row %q", cell(1, 0))
	}
	wantHeader := []string{"序号", "区", "应排查数", "已排查数", "排查率", "发现隐患数", "其中重大隐患", "其中立查立改",
		"已整改销项数", "整改率", "待验收数", "超期未整改数", "重大隐患超30天未销项数"}
	if got := strings.Join(rows[2], "|"); got != strings.Join(wantHeader, "|") {
		t.Errorf("header\n%s\nwant\n%s", got, strings.Join(wantHeader, "|"))
	}
	wantRows := [][]string{
		{"1", "黄浦区", "4", "2", "50.0%", "3", "1", "1", "2", "66.7%", "0", "0", "1"},
		{"2", "徐汇区", "2", "1", "50.0%", "1", "0", "0", "0", "0.0%", "0", "1", "0"},
		{"", "合计", "6", "3", "50.0%", "4", "1", "1", "2", "50.0%", "0", "1", "1"},
	}
	for i, want := range wantRows {
		if got := strings.Join(rows[3+i], "|"); got != strings.Join(want, "|") {
			t.Errorf("row %d\n%s\nwant\n%s", 4+i, got, strings.Join(want, "|"))
		}
	}
	if !strings.Contains(cell(6, 0), "整改率＝已整改销项数÷发现隐患数") || !strings.Contains(cell(8, 0), "填报单位") {
		t.Errorf("notes %q / %q", cell(6, 0), cell(8, 0))
	}
}

func TestCSVExportDefusesFormulas(t *testing.T) {
	t.Parallel()
	svc := NewService(nil, newTestUnits(), nil, time.Now) // writing needs neither store nor auditor
	r := model.CampaignReport{Name: "=HYPERLINK(\"http://x\")", By: ByDept, MajorOpenDays: 30,
		From: ms(periodStart), To: ms(periodStart.AddDate(0, 1, 0)), AsOf: ms(periodStart),
		Rows:  []model.CampaignReportRow{{Key: "x", Name: "@SUM(A1)"}, {Key: "y", Name: "+1"}},
		Total: model.CampaignReportRow{Name: "合计"}}
	var out bytes.Buffer
	mustNil(t, svc.WriteReportCSV(&out, r))
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out.Bytes(), []byte("\ufeff")))).ReadAll()
	mustNil(t, err)
	for _, got := range []string{records[0][0], records[3][1], records[4][1]} {
		if !strings.HasPrefix(got, "'") {
			t.Errorf("cell %q would run as a formula", got)
		}
	}
	if records[3][4] != "—" || records[3][9] != "—" {
		t.Errorf("rates over nothing %q, %q; want —", records[3][4], records[3][9])
	}
}
