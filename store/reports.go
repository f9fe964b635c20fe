package store

import (
	"context"
	"time"

	"cityvitals/model"
)

// ReportFilter narrows a report listing. Empty fields match everything;
// the fields that are set must all match.
type ReportFilter struct {
	IDs          []int64
	ServiceCodes []string
	Statuses     []model.ReportStatus
	From, To     time.Time // requested in [From, To); a zero bound is open
	IncidentID   int64
	DuplicateOf  int64 // the duplicates of this report
	// Unlinked keeps only open originals (no DuplicateOf) not linked to
	// an incident yet: those whose incident could not be opened.
	Unlinked bool
	// Offset skips this many matches before the first page, for clients
	// that count pages (Open311's page/page_size); pages after a cursor
	// go on from the cursor. Cursors are cheaper.
	Offset int
}

// Box is a rectangle of WGS84 longitudes and latitudes.
type Box struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// DuplicateQuery asks for the open reports a new report might repeat: the
// same service, requested within [From, To], and either with a point in
// Box (when Box is set) or with the same AddressID.
type DuplicateQuery struct {
	ServiceCode string
	Box         *Box
	AddressID   string
	From, To    time.Time
}

// StatusChange sets a report's status. With Duplicates, the duplicates
// that follow it change too: those whose status is the one the report had
// (a duplicate closed on its own keeps its status). A report whose last
// update is later than At keeps its status: changes can arrive out of
// order, and the later one wins.
type StatusChange struct {
	ReportID   int64
	Duplicates bool
	Status     model.ReportStatus
	Notes      string
	At         time.Time
}

// Reports stores citizen reports and, apart from them, their reporters'
// personal data. Listings never carry personal data: it is read through
// Reporters only. All methods are safe for concurrent use.
type Reports interface {
	// UpdateReports runs fn in one write transaction: everything fn does
	// through tx is committed together if fn returns nil, and nothing if
	// it returns an error. fn must not write through another store while
	// it runs (the embedded store has a single writer: it would wait for
	// itself), nor keep tx after it returns.
	UpdateReports(ctx context.Context, fn func(tx ReportsTx) error) error
	// Report returns ENOTFOUND if no report has the id.
	Report(ctx context.Context, id int64) (model.Report, error)
	// ReportByToken returns ENOTFOUND if no report has the token.
	ReportByToken(ctx context.Context, token string) (model.Report, error)
	// Reports lists matching reports, newest (highest id) first.
	Reports(ctx context.Context, f ReportFilter, p Page) (items []model.Report, next string, err error)
	// Reporters returns the personal data stored with the given reports;
	// reports without any are absent from the map.
	Reporters(ctx context.Context, reportIDs []int64) (map[int64]model.Reporter, error)
}

// ReportsTx is what UpdateReports lets fn do inside its transaction.
type ReportsTx interface {
	// CreateReport assigns the ID and stores the report and, unless it is
	// zero, the reporter. The report's Token must be set. ECONFLICT if
	// the token or a non-empty ExternalID is taken.
	CreateReport(ctx context.Context, r model.Report, who model.Reporter) (model.Report, error)
	// Report returns ENOTFOUND if no report has the id.
	Report(ctx context.Context, id int64) (model.Report, error)
	// DuplicateCandidates returns the open reports matching q, oldest first.
	DuplicateCandidates(ctx context.Context, q DuplicateQuery) ([]model.Report, error)
	// SetReportStatus applies c and returns how many reports changed.
	// ENOTFOUND if the report does not exist.
	SetReportStatus(ctx context.Context, c StatusChange) (int, error)
	// SetReportIncident links a report to its incident. ENOTFOUND if the
	// report does not exist.
	SetReportIncident(ctx context.Context, reportID, incidentID int64) error
}
