package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cityvitals/auth"
	"cityvitals/citizen"
	"cityvitals/model"
	"cityvitals/store"
)

// ReportService is what the API asks of citizen reports.
type ReportService interface {
	Query(ctx context.Context, f store.ReportFilter, p store.Page) ([]model.Report, string, error)
	View(ctx context.Context, p auth.Principal, reports []model.Report) ([]citizen.ReportView, error)
	Export(ctx context.Context, w io.Writer, p auth.Principal, f store.ReportFilter) (int, error)
}

// reportFilter reads ?service_code, ?status (comma lists), ?incident,
// ?from and ?to.
func reportFilter(r *http.Request) (store.ReportFilter, error) {
	q := r.URL.Query()
	var f store.ReportFilter
	if v := q.Get("service_code"); v != "" {
		f.ServiceCodes = strings.Split(v, ",")
	}
	if v := q.Get("status"); v != "" {
		for _, s := range strings.Split(v, ",") {
			st := model.ReportStatus(s)
			if !st.Valid() {
				return f, model.Errorf(model.EINVALID, "status: %q is not one of %v", clipText(s), model.ReportStatuses())
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	if v := q.Get("incident"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, model.Errorf(model.EINVALID, "incident: %q is not a positive integer", clipText(v))
		}
		f.IncidentID = id
	}
	from, err := queryTime(r, "from", 0)
	if err != nil {
		return f, err
	}
	to, err := queryTime(r, "to", 0)
	if err != nil {
		return f, err
	}
	if from != 0 {
		f.From = time.UnixMilli(from)
	}
	if to != 0 {
		f.To = time.UnixMilli(to)
	}
	return f, nil
}

// listReports pages through citizen reports, personal data masked unless
// the caller may see it (each clear read is audited).
func (s *Server) listReports(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := reportFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, next, err := s.Reports.Query(r.Context(), f, pg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	visible := items[:0]
	for _, rep := range items {
		if rep.Unit == "" && scopeOf(p) == "" || rep.Unit != "" && s.checkScope(p, rep.Unit) == nil {
			visible = append(visible, rep)
		}
	}
	views, err := s.Reports.View(r.Context(), p, visible)
	s.answer(w, r, http.StatusOK, listing[citizen.ReportView]{Items: nonNilSlice(views), Next: next}, err)
}

// exportReports writes the reports as CSV, masked for the caller.
func (s *Server) exportReports(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	f, err := reportFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="reports.csv"`)
	if _, err := s.Reports.Export(r.Context(), w, p, f); err != nil {
		// The header is gone; the truncated body and the log say it failed.
		s.log.Error("export reports", "err", err)
	}
}
