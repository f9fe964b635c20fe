package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cityvitals/model"
	pebblestore "cityvitals/store/pebble"
	sqlitestore "cityvitals/store/sqlite"
)

// TestKillNineLosesNothingAcknowledged runs the real binary, ingests over
// HTTP from several clients, kills the server with SIGKILL at a random
// moment, restarts it on the same data directory and repeats; then it
// opens the stores and checks that every observation the server had
// acknowledged is there with its value.
func TestKillNineLosesNothingAcknowledged(t *testing.T) {
	t.Parallel() // its own data directory and port; overlaps the alert-storm kill test
	bin := buildBinary(t)
	dir := t.TempDir()
	secret := issueProvisioningToken(t, bin, dir)
	acked := map[string]map[int64]float64{} // stream key → time → value
	var mu sync.Mutex
	next := int64(0)
	for range 4 {
		srv := startServer(t, bin, dir)
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for ctx.Err() == nil {
					mu.Lock()
					base := next
					next += 100
					mu.Unlock()
					batch := makeBatch(w, base)
					if postAcknowledged(ctx, srv.url, secret, batch) {
						mu.Lock()
						for _, o := range batch {
							if acked[o.key] == nil {
								acked[o.key] = map[int64]float64{}
							}
							acked[o.key][o.time] = o.value
						}
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(time.Duration(700+rand.IntN(1500)) * time.Millisecond)
		srv.kill(t)
		stop()
		wg.Wait()
	}
	checkAllPresent(t, dir, acked)
}

type crashObs struct {
	key   string
	time  int64
	value float64
}

// makeBatch gives each worker its own streams and every batch its own
// times, so each acknowledged (stream, time) has exactly one value.
func makeBatch(worker int, base int64) []crashObs {
	out := make([]crashObs, 100)
	start := time.Now().Add(-time.Hour).UnixMilli()
	for i := range out {
		out[i] = crashObs{
			key:   fmt.Sprintf("crash/w%d/s%d", worker, i%10),
			time:  start + base + int64(i),
			value: float64(base%997 + int64(i)),
		}
	}
	return out
}

func postAcknowledged(ctx context.Context, url, secret string, batch []crashObs) bool {
	var body bytes.Buffer
	for _, o := range batch {
		fmt.Fprintf(&body, `{"datastream":%q,"time":%d,"value":%g,"property":"pm25"}`+"\n", o.key, o.time, o.value)
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/observations", &body)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false // the server died before answering: not acknowledged
	}
	defer resp.Body.Close()
	var res struct{ Accepted int }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&res) != nil {
		return false
	}
	return res.Accepted == len(batch)
}

func checkAllPresent(t *testing.T, dir string, acked map[string]map[int64]float64) {
	t.Helper()
	total := checkPresent(t, dir, acked, 1000)
	t.Logf("all %d acknowledged observations survived 4 × kill -9", total)
}

// checkPresent opens the stores of dir and checks that every acknowledged
// observation is stored with its value; at least atLeast of them.
func checkPresent(t *testing.T, dir string, acked map[string]map[int64]float64, atLeast int) int {
	t.Helper()
	ctx := context.Background()
	db, err := sqlitestore.Open(filepath.Join(dir, "cityvitals.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := map[string]int64{}
	err = db.EachDatastream(ctx, func(ds model.Datastream) error { ids[ds.Key] = ds.ID; return nil })
	if err != nil {
		t.Fatal(err)
	}
	hist, err := pebblestore.Open(filepath.Join(dir, "history"), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hist.Close()
	total := 0
	for key, points := range acked {
		id, ok := ids[key]
		if !ok {
			t.Fatalf("stream %s was acknowledged but is not registered after the crashes", key)
		}
		got, err := hist.Range(ctx, id, 0, 1<<62, 0)
		if err != nil {
			t.Fatal(err)
		}
		have := map[int64]float64{}
		for _, o := range got {
			have[o.Time] = o.Value
		}
		for tm, v := range points {
			if hv, ok := have[tm]; !ok || hv != v {
				t.Fatalf("stream %s time %d: acknowledged %v, stored %v (present %v)", key, tm, v, hv, ok)
			}
			total++
		}
	}
	if total < atLeast {
		t.Fatalf("only %d observations were acknowledged; the test proved little", total)
	}
	return total
}

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// built is the binary under test, built once for all the tests that run
// it (each build links the whole platform).
var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

func buildBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "cityvitals-test-bin-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "cityvitals")
		if out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func issueProvisioningToken(t *testing.T, bin, dir string) string {
	t.Helper()
	out, err := exec.Command(bin, "token", "add", "--data-dir", dir, "--device", "crash-gw", "--provision").CombinedOutput()
	if err != nil {
		t.Fatalf("token add: %v\n%s", err, out)
	}
	_, secret, ok := strings.Cut(strings.TrimSpace(string(out)), ": ")
	if !ok {
		t.Fatalf("token add printed %q", out)
	}
	return secret
}

type server struct {
	cmd *exec.Cmd
	url string
}

func startServer(t *testing.T, bin, dir string) *server {
	t.Helper()
	return startServerWith(t, bin, dir, nil)
}

// startServerWith starts `serve` with extra flags and environment
// variables (on top of this process's environment).
func startServerWith(t *testing.T, bin, dir string, env []string, flags ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"serve", "--data-dir", dir, "--http-addr", addr, "--mqtt-addr", ""}, flags...)...)
	cmd.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A test that fails half-way must not leave its server running.
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // not waited for yet: still running
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	s := &server{cmd: cmd, url: "http://" + addr}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("server did not come up:\n%s", tail(logs.String()))
	return nil
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func tail(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}
