package campaign

import (
	"context"
	"fmt"

	"cityvitals/model"
	"cityvitals/store"
)

// Report groupings.
const (
	ByDistrict = "district"
	ByDept     = "dept"
)

// defaultMajorOpenDays is N in "major hazards open longer than N days"
// when the caller does not say: a month, the usual reporting cycle [R].
const defaultMajorOpenDays = 30

// ReportQuery asks for a campaign report. Zero fields take defaults: the
// campaign's period, by district, 30 days.
type ReportQuery struct {
	By            string `json:"by"`
	From          int64  `json:"from"` // Unix ms, inclusive
	To            int64  `json:"to"`   // Unix ms, exclusive
	MajorOpenDays int    `json:"major_open_days"`
}

// Report computes a campaign's figures over a period by district or
// department, with the total; see docs/campaigns.md for every
// definition. States (rectified, closed, overdue) are counted as they
// stood at AsOf = min(To − 1 ms, now), the last instant the report covers.
func (s *Service) Report(ctx context.Context, id int64, q ReportQuery) (model.CampaignReport, error) {
	c, err := s.st.Campaign(ctx, id)
	if err != nil {
		return model.CampaignReport{}, fmt.Errorf("report: %w", err)
	}
	q, err = reportDefaults(c, q)
	if err != nil {
		return model.CampaignReport{}, err
	}
	now := s.nowMs()
	r := model.CampaignReport{
		Campaign: c.ID, Name: c.Name, By: q.By, From: q.From, To: q.To, AsOf: min(q.To-1, now),
		MajorOpenDays: q.MajorOpenDays, GeneratedAt: now,
	}
	rows, err := s.st.CampaignStats(ctx, store.StatsQuery{
		Campaign: c.ID, By: q.By, From: q.From, To: q.To, AsOf: r.AsOf,
		MajorSince: r.AsOf - int64(q.MajorOpenDays)*dayMs,
	})
	if err != nil {
		return model.CampaignReport{}, fmt.Errorf("report of campaign %d: %w", id, err)
	}
	r.Rows = rows
	for i := range r.Rows {
		row := &r.Rows[i]
		row.Name = s.rowName(q.By, row.Key)
		addRow(&r.Total, *row)
		setRates(row)
	}
	r.Total.Name = "合计"
	setRates(&r.Total)
	return r, nil
}

func reportDefaults(c model.Campaign, q ReportQuery) (ReportQuery, error) {
	if q.By == "" {
		q.By = ByDistrict
	}
	if q.From == 0 {
		q.From = c.StartAt
	}
	if q.To == 0 {
		q.To = c.EndAt
	}
	if q.MajorOpenDays == 0 {
		q.MajorOpenDays = defaultMajorOpenDays
	}
	switch {
	case q.By != ByDistrict && q.By != ByDept:
		return q, model.Errorf(model.EINVALID, "by: %q: want district or dept", clip(q.By))
	case q.From < 0 || q.To <= q.From:
		return q, model.Errorf(model.EINVALID, "to: %s is not after from %s", rfc3339(q.To), rfc3339(q.From))
	case q.MajorOpenDays < 1 || q.MajorOpenDays > 3650:
		return q, model.Errorf(model.EINVALID, "major_open_days: %d is outside 1…3650", q.MajorOpenDays)
	}
	return q, nil
}

// rowName is what a district office calls a row.
func (s *Service) rowName(by, key string) string {
	switch {
	case key == "" && by == ByDistrict:
		return "未归属区"
	case key == "":
		return "未指定部门"
	case by == ByDistrict:
		if u, ok := s.units.Unit(key); ok && u.NameZH != "" {
			return u.NameZH
		}
	default:
		if name := s.deptNames[key]; name != "" {
			return name
		}
	}
	return key
}

func addRow(t *model.CampaignReportRow, r model.CampaignReportRow) {
	t.Tasks += r.Tasks
	t.Inspected += r.Inspected
	t.Found += r.Found
	t.Major += r.Major
	t.OnSite += r.OnSite
	t.Rectified += r.Rectified
	t.RectifiedMajor += r.RectifiedMajor
	t.AwaitingVerify += r.AwaitingVerify
	t.Overdue += r.Overdue
	t.MajorOpenLong += r.MajorOpenLong
	t.RectifiedLate += r.RectifiedLate
	t.Reopened += r.Reopened
}

// setRates computes the rates; a rate over nothing is absent, not 0 % or 100 %.
func setRates(r *model.CampaignReportRow) {
	r.InspectionRate, r.RectificationRate = ratio(r.Inspected, r.Tasks), ratio(r.Rectified, r.Found)
}

func ratio(part, whole int64) *float64 {
	if whole == 0 {
		return nil
	}
	v := float64(part) / float64(whole)
	return &v
}
