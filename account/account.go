// Package account owns who may sign in and what may send data: creating
// users with argon2id-hashed passwords and issuing device and API tokens,
// each change audited. Authentication of a presented secret is package
// auth's; this package only creates the credentials.
package account

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/store"
)

// Auditor appends to the audit log.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// Service is safe for concurrent use.
type Service struct {
	users store.Users
	audit Auditor
	now   func() time.Time
}

// New returns a Service writing through users and auditing to audit.
func New(users store.Users, audit Auditor) *Service {
	return &Service{users: users, audit: audit, now: time.Now}
}

// NewUser is what it takes to create a user.
type NewUser struct {
	Name     string     `json:"name"`
	Password string     `json:"password"`
	Role     model.Role `json:"role"`
	Dept     string     `json:"dept,omitempty"`
	Scope    string     `json:"scope,omitempty"`
}

// CreateUser validates and stores a user. EINVALID names the bad field;
// ECONFLICT if the name is taken.
func (s *Service) CreateUser(ctx context.Context, actor string, nu NewUser) (model.User, error) {
	if err := checkName(nu.Name); err != nil {
		return model.User{}, err
	}
	if !validRole(nu.Role) {
		return model.User{}, model.Errorf(model.EINVALID, "role: %q is not one of %v", clip(string(nu.Role)), model.Roles)
	}
	hash, err := auth.HashPassword(nu.Password)
	if err != nil {
		return model.User{}, err
	}
	u, err := s.users.CreateUser(ctx, model.User{
		Name: nu.Name, Role: nu.Role, Dept: nu.Dept, Scope: nu.Scope,
		PasswordHash: hash, Created: s.now().UTC(),
	})
	if err != nil {
		return model.User{}, err
	}
	return u, s.record(ctx, actor, "user.create", "user "+u.Name, map[string]any{"role": u.Role, "dept": u.Dept, "scope": u.Scope})
}

// NewToken is what it takes to issue a token.
type NewToken struct {
	Kind      model.TokenKind `json:"kind"`
	Device    string          `json:"device,omitempty"`
	UserID    int64           `json:"user_id,omitempty"`
	Provision bool            `json:"provision,omitempty"`
	Name      string          `json:"name,omitempty"`
	TTL       time.Duration   `json:"-"`
}

// IssueToken creates a device or API token and returns its secret, which
// is shown once and never stored (only its SHA-256 is).
func (s *Service) IssueToken(ctx context.Context, actor string, nt NewToken) (string, model.Token, error) {
	prefix := map[model.TokenKind]string{model.TokenDevice: "cvd", model.TokenAPI: "cvu"}[nt.Kind]
	switch {
	case prefix == "":
		return "", model.Token{}, model.Errorf(model.EINVALID, "kind: must be %q or %q", model.TokenDevice, model.TokenAPI)
	case nt.Kind == model.TokenDevice && checkName(nt.Device) != nil:
		return "", model.Token{}, model.Errorf(model.EINVALID, "device: %v", model.ErrorMessage(checkName(nt.Device)))
	case nt.Kind == model.TokenAPI && nt.UserID <= 0:
		return "", model.Token{}, model.Errorf(model.EINVALID, "user_id: an API token belongs to a user")
	}
	secret, hash := auth.NewToken(prefix)
	t := model.Token{
		Kind: nt.Kind, Hash: hash, UserID: nt.UserID, Device: nt.Device,
		Provision: nt.Provision, Name: nt.Name, Created: s.now().UTC(),
	}
	if nt.TTL > 0 {
		t.Expires = t.Created.Add(nt.TTL)
	}
	t, err := s.users.CreateToken(ctx, t)
	if err != nil {
		return "", model.Token{}, err
	}
	target := fmt.Sprintf("token %d", t.ID)
	detail := map[string]any{"kind": t.Kind, "device": t.Device, "user_id": t.UserID, "provision": t.Provision}
	return secret, t, s.record(ctx, actor, "token.create", target, detail)
}

func (s *Service) record(ctx context.Context, actor, action, target string, detail any) error {
	if err := s.audit.Record(ctx, actor, action, target, detail); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

func validRole(r model.Role) bool {
	for _, x := range model.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// checkName accepts short printable names without spaces at the ends.
func checkName(name string) error {
	switch {
	case name == "":
		return model.Errorf(model.EINVALID, "name: missing")
	case len(name) > 64:
		return model.Errorf(model.EINVALID, "name: longer than 64 bytes")
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x21 || r == 0x7f }):
		return model.Errorf(model.EINVALID, "name: only printable characters without spaces")
	}
	return nil
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
