package citizen

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/store"
)

// ReportView is a report with its reporter's personal data as the caller
// may see it. Reporter is nil when the report has none.
type ReportView struct {
	model.Report
	Reporter *ReporterView `json:"reporter,omitempty"`
}

// View returns the reports with their reporters: in clear for a
// principal holding auth.PersonalRead (the read is audited first, and
// nothing is shown if the audit fails), masked for everyone else.
// EFORBIDDEN without auth.ReportRead.
func (s *Service) View(ctx context.Context, p auth.Principal, reports []model.Report) ([]ReportView, error) {
	return s.view(ctx, p, reports, p.Can(auth.PersonalRead))
}

// ViewMasked is View with personal data masked whoever asks: for
// listings, where nobody needs many reporters' data in clear at once.
func (s *Service) ViewMasked(ctx context.Context, p auth.Principal, reports []model.Report) ([]ReportView, error) {
	return s.view(ctx, p, reports, false)
}

func (s *Service) view(ctx context.Context, p auth.Principal, reports []model.Report, clear bool) ([]ReportView, error) {
	if !p.Can(auth.ReportRead) {
		return nil, model.Errorf(model.EFORBIDDEN, "reading reports needs permission %s", auth.ReportRead)
	}
	ids := make([]int64, len(reports))
	for i, r := range reports {
		ids[i] = r.ID
	}
	reporters, err := s.reports.Reporters(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read reporters: %w", err)
	}
	if clear && len(reporters) > 0 {
		if err := s.auditPersonalRead(ctx, p, "report.personal_read", reportTarget(ids), map[string]any{"reports": ids}); err != nil {
			return nil, err
		}
	}
	views := make([]ReportView, len(reports))
	for i, r := range reports {
		views[i].Report = r
		if who, ok := reporters[r.ID]; ok {
			v := reporterView(who, clear)
			views[i].Reporter = &v
		}
	}
	return views, nil
}

func reporterView(who model.Reporter, clear bool) ReporterView {
	if clear {
		return ClearReporter(who)
	}
	return MaskReporter(who)
}

func reportTarget(ids []int64) string {
	if len(ids) == 1 {
		return "report:" + strconv.FormatInt(ids[0], 10)
	}
	return "reports"
}

func (s *Service) auditPersonalRead(ctx context.Context, p auth.Principal, action, target string, detail any) error {
	if s.audit == nil {
		return nil
	}
	if err := s.audit.Record(ctx, p.Name(), action, target, detail); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// exportColumns is the header of Export's CSV.
var exportColumns = []string{
	"id", "external_id", "channel", "service_code", "service_name_zh", "service_name_en",
	"status", "open311_status", "status_notes", "description",
	"lat", "long", "address", "address_id", "zipcode", "unit",
	"requested_at", "updated_at", "expected_at", "incident_id", "duplicate_of",
	"agency_responsible", "media_url",
	"reporter_masked", "reporter_name", "reporter_phone", "reporter_email", "reporter_device_id", "reporter_account_id",
}

// Export writes the reports matching f as CSV (UTF-8, header first, RFC
// 3339 UTC times), newest first, and returns how many it wrote. Personal
// data is masked unless p holds auth.PersonalRead; a clear export is
// audited before the first byte is written. Text cells that a spreadsheet
// would run as a formula (starting with = + - @) are prefixed with an
// apostrophe. EFORBIDDEN without auth.ReportRead.
func (s *Service) Export(ctx context.Context, w io.Writer, p auth.Principal, f store.ReportFilter) (int, error) {
	if !p.Can(auth.ReportRead) {
		return 0, model.Errorf(model.EFORBIDDEN, "exporting reports needs permission %s", auth.ReportRead)
	}
	clear := p.Can(auth.PersonalRead)
	if clear {
		if err := s.auditPersonalRead(ctx, p, "report.export_personal", "reports", f); err != nil {
			return 0, err
		}
	}
	f.Offset = 0
	cw := csv.NewWriter(w)
	if err := cw.Write(exportColumns); err != nil {
		return 0, fmt.Errorf("export reports: %w", err)
	}
	n := 0
	page := store.Page{Limit: 1000}
	for {
		reports, next, err := s.reports.Reports(ctx, f, page)
		if err != nil {
			return n, fmt.Errorf("export reports: %w", err)
		}
		if err := s.writeExportPage(ctx, cw, reports, clear); err != nil {
			return n, err
		}
		n += len(reports)
		if next == "" {
			break
		}
		page.After = next
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("export reports: %w", err)
	}
	return n, nil
}

func (s *Service) writeExportPage(ctx context.Context, cw *csv.Writer, reports []model.Report, clear bool) error {
	ids := make([]int64, len(reports))
	for i, r := range reports {
		ids[i] = r.ID
	}
	reporters, err := s.reports.Reporters(ctx, ids)
	if err != nil {
		return fmt.Errorf("export reports: read reporters: %w", err)
	}
	for _, r := range reports {
		who, ok := reporters[r.ID]
		if err := cw.Write(s.exportRow(r, who, ok, clear)); err != nil {
			return fmt.Errorf("export reports: %w", err)
		}
	}
	return nil
}

func (s *Service) exportRow(r model.Report, who model.Reporter, hasReporter, clear bool) []string {
	svc, _ := s.catalog.Service(r.ServiceCode)
	lat, lon := "", ""
	if r.HasPoint {
		lat, lon = strconv.FormatFloat(r.Lat, 'f', -1, 64), strconv.FormatFloat(r.Lon, 'f', -1, 64)
	}
	row := []string{
		strconv.FormatInt(r.ID, 10), safeCell(r.ExternalID), safeCell(r.Channel), r.ServiceCode, svc.Name.ZH, svc.Name.EN,
		string(r.Status), r.Status.Open311Status(), safeCell(r.StatusNotes), safeCell(r.Description),
		lat, lon, safeCell(r.Address), safeCell(r.AddressID), safeCell(r.Zipcode), r.Unit,
		csvTime(r.RequestedAt), csvTime(r.UpdatedAt), csvTime(r.ExpectedAt), idCell(r.IncidentID), idCell(r.DuplicateOf),
		safeCell(r.AgencyResponsible), safeCell(r.MediaURL),
	}
	if !hasReporter {
		return append(row, "", "", "", "", "", "")
	}
	v := reporterView(who, clear)
	return append(row, strconv.FormatBool(v.Masked), safeCell(v.Name), safeCell(v.Phone), safeCell(v.Email),
		safeCell(v.DeviceID), safeCell(v.AccountID))
}

// safeCell defuses text a spreadsheet would evaluate (CSV injection).
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func idCell(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}
