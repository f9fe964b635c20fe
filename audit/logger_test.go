package audit_test

import (
	"path/filepath"
	"testing"
	"time"

	"cityvitals/audit"
	"cityvitals/model"
	sqlitestore "cityvitals/store/sqlite"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"flat", `{"user":"li","password":"hunter2hunter2"}`, `{"user":"li"}`},
		{"nested and camel case", `{"req":{"newPassword":"x","client_secret":"y","X-Api-Key":"z","dept":"HP"}}`,
			`{"req":{"dept":"HP"}}`},
		{"tokens as suffix only", `{"token":"cvd_x","access_token":"a","sessionTokens":["s"],"token_id":5}`,
			`{"token_id":5}`},
		{"inside arrays", `[{"authorization":"Bearer x","n":1},{"private_key":"k"}]`, `[{"n":1},{}]`},
		{"exact numbers", `{"big":12345678901234567890,"f":0.1}`, `{"big":12345678901234567890,"f":0.1}`},
		{"not an object", `"just text"`, `"just text"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := audit.Redact([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("Redact(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
	if _, err := audit.Redact([]byte(`{"unterminated":`)); err == nil {
		t.Fatal("Redact accepted malformed JSON")
	}
}

func TestLoggerRecord(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	when := time.Date(2025, 7, 14, 17, 30, 0, 0, time.FixedZone("CST", 8*3600))
	log := audit.NewLogger(db, audit.WithClock(func() time.Time { return when }))

	type userCreated struct {
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
	}
	for _, tc := range []struct {
		name       string
		detail     any
		wantDetail string
	}{
		{"struct with a password", userCreated{"li.na", "viewer", "correct horse battery"}, `{"name":"li.na","role":"viewer"}`},
		{"no detail", nil, ""},
		{"map", map[string]any{"token": "cvu_secret", "token_id": 3}, `{"token_id":3}`},
	} {
		if err := log.Record(ctx, "admin", "user.create", "user:li.na", tc.detail); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	var got []model.AuditRecord
	if err := db.EachAudit(ctx, func(r model.AuditRecord) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d records, want 3", len(got))
	}
	for i, want := range []string{`{"name":"li.na","role":"viewer"}`, "", `{"token_id":3}`} {
		r := got[i]
		if r.Detail != want || r.Actor != "admin" || r.Action != "user.create" || !r.Time.Equal(when) {
			t.Errorf("record %d = %+v, want detail %s at %s", i, r, want, when)
		}
	}
	rep, err := audit.Verify(ctx, db)
	if err != nil || !rep.OK() {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}

	if err := log.Record(ctx, "admin", "x", "y", func() {}); err == nil {
		t.Fatal("Record accepted a detail that cannot be marshalled")
	}
}
