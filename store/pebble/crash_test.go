package pebblestore_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
	pebblestore "cityvitals/store/pebble"
)

// crashChildEnv switches the test binary into the crash-test child: the
// variable holds the data directory and the run number, "dir|run".
const crashChildEnv = "CITYVITALS_PEBBLE_CRASH_CHILD"

const (
	crashWriters  = 4
	crashPerBatch = 200
	crashStreams  = 64
)

// crashBatch derives a batch from its id alone, so that the parent can
// rebuild every acknowledged batch from the ids the child printed. The
// time encodes the id and the item index, so no two batches share a
// (stream, time) and every acknowledged value must be found unchanged.
func crashBatch(id uint64) []model.Observation {
	rng := rand.New(rand.NewPCG(id, 0xC0FFEE))
	out := make([]model.Observation, crashPerBatch)
	for i := range out {
		out[i] = model.Observation{
			Stream:  1 + rng.Int64N(crashStreams),
			Time:    int64(id)*crashPerBatch + int64(i),
			Value:   rng.NormFloat64() * 100,
			Quality: uint8(rng.IntN(3)),
		}
	}
	return out
}

// crashBatchID packs run, writer and sequence number into one id.
func crashBatchID(run, writer, seq uint64) uint64 { return run<<40 | writer<<32 | seq }

// TestCrashKeepsAcknowledgedWrites kills a writing child process with
// SIGKILL at random moments, several times over the same directory, then
// checks that every batch the child acknowledged (printed after Write
// returned nil) is there with its values, and that Latest is at least as
// new as every acknowledged point.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		runCrashChild(spec)
		return
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var acked []uint64
	for run := range 5 {
		ids := runAndKillChild(t, dir, run, time.Duration(100+rng.IntN(700))*time.Millisecond)
		t.Logf("run %d: %d batches acknowledged before SIGKILL", run, len(ids))
		acked = append(acked, ids...)
	}
	if len(acked) == 0 {
		t.Fatal("the child acknowledged no batch at all")
	}
	verifyAcknowledged(t, dir, acked)
}

// runAndKillChild starts the child, lets it write for about d after its
// first acknowledgement, kills it and returns every id it acknowledged.
func runAndKillChild(t *testing.T, dir string, run int, d time.Duration) []uint64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", crashChildEnv, dir, run))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	idc := make(chan uint64, 1024)
	go readAcks(stdout, idc)
	var ids []uint64
	deadline := time.After(20 * time.Second) // the child must start acknowledging by then
	var kill <-chan time.Time
	for kill == nil {
		select {
		case id, ok := <-idc:
			if !ok {
				t.Fatalf("run %d: child exited before acknowledging: %v", run, cmd.Wait())
			}
			ids = append(ids, id)
			kill = time.After(d)
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("run %d: child acknowledged nothing in 20s", run)
		}
	}
	for killed := false; ; {
		select {
		case id, ok := <-idc:
			if !ok { // stdout closed: the child is dead, every ack is read
				_ = cmd.Wait()
				return ids
			}
			ids = append(ids, id)
		case <-kill:
			if !killed {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
					t.Fatalf("kill child: %v", err)
				}
				killed = true
			}
		}
	}
}

// readAcks forwards the ids of "ack <id>" lines and closes ids at EOF.
func readAcks(r interface{ Read([]byte) (int, error) }, ids chan<- uint64) {
	defer close(ids)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue // testing's own output
		}
		if id, err := strconv.ParseUint(rest, 10, 64); err == nil {
			ids <- id
		}
	}
}

// runCrashChild writes random batches from several goroutines until it is
// killed, printing each batch id once its Write has returned nil.
func runCrashChild(spec string) {
	dir, runText, _ := strings.Cut(spec, "|")
	run, err := strconv.ParseUint(runText, 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child: bad spec:", spec)
		os.Exit(2)
	}
	h, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child: open:", err)
		os.Exit(2)
	}
	var stdout sync.Mutex
	var wg sync.WaitGroup
	for w := range uint64(crashWriters) {
		wg.Go(func() {
			for seq := uint64(0); ; seq++ {
				id := crashBatchID(run, w, seq)
				if err := h.Write(context.Background(), crashBatch(id)); err != nil {
					fmt.Fprintln(os.Stderr, "crash child: write:", err)
					os.Exit(2)
				}
				stdout.Lock()
				fmt.Fprintf(os.Stdout, "ack %d\n", id) // unbuffered: one write(2) per line
				stdout.Unlock()
			}
		})
	}
	wg.Wait()
}

func verifyAcknowledged(t *testing.T, dir string, acked []uint64) {
	t.Helper()
	ctx := t.Context()
	h, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	stored := make(map[int64]map[int64]model.Observation) // stream -> time -> observation
	for s := int64(1); s <= crashStreams; s++ {
		all, err := h.Range(ctx, s, math.MinInt64, math.MaxInt64, 0)
		if err != nil {
			t.Fatal(err)
		}
		stored[s] = make(map[int64]model.Observation, len(all))
		for _, o := range all {
			stored[s][o.Time] = o
		}
	}
	newestAcked := make(map[int64]int64)
	for _, id := range acked {
		for _, want := range crashBatch(id) {
			if got, ok := stored[want.Stream][want.Time]; !ok || got != want {
				t.Fatalf("acknowledged batch %#x: observation %+v read back as %+v (present %v)", id, want, got, ok)
			}
			newestAcked[want.Stream] = max(newestAcked[want.Stream], want.Time)
		}
	}
	streams := make([]int64, 0, len(newestAcked))
	for s := range newestAcked {
		streams = append(streams, s)
	}
	latest, err := h.Latest(ctx, streams)
	if err != nil {
		t.Fatal(err)
	}
	for s, tm := range newestAcked {
		l, ok := latest[s]
		if !ok || l.Time < tm {
			t.Fatalf("stream %d: latest %+v (present %v) is older than acknowledged time %d", s, l, ok, tm)
		}
		if raw := stored[s][l.Time]; raw != l {
			t.Fatalf("stream %d: latest %+v is not the stored observation %+v", s, l, raw)
		}
	}
}
