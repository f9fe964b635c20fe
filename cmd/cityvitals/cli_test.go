package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"cityvitals/model"
	pebblestore "cityvitals/store/pebble"
	sqlitestore "cityvitals/store/sqlite"
)

const dongsi = "../../../shared/data/airquality/beijing_prsa/PRSA_Data_Dongsi_20130301-20170228.csv"

// TestImportObservationsCommand loads one real Beijing station file through
// the shipped mapping into real stores, twice: the second run finds the
// same streams and stores nothing new.
func TestImportObservationsCommand(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	var first struct{ Rows, Observations int64 }
	for run := range 2 {
		out, err := exec.Command(bin, "import", "observations", "--data-dir", dir, "--quiet", "--json",
			"--mapping", "../../examples/import/beijing_prsa.yaml", dongsi).Output()
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		var sum struct{ Rows, Observations int64 }
		if err := json.Unmarshal(out, &sum); err != nil {
			t.Fatalf("summary %s: %v", out, err)
		}
		if run == 0 {
			first = sum
		} else if sum != first {
			t.Fatalf("second import summary %+v differs from the first %+v", sum, first)
		}
	}
	if first.Rows != 35064 {
		t.Fatalf("rows = %d, want 35,064 (4 years of hours)", first.Rows)
	}
	ctx := context.Background()
	db, err := sqlitestore.Open(filepath.Join(dir, "cityvitals.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := map[string]int64{}
	if err := db.EachDatastream(ctx, func(ds model.Datastream) error { keys[ds.Key] = ds.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 12 {
		t.Fatalf("%d streams after two imports, want 12 (one per measurement)", len(keys))
	}
	hist, err := pebblestore.Open(filepath.Join(dir, "history"), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hist.Close()
	var stored int64
	for _, id := range keys {
		obs, err := hist.Range(ctx, id, 0, 1<<62, 0)
		if err != nil {
			t.Fatal(err)
		}
		stored += int64(len(obs))
	}
	if stored != first.Observations {
		t.Fatalf("store holds %d observations, the import accepted %d", stored, first.Observations)
	}
	// First row: 2013-03-01 00:00 Beijing time, PM2.5 = 9.
	pm, err := hist.Range(ctx, keys["beijing/Dongsi/pm25"], 0, 1<<62, 1)
	if err != nil || len(pm) != 1 {
		t.Fatalf("first PM2.5: %v %v", pm, err)
	}
	if want := time.Date(2013, 2, 28, 16, 0, 0, 0, time.UTC).UnixMilli(); pm[0].Time != want || pm[0].Value != 9 {
		t.Fatalf("first PM2.5 = %v at %v, want 9 at 2013-02-28T16:00Z", pm[0].Value, time.UnixMilli(pm[0].Time).UTC())
	}
}

// TestSIGTERMDrainsAndExitsCleanly sends SIGTERM to a serving process: it
// must exit 0, and what it acknowledged must be stored.
func TestSIGTERMDrainsAndExitsCleanly(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	secret := issueProvisioningToken(t, bin, dir)
	srv := startServer(t, bin, dir)
	batch := makeBatch(0, 0)
	if !postAcknowledged(context.Background(), srv.url, secret, batch) {
		t.Fatal("batch not acknowledged")
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		srv.cmd.Process.Kill()
		t.Fatal("server did not stop within 20 s of SIGTERM")
	}
	if _, err := http.Get(srv.url + "/healthz"); err == nil {
		t.Fatal("server still answering after exit")
	}
	acked := map[string]map[int64]float64{}
	for _, o := range batch {
		if acked[o.key] == nil {
			acked[o.key] = map[int64]float64{}
		}
		acked[o.key][o.time] = o.value
	}
	checkPresent(t, dir, acked, len(batch))
}

// TestAuditVerifyCommandDetectsAnEdit edits an audit row behind the
// platform's back; `cityvitals audit verify` must fail and name it.
func TestAuditVerifyCommandDetectsAnEdit(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	for _, name := range []string{"alice", "bob", "carol"} {
		if out, err := exec.Command(bin, "user", "add", "--data-dir", dir, "--generate", "--role", "operator", name).CombinedOutput(); err != nil {
			t.Fatalf("user add: %v\n%s", err, out)
		}
	}
	if out, err := exec.Command(bin, "audit", "verify", "--data-dir", dir).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("intact: 3 records")) {
		t.Fatalf("verify on an intact log: %v\n%s", err, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "cityvitals.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit SET actor = 'mallory' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err := exec.Command(bin, "audit", "verify", "--data-dir", dir).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("BROKEN at seq 2")) {
		t.Fatalf("verify after an edit: err %v\n%s", err, out)
	}
}

// TestConfigFromYAMLAndEnvironment checks both ways of configuring
// without flags.
func TestConfigFromYAMLAndEnvironment(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "cityvitals.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("data-dir: %s\n", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--config", cfg, "user", "add", "--generate", "cfg-user").CombinedOutput(); err != nil {
		t.Fatalf("user add with --config: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "user", "list")
	cmd.Env = append(os.Environ(), "CITYVITALS_DATA_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "cfg-user") {
		t.Fatalf("user list with CITYVITALS_DATA_DIR: %v\n%s", err, out)
	}
}
