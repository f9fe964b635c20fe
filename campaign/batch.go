package campaign

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"cityvitals/model"
)

// MaxBatchBytes bounds what a batch decoder reads; the API's body limit
// should be the same or smaller.
const MaxBatchBytes = 64 << 20

// UploadJSON decodes a batch of inspections (a JSON array of objects, or
// one object per line) and submits it; see SubmitBatch. A row that cannot
// be decoded is reported with its problems and the other rows are kept;
// a body that is not JSON at all is EINVALID.
func (s *Service) UploadJSON(ctx context.Context, actor string, campaign int64, r io.Reader) (BatchReport, error) {
	rows, err := s.DecodeJSON(r)
	if err != nil {
		return BatchReport{}, err
	}
	return s.SubmitBatch(ctx, actor, campaign, rows)
}

// UploadCSV decodes a batch of inspections from CSV (one inspection per
// line, one column per checklist item; see docs/campaigns.md) and submits
// it; see SubmitBatch. A header the campaign does not know is EINVALID
// and nothing is applied; a broken line is reported and the others kept.
func (s *Service) UploadCSV(ctx context.Context, actor string, campaign int64, r io.Reader) (BatchReport, error) {
	c, err := s.st.Campaign(ctx, campaign)
	if err != nil {
		return BatchReport{}, fmt.Errorf("csv upload: %w", err)
	}
	rows, err := s.DecodeCSV(c, r)
	if err != nil {
		return BatchReport{}, err
	}
	return s.SubmitBatch(ctx, actor, campaign, rows)
}

// jsonRow is one inspection as the wire carries it.
type jsonRow struct {
	Task        int64              `json:"task"`
	Asset       string             `json:"asset"`
	Inspector   string             `json:"inspector"`
	InspectedAt json.RawMessage    `json:"inspected_at"`
	Lon         *float64           `json:"lon"`
	Lat         *float64           `json:"lat"`
	Photos      []string           `json:"photos"`
	Note        string             `json:"note"`
	Items       []model.ItemResult `json:"items"`
}

// DecodeJSON reads a JSON array of inspections, or NDJSON (one per line).
// Row numbers are positions in the array, or line numbers.
func (s *Service) DecodeJSON(r io.Reader) ([]BatchRow, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // spreadsheet exports start with one
	trimmed := bytes.TrimLeftFunc(data, unicode.IsSpace)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return s.decodeJSONArray(trimmed)
	}
	return s.decodeNDJSON(data)
}

func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBatchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read batch: %w", err)
	}
	if len(data) > MaxBatchBytes {
		return nil, model.Errorf(model.ETOOLARGE, "batch is larger than %d MiB; split it", MaxBatchBytes>>20)
	}
	return data, nil
}

func (s *Service) decodeJSONArray(data []byte) ([]BatchRow, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, model.Errorf(model.EINVALID, "batch is not valid JSON: %v at byte %d", se, se.Offset)
		}
		return nil, model.Errorf(model.EINVALID, "batch must be a JSON array of inspections: %v", err)
	}
	if len(raw) > MaxBatchRows {
		return nil, model.Errorf(model.ETOOLARGE, "batch has %d rows; at most %d per upload", len(raw), MaxBatchRows)
	}
	rows := make([]BatchRow, len(raw))
	for i, item := range raw {
		rows[i] = s.decodeJSONRow(i+1, item)
	}
	return rows, nil
}

func (s *Service) decodeNDJSON(data []byte) ([]BatchRow, error) {
	var rows []BatchRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), MaxBatchBytes)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if len(rows) == MaxBatchRows {
			return nil, model.Errorf(model.ETOOLARGE, "batch has more than %d rows; at most %d per upload", MaxBatchRows, MaxBatchRows)
		}
		rows = append(rows, s.decodeJSONRow(line, text))
	}
	if err := sc.Err(); err != nil {
		return nil, model.Errorf(model.EINVALID, "batch: %v", err)
	}
	if len(rows) == 0 {
		return nil, model.Errorf(model.EINVALID, "batch is empty: send a JSON array or one JSON object per line")
	}
	return rows, nil
}

// decodeJSONRow decodes one inspection; what is wrong with it becomes
// the row's problems.
func (s *Service) decodeJSONRow(row int, raw []byte) BatchRow {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var jr jsonRow
	if err := dec.Decode(&jr); err != nil {
		return BatchRow{Row: row, Problems: []FieldError{jsonProblem(err)}, Broken: true}
	}
	if dec.More() {
		return BatchRow{Row: row, Problems: []FieldError{{Message: "more than one JSON value in the row"}}, Broken: true}
	}
	in := Inspection{Task: jr.Task, Asset: jr.Asset, Inspector: jr.Inspector, Lon: jr.Lon, Lat: jr.Lat,
		Photos: jr.Photos, Note: jr.Note, Items: jr.Items}
	br := BatchRow{Row: row}
	at, err := s.parseJSONTime(jr.InspectedAt)
	if err != nil {
		br.Problems = append(br.Problems, FieldError{Field: "inspected_at", Message: err.Error()})
	}
	in.At = at
	br.Inspection = in
	return br
}

// jsonProblem names the field a JSON decoding error is about.
func jsonProblem(err error) FieldError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return FieldError{Field: te.Field, Message: fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value)}
	case errors.As(err, &se):
		return FieldError{Message: fmt.Sprintf("not valid JSON: %v at byte %d of the row", se, se.Offset)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return FieldError{Message: "not valid JSON: the row ends in the middle of a value"}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return FieldError{Field: strings.Trim(name, `"`), Message: "unknown field"}
	}
	return FieldError{Message: strings.TrimPrefix(msg, "json: ")}
}

// parseJSONTime accepts Unix milliseconds or a time string.
func (s *Service) parseJSONTime(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil // reported as missing by the checks
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return s.parseTime(str)
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil || ms != math.Trunc(ms) {
		return 0, fmt.Errorf("want RFC 3339 text or Unix milliseconds, got %s", clip(string(raw)))
	}
	return int64(ms), nil
}

// localLayouts are the time formats field tablets and spreadsheets write
// without a zone; they are read in the service's zone.
var localLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006/01/02 15:04", "2006-01-02T15:04:05"}

// parseTime reads RFC 3339, a local date-time or Unix milliseconds.
func (s *Service) parseTime(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UnixMilli(), nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, v, s.loc); err == nil {
			return t.UnixMilli(), nil
		}
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
		return ms, nil
	}
	return 0, fmt.Errorf("%q is not a time: use RFC 3339 (2025-07-03T10:00:00+08:00), 2025-07-03 10:00 or Unix milliseconds", clip(v))
}

// csvColumn says what a CSV column holds.
type csvColumn struct {
	name string // as written in the header
	kind string // a fixed column, or "item", "item_note", "item_photos"
	item string // the item id for item columns
}

var fixedColumns = []string{"task", "asset", "inspector", "inspected_at", "lon", "lat", "photos", "note"}

// DecodeCSV reads inspections from CSV for campaign c: a header naming
// fixed columns (task or asset, inspector, inspected_at, lon, lat,
// photos, note) and one column per checklist item id, with optional
// "<item>.note" and "<item>.photos" columns. Row numbers are the lines a
// spreadsheet shows (the header is row 1).
func (s *Service) DecodeCSV(c model.Campaign, r io.Reader) ([]BatchRow, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, model.Errorf(model.EINVALID, "csv: no header line: %v", err)
	}
	cols, err := csvColumns(c, header)
	if err != nil {
		return nil, err
	}
	var rows []BatchRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, model.Errorf(model.EINVALID, "csv: %v", err)
			}
			rows = append(rows, BatchRow{Row: pe.StartLine, Problems: []FieldError{{Message: "malformed CSV line: " + pe.Err.Error()}}, Broken: true})
			continue
		}
		if blank(rec) {
			continue
		}
		if len(rows) == MaxBatchRows {
			return nil, model.Errorf(model.ETOOLARGE, "batch has more than %d rows; at most %d per upload", MaxBatchRows, MaxBatchRows)
		}
		rows = append(rows, s.csvRow(line, cols, rec))
	}
	return rows, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// csvColumns maps the header to columns; an unknown or repeated column
// refuses the whole file, since no row of it can be read with certainty.
func csvColumns(c model.Campaign, header []string) ([]csvColumn, error) {
	items := map[string]string{} // lower-case id → id
	for _, cl := range c.Checklists {
		for _, it := range cl.Items {
			items[strings.ToLower(it.ID)] = it.ID
		}
	}
	cols := make([]csvColumn, len(header))
	seen := map[string]bool{}
	hasKey := false
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if seen[name] {
			return nil, model.Errorf(model.EINVALID, "csv header: column %q appears twice", clip(h))
		}
		seen[name] = true
		col, ok := csvColumnOf(name, items)
		if !ok {
			return nil, model.Errorf(model.EINVALID, "csv header: column %d %q is neither a fixed column (%s) nor an item of the campaign's checklists",
				i+1, clip(h), strings.Join(fixedColumns, ", "))
		}
		col.name = strings.TrimSpace(h)
		cols[i] = col
		hasKey = hasKey || name == "task" || name == "asset"
	}
	if !hasKey {
		return nil, model.Errorf(model.EINVALID, "csv header: needs a task or an asset column")
	}
	return cols, nil
}

func csvColumnOf(name string, items map[string]string) (csvColumn, bool) {
	for _, f := range fixedColumns {
		if name == f {
			return csvColumn{kind: f}, true
		}
	}
	base, suffix, _ := strings.Cut(name, ".")
	id, ok := items[base]
	switch {
	case !ok:
		return csvColumn{}, false
	case suffix == "":
		return csvColumn{kind: "item", item: id}, true
	case suffix == "note":
		return csvColumn{kind: "item_note", item: id}, true
	case suffix == "photos":
		return csvColumn{kind: "item_photos", item: id}, true
	}
	return csvColumn{}, false
}

// csvRow reads one record; every cell that cannot be read is a problem.
func (s *Service) csvRow(line int, cols []csvColumn, rec []string) BatchRow {
	br := BatchRow{Row: line}
	bad := func(col csvColumn, format string, args ...any) {
		br.Problems = append(br.Problems, FieldError{Field: col.name, Message: fmt.Sprintf(format, args...)})
	}
	if len(rec) != len(cols) {
		bad(csvColumn{}, "has %d fields, the header %d", len(rec), len(cols))
		br.Broken = true
		return br
	}
	items := map[string]*model.ItemResult{}
	var order []string
	item := func(id string) *model.ItemResult {
		if items[id] == nil {
			items[id] = &model.ItemResult{Item: id}
			order = append(order, id)
		}
		return items[id]
	}
	in := &br.Inspection
	for i, col := range cols {
		v := strings.TrimSpace(rec[i])
		if v == "" {
			continue
		}
		if err := s.csvCell(in, col, v, item); err != nil {
			bad(col, "%v", err)
		}
	}
	for _, id := range order {
		if it := items[id]; it.Outcome == "" {
			bad(csvColumn{name: id}, "has a note or photos but no outcome")
		}
		in.Items = append(in.Items, *items[id])
	}
	return br
}

func (s *Service) csvCell(in *Inspection, col csvColumn, v string, item func(string) *model.ItemResult) error {
	var err error
	switch col.kind {
	case "task":
		in.Task, err = strconv.ParseInt(v, 10, 64)
		if err != nil || in.Task <= 0 {
			return fmt.Errorf("%q is not a task id", clip(v))
		}
	case "asset":
		in.Asset = v
	case "inspector":
		in.Inspector = v
	case "inspected_at":
		in.At, err = s.parseTime(v)
	case "lon":
		in.Lon, err = parseCoord(v)
	case "lat":
		in.Lat, err = parseCoord(v)
	case "photos":
		in.Photos = splitList(v)
	case "note":
		in.Note = v
	case "item":
		o, ok := outcomes[strings.ToLower(v)]
		if !ok {
			return fmt.Errorf("%q is not an outcome: ok/合格, fail/不合格, fixed/当场整改, na/不适用", clip(v))
		}
		item(col.item).Outcome = o
	case "item_note":
		item(col.item).Note = v
	case "item_photos":
		item(col.item).Photos = splitList(v)
	}
	return err
}

// outcomes maps what field forms write to outcomes.
var outcomes = map[string]model.ItemOutcome{
	"ok": model.OutcomeOK, "pass": model.OutcomeOK, "合格": model.OutcomeOK, "是": model.OutcomeOK,
	"fail": model.OutcomeFail, "不合格": model.OutcomeFail, "否": model.OutcomeFail,
	"fixed": model.OutcomeFixed, "当场整改": model.OutcomeFixed, "立查立改": model.OutcomeFixed,
	"na": model.OutcomeNA, "n/a": model.OutcomeNA, "不适用": model.OutcomeNA, "无": model.OutcomeNA,
}

func parseCoord(v string) (*float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%q is not a number", clip(v))
	}
	return &f, nil
}

// splitList splits a list of hashes written with ';', ',' or spaces.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == '；' || unicode.IsSpace(r) })
}
