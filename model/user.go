package model

import "time"

// Role is what a user may do. Permissions per role live in package auth.
type Role string

const (
	RoleAdmin      Role = "admin"
	RoleOperator   Role = "operator"
	RoleDispatcher Role = "dispatcher"
	RoleField      Role = "field"
	RoleViewer     Role = "viewer"
	RoleSupervisor Role = "supervisor" // 督办: approves returns, extensions, suspensions, cancellations
	RoleInspector  Role = "inspector"  // 核查: inspects, verifies disposals, registers hazards
	RoleCitizen    Role = "citizen"    // a public reporting channel (12345 app, Open311 client)
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleOperator, RoleDispatcher, RoleField, RoleViewer, RoleSupervisor, RoleInspector, RoleCitizen}

// User is a person who signs in. PasswordHash is a PHC-format argon2id
// string and never leaves the server.
type User struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	Dept         string    `json:"dept,omitempty"`
	Scope        string    `json:"scope,omitempty"` // unit code the user may see; "" = whole city
	PasswordHash string    `json:"-"`
	Created      time.Time `json:"created"`
	Disabled     bool      `json:"disabled,omitempty"`
}

// TokenKind tells what a bearer token stands for.
type TokenKind string

const (
	TokenSession TokenKind = "session" // a signed-in user
	TokenAPI     TokenKind = "api"     // a user's long-lived API token
	TokenDevice  TokenKind = "device"  // a device or gateway that ingests
)

// Token is a bearer credential. Only the SHA-256 of the secret is stored.
type Token struct {
	ID        int64     `json:"id"`
	Kind      TokenKind `json:"kind"`
	Hash      []byte    `json:"-"`
	UserID    int64     `json:"user_id,omitempty"` // session/api tokens
	Device    string    `json:"device,omitempty"`  // device tokens
	Provision bool      `json:"provision"`         // device may auto-create unknown streams
	Name      string    `json:"name,omitempty"`
	Expires   time.Time `json:"expires,omitempty"`
	Created   time.Time `json:"created"`
}

// AuditRecord is one entry of the tamper-evident audit log. Hash is
// SHA-256 over the previous record's hash and this record's fields.
type AuditRecord struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Target   string    `json:"target"`
	Detail   string    `json:"detail,omitempty"` // JSON, secrets removed
	PrevHash []byte    `json:"prev_hash"`
	Hash     []byte    `json:"hash"`
}
