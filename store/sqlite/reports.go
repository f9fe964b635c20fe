package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

var (
	_ store.Reports   = (*DB)(nil)
	_ store.ReportsTx = (*reportsTx)(nil)
)

const reportColumns = `id, token, external_id, channel, submitted_by, service_code, description,
	lon, lat, address, address_id, zipcode, unit, media_url, attributes,
	status, status_notes, agency_responsible, service_notice,
	requested_at, updated_at, expected_at, incident_id, duplicate_of`

// reportOpenStatuses is the SQL test for an open report. It must read exactly
// like the WHERE clause of the partial index reports_open, or SQLite will
// not use the index.
const reportOpenStatuses = `status IN ('received', 'registered', 'dispatched', 'disposed')`

// reportQuerier is what reads need from *sql.DB and *sql.Tx alike.
type reportQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// UpdateReports runs fn in one write transaction.
func (db *DB) UpdateReports(ctx context.Context, fn func(tx store.ReportsTx) error) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t := &reportsTx{tx: tx, stmts: map[string]*sql.Stmt{}}
		defer t.close()
		return fn(t)
	})
}

// Report returns ENOTFOUND if no report has the id.
func (db *DB) Report(ctx context.Context, id int64) (model.Report, error) {
	return reportWhere(ctx, db.reader, "id = ?", id, fmt.Sprintf("report %d", id))
}

// ReportByToken returns ENOTFOUND if no report has the token.
func (db *DB) ReportByToken(ctx context.Context, token string) (model.Report, error) {
	return reportWhere(ctx, db.reader, "token = ?", token, fmt.Sprintf("report token %q", clipReportKey(token)))
}

// Reports lists matching reports, newest (highest id) first.
func (db *DB) Reports(ctx context.Context, f store.ReportFilter, p store.Page) ([]model.Report, string, error) {
	after, err := decodeIDCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	where, args := reportFilterSQL(f)
	if after > 0 {
		where, args = append(where, "id < ?"), append(args, after)
	}
	q := `SELECT ` + reportColumns + ` FROM reports`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	if f.Offset > 0 && after == 0 { // the offset places the first page; cursors go on from there
		q += ` OFFSET ` + strconv.Itoa(f.Offset) // an int, not caller text
	}
	return queryPage(ctx, db.reader, "reports", q, args, pageSize(p), scanReport,
		func(r model.Report) string { return strconv.FormatInt(r.ID, 10) })
}

func reportFilterSQL(f store.ReportFilter) ([]string, []any) {
	var where []string
	var args []any
	if len(f.IDs) > 0 {
		where = append(where, "id IN ("+reportPlaceholders(len(f.IDs))+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if len(f.ServiceCodes) > 0 {
		where = append(where, "service_code IN ("+reportPlaceholders(len(f.ServiceCodes))+")")
		for _, c := range f.ServiceCodes {
			args = append(args, c)
		}
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+reportPlaceholders(len(f.Statuses))+")")
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if !f.From.IsZero() {
		where, args = append(where, "requested_at >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "requested_at < ?"), append(args, f.To.UnixMilli())
	}
	if f.IncidentID != 0 {
		where, args = append(where, "incident_id = ?", "incident_id <> 0"), append(args, f.IncidentID)
	}
	if f.DuplicateOf != 0 {
		where, args = append(where, "duplicate_of = ?", "duplicate_of <> 0"), append(args, f.DuplicateOf)
	}
	if f.Unlinked {
		where = append(where, "incident_id = 0", "duplicate_of = 0", reportOpenStatuses)
	}
	return where, args
}

// Reporters returns the personal data stored with the given reports.
func (db *DB) Reporters(ctx context.Context, reportIDs []int64) (map[int64]model.Reporter, error) {
	out := make(map[int64]model.Reporter, len(reportIDs))
	// Chunks keep each statement under SQLite's bound-parameter limit.
	const chunk = 500
	for start := 0; start < len(reportIDs); start += chunk {
		ids := reportIDs[start:min(start+chunk, len(reportIDs))]
		if err := db.readReporters(ctx, ids, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) readReporters(ctx context.Context, ids []int64, out map[int64]model.Reporter) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT report_id, first_name, last_name, email, phone, device_id, account_id
		FROM reporters WHERE report_id IN (`+reportPlaceholders(len(ids))+`)`, args...)
	if err != nil {
		return fmt.Errorf("query reporters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r model.Reporter
		if err := rows.Scan(&r.ReportID, &r.FirstName, &r.LastName, &r.Email, &r.Phone, &r.DeviceID, &r.AccountID); err != nil {
			return fmt.Errorf("query reporters: %w", err)
		}
		out[r.ReportID] = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query reporters: %w", err)
	}
	return nil
}

// reportsTx implements store.ReportsTx over one write transaction. It
// prepares each statement once per transaction: an import runs the same
// few statements thousands of times in one.
type reportsTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (t *reportsTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	s, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	t.stmts[query] = s
	return s, nil
}

func (t *reportsTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (t *reportsTx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (t *reportsTx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := t.stmt(ctx, query)
	if err != nil {
		// A failed prepare surfaces as the row's error through a query
		// that cannot succeed either.
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

func (t *reportsTx) close() {
	for _, s := range t.stmts {
		s.Close()
	}
}

// insertReport lists the columns CreateReport writes: every column but
// the id, and the grid cell.
var insertReport = `INSERT INTO reports (` + strings.TrimPrefix(reportColumns, "id, ") + `, cell)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func (t *reportsTx) CreateReport(ctx context.Context, r model.Report, who model.Reporter) (model.Report, error) {
	if r.Token == "" || r.ServiceCode == "" || !r.Status.Valid() || r.RequestedAt.IsZero() {
		return r, model.Errorf(model.EINVALID, "report: token, service code, a valid status and the requested time are required")
	}
	attrs, err := json.Marshal(r.Attributes)
	if err != nil {
		return r, fmt.Errorf("report attributes: %w", err)
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.RequestedAt
	}
	var lon, lat, cell any // NULL without a point
	if r.HasPoint {
		lon, lat, cell = r.Lon, r.Lat, reportCell(r.Lon, r.Lat)
	}
	res, err := t.exec(ctx, insertReport,
		r.Token, r.ExternalID, r.Channel, r.SubmittedBy, r.ServiceCode, r.Description,
		lon, lat, r.Address, r.AddressID, r.Zipcode, r.Unit, r.MediaURL, string(attrs),
		string(r.Status), r.StatusNotes, r.AgencyResponsible, r.ServiceNotice,
		reportMillis(r.RequestedAt), reportMillis(r.UpdatedAt), reportMillis(r.ExpectedAt), r.IncidentID, r.DuplicateOf, cell)
	if err != nil {
		what := "report"
		if r.ExternalID != "" {
			what = fmt.Sprintf("report with external id %q", r.ExternalID)
		}
		return r, formatError(err, what)
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return r, fmt.Errorf("report id: %w", err)
	}
	if who.IsZero() {
		return r, nil
	}
	_, err = t.exec(ctx, `INSERT INTO reporters (report_id, first_name, last_name, email, phone, device_id, account_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, r.ID, who.FirstName, who.LastName, who.Email, who.Phone, who.DeviceID, who.AccountID)
	return r, formatError(err, fmt.Sprintf("reporter of report %d", r.ID))
}

func (t *reportsTx) Report(ctx context.Context, id int64) (model.Report, error) {
	r, err := scanReport(t.queryRow(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
	return r, formatError(err, fmt.Sprintf("report %d", id))
}

func (t *reportsTx) DuplicateCandidates(ctx context.Context, q store.DuplicateQuery) ([]model.Report, error) {
	where := []string{"service_code = ?", reportOpenStatuses, "requested_at >= ?", "requested_at <= ?"}
	args := []any{q.ServiceCode, reportMillis(q.From), reportMillis(q.To)}
	switch {
	case q.Box != nil:
		if cells := reportCells(*q.Box); cells != nil {
			where = append(where, "cell IN ("+reportPlaceholders(len(cells))+")")
			args = append(args, cells...)
		}
		where = append(where, "lon BETWEEN ? AND ?", "lat BETWEEN ? AND ?")
		args = append(args, q.Box.MinLon, q.Box.MaxLon, q.Box.MinLat, q.Box.MaxLat)
	case q.AddressID != "":
		where, args = append(where, "address_id = ?", "address_id <> ''"), append(args, q.AddressID)
	default:
		return nil, nil // nothing to compare a report without a place against
	}
	rows, err := t.query(ctx, `SELECT `+reportColumns+` FROM reports WHERE `+
		strings.Join(where, " AND ")+` ORDER BY requested_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("query duplicate candidates: %w", err)
	}
	defer rows.Close()
	var out []model.Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, fmt.Errorf("query duplicate candidates: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query duplicate candidates: %w", err)
	}
	return out, nil
}

func (t *reportsTx) SetReportStatus(ctx context.Context, c store.StatusChange) (int, error) {
	if !c.Status.Valid() {
		return 0, model.Errorf(model.EINVALID, "report %d: unknown status %q", c.ReportID, c.Status)
	}
	var previous string
	var duplicateOf int64
	err := t.queryRow(ctx, `SELECT status, duplicate_of FROM reports WHERE id = ?`, c.ReportID).Scan(&previous, &duplicateOf)
	if err != nil {
		return 0, formatError(err, fmt.Sprintf("report %d", c.ReportID))
	}
	const set = `UPDATE reports SET status = ?, status_notes = ?, updated_at = ?3 WHERE updated_at <= ?3 AND `
	changed, err := t.update(ctx, set+`id = ?`, string(c.Status), c.Notes, reportMillis(c.At), c.ReportID)
	if err != nil || !c.Duplicates || duplicateOf != 0 { // a duplicate has no duplicates
		return changed, err
	}
	// Duplicates with the original's old status follow it; one that has a
	// status of its own (closed on its own, say) keeps it. Two statements,
	// not one with OR, so that each uses its index.
	followers, err := t.update(ctx, set+`duplicate_of = ? AND duplicate_of <> 0 AND status = ?`,
		string(c.Status), c.Notes, reportMillis(c.At), c.ReportID, previous)
	return changed + followers, err
}

func (t *reportsTx) update(ctx context.Context, query string, args ...any) (int, error) {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("update reports: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("update reports: %w", err)
	}
	return int(n), nil
}

func (t *reportsTx) SetReportIncident(ctx context.Context, reportID, incidentID int64) error {
	res, err := t.exec(ctx, `UPDATE reports SET incident_id = ? WHERE id = ?`, incidentID, reportID)
	if err != nil {
		return fmt.Errorf("link report %d to incident %d: %w", reportID, incidentID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return notFound(fmt.Sprintf("report %d", reportID))
	}
	return nil
}

func reportWhere(ctx context.Context, q reportQuerier, cond string, arg any, what string) (model.Report, error) {
	r, err := scanReport(q.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE `+cond, arg))
	return r, formatError(err, what)
}

func scanReport(s scanner) (model.Report, error) {
	var r model.Report
	var lon, lat sql.NullFloat64
	var attrs, status string
	var requested, updated, expected int64
	err := s.Scan(&r.ID, &r.Token, &r.ExternalID, &r.Channel, &r.SubmittedBy, &r.ServiceCode, &r.Description,
		&lon, &lat, &r.Address, &r.AddressID, &r.Zipcode, &r.Unit, &r.MediaURL, &attrs,
		&status, &r.StatusNotes, &r.AgencyResponsible, &r.ServiceNotice,
		&requested, &updated, &expected, &r.IncidentID, &r.DuplicateOf)
	if err != nil {
		return r, err
	}
	r.Status = model.ReportStatus(status)
	if lon.Valid && lat.Valid {
		r.Lon, r.Lat, r.HasPoint = lon.Float64, lat.Float64, true
	}
	r.RequestedAt, r.UpdatedAt, r.ExpectedAt = reportTime(requested), reportTime(updated), reportTime(expected)
	if err := json.Unmarshal([]byte(attrs), &r.Attributes); err != nil {
		return r, fmt.Errorf("report %d attributes: %w", r.ID, err)
	}
	return r, nil
}

// Grid cells index report points for duplicate detection: 0.01° of
// latitude by 0.01° of longitude (about 1.1 km by 0.95 km in Shanghai).
const (
	cellsPerDegree = 100
	cellColumns    = 360*cellsPerDegree + 1
	maxQueryCells  = 16 // a box over more cells is searched without them
)

// reportCell numbers the grid cell holding a point.
func reportCell(lon, lat float64) int64 {
	row := int64(math.Floor((lat + 90) * cellsPerDegree))
	col := int64(math.Floor((lon + 180) * cellsPerDegree))
	return row*cellColumns + col
}

// reportCells lists the cells a box touches, or nil if there are too
// many to be worth listing.
func reportCells(b store.Box) []any {
	row0, row1 := math.Floor((b.MinLat+90)*cellsPerDegree), math.Floor((b.MaxLat+90)*cellsPerDegree)
	col0, col1 := math.Floor((b.MinLon+180)*cellsPerDegree), math.Floor((b.MaxLon+180)*cellsPerDegree)
	if (row1-row0+1)*(col1-col0+1) > maxQueryCells {
		return nil
	}
	var cells []any
	for row := int64(row0); row <= int64(row1); row++ {
		for col := int64(col0); col <= int64(col1); col++ {
			cells = append(cells, row*cellColumns+col)
		}
	}
	return cells
}

// reportMillis is t in Unix milliseconds, 0 for the zero time.
func reportMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// reportTime is the inverse of reportMillis, in UTC.
func reportTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func reportPlaceholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// clipReportKey shortens a caller-supplied key before it goes into a message.
func clipReportKey(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
