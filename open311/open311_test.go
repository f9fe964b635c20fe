package open311_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"cityvitals/citizen"
	"cityvitals/model"
)

// XML shapes of the spec, by element name.
type xmlServices struct {
	XMLName  xml.Name `xml:"services"`
	Services []struct {
		ServiceCode string `xml:"service_code"`
		ServiceName string `xml:"service_name"`
		Metadata    bool   `xml:"metadata"`
		Type        string `xml:"type"`
		Group       string `xml:"group"`
	} `xml:"service"`
}

type xmlDefinition struct {
	XMLName     xml.Name `xml:"service_definition"`
	ServiceCode string   `xml:"service_code"`
	Attributes  []struct {
		Variable bool   `xml:"variable"`
		Code     string `xml:"code"`
		Datatype string `xml:"datatype"`
		Required bool   `xml:"required"`
		Order    int    `xml:"order"`
		Values   []struct {
			Key  string `xml:"key"`
			Name string `xml:"name"`
		} `xml:"values>value"`
	} `xml:"attributes>attribute"`
}

type xmlRequests struct {
	XMLName  xml.Name `xml:"service_requests"`
	Requests []struct {
		ServiceRequestID  string   `xml:"service_request_id"`
		Token             string   `xml:"token"`
		Status            string   `xml:"status"`
		StatusNotes       string   `xml:"status_notes"`
		ServiceCode       string   `xml:"service_code"`
		ServiceName       string   `xml:"service_name"`
		ServiceNotice     string   `xml:"service_notice"`
		Description       string   `xml:"description"`
		RequestedDatetime string   `xml:"requested_datetime"`
		Lat               *float64 `xml:"lat"`
		Long              *float64 `xml:"long"`
		Address           string   `xml:"address"`
	} `xml:"request"`
}

type xmlErrors struct {
	XMLName xml.Name `xml:"errors"`
	Errors  []struct {
		Code        int    `xml:"code"`
		Description string `xml:"description"`
	} `xml:"error"`
}

type jsonRequest struct {
	ServiceRequestID   string          `json:"service_request_id"`
	Status             string          `json:"status"`
	StatusNotes        *string         `json:"status_notes"`
	ServiceCode        string          `json:"service_code"`
	ServiceName        string          `json:"service_name"`
	Description        *string         `json:"description"`
	RequestedDatetime  string          `json:"requested_datetime"`
	ExpectedDatetime   *string         `json:"expected_datetime"`
	Lat                *float64        `json:"lat"`
	Long               *float64        `json:"long"`
	MediaURL           *string         `json:"media_url"`
	ExtendedAttributes json.RawMessage `json:"extended_attributes"`
}

type extended struct {
	Channel        string `json:"channel"`
	InternalStatus string `json:"internal_status"`
	IncidentID     string `json:"incident_id"`
	DuplicateOf    string `json:"duplicate_of"`
	Token          string `json:"token"`
	Attributes     []struct {
		Code   string   `json:"code"`
		Values []string `json:"values"`
	} `json:"attributes"`
	Reporter *struct {
		Masked bool   `json:"masked"`
		Name   string `json:"name"`
		Phone  string `json:"phone"`
		Email  string `json:"email"`
	} `json:"reporter"`
}

func decodeRequests(t *testing.T, r response) []jsonRequest {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var out []jsonRequest
	mustNil(t, json.Unmarshal(r.body, &out))
	return out
}

// manholeForm is a valid POST of a missing manhole cover, with the
// reporter's personal data.
func manholeForm() url.Values {
	return url.Values{
		"service_code":          {"manhole_cover"},
		"lat":                   {"31.2304"},
		"long":                  {"121.4737"},
		"address_string":        {"人民大道200号"},
		"description":           {"井盖缺失，<b>很危险</b> & 需尽快处理"},
		"media_url":             {"https://example.com/photos/1.jpg"},
		"attribute[condition]":  {"missing"},
		"attribute[cover_type]": {"0103"},
		"first_name":            {"三"},
		"last_name":             {"张"},
		"phone":                 {"13812345678"},
		"email":                 {"zhang@example.com"},
		"device_id":             {"tt222111"},
		"jurisdiction_id":       {"shanghai.gov.cn"},
	}
}

func TestServices(t *testing.T) {
	s, sch := newServer(t), loadSchemas(t)
	r := s.get(t, "/services.json", "citizen", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("GET services.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	sch.validate(t, "services.json", r.body)
	var services []struct {
		ServiceCode string `json:"service_code"`
		ServiceName string `json:"service_name"`
		Metadata    bool   `json:"metadata"`
	}
	mustNil(t, json.Unmarshal(r.body, &services))
	catalog, _ := citizen.DefaultCatalog()
	if len(services) != len(catalog.Services()) || services[0].ServiceName != "暴露垃圾" {
		t.Errorf("%d services, first %+v; want the catalog's %d in Chinese", len(services), services[0], len(catalog.Services()))
	}

	en := s.get(t, "/services.json", "citizen", url.Values{"locale": {"en"}})
	sch.validate(t, "services.json", en.body)
	if !strings.Contains(string(en.body), `"service_name":"Exposed garbage"`) {
		t.Errorf("locale=en does not answer in English: %.200s", en.body)
	}

	var x xmlServices
	decodeXML(t, s.get(t, "/services.xml", "citizen", nil), &x)
	if len(x.Services) != len(services) || x.Services[0].ServiceCode != "exposed_garbage" || x.Services[0].Type != "realtime" {
		t.Errorf("services.xml: %+v", x.Services[:1])
	}
	for _, svc := range x.Services {
		if svc.ServiceCode == "manhole_cover" && !svc.Metadata {
			t.Errorf("manhole_cover has attributes: metadata must be true")
		}
	}
}

func TestServiceDefinition(t *testing.T) {
	s, sch := newServer(t), loadSchemas(t)
	r := s.get(t, "/services/manhole_cover.json", "citizen", url.Values{"locale": {"en"}})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	sch.validate(t, "service-definition.json", r.body)
	if !strings.Contains(string(r.body), `"description":"Condition of the cover"`) {
		t.Errorf("definition not in English: %s", r.body)
	}
	// A service without attributes still has an attributes array.
	plain := s.get(t, "/services/dirty_road.json", "citizen", nil)
	sch.validate(t, "service-definition.json", plain.body)

	var x xmlDefinition
	decodeXML(t, s.get(t, "/services/manhole_cover.xml", "citizen", nil), &x)
	if x.ServiceCode != "manhole_cover" || len(x.Attributes) != 2 || x.Attributes[0].Code != "condition" ||
		!x.Attributes[0].Required || x.Attributes[0].Datatype != "singlevaluelist" || len(x.Attributes[0].Values) != 4 {
		t.Errorf("service_definition XML %+v", x)
	}

	wantJSONError(t, s.get(t, "/services/ufo.json", "citizen", nil), http.StatusNotFound, `service_code "ufo" not found`)
	var xe xmlErrors
	nf := s.get(t, "/services/ufo.xml", "citizen", nil)
	decodeXML(t, nf, &xe)
	if nf.status != http.StatusNotFound || len(xe.Errors) != 1 || xe.Errors[0].Code != 404 {
		t.Errorf("XML error %d %+v", nf.status, xe)
	}
}

func TestPostAndGetRequest(t *testing.T) {
	s, sch := newServer(t), loadSchemas(t)
	created := s.post(t, "/requests.json", "citizen", manholeForm())
	if created.status != http.StatusOK {
		t.Fatalf("POST: %d %s", created.status, created.body)
	}
	var ids []struct {
		ServiceRequestID string  `json:"service_request_id"`
		ServiceNotice    *string `json:"service_notice"`
		AccountID        *string `json:"account_id"`
		Token            *string `json:"token"`
	}
	mustNil(t, json.Unmarshal(created.body, &ids))
	if len(ids) != 1 || ids[0].ServiceRequestID == "" || ids[0].ServiceNotice == nil || ids[0].Token != nil || ids[0].AccountID != nil {
		t.Fatalf("POST answer %s: want one service_request_id with a notice, no token, no account", created.body)
	}
	id := ids[0].ServiceRequestID

	got := s.get(t, "/requests/"+id+".json", "citizen", nil)
	sch.validate(t, "requests.json", got.body)
	reqs := decodeRequests(t, got)
	r := reqs[0]
	if len(reqs) != 1 || r.ServiceRequestID != id || r.Status != "open" || r.ServiceCode != "manhole_cover" ||
		*r.Lat != 31.2304 || *r.Long != 121.4737 || *r.Description != "井盖缺失，<b>很危险</b> & 需尽快处理" ||
		r.RequestedDatetime != "2025-07-01T01:30:00Z" || *r.ExpectedDatetime != "2025-07-01T07:30:00Z" {
		t.Errorf("GET requests/%s: %+v", id, r)
	}
	if r.ExtendedAttributes != nil {
		t.Errorf("extended attributes without extensions=true: %s", r.ExtendedAttributes)
	}
	for _, pii := range []string{"13812345678", "zhang@example.com", "tt222111", "张"} {
		if strings.Contains(string(got.body), pii) {
			t.Errorf("GET leaks %q: %s", pii, got.body)
		}
	}

	var x xmlRequests
	gx := s.get(t, "/requests/"+id+".xml", "citizen", nil)
	decodeXML(t, gx, &x)
	if len(x.Requests) != 1 || x.Requests[0].ServiceRequestID != id || x.Requests[0].Description != "井盖缺失，<b>很危险</b> & 需尽快处理" ||
		x.Requests[0].Lat == nil || *x.Requests[0].Long != 121.4737 || x.Requests[0].ServiceName != "井盖破损缺失" {
		t.Errorf("requests XML %+v", x.Requests)
	}
	if strings.Contains(string(gx.body), "<b>") {
		t.Errorf("markup from a citizen must be escaped in XML: %s", gx.body)
	}

	postXML := s.post(t, "/requests.xml", "citizen", manholeForm())
	var px xmlRequests
	decodeXML(t, postXML, &px)
	if postXML.status != http.StatusOK || len(px.Requests) != 1 || px.Requests[0].ServiceRequestID == "" || px.Requests[0].Token != "" {
		t.Errorf("POST requests.xml: %d %s", postXML.status, postXML.body)
	}

	wantJSONError(t, s.get(t, "/requests/999999.json", "citizen", nil), http.StatusNotFound, "report 999999 not found")
	wantJSONError(t, s.get(t, "/requests/abc.json", "citizen", nil), http.StatusNotFound, `"abc" not found`)
}

func TestTokens(t *testing.T) {
	s := newServer(t)
	created := s.post(t, "/requests.json", "citizen", manholeForm())
	var ids []struct {
		ID string `json:"service_request_id"`
	}
	mustNil(t, json.Unmarshal(created.body, &ids))
	// The token is handed out in the extended attributes.
	ext := s.get(t, "/requests/"+ids[0].ID+".json", "citizen", url.Values{"extensions": {"true"}})
	var e extended
	mustNil(t, json.Unmarshal(decodeRequests(t, ext)[0].ExtendedAttributes, &e))
	if e.Token == "" {
		t.Fatalf("no token in %s", ext.body)
	}
	r := s.get(t, "/tokens/"+e.Token+".json", "citizen", nil)
	want := fmt.Sprintf(`[{"service_request_id":%q,"token":%q}]`, ids[0].ID, e.Token)
	if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != want {
		t.Errorf("GET tokens: %d %s, want %s", r.status, r.body, want)
	}
	var x xmlRequests
	decodeXML(t, s.get(t, "/tokens/"+e.Token+".xml", "citizen", nil), &x)
	if len(x.Requests) != 1 || x.Requests[0].Token != e.Token || x.Requests[0].ServiceRequestID != ids[0].ID {
		t.Errorf("tokens XML %+v", x)
	}
	wantJSONError(t, s.get(t, "/tokens/NOPE.json", "citizen", nil), http.StatusNotFound, `token "NOPE" not found`)
}

func TestPostRefusesBadInput(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name   string
		change func(url.Values)
		status int
		want   []string
	}{
		{"missing service_code", func(f url.Values) { f.Del("service_code") }, 400, []string{"service_code: required"}},
		{"unknown service_code", func(f url.Values) { f.Set("service_code", "ufo") }, 404, []string{`"ufo" is not a service`}},
		{"bad lat", func(f url.Values) { f.Set("lat", "north") }, 400, []string{`lat: "north" is not a number`}},
		{"lat out of range", func(f url.Values) { f.Set("lat", "95") }, 400, []string{"lat: 95 is not a WGS84 latitude"}},
		{"NaN long", func(f url.Values) { f.Set("long", "NaN") }, 400, []string{`long: "NaN" is not a number`}},
		{"lat without long", func(f url.Values) { f.Del("long") }, 400, []string{"lat and long go together"}},
		{"no location", func(f url.Values) { f.Del("lat"); f.Del("long"); f.Del("address_string") }, 400, []string{"location: required"}},
		{"unknown attribute value", func(f url.Values) { f.Set("attribute[condition]", "melted") }, 400,
			[]string{`attribute[condition]: "melted" is not one of missing, broken, displaced, rattling`}},
		{"missing required attribute", func(f url.Values) { f.Del("attribute[condition]") }, 400, []string{"attribute[condition]: required"}},
		{"unknown attribute", func(f url.Values) { f.Set("attribute[colour]", "red") }, 400, []string{"attribute[colour]: service manhole_cover has no such attribute"}},
		{"malformed attribute key", func(f url.Values) { f.Set("attribute[a][b]", "x") }, 400, []string{"attribute[code]=value"}},
		{"NUL in description", func(f url.Values) { f.Set("description", "井盖\x00缺失") }, 400, []string{"description: contains the control character U+0000"}},
		{"invalid UTF-8", func(f url.Values) { f.Set("address_string", "\xff\xfe") }, 400, []string{"address_string: is not valid UTF-8"}},
		{"description over 4000 characters", func(f url.Values) { f.Set("description", strings.Repeat("危", 4001)) }, 400, []string{"at most 4000"}},
		{"script media url", func(f url.Values) { f.Set("media_url", "javascript:alert(1)") }, 400, []string{"media_url"}},
		{"bad email", func(f url.Values) { f.Set("email", "not an email") }, 400, []string{"email:"}},
		{"other jurisdiction", func(f url.Values) { f.Set("jurisdiction_id", "sfgov.org") }, 404, []string{`jurisdiction_id "sfgov.org" not found`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := manholeForm()
			tc.change(form)
			wantJSONError(t, s.post(t, "/requests.json", "citizen", form), tc.status, tc.want...)
		})
	}

	t.Run("XML error document", func(t *testing.T) {
		form := manholeForm()
		form.Del("service_code")
		r := s.post(t, "/requests.xml", "citizen", form)
		var x xmlErrors
		decodeXML(t, r, &x)
		if r.status != 400 || len(x.Errors) != 1 || x.Errors[0].Code != 400 || !strings.Contains(x.Errors[0].Description, "service_code") {
			t.Errorf("%d %+v", r.status, x)
		}
	})
	t.Run("huge body", func(t *testing.T) {
		form := manholeForm()
		form.Set("description", strings.Repeat("x", 200<<10))
		wantJSONError(t, s.post(t, "/requests.json", "citizen", form), http.StatusRequestEntityTooLarge, "larger than 65536 bytes")
	})
	t.Run("JSON body", func(t *testing.T) {
		r := s.do(t, http.MethodPost, "/requests.json?api_key="+s.keys["citizen"], "application/json", strings.NewReader(`{"service_code":"noise"}`))
		wantJSONError(t, r, http.StatusBadRequest, "application/x-www-form-urlencoded")
	})

	// Nothing of the refused requests was stored.
	all := decodeRequests(t, s.get(t, "/requests.json", "operator", nil))
	if len(all) != 0 {
		t.Errorf("refused POSTs stored %d requests", len(all))
	}
}

func TestEveryEndpointNeedsAnAPIKey(t *testing.T) {
	s := newServer(t)
	paths := []string{"/services.json", "/services/noise.xml", "/requests.json", "/requests/1.json", "/tokens/X.json"}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			r := s.get(t, p, "", nil)
			if strings.HasSuffix(p, ".xml") {
				var x xmlErrors
				decodeXML(t, r, &x)
				if r.status != http.StatusForbidden || x.Errors[0].Description != "api_key is required" {
					t.Errorf("%d %+v", r.status, x)
				}
				return
			}
			wantJSONError(t, r, http.StatusForbidden, "api_key is required")
			wantJSONError(t, s.get(t, p, "", url.Values{"api_key": {"cv_api_forged"}}), http.StatusForbidden, "invalid api_key")
			wantJSONError(t, s.get(t, p, "device", nil), http.StatusForbidden, "report.read")
		})
	}
	wantJSONError(t, s.post(t, "/requests.json", "", manholeForm()), http.StatusForbidden, "api_key is required")
	wantJSONError(t, s.post(t, "/requests.json", "viewer", manholeForm()), http.StatusForbidden, "may not submit requests (needs report.submit)")
	// A bearer token works as well as api_key.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/services.json", nil)
	req.Header.Set("Authorization", "Bearer "+s.keys["viewer"])
	resp, err := http.DefaultClient.Do(req)
	mustNil(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("bearer token: %d", resp.StatusCode)
	}
}

func TestRoutingErrors(t *testing.T) {
	s := newServer(t)
	wantJSONError(t, s.get(t, "/services.csv", "citizen", nil), http.StatusNotFound, "resources end in .json or .xml")
	wantJSONError(t, s.get(t, "/widgets.json", "citizen", nil), http.StatusNotFound, "not a GeoReport v2 resource")
	r := s.do(t, http.MethodDelete, "/requests.json", "", nil)
	wantJSONError(t, r, http.StatusMethodNotAllowed, "DELETE is not allowed")
	if r.header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
	wantJSONError(t, s.post(t, "/services.json", "citizen", url.Values{}), http.StatusMethodNotAllowed, "use GET")
}

func TestGetRequestsFilters(t *testing.T) {
	s, sch := newServer(t), loadSchemas(t)
	ctx := t.Context()
	submit := func(code string, lat float64, at time.Time, attrs map[string][]string) model.Report {
		r, err := s.svc.Submit(ctx, citizen.Submission{ServiceCode: code, Lon: 121.47, Lat: lat, HasPoint: true,
			Attributes: attrs, RequestedAt: at})
		mustNil(t, err)
		return r
	}
	noise := map[string][]string{"noise_source": {"construction"}}
	a := submit("exposed_garbage", 31.20, t0.Add(-time.Hour), nil)
	b := submit("noise", 31.21, t0.Add(-2*time.Hour), noise)
	c := submit("noise", 31.22, t0.Add(-100*24*time.Hour), noise) // outside the default 90 days
	d := submit("exposed_garbage", 31.23, t0.Add(-3*time.Hour), nil)
	mustNil(t, s.svc.UpdateStatus(ctx, d.ID, model.ReportClosed, "已清运", t0))

	ids := func(q url.Values) string {
		t.Helper()
		r := s.get(t, "/requests.json", "viewer", q)
		sch.validate(t, "requests.json", r.body)
		var out []string
		for _, req := range decodeRequests(t, r) {
			out = append(out, req.ServiceRequestID)
		}
		return strings.Join(out, ",")
	}
	id := func(rs ...model.Report) string {
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprint(r.ID))
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name  string
		query url.Values
		want  string
	}{
		{"default: last 90 days, newest id first", nil, id(d, b, a)},
		{"service_code", url.Values{"service_code": {"noise"}}, id(b)},
		{"several service codes", url.Values{"service_code": {"noise,exposed_garbage"}}, id(d, b, a)},
		{"status open", url.Values{"status": {"open"}}, id(b, a)},
		{"status closed", url.Values{"status": {"closed"}}, id(d)},
		{"dates", url.Values{"start_date": {"2025-03-01T00:00:00Z"}, "end_date": {"2025-04-01T00:00:00Z"}}, id(c)},
		{"start only spans 90 days", url.Values{"start_date": {t0.Add(-90 * time.Minute).Format(time.RFC3339)}}, id(a)},
		{"ids override the rest", url.Values{"service_request_id": {id(c, a)}, "service_code": {"dirty_road"}}, id(c, a)},
		{"page size", url.Values{"page_size": {"2"}}, id(d, b)},
		{"second page", url.Values{"page_size": {"2"}, "page": {"2"}}, id(a)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(tc.query); got != tc.want {
				t.Errorf("ids %q, want %q", got, tc.want)
			}
		})
	}

	bad := []struct {
		query url.Values
		want  string
	}{
		{url.Values{"status": {"pending"}}, `status: "pending" is not open or closed`},
		{url.Values{"service_code": {"ufo"}}, `service_code: "ufo" is not a service`},
		{url.Values{"start_date": {"yesterday"}}, `start_date: "yesterday" is not a w3c date-time`},
		{url.Values{"start_date": {"2025-01-01T00:00:00Z"}, "end_date": {"2025-06-01T00:00:00Z"}}, "spans 151 days; at most 90"},
		{url.Values{"start_date": {"2025-06-01T00:00:00Z"}, "end_date": {"2025-01-01T00:00:00Z"}}, "start_date must be before end_date"},
		{url.Values{"page_size": {"5000"}}, "page_size"},
		{url.Values{"page": {"0"}}, "page:"},
		{url.Values{"service_request_id": {"1,x"}}, `service_request_id: "x" is not a request id`},
	}
	for _, tc := range bad {
		wantJSONError(t, s.get(t, "/requests.json", "viewer", tc.query), http.StatusBadRequest, tc.want)
	}

	var x xmlRequests
	decodeXML(t, s.get(t, "/requests.xml", "viewer", url.Values{"status": {"closed"}}), &x)
	if len(x.Requests) != 1 || x.Requests[0].Status != "closed" || x.Requests[0].StatusNotes != "已清运" {
		t.Errorf("closed requests XML %+v", x.Requests)
	}
}

func TestPersonalDataOnlyWithPersonalRead(t *testing.T) {
	s, sch := newServer(t), loadSchemas(t)
	created := s.post(t, "/requests.json", "citizen", manholeForm())
	var ids []struct {
		ID string `json:"service_request_id"`
	}
	mustNil(t, json.Unmarshal(created.body, &ids))
	one := "/requests/" + ids[0].ID + ".json"
	ext := url.Values{"extensions": {"true"}}

	reporterOf := func(r response) *extended {
		t.Helper()
		sch.validate(t, "requests.json", r.body)
		var e extended
		mustNil(t, json.Unmarshal(decodeRequests(t, r)[0].ExtendedAttributes, &e))
		return &e
	}
	for _, role := range []string{"citizen", "viewer"} {
		r := s.get(t, one, role, url.Values{"extensions": {"true"}})
		e := reporterOf(r)
		if e.Reporter != nil || strings.Contains(string(r.body), "5678") {
			t.Errorf("%s sees personal data: %s", role, r.body)
		}
		if e.InternalStatus != "received" || e.Channel != "open311" || e.IncidentID == "" || len(e.Attributes) != 2 {
			t.Errorf("%s extended attributes %+v", role, e)
		}
	}
	clear := reporterOf(s.get(t, one, "operator", ext))
	if clear.Reporter == nil || clear.Reporter.Masked || clear.Reporter.Phone != "13812345678" || clear.Reporter.Name != "张三" {
		t.Errorf("operator, one request: reporter %+v, want clear", clear.Reporter)
	}
	listed := reporterOf(s.get(t, "/requests.json", "operator", ext))
	if listed.Reporter == nil || !listed.Reporter.Masked || listed.Reporter.Phone != "138****5678" || listed.Reporter.Email != "z***@example.com" {
		t.Errorf("operator, listing: reporter %+v, want masked", listed.Reporter)
	}
	plain := s.get(t, one, "operator", nil)
	if strings.Contains(string(plain.body), "extended_attributes") {
		t.Errorf("without extensions=true nothing extended is returned: %s", plain.body)
	}
}

func TestDuplicateSubmissionsShareAnIncident(t *testing.T) {
	s := newServer(t)
	first := s.post(t, "/requests.json", "citizen", manholeForm())
	form := manholeForm()
	form.Set("lat", "31.2308") // about 45 m north
	second := s.post(t, "/requests.json", "citizen", form)
	var a, b []struct {
		ID string `json:"service_request_id"`
	}
	mustNil(t, json.Unmarshal(first.body, &a))
	mustNil(t, json.Unmarshal(second.body, &b))
	r := s.get(t, "/requests/"+b[0].ID+".json", "citizen", url.Values{"extensions": {"true"}})
	got := decodeRequests(t, r)[0]
	var e extended
	mustNil(t, json.Unmarshal(got.ExtendedAttributes, &e))
	if e.DuplicateOf != a[0].ID || got.StatusNotes == nil || !strings.Contains(*got.StatusNotes, "duplicate of request "+a[0].ID) {
		t.Errorf("second report %+v, extended %+v: want a duplicate of %s", got, e, a[0].ID)
	}
}
