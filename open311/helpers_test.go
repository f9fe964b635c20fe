package open311_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"cityvitals/auth"
	"cityvitals/citizen"
	"cityvitals/model"
	"cityvitals/open311"
	sqlitestore "cityvitals/store/sqlite"
)

// schemaDir holds the GeoReport v2 JSON schemas
// (/work/main/open311 → /work/shared/data).
const schemaDir = "../../shared/data/standards/open311_georeport_v2/schema"

// t0 is the service's clock; the handler's is an hour later.
var t0 = time.Date(2025, 7, 1, 1, 30, 0, 0, time.UTC)

// incidents is a small real incident side that hands out ids.
type incidents struct {
	mu   sync.Mutex
	next int64
}

func (i *incidents) OpenFromReport(context.Context, model.Report) (int64, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.next++
	return i.next, nil
}

func (i *incidents) AttachReport(context.Context, int64, model.Report) error { return nil }

// server is the handler over a real store and real authentication, with
// an api key per role.
type server struct {
	url  string
	svc  *citizen.Service
	keys map[string]string // role or "device" → api key
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := t.Context()
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "cityvitals.db"))
	mustNil(t, err)
	t.Cleanup(func() { db.Close() })
	catalog, err := citizen.DefaultCatalog()
	mustNil(t, err)
	svc, err := citizen.NewService(citizen.Config{Reports: db, Catalog: catalog, Incidents: &incidents{},
		Now: func() time.Time { return t0 }})
	mustNil(t, err)

	s := &server{svc: svc, keys: map[string]string{}}
	for _, role := range []model.Role{model.RoleCitizen, model.RoleViewer, model.RoleOperator} {
		u, err := db.CreateUser(ctx, model.User{Name: string(role) + "-1", Role: role, Created: t0})
		mustNil(t, err)
		secret, hash := auth.NewToken(auth.PrefixFor(model.TokenAPI))
		_, err = db.CreateToken(ctx, model.Token{Kind: model.TokenAPI, Hash: hash, UserID: u.ID, Created: t0})
		mustNil(t, err)
		s.keys[string(role)] = secret
	}
	secret, hash := auth.NewToken(auth.PrefixFor(model.TokenDevice))
	_, err = db.CreateToken(ctx, model.Token{Kind: model.TokenDevice, Hash: hash, Device: "gw-1", Created: t0})
	mustNil(t, err)
	s.keys["device"] = secret

	h, err := open311.New(open311.Config{
		Reports: svc, Authenticate: auth.NewAuthenticator(db).Authenticate, Jurisdiction: "shanghai.gov.cn",
		Now: func() time.Time { return t0.Add(time.Hour) },
	})
	mustNil(t, err)
	mux := http.NewServeMux()
	mux.Handle("/open311/v2/", http.StripPrefix("/open311/v2", h))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s.url = ts.URL + "/open311/v2"
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// get sends GET path?query with the role's api key ("" for none).
func (s *server) get(t *testing.T, path, role string, query url.Values) response {
	t.Helper()
	if query == nil {
		query = url.Values{}
	}
	if key, ok := s.keys[role]; ok {
		query.Set("api_key", key)
	}
	return s.do(t, http.MethodGet, path+"?"+query.Encode(), "", nil)
}

// post sends a form to path with the role's api key in the form.
func (s *server) post(t *testing.T, path, role string, form url.Values) response {
	t.Helper()
	if key, ok := s.keys[role]; ok {
		form.Set("api_key", key)
	}
	return s.do(t, http.MethodPost, path, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
}

func (s *server) do(t *testing.T, method, path, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, body)
	mustNil(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	mustNil(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	mustNil(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// schemas compiles the spec's JSON schemas once per test.
type schemas struct {
	compiled map[string]*jsonschema.Schema
}

func loadSchemas(t *testing.T) *schemas {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4) // the spec's schemas name no draft; they are written for draft 4
	c.AssertFormat()                  // date-time and uri are checked, not just annotations
	names := []string{"service.json", "services.json", "service-definition.json", "request.json", "requests.json"}
	for _, name := range names {
		f, err := os.Open(filepath.Join(schemaDir, name))
		if err != nil {
			t.Skipf("GeoReport v2 schemas not available: %v", err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		mustNil(t, err)
		mustNil(t, c.AddResource("file:///georeport/"+name, doc))
	}
	s := &schemas{compiled: map[string]*jsonschema.Schema{}}
	for _, name := range names {
		sch, err := c.Compile("file:///georeport/" + name)
		mustNil(t, err)
		s.compiled[name] = sch
	}
	return s
}

// validate checks a JSON body against one of the spec's schemas.
func (s *schemas) validate(t *testing.T, schema string, body []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	if err := s.compiled[schema].Validate(inst); err != nil {
		t.Fatalf("body does not follow %s: %v\n%s", schema, err, body)
	}
}

// wantJSONError checks a GeoReport error response: the status, the body
// an array of {code, description} with the status as code, and the
// description mentioning every fragment.
func wantJSONError(t *testing.T, r response, status int, fragments ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var errs []struct {
		Code        *int    `json:"code"`
		Description *string `json:"description"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&errs); err != nil || len(errs) != 1 || errs[0].Code == nil || errs[0].Description == nil {
		t.Fatalf("not a GeoReport error array (%v): %s", err, r.body)
	}
	if *errs[0].Code != status {
		t.Errorf("error code %d, want %d", *errs[0].Code, status)
	}
	for _, f := range fragments {
		if !strings.Contains(*errs[0].Description, f) {
			t.Errorf("error %q does not mention %q", *errs[0].Description, f)
		}
	}
}

// decodeXML checks the XML declaration and content type, and decodes the
// body strictly into v, whose XMLName fixes the root element.
func decodeXML(t *testing.T, r response, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "text/xml; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/xml; charset=utf-8", ct)
	}
	if !bytes.HasPrefix(r.body, []byte(`<?xml version="1.0" encoding="utf-8"?>`)) {
		t.Errorf("XML without its declaration: %.80s", r.body)
	}
	dec := xml.NewDecoder(bytes.NewReader(r.body))
	dec.Strict = true
	if err := dec.Decode(v); err != nil {
		t.Fatalf("XML does not decode: %v\n%s", err, r.body)
	}
}

func mustNil(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
