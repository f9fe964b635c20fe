package api

import (
	"net/http"
	"strings"
	"time"

	"cityvitals/account"
	"cityvitals/audit"
	"cityvitals/auth"
	"cityvitals/model"
)

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// login exchanges a name and password for a session token. It is the one
// route that needs no token; a wrong name and a wrong password look alike.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	key := throttleKey(r, req.Name)
	if wait := s.logins.wait(key); wait > 0 {
		s.fail(w, r, &throttledError{wait: wait})
		return
	}
	secret, p, err := s.Auth.Login(r.Context(), req.Name, req.Password)
	action := "auth.login"
	switch {
	case err == nil:
		s.logins.succeeded(key)
	case model.ErrorCode(err) == model.EUNAUTHORIZED:
		s.logins.failed(key)
		action = "auth.login_failed"
	default:
		action = "auth.login_failed"
	}
	if model.ErrorCode(err) != model.EINTERNAL {
		if aerr := s.Auditor.Record(r.Context(), "anonymous", action, "user "+clipText(req.Name), nil); aerr != nil {
			s.fail(w, r, aerr)
			return
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, map[string]any{"token": secret, "user": p.User})
}

// logout ends the session (or revokes the API token) the caller used.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	secret, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := s.Auth.Logout(r.Context(), strings.TrimSpace(secret)); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Auditor.Record(r.Context(), p.Name(), "auth.logout", p.Name(), nil); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	writeJSON(w, s.log, http.StatusOK, map[string]any{"name": p.Name(), "user": p.User, "device": p.Device})
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	users, err := s.Users.ListUsers(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if users == nil {
		users = []model.User{}
	}
	writeJSON(w, s.log, http.StatusOK, listing[model.User]{Items: users})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req account.NewUser
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.Accounts.CreateUser(r.Context(), p.Name(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusCreated, u)
}

type tokenRequest struct {
	account.NewToken
	TTL string `json:"ttl,omitempty"`
}

// createToken issues a device or API token; the secret is in this answer
// only.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req tokenRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.TTL != "" {
		ttl, err := time.ParseDuration(req.TTL)
		if err != nil || ttl <= 0 {
			s.fail(w, r, model.Errorf(model.EINVALID, "ttl: %q is not a positive duration", clipText(req.TTL)))
			return
		}
		req.NewToken.TTL = ttl
	}
	secret, t, err := s.Accounts.IssueToken(r.Context(), p.Name(), req.NewToken)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusCreated, map[string]any{"token": secret, "info": t})
}

// listAudit pages through the audit log, oldest first.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	after, err := queryInt(r, "after", 0, 0, 1<<62)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var items []model.AuditRecord
	errStop := model.Errorf(model.ECONFLICT, "page full")
	err = s.Audit.EachAudit(r.Context(), func(rec model.AuditRecord) error {
		if rec.Seq <= after {
			return nil
		}
		if int64(len(items)) == limit {
			return errStop
		}
		items = append(items, rec)
		return nil
	})
	if err != nil && err != errStop {
		s.fail(w, r, err)
		return
	}
	if items == nil {
		items = []model.AuditRecord{}
	}
	writeJSON(w, s.log, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	report, err := audit.Verify(r.Context(), s.Audit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, report)
}
