package citizen

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

// Import limits.
const (
	importBatch   = 256       // events per write transaction
	maxImportRows = 2_000_000 // rows are held in memory to be replayed in time order
	maxRowErrors  = 1000      // row errors kept in the report; Failed counts them all
)

// ImportOptions tune ImportCSV.
type ImportOptions struct {
	Actor string // who runs the import; recorded as the reports' SubmittedBy
	// KeepOutside keeps rows whose point lies in no unit of the city
	// (another city's data, a demo); otherwise they are row errors.
	KeepOutside bool
	// Progress, when set, is called after each batch with the events
	// replayed so far and the total (a row is one or two events).
	Progress func(done, total int)
}

// ImportReport says what an import did.
type ImportReport struct {
	Rows       int        `json:"rows"`       // data rows read
	Imported   int        `json:"imported"`   // reports created
	Duplicates int        `json:"duplicates"` // of those, merged into an earlier report's incident
	Closed     int        `json:"closed"`     // rows whose closing was replayed
	Existing   int        `json:"existing"`   // rows imported before (same external id), skipped
	Failed     int        `json:"failed"`     // rows refused
	Errors     []RowError `json:"errors,omitempty"`
}

// RowError is why one row was refused: its line in the file (the header
// is line 1) and the file's column at fault ("" when the row as a whole
// is).
type RowError struct {
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (e RowError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Message)
}

// importRow is a checked row, ready to replay.
type importRow struct {
	line   int
	report model.Report
	closed time.Time          // zero when the source has not closed it
	final  model.ReportStatus // the status the source gives it
	notes  string
}

// ImportCSV loads a 311-style CSV file described by m and replays it: the
// rows are sorted by time and every report is created at its creation
// time and, if the source closed it, closed at its closing time, through
// the same paths as live reports (duplicate merging, incidents, status
// flowing to duplicates). Rows already imported (same external id) are
// skipped, so an import can be run again after fixing bad rows.
//
// A bad row is refused with a RowError naming its line and column; the
// good rows beside it are kept. The error return is for the file as a
// whole (unreadable, wrong header, mapping naming unknown services:
// EINVALID; more than 2,000,000 rows: ETOOLARGE) or a failing store or
// incident side, in which case what was imported so far stays, and
// LinkPending completes the incidents.
func (s *Service) ImportCSV(ctx context.Context, r io.Reader, m *Mapping, opts ImportOptions) (ImportReport, error) {
	var rep ImportReport
	if err := m.checkServices(s.catalog); err != nil {
		return rep, err
	}
	rows, err := s.readImportRows(ctx, r, m, opts, &rep)
	if err != nil {
		return rep, err
	}
	s.submitMu.Lock()
	defer s.submitMu.Unlock()
	return rep, s.replay(ctx, importEvents(rows), &rep, opts)
}

func (rep *ImportReport) refuse(errs ...RowError) {
	rep.Failed++
	for _, e := range errs {
		if len(rep.Errors) < maxRowErrors {
			rep.Errors = append(rep.Errors, e)
		}
	}
}

// csvSource reads records and knows where their columns are.
type csvSource struct {
	r      *csv.Reader
	index  map[string]int // column name → position
	m      *Mapping
	record []string
}

func (s *Service) readImportRows(ctx context.Context, r io.Reader, m *Mapping, opts ImportOptions, rep *ImportReport) ([]*importRow, error) {
	src, err := openCSV(r, m)
	if err != nil {
		return nil, err
	}
	var rows []*importRow
	seen := map[string]int{} // external id → line
	for {
		rec, err := src.r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		rep.Rows++
		if rep.Rows > maxImportRows {
			return nil, model.Errorf(model.ETOOLARGE, "%s: more than %d rows; split the file", m.Name, maxImportRows)
		}
		if rep.Rows%1000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			rep.refuse(RowError{Line: parseErr.StartLine, Message: parseErr.Err.Error()})
			continue
		} else if err != nil {
			return nil, fmt.Errorf("read %s: %w", m.Name, err)
		}
		line, _ := src.r.FieldPos(0)
		src.record = rec
		row, rowErrs := s.parseRow(src, line, opts)
		if row != nil {
			if first, dup := seen[row.report.ExternalID]; dup {
				row, rowErrs = nil, []RowError{{Line: line, Column: m.column("id"), Message: fmt.Sprintf("id repeats line %d", first)}}
			} else {
				seen[row.report.ExternalID] = line
			}
		}
		if row == nil {
			rep.refuse(rowErrs...)
			continue
		}
		rows = append(rows, row)
	}
}

func openCSV(r io.Reader, m *Mapping) (*csvSource, error) {
	cr := csv.NewReader(r)
	cr.Comma = m.delimiter
	header, err := cr.Read()
	if err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: the header row cannot be read: %v", m.Name, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF") // a spreadsheet's byte-order mark
	}
	index := make(map[string]int, len(header))
	for i, name := range header {
		index[strings.TrimSpace(name)] = i
	}
	var missing []string
	for _, col := range m.referencedColumns() {
		if _, ok := index[col]; !ok && !slices.Contains(missing, col) {
			missing = append(missing, col)
		}
	}
	if len(missing) > 0 {
		return nil, model.Errorf(model.EINVALID, "%s: the file has no column %s (it has: %s)",
			m.Name, strings.Join(missing, ", "), strings.Join(header, ", "))
	}
	return &csvSource{r: cr, index: index, m: m}, nil
}

// cell returns the value of a column, "" for a not-available marker.
func (src *csvSource) cell(col string) string {
	i, ok := src.index[col]
	if col == "" || !ok || i >= len(src.record) {
		return ""
	}
	v := strings.TrimSpace(src.record[i])
	if src.m.na[v] {
		return ""
	}
	return v
}

// field returns the cell of the column mapped to one of our fields.
func (src *csvSource) field(name string) string { return src.cell(src.m.column(name)) }

func (src *csvSource) description() string {
	if src.m.template == nil {
		return src.field("description")
	}
	var b strings.Builder
	for _, p := range src.m.template {
		if p.column == "" {
			b.WriteString(p.text)
		} else {
			b.WriteString(src.cell(p.column))
		}
	}
	return strings.TrimSpace(b.String())
}

// parseRow turns one record into a checked row, or says what is wrong.
func (s *Service) parseRow(src *csvSource, line int, opts ImportOptions) (*importRow, []RowError) {
	m := src.m
	var errs []RowError
	fail := func(field, format string, args ...any) {
		errs = append(errs, RowError{Line: line, Column: m.column(field), Message: fmt.Sprintf(format, args...)})
	}
	row := &importRow{line: line, notes: src.field("notes")}
	id := src.field("id")
	if id == "" {
		fail("id", "empty: every row needs an id")
	}
	created, closed := s.parseTimes(src, fail)
	row.closed = closed
	row.final = finalStatus(src, closed, fail)
	lon, lat, hasPoint := parsePoint(src, fail)
	if len(errs) > 0 {
		return nil, errs
	}
	sub := Submission{
		ServiceCode: m.serviceFor(src.field("service")), Description: src.description(),
		Lon: lon, Lat: lat, HasPoint: hasPoint,
		Address: src.field("address"), AddressID: src.field("address_id"), Zipcode: src.field("zipcode"),
		MediaURL: src.field("media_url"), Channel: m.Channel, SubmittedBy: opts.Actor,
		ExternalID: m.Source + ":" + id, RequestedAt: created, AgencyResponsible: src.field("agency"),
	}
	if ch := src.field("channel"); ch != "" {
		sub.Channel = ch
	}
	r, _, ps, err := s.prepare(sub, prepareOptions{keepOutside: opts.KeepOutside, skipRequired: true})
	if err != nil {
		return nil, []RowError{{Line: line, Column: m.column("service"), Message: model.ErrorMessage(err)}}
	}
	for _, p := range ps {
		errs = append(errs, RowError{Line: line, Column: m.columnOf(p.field), Message: p.String()})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	row.report = r
	return row, nil
}

func (s *Service) parseTimes(src *csvSource, fail func(field, format string, args ...any)) (created, closed time.Time) {
	m := src.m
	created, err := m.parseTime(src.field("created"))
	if err != nil {
		fail("created", "%v", err)
	}
	if v := src.field("closed"); v != "" {
		if closed, err = m.parseTime(v); err != nil {
			fail("closed", "%v", err)
		} else if !created.IsZero() && closed.Before(created) {
			fail("closed", "closed %s is before created %s", closed.Format(time.RFC3339), created.Format(time.RFC3339))
		}
	}
	return created, closed
}

func (m *Mapping) parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, errors.New("empty")
	}
	t, err := time.ParseInLocation(m.layout, v, m.zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q does not match the time layout %q", clip(v), m.layout)
	}
	return t.UTC(), nil
}

// finalStatus is the status the source gives a row: its status column
// mapped, or closed when it has a closing time and received otherwise.
func finalStatus(src *csvSource, closed time.Time, fail func(field, format string, args ...any)) model.ReportStatus {
	final := model.ReportReceived
	if !closed.IsZero() {
		final = model.ReportClosed
	}
	if src.m.column("status") == "" {
		return final
	}
	v := src.field("status")
	mapped, ok := src.m.Statuses[v]
	switch {
	case !ok:
		fail("status", "%q is not in the mapping's statuses", clip(v))
	case mapped.Open() && !closed.IsZero():
		fail("status", "%q means %s, yet the row has a closing time", clip(v), mapped)
	case !mapped.Open() && closed.IsZero():
		fail("closed", "empty, but status %q (%s) needs a closing time", clip(v), mapped)
	default:
		final = mapped
	}
	return final
}

// parsePoint reads lat and lon. Both empty, or both zero (the "null
// island" placeholder of many 311 exports), mean no point.
func parsePoint(src *csvSource, fail func(field, format string, args ...any)) (lon, lat float64, ok bool) {
	if src.m.column("lat") == "" {
		return 0, 0, false
	}
	latText, lonText := src.field("lat"), src.field("lon")
	if latText == "" && lonText == "" {
		return 0, 0, false
	}
	lat, errLat := strconv.ParseFloat(latText, 64)
	lon, errLon := strconv.ParseFloat(lonText, 64)
	if errLat != nil || math.IsInf(lat, 0) {
		fail("lat", "%q is not a number", clip(latText))
	}
	if errLon != nil || math.IsInf(lon, 0) {
		fail("lon", "%q is not a number", clip(lonText))
	}
	if errLat != nil || errLon != nil || (lat == 0 && lon == 0) {
		return 0, 0, false
	}
	return lon, lat, true
}

func (m *Mapping) serviceFor(category string) string {
	if code, ok := m.Services[category]; ok {
		return code
	}
	return m.DefaultService
}

// columnOf names the file's column behind a submission field.
func (m *Mapping) columnOf(field string) string {
	switch field {
	case "service_code":
		return m.column("service")
	case "lat":
		return m.column("lat")
	case "long":
		return m.column("lon")
	case "location":
		return strings.Trim(m.column("lat")+","+m.column("lon")+","+m.column("address"), ",")
	case "address_string":
		return m.column("address")
	case "external_id":
		return m.column("id")
	case "description":
		if m.template != nil {
			return "description template"
		}
	}
	return m.column(field)
}

// eventKind orders events that happen at the same instant: closings of
// earlier reports first (a report closed at T is no longer open for one
// made at T), then creations, then status changes at the instant of a
// report's own creation.
type eventKind int

const (
	eventClose eventKind = iota
	eventCreate
	eventStatusAtCreation
)

type importEvent struct {
	at   time.Time
	kind eventKind
	row  *importRow
}

// importEvents lays the rows out on one time line.
func importEvents(rows []*importRow) []importEvent {
	events := make([]importEvent, 0, 2*len(rows))
	for _, r := range rows {
		events = append(events, importEvent{at: r.report.RequestedAt, kind: eventCreate, row: r})
		switch {
		case !r.closed.IsZero() && r.closed.After(r.report.RequestedAt):
			events = append(events, importEvent{at: r.closed, kind: eventClose, row: r})
		case !r.closed.IsZero() || r.final != model.ReportReceived:
			events = append(events, importEvent{at: r.report.RequestedAt, kind: eventStatusAtCreation, row: r})
		}
	}
	slices.SortFunc(events, func(a, b importEvent) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		return a.row.line - b.row.line
	})
	return events
}

// replayState is what the replay remembers across batches.
type replayState struct {
	reportOf   map[*importRow]model.Report // the report each created row became
	incidentOf map[int64]int64             // original report → the incident it opened
	closer     IncidentCloser              // nil when the incident side cannot close
}

// afterCommit is incident-side work for one event, done once the batch
// is committed (the incident side writes through its own store).
type afterCommit struct {
	report   model.Report
	original *model.Report // for a duplicate
	closing  bool          // the source closed the report
}

func (s *Service) replay(ctx context.Context, events []importEvent, rep *ImportReport, opts ImportOptions) error {
	st := &replayState{reportOf: map[*importRow]model.Report{}, incidentOf: map[int64]int64{}}
	st.closer, _ = s.incidents.(IncidentCloser)
	for start := 0; start < len(events); start += importBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := events[start:min(start+importBatch, len(events))]
		var todo []afterCommit
		err := s.reports.UpdateReports(ctx, func(tx store.ReportsTx) error {
			todo = todo[:0]
			for _, ev := range batch {
				a, err := s.replayEvent(ctx, tx, ev, st, rep)
				if err != nil {
					return fmt.Errorf("line %d: %w", ev.row.line, err)
				}
				if a != nil {
					todo = append(todo, *a)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if err := s.linkImported(ctx, todo, st); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if opts.Progress != nil {
			opts.Progress(start+len(batch), len(events))
		}
	}
	return nil
}

// replayEvent applies one event inside the batch's transaction.
func (s *Service) replayEvent(ctx context.Context, tx store.ReportsTx, ev importEvent, st *replayState, rep *ImportReport) (*afterCommit, error) {
	row := ev.row
	if ev.kind == eventCreate {
		created, original, err := s.create(ctx, tx, row.report, model.Reporter{})
		if model.ErrorCode(err) == model.ECONFLICT { // the external id is taken: imported before
			rep.Existing++
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		st.reportOf[row] = created
		rep.Imported++
		if original != nil {
			rep.Duplicates++
		}
		return &afterCommit{report: created, original: original}, nil
	}
	r, ok := st.reportOf[row]
	if !ok {
		return nil, nil // the row existed before this import
	}
	at := row.closed
	if at.Before(r.RequestedAt) { // no closing time, or closed at the instant of creation
		at = r.RequestedAt
	}
	if err := setStatus(ctx, tx, r.ID, row.final, row.notes, at); err != nil {
		return nil, err
	}
	if row.final.Open() {
		return nil, nil
	}
	rep.Closed++
	r.Status, r.StatusNotes, r.UpdatedAt = row.final, row.notes, at
	return &afterCommit{report: r, closing: true}, nil
}

// linkImported opens and joins incidents for a committed batch, and links
// the reports to them in one more transaction.
func (s *Service) linkImported(ctx context.Context, todo []afterCommit, st *replayState) error {
	links := map[int64]int64{}
	for _, a := range todo {
		var err error
		switch {
		case a.closing:
			err = s.closeImported(ctx, a.report, st)
		case a.original == nil:
			var id int64
			if id, err = s.incidents.OpenFromReport(ctx, a.report); err == nil {
				st.incidentOf[a.report.ID], links[a.report.ID] = id, id
			}
		default:
			err = s.attachImported(ctx, a, st, links)
		}
		if err != nil {
			return fmt.Errorf("report %d: %w", a.report.ID, err)
		}
	}
	if len(links) == 0 {
		return nil
	}
	return s.reports.UpdateReports(ctx, func(tx store.ReportsTx) error {
		for _, id := range sortedIDs(links) {
			if err := tx.SetReportIncident(ctx, id, links[id]); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) attachImported(ctx context.Context, a afterCommit, st *replayState, links map[int64]int64) error {
	incident := a.report.IncidentID
	if incident == 0 {
		// The original came in the same batch: its incident is new.
		incident = st.incidentOf[a.original.ID]
		if incident == 0 {
			return nil // the original is unlinked; LinkPending attaches both
		}
		links[a.report.ID] = incident
	}
	a.report.IncidentID = incident
	return s.incidents.AttachReport(ctx, incident, a.report)
}

// closeImported closes the incident an imported original opened, when
// the incident side can.
func (s *Service) closeImported(ctx context.Context, r model.Report, st *replayState) error {
	incident, ok := st.incidentOf[r.ID]
	if !ok || st.closer == nil {
		return nil // a duplicate's closing does not close the incident
	}
	r.IncidentID = incident
	return st.closer.CloseFromReport(ctx, incident, r)
}

func sortedIDs(m map[int64]int64) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
