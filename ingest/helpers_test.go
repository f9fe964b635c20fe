package ingest

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"cityvitals/model"
)

// metricValue reads a counter's or gauge's current value.
func metricValue(m prometheus.Metric) float64 {
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		panic(err)
	}
	if c := out.GetCounter(); c != nil {
		return c.GetValue()
	}
	return out.GetGauge().GetValue()
}

// fakeHistory is an in-memory store.History writer. Write can be made to
// fail, or to block until released, to test what Ingest promises.
type fakeHistory struct {
	mu     sync.Mutex
	writes [][]model.Observation // copies, in the order Write returned
	fail   error

	// gate, when set, is called at the start of Write with the batch; it
	// may block to hold the write.
	gate func(obs []model.Observation)
}

func (h *fakeHistory) Write(ctx context.Context, obs []model.Observation) error {
	h.mu.Lock()
	gate := h.gate
	h.mu.Unlock()
	if gate != nil {
		gate(obs)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return h.fail
	}
	h.writes = append(h.writes, append([]model.Observation(nil), obs...))
	return nil
}

func (h *fakeHistory) setFail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fail = err
}

func (h *fakeHistory) setGate(gate func([]model.Observation)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gate = gate
}

// all returns every stored observation in write order.
func (h *fakeHistory) all() []model.Observation {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []model.Observation
	for _, w := range h.writes {
		out = append(out, w...)
	}
	return out
}

func (h *fakeHistory) writeCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.writes)
}

// startService builds a service over h and reg, runs it, and stops it
// when the test ends.
func startService(tb testing.TB, h Writer, reg *Registry, cfg Config) *Service {
	tb.Helper()
	s, err := NewService(h, reg, cfg)
	if err != nil {
		tb.Fatalf("NewService: %v", err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(context.Background()) }()
	tb.Cleanup(func() {
		s.Stop()
		if err := <-runErr; err != nil {
			tb.Errorf("Run: %v", err)
		}
	})
	return s
}

// fixedClock returns a clock stuck at t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

var shanghai = time.FixedZone("CST", 8*3600)

// airQualityFile is one station of the Beijing multi-site air-quality set.
const airQualityFile = "../../shared/data/airquality/beijing_prsa/PRSA_Data_Aotizhongxin_20130301-20170228.csv"

// airQualityEnd is just after the last hour of the data set, as a clock.
var airQualityEnd = time.Date(2017, 3, 1, 0, 0, 0, 0, shanghai)

// airQualityBatch reads the first rows of the station file and returns
// them as NDJSON items of the streams aotizhongxin/pm25 and
// aotizhongxin/temp, values as found ("NA" stays a string), and how many
// items carry a number.
func airQualityBatch(tb testing.TB, rows int) (body []byte, numeric int) {
	tb.Helper()
	f, err := os.Open(airQualityFile)
	if err != nil {
		tb.Fatalf("open data set: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		tb.Fatalf("read header: %v", err)
	}
	col := make(map[string]int)
	for i, name := range header {
		col[name] = i
	}
	var b strings.Builder
	for range rows {
		rec, err := r.Read()
		if err != nil {
			tb.Fatalf("read row: %v", err)
		}
		at := airQualityTime(tb, rec, col)
		for _, m := range []struct{ stream, column string }{{"aotizhongxin/pm25", "PM2.5"}, {"aotizhongxin/temp", "TEMP"}} {
			v := rec[col[m.column]]
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				numeric++
			} else {
				v = strconv.Quote(v)
			}
			fmt.Fprintf(&b, `{"datastream":%q,"time":%q,"value":%s}`+"\n", m.stream, at.Format(time.RFC3339), v)
		}
	}
	return []byte(b.String()), numeric
}

func airQualityTime(tb testing.TB, rec []string, col map[string]int) time.Time {
	tb.Helper()
	var parts [4]int
	for i, name := range []string{"year", "month", "day", "hour"} {
		n, err := strconv.Atoi(rec[col[name]])
		if err != nil {
			tb.Fatalf("row %s: %s %q: %v", rec[0], name, rec[col[name]], err)
		}
		parts[i] = n
	}
	return time.Date(parts[0], time.Month(parts[1]), parts[2], parts[3], 0, 0, 0, shanghai)
}

// airQualityRegistry registers the two streams airQualityBatch uses.
func airQualityRegistry() *Registry {
	reg := NewRegistry()
	reg.Put(
		model.Datastream{ID: 1, Key: "aotizhongxin/pm25", Property: "pm25", UoM: "ug/m3"},
		model.Datastream{ID: 2, Key: "aotizhongxin/temp", Property: "air_temperature", UoM: "Cel"},
	)
	return reg
}
