package audit_test

import (
	"bytes"
	"testing"
	"time"

	"cityvitals/audit"
	"cityvitals/model"
)

func TestHashSeparatesFields(t *testing.T) {
	t.Parallel()
	base := model.AuditRecord{Seq: 7, Time: time.Date(2025, 7, 14, 9, 0, 0, 5, time.UTC),
		Actor: "admin", Action: "user.create", Target: "user:li", Detail: `{"role":"viewer"}`}
	prev := bytes.Repeat([]byte{0xab}, 32)
	for _, tc := range []struct {
		name   string
		prev   []byte
		change func(r *model.AuditRecord)
	}{
		{"seq", prev, func(r *model.AuditRecord) { r.Seq++ }},
		{"time by one nanosecond", prev, func(r *model.AuditRecord) { r.Time = r.Time.Add(1) }},
		{"actor", prev, func(r *model.AuditRecord) { r.Actor = "admim" }},
		{"byte moved from actor to action", prev, func(r *model.AuditRecord) { r.Actor, r.Action = "admi", "nuser.create" }},
		{"byte moved from target to detail", prev, func(r *model.AuditRecord) { r.Target, r.Detail = "user:", `li{"role":"viewer"}` }},
		{"detail", prev, func(r *model.AuditRecord) { r.Detail = `{"role":"admin"}` }},
		{"prev hash", bytes.Repeat([]byte{0xac}, 32), func(*model.AuditRecord) {}},
		{"no prev hash", nil, func(*model.AuditRecord) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := base
			tc.change(&changed)
			if bytes.Equal(audit.Hash(prev, base), audit.Hash(tc.prev, changed)) {
				t.Fatal("hash did not change")
			}
		})
	}
}

func TestHashIgnoresStoredHashesAndZone(t *testing.T) {
	t.Parallel()
	r := model.AuditRecord{Seq: 1, Time: time.Date(2025, 7, 14, 9, 0, 0, 0, time.UTC), Actor: "a", Action: "b", Target: "c"}
	want := audit.Hash(nil, r)
	if len(want) != 32 {
		t.Fatalf("hash has %d bytes, want 32", len(want))
	}
	shanghai := r
	shanghai.Time = r.Time.In(time.FixedZone("CST", 8*3600))
	shanghai.PrevHash, shanghai.Hash = []byte("x"), []byte("y")
	if !bytes.Equal(audit.Hash(nil, shanghai), want) {
		t.Fatal("the same instant in another zone, or stored hash fields, changed the hash")
	}
}
