package bench

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"cityvitals/app"
	"cityvitals/model"
)

// StreamsReport is what `cityvitals bench streams --json` prints: the cost
// of holding N registered datastreams with live latest-value state.
type StreamsReport struct {
	Streams         int     `json:"streams"`
	RegisterSeconds float64 `json:"register_seconds"`
	OpenSeconds     float64 `json:"open_seconds"` // a fresh process loading the state
	RSSBytes        int64   `json:"rss_bytes"`    // of that fresh process, after GC
	HeapInuseBytes  uint64  `json:"heap_inuse_bytes"`
	BytesPerStream  float64 `json:"rss_bytes_per_stream"`
}

// PopulateStreams registers n streams spread over a generated grid of
// places and gives each one observation, in dir.
func PopulateStreams(ctx context.Context, dir string, n int, log *slog.Logger) (time.Duration, error) {
	a, err := app.Open(ctx, app.Config{DataDir: dir}, log)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	began := time.Now()
	now := time.Now().UnixMilli()
	const chunk = 20_000
	for start := 0; start < n; start += chunk {
		ds := make([]model.Datastream, 0, chunk)
		for i := start; i < min(n, start+chunk); i++ {
			ds = append(ds, model.Datastream{
				Key: "s/" + strconv.Itoa(i), Property: "gas_lel", Interval: time.Minute,
				Lon: 121.2 + float64(i%1000)*0.0006, Lat: 31.0 + float64(i/1000%1000)*0.0004, HasPoint: true,
			})
		}
		created, err := a.Inventory.CreateDatastreams(ctx, "bench", ds)
		if err != nil {
			return 0, err
		}
		obs := make([]model.Observation, len(created))
		for i, d := range created {
			obs[i] = model.Observation{Stream: d.ID, Time: now, Value: float64(i % 20)}
		}
		if err := a.Ingest.Submit(ctx, obs); err != nil {
			return 0, err
		}
	}
	return time.Since(began), nil
}

// MeasureOpen opens dir as the server would (registry, inventory, latest
// values, vital-signs engine, detectors) and reports the resident memory
// that costs. inspect, if not nil, runs while the platform is still open
// (e.g. to write a heap profile).
func MeasureOpen(ctx context.Context, dir string, inspect func()) (StreamsReport, error) {
	began := time.Now()
	a, err := app.Open(ctx, app.Config{DataDir: dir}, nil)
	if err != nil {
		return StreamsReport{}, err
	}
	defer a.Close()
	rep := StreamsReport{Streams: a.Registry.Len(), OpenSeconds: time.Since(began).Seconds()}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.HeapInuseBytes = ms.HeapInuse
	rep.RSSBytes, err = residentBytes()
	if inspect != nil {
		inspect()
	}
	if rep.Streams > 0 {
		rep.BytesPerStream = float64(rep.RSSBytes) / float64(rep.Streams)
	}
	return rep, err
}

// residentBytes reads VmRSS from /proc/self/status (Linux).
func residentBytes() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read resident memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("read resident memory: no VmRSS line")
}
