package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"cityvitals/account"
	"cityvitals/app"
	"cityvitals/model"
	"cityvitals/simulate"
	"cityvitals/store"
)

// DashboardOptions shape the dashboard benchmark (issue #7): many duty
// officers' screens reading the API of the demo city while its simulator
// feeds it. Zero fields take the defaults of the full-size run.
type DashboardOptions struct {
	Viewers  int           // concurrent dashboards (default 100)
	Rate     float64       // simulator observations per second (default 50,000)
	Warmup   time.Duration // load before the measured window (default 10 s)
	Duration time.Duration // the measured window (default 60 s)
	// Think is the mean pause between two looks of one viewer (default
	// 1 s); each pause is drawn uniformly from [Think/2, 3·Think/2].
	Think time.Duration
	// HistoryShare is the share of looks that also open an indicator's
	// history chart (default 0.2; negative: never).
	HistoryShare float64
	Seed         int64          // demo city and walk seed (default 1)
	Scale        simulate.Scale // demo city size (default small)
	EngineStep   time.Duration  // engine tick and lateness, as `cityvitals demo` (default 5 s)
	Backfill     bool           // send the demo's recent history first, as `cityvitals demo` does
	DataDir      string         // "" = a fresh temporary directory, removed afterwards
	Logger       *slog.Logger
	// CPUProfile, if set, receives a CPU profile of the measured window.
	CPUProfile io.Writer
}

// DashboardReport is what `cityvitals bench dashboard --json` prints.
// Latencies are client-side, from sending a request to having read its
// whole body, for calls started within the measured window.
type DashboardReport struct {
	Viewers      int     `json:"viewers"`
	Scale        string  `json:"scale"`
	Units        int     `json:"units"`
	Streams      int     `json:"streams"`
	ThinkMs      float64 `json:"think_ms"`
	WindowS      float64 `json:"window_s"`
	EngineStepMs int64   `json:"engine_step_ms"`
	// OfferedObsPerS is the simulator's target and ScheduledObsPerS what
	// its schedule adds up to (each stream's period is rounded to the
	// millisecond; 0.5 % of readings are then lost on purpose, as devices
	// lose them). IngestedObsPerS is what the platform wrote durably
	// during the window (its ingest counter); AckedObsPerS what the
	// simulator had acknowledged in the window.
	OfferedObsPerS   float64 `json:"offered_obs_per_s"`
	ScheduledObsPerS float64 `json:"scheduled_obs_per_s"`
	IngestedObsPerS  float64 `json:"ingested_obs_per_s"`
	AckedObsPerS     float64 `json:"acked_obs_per_s"`
	// SimLagMaxMs is the simulator's worst lag in the window: how far
	// behind the wall clock the newest reading of a batch was when the
	// platform acknowledged it. ReadingsLost counts refused batches' items.
	SimLagMaxMs  float64 `json:"sim_lag_max_ms"`
	ReadingsLost int64   `json:"readings_lost"`

	// UnitsViewed counts the distinct units the viewers looked at in the
	// window (the city, districts, streets and grid cells of their walks).
	UnitsViewed  int             `json:"units_viewed"`
	Requests     int             `json:"requests"`
	Errors       int             `json:"errors"`
	RequestsPerS float64         `json:"requests_per_s"`
	Overall      LatencySummary  `json:"overall"`
	Endpoints    []EndpointStats `json:"endpoints"`
	// What the platform held at the end of the window: running SLA
	// clocks (every board request ranks them all) and open alerts (the
	// feed lists firing and pending ones). They grow as the simulated
	// city raises alerts, so they differ from run to run.
	RunningClocks int `json:"running_clocks"`
	AlertsFiring  int `json:"alerts_firing"`
	AlertsPending int `json:"alerts_pending"`

	// SSE: streams held open at the end of the window (3 per viewer when
	// all is well), events received in the window, and streams that ended
	// before the run did (each is reopened, as the dashboard does).
	SSEOpen   int   `json:"sse_open"`
	SSEEvents int64 `json:"sse_events"`
	SSEDrops  int64 `json:"sse_drops"`

	// SlowPerSecond counts, for each whole second of the window, the
	// calls started in it that took longer than the 50 ms goal: a tail
	// spread evenly is steady contention, one in a few seconds is stalls.
	SlowPerSecond []int `json:"slow_per_s"`
	// CPUPerSecond is, for each whole second of the window, the CPU this
	// process used and the CPU the whole machine used, in cores (from
	// /proc; empty where it cannot be read): slow seconds with the
	// machine busy and this process not are other people's load.
	ProcessCPUPerSecond []float64 `json:"process_cpu_per_s"`
	MachineCPUPerSecond []float64 `json:"machine_cpu_per_s"`
	// SchedLatency is how long this process's goroutines (server and
	// viewers alike) waited runnable for a CPU during the window (the Go
	// runtime's /sched/latencies histogram; bucket upper bounds): the
	// part of any call's latency no handler can remove.
	SchedLatency LatencySummary `json:"sched_latency"`

	LoadAvgBefore [3]float64 `json:"loadavg_before"`
	LoadAvgAfter  [3]float64 `json:"loadavg_after"`
	NumCPU        int        `json:"num_cpu"`
	GOMAXPROCS    int        `json:"gomaxprocs"`
	// GoalMet: issue #7's p99 ≤ 50 ms over every call, no failed call,
	// and the simulator's load ingested at ≥ 95 % of the offered rate.
	GoalMet bool `json:"goal_met"`
}

// LatencySummary is the distribution of a set of calls, in milliseconds.
type LatencySummary struct {
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// EndpointStats is one kind of call the dashboard makes.
type EndpointStats struct {
	Endpoint string `json:"endpoint"`
	Requests int    `json:"requests"`
	Errors   int    `json:"errors"`
	LatencySummary
	// FirstError is one failed call's reason, to start looking from.
	FirstError string `json:"first_error,omitempty"`
}

// The goal of issue #7.
const (
	dashboardP99Goal    = 50 * time.Millisecond
	dashboardRateShare  = 0.95
	dashboardMaxViewers = 10_000
)

// The endpoints, named as the dashboard calls them.
const (
	epLogin         = "POST /auth/login"
	epUnit          = "GET /units/{code}"
	epGeoJSON       = "GET /units/{code}/children?format=geojson"
	epVitals        = "GET /vitals/units/{code}"
	epChildVitals   = "GET /vitals/units/{code}/children"
	epHistory       = "GET /vitals/units/{code}/history/{indicator}"
	epAlertsFiring  = "GET /alerts?state=firing"
	epAlertsPending = "GET /alerts?state=pending"
	epBoard         = "GET /incidents/board?under="
)

// sseStreams are the live streams every viewer holds open.
var sseStreams = []string{"/api/v1/alerts/stream", "/api/v1/incidents/stream", "/api/v1/vitals/changes/stream"}

func (o *DashboardOptions) defaults() {
	if o.Viewers == 0 {
		o.Viewers = 100
	}
	if o.Rate == 0 {
		o.Rate = 50_000
	}
	fill := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	fill(&o.Warmup, 10*time.Second)
	fill(&o.Duration, time.Minute)
	fill(&o.Think, time.Second)
	fill(&o.EngineStep, 5*time.Second)
	if o.HistoryShare == 0 {
		o.HistoryShare = 0.2
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Scale == "" {
		o.Scale = simulate.ScaleSmall
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

func (o DashboardOptions) validate() error {
	switch {
	case o.Viewers < 1 || o.Viewers > dashboardMaxViewers:
		return model.Errorf(model.EINVALID, "dashboard: %d viewers, want 1..%d", o.Viewers, dashboardMaxViewers)
	case math.IsNaN(o.Rate) || o.Rate < 0 || o.Rate > simulate.MaxRate:
		return model.Errorf(model.EINVALID, "dashboard: rate %g obs/s, want 0..%d", o.Rate, simulate.MaxRate)
	case o.Duration < time.Second:
		return model.Errorf(model.EINVALID, "dashboard: duration %v, want at least 1s", o.Duration)
	case o.Warmup < 0 || o.Think < 0 || o.EngineStep < 0:
		return model.Errorf(model.EINVALID, "dashboard: warm-up %v, think %v, engine step %v: none may be negative", o.Warmup, o.Think, o.EngineStep)
	case o.HistoryShare > 1:
		return model.Errorf(model.EINVALID, "dashboard: history share %g, want at most 1", o.HistoryShare)
	}
	return nil
}

// RunDashboard builds the demo city in process as `cityvitals demo` does,
// feeds it with the simulator over HTTP at opts.Rate, and lets opts.Viewers
// dashboards sign in, hold the three live streams open and walk the unit
// tree as duty officers do, timing every call they make.
func RunDashboard(ctx context.Context, opts DashboardOptions) (DashboardReport, error) {
	opts.defaults()
	if err := opts.validate(); err != nil {
		return DashboardReport{}, err
	}
	dir, cleanup, err := benchDir(opts.DataDir, "cityvitals-dashboard-")
	if err != nil {
		return DashboardReport{}, err
	}
	defer cleanup()
	city, err := simulate.GenerateCity(opts.Seed, opts.Scale)
	if err != nil {
		return DashboardReport{}, fmt.Errorf("dashboard: generate the demo city: %w", err)
	}
	cfg := app.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", EngineStep: opts.EngineStep, EngineLateness: opts.EngineStep}
	a, err := app.Open(ctx, cfg, opts.Logger)
	if err != nil {
		return DashboardReport{}, fmt.Errorf("dashboard: open the platform: %w", err)
	}
	defer a.Close()
	installed, err := simulate.Install(ctx, simulate.Platform{Inventory: a.Inventory, Teams: a.DB, Accounts: a.Accounts}, city)
	if err != nil {
		return DashboardReport{}, fmt.Errorf("dashboard: install the demo city: %w", err)
	}
	creds, err := createViewers(ctx, a, opts.Viewers)
	if err != nil {
		return DashboardReport{}, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	run := &dashboardRun{opts: opts, app: a, city: city, base: "http://" + a.HTTPAddr(), creds: creds}
	return run.execute(ctx, installed.DeviceToken)
}

func benchDir(dir, prefix string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, fmt.Errorf("bench: data directory: %w", err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// credential is one viewer's sign-in.
type credential struct{ name, password string }

// createViewers creates one viewer account per dashboard, as many at a
// time as there are CPUs (each password is hashed with argon2id, which
// is meant to be slow).
func createViewers(ctx context.Context, a *app.App, n int) ([]credential, error) {
	creds := make([]credential, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
	for i := range creds {
		creds[i] = credential{name: fmt.Sprintf("bench-viewer-%04d", i), password: fmt.Sprintf("bench-viewer-password-%04d", i)}
		g.Go(func() error {
			_, err := a.Accounts.CreateUser(gctx, "bench", account.NewUser{Name: creds[i].name, Password: creds[i].password, Role: model.RoleViewer})
			if err != nil {
				return fmt.Errorf("dashboard: create viewer %s: %w", creds[i].name, err)
			}
			return nil
		})
	}
	return creds, g.Wait()
}

// dashboardRun is one run against a started platform.
type dashboardRun struct {
	opts  DashboardOptions
	app   *app.App
	city  *simulate.City
	base  string
	creds []credential
}

// window is the measured span, by the wall clock.
type window struct{ from, to time.Time }

func (w window) contains(t time.Time) bool { return !t.Before(w.from) && t.Before(w.to) }

// execute starts the simulator, waits until it is live, lets the
// viewers watch, and stops the simulator before reporting.
func (r *dashboardRun) execute(ctx context.Context, deviceToken string) (DashboardReport, error) {
	simCtx, stopSim := context.WithCancel(ctx)
	defer stopSim()
	sink, simDone, err := r.startSimulator(simCtx, deviceToken)
	if err != nil {
		return DashboardReport{}, err
	}
	if err := sink.awaitLive(ctx, simDone); err != nil {
		return DashboardReport{}, err
	}
	obs, err := r.watch(ctx)
	stopSim()
	if simErr := <-simDone; err == nil && simErr != nil {
		err = fmt.Errorf("dashboard: simulator: %w", simErr)
	}
	if err != nil {
		return DashboardReport{}, err
	}
	return r.report(obs, sink), nil
}

// observed is what a run saw besides the simulator's side.
type observed struct {
	viewers []*viewer
	window  window
	span    measuredSpan
	sseOpen int // live streams open at the end of the window
	held    holdings
}

// watch signs the viewers in, lets them look through the warm-up and
// the window, and stops them.
func (r *dashboardRun) watch(ctx context.Context) (observed, error) {
	client := viewerClient(r.opts.Viewers)
	defer client.CloseIdleConnections()
	sseCtx, closeStreams := context.WithCancel(ctx)
	defer closeStreams()
	viewers, err := r.signIn(ctx, sseCtx, client)
	if err != nil {
		return observed{}, err
	}
	// Viewers finish the look they are in when told to stop, so no call
	// of the window is cut short and lost from the figures.
	stopLooking := make(chan struct{})
	var wg sync.WaitGroup
	for _, v := range viewers {
		wg.Go(func() { v.run(ctx, stopLooking) })
	}
	obs := observed{viewers: viewers}
	obs.window, obs.span, err = r.measure(ctx)
	obs.sseOpen = openStreams(viewers)
	held, heldErr := r.platformHolds(ctx)
	obs.held = held
	close(stopLooking)
	wg.Wait()
	return obs, errors.Join(err, heldErr)
}

// startSimulator plays the demo city through a metered HTTP sink.
func (r *dashboardRun) startSimulator(ctx context.Context, deviceToken string) (*meteredSink, <-chan error, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	httpSink, err := simulate.NewHTTPSink(r.base, deviceToken, &http.Client{Transport: tr})
	if err != nil {
		return nil, nil, fmt.Errorf("dashboard: simulator sink: %w", err)
	}
	sink := &meteredSink{next: httpSink, live: make(chan struct{})}
	sim, err := simulate.New(simulate.Config{City: r.city, Sink: sink, Rate: r.opts.Rate, Backfill: r.opts.Backfill, Logger: r.opts.Logger})
	if err != nil {
		return nil, nil, fmt.Errorf("dashboard: simulator: %w", err)
	}
	sink.start = sim.Start()
	sink.sim = sim
	r.app.AttachSimulator(sim)
	done := make(chan error, 1)
	go func() { done <- sim.Run(ctx) }()
	return sink, done, nil
}

// measuredSpan is what the window measured besides the viewers' calls.
type measuredSpan struct {
	ingested              float64 // observations written durably in the window
	loadBefore, loadAfter [3]float64
	sched                 LatencySummary
	process, machine      []float64 // cores used in each second
}

// measure waits out the warm-up, then the window, reading the ingest
// counter and the load average at both ends and profiling in between.
func (r *dashboardRun) measure(ctx context.Context) (window, measuredSpan, error) {
	var m measuredSpan
	if err := pause(ctx, r.opts.Warmup); err != nil {
		return window{}, m, err
	}
	before, err := r.ingestedTotal()
	if err != nil {
		return window{}, m, err
	}
	m.loadBefore = loadAverage()
	schedBefore := schedLatencies()
	if r.opts.CPUProfile != nil {
		if err := pprof.StartCPUProfile(r.opts.CPUProfile); err != nil {
			return window{}, m, fmt.Errorf("dashboard: CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	w := window{from: time.Now()}
	cpu := sampleCPU(ctx, r.opts.Duration)
	if err := pause(ctx, r.opts.Duration); err != nil {
		return window{}, m, err
	}
	w.to = time.Now()
	m.process, m.machine = cpu()
	after, err := r.ingestedTotal()
	if err != nil {
		return window{}, m, err
	}
	m.ingested, m.loadAfter = after-before, loadAverage()
	m.sched = histogramSummary(schedLatencies(), schedBefore)
	return w, m, nil
}

// clockTicks is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTicks = 100

// sampleCPU reads this process's and the machine's CPU time once a
// second for d; the function it returns waits for the last sample and
// gives the cores each used in each second.
func sampleCPU(ctx context.Context, d time.Duration) func() (process, machine []float64) {
	done := make(chan struct{})
	var process, machine []float64
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		prevP, okP := processTicks()
		prevM, okM := machineTicks()
		for range int(d / time.Second) {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			p, okp := processTicks()
			m, okm := machineTicks()
			if !(okP && okp && okM && okm) {
				return
			}
			process = append(process, float64(p-prevP)/clockTicks)
			machine = append(machine, float64(m-prevM)/clockTicks)
			prevP, prevM = p, m
		}
	}()
	return func() ([]float64, []float64) {
		<-done
		return process, machine
	}
}

// processTicks is this process's user + system time in clock ticks.
func processTicks() (uint64, bool) {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The command name may hold spaces; the fields after it do not.
	_, rest, ok := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	return utime + stime, err1 == nil && err2 == nil
}

// machineTicks is the time all CPUs spent busy in clock ticks: neither
// idle nor waiting for I/O. Steal counts as busy: the hypervisor gave
// that time to someone else.
func machineTicks() (uint64, bool) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, false
	}
	var busy uint64
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, false
		}
		if i != 3 && i != 4 && i < 8 { // skip idle, iowait; guest time is already in user
			busy += n
		}
	}
	return busy, true
}

// schedLatencies reads the runtime's histogram of how long goroutines
// waited runnable before they ran.
func schedLatencies() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s[0].Value.Float64Histogram()
}

// histogramSummary summarises the counts added between two reads of the
// same runtime histogram, each quantile as its bucket's upper bound.
func histogramSummary(now, before *metrics.Float64Histogram) LatencySummary {
	if now == nil || before == nil || len(now.Counts) != len(before.Counts) {
		return LatencySummary{}
	}
	counts := make([]uint64, len(now.Counts))
	var total uint64
	for i := range counts {
		counts[i] = now.Counts[i] - before.Counts[i]
		total += counts[i]
	}
	if total == 0 {
		return LatencySummary{}
	}
	at := func(q float64) float64 {
		rank := uint64(math.Ceil(q * float64(total)))
		var seen uint64
		for i, c := range counts {
			if seen += c; c > 0 && seen >= rank {
				return bucketBoundMs(now.Buckets, i)
			}
		}
		return bucketBoundMs(now.Buckets, len(counts)-1)
	}
	return LatencySummary{P50Ms: at(0.5), P95Ms: at(0.95), P99Ms: at(0.99), MaxMs: at(1)}
}

// bucketBoundMs is bucket i's upper bound, or its lower one when the
// bucket is open-ended.
func bucketBoundMs(bounds []float64, i int) float64 {
	if hi := bounds[i+1]; !math.IsInf(hi, 1) {
		return hi * 1000
	}
	return bounds[i] * 1000
}

// slowPerSecond counts the calls slower than goal by the whole second of
// the window they started in.
func slowPerSecond(calls []call, w window, goal time.Duration) []int {
	bins := make([]int, int(w.to.Sub(w.from)/time.Second))
	for _, c := range calls {
		if b := int(c.at.Sub(w.from) / time.Second); c.took > goal && b < len(bins) {
			bins[b]++
		}
	}
	return bins
}

// holdings is what the platform held at the end of the window.
type holdings struct {
	clocks int
	alerts map[model.AlertState]int
}

// platformHolds counts the running clocks and the open alerts in the
// platform's own store.
func (r *dashboardRun) platformHolds(ctx context.Context) (holdings, error) {
	clocked, err := r.app.DB.ClockedIncidents(ctx)
	if err != nil {
		return holdings{}, fmt.Errorf("dashboard: count the running clocks: %w", err)
	}
	h := holdings{clocks: len(clocked), alerts: map[model.AlertState]int{}}
	for _, state := range []model.AlertState{model.AlertFiring, model.AlertPending} {
		for page := (store.Page{Limit: 1000}); ; {
			items, next, err := r.app.DB.Alerts(ctx, store.AlertFilter{State: state}, page)
			if err != nil {
				return holdings{}, fmt.Errorf("dashboard: count the %s alerts: %w", state, err)
			}
			h.alerts[state] += len(items)
			if next == "" {
				break
			}
			page.After = next
		}
	}
	return h, nil
}

// ingestedTotal reads the platform's own count of durable observations.
func (r *dashboardRun) ingestedTotal() (float64, error) {
	families, err := r.app.Metrics.Gather()
	if err != nil {
		return 0, fmt.Errorf("dashboard: read the ingest metrics: %w", err)
	}
	for _, f := range families {
		if f.GetName() != "cityvitals_ingest_observations_total" {
			continue
		}
		total := 0.0
		for _, m := range f.GetMetric() {
			total += m.GetCounter().GetValue()
		}
		return total, nil
	}
	return 0, errors.New("dashboard: the platform exports no cityvitals_ingest_observations_total")
}

// loadAverage is the 1, 5 and 15 minute load of the machine (zeros where
// /proc/loadavg cannot be read).
func loadAverage() [3]float64 {
	var out [3]float64
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return out
	}
	for i, f := range strings.Fields(string(raw)) {
		if i >= len(out) {
			break
		}
		out[i], _ = strconv.ParseFloat(f, 64)
	}
	return out
}

// report assembles the figures of a finished run.
func (r *dashboardRun) report(obs observed, sink *meteredSink) DashboardReport {
	w, m := obs.window, obs.span
	secs := w.to.Sub(w.from).Seconds()
	_, lost := sink.sim.Stats()
	rep := DashboardReport{Viewers: r.opts.Viewers, Scale: string(r.opts.Scale), Units: len(r.city.Units), Streams: len(r.city.Streams),
		ThinkMs: msOf(r.opts.Think), WindowS: secs, EngineStepMs: r.opts.EngineStep.Milliseconds(),
		OfferedObsPerS: r.opts.Rate, IngestedObsPerS: m.ingested / secs, ReadingsLost: lost,
		RunningClocks: obs.held.clocks, AlertsFiring: obs.held.alerts[model.AlertFiring], AlertsPending: obs.held.alerts[model.AlertPending],
		SSEOpen: obs.sseOpen, SchedLatency: m.sched, ProcessCPUPerSecond: m.process, MachineCPUPerSecond: m.machine,
		LoadAvgBefore: m.loadBefore, LoadAvgAfter: m.loadAfter, NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	for i := range r.city.Streams {
		rep.ScheduledObsPerS += 1 / sink.sim.Period(i).Seconds()
	}
	acked, lag := sink.within(w)
	rep.AckedObsPerS, rep.SimLagMaxMs = float64(acked)/secs, msOf(lag)
	calls := callsWithin(obs.viewers, w)
	for _, v := range obs.viewers {
		rep.SSEEvents += v.sseEventsIn(w)
		rep.SSEDrops += v.sseDrops.Load()
	}
	rep.Endpoints, rep.Overall = summarise(calls)
	rep.Requests, rep.RequestsPerS = len(calls), float64(len(calls))/secs
	rep.UnitsViewed = unitsOf(calls)
	rep.SlowPerSecond = slowPerSecond(calls, w, dashboardP99Goal)
	for _, e := range rep.Endpoints {
		rep.Errors += e.Errors
	}
	rep.GoalMet = rep.Requests > 0 && rep.Errors == 0 && rep.Overall.P99Ms <= msOf(dashboardP99Goal) &&
		rep.IngestedObsPerS >= dashboardRateShare*rep.OfferedObsPerS
	return rep
}

// callsWithin is every viewer's calls sent within w.
func callsWithin(viewers []*viewer, w window) []call {
	var calls []call
	for _, v := range viewers {
		for _, c := range v.calls {
			if w.contains(c.at) {
				calls = append(calls, c)
			}
		}
	}
	return calls
}

// unitsOf counts the distinct units the calls were about.
func unitsOf(calls []call) int {
	units := map[string]bool{}
	for _, c := range calls {
		units[c.unit] = true
	}
	return len(units)
}

// summarise groups calls by endpoint (sorted by name) and over all.
func summarise(calls []call) ([]EndpointStats, LatencySummary) {
	byEndpoint := map[string][]call{}
	for _, c := range calls {
		byEndpoint[c.endpoint] = append(byEndpoint[c.endpoint], c)
	}
	var out []EndpointStats
	for name, cs := range byEndpoint {
		e := EndpointStats{Endpoint: name, Requests: len(cs), LatencySummary: latencyOf(cs)}
		for _, c := range cs {
			if c.err != "" {
				e.Errors++
				if e.FirstError == "" {
					e.FirstError = c.err
				}
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b EndpointStats) int { return strings.Compare(a.Endpoint, b.Endpoint) })
	return out, latencyOf(calls)
}

func latencyOf(calls []call) LatencySummary {
	lat := make([]time.Duration, len(calls))
	for i, c := range calls {
		lat[i] = c.took
	}
	return LatencySummary{P50Ms: quantileMs(lat, 0.5), P95Ms: quantileMs(lat, 0.95), P99Ms: quantileMs(lat, 0.99), MaxMs: quantileMs(lat, 1)}
}

// meteredSink passes the simulator's batches on and notes, per
// acknowledged batch, when it was acknowledged, its size and how far its
// newest reading trailed the wall clock.
type meteredSink struct {
	next  simulate.Sink
	start time.Time // the simulator's live schedule begins here
	sim   *simulate.Simulator
	live  chan struct{} // closed once a live batch arrives less than a second late

	mu       sync.Mutex
	batches  []sinkBatch
	liveOnce sync.Once
}

type sinkBatch struct {
	at  time.Time
	n   int
	lag time.Duration
}

// liveLag is how close to the wall clock the simulator must be before
// the viewers start: the backfill and the catch-up after it are behind.
const liveLag = time.Second

func (s *meteredSink) Send(ctx context.Context, rs []simulate.Reading) error {
	if err := s.next.Send(ctx, rs); err != nil {
		return err
	}
	now := time.Now()
	newest := rs[len(rs)-1].Time
	s.mu.Lock()
	s.batches = append(s.batches, sinkBatch{at: now, n: len(rs), lag: now.Sub(newest)})
	s.mu.Unlock()
	if !newest.Before(s.start) && now.Sub(newest) < liveLag {
		s.liveOnce.Do(func() { close(s.live) })
	}
	return nil
}

// awaitLive returns once the simulator sends live readings on time.
func (s *meteredSink) awaitLive(ctx context.Context, simDone <-chan error) error {
	select {
	case <-s.live:
		return nil
	case err := <-simDone:
		return fmt.Errorf("dashboard: the simulator stopped before going live: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// within sums the readings acknowledged in w and their worst lag.
func (s *meteredSink) within(w window) (n int, worst time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.batches {
		if w.contains(b.at) {
			n += b.n
			worst = max(worst, b.lag)
		}
	}
	return n, worst
}

// viewerClient is the HTTP client of every dashboard: enough idle
// connections that no call waits for a handshake a browser would not do.
func viewerClient(viewers int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = viewers * 8
	tr.MaxIdleConnsPerHost = viewers * 8
	return &http.Client{Transport: tr}
}

// signIn logs every viewer in through the API and opens its live
// streams, which stay open until sseCtx ends.
func (r *dashboardRun) signIn(ctx, sseCtx context.Context, client *http.Client) ([]*viewer, error) {
	viewers := make([]*viewer, len(r.creds))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
	for i, cred := range r.creds {
		g.Go(func() error {
			v := &viewer{base: r.base, client: client, opts: r.opts, rng: rand.New(rand.NewPCG(uint64(r.opts.Seed), uint64(i))),
				path: []string{simulate.CityCode}, children: map[string][]string{}, mapped: map[string]bool{}}
			if err := v.login(gctx, cred); err != nil {
				return err
			}
			viewers[i] = v
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, v := range viewers {
		if err := v.openStreams(sseCtx); err != nil {
			return nil, err
		}
	}
	return viewers, nil
}

func openStreams(viewers []*viewer) int {
	n := 0
	for _, v := range viewers {
		n += int(v.sseOpen.Load())
	}
	return n
}

// call is one timed API call.
type call struct {
	endpoint string
	unit     string    // the unit on screen
	at       time.Time // when it was sent
	took     time.Duration
	err      string // "" when it answered 2xx and its body was read whole
}

// viewer is one dashboard: a signed-in session walking the unit tree.
type viewer struct {
	base   string
	client *http.Client
	opts   DashboardOptions
	token  string
	rng    *rand.Rand

	path     []string            // city … current unit
	children map[string][]string // what the map showed under each unit seen
	mapped   map[string]bool     // units whose child polygons were loaded
	calls    []call              // touched only by run's goroutine

	sseOpen   atomic.Int64
	sseDrops  atomic.Int64
	sseMu     sync.Mutex
	sseEvents []time.Time
}

func (v *viewer) login(ctx context.Context, cred credential) error {
	body, _ := json.Marshal(map[string]string{"name": cred.name, "password": cred.password})
	c, raw := v.do(ctx, epLogin, http.MethodPost, "/api/v1/auth/login", body)
	if c.err != "" {
		return fmt.Errorf("dashboard: sign in as %s: %s", cred.name, c.err)
	}
	var res struct{ Token string }
	if err := json.Unmarshal(raw, &res); err != nil || res.Token == "" {
		return fmt.Errorf("dashboard: sign in as %s: no token in the answer", cred.name)
	}
	v.token = res.Token
	return nil
}

// do sends one call and reads its whole answer, timing both.
func (v *viewer) do(ctx context.Context, endpoint, method, path string, body []byte) (call, []byte) {
	c := call{endpoint: endpoint, at: time.Now()}
	raw, err := v.exchange(ctx, method, path, body)
	c.took = time.Since(c.at)
	if err != nil {
		c.err = err.Error()
	}
	return c, raw
}

func (v *viewer) exchange(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, v.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if v.token != "" {
		req.Header.Set("Authorization", "Bearer "+v.token)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return raw, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, raw)
	}
	return raw, nil
}

// run looks, thinks and moves until stop is closed or ctx ends. Viewers
// start spread over one think time, as screens are not opened in the same
// millisecond.
func (v *viewer) run(ctx context.Context, stop <-chan struct{}) {
	if !v.think(ctx, stop, v.thinkTime()/2) {
		return
	}
	for {
		v.look(ctx)
		if !v.think(ctx, stop, v.thinkTime()) {
			return
		}
		v.move()
	}
}

// think pauses for d; false if the viewer was stopped meanwhile.
func (v *viewer) think(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
	case <-ctx.Done():
	}
	return false
}

func (v *viewer) thinkTime() time.Duration {
	return time.Duration((0.5 + v.rng.Float64()) * float64(v.opts.Think))
}

func (v *viewer) current() string { return v.path[len(v.path)-1] }

// vitalsCode is the unit as the vital-signs routes name it: the city is
// "city" there, as the dashboard calls it.
func (v *viewer) vitalsCode() string {
	if len(v.path) == 1 {
		return "city"
	}
	return v.current()
}

// move walks the tree as a duty officer does: down into a child shown on
// the map half the time, back up a level (or two) sometimes, otherwise
// staying to watch the same unit refresh.
func (v *viewer) move() {
	kids := v.children[v.current()]
	switch p := v.rng.Float64(); {
	case len(kids) > 0 && p < 0.5:
		v.path = append(v.path, kids[v.rng.IntN(len(kids))])
	case len(v.path) > 1 && p < 0.8:
		v.path = v.path[:len(v.path)-1]
	case len(v.path) > 2 && p < 0.85:
		v.path = v.path[:len(v.path)-2]
	}
}

// look loads what the dashboard shows for the current unit, the panels
// in parallel as the browser does: the unit and (once) its children's
// polygons, the vital signs and the children's colours, the open alerts,
// the incident board under the unit, and sometimes one indicator's chart.
func (v *viewer) look(ctx context.Context) {
	code := v.current()
	esc := url.PathEscape(code)
	under := ""
	if len(v.path) > 1 {
		under = url.QueryEscape(code)
	}
	calls := []request{
		{endpoint: epUnit, path: "/api/v1/units/" + esc},
		{endpoint: epVitals, path: "/api/v1/vitals/units/" + url.PathEscape(v.vitalsCode()), keep: true},
		{endpoint: epChildVitals, path: "/api/v1/vitals/units/" + esc + "/children", keep: true},
		{endpoint: epAlertsFiring, path: "/api/v1/alerts?state=firing&limit=200"},
		{endpoint: epAlertsPending, path: "/api/v1/alerts?state=pending&limit=100"},
		{endpoint: epBoard, path: "/api/v1/incidents/board?under=" + under},
	}
	if !v.mapped[code] {
		calls = append(calls, request{endpoint: epGeoJSON, path: "/api/v1/units/" + esc + "/children?format=geojson"})
	}
	answers := v.parallel(ctx, code, calls)
	v.mapped[code] = true
	v.learn(code, answers[2])
	if v.rng.Float64() < v.opts.HistoryShare {
		v.openHistory(ctx, answers[1])
	}
}

// request is one call of a look; keep asks for its answer back.
type request struct {
	endpoint, path string
	keep           bool
}

// parallel sends the calls about unit at once and records them in order;
// answers holds the bodies of the calls marked keep.
func (v *viewer) parallel(ctx context.Context, unit string, reqs []request) [][]byte {
	calls := make([]call, len(reqs))
	answers := make([][]byte, len(reqs))
	var wg sync.WaitGroup
	for i, rq := range reqs {
		wg.Go(func() {
			var raw []byte
			calls[i], raw = v.do(ctx, rq.endpoint, http.MethodGet, rq.path, nil)
			calls[i].unit = unit
			if rq.keep && calls[i].err == "" {
				answers[i] = raw
			}
		})
	}
	wg.Wait()
	for _, c := range calls {
		if ctx.Err() == nil {
			v.calls = append(v.calls, c)
		}
	}
	return answers
}

// learn notes the children the map showed, for the next move.
func (v *viewer) learn(code string, childVitals []byte) {
	var res struct {
		Items []struct{ Code string }
	}
	if json.Unmarshal(childVitals, &res) != nil {
		return
	}
	kids := make([]string, 0, len(res.Items))
	for _, it := range res.Items {
		kids = append(kids, it.Code)
	}
	v.children[code] = kids
}

// openHistory opens the chart of one indicator the vitals panel showed
// with a value, over the last 24 h as the dashboard's indicator page does.
func (v *viewer) openHistory(ctx context.Context, vitals []byte) {
	ids := indicatorsWithValues(vitals)
	if len(ids) == 0 {
		return
	}
	id := ids[v.rng.IntN(len(ids))]
	from := time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	path := "/api/v1/vitals/units/" + url.PathEscape(v.vitalsCode()) + "/history/" + url.PathEscape(id) +
		"?from=" + url.QueryEscape(from) + "&limit=5000"
	v.parallel(ctx, v.current(), []request{{endpoint: epHistory, path: path}})
}

// vitalsNode is an indicator of the vitals answer, with its subs.
type vitalsNode struct {
	ID    string       `json:"id"`
	Value *float64     `json:"value"`
	Subs  []vitalsNode `json:"subs"`
}

func indicatorsWithValues(vitals []byte) []string {
	var res struct {
		Domains []struct {
			Indicators []vitalsNode `json:"indicators"`
		} `json:"domains"`
	}
	if json.Unmarshal(vitals, &res) != nil {
		return nil
	}
	var ids []string
	var walk func([]vitalsNode)
	walk = func(nodes []vitalsNode) {
		for _, n := range nodes {
			if n.Value != nil {
				ids = append(ids, n.ID)
			}
			walk(n.Subs)
		}
	}
	for _, d := range res.Domains {
		walk(d.Indicators)
	}
	return ids
}

// openStreams opens the viewer's three live streams; each is held open
// (and reopened after a second if it ends) until ctx ends.
func (v *viewer) openStreams(ctx context.Context) error {
	for _, path := range sseStreams {
		body, err := v.subscribe(ctx, path, "")
		if err != nil {
			return fmt.Errorf("dashboard: open %s: %w", path, err)
		}
		go v.follow(ctx, path, body)
	}
	return nil
}

func (v *viewer) subscribe(ctx context.Context, path, lastID string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+v.token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return resp.Body, nil
}

// follow reads a stream, noting each event's arrival, and reopens it
// (resuming from the last event id) whenever the server ends it early.
func (v *viewer) follow(ctx context.Context, path string, body io.ReadCloser) {
	lastID := ""
	for {
		v.sseOpen.Add(1)
		lastID = v.readEvents(body, lastID)
		v.sseOpen.Add(-1)
		if ctx.Err() != nil {
			return
		}
		v.sseDrops.Add(1)
		for {
			if pause(ctx, time.Second) != nil {
				return
			}
			var err error
			if body, err = v.subscribe(ctx, path, lastID); err == nil {
				break
			}
		}
	}
}

func (v *viewer) readEvents(body io.ReadCloser, lastID string) string {
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			lastID = id
		}
		if strings.HasPrefix(line, "data: ") {
			v.sseMu.Lock()
			v.sseEvents = append(v.sseEvents, time.Now())
			v.sseMu.Unlock()
		}
	}
	return lastID
}

func (v *viewer) sseEventsIn(w window) int64 {
	v.sseMu.Lock()
	defer v.sseMu.Unlock()
	var n int64
	for _, at := range v.sseEvents {
		if w.contains(at) {
			n++
		}
	}
	return n
}
