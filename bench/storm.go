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
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"cityvitals/app"
	"cityvitals/detect/silent"
	"cityvitals/model"
)

// StormOptions shape the silent-device storm benchmark (issue #4): a city
// of gas detectors reporting steadily over HTTP, then a power cut that
// silences every device of some units at once while the rest go on.
// Zero fields take the defaults of the full-size run.
type StormOptions struct {
	Streams      int           // datastreams in all (default 200,000)
	StormUnits   int           // units whose every device falls silent (default 20)
	PerStormUnit int           // devices in each of those units (default 5,000)
	SteadyUnits  int           // units the streams that keep reporting spread over (default 1,000)
	Interval     time.Duration // declared reporting interval of every stream (default 1 min)
	Rate         int           // observations per second offered, before and after the cut (default 100,000)
	Workers      int           // concurrent HTTP senders (default 8)
	Warmup       time.Duration // load before the measured window (default 10 s)
	Window       time.Duration // length of each measured load window (default 20 s)
	Step         time.Duration // engine evaluation tick (default 50 ms)
	Lateness     time.Duration // engine allowed lateness (default 1 ms)
	// Speed runs event time this many times faster than the wall clock
	// (observations are stamped, and ingest's time window judged, by that
	// clock), so a quick check need not wait K × interval of real time.
	// Default 1: readings carry the wall clock, as live devices stamp them.
	Speed float64
	// Timeout is how long after the silence threshold the grouped alerts
	// are waited for (default 60 s).
	Timeout time.Duration
	DataDir string // "" = a fresh temporary directory, removed afterwards
	Logger  *slog.Logger
	// CPUProfile, if set, receives a CPU profile of the detection: from
	// 1 s before the threshold to the end of the window after it.
	CPUProfile io.Writer
}

// StormReport is what `cityvitals bench storm --json` prints. Alert delays
// run from the moment the silent streams cross the detector's threshold
// (their last report + K × interval) to the arrival of each unit's
// grouped alert on /api/v1/alerts/stream.
type StormReport struct {
	Streams        int     `json:"streams"`
	Units          int     `json:"units"`
	StormUnits     int     `json:"storm_units"`
	SilentStreams  int     `json:"silent_streams"`
	IntervalS      float64 `json:"interval_s"`
	SilentAfterS   float64 `json:"silent_after_s"` // K × interval: the threshold
	StepMs         int64   `json:"step_ms"`
	LatenessMs     int64   `json:"lateness_ms"`
	Speed          float64 `json:"speed"`
	OfferedObsPerS int     `json:"offered_obs_per_s"`
	// GroupAlerts counts storm units whose grouped alert fired on the
	// alert stream. The rest count what the platform stored by the end, in
	// any state (a per-stream alert waits 10 min pending before it fires):
	// SilentAlerts every silent alert, StreamAlerts the per-stream ones in
	// storm units (0 when grouping works), StrayAlerts those of any other
	// unit.
	GroupAlerts  int     `json:"group_alerts"`
	SilentAlerts int     `json:"silent_alerts"`
	StreamAlerts int     `json:"stream_alerts"`
	StrayAlerts  int     `json:"stray_alerts"`
	AlertP50Ms   float64 `json:"alert_p50_ms"`
	AlertMaxMs   float64 `json:"alert_max_ms"`
	// The delay in two parts, each at its worst. ScanLagMaxMs runs from
	// the threshold to the alert's own event time, the alert clock of the
	// Scan that caught the silence (scans run once a second).
	// ClockLagMaxMs runs from that event time to the arrival: how far the
	// alert clock trails the wall clock (the engine's allowed lateness)
	// plus scan, lifecycle, store, hub and SSE.
	ScanLagMaxMs  float64 `json:"scan_lag_max_ms"`
	ClockLagMaxMs float64 `json:"clock_lag_max_ms"`
	// BeforeCut is the load in the window before the power cut; Before
	// the window ending 1 s before the threshold (same streams, same data
	// volume as During: the control); During from the threshold until the
	// grouped alerts are in (at least Window).
	BeforeCut       LoadWindow `json:"before_cut"`
	Before          LoadWindow `json:"before"`
	During          LoadWindow `json:"during"`
	ThroughputRatio float64    `json:"throughput_ratio"` // During.ObsPerS / Before.ObsPerS
	Unacknowledged  int64      `json:"unacknowledged"`   // load requests refused or failed
	// GoalMet: one grouped alert per storm unit and nothing else, the
	// last within 5 s of the threshold, and ingest not stalled (see
	// stormGoalMet).
	GoalMet bool `json:"goal_met"`
}

// LoadWindow is the steady load's acknowledgements within one window.
type LoadWindow struct {
	Seconds  float64 `json:"seconds"`
	ObsPerS  float64 `json:"obs_per_s"`
	P99AckMs float64 `json:"p99_ack_ms"`
	MaxAckMs float64 `json:"max_ack_ms"`
	// MaxGapMs is the longest time in the window without any
	// acknowledgement; MinObsPerS the slowest whole second.
	MaxGapMs   float64 `json:"max_gap_ms"`
	MinObsPerS float64 `json:"min_obs_per_s_1s"`
	PerSecond  []int   `json:"per_s"` // observations acknowledged in each whole second
}

// The goal of issue #4 and what counts as a stall.
const (
	stormAlertGoal = 5 * time.Second
	stormMaxGap    = time.Second // no acknowledgement for this long is a stall
	stormMinRatio  = 0.9         // so is throughput below this share of the window before
)

const (
	stormPeriod     = 50 * time.Millisecond // each sender posts a batch this often
	stormGaspChunk  = 50_000                // observations per request of the last gasp
	stormRegChunk   = 10_000                // datastreams per registration call
	stormMaxRate    = 1_000_000
	stormMaxStreams = 2_000_000
	stormAlertSlack = time.Second // after the last grouped alert, before the load stops
)

func (o *StormOptions) defaults() {
	fill := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	fill(&o.Streams, 200_000)
	fill(&o.StormUnits, 20)
	fill(&o.PerStormUnit, 5_000)
	fill(&o.SteadyUnits, 1_000)
	fill(&o.Rate, 100_000)
	fill(&o.Workers, 8)
	fillDuration := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	fillDuration(&o.Interval, time.Minute)
	fillDuration(&o.Warmup, 10*time.Second)
	fillDuration(&o.Window, 20*time.Second)
	fillDuration(&o.Step, 50*time.Millisecond)
	fillDuration(&o.Lateness, time.Millisecond)
	fillDuration(&o.Timeout, time.Minute)
	if o.Speed == 0 {
		o.Speed = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// validate checks the options against each other and against the silent
// detector's threshold span; every problem is an EINVALID naming the
// option.
func (o StormOptions) validate(span time.Duration) error {
	steady := o.Streams - o.StormUnits*o.PerStormUnit
	group := silent.DefaultConfig().GroupMin
	switch {
	case o.StormUnits < 1 || o.SteadyUnits < 1 || o.Workers < 1:
		return model.Errorf(model.EINVALID, "storm: storm units %d, steady units %d, workers %d: each must be at least 1", o.StormUnits, o.SteadyUnits, o.Workers)
	case o.PerStormUnit < group:
		return model.Errorf(model.EINVALID, "storm: %d devices per storm unit is below the silent detector's group minimum %d, so nothing would be grouped", o.PerStormUnit, group)
	case steady < o.SteadyUnits:
		return model.Errorf(model.EINVALID, "storm: %d streams leave %d outside the %d×%d storm, fewer than the %d steady units", o.Streams, steady, o.StormUnits, o.PerStormUnit, o.SteadyUnits)
	case o.Rate < 1 || o.Rate > stormMaxRate:
		return model.Errorf(model.EINVALID, "storm: rate %d obs/s, want 1..%d", o.Rate, stormMaxRate)
	case math.IsNaN(o.Speed) || o.Speed < 1 || o.Speed > 1000:
		return model.Errorf(model.EINVALID, "storm: speed %v, want 1..1000", o.Speed)
	case o.Streams > stormMaxStreams:
		return model.Errorf(model.EINVALID, "storm: %d streams, want at most %d", o.Streams, stormMaxStreams)
	case o.Interval < 0 || o.Warmup < 0 || o.Timeout < 0 || o.Step < 0 || o.Lateness < 0:
		return model.Errorf(model.EINVALID, "storm: interval %v, warm-up %v, timeout %v, step %v, lateness %v: none may be negative", o.Interval, o.Warmup, o.Timeout, o.Step, o.Lateness)
	case o.Window < time.Second:
		return model.Errorf(model.EINVALID, "storm: window %v, want at least 1s", o.Window)
	}
	if wall := time.Duration(float64(span) / o.Speed); o.Window+2*time.Second > wall {
		return model.Errorf(model.EINVALID, "storm: window %v does not fit between the cut and the silence threshold (%v of wall time at speed %v)", o.Window, wall, o.Speed)
	}
	// Round-robin, a stream reports every Streams/Rate seconds of wall
	// time; in event time that must stay well inside the threshold, or
	// streams that keep reporting would count as silent too.
	cycle := time.Duration(float64(o.Streams) / float64(o.Rate) * o.Speed * float64(time.Second))
	if cycle > span/3 {
		return model.Errorf(model.EINVALID, "storm: at %d obs/s each of %d streams reports every %v of event time, too close to the %v silence threshold; raise the rate or lower the speed", o.Rate, o.Streams, cycle, span)
	}
	return nil
}

// silentSpan is how long a stream with the interval may stay quiet before
// it is silent. The platform builds its detector from silent.DefaultConfig
// (app/vitals.go), so its K and minimum interval are the ones that apply.
func silentSpan(interval time.Duration) time.Duration {
	cfg := silent.DefaultConfig()
	return time.Duration(cfg.K * float64(max(interval, cfg.MinInterval)))
}

// RunStorm starts the real platform on loopback, registers the streams in
// units of their own, drives the steady load over HTTP and follows the
// alert stream as a viewer; then it cuts the power of the storm units
// (every device sends one last reading at the same instant and falls
// silent), times the grouped alerts against the silence threshold and
// compares the load during detection with the load just before it.
func RunStorm(ctx context.Context, opts StormOptions) (StormReport, error) {
	opts.defaults()
	span := silentSpan(opts.Interval)
	if err := opts.validate(span); err != nil {
		return StormReport{}, err
	}
	dir, cleanup, err := stormDir(opts.DataDir)
	if err != nil {
		return StormReport{}, err
	}
	defer cleanup()
	clock := &eventClock{speed: opts.Speed}
	cfg := app.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", EngineStep: opts.Step, EngineLateness: opts.Lateness}
	if opts.Speed != 1 {
		cfg.Ingest.Clock = clock.Now
	}
	a, err := app.Open(ctx, cfg, opts.Logger)
	if err != nil {
		return StormReport{}, fmt.Errorf("storm: open the platform: %w", err)
	}
	defer a.Close()
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	return runStormOn(ctx, a, opts, clock, span)
}

func stormDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "cityvitals-storm-")
	if err != nil {
		return "", nil, fmt.Errorf("storm: data directory: %w", err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// runStormOn runs the storm against a started platform.
func runStormOn(ctx context.Context, a *app.App, opts StormOptions, clock *eventClock, span time.Duration) (StormReport, error) {
	city, err := buildStormCity(ctx, a, opts)
	if err != nil {
		return StormReport{}, err
	}
	base := "http://" + a.HTTPAddr()
	secret, err := deviceToken(ctx, a, "bench-storm")
	if err != nil {
		return StormReport{}, fmt.Errorf("storm: device token: %w", err)
	}
	viewer, err := viewerToken(ctx, a)
	if err != nil {
		return StormReport{}, fmt.Errorf("storm: viewer sign-in: %w", err)
	}
	sseCtx, stopSSE := context.WithCancel(ctx)
	defer stopSSE()
	alerts, err := followSilentAlerts(sseCtx, base, viewer, city.stormUnits)
	if err != nil {
		return StormReport{}, err
	}
	r := &stormRun{opts: opts, span: span, clock: clock, city: city, alerts: alerts,
		load: newStormLoad(base, secret, clock, opts, city.all)}
	defer r.load.client.CloseIdleConnections()
	clock.start()
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	for w := range opts.Workers {
		wg.Go(func() { r.load.worker(loadCtx, w) })
	}
	tl, err := r.phases(ctx)
	stopLoad()
	wg.Wait()
	if err != nil {
		return StormReport{}, err
	}
	stored, err := countSilentAlerts(ctx, base, viewer, city.stormUnits)
	if err != nil {
		return StormReport{}, err
	}
	return r.report(stored, tl), nil
}

// stormRun is one run against a started platform with its load going.
type stormRun struct {
	opts   StormOptions
	span   time.Duration // K × interval: the silence threshold
	clock  *eventClock
	city   stormCity
	load   *stormLoad
	alerts *silentAlerts
}

// timeline is when the phases of a run happened, by the wall clock.
type timeline struct {
	beforeCut time.Time // start of the window before the cut
	cut       time.Time
	before    time.Time // start of the window before the threshold
	threshold time.Time // the silent streams cross K × interval
	end       time.Time // end of the window during detection
}

// phases warms up, measures the window before the cut, cuts the power,
// and waits for the grouped alerts while the steady load goes on.
func (r *stormRun) phases(ctx context.Context) (timeline, error) {
	opts, load, clock := r.opts, r.load, r.clock
	var tl timeline
	if err := pause(ctx, opts.Warmup); err != nil {
		return tl, err
	}
	tl.beforeCut = time.Now()
	if err := pause(ctx, opts.Window); err != nil {
		return tl, err
	}
	tl.cut = time.Now()
	if err := load.cut(ctx, r.city.steady); err != nil {
		return tl, err
	}
	last := clock.Now()
	if err := load.lastGasp(ctx, r.city.storm, last.UnixMilli()); err != nil {
		return tl, fmt.Errorf("storm: last readings of the silenced devices: %w", err)
	}
	tl.threshold = clock.wallOf(last.Add(r.span))
	tl.before = tl.threshold.Add(-time.Second - opts.Window)
	stopProfile, err := profileFrom(ctx, tl.threshold.Add(-time.Second), opts.CPUProfile)
	if err != nil {
		return tl, err
	}
	defer stopProfile()
	if err := r.alerts.await(ctx, tl.threshold.Add(opts.Timeout), len(r.city.stormUnits)); err != nil {
		return tl, err
	}
	tl.end = tl.threshold.Add(opts.Window)
	if latest, ok := r.alerts.latest(); ok {
		tl.end = later(tl.end, latest.Add(stormAlertSlack))
	}
	return tl, pause(ctx, time.Until(tl.end))
}

// profileFrom starts a CPU profile into w at the wall time at; without
// w it does nothing.
func profileFrom(ctx context.Context, at time.Time, w io.Writer) (stop func(), err error) {
	if w == nil {
		return func() {}, nil
	}
	if err := pause(ctx, time.Until(at)); err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(w); err != nil {
		return nil, fmt.Errorf("storm: CPU profile: %w", err)
	}
	return pprof.StopCPUProfile, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// pause sleeps for d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// report assembles the figures of a finished run.
func (r *stormRun) report(stored alertCounts, tl timeline) StormReport {
	opts, city, load := r.opts, r.city, r.load
	rep := StormReport{Streams: opts.Streams, Units: opts.StormUnits + opts.SteadyUnits, StormUnits: opts.StormUnits,
		SilentStreams: len(city.storm), IntervalS: opts.Interval.Seconds(), SilentAfterS: r.span.Seconds(),
		StepMs: opts.Step.Milliseconds(), LatenessMs: opts.Lateness.Milliseconds(), Speed: opts.Speed,
		OfferedObsPerS: load.offered(), Unacknowledged: load.failed.Load()}
	arrived := r.alerts.arrivals()
	rep.GroupAlerts = len(arrived)
	rep.SilentAlerts, rep.StreamAlerts, rep.StrayAlerts = stored.all, stored.streams, stored.stray
	var delays, scanLag, clockLag []time.Duration
	for _, a := range arrived {
		at := r.clock.wallOf(time.UnixMilli(a.at))
		delays = append(delays, a.arrived.Sub(tl.threshold))
		scanLag = append(scanLag, at.Sub(tl.threshold))
		clockLag = append(clockLag, a.arrived.Sub(at))
	}
	rep.AlertP50Ms, rep.AlertMaxMs = quantileMs(delays, 0.5), quantileMs(delays, 1)
	rep.ScanLagMaxMs, rep.ClockLagMaxMs = quantileMs(scanLag, 1), quantileMs(clockLag, 1)
	acks := load.allAcks()
	rep.BeforeCut = loadWindow(acks, tl.beforeCut, tl.cut)
	rep.Before = loadWindow(acks, tl.before, tl.before.Add(opts.Window))
	rep.During = loadWindow(acks, tl.threshold, tl.end)
	if rep.Before.ObsPerS > 0 {
		rep.ThroughputRatio = rep.During.ObsPerS / rep.Before.ObsPerS
	}
	rep.GoalMet = stormGoalMet(rep)
	return rep
}

// stormGoalMet: every storm unit has its one grouped alert and the
// platform holds no other silent alert, the last grouped alert arrived
// within 5 s of the threshold, and ingest did not stall: no second
// without an acknowledgement and at least 90 % of the throughput of the
// window before the threshold.
func stormGoalMet(r StormReport) bool {
	return r.GroupAlerts == r.StormUnits && r.SilentAlerts == r.StormUnits &&
		r.AlertMaxMs <= float64(stormAlertGoal.Milliseconds()) &&
		r.During.MaxGapMs < float64(stormMaxGap.Milliseconds()) && r.ThroughputRatio >= stormMinRatio
}

// eventClock is the time observations are stamped with: the wall clock,
// or, from start on, one running Speed times faster. The origin is set
// only when the load begins, so streams registered during a slow set-up
// are not judged silent by a clock that ran ahead meanwhile.
type eventClock struct {
	speed  float64
	origin atomic.Pointer[time.Time]
}

func (c *eventClock) start() {
	now := time.Now()
	c.origin.Store(&now)
}

// Now is the event time now.
func (c *eventClock) Now() time.Time {
	now := time.Now()
	o := c.origin.Load()
	if o == nil || c.speed == 1 {
		return now
	}
	return o.Add(time.Duration(float64(now.Sub(*o)) * c.speed))
}

// wallOf is the wall time at which event time reaches t.
func (c *eventClock) wallOf(t time.Time) time.Time {
	o := c.origin.Load()
	if o == nil || c.speed == 1 {
		return t
	}
	return o.Add(time.Duration(float64(t.Sub(*o)) / c.speed))
}

// stormCity is the streams of a run: all of them, the storm's units and
// their streams, and the streams that keep reporting.
type stormCity struct {
	all        []int64
	stormUnits []string
	storm      []int64
	steady     []int64
}

// The storm city: square cells of 0.004° (≈ 380 m × 445 m at Shanghai's
// latitude) on a lattice from its south-west corner, under one district.
const (
	stormWest, stormSouth = 121.3, 31.1
	stormCellDeg          = 0.004
	stormDistrict         = "storm-district"
)

// buildStormCity imports the units and registers the streams: the storm
// units are the first cells of the lattice (a contiguous area, as a power
// cut is), the steady streams are dealt over the other cells.
func buildStormCity(ctx context.Context, a *app.App, opts StormOptions) (stormCity, error) {
	cells := opts.StormUnits + opts.SteadyUnits
	cols := int(math.Ceil(math.Sqrt(float64(cells))))
	if err := importStormUnits(ctx, a, cells, cols); err != nil {
		return stormCity{}, err
	}
	plan := planStormStreams(opts, cols)
	ids, err := registerStormStreams(ctx, a, plan)
	if err != nil {
		return stormCity{}, err
	}
	city := stormCity{all: ids}
	for u := range opts.StormUnits {
		city.stormUnits = append(city.stormUnits, stormCellCode(u))
	}
	storm := opts.StormUnits * opts.PerStormUnit
	city.storm, city.steady = ids[:storm], ids[storm:]
	return city, nil
}

func stormCellCode(i int) string { return fmt.Sprintf("storm-cell-%05d", i) }

func importStormUnits(ctx context.Context, a *app.App, cells, cols int) error {
	rows := (cells + cols - 1) / cols
	district := model.Unit{Code: stormDistrict, Level: model.LevelDistrict, NameZH: "停电演练区", NameEN: "Storm district",
		Geometry: rectangle(stormWest, stormSouth, stormWest+float64(cols)*stormCellDeg, stormSouth+float64(rows)*stormCellDeg)}
	if _, err := a.Inventory.ImportUnits(ctx, "bench", []model.Unit{district}); err != nil {
		return fmt.Errorf("storm: import the district: %w", err)
	}
	units := make([]model.Unit, cells)
	for i := range units {
		x, y := stormWest+float64(i%cols)*stormCellDeg, stormSouth+float64(i/cols)*stormCellDeg
		units[i] = model.Unit{Code: stormCellCode(i), Parent: stormDistrict, Level: model.LevelGrid,
			NameZH: fmt.Sprintf("网格 %d", i), NameEN: fmt.Sprintf("Cell %d", i),
			Geometry: rectangle(x, y, x+stormCellDeg, y+stormCellDeg)}
	}
	if _, err := a.Inventory.ImportUnits(ctx, "bench", units); err != nil {
		return fmt.Errorf("storm: import %d cells: %w", cells, err)
	}
	return nil
}

func rectangle(west, south, east, north float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{west, south}, {east, south}, {east, north}, {west, north}, {west, south}}}}
}

// plannedStream is a stream to register and the unit it must land in.
type plannedStream struct {
	ds   model.Datastream
	unit string
}

// planStormStreams lays out the storm streams first (PerStormUnit in each
// storm cell), then the steady ones dealt round the steady cells.
func planStormStreams(opts StormOptions, cols int) []plannedStream {
	plan := make([]plannedStream, 0, opts.Streams)
	add := func(cell, j, perCell int) {
		lon, lat := cellPoint(cols, cell, j, perCell)
		plan = append(plan, plannedStream{unit: stormCellCode(cell), ds: model.Datastream{
			Key: fmt.Sprintf("storm/%d/%d", cell, j), Property: "gas_lel", Interval: opts.Interval, Lon: lon, Lat: lat, HasPoint: true}})
	}
	for cell := range opts.StormUnits {
		for j := range opts.PerStormUnit {
			add(cell, j, opts.PerStormUnit)
		}
	}
	steady := opts.Streams - len(plan)
	perCell := (steady + opts.SteadyUnits - 1) / opts.SteadyUnits
	for s := range steady {
		add(opts.StormUnits+s%opts.SteadyUnits, s/opts.SteadyUnits, perCell)
	}
	return plan
}

// cellPoint is the j-th of perCell points on a square sub-lattice inside
// the cell, kept off its edges so no point is on a shared border.
func cellPoint(cols, cell, j, perCell int) (lon, lat float64) {
	m := int(math.Ceil(math.Sqrt(float64(perCell))))
	inside := func(k int) float64 { return stormCellDeg * (0.05 + 0.9*(float64(k)+0.5)/float64(m)) }
	return stormWest + float64(cell%cols)*stormCellDeg + inside(j%m), stormSouth + float64(cell/cols)*stormCellDeg + inside(j/m)
}

// registerStormStreams registers the plan in order and checks the
// platform placed every stream in its planned unit.
func registerStormStreams(ctx context.Context, a *app.App, plan []plannedStream) ([]int64, error) {
	ids := make([]int64, 0, len(plan))
	for start := 0; start < len(plan); start += stormRegChunk {
		chunk := plan[start:min(len(plan), start+stormRegChunk)]
		ds := make([]model.Datastream, len(chunk))
		for i, p := range chunk {
			ds[i] = p.ds
		}
		created, err := a.Inventory.CreateDatastreams(ctx, "bench", ds)
		if err != nil {
			return nil, fmt.Errorf("storm: register streams %d..%d: %w", start, start+len(chunk)-1, err)
		}
		for i, d := range created {
			if d.Unit != chunk[i].unit {
				return nil, fmt.Errorf("storm: stream %s was placed in unit %q, want %q", d.Key, d.Unit, chunk[i].unit)
			}
			ids = append(ids, d.ID)
		}
	}
	return ids, nil
}

// stormLoad is the steady load: Workers senders, each posting a batch of
// NDJSON every period (skipping ticks it is too slow for, so a stall shows
// as lost throughput), round-robin over the streams of the current plan.
type stormLoad struct {
	client     *http.Client
	url        string
	secret     string
	clock      *eventClock
	perRequest int
	workers    int
	plan       atomic.Pointer[loadPlan]
	cursor     atomic.Int64
	started    []atomic.Int64 // per worker: generation of its latest batch
	acks       [][]ack        // per worker, touched only by it until the load stops
	failed     atomic.Int64
}

// loadPlan is the streams the load reports for; gen counts cuts.
type loadPlan struct {
	gen int64
	ids []int64
}

// ack is one acknowledged request of the load.
type ack struct {
	at  time.Time
	lat time.Duration
	n   int
}

func newStormLoad(base, secret string, clock *eventClock, opts StormOptions, ids []int64) *stormLoad {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = opts.Workers + 1
	perRequest := max(1, int(float64(opts.Rate)*stormPeriod.Seconds()/float64(opts.Workers)))
	l := &stormLoad{client: &http.Client{Transport: tr}, url: base + "/api/v1/observations", secret: secret, clock: clock,
		perRequest: perRequest, workers: opts.Workers, started: make([]atomic.Int64, opts.Workers), acks: make([][]ack, opts.Workers)}
	l.plan.Store(&loadPlan{ids: ids})
	return l
}

func (l *stormLoad) offered() int {
	return int(float64(l.perRequest*l.workers) / stormPeriod.Seconds())
}

// worker is sender w; workers start staggered over one period.
func (l *stormLoad) worker(ctx context.Context, w int) {
	if pause(ctx, stormPeriod*time.Duration(w)/time.Duration(l.workers)) != nil {
		return
	}
	t := time.NewTicker(stormPeriod)
	defer t.Stop()
	var buf bytes.Buffer
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p := l.plan.Load()
		l.started[w].Store(p.gen)
		l.fill(&buf, p.ids)
		sent := time.Now()
		if err := l.send(ctx, buf.Bytes()); err != nil {
			if ctx.Err() != nil {
				return
			}
			l.failed.Add(1)
			continue
		}
		now := time.Now()
		l.acks[w] = append(l.acks[w], ack{at: now, lat: now.Sub(sent), n: l.perRequest})
	}
}

// fill writes the next perRequest readings of the round-robin, stamped
// with the event clock; 1–3 %LEL is a normal gas reading.
func (l *stormLoad) fill(buf *bytes.Buffer, ids []int64) {
	buf.Reset()
	at := strconv.FormatInt(l.clock.Now().UnixMilli(), 10)
	first := l.cursor.Add(int64(l.perRequest)) - int64(l.perRequest)
	for k := first; k < first+int64(l.perRequest); k++ {
		writeReading(buf, ids[k%int64(len(ids))], at, 1+k%3)
	}
}

func writeReading(buf *bytes.Buffer, id int64, at string, value int64) {
	buf.WriteString(`{"datastream":`)
	buf.WriteString(strconv.FormatInt(id, 10))
	buf.WriteString(`,"time":`)
	buf.WriteString(at)
	buf.WriteString(`,"value":`)
	buf.WriteString(strconv.FormatInt(value, 10))
	buf.WriteString("}\n")
}

func (l *stormLoad) send(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", l.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+l.secret)
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ingest: HTTP %d: %.200s", resp.StatusCode, msg)
	}
	return nil
}

// cut makes the load report only for ids from now on. It returns once
// every worker has begun a batch of the new plan, so no batch stamped
// later still carries a stream that was cut.
func (l *stormLoad) cut(ctx context.Context, ids []int64) error {
	next := &loadPlan{gen: l.plan.Load().gen + 1, ids: ids}
	l.plan.Store(next)
	for w := range l.started {
		for l.started[w].Load() < next.gen {
			if err := pause(ctx, time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// lastGasp sends one last reading of every stream in ids, all at event
// time at (Unix ms), as devices do when their power fails.
func (l *stormLoad) lastGasp(ctx context.Context, ids []int64, at int64) error {
	stamp := strconv.FormatInt(at, 10)
	var buf bytes.Buffer
	for start := 0; start < len(ids); start += stormGaspChunk {
		buf.Reset()
		for _, id := range ids[start:min(len(ids), start+stormGaspChunk)] {
			writeReading(&buf, id, stamp, 1)
		}
		if err := l.send(ctx, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// allAcks merges the workers' acknowledgements in time order; call it
// only after the workers have stopped.
func (l *stormLoad) allAcks() []ack {
	var all []ack
	for _, a := range l.acks {
		all = append(all, a...)
	}
	slices.SortFunc(all, func(x, y ack) int { return x.at.Compare(y.at) })
	return all
}

// loadWindow sums the acknowledgements (sorted by time) within [from, to).
func loadWindow(acks []ack, from, to time.Time) LoadWindow {
	w := LoadWindow{Seconds: to.Sub(from).Seconds()}
	if w.Seconds <= 0 {
		return w
	}
	bins := make([]int, int(to.Sub(from)/time.Second))
	var lat []time.Duration
	obs, prev := 0, from
	for _, k := range acks {
		if k.at.Before(from) || !k.at.Before(to) {
			continue
		}
		lat = append(lat, k.lat)
		obs += k.n
		w.MaxGapMs = max(w.MaxGapMs, msOf(k.at.Sub(prev)))
		prev = k.at
		if b := int(k.at.Sub(from) / time.Second); b < len(bins) {
			bins[b] += k.n
		}
	}
	w.MaxGapMs = max(w.MaxGapMs, msOf(to.Sub(prev)))
	w.ObsPerS = float64(obs) / w.Seconds
	w.P99AckMs, w.MaxAckMs = quantileMs(lat, 0.99), quantileMs(lat, 1)
	if len(bins) > 0 {
		w.MinObsPerS = float64(slices.Min(bins))
		w.PerSecond = bins
	}
	return w
}

func msOf(d time.Duration) float64 { return d.Seconds() * 1000 }

// silentAlerts follows the alert stream for the grouped silent alerts of
// the storm units and notes when each first fires.
type silentAlerts struct {
	storm   map[string]bool
	changed chan struct{} // a grouped alert arrived or the stream ended

	mu      sync.Mutex
	arrived map[string]arrival
	ended   error
}

// arrival is when a grouped alert reached the viewer, and its event time
// (the alert clock of the Scan that found it, Unix ms).
type arrival struct {
	arrived time.Time
	at      int64
}

// followSilentAlerts follows /api/v1/alerts/stream as a viewer until ctx
// ends.
func followSilentAlerts(ctx context.Context, base, token string, stormUnits []string) (*silentAlerts, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/alerts/stream", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("storm: follow the alert stream: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("storm: follow the alert stream: HTTP %d", resp.StatusCode)
	}
	s := &silentAlerts{storm: unitSet(stormUnits), changed: make(chan struct{}, 1), arrived: map[string]arrival{}}
	go s.read(ctx, resp.Body)
	return s, nil
}

func unitSet(codes []string) map[string]bool {
	set := make(map[string]bool, len(codes))
	for _, c := range codes {
		set[c] = true
	}
	return set
}

// read consumes the SSE body; the hub closes it if this reader falls
// behind, which is reported rather than ignored.
func (s *silentAlerts) read(ctx context.Context, body io.ReadCloser) {
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && event == "firing" {
			s.take([]byte(data), time.Now())
		}
	}
	if ctx.Err() == nil {
		s.mu.Lock()
		s.ended = errors.Join(errors.New("storm: the alert stream ended early (the viewer fell behind?)"), sc.Err())
		s.mu.Unlock()
		s.wake()
	}
}

// take notes a firing event if it is a storm unit's first grouped alert.
func (s *silentAlerts) take(data []byte, at time.Time) {
	var e struct {
		At    int64
		Alert model.Alert
	}
	if json.Unmarshal(data, &e) != nil || e.Alert.Rule != silent.Rule || e.Alert.Labels["kind"] != "group" {
		return
	}
	unit := e.Alert.Labels["unit"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, seen := s.arrived[unit]; s.storm[unit] && !seen {
		s.arrived[unit] = arrival{arrived: at, at: e.At}
		s.wake()
	}
}

func (s *silentAlerts) wake() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// await returns once want storm units have their grouped alert, or at
// the deadline (the report then shows which are missing).
func (s *silentAlerts) await(ctx context.Context, deadline time.Time, want int) error {
	for {
		s.mu.Lock()
		n, ended := len(s.arrived), s.ended
		s.mu.Unlock()
		if ended != nil {
			return ended
		}
		wait := time.Until(deadline)
		if n >= want || wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-s.changed:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// latest is the arrival of the last grouped alert so far.
func (s *silentAlerts) latest() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last time.Time
	for _, a := range s.arrived {
		last = later(last, a.arrived)
	}
	return last, !last.IsZero()
}

func (s *silentAlerts) arrivals() map[string]arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.arrived)
}

// alertCounts is the silent alerts the platform stored.
type alertCounts struct {
	all     int
	streams int // per-stream alerts in storm units
	stray   int // alerts of other units
}

// countSilentAlerts lists every silent alert through the API, in any
// state, as the operations centre's screen would.
func countSilentAlerts(ctx context.Context, base, token string, stormUnits []string) (alertCounts, error) {
	storm := unitSet(stormUnits)
	var c alertCounts
	for after := ""; ; {
		var page struct {
			Items []model.Alert
			Next  string
		}
		if err := getJSON(ctx, base+"/api/v1/alerts?rule="+silent.Rule+"&limit=1000&after="+url.QueryEscape(after), token, &page); err != nil {
			return c, fmt.Errorf("storm: list the silent alerts: %w", err)
		}
		for _, a := range page.Items {
			c.all++
			switch unit := a.Labels["unit"]; {
			case !storm[unit]:
				c.stray++
			case a.Labels["kind"] != "group":
				c.streams++
			}
		}
		if page.Next == "" {
			return c, nil
		}
		after = page.Next
	}
}

func getJSON(ctx context.Context, target, token string, into any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}
