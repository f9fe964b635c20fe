package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"cityvitals/account"
	"cityvitals/app"
	"cityvitals/model"
	"cityvitals/mqtt"
	pebblestore "cityvitals/store/pebble"
)

// IngestOptions shape the ingest benchmark.
type IngestOptions struct {
	Streams     int           // datastreams registered and written round-robin
	Batch       int           // observations per HTTP request or MQTT message
	HTTPWorkers int           // concurrent HTTP clients
	MQTTClients int           // concurrent MQTT clients (QoS 1)
	Duration    time.Duration // length of each measured phase
	DataDir     string        // "" = a fresh temporary directory
	Logger      *slog.Logger
	// Units, when > 0, covers the streams' area with about this many grid
	// cells, so the engine evaluates per unit at realistic scale.
	Units int
	// ExtraIndicators adds this many generated grid-level indicators to
	// the default catalog.
	ExtraIndicators int
	// CompareEngine runs the platform phase twice, without and with the
	// vital-signs engine fed, and reports what the engine costs.
	CompareEngine bool
}

// IngestReport is what `cityvitals bench ingest --json` prints.
type IngestReport struct {
	ObsPerS      float64 `json:"obs_per_s"`
	HTTPObsPerS  float64 `json:"http_obs_per_s"`
	MQTTObsPerS  float64 `json:"mqtt_obs_per_s"`
	P50AckMs     float64 `json:"p50_ack_ms"`
	P99AckMs     float64 `json:"p99_ack_ms"`
	RawObsPerS   float64 `json:"raw_obs_per_s"`
	RatioToRaw   float64 `json:"ratio_to_raw"`
	Rejected     int64   `json:"rejected"`
	Overloaded   int64   `json:"overloaded"`
	Streams      int     `json:"streams"`
	Batch        int     `json:"batch"`
	HTTPWorkers  int     `json:"http_workers"`
	MQTTClients  int     `json:"mqtt_clients"`
	PhaseSeconds float64 `json:"phase_seconds"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
	// With CompareEngine: the same load without the engine, and the share
	// of throughput the engine costs (1 − with/without).
	ObsPerSNoEngine    float64 `json:"obs_per_s_engine_off,omitempty"`
	EngineCost         float64 `json:"engine_cost_share,omitempty"`
	Units              int     `json:"units,omitempty"`
	Indicators         int     `json:"indicators,omitempty"`
	EngineLevelChanges int64   `json:"engine_level_changes,omitempty"`
	// EngineDrainSeconds is how long the engine took, after the load
	// stopped, to catch up; ObsPerSSustained charges it to the run.
	EngineDrainSeconds float64 `json:"engine_drain_seconds,omitempty"`
	ObsPerSSustained   float64 `json:"obs_per_s_engine_sustained,omitempty"`
}

func (o *IngestOptions) defaults() {
	if o.Streams <= 0 {
		o.Streams = 10_000
	}
	if o.Batch <= 0 {
		o.Batch = 1_000
	}
	if o.HTTPWorkers <= 0 {
		o.HTTPWorkers = 8
	}
	if o.MQTTClients < 0 {
		o.MQTTClients = 0
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// RunIngest starts a platform on loopback, registers the streams, drives
// HTTP NDJSON and MQTT load at the same time for one phase, then writes
// the same kind of batches straight into a fresh history store for a
// second phase, and reports both rates.
func RunIngest(ctx context.Context, opts IngestOptions) (IngestReport, error) {
	opts.defaults()
	dir := opts.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "cityvitals-bench-")
		if err != nil {
			return IngestReport{}, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	rep := IngestReport{Streams: opts.Streams, Batch: opts.Batch, HTTPWorkers: opts.HTTPWorkers,
		MQTTClients: opts.MQTTClients, PhaseSeconds: opts.Duration.Seconds()}
	if opts.CompareEngine {
		var off IngestReport
		if err := runPlatformPhase(ctx, dir+"/engine-off", opts, true, &off); err != nil {
			return rep, err
		}
		rep.ObsPerSNoEngine = off.ObsPerS
	}
	if err := runPlatformPhase(ctx, dir+"/engine-on", opts, false, &rep); err != nil {
		return rep, err
	}
	if rep.ObsPerSNoEngine > 0 {
		rep.EngineCost = 1 - rep.ObsPerSSustained/rep.ObsPerSNoEngine
	}
	raw, err := runRawPhase(ctx, dir, opts)
	if err != nil {
		return rep, err
	}
	rep.RawObsPerS = raw
	if raw > 0 {
		rep.RatioToRaw = rep.ObsPerS / raw
	}
	return rep, nil
}

func runPlatformPhase(ctx context.Context, dir string, opts IngestOptions, noEngine bool, rep *IngestReport) error {
	cfg := app.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MQTTAddr: "127.0.0.1:0", NoEngine: noEngine}
	if opts.ExtraIndicators > 0 {
		file, err := writeExtraIndicators(dir, opts.ExtraIndicators)
		if err != nil {
			return err
		}
		cfg.IndicatorFiles = []string{file}
	}
	a, err := app.Open(ctx, cfg, opts.Logger)
	if err != nil {
		return err
	}
	rep.Indicators = len(a.Catalogs.Current().Programs())
	defer a.Close()
	runCtx, stop := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(runCtx) }()
	defer func() { stop(); <-runDone }()

	if opts.Units > 0 {
		if rep.Units, err = coverWithGrid(ctx, a, opts.Units); err != nil {
			return err
		}
	}
	ids, err := registerStreams(ctx, a, opts.Streams)
	if err != nil {
		return err
	}
	load := &loadState{ids: ids, batch: opts.Batch, start: time.Now().Add(-24 * time.Hour).UnixMilli()}
	phaseCtx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	var wg sync.WaitGroup
	var httpObs, mqttObs atomic.Int64
	errs := make(chan error, opts.HTTPWorkers+opts.MQTTClients)
	secret, err := deviceToken(ctx, a, "bench-http")
	if err != nil {
		return err
	}
	began := time.Now()
	for w := range opts.HTTPWorkers {
		wg.Go(func() { errs <- load.httpWorker(phaseCtx, "http://"+a.HTTPAddr(), secret, w, &httpObs) })
	}
	for c := range opts.MQTTClients {
		device := fmt.Sprintf("bench-mqtt-%d", c)
		tok, err := deviceToken(ctx, a, device)
		if err != nil {
			return err
		}
		wg.Go(func() { errs <- load.mqttWorker(phaseCtx, a.MQTTAddr(), device, tok, opts.HTTPWorkers+c, &mqttObs) })
	}
	wg.Wait()
	elapsed := time.Since(began).Seconds()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	rep.HTTPObsPerS = float64(httpObs.Load()) / elapsed
	rep.MQTTObsPerS = float64(mqttObs.Load()) / elapsed
	rep.ObsPerS = rep.HTTPObsPerS + rep.MQTTObsPerS
	rep.P50AckMs, rep.P99AckMs = load.percentiles()
	rep.Rejected, rep.Overloaded = load.rejected.Load(), load.overloaded.Load()
	if !noEngine {
		// The engine runs behind ingest on its own goroutine; what it has
		// not caught up with when the load stops is charged to the run.
		drainStart := time.Now()
		a.Engine.Flush()
		rep.EngineDrainSeconds = time.Since(drainStart).Seconds()
		rep.EngineLevelChanges = a.Engine.Stats().LevelChanges
		total := float64(httpObs.Load() + mqttObs.Load())
		rep.ObsPerSSustained = total / (elapsed + rep.EngineDrainSeconds)
	}
	return nil
}

func registerStreams(ctx context.Context, a *app.App, n int) ([]int64, error) {
	return registerStreamsOf(ctx, a, n, "pm25")
}

// registerStreamsOf registers n streams of a property on the lattice.
func registerStreamsOf(ctx context.Context, a *app.App, n int, property string) ([]int64, error) {
	ids := make([]int64, 0, n)
	for start := 0; start < n; start += 10_000 {
		var ds []model.Datastream
		for i := start; i < min(n, start+10_000); i++ {
			lon, lat := benchPlace(i)
			ds = append(ds, model.Datastream{Key: "bench/" + strconv.Itoa(i), Property: property, Interval: time.Minute,
				Lon: lon, Lat: lat, HasPoint: true})
		}
		created, err := a.Inventory.CreateDatastreams(ctx, "bench", ds)
		if err != nil {
			return nil, fmt.Errorf("register bench streams: %w", err)
		}
		for _, d := range created {
			ids = append(ids, d.ID)
		}
	}
	return ids, nil
}

func deviceToken(ctx context.Context, a *app.App, device string) (string, error) {
	secret, _, err := a.Accounts.IssueToken(ctx, "bench", account.NewToken{Kind: model.TokenDevice, Device: device})
	return secret, err
}

// loadState generates batches and collects acknowledgement latencies.
type loadState struct {
	ids        []int64
	batch      int
	start      int64 // first observation time, Unix ms
	seq        atomic.Int64
	mu         sync.Mutex
	latencies  []time.Duration
	rejected   atomic.Int64
	overloaded atomic.Int64
}

// nextBatch writes an NDJSON batch into buf. Every batch takes the next
// slice of streams round-robin, stamped with the wall clock as live
// devices stamp their readings (so event time, and with it the engine's
// ticks, advance as in operation).
func (l *loadState) nextBatch(buf *bytes.Buffer, rng *rand.Rand) {
	buf.Reset()
	n := l.seq.Add(int64(l.batch)) - int64(l.batch)
	t := time.Now().UnixMilli()
	for i := range int64(l.batch) {
		k := n + i
		id := l.ids[k%int64(len(l.ids))]
		buf.WriteString(`{"datastream":`)
		buf.WriteString(strconv.FormatInt(id, 10))
		buf.WriteString(`,"time":`)
		buf.WriteString(strconv.FormatInt(t, 10))
		buf.WriteString(`,"value":`)
		buf.WriteString(strconv.FormatFloat(normalReading(id, rng), 'f', 2, 64))
		buf.WriteString("}\n")
	}
}

func (l *loadState) record(d time.Duration) {
	l.mu.Lock()
	l.latencies = append(l.latencies, d)
	l.mu.Unlock()
}

func (l *loadState) percentiles() (p50, p99 float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.latencies) == 0 {
		return 0, 0
	}
	slices.Sort(l.latencies)
	at := func(q float64) float64 {
		return float64(l.latencies[int(q*float64(len(l.latencies)-1))]) / float64(time.Millisecond)
	}
	return at(0.50), at(0.99)
}

func (l *loadState) httpWorker(ctx context.Context, base, secret string, seed int, accepted *atomic.Int64) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	var buf bytes.Buffer
	for ctx.Err() == nil {
		l.nextBatch(&buf, rng)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/observations", bytes.NewReader(buf.Bytes()))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/x-ndjson")
		began := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			l.record(time.Since(began))
			accepted.Add(int64(l.batch))
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			l.overloaded.Add(1)
			time.Sleep(50 * time.Millisecond)
		default:
			l.rejected.Add(1)
			return fmt.Errorf("bench: HTTP %d: %.200s", resp.StatusCode, body)
		}
	}
	return ctx.Err()
}

func (l *loadState) mqttWorker(ctx context.Context, addr, device, secret string, seed int, accepted *atomic.Int64) error {
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(device).
		SetUsername(device).SetPassword(secret).SetCleanSession(true).SetAutoReconnect(false)
	c := paho.NewClient(opts)
	if t := c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return fmt.Errorf("bench: MQTT connect %s: %v", device, t.Error())
	}
	defer c.Disconnect(100)
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	var buf bytes.Buffer
	topic := mqtt.ObservationsTopic(device)
	for ctx.Err() == nil {
		l.nextBatch(&buf, rng)
		began := time.Now()
		t := c.Publish(topic, 1, false, bytes.Clone(buf.Bytes()))
		if !t.WaitTimeout(30*time.Second) || t.Error() != nil {
			return fmt.Errorf("bench: MQTT publish: %v", t.Error())
		}
		l.record(time.Since(began))
		accepted.Add(int64(l.batch))
	}
	return ctx.Err()
}

// runRawPhase writes the same batches straight into a fresh history store
// with as many concurrent writers as the platform phase had clients.
func runRawPhase(ctx context.Context, dir string, opts IngestOptions) (float64, error) {
	h, err := pebblestore.Open(dir+"/raw", pebblestore.Options{})
	if err != nil {
		return 0, err
	}
	defer h.Close()
	ids := make([]int64, opts.Streams)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	l := &loadState{ids: ids, batch: opts.Batch, start: time.Now().Add(-24 * time.Hour).UnixMilli()}
	phaseCtx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	var written atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, opts.HTTPWorkers+opts.MQTTClients)
	began := time.Now()
	for w := range max(1, opts.HTTPWorkers+opts.MQTTClients) {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			obs := make([]model.Observation, l.batch)
			for phaseCtx.Err() == nil {
				n := l.seq.Add(int64(l.batch)) - int64(l.batch)
				for i := range obs {
					k := n + int64(i)
					obs[i] = model.Observation{Stream: ids[k%int64(len(ids))], Time: l.start + (k/int64(len(ids)))*1000, Value: normalReading(ids[k%int64(len(ids))], rng)}
				}
				if err := h.Write(context.Background(), obs); err != nil {
					errs <- err
					return
				}
				written.Add(int64(len(obs)))
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(written.Load()) / time.Since(began).Seconds(), nil
}

// normalReading is a PM2.5 reading of a city on a normal day: each stream
// near its own level (10–29 µg/m³) with a little noise, so that, as in
// real operation, level changes are rare and the engine's steady cost is
// what is measured, not a storm of warnings.
func normalReading(stream int64, rng *rand.Rand) float64 {
	return 10 + float64(stream%20) + rng.Float64()*2
}
