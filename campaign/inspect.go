package campaign

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"cityvitals/model"
	"cityvitals/store"
)

// Limits of inspection input.
const (
	// MaxBatchRows bounds one batch upload; a district's day of field
	// work fits easily, and a bigger file is split by the uploader.
	MaxBatchRows = 10_000
	maxPhotos    = 20
	// clockSkew is how far in the future an inspection time may lie: a
	// field tablet's clock is not exact.
	clockSkew = 5 * 60_000
)

// hashPattern is an attachment's content hash: hex SHA-256.
var hashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Inspection is one inspection result as an inspector reports it.
type Inspection struct {
	Task      int64              `json:"task,omitempty"`      // the task id, or
	Asset     string             `json:"asset,omitempty"`     // the inspected asset's id
	Inspector string             `json:"inspector,omitempty"` // "" = the uploader
	At        int64              `json:"at"`                  // Unix ms, when inspected
	Lon       *float64           `json:"lon,omitempty"`       // WGS84; both or neither
	Lat       *float64           `json:"lat,omitempty"`
	Photos    []string           `json:"photos,omitempty"`
	Note      string             `json:"note,omitempty"`
	Items     []model.ItemResult `json:"items"`
}

// FieldError is one problem of an inspection: the field and what is wrong.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	code    string // the model error code for a single submission; "" = EINVALID
}

// RowError is one problem of a batch row. Row is the 1-based position in
// a JSON array, or the line in a CSV file as a spreadsheet numbers it
// (the header is row 1).
type RowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	code    string // as FieldError.code
}

// BatchReport is the outcome of a batch upload.
type BatchReport struct {
	Rows     int        `json:"rows"`     // rows read
	Accepted int        `json:"accepted"` // applied, each all or nothing
	Rejected int        `json:"rejected"`
	Hazards  int        `json:"hazards"` // hazards recorded by the accepted rows
	Tasks    []int64    `json:"tasks"`   // the tasks of the accepted rows
	Errors   []RowError `json:"errors"`  // why the rejected ones were refused
}

// Outcome is what one applied inspection recorded.
type Outcome struct {
	Task    model.InspectionTask `json:"task"`
	Hazards []model.Hazard       `json:"hazards"`
}

// SubmitInspection records one inspection result and the hazards its
// failed items reveal. EINVALID names every field at fault; ENOTFOUND if
// the task does not exist; ECONFLICT if it was already inspected.
func (s *Service) SubmitInspection(ctx context.Context, actor string, campaign int64, in Inspection) (Outcome, error) {
	rep, applied, err := s.submit(ctx, actor, campaign, []BatchRow{{Row: 1, Inspection: in}})
	if err != nil {
		return Outcome{}, err
	}
	if len(rep.Errors) > 0 {
		return Outcome{}, joinRowErrors(rep.Errors)
	}
	task, err := s.st.Task(ctx, applied[0].Result.Task)
	if err != nil {
		return Outcome{}, fmt.Errorf("inspection of task %d: %w", applied[0].Result.Task, err)
	}
	return Outcome{Task: task, Hazards: applied[0].Hazards}, nil
}

// joinRowErrors turns the problems of a single submission into one
// error carrying the code of the first problem that has one.
func joinRowErrors(errs []RowError) error {
	code := model.EINVALID
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Field + ": " + e.Message
		if e.code != "" && code == model.EINVALID {
			code = e.code
		}
	}
	return model.Errorf(code, "%s", strings.Join(msgs, "; "))
}

// BatchRow is one decoded row of a batch upload. Problems are what
// decoding already found wrong with it; Broken says the row could not be
// read at all, so nothing else is checked.
type BatchRow struct {
	Row        int
	Inspection Inspection
	Problems   []FieldError
	Broken     bool
}

// SubmitBatch applies the valid rows of a batch and reports every refused
// row with its problems. Each row is applied all or nothing; one row's
// problems never keep another row out. ETOOLARGE beyond MaxBatchRows;
// other errors mean nothing was applied.
func (s *Service) SubmitBatch(ctx context.Context, actor string, campaign int64, rows []BatchRow) (BatchReport, error) {
	rep, _, err := s.submit(ctx, actor, campaign, rows)
	return rep, err
}

// submit checks every row, applies the valid ones and returns the report
// and what was applied (hazard IDs filled in).
func (s *Service) submit(ctx context.Context, actor string, campaignID int64, rows []BatchRow) (BatchReport, []store.Inspection, error) {
	if err := checkActor(actor); err != nil {
		return BatchReport{}, nil, err
	}
	if len(rows) > MaxBatchRows {
		return BatchReport{}, nil, model.Errorf(model.ETOOLARGE, "batch has %d rows; at most %d per upload", len(rows), MaxBatchRows)
	}
	c, err := s.st.Campaign(ctx, campaignID)
	if err != nil {
		return BatchReport{}, nil, fmt.Errorf("inspection batch: %w", err)
	}
	rep := BatchReport{Rows: len(rows), Tasks: []int64{}, Errors: []RowError{}}
	var apply []store.Inspection
	var applyRows []int
	seen := map[int64]int{} // task → row that claimed it
	now := s.nowMs()
	for _, r := range rows {
		ins, probs, err := s.prepare(ctx, actor, c, r, seen, now)
		if err != nil {
			return BatchReport{}, nil, err
		}
		if len(probs) > 0 {
			rep.Errors = append(rep.Errors, rowErrors(r.Row, probs)...)
			rep.Rejected++
			continue
		}
		seen[ins.Result.Task] = r.Row
		apply = append(apply, ins)
		applyRows = append(applyRows, r.Row)
	}
	applied, err := s.apply(ctx, actor, c, apply, applyRows, &rep)
	if err != nil {
		return BatchReport{}, nil, err
	}
	return rep, applied, nil
}

func rowErrors(row int, probs []FieldError) []RowError {
	out := make([]RowError, len(probs))
	for i, p := range probs {
		out[i] = RowError{Row: row, Field: p.Field, Message: p.Message, code: p.code}
	}
	return out
}

// apply stores the prepared inspections, audits the batch once and
// returns the inspections that were applied.
func (s *Service) apply(ctx context.Context, actor string, c model.Campaign, ins []store.Inspection, rows []int, rep *BatchReport) ([]store.Inspection, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	errs, err := s.st.ApplyInspections(ctx, ins)
	if err != nil {
		return nil, fmt.Errorf("inspection batch of campaign %d: %w", c.ID, err)
	}
	var hazards []int64
	var applied []store.Inspection
	for i, e := range errs {
		if e != nil {
			rep.Errors = append(rep.Errors, RowError{Row: rows[i], Field: "task", Message: model.ErrorMessage(e), code: model.ErrorCode(e)})
			rep.Rejected++
			continue
		}
		rep.Accepted++
		applied = append(applied, ins[i])
		rep.Tasks = append(rep.Tasks, ins[i].Result.Task)
		for _, h := range ins[i].Hazards {
			hazards = append(hazards, h.ID)
		}
	}
	rep.Hazards = len(hazards)
	slices.SortStableFunc(rep.Errors, func(a, b RowError) int { return a.Row - b.Row })
	if rep.Accepted > 0 {
		s.record(ctx, actor, "inspection.submit", campaignTarget(c.ID),
			map[string]any{"tasks": rep.Tasks, "hazards": hazards, "rejected": rep.Rejected})
	}
	return applied, nil
}

// prepare checks one row against its task and builds what to store. The
// error is for failures of the store, not of the row.
func (s *Service) prepare(ctx context.Context, actor string, c model.Campaign, r BatchRow, seen map[int64]int, now int64) (store.Inspection, []FieldError, error) {
	probs := slices.Clone(r.Problems)
	if r.Broken {
		return store.Inspection{}, probs, nil
	}
	task, found, err := s.resolveTask(ctx, c, r.Inspection)
	if err != nil {
		return store.Inspection{}, nil, err
	}
	if found.Field != "" {
		return store.Inspection{}, append(probs, found), nil
	}
	if prev, dup := seen[task.ID]; dup {
		probs = append(probs, FieldError{Field: "task", Message: fmt.Sprintf("task %d is already in row %d of this batch", task.ID, prev), code: model.ECONFLICT})
	}
	in := r.Inspection
	if in.Inspector == "" {
		in.Inspector = actor
	}
	for _, p := range checkInspection(c, task, in, now) {
		if !slices.ContainsFunc(r.Problems, func(d FieldError) bool { return d.Field == p.Field }) {
			probs = append(probs, p) // decoding already said what is wrong with that field
		}
	}
	if len(probs) > 0 {
		return store.Inspection{}, probs, nil
	}
	return s.build(c, task, in, actor, now), nil, nil
}

// resolveTask finds the row's task by id or by asset. A row problem comes
// back as a FieldError with a Field; err is for store failures.
func (s *Service) resolveTask(ctx context.Context, c model.Campaign, in Inspection) (model.InspectionTask, FieldError, error) {
	var task model.InspectionTask
	var err error
	field := "task"
	switch {
	case in.Task != 0 && in.Asset != "":
		task, err = s.st.Task(ctx, in.Task)
		if err == nil && task.Asset != in.Asset {
			return task, FieldError{Field: "asset", Message: fmt.Sprintf("task %d inspects asset %q, not %q", in.Task, task.Asset, in.Asset)}, nil
		}
	case in.Task != 0:
		task, err = s.st.Task(ctx, in.Task)
	case in.Asset != "":
		field = "asset"
		task, err = s.st.TaskOfAsset(ctx, c.ID, in.Asset)
	default:
		return task, FieldError{Field: "task", Message: "name the task or the asset"}, nil
	}
	switch model.ErrorCode(err) {
	case "":
	case model.ENOTFOUND:
		return task, FieldError{Field: field, Message: model.ErrorMessage(err), code: model.ENOTFOUND}, nil
	default:
		return task, FieldError{}, err
	}
	if task.Campaign != c.ID {
		return task, FieldError{Field: "task", Message: fmt.Sprintf("task %d belongs to campaign %d, not %d", task.ID, task.Campaign, c.ID), code: model.ENOTFOUND}, nil
	}
	if task.Done() {
		return task, FieldError{Field: "task", Message: fmt.Sprintf("task %d was already inspected by %s at %s", task.ID, task.InspectedBy, rfc3339(task.InspectedAt)), code: model.ECONFLICT}, nil
	}
	return task, FieldError{}, nil
}

// checkInspection lists everything wrong with an inspection of task.
func checkInspection(c model.Campaign, task model.InspectionTask, in Inspection, now int64) []FieldError {
	var probs []FieldError
	bad := func(field, format string, args ...any) {
		probs = append(probs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if task.Inspector != "" && in.Inspector != task.Inspector {
		bad("inspector", "task %d is assigned to %s, not %s", task.ID, task.Inspector, in.Inspector)
	}
	if len(in.Inspector) > maxNameBytes || !utf8.ValidString(in.Inspector) {
		bad("inspector", "must be valid UTF-8 of at most %d bytes", maxNameBytes)
	}
	switch {
	case in.At <= 0:
		bad("inspected_at", "missing")
	case !c.Within(in.At):
		bad("inspected_at", "%s is outside the campaign period %s – %s", rfc3339(in.At), rfc3339(c.StartAt), rfc3339(c.EndAt))
	case in.At > now+clockSkew:
		bad("inspected_at", "%s is in the future", rfc3339(in.At))
	}
	probs = append(probs, checkPoint(in.Lon, in.Lat)...)
	probs = append(probs, checkPhotos("photos", in.Photos)...)
	probs = append(probs, checkText("note", in.Note)...)
	cl, ok := c.Checklist(task.Checklist)
	if !ok {
		bad("task", "task %d uses checklist %q, which the campaign does not have", task.ID, task.Checklist)
		return probs
	}
	return append(probs, checkItems(cl, in.Items)...)
}

func checkPoint(lon, lat *float64) []FieldError {
	switch {
	case lon == nil && lat == nil:
		return nil
	case lon == nil || lat == nil:
		return []FieldError{{Field: "lon", Message: "give both lon and lat, or neither"}}
	case math.IsNaN(*lon) || *lon < -180 || *lon > 180:
		return []FieldError{{Field: "lon", Message: fmt.Sprintf("%v is not a longitude", *lon)}}
	case math.IsNaN(*lat) || *lat < -90 || *lat > 90:
		return []FieldError{{Field: "lat", Message: fmt.Sprintf("%v is not a latitude", *lat)}}
	case *lon == 0 && *lat == 0:
		return []FieldError{{Field: "lon", Message: "0,0 is a missing GPS fix, not a place; leave lon and lat empty"}}
	}
	return nil
}

func checkPhotos(field string, photos []string) []FieldError {
	if len(photos) > maxPhotos {
		return []FieldError{{Field: field, Message: fmt.Sprintf("%d photos; at most %d", len(photos), maxPhotos)}}
	}
	for i, h := range photos {
		if !hashPattern.MatchString(h) {
			return []FieldError{{Field: field, Message: fmt.Sprintf("photo %d %q is not a SHA-256 content hash (64 lower-case hex digits)", i+1, clip(h))}}
		}
	}
	return nil
}

func checkText(field, text string) []FieldError {
	if len(text) > maxTextBytes || !utf8.ValidString(text) {
		return []FieldError{{Field: field, Message: fmt.Sprintf("must be valid UTF-8 of at most %d bytes", maxTextBytes)}}
	}
	return nil
}

// clip shortens hostile or huge input before it goes into a message.
func clip(s string) string {
	if len(s) <= 80 && utf8.ValidString(s) {
		return s
	}
	r := []rune(s)
	if len(r) > 80 {
		r = r[:80]
	}
	return string(r) + "…"
}

// checkItems requires exactly one answer per item of the checklist, and
// a photo for every failed item.
func checkItems(cl model.Checklist, items []model.ItemResult) []FieldError {
	var probs []FieldError
	answered := map[string]bool{}
	for _, it := range items {
		field := "items." + clip(it.Item)
		switch {
		case it.Item == "":
			probs = append(probs, FieldError{Field: "items", Message: "an item result has no item id"})
			continue
		case answered[it.Item]:
			probs = append(probs, FieldError{Field: field, Message: "answered twice"})
			continue
		}
		answered[it.Item] = true
		if _, ok := cl.Item(it.Item); !ok {
			probs = append(probs, FieldError{Field: field, Message: fmt.Sprintf("not an item of checklist %q", cl.ID)})
			continue
		}
		probs = append(probs, checkItem(field, it)...)
	}
	for _, want := range cl.Items {
		if !answered[want.ID] {
			probs = append(probs, FieldError{Field: "items." + want.ID, Message: "not answered: " + want.TextZH})
		}
	}
	return probs
}

func checkItem(field string, it model.ItemResult) []FieldError {
	var probs []FieldError
	if !it.Outcome.Valid() {
		probs = append(probs, FieldError{Field: field, Message: fmt.Sprintf("outcome %q: want ok, fail, fixed or na", clip(string(it.Outcome)))})
	}
	if it.Outcome.Found() && len(it.Photos) == 0 {
		probs = append(probs, FieldError{Field: field + ".photos", Message: fmt.Sprintf("a %s item needs at least one photo", it.Outcome)})
	}
	probs = append(probs, checkPhotos(field+".photos", it.Photos)...)
	return append(probs, checkText(field+".note", it.Note)...)
}

// build turns a checked inspection into the result and its hazards.
func (s *Service) build(c model.Campaign, task model.InspectionTask, in Inspection, actor string, now int64) store.Inspection {
	res := model.InspectionResult{
		Task: task.ID, Campaign: c.ID, Inspector: in.Inspector, At: in.At, Items: in.Items,
		Photos: in.Photos, Note: in.Note, SubmittedBy: actor, SubmittedAt: now,
	}
	if in.Lon != nil {
		res.Lon, res.Lat, res.HasPoint = *in.Lon, *in.Lat, true
	}
	cl, _ := c.Checklist(task.Checklist)
	var hazards []model.Hazard
	for _, it := range in.Items {
		if it.Outcome.Found() {
			item, _ := cl.Item(it.Item)
			hazards = append(hazards, s.hazardOf(c, task, res, item, it, now))
		}
	}
	ev := model.HazardEvent{At: now, Actor: actor, Action: "found", Data: map[string]any{"task": task.ID}}
	return store.Inspection{Result: res, Hazards: hazards, Event: ev}
}

// hazardOf records a failed item as a hazard. An item fixed on the spot
// waits for verification at once, its photos standing as the evidence.
func (s *Service) hazardOf(c model.Campaign, task model.InspectionTask, res model.InspectionResult, item model.ChecklistItem, it model.ItemResult, now int64) model.Hazard {
	desc := item.TextZH
	if it.Note != "" {
		desc += "：" + it.Note
	}
	h := model.Hazard{
		Campaign: c.ID, Task: task.ID, Item: item.ID, Asset: task.Asset, AssetType: task.AssetType,
		Unit: task.Unit, District: task.District, Category: item.Category, Severity: item.Severity,
		Description: "不符合：" + desc, FoundAt: res.At, FoundBy: res.Inspector, Photos: it.Photos,
		Lon: res.Lon, Lat: res.Lat, HasPoint: res.HasPoint, Dept: task.Dept, State: model.HazardOpen,
		Deadline: s.defaultDeadline(c, item.Severity, res.At), CreatedAt: now, UpdatedAt: now,
	}
	if it.Outcome == model.OutcomeFixed {
		h.State, h.OnSite, h.Owner = model.HazardAwaiting, true, res.Inspector
		h.RectifiedBy, h.RectifiedAt, h.Evidence, h.RectifyNote = res.Inspector, res.At, it.Photos, "当场整改"
	}
	return h
}
