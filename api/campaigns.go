package api

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cityvitals/auth"
	"cityvitals/campaign"
	"cityvitals/incident"
	"cityvitals/model"
	"cityvitals/store"
)

// CampaignService is what the API asks of hazard campaigns.
type CampaignService interface {
	CreateCampaign(ctx context.Context, actor string, n campaign.NewCampaign) (model.Campaign, error)
	UpdateCampaign(ctx context.Context, actor string, id int64, ch campaign.CampaignChange) (model.Campaign, error)
	Campaign(ctx context.Context, id int64) (model.Campaign, error)
	Campaigns(ctx context.Context) ([]model.Campaign, error)
	GenerateTasks(ctx context.Context, actor string, id int64) (int, error)
	AssignTasks(ctx context.Context, actor string, id int64, unit, inspector string) (int, error)
	Tasks(ctx context.Context, f store.TaskFilter, p store.Page) ([]model.InspectionTask, string, error)
	InspectionResult(ctx context.Context, task int64) (model.InspectionResult, error)
	SubmitInspection(ctx context.Context, actor string, campaign int64, in campaign.Inspection) (campaign.Outcome, error)
	UploadJSON(ctx context.Context, actor string, campaign int64, r io.Reader) (campaign.BatchReport, error)
	UploadCSV(ctx context.Context, actor string, campaign int64, r io.Reader) (campaign.BatchReport, error)
	ReportHazard(ctx context.Context, actor string, n campaign.NewHazard) (model.Hazard, error)
	Hazards(ctx context.Context, f store.HazardFilter, p store.Page) ([]model.Hazard, string, error)
	Hazard(ctx context.Context, id int64) (model.Hazard, error)
	HazardEvents(ctx context.Context, id int64) ([]model.HazardEvent, error)
	PlanRectification(ctx context.Context, actor string, id int64, p campaign.Plan) (model.Hazard, error)
	CompleteMilestone(ctx context.Context, actor string, id int64, seq int, e campaign.Evidence) (model.Hazard, error)
	Rectify(ctx context.Context, actor string, id int64, e campaign.Evidence) (model.Hazard, error)
	Verify(ctx context.Context, actor string, id int64, v campaign.Verdict) (model.Hazard, error)
	Reopen(ctx context.Context, actor string, id int64, r campaign.Reopening) (model.Hazard, error)
	Report(ctx context.Context, id int64, q campaign.ReportQuery) (model.CampaignReport, error)
	WriteReportCSV(w io.Writer, r model.CampaignReport) error
	WriteReportXLSX(w io.Writer, r model.CampaignReport) error
}

// FileStore keeps photos and documents by content hash.
type FileStore interface {
	Store(name string, r io.Reader, by string, at int64) (model.Attachment, error)
	Has(hash string) bool
}

// uploadFile keeps a photo or document that belongs to no incident
// (inspection photos, rectification evidence); its hash is what the
// campaign calls then name.
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !p.Can(auth.InspectionSubmit) && !p.Can(auth.HazardRectify) && !p.Can(auth.HazardVerify) {
		s.fail(w, r, model.Errorf(model.EFORBIDDEN, "%s may not upload inspection files", p.Name()))
		return
	}
	a, err := s.Files.Store(r.URL.Query().Get("name"), http.MaxBytesReader(w, r.Body, incident.MaxAttachment+1), p.Name(), time.Now().UnixMilli())
	s.answer(w, r, http.StatusCreated, a, err)
}

// checkFiles refuses hashes of files never uploaded.
func (s *Server) checkFiles(field string, hashes []string) error {
	for _, h := range hashes {
		if !s.Files.Has(h) {
			return model.Errorf(model.EINVALID, "%s: %q is not an uploaded file (POST /api/v1/files first)", field, clipText(h))
		}
	}
	return nil
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	items, err := s.Campaigns.Campaigns(r.Context())
	s.answer(w, r, http.StatusOK, listing[model.Campaign]{Items: nonNilSlice(items)}, err)
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var n campaign.NewCampaign
	if err := decodeJSON(r, &n); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Campaigns.CreateCampaign(r.Context(), p.Name(), n)
	s.answer(w, r, http.StatusCreated, c, err)
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if id, ok := s.idParam(w, r, "id"); ok {
		c, err := s.Campaigns.Campaign(r.Context(), id)
		s.answer(w, r, http.StatusOK, c, err)
	}
}

func (s *Server) updateCampaign(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	var ch campaign.CampaignChange
	if err := decodeJSON(r, &ch); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Campaigns.UpdateCampaign(r.Context(), p.Name(), id, ch)
	s.answer(w, r, http.StatusOK, c, err)
}

func (s *Server) generateTasks(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if id, ok := s.idParam(w, r, "id"); ok {
		n, err := s.Campaigns.GenerateTasks(r.Context(), p.Name(), id)
		s.answer(w, r, http.StatusOK, map[string]int{"created": n}, err)
	}
}

type assignTasksRequest struct {
	Unit      string `json:"unit"`
	Inspector string `json:"inspector"`
}

func (s *Server) assignTasks(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	var req assignTasksRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.Campaigns.AssignTasks(r.Context(), p.Name(), id, req.Unit, req.Inspector)
	s.answer(w, r, http.StatusOK, map[string]int{"assigned": n}, err)
}

// listTasks pages through a campaign's tasks: ?unit (comma list),
// ?district, ?inspector, ?pending, ?done.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := store.TaskFilter{Campaign: id, District: q.Get("district"), Inspector: q.Get("inspector"),
		Pending: q.Get("pending") == "true", Done: q.Get("done") == "true"}
	if u := q.Get("unit"); u != "" {
		f.Units = strings.Split(u, ",")
	}
	items, next, err := s.Campaigns.Tasks(r.Context(), f, pg)
	s.answer(w, r, http.StatusOK, listing[model.InspectionTask]{Items: nonNilSlice(items), Next: next}, err)
}

func (s *Server) getInspectionResult(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if id, ok := s.idParam(w, r, "task"); ok {
		res, err := s.Campaigns.InspectionResult(r.Context(), id)
		s.answer(w, r, http.StatusOK, res, err)
	}
}

func (s *Server) submitInspection(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	var in campaign.Inspection
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	photos := in.Photos
	for _, it := range in.Items {
		photos = append(photos, it.Photos...)
	}
	if err := s.checkFiles("photos", photos); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.Campaigns.SubmitInspection(r.Context(), p.Name(), id, in)
	s.answer(w, r, http.StatusCreated, out, err)
}

// uploadInspections takes a batch of offline results as a JSON array,
// NDJSON or CSV (by Content-Type); broken rows are reported, the valid
// ones kept, each row all or nothing.
func (s *Server) uploadInspections(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	body, err := readBody(r, s.MaxBodyBytes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var rep campaign.BatchReport
	switch ct {
	case "text/csv":
		rep, err = s.Campaigns.UploadCSV(r.Context(), p.Name(), id, bytes.NewReader(body))
	case "application/json", "application/x-ndjson", "":
		rep, err = s.Campaigns.UploadJSON(r.Context(), p.Name(), id, bytes.NewReader(body))
	default:
		err = model.Errorf(model.EINVALID, "Content-Type: %q is not text/csv, application/json or application/x-ndjson", clipText(ct))
	}
	s.answer(w, r, http.StatusOK, rep, err)
}

func (s *Server) reportHazard(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var n campaign.NewHazard
	if err := decodeJSON(r, &n); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkFiles("photos", n.Photos); err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.Campaigns.ReportHazard(r.Context(), p.Name(), n)
	s.answer(w, r, http.StatusCreated, h, err)
}

// listHazards pages through the register: ?campaign, ?state (comma
// list), ?severity, ?district, ?dept, ?unit, ?asset, ?overdue.
func (s *Server) listHazards(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := store.HazardFilter{Severity: model.HazardSeverity(q.Get("severity")), District: q.Get("district"), Dept: q.Get("dept"),
		Unit: q.Get("unit"), Asset: q.Get("asset"), Overdue: q.Get("overdue") == "true"}
	if c := q.Get("campaign"); c != "" {
		if f.Campaign, err = strconv.ParseInt(c, 10, 64); err != nil {
			s.fail(w, r, model.Errorf(model.EINVALID, "campaign: %q is not an id", clipText(c)))
			return
		}
	}
	if st := q.Get("state"); st != "" {
		for _, x := range strings.Split(st, ",") {
			f.States = append(f.States, model.HazardState(x))
		}
	}
	items, next, err := s.Campaigns.Hazards(r.Context(), f, pg)
	visible := items[:0]
	for _, h := range items {
		if s.checkScope(p, h.Unit) == nil {
			visible = append(visible, h)
		}
	}
	s.answer(w, r, http.StatusOK, listing[model.Hazard]{Items: nonNilSlice(visible), Next: next}, err)
}

type hazardDetail struct {
	Hazard model.Hazard        `json:"hazard"`
	Events []model.HazardEvent `json:"events"`
}

func (s *Server) getHazard(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.idParam(w, r, "id")
	if !ok {
		return
	}
	h, err := s.hazardFor(r.Context(), p, id, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := s.Campaigns.HazardEvents(r.Context(), id)
	s.answer(w, r, http.StatusOK, hazardDetail{Hazard: h, Events: nonNilSlice(events)}, err)
}

// hazardFor loads a hazard the principal may see and, for rectification
// (ownDept), may act on: field workers rectify their own department's
// hazards; operators and admins any.
func (s *Server) hazardFor(ctx context.Context, p auth.Principal, id int64, ownDept bool) (model.Hazard, error) {
	h, err := s.Campaigns.Hazard(ctx, id)
	if err != nil {
		return h, err
	}
	if err := s.checkScope(p, h.Unit); err != nil {
		return h, err
	}
	if ownDept && p.User != nil && p.User.Role == model.RoleField && p.User.Dept != h.Dept {
		return h, model.Errorf(model.EFORBIDDEN, "hazard %d belongs to department %q, not to %s's", id, h.Dept, p.Name())
	}
	return h, nil
}

// hazardStep decodes the body into a T, checks the files it names and
// applies one step of the hazard's lifecycle; rectification steps are for
// the responsible department.
func hazardStep[T any](s *Server, rectify bool, files func(T) []string, do func(ctx context.Context, actor string, id int64, body T) (model.Hazard, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		id, ok := s.idParam(w, r, "id")
		if !ok {
			return
		}
		if _, err := s.hazardFor(r.Context(), p, id, rectify); err != nil {
			s.fail(w, r, err)
			return
		}
		var body T
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.checkFiles("evidence", files(body)); err != nil {
			s.fail(w, r, err)
			return
		}
		h, err := do(r.Context(), p.Name(), id, body)
		s.answer(w, r, http.StatusOK, h, err)
	}
}

func (s *Server) completeMilestone(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if err != nil || seq < 1 {
		s.fail(w, r, model.Errorf(model.EINVALID, "seq: %q is not a milestone number", clipText(r.PathValue("seq"))))
		return
	}
	hazardStep(s, true, func(e campaign.Evidence) []string { return e.Evidence },
		func(ctx context.Context, actor string, id int64, e campaign.Evidence) (model.Hazard, error) {
			return s.Campaigns.CompleteMilestone(ctx, actor, id, seq, e)
		})(w, r, p)
}

// campaignReport answers the figures as JSON, CSV or XLSX (by the path's
// suffix): ?by district|dept, ?from, ?to, ?major_open_days.
func (s *Server) campaignReport(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
		id, ok := s.idParam(w, r, "id")
		if !ok {
			return
		}
		q := campaign.ReportQuery{By: r.URL.Query().Get("by")}
		var err error
		if q.From, err = queryTime(r, "from", 0); err == nil {
			q.To, err = queryTime(r, "to", 0)
		}
		if err == nil {
			var days int64
			days, err = queryInt(r, "major_open_days", 0, 0, 3650)
			q.MajorOpenDays = int(days)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rep, err := s.Campaigns.Report(r.Context(), id, q)
		if err != nil || format == "json" {
			s.answer(w, r, http.StatusOK, rep, err)
			return
		}
		var buf bytes.Buffer
		write, ct := s.Campaigns.WriteReportCSV, "text/csv; charset=utf-8"
		if format == "xlsx" {
			write, ct = s.Campaigns.WriteReportXLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		if err := write(&buf, rep); err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", `attachment; filename="campaign-`+strconv.FormatInt(id, 10)+`-report.`+format+`"`)
		w.Write(buf.Bytes())
	}
}

func noFiles[T any](T) []string { return nil }

// These wrappers read the service when called: a method value of a nil
// service would panic as the route table is built.
func (s *Server) planHazard(ctx context.Context, actor string, id int64, p campaign.Plan) (model.Hazard, error) {
	return s.Campaigns.PlanRectification(ctx, actor, id, p)
}

func (s *Server) rectifyHazard(ctx context.Context, actor string, id int64, e campaign.Evidence) (model.Hazard, error) {
	return s.Campaigns.Rectify(ctx, actor, id, e)
}

func (s *Server) verifyHazard(ctx context.Context, actor string, id int64, v campaign.Verdict) (model.Hazard, error) {
	return s.Campaigns.Verify(ctx, actor, id, v)
}

func (s *Server) reopenHazard(ctx context.Context, actor string, id int64, r campaign.Reopening) (model.Hazard, error) {
	return s.Campaigns.Reopen(ctx, actor, id, r)
}

func (s *Server) idParam(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := pathInt(r, name)
	if err != nil {
		s.fail(w, r, err)
	}
	return id, err == nil
}
