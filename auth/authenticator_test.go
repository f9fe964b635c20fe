package auth

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
	sqlitestore "cityvitals/store/sqlite"
)

// clock is a settable time source for expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	db    *sqlitestore.DB
	auth  *Authenticator
	clock *clock
	user  model.User // role field, scope 310101, password "correct horse battery"
}

func newFixture(t *testing.T, opts ...Option) fixture {
	t.Helper()
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hash, err := HashPassword("correct horse battery", cheap())
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(t.Context(), model.User{
		Name: "zhang.wei", Role: model.RoleField, Scope: "310101", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Date(2025, 7, 14, 8, 0, 0, 0, time.UTC)}
	opts = append([]Option{WithClock(c.Now), WithCache(time.Minute, 100)}, opts...)
	return fixture{db: db, auth: NewAuthenticator(db, opts...), clock: c, user: u}
}

func mustUnauthorized(t *testing.T, err error) {
	t.Helper()
	if model.ErrorCode(err) != model.EUNAUTHORIZED {
		t.Fatalf("error %v, want %s", err, model.EUNAUTHORIZED)
	}
	if want := errUnauthorized().Error(); err.Error() != want {
		t.Fatalf("error %q is not the generic %q", err, want)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	disabled, err := f.db.CreateUser(ctx, model.User{Name: "li.na", Role: model.RoleAdmin, Disabled: true,
		PasswordHash: f.user.PasswordHash})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, password string
		ok                   bool
	}{
		{"right password", "zhang.wei", "correct horse battery", true},
		{"wrong password", "zhang.wei", "wrong horse battery", false},
		{"unknown user", "wang.fang", "correct horse battery", false},
		{"disabled user", disabled.Name, "correct horse battery", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret, p, err := f.auth.Login(ctx, tc.user, tc.password)
			if !tc.ok {
				mustUnauthorized(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name() != tc.user || p.Kind != model.TokenSession || !p.Can(AssetWrite) {
				t.Fatalf("principal %+v", p)
			}
			again, err := f.auth.Authenticate(ctx, secret)
			if err != nil {
				t.Fatal(err)
			}
			if again.User.ID != f.user.ID || !InScope(again, []string{"310000", "310101"}) {
				t.Fatalf("authenticated principal %+v", again)
			}
		})
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t, WithSessionTTL(time.Hour))
	ctx := t.Context()
	secret, _, err := f.auth.Login(ctx, f.user.Name, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(59 * time.Minute)
	if _, err := f.auth.Authenticate(ctx, secret); err != nil {
		t.Fatalf("session before expiry: %v", err)
	}
	// 59 min + 2 min: past the session's end, though the principal was
	// cached a moment ago with a one-minute TTL.
	f.clock.Advance(2 * time.Minute)
	_, err = f.auth.Authenticate(ctx, secret)
	mustUnauthorized(t, err)
}

func TestTokenCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	secret, hash := NewToken(PrefixDevice)
	tok, err := f.db.CreateToken(ctx, model.Token{Kind: model.TokenDevice, Hash: hash, Device: "dev-gas-01"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.auth.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "device:dev-gas-01" || !p.Can(IngestWrite) || p.Can(DatastreamWrite) {
		t.Fatalf("device principal %+v", p)
	}

	// Deleted behind the authenticator's back: the cache answers until
	// its TTL runs out, then the store does.
	if err := f.db.DeleteToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(59 * time.Second)
	if _, err := f.auth.Authenticate(ctx, secret); err != nil {
		t.Fatalf("cached token within TTL: %v", err)
	}
	f.clock.Advance(time.Second)
	_, err = f.auth.Authenticate(ctx, secret)
	mustUnauthorized(t, err)
}

func TestRevokeActsAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	secret, hash := NewToken(PrefixUser)
	tok, err := f.db.CreateToken(ctx, model.Token{Kind: model.TokenAPI, Hash: hash, UserID: f.user.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := f.auth.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.auth.Authenticate(ctx, secret)
	mustUnauthorized(t, err)

	session, _, err := f.auth.Login(ctx, f.user.Name, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.auth.Logout(ctx, session); err != nil {
		t.Fatal(err)
	}
	_, err = f.auth.Authenticate(ctx, session)
	mustUnauthorized(t, err)
}

func TestAuthenticateRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	expiredSecret, expiredHash := NewToken(PrefixUser)
	_, err := f.db.CreateToken(ctx, model.Token{Kind: model.TokenAPI, Hash: expiredHash, UserID: f.user.ID,
		Expires: f.clock.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	disabled, err := f.db.CreateUser(ctx, model.User{Name: "li.na", Role: model.RoleAdmin, Disabled: true})
	if err != nil {
		t.Fatal(err)
	}
	disabledSecret, disabledHash := NewToken(PrefixUser)
	_, err = f.db.CreateToken(ctx, model.Token{Kind: model.TokenAPI, Hash: disabledHash, UserID: disabled.ID})
	if err != nil {
		t.Fatal(err)
	}
	unknown, _ := NewToken(PrefixUser)
	for _, tc := range []struct{ name, secret string }{
		{"empty", ""},
		{"unknown", unknown},
		{"expired", expiredSecret},
		{"disabled user", disabledSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.Authenticate(ctx, tc.secret)
			mustUnauthorized(t, err)
		})
	}
}

func BenchmarkAuthenticateCached(b *testing.B) {
	db, err := sqlitestore.Open(filepath.Join(b.TempDir(), "auth.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	secret, hash := NewToken(PrefixDevice)
	if _, err := db.CreateToken(b.Context(), model.Token{Kind: model.TokenDevice, Hash: hash, Device: "dev"}); err != nil {
		b.Fatal(err)
	}
	a := NewAuthenticator(db)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Authenticate(b.Context(), secret); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
