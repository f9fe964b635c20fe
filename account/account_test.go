package account_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"cityvitals/account"
	"cityvitals/audit"
	"cityvitals/auth"
	"cityvitals/model"
	sqlitestore "cityvitals/store/sqlite"
)

func newService(t *testing.T) (*account.Service, *sqlitestore.DB) {
	t.Helper()
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "acc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return account.New(db, audit.NewLogger(db)), db
}

func TestCreateUserHashesAndAudits(t *testing.T) {
	svc, db := newService(t)
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, "root", account.NewUser{Name: "alice", Password: "a long enough secret", Role: model.RoleDispatcher, Dept: "gas"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.UserByName(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || strings.Contains(stored.PasswordHash, "a long enough secret") {
		t.Fatalf("stored hash %q is not an argon2id PHC string", stored.PasswordHash)
	}
	if ok, err := auth.CheckPassword(stored.PasswordHash, "a long enough secret"); !ok || err != nil {
		t.Fatalf("password does not check: %v %v", ok, err)
	}
	var recs []model.AuditRecord
	_ = db.EachAudit(ctx, func(r model.AuditRecord) error { recs = append(recs, r); return nil })
	if len(recs) != 1 || recs[0].Actor != "root" || recs[0].Target != "user "+u.Name || strings.Contains(recs[0].Detail, "secret") {
		t.Fatalf("audit = %+v, want one record by root about alice without the password", recs)
	}
}

func TestCreateUserRefusesBadInput(t *testing.T) {
	svc, _ := newService(t)
	cases := []struct {
		name string
		nu   account.NewUser
		want string
	}{
		{"no name", account.NewUser{Password: "long enough pw", Role: model.RoleViewer}, "name"},
		{"space in name", account.NewUser{Name: "a b", Password: "long enough pw", Role: model.RoleViewer}, "name"},
		{"unknown role", account.NewUser{Name: "x", Password: "long enough pw", Role: "king"}, "role"},
		{"short password", account.NewUser{Name: "x", Password: "short", Role: model.RoleViewer}, "password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateUser(context.Background(), "root", tc.nu)
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want EINVALID about %s", err, tc.want)
			}
		})
	}
	if _, err := svc.CreateUser(context.Background(), "root", account.NewUser{Name: "dup", Password: "long enough pw", Role: model.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.CreateUser(context.Background(), "root", account.NewUser{Name: "dup", Password: "long enough pw", Role: model.RoleViewer})
	if model.ErrorCode(err) != model.ECONFLICT {
		t.Fatalf("duplicate name: err = %v, want ECONFLICT", err)
	}
}

func TestIssueTokenStoresOnlyTheHash(t *testing.T) {
	svc, db := newService(t)
	ctx := context.Background()
	secret, tok, err := svc.IssueToken(ctx, "root", account.NewToken{Kind: model.TokenDevice, Device: "gw-7", Provision: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "cvd_") {
		t.Fatalf("device secret %q lacks the cvd_ prefix", secret)
	}
	got, err := db.TokenByHash(ctx, auth.HashToken(secret))
	if err != nil || got.ID != tok.ID || got.Device != "gw-7" || !got.Provision {
		t.Fatalf("token by hash = %+v, %v", got, err)
	}
	for _, bad := range []account.NewToken{
		{Kind: model.TokenDevice},
		{Kind: model.TokenAPI},
		{Kind: model.TokenSession, UserID: 1},
	} {
		if _, _, err := svc.IssueToken(ctx, "root", bad); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("IssueToken(%+v) err = %v, want EINVALID", bad, err)
		}
	}
}
