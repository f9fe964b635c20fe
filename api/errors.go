package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"cityvitals/ingest"
	"cityvitals/model"
)

// statusByCode is the one place domain error codes become HTTP statuses.
var statusByCode = map[string]int{
	model.EINVALID:      http.StatusBadRequest,
	model.ENOTFOUND:     http.StatusNotFound,
	model.ECONFLICT:     http.StatusConflict,
	model.EUNAUTHORIZED: http.StatusUnauthorized,
	model.EFORBIDDEN:    http.StatusForbidden,
	model.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	model.EOVERLOADED:   http.StatusServiceUnavailable,
	model.ETOOMANY:      http.StatusTooManyRequests,
	model.EINTERNAL:     http.StatusInternalServerError,
}

// problem is an RFC 7807 problem-details body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := model.ErrorCode(err)
	status, ok := statusByCode[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == model.EINTERNAL {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if code == model.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cityvitals"`)
	}
	if code == model.EOVERLOADED || code == model.ETOOMANY {
		wait := time.Second
		if hint, ok := ingest.RetryAfter(err); ok && hint > 0 {
			wait = hint
		}
		var throttled *throttledError
		if errors.As(err, &throttled) {
			wait = throttled.wait
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{
		Type:   "about:blank",
		Title:  http.StatusText(status),
		Status: status,
		Detail: model.ErrorMessage(err),
		Code:   code,
	})
}

func writeJSON(w http.ResponseWriter, log *slog.Logger, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Debug("write response", "err", err)
	}
}
