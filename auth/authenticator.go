package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

// Defaults for NewAuthenticator.
const (
	DefaultSessionTTL = 12 * time.Hour
	// DefaultCacheTTL bounds how long a revoked token or disabled user keeps
	// working on this process when revoked elsewhere (through another
	// process or directly in the store); Revoke and ForgetUser act at once.
	DefaultCacheTTL  = 30 * time.Second
	DefaultCacheSize = 100_000
)

// errUnauthorized is the one answer to every failed authentication, so a
// caller learns nothing about which part was wrong.
func errUnauthorized() error {
	return model.Errorf(model.EUNAUTHORIZED, "invalid or expired credentials")
}

// Authenticator resolves bearer secrets and passwords to Principals. It
// keeps a small in-memory cache of token hash → principal, so that
// authenticating every ingest request does not query the store. It is safe
// for concurrent use.
type Authenticator struct {
	users      store.Users
	policy     *Policy
	now        func() time.Time
	sessionTTL time.Duration
	cacheTTL   time.Duration
	cacheSize  int
	// dummyHash is checked against when the user is unknown, so that a
	// login for a missing user costs as much as one with a wrong password.
	dummyHash func() string

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cachedPrincipal
}

type cachedPrincipal struct {
	principal  Principal
	tokenID    int64
	validUntil time.Time // the earlier of cache expiry and token expiry
}

// Option configures an Authenticator.
type Option func(*Authenticator)

// WithClock replaces the wall clock, for tests of expiry.
func WithClock(now func() time.Time) Option { return func(a *Authenticator) { a.now = now } }

// WithSessionTTL sets how long a Login session lasts.
func WithSessionTTL(d time.Duration) Option { return func(a *Authenticator) { a.sessionTTL = d } }

// WithCache sets how long a resolved token is trusted without asking the
// store, and how many tokens are remembered. ttl <= 0 disables the cache.
func WithCache(ttl time.Duration, size int) Option {
	return func(a *Authenticator) { a.cacheTTL, a.cacheSize = ttl, size }
}

// WithPolicy replaces the role table made by NewPolicy.
func WithPolicy(p *Policy) Option { return func(a *Authenticator) { a.policy = p } }

// NewAuthenticator returns an Authenticator over users.
func NewAuthenticator(users store.Users, opts ...Option) *Authenticator {
	a := &Authenticator{
		users:      users,
		policy:     NewPolicy(),
		now:        time.Now,
		sessionTTL: DefaultSessionTTL,
		cacheTTL:   DefaultCacheTTL,
		cacheSize:  DefaultCacheSize,
		cache:      map[[sha256.Size]byte]cachedPrincipal{},
	}
	for _, o := range opts {
		o(a)
	}
	a.dummyHash = sync.OnceValue(func() string {
		h, err := HashPassword("dummy password for unknown users")
		if err != nil {
			panic(err) // the literal above is a valid password
		}
		return h
	})
	return a
}

// Policy returns the role table principals are checked against.
func (a *Authenticator) Policy() *Policy { return a.policy }

// Authenticate returns the principal a bearer secret stands for.
// EUNAUTHORIZED, with the same message, for an empty, unknown, revoked or
// expired secret and for a disabled or deleted user; other errors are
// internal.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if secret == "" {
		return Principal{}, errUnauthorized()
	}
	key := sha256.Sum256([]byte(secret))
	now := a.now()
	if p, ok := a.cached(key, now); ok {
		return p, nil
	}
	tok, p, err := a.resolve(ctx, key[:], now)
	if err != nil {
		return Principal{}, err
	}
	a.remember(key, tok, p, now)
	return p, nil
}

// resolve looks the token up in the store and builds its principal.
func (a *Authenticator) resolve(ctx context.Context, hash []byte, now time.Time) (model.Token, Principal, error) {
	tok, err := a.users.TokenByHash(ctx, hash)
	switch {
	case model.ErrorCode(err) == model.ENOTFOUND:
		return tok, Principal{}, errUnauthorized()
	case err != nil:
		return tok, Principal{}, fmt.Errorf("authenticate: look up token: %w", err)
	case !tok.Expires.IsZero() && !now.Before(tok.Expires):
		return tok, Principal{}, errUnauthorized()
	case tok.Kind == model.TokenDevice:
		return tok, a.policy.DevicePrincipal(tok.Device, tok.Provision), nil
	}
	u, err := a.users.UserByID(ctx, tok.UserID)
	switch {
	case model.ErrorCode(err) == model.ENOTFOUND:
		return tok, Principal{}, errUnauthorized()
	case err != nil:
		return tok, Principal{}, fmt.Errorf("authenticate token %d: look up user %d: %w", tok.ID, tok.UserID, err)
	case u.Disabled:
		return tok, Principal{}, errUnauthorized()
	}
	return tok, a.policy.UserPrincipal(u, tok.Kind), nil
}

// Login checks name and password and opens a session: it returns the
// session secret (shown to the user once) and the user's principal.
// EUNAUTHORIZED, with the same message, for an unknown user, a wrong
// password or a disabled user; unknown users cost as much time as known
// ones, so response times do not reveal which names exist.
func (a *Authenticator) Login(ctx context.Context, name, password string) (string, Principal, error) {
	u, err := a.users.UserByName(ctx, name)
	switch {
	case model.ErrorCode(err) == model.ENOTFOUND || (err == nil && u.PasswordHash == ""):
		CheckPassword(a.dummyHash(), password) // equalise timing; the answer is no anyway
		return "", Principal{}, errUnauthorized()
	case err != nil:
		return "", Principal{}, fmt.Errorf("login %q: %w", name, err)
	}
	ok, err := CheckPassword(u.PasswordHash, password)
	switch {
	case err != nil:
		return "", Principal{}, fmt.Errorf("login %q: %w", name, err)
	case !ok || u.Disabled:
		return "", Principal{}, errUnauthorized()
	}
	now := a.now()
	secret, hash := NewToken(PrefixSession)
	_, err = a.users.CreateToken(ctx, model.Token{
		Kind: model.TokenSession, Hash: hash, UserID: u.ID, Name: "session",
		Expires: now.Add(a.sessionTTL), Created: now,
	})
	if err != nil {
		return "", Principal{}, fmt.Errorf("login %q: create session: %w", name, err)
	}
	return secret, a.policy.UserPrincipal(u, model.TokenSession), nil
}

// Revoke deletes the token with the id and forgets it at once.
// ENOTFOUND if there is no such token.
func (a *Authenticator) Revoke(ctx context.Context, tokenID int64) error {
	if err := a.users.DeleteToken(ctx, tokenID); err != nil {
		return fmt.Errorf("revoke token %d: %w", tokenID, err)
	}
	a.forget(func(c cachedPrincipal) bool { return c.tokenID == tokenID })
	return nil
}

// Logout ends the session (or revokes the token) a secret stands for.
// EUNAUTHORIZED if the secret is unknown.
func (a *Authenticator) Logout(ctx context.Context, secret string) error {
	tok, err := a.users.TokenByHash(ctx, HashToken(secret))
	switch {
	case model.ErrorCode(err) == model.ENOTFOUND:
		return errUnauthorized()
	case err != nil:
		return fmt.Errorf("logout: look up token: %w", err)
	}
	return a.Revoke(ctx, tok.ID)
}

// ForgetUser drops every cached token of a user, so that disabling the
// user or changing their role or scope takes effect at once.
func (a *Authenticator) ForgetUser(userID int64) {
	a.forget(func(c cachedPrincipal) bool { return c.principal.User != nil && c.principal.User.ID == userID })
}

func (a *Authenticator) cached(key [sha256.Size]byte, now time.Time) (Principal, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.cache[key]
	if !ok {
		return Principal{}, false
	}
	if !now.Before(c.validUntil) {
		delete(a.cache, key)
		return Principal{}, false
	}
	return c.principal, true
}

func (a *Authenticator) remember(key [sha256.Size]byte, tok model.Token, p Principal, now time.Time) {
	if a.cacheTTL <= 0 || a.cacheSize <= 0 {
		return
	}
	until := now.Add(a.cacheTTL)
	if !tok.Expires.IsZero() && tok.Expires.Before(until) {
		until = tok.Expires
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= a.cacheSize {
		a.evictLocked(now)
	}
	a.cache[key] = cachedPrincipal{principal: p, tokenID: tok.ID, validUntil: until}
}

// evictLocked makes room in a full cache: expired entries go first, then
// arbitrary ones (map order) until a tenth of the cache is free. A miss only
// costs one store lookup, so precision does not matter here.
func (a *Authenticator) evictLocked(now time.Time) {
	for k, c := range a.cache {
		if !now.Before(c.validUntil) {
			delete(a.cache, k)
		}
	}
	for k := range a.cache {
		if len(a.cache) < a.cacheSize-a.cacheSize/10 {
			return
		}
		delete(a.cache, k)
	}
}

func (a *Authenticator) forget(match func(cachedPrincipal) bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, c := range a.cache {
		if match(c) {
			delete(a.cache, k)
		}
	}
}
