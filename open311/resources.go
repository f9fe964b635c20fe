package open311

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cityvitals/auth"
	"cityvitals/citizen"
	"cityvitals/model"
	"cityvitals/store"
)

// Limits of GET requests: the spec's default and largest window, and its
// "first 1000 requests".
const (
	defaultWindow = 90 * 24 * time.Hour
	maxPageSize   = 1000
	maxPage       = 10_000
	maxIDs        = 1000
)

// services answers GET services.
func (h *Handler) services(c *call, _ string) error {
	if err := need(c, auth.ReportRead, "list services"); err != nil {
		return err
	}
	docs := []serviceDoc{}
	for _, s := range h.reports.Catalog().Services() {
		docs = append(docs, serviceDocOf(s, c.lang))
	}
	h.write(c, http.StatusOK, docs, servicesXML{Services: docs})
	return nil
}

// definition answers GET services/{service_code}.
func (h *Handler) definition(c *call, code string) error {
	if err := need(c, auth.ReportRead, "read service definitions"); err != nil {
		return err
	}
	svc, ok := h.reports.Catalog().Service(code)
	if !ok {
		return model.Errorf(model.ENOTFOUND, "service_code %q not found; GET services lists them", clipText(code))
	}
	d := definitionDocOf(svc, c.lang)
	h.write(c, http.StatusOK, d, d)
	return nil
}

// createRequest answers POST requests. The service is realtime: the
// answer carries the service_request_id, never a token.
func (h *Handler) createRequest(c *call, _ string) error {
	if err := need(c, auth.ReportSubmit, "submit requests"); err != nil {
		return err
	}
	sub, err := submissionFrom(c.r.Form)
	if err != nil {
		return err
	}
	sub.Channel, sub.SubmittedBy = "open311", c.who.Name()
	r, err := h.reports.Submit(c.r.Context(), sub)
	if err != nil && r.ID == 0 {
		return err
	}
	if err != nil {
		// Stored, so the citizen's report is safe; the incident side will
		// be caught up by citizen.Service.LinkPending.
		h.log.Error("open311 report stored but not linked", "report", r.ID, "err", err)
	}
	svc, _ := h.reports.Catalog().Service(r.ServiceCode)
	docs := []createdDoc{{ServiceRequestID: idString(r.ID), ServiceNotice: optional(notice(r, svc, c.lang))}}
	h.write(c, http.StatusOK, docs, createdXML{Requests: docs})
	return nil
}

// submissionFrom reads the POST form. Personal fields go into the
// submission's Reporter, which the service stores apart.
func submissionFrom(form url.Values) (citizen.Submission, error) {
	var problems []string
	sub := citizen.Submission{
		ServiceCode: form.Get("service_code"), Description: form.Get("description"),
		Address: form.Get("address_string"), AddressID: form.Get("address_id"), Zipcode: form.Get("zipcode"),
		MediaURL: form.Get("media_url"),
		Reporter: model.Reporter{
			FirstName: form.Get("first_name"), LastName: form.Get("last_name"), Email: form.Get("email"),
			Phone: form.Get("phone"), DeviceID: form.Get("device_id"), AccountID: form.Get("account_id"),
		},
	}
	lat, long := form.Get("lat"), form.Get("long")
	switch {
	case lat == "" && long == "":
	case lat == "" || long == "":
		problems = append(problems, "lat and long go together: send both or neither")
	default:
		var ok bool
		sub.Lat, ok = coordinate(lat)
		if !ok {
			problems = append(problems, fmt.Sprintf("lat: %q is not a number", clipText(lat)))
		}
		var okLong bool
		sub.Lon, okLong = coordinate(long)
		if !okLong {
			problems = append(problems, fmt.Sprintf("long: %q is not a number", clipText(long)))
		}
		sub.HasPoint = ok && okLong
	}
	attrs, attrProblems := attributesFrom(form)
	sub.Attributes = attrs
	problems = append(problems, attrProblems...)
	if len(problems) > 0 {
		return sub, model.Errorf(model.EINVALID, "%s", strings.Join(problems, "; "))
	}
	return sub, nil
}

func coordinate(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// attributesFrom collects attribute[code]=v and attribute[code][]=v.
func attributesFrom(form url.Values) (map[string][]string, []string) {
	var problems []string
	answers := map[string][]string{}
	for key, values := range form {
		rest, ok := strings.CutPrefix(key, "attribute[")
		if !ok {
			continue
		}
		rest = strings.TrimSuffix(rest, "[]")
		code, ok := strings.CutSuffix(rest, "]")
		if !ok || code == "" || strings.ContainsAny(code, "[]") {
			problems = append(problems, fmt.Sprintf("%q: attributes are sent as attribute[code]=value", clipText(key)))
			continue
		}
		answers[code] = append(answers[code], values...)
	}
	return answers, problems
}

// listRequests answers GET requests.
func (h *Handler) listRequests(c *call, _ string) error {
	if err := need(c, auth.ReportRead, "read requests"); err != nil {
		return err
	}
	f, page, err := h.filter(c.r.URL.Query())
	if err != nil {
		return err
	}
	reports, _, err := h.reports.Query(c.r.Context(), f, page)
	if err != nil {
		return err
	}
	extended := c.r.URL.Query().Get("extensions") == "true"
	views := plainViews(reports)
	if extended && c.who.Can(auth.PersonalRead) {
		// Listings show personal data masked even to those who may see
		// it in clear: they ask for one request at a time.
		if views, err = h.reports.ViewMasked(c.r.Context(), c.who, reports); err != nil {
			return err
		}
	}
	h.writeRequests(c, views, extended)
	return nil
}

// request answers GET requests/{service_request_id}.
func (h *Handler) request(c *call, idText string) error {
	if err := need(c, auth.ReportRead, "read requests"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return model.Errorf(model.ENOTFOUND, "service_request_id %q not found", clipText(idText))
	}
	r, err := h.reports.Report(c.r.Context(), id)
	if err != nil {
		return err
	}
	extended := c.r.URL.Query().Get("extensions") == "true"
	views := plainViews([]model.Report{r})
	if extended && c.who.Can(auth.PersonalRead) {
		if views, err = h.reports.View(c.r.Context(), c.who, []model.Report{r}); err != nil {
			return err
		}
	}
	h.writeRequests(c, views, extended)
	return nil
}

// token answers GET tokens/{token}.
func (h *Handler) token(c *call, token string) error {
	if err := need(c, auth.ReportRead, "read requests"); err != nil {
		return err
	}
	r, err := h.reports.ReportByToken(c.r.Context(), token)
	if model.ErrorCode(err) == model.ENOTFOUND {
		return model.Errorf(model.ENOTFOUND, "token %q not found", clipText(token))
	}
	if err != nil {
		return err
	}
	docs := []tokenDoc{{ServiceRequestID: idString(r.ID), Token: r.Token}}
	h.write(c, http.StatusOK, docs, tokensXML{Requests: docs})
	return nil
}

func (h *Handler) writeRequests(c *call, views []citizen.ReportView, extended bool) {
	catalog := h.reports.Catalog()
	docs := make([]requestDoc, len(views))
	for i, v := range views {
		svc, _ := catalog.Service(v.ServiceCode)
		docs[i] = requestDocOf(v, svc, c.lang, extended)
	}
	h.write(c, http.StatusOK, docs, requestsXML{Requests: docs})
}

func plainViews(reports []model.Report) []citizen.ReportView {
	views := make([]citizen.ReportView, len(reports))
	for i, r := range reports {
		views[i].Report = r
	}
	return views
}

// filter reads the query of GET requests. service_request_id overrides
// every other filter, as the spec says.
func (h *Handler) filter(q url.Values) (store.ReportFilter, store.Page, error) {
	var f store.ReportFilter
	page := store.Page{Limit: maxPageSize}
	if ids := q.Get("service_request_id"); ids != "" {
		for _, s := range splitList(ids) {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return f, page, model.Errorf(model.EINVALID, "service_request_id: %q is not a request id", clipText(s))
			}
			f.IDs = append(f.IDs, id)
		}
		if len(f.IDs) > maxIDs {
			return f, page, model.Errorf(model.EINVALID, "service_request_id: %d ids, at most %d", len(f.IDs), maxIDs)
		}
		return f, page, nil
	}
	var problems []string
	problems = append(problems, h.serviceCodes(q, &f)...)
	problems = append(problems, statuses(q, &f)...)
	problems = append(problems, h.window(q, &f)...)
	problems = append(problems, paging(q, &f, &page)...)
	if len(problems) > 0 {
		return f, page, model.Errorf(model.EINVALID, "%s", strings.Join(problems, "; "))
	}
	return f, page, nil
}

func (h *Handler) serviceCodes(q url.Values, f *store.ReportFilter) []string {
	var problems []string
	for _, code := range splitList(q.Get("service_code")) {
		if _, ok := h.reports.Catalog().Service(code); !ok {
			problems = append(problems, fmt.Sprintf("service_code: %q is not a service", clipText(code)))
		}
		f.ServiceCodes = append(f.ServiceCodes, code)
	}
	return problems
}

func statuses(q url.Values, f *store.ReportFilter) []string {
	var problems []string
	for _, s := range splitList(q.Get("status")) {
		switch s {
		case "open":
			f.Statuses = append(f.Statuses, model.OpenReportStatuses()...)
		case "closed":
			f.Statuses = append(f.Statuses, model.ReportClosed, model.ReportRejected)
		default:
			problems = append(problems, fmt.Sprintf("status: %q is not open or closed", clipText(s)))
		}
	}
	return problems
}

// window reads start_date and end_date: by default the most recent 90
// days; never more than 90 days.
func (h *Handler) window(q url.Values, f *store.ReportFilter) []string {
	var problems []string
	parse := func(name string) time.Time {
		s := q.Get(name)
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %q is not a w3c date-time such as 2010-01-01T00:00:00Z", name, clipText(s)))
		}
		return t
	}
	start, end := parse("start_date"), parse("end_date")
	switch {
	case len(problems) > 0:
		return problems
	case start.IsZero() && end.IsZero():
		end = h.now()
		start = end.Add(-defaultWindow)
	case start.IsZero():
		start = end.Add(-defaultWindow)
	case end.IsZero():
		end = start.Add(defaultWindow)
	}
	if !start.Before(end) {
		return []string{"start_date must be before end_date"}
	}
	if end.Sub(start) > defaultWindow {
		return []string{fmt.Sprintf("start_date to end_date spans %.0f days; at most 90", end.Sub(start).Hours()/24)}
	}
	// end_date is inclusive in the spec; the store's bound is exclusive.
	f.From, f.To = start, end.Add(time.Millisecond)
	return nil
}

// paging reads the page and page_size extension.
func paging(q url.Values, f *store.ReportFilter, page *store.Page) []string {
	var problems []string
	number := func(name string, def, max int) int {
		s := q.Get(name)
		if s == "" {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			problems = append(problems, fmt.Sprintf("%s: %q is not a whole number from 1 to %d", name, clipText(s), max))
			return def
		}
		return n
	}
	page.Limit = number("page_size", maxPageSize, maxPageSize)
	f.Offset = (number("page", 1, maxPage) - 1) * page.Limit
	return problems
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
