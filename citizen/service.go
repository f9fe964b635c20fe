package citizen

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

// Defaults of the duplicate rule.
const (
	DefaultDuplicateRadius = 150.0 // metres
	DefaultDuplicateWindow = 24 * time.Hour
)

// Locator places a WGS84 point in the deepest spatial unit holding it
// (geo.Index does).
type Locator interface {
	Locate(lon, lat float64) (unit string, ok bool)
}

// Incidents is the incident side as citizen reports see it. The caller
// implements it over the incident package. Both methods are called after
// the report is stored, with the stored report (ID set).
type Incidents interface {
	// OpenFromReport opens an incident for an original report.
	OpenFromReport(ctx context.Context, r model.Report) (incidentID int64, err error)
	// AttachReport adds a duplicate report to the incident its original
	// opened.
	AttachReport(ctx context.Context, incidentID int64, r model.Report) error
}

// IncidentCloser is implemented by an Incidents that can close an
// incident because the system a report was imported from closed it.
// ImportCSV uses it when the Incidents given to NewService implements it;
// otherwise incidents opened by imported reports stay as the incident side
// left them.
type IncidentCloser interface {
	CloseFromReport(ctx context.Context, incidentID int64, r model.Report) error
}

// Auditor appends to the audit log (audit.Logger does). The service
// records every read of personal data in clear.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// Config is what NewService needs. Reports, Catalog and Incidents are
// required.
type Config struct {
	Reports   store.Reports
	Catalog   *Catalog
	Incidents Incidents
	// Locator places reports in spatial units. Without one, reports get no
	// unit; with one, Submit refuses points outside every unit.
	Locator Locator
	// Audit records unmasked reads of personal data; nil records nothing.
	Audit Auditor
	// DuplicateRadius and DuplicateWindow: a report of the same service
	// within this distance (metres) of an open report requested at most
	// this long before it is its duplicate. Zero means the default.
	DuplicateRadius float64
	DuplicateWindow time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service takes citizen reports in and follows them through. It is safe
// for concurrent use. Submissions are serialised within the process, so
// that two reports of the same thing arriving together cannot both open an
// incident; run one process that submits per database.
type Service struct {
	reports   store.Reports
	catalog   *Catalog
	incidents Incidents
	locator   Locator
	audit     Auditor
	radius    float64
	window    time.Duration
	now       func() time.Time

	submitMu sync.Mutex
}

// NewService checks cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Reports == nil || cfg.Catalog == nil || cfg.Incidents == nil {
		return nil, errors.New("citizen: Reports, Catalog and Incidents are required")
	}
	if cfg.DuplicateRadius < 0 || cfg.DuplicateWindow < 0 {
		return nil, fmt.Errorf("citizen: negative duplicate radius %v or window %v", cfg.DuplicateRadius, cfg.DuplicateWindow)
	}
	s := &Service{
		reports: cfg.Reports, catalog: cfg.Catalog, incidents: cfg.Incidents, locator: cfg.Locator,
		audit: cfg.Audit, radius: cfg.DuplicateRadius, window: cfg.DuplicateWindow, now: cfg.Now,
	}
	if s.radius == 0 {
		s.radius = DefaultDuplicateRadius
	}
	if s.window == 0 {
		s.window = DefaultDuplicateWindow
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Catalog returns the service catalog reports are checked against.
func (s *Service) Catalog() *Catalog { return s.catalog }

// Submission is a report as a citizen (or an import) hands it in.
type Submission struct {
	ServiceCode string
	Description string
	Lon, Lat    float64
	HasPoint    bool
	Address     string
	AddressID   string
	Zipcode     string
	MediaURL    string
	Attributes  map[string][]string // answers by attribute code
	Reporter    model.Reporter      // ReportID is ignored
	Channel     string              // e.g. "open311", "12345"
	SubmittedBy string              // the principal's name

	// Set by imports: the id in the source system, when the report was
	// made (zero: now) and the agency the source named (empty: the
	// catalog's).
	ExternalID        string
	RequestedAt       time.Time
	AgencyResponsible string
}

// Submit validates a submission, stores it apart from its reporter's
// personal data, and makes it an incident: it opens one, or, when the
// report repeats an open report (same service, within the duplicate
// radius and window), it joins that report's incident as its duplicate.
//
// Errors: ENOTFOUND for an unknown service code; EINVALID naming every
// bad field. If the report was stored but the incident side failed, the
// error says so and the report waits, unlinked, for LinkPending.
func (s *Service) Submit(ctx context.Context, sub Submission) (model.Report, error) {
	r, who, problems, err := s.prepare(sub, prepareOptions{})
	if err != nil {
		return model.Report{}, err
	}
	if len(problems) > 0 {
		return model.Report{}, problems.err()
	}
	s.submitMu.Lock()
	defer s.submitMu.Unlock()
	var original *model.Report
	err = s.reports.UpdateReports(ctx, func(tx store.ReportsTx) error {
		var err error
		r, original, err = s.create(ctx, tx, r, who)
		return err
	})
	if err != nil {
		return model.Report{}, fmt.Errorf("store report: %w", err)
	}
	return s.link(ctx, r, original)
}

// create finds the open report r repeats, if any, and stores r as its
// duplicate or as an original. It runs inside the write transaction, so
// the search and the insert see the same reports.
func (s *Service) create(ctx context.Context, tx store.ReportsTx, r model.Report, who model.Reporter) (model.Report, *model.Report, error) {
	original, err := s.findOriginal(ctx, tx, r)
	if err != nil {
		return r, nil, err
	}
	if original != nil {
		r.DuplicateOf, r.IncidentID = original.ID, original.IncidentID
		r.Status = original.Status
		r.StatusNotes = fmt.Sprintf("重复上报，已并入请求 %d / duplicate of request %d", original.ID, original.ID)
	}
	created, err := tx.CreateReport(ctx, r, who)
	return created, original, err
}

// link opens the incident of an original report, or attaches a duplicate
// to its original's incident.
func (s *Service) link(ctx context.Context, r model.Report, original *model.Report) (model.Report, error) {
	if original != nil {
		if r.IncidentID == 0 {
			return r, nil // the original is not linked yet; LinkPending attaches both
		}
		if err := s.incidents.AttachReport(ctx, r.IncidentID, r); err != nil {
			return r, fmt.Errorf("report %d stored; attaching it to incident %d: %w", r.ID, r.IncidentID, err)
		}
		return r, nil
	}
	id, err := s.incidents.OpenFromReport(ctx, r)
	if err != nil {
		return r, fmt.Errorf("report %d stored; opening its incident: %w", r.ID, err)
	}
	err = s.reports.UpdateReports(ctx, func(tx store.ReportsTx) error { return tx.SetReportIncident(ctx, r.ID, id) })
	if err != nil {
		return r, fmt.Errorf("link report %d to incident %d: %w", r.ID, id, err)
	}
	r.IncidentID = id
	return r, nil
}

// LinkPending opens the incidents that could not be opened when their
// reports came in, and attaches those reports' duplicates. Call it at
// start-up and after the incident side recovers. It returns how many
// originals it linked.
func (s *Service) LinkPending(ctx context.Context) (int, error) {
	s.submitMu.Lock()
	defer s.submitMu.Unlock()
	linked := 0
	for {
		// Always the first page: each pass links what it read, so what is
		// left unlinked is what the next page holds.
		pending, _, err := s.reports.Reports(ctx, store.ReportFilter{Unlinked: true}, store.Page{Limit: 100})
		if err != nil || len(pending) == 0 {
			return linked, err
		}
		for _, r := range pending {
			if _, err := s.link(ctx, r, nil); err != nil {
				return linked, err
			}
			if err := s.attachDuplicates(ctx, r.ID); err != nil {
				return linked, err
			}
			linked++
		}
	}
}

func (s *Service) attachDuplicates(ctx context.Context, originalID int64) error {
	original, err := s.reports.Report(ctx, originalID)
	if err != nil {
		return err
	}
	var page store.Page
	for {
		dups, next, err := s.reports.Reports(ctx, store.ReportFilter{DuplicateOf: originalID}, page)
		if err != nil {
			return err
		}
		for _, d := range dups {
			if d.IncidentID != 0 {
				continue
			}
			err := s.reports.UpdateReports(ctx, func(tx store.ReportsTx) error {
				return tx.SetReportIncident(ctx, d.ID, original.IncidentID)
			})
			if err != nil {
				return err
			}
			d.IncidentID = original.IncidentID
			if err := s.incidents.AttachReport(ctx, d.IncidentID, d); err != nil {
				return fmt.Errorf("attach report %d to incident %d: %w", d.ID, d.IncidentID, err)
			}
		}
		if next == "" {
			return nil
		}
		page.After = next
	}
}

// UpdateStatus is how the incident side reports a change of the incident
// a report belongs to. The change flows to the report's duplicates that
// still follow it (those with the status it had). A change older than the
// report's last update is ignored: events may arrive out of order.
//
// Errors: ENOTFOUND for an unknown report; EINVALID for an unknown
// status, notes that are not acceptable text, or a zero time.
func (s *Service) UpdateStatus(ctx context.Context, reportID int64, status model.ReportStatus, notes string, at time.Time) error {
	if err := checkStatusChange(status, notes, at); err != nil {
		return err
	}
	return s.reports.UpdateReports(ctx, func(tx store.ReportsTx) error {
		return setStatus(ctx, tx, reportID, status, notes, at)
	})
}

// setStatus is the one way a report's status changes, for the incident
// side and imports alike.
func setStatus(ctx context.Context, tx store.ReportsTx, reportID int64, status model.ReportStatus, notes string, at time.Time) error {
	_, err := tx.SetReportStatus(ctx, store.StatusChange{
		ReportID: reportID, Duplicates: true, Status: status, Notes: notes, At: at.UTC(),
	})
	return err
}

func checkStatusChange(status model.ReportStatus, notes string, at time.Time) error {
	switch {
	case !status.Valid():
		return model.Errorf(model.EINVALID, "status: %q is not one of %v", clip(string(status)), model.ReportStatuses())
	case at.IsZero():
		return model.Errorf(model.EINVALID, "status change: the time is required")
	case len([]rune(notes)) > maxTextAnswer:
		return model.Errorf(model.EINVALID, "status notes: longer than %d characters", maxTextAnswer)
	}
	if msg := checkText(notes, true); msg != "" {
		return model.Errorf(model.EINVALID, "status notes: %s", msg)
	}
	return nil
}

// Report returns ENOTFOUND if no report has the id.
func (s *Service) Report(ctx context.Context, id int64) (model.Report, error) {
	return s.reports.Report(ctx, id)
}

// ReportByToken returns ENOTFOUND if no report has the token.
func (s *Service) ReportByToken(ctx context.Context, token string) (model.Report, error) {
	return s.reports.ReportByToken(ctx, token)
}

// Query lists reports matching f, newest first, a page at a time.
func (s *Service) Query(ctx context.Context, f store.ReportFilter, p store.Page) ([]model.Report, string, error) {
	return s.reports.Reports(ctx, f, p)
}

// newToken returns a random token for Open311 GET tokens/{token}.
func newToken() string { return rand.Text() }
