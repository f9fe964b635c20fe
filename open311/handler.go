package open311

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"cityvitals/auth"
	"cityvitals/citizen"
	"cityvitals/model"
)

// DefaultMaxBody bounds a POST body: a 4,000-character description of
// Chinese text is about 36 KB form-encoded.
const DefaultMaxBody = 64 << 10

// Config is what New needs. Reports and Authenticate are required.
type Config struct {
	Reports *citizen.Service
	// Authenticate resolves an api_key (auth.Authenticator.Authenticate).
	Authenticate func(ctx context.Context, key string) (auth.Principal, error)
	// Jurisdiction, when set, is the one jurisdiction_id accepted; any
	// other is 404. When empty, jurisdiction_id is ignored (one city per
	// endpoint, as the spec allows).
	Jurisdiction string
	MaxBody      int64            // bytes of a POST body; 0 means DefaultMaxBody
	Now          func() time.Time // for the default 90-day window; nil means time.Now
	Log          *slog.Logger     // nil means slog.Default()
}

// Handler serves GeoReport v2 under the path it is mounted at, with the
// prefix stripped:
//
//	mux.Handle("/open311/v2/", http.StripPrefix("/open311/v2", h))
//
// It is safe for concurrent use.
type Handler struct {
	reports      *citizen.Service
	authenticate func(ctx context.Context, key string) (auth.Principal, error)
	jurisdiction string
	maxBody      int64
	now          func() time.Time
	log          *slog.Logger
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Reports == nil || cfg.Authenticate == nil {
		return nil, errors.New("open311: Reports and Authenticate are required")
	}
	h := &Handler{reports: cfg.Reports, authenticate: cfg.Authenticate, jurisdiction: cfg.Jurisdiction,
		maxBody: cfg.MaxBody, now: cfg.Now, log: cfg.Log}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h, nil
}

// format is the response format named by the path's extension.
type format string

const (
	formatJSON format = "json"
	formatXML  format = "xml"
)

// call is one request being served.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	format format
	lang   citizen.Lang
	who    auth.Principal
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dir, file := splitPath(r.URL.Path)
	name, f, ok := splitFormat(file)
	c := &call{w: w, r: r, format: f, lang: pickLanguage(r)}
	if !ok {
		h.fail(c, model.Errorf(model.ENOTFOUND, "%q: resources end in .json or .xml", clipText(r.URL.Path)))
		return
	}
	route, allowed := h.route(r.Method, dir, name)
	if route == nil {
		if allowed == "" {
			h.fail(c, model.Errorf(model.ENOTFOUND, "%q is not a GeoReport v2 resource", clipText(r.URL.Path)))
			return
		}
		w.Header().Set("Allow", allowed)
		h.failStatus(c, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed here; use %s", r.Method, allowed))
		return
	}
	if err := h.admit(c); err != nil {
		h.fail(c, err)
		return
	}
	if err := route(c, name); err != nil {
		h.fail(c, err)
	}
}

type routeFunc func(c *call, name string) error

// route picks the handler for a method and path; when only the method is
// wrong it returns the methods that would do.
func (h *Handler) route(method, dir, name string) (routeFunc, string) {
	var get, post routeFunc
	switch {
	case dir == "" && name == "services":
		get = h.services
	case dir == "services":
		get = h.definition
	case dir == "" && name == "requests":
		get, post = h.listRequests, h.createRequest
	case dir == "requests":
		get = h.request
	case dir == "tokens":
		get = h.token
	default:
		return nil, ""
	}
	switch {
	case method == http.MethodGet && get != nil:
		return get, ""
	case method == http.MethodPost && post != nil:
		return post, ""
	case post != nil:
		return nil, "GET, POST"
	}
	return nil, "GET"
}

// splitPath returns "services", "x.json" for "/services/x.json" and "",
// "services.json" for "/services.json".
func splitPath(p string) (dir, file string) {
	p = strings.TrimPrefix(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}

func splitFormat(file string) (string, format, bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return file, formatJSON, false
	}
	switch f := format(file[i+1:]); f {
	case formatJSON, formatXML:
		return file[:i], f, true
	}
	return file, formatJSON, false
}

// admit reads a POST body and authenticates the caller: every endpoint
// needs an api_key, and the one jurisdiction if one is configured.
func (h *Handler) admit(c *call) error {
	if c.r.Method == http.MethodPost {
		if err := h.readForm(c); err != nil {
			return err
		}
	}
	if j := c.r.FormValue("jurisdiction_id"); j != "" && h.jurisdiction != "" && j != h.jurisdiction {
		return model.Errorf(model.ENOTFOUND, "jurisdiction_id %q not found; this endpoint serves %s", clipText(j), h.jurisdiction)
	}
	key := c.r.FormValue("api_key")
	if key == "" {
		key, _ = strings.CutPrefix(c.r.Header.Get("Authorization"), "Bearer ")
	}
	if key == "" {
		return model.Errorf(model.EUNAUTHORIZED, "api_key is required")
	}
	p, err := h.authenticate(c.r.Context(), key)
	if err != nil {
		if model.ErrorCode(err) == model.EUNAUTHORIZED {
			return model.Errorf(model.EUNAUTHORIZED, "invalid api_key received")
		}
		return fmt.Errorf("authenticate: %w", err)
	}
	c.who = p
	return nil
}

func (h *Handler) readForm(c *call) error {
	ct := c.r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(strings.ToLower(mt)) != "application/x-www-form-urlencoded" {
		return model.Errorf(model.EINVALID, "POST requests must be sent as application/x-www-form-urlencoded, not %q", clipText(ct))
	}
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, h.maxBody)
	if err := c.r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return model.Errorf(model.ETOOLARGE, "request body larger than %d bytes", h.maxBody)
		}
		return model.Errorf(model.EINVALID, "the form cannot be read: %v", err)
	}
	return nil
}

// need refuses a principal without the permission.
func need(c *call, perm auth.Permission, what string) error {
	if !c.who.Can(perm) {
		return model.Errorf(model.EFORBIDDEN, "this api_key may not %s (needs %s)", what, perm)
	}
	return nil
}

// supported are the languages of the catalog, the first the default.
var supported = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English})

// pickLanguage picks the catalog language: the locale parameter, else
// Accept-Language, else Chinese.
func pickLanguage(r *http.Request) citizen.Lang {
	prefs := r.URL.Query().Get("locale")
	if prefs == "" {
		prefs = r.Header.Get("Accept-Language")
	}
	tags, _, err := language.ParseAcceptLanguage(prefs)
	if err != nil || len(tags) == 0 {
		return citizen.ZH
	}
	if _, i, _ := supported.Match(tags...); i == 1 {
		return citizen.EN
	}
	return citizen.ZH
}

// statusByCode is where domain error codes become HTTP statuses. The spec
// wants 403 for a missing or wrong api_key as well as for a missing
// permission, and 400 for everything else the client did wrong.
var statusByCode = map[string]int{
	model.EINVALID:      http.StatusBadRequest,
	model.ENOTFOUND:     http.StatusNotFound,
	model.ECONFLICT:     http.StatusConflict,
	model.EUNAUTHORIZED: http.StatusForbidden,
	model.EFORBIDDEN:    http.StatusForbidden,
	model.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	model.EOVERLOADED:   http.StatusServiceUnavailable,
	model.ETOOMANY:      http.StatusTooManyRequests,
	model.EINTERNAL:     http.StatusInternalServerError,
}

func (h *Handler) fail(c *call, err error) {
	code := model.ErrorCode(err)
	status, ok := statusByCode[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		h.log.Error("open311 request failed", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
	}
	h.failStatus(c, status, model.ErrorMessage(err))
}

func (h *Handler) failStatus(c *call, status int, description string) {
	docs := []errorDoc{{Code: status, Description: description}}
	h.write(c, status, docs, errorsXML{Errors: docs})
}

// write sends v as JSON or x as XML, per the call's format.
func (h *Handler) write(c *call, status int, v, x any) {
	var buf bytes.Buffer
	var err error
	if c.format == formatXML {
		c.w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		buf.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
		err = xml.NewEncoder(&buf).Encode(x)
	} else {
		c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
		err = json.NewEncoder(&buf).Encode(v)
	}
	if err != nil {
		h.log.Error("open311 encode response", "path", c.r.URL.Path, "err", err)
		c.w.WriteHeader(http.StatusInternalServerError)
		return
	}
	c.w.Header().Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(status)
	if _, err := c.w.Write(buf.Bytes()); err != nil {
		h.log.Debug("open311 write response", "err", err)
	}
}

// clipText shortens caller text for messages.
func clipText(s string) string {
	r := []rune(s)
	if len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}

func sortedCodes(m map[string][]string) []string {
	codes := make([]string, 0, len(m))
	for k := range m {
		codes = append(codes, k)
	}
	slices.Sort(codes)
	return codes
}
