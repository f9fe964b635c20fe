package sqlitestore_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"cityvitals/audit"
	"cityvitals/model"
	sqlitestore "cityvitals/store/sqlite"
	"cityvitals/store/storetest"
)

// mustOpen opens a fresh database in a temporary directory, closed at the
// end of the test.
func mustOpen(tb testing.TB) (*sqlitestore.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "cityvitals.db")
	db, err := sqlitestore.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db, path
}

func TestRelationalContract(t *testing.T) {
	storetest.Relational(t, func(t *testing.T) storetest.Stores {
		db, _ := mustOpen(t)
		return storetest.Stores{Units: db, Assets: db, Datastreams: db, Users: db, Audit: db}
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cityvitals.db")
	db, err := sqlitestore.Open(path)
	mustNil(t, err)
	mustNil(t, db.PutUnits(ctx, []model.Unit{{Code: "310101", Level: model.LevelDistrict, NameZH: "黄浦区"}}))
	created, err := db.CreateDatastreams(ctx, []model.Datastream{{Key: "k1", Property: "gas_lel"}})
	mustNil(t, err)
	appended, err := db.AppendAudit(ctx, model.AuditRecord{Actor: "admin", Action: "unit.put", Target: "unit:310101"})
	mustNil(t, err)
	mustNil(t, db.Close())
	mustNil(t, db.Close()) // a second Close is harmless

	db, err = sqlitestore.Open(path)
	mustNil(t, err)
	defer db.Close()
	u, err := db.Unit(ctx, "310101")
	mustNil(t, err)
	if u.NameZH != "黄浦区" {
		t.Errorf("unit after reopen: %+v", u)
	}
	d, err := db.Datastream(ctx, created[0].ID)
	mustNil(t, err)
	if d.Key != "k1" {
		t.Errorf("datastream after reopen: %+v", d)
	}
	// The chain continues where it stopped.
	next, err := db.AppendAudit(ctx, model.AuditRecord{Actor: "admin", Action: "unit.put", Target: "unit:310101"})
	mustNil(t, err)
	if next.Seq != 2 || string(next.PrevHash) != string(appended.Hash) {
		t.Errorf("record after reopen: seq %d prev %x, want seq 2 prev %x", next.Seq, next.PrevHash, appended.Hash)
	}
	// New IDs never reuse old ones.
	more, err := db.CreateDatastreams(ctx, []model.Datastream{{Key: "k2", Property: "gas_lel"}})
	mustNil(t, err)
	if more[0].ID <= created[0].ID {
		t.Errorf("id after reopen %d, want > %d", more[0].ID, created[0].ID)
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, tc := range []struct{ name, path string }{
		{"empty", ""},
		{"memory", ":memory:"},
		{"query string", filepath.Join(t.TempDir(), "x.db?mode=ro")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if db, err := sqlitestore.Open(tc.path); err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	db, path := mustOpen(t)
	mustNil(t, db.Close())
	raw := openRaw(t, path)
	_, err := raw.Exec(`UPDATE schema_version SET version = version + 1`)
	mustNil(t, err)
	if db, err := sqlitestore.Open(path); err == nil {
		db.Close()
		t.Fatal("Open succeeded on a database from a newer program")
	}
}

// TestAuditTamperDetected edits the audit table behind the store's back,
// as an intruder with file access would, and checks that Verify names the
// first broken record.
func TestAuditTamperDetected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper string
		seq    int64
		reason audit.Reason
	}{
		{"edited detail", `UPDATE audit SET detail = '{"role":"admin"}' WHERE seq = 4`, 4, audit.ReasonEdited},
		{"edited actor", `UPDATE audit SET actor = 'someone.else' WHERE seq = 7`, 7, audit.ReasonEdited},
		{"edited time", `UPDATE audit SET time = time + 1 WHERE seq = 1`, 1, audit.ReasonEdited},
		{"deleted record", `DELETE FROM audit WHERE seq = 5`, 5, audit.ReasonMissing},
		{"deleted first record", `DELETE FROM audit WHERE seq = 1`, 1, audit.ReasonMissing},
		{"deleted run", `DELETE FROM audit WHERE seq BETWEEN 3 AND 6`, 3, audit.ReasonMissing},
		{"swapped records",
			`UPDATE audit SET seq = CASE seq WHEN 3 THEN 6 WHEN 6 THEN 3 END + 100 WHERE seq IN (3, 6);
			 UPDATE audit SET seq = seq - 100 WHERE seq > 100`, 3, audit.ReasonEdited},
		{"changed prev hash", `UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 6`, 6, audit.ReasonEdited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, path := mustOpen(t)
			appendRecords(t, db, 10)
			raw := openRaw(t, path)
			_, err := raw.Exec(tc.tamper)
			mustNil(t, err)
			rep, err := audit.Verify(t.Context(), db)
			mustNil(t, err)
			if rep.OK() {
				t.Fatalf("Verify found no break: %+v", rep)
			}
			if rep.First.Seq != tc.seq || rep.First.Reason != tc.reason {
				t.Fatalf("first break %+v, want seq %d reason %s", *rep.First, tc.seq, tc.reason)
			}
		})
	}
}

// TestAuditRehashedEditDetected covers a smarter intruder who edits a
// record and recomputes its hash: the next record's link then breaks.
func TestAuditRehashedEditDetected(t *testing.T) {
	ctx := t.Context()
	db, path := mustOpen(t)
	appendRecords(t, db, 10)
	var victim model.AuditRecord
	mustNil(t, db.EachAudit(ctx, func(r model.AuditRecord) error {
		if r.Seq == 6 {
			victim = r
		}
		return nil
	}))
	victim.Detail = `{"role":"admin"}`
	raw := openRaw(t, path)
	_, err := raw.Exec(`UPDATE audit SET detail = ?, hash = ? WHERE seq = 6`,
		victim.Detail, audit.Hash(victim.PrevHash, victim))
	mustNil(t, err)

	rep, err := audit.Verify(ctx, db)
	mustNil(t, err)
	if rep.OK() || rep.First.Seq != 7 || rep.First.Reason != audit.ReasonRelinked {
		t.Fatalf("Verify = %+v, first break %+v: want seq 7 relinked", rep, rep.First)
	}
}

func appendRecords(t *testing.T, db *sqlitestore.DB, n int) {
	t.Helper()
	for i := range n {
		_, err := db.AppendAudit(t.Context(), model.AuditRecord{
			Actor: "admin", Action: "user.create", Target: fmt.Sprintf("user:%d", i), Detail: `{"role":"viewer"}`})
		mustNil(t, err)
	}
	rep, err := audit.Verify(t.Context(), db)
	mustNil(t, err)
	if !rep.OK() || rep.Records != int64(n) {
		t.Fatalf("untouched chain: %+v", rep)
	}
}

// openRaw opens the database file directly, bypassing the store.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	mustNil(t, err)
	t.Cleanup(func() { raw.Close() })
	return raw
}

func mustNil(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
