package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/store"
)

// readBody reads a whole body, turning an over-limit body into ETOOLARGE.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || int64(len(body)) > limit {
		return nil, model.Errorf(model.ETOOLARGE, "request body larger than %d bytes", limit)
	}
	if err != nil {
		return nil, model.Errorf(model.EINVALID, "read request body: %v", err)
	}
	return body, nil
}

// decodeJSON decodes a JSON body into v, refusing unknown fields so that
// typos are errors rather than silently ignored settings.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return model.Errorf(model.EINVALID, "request body: more than one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return model.Errorf(model.ETOOLARGE, "request body larger than %d bytes", tooBig.Limit)
	case errors.As(err, &syntax):
		return model.Errorf(model.EINVALID, "request body: malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return model.Errorf(model.EINVALID, "request body: field %q must be %s, got %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return model.Errorf(model.EINVALID, "request body: empty")
	default:
		return model.Errorf(model.EINVALID, "request body: %v", err)
	}
}

func pathInt(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, model.Errorf(model.EINVALID, "%s: %q is not a positive integer", name, clipText(r.PathValue(name)))
	}
	return v, nil
}

// queryTime parses an RFC 3339 time or Unix milliseconds; def if absent.
func queryTime(r *http.Request, name string, def int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, model.Errorf(model.EINVALID, "%s: %q is neither RFC 3339 nor Unix milliseconds", name, clipText(s))
	}
	return t.UnixMilli(), nil
}

func queryInt(r *http.Request, name string, def, min, max int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < min || v > max {
		return 0, model.Errorf(model.EINVALID, "%s: %q is not an integer in [%d, %d]", name, clipText(s), min, max)
	}
	return v, nil
}

func page(r *http.Request) (store.Page, error) {
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		return store.Page{}, err
	}
	return store.Page{After: r.URL.Query().Get("after"), Limit: int(limit)}, nil
}

// listing is the envelope of every paginated answer.
type listing[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// checkScope refuses a unit outside the principal's spatial scope.
func (s *Server) checkScope(p auth.Principal, unit string) error {
	if unit == "" || auth.InScope(p, s.Inventory.Ancestors(unit)) {
		return nil
	}
	return model.Errorf(model.EFORBIDDEN, "unit %q is outside %s's area", unit, p.Name())
}

func clipText(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%.64s…", s)
	}
	return s
}

// scopeOf is the unit a user is limited to; "" for the whole city.
func scopeOf(p auth.Principal) string {
	if p.User != nil {
		return p.User.Scope
	}
	return ""
}

// requireCityWide refuses bulk changes of the tree or the inventory to
// users limited to part of the city: such imports touch every unit.
func requireCityWide(p auth.Principal) error {
	if scope := scopeOf(p); scope != "" {
		return model.Errorf(model.EFORBIDDEN, "%s is limited to unit %q; bulk imports need a city-wide user", p.Name(), scope)
	}
	return nil
}

// checkListingScope lets a user limited to part of the city list only a
// unit inside it, and only by naming it (a listing of the whole city
// would cross the boundary).
func (s *Server) checkListingScope(p auth.Principal, unit string) error {
	if unit == "" && scopeOf(p) != "" {
		return model.Errorf(model.EFORBIDDEN, "unit: a user limited to %q must name a unit in that area", scopeOf(p))
	}
	return s.checkScope(p, unit)
}
