package auth

import (
	"slices"

	"cityvitals/model"
)

// Principal is an authenticated caller: a user (through a session or API
// token) or a device. The zero Principal is anonymous and may do nothing.
// Construct one with Policy.UserPrincipal or Policy.DevicePrincipal.
// Principals are shared between requests through the Authenticator's
// cache: treat User as read-only.
type Principal struct {
	User      *model.User     // nil for devices
	Device    string          // device id; "" for users
	Kind      model.TokenKind // how the principal authenticated
	Provision bool            // a device that may create unknown datastreams

	perms permissionSet
}

// UserPrincipal returns the principal for u, authenticated by a token of
// kind (TokenSession or TokenAPI). The user's password hash is not kept.
func (pol *Policy) UserPrincipal(u model.User, kind model.TokenKind) Principal {
	u.PasswordHash = ""
	perms := pol.roles[u.Role]
	if u.Disabled {
		perms = nil
	}
	return Principal{User: &u, Kind: kind, perms: perms}
}

// DevicePrincipal returns the principal for a device token.
func (pol *Policy) DevicePrincipal(device string, provision bool) Principal {
	perms := pol.device
	if provision {
		perms = pol.provisioner
	}
	return Principal{Device: device, Kind: model.TokenDevice, Provision: provision, perms: perms}
}

// Can reports whether the principal holds permission p.
func (p Principal) Can(perm Permission) bool { return p.perms[perm] }

// Name identifies the principal in the audit log and in logs: the user
// name, or "device:<id>". It never contains a secret.
func (p Principal) Name() string {
	switch {
	case p.User != nil:
		return p.User.Name
	case p.Device != "":
		return "device:" + p.Device
	}
	return "anonymous"
}

// InScope reports whether p may see the unit whose path from the root is
// unitPath (e.g. ["310000", "310101", "310101002"], the unit itself last).
// A user with an empty Scope sees the whole city; a user with Scope
// "310101" sees 310101 and everything below it. Devices are not bound to an
// area (what they may write is decided per datastream); the anonymous
// principal sees nothing.
func InScope(p Principal, unitPath []string) bool {
	switch {
	case p.User != nil:
		return p.User.Scope == "" || slices.Contains(unitPath, p.User.Scope)
	case p.Device != "":
		return true
	}
	return false
}
