package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/dispatch"
	"cityvitals/alert/inhibit"
	"cityvitals/alert/silence"
	"cityvitals/detect/anomaly"
	"cityvitals/detect/cluster"
	"cityvitals/detect/forecast"
	"cityvitals/detect/predict"
	"cityvitals/detect/rate"
	"cityvitals/detect/silent"
	"cityvitals/detect/threshold"
	"cityvitals/engine"
	"cityvitals/indicator"
	"cityvitals/ingest"
	"cityvitals/model"
	"cityvitals/notify/outbox"
	"cityvitals/notify/webhook"
	"cityvitals/store"
	"cityvitals/vitals"
)

// buildVitals loads the indicator catalog and starts the live engine on
// the ingest stream: every committed batch is observed, every level change
// is stored and fanned out by the feed.
func (a *App) buildVitals() error {
	cat, err := a.Catalog(a.cfg.IndicatorFiles...)
	if err != nil {
		return err
	}
	if a.Engine, err = a.NewEngine(engine.Config{Registerer: a.Metrics, Step: a.cfg.EngineStep, AllowedLateness: a.cfg.EngineLateness}, cat); err != nil {
		return err
	}
	a.Catalogs = vitals.NewCatalogs(cat, a.Properties, a.AssetTypes, a.Engine.SetCatalog, a.Audit)
	a.Feed = vitals.NewFeed(a.History, 4096, a.log)
	if !a.cfg.NoEngine {
		a.Ingest.Subscribe(a.Engine.Observe)
	}
	a.Inventory.OnChange(func() { a.Engine.SetTopology(a.Inventory) })
	a.Inventory.OnStreamsCreated(a.Engine.Register)
	a.Engine.Subscribe(func(c engine.LevelChange) {
		a.Feed.Publish(context.Background(), levelChangeModel(c))
	})
	return nil
}

// DefaultCatalog loads the indicator catalog shipped with the binary.
func (c *Core) DefaultCatalog() (*indicator.Catalog, error) {
	cat, err := indicator.Default(c.Properties, c.AssetTypes)
	if err != nil {
		return nil, fmt.Errorf("load the indicator catalog: %w", err)
	}
	return cat, nil
}

// Catalog is the default catalog with the indicators of the given files
// (a city's own) added or replacing the defaults with the same id.
func (c *Core) Catalog(files ...string) (*indicator.Catalog, error) {
	cat, err := c.DefaultCatalog()
	if err != nil || len(files) == 0 {
		return cat, err
	}
	var extra []indicator.Indicator
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read indicator file: %w", err)
		}
		inds, err := indicator.Parse(f, data, c.Properties, c.AssetTypes)
		if err != nil {
			return nil, err
		}
		extra = append(extra, inds...)
	}
	return cat.With(extra...)
}

// NewEngine builds a vital-signs engine over the core's unit tree and
// datastream registry (the live one, or a replay's).
func (c *Core) NewEngine(cfg engine.Config, cat *indicator.Catalog) (*engine.Engine, error) {
	return engine.New(cfg, cat, c.Inventory, newEngineStreams(c.Registry, c.DB))
}

func levelChangeModel(c engine.LevelChange) model.LevelChange {
	return model.LevelChange{
		Time: c.Time, Unit: c.Unit, Indicator: c.Indicator,
		From: int8(c.From), To: int8(c.To), Value: c.Value, Threshold: c.Threshold,
		WindowMs: c.Window.Milliseconds(),
	}
}

// warmEngine rebuilds the engine's state from the stored history before
// the platform serves, so a restart does not forget the vital signs.
func (a *App) warmEngine(ctx context.Context) error {
	var ids []int64
	err := a.Registry.EachDatastream(ctx, func(ds model.Datastream) error {
		ids = append(ids, ds.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("warm the engine: %w", err)
	}
	var until int64
	latest, err := a.History.Latest(ctx, ids)
	if err != nil {
		return fmt.Errorf("warm the engine: %w", err)
	}
	for _, o := range latest {
		until = max(until, o.Time)
	}
	if until == 0 {
		return nil
	}
	started := time.Now()
	if err := a.Engine.Warm(ctx, a.History, ids, until); err != nil {
		return fmt.Errorf("warm the engine: %w", err)
	}
	a.log.Info("vital signs rebuilt from history", "streams", len(ids), "took", time.Since(started).Round(time.Millisecond))
	return nil
}

// engineStreams tells the engine what each datastream measures and where,
// from the ingest registry, with asset types looked up once per asset.
// The engine calls it from its own goroutine only.
type engineStreams struct {
	registry   *ingest.Registry
	assets     store.Assets
	assetTypes map[string]string
}

func newEngineStreams(r *ingest.Registry, assets store.Assets) *engineStreams {
	return &engineStreams{registry: r, assets: assets, assetTypes: map[string]string{}}
}

func (s *engineStreams) Stream(id int64) (engine.StreamMeta, bool) {
	ds, ok := s.registry.ByID(id)
	if !ok {
		return engine.StreamMeta{}, false
	}
	return engine.StreamMeta{Property: ds.Property, Unit: ds.Unit, AssetType: s.assetType(ds.Asset)}, true
}

func (s *engineStreams) assetType(id string) string {
	if id == "" {
		return ""
	}
	if t, ok := s.assetTypes[id]; ok {
		return t
	}
	a, err := s.assets.Asset(context.Background(), id)
	if err != nil {
		return "" // unknown asset: the stream still counts, untyped
	}
	s.assetTypes[id] = string(a.Type)
	return s.assetTypes[id]
}

// newSampler stores indicator values of the city, districts and streets
// for charts.
func (a *App) newSampler() *vitals.Sampler {
	return &vitals.Sampler{
		Store: a.History,
		Log:   a.log,
		Units: func() []string {
			units := []string{""}
			for _, code := range a.Inventory.Units() {
				if lvl, _ := a.Inventory.Level(code); lvl == "city" || lvl == "district" || lvl == "street" {
					units = append(units, code)
				}
			}
			return units
		},
		Values: func(unit string) []model.IndicatorValue {
			us, _ := a.Engine.Signs(unit)
			out := make([]model.IndicatorValue, 0, len(us.Signs))
			for _, sg := range us.Signs {
				if sg.HasValue && sg.Updated > 0 {
					out = append(out, model.IndicatorValue{Time: sg.Updated, Unit: unit, Indicator: sg.Indicator, Value: sg.Value, Level: int8(sg.Level)})
				}
			}
			return out
		},
	}
}

// buildAlerts starts the alert lifecycle on the engine's level changes:
// each becomes a threshold finding; alert events go to the live hub.
func (a *App) buildAlerts(ctx context.Context) error {
	a.AlertHub = alert.NewHub()
	var err error
	if a.Outbox, err = outbox.New(a.DB, outbox.Options{Registerer: a.Metrics, Logger: a.log}); err != nil {
		return err
	}
	for _, r := range a.cfg.Webhooks {
		d, err := webhook.New(r, nil)
		if err != nil {
			return err
		}
		a.dispatchers = append(a.dispatchers, a.Outbox.Dispatcher(r.Name, d, outbox.DispatcherConfig{}))
	}
	if err := a.buildMuters(ctx); err != nil {
		return err
	}
	if err := a.buildDispatch(ctx); err != nil {
		return err
	}
	a.Alerts, err = alert.NewManager(ctx, a.DB, alert.Config{RuleFor: map[string]time.Duration{predict.Rule: 0, anomaly.Rule: 0, cluster.Rule: 0}},
		a.publishAlertEvent, a.Audit, a.log)
	if err != nil {
		return err
	}
	names := alertNames{a}
	a.Engine.Subscribe(func(c engine.LevelChange) {
		a.Alerts.Submit(context.Background(), threshold.Finding(c, names))
	})
	return a.buildStreamDetectors(ctx)
}

// buildStreamDetectors sets up the detectors that watch datastreams
// themselves: silent devices, forecast crossings, rates of change and
// anomalies. All see every
// committed observation; their findings are collected as time passes.
func (a *App) buildStreamDetectors(ctx context.Context) error {
	cfg := silent.DefaultConfig()
	cfg.Names = alertNames{a}.Unit
	var err error
	if a.Silent, err = silent.New(cfg); err != nil {
		return err
	}
	if a.Predict, err = predict.New(forecast.DefaultConfig(), predict.DefaultTargets(), alertNames{a}.Unit); err != nil {
		return err
	}
	if a.Anomalies, err = anomaly.NewWatch(anomaly.Config{}, anomaly.DefaultProperties, alertNames{a}.Unit); err != nil {
		return err
	}
	if a.Rates, err = rate.New(rate.DefaultSpecs(), alertNames{a}.Unit); err != nil {
		return err
	}
	if a.Clusters, err = cluster.New(cluster.DefaultPatterns(), alertNames{a}.Unit); err != nil {
		return err
	}
	a.clusterFeed = &clusterFeed{d: a.Clusters, streams: a.Registry.ByID, alarms: map[int64]bool{},
		onError: func(err error) { a.log.Warn("cluster signal", "err", err) }}
	var streams []silent.Stream
	var watched []predict.Stream
	err = a.Registry.EachDatastream(ctx, func(ds model.Datastream) error {
		streams = append(streams, silentStream(ds))
		watched = append(watched, predict.Stream{ID: ds.ID, Property: ds.Property, Unit: ds.Unit})
		a.Anomalies.Register(anomaly.WatchStream{ID: ds.ID, Property: ds.Property, Unit: ds.Unit})
		a.Rates.Register(rate.Stream{ID: ds.ID, Property: ds.Property, Unit: ds.Unit})
		return nil
	})
	if err != nil {
		return fmt.Errorf("register streams for the stream detectors: %w", err)
	}
	a.Silent.Register(streams...)
	if err := a.Predict.Register(watched...); err != nil {
		return err
	}
	// Warm: a stream's last stored reading is its last report.
	ids := make([]int64, len(streams))
	for i, s := range streams {
		ids[i] = s.ID
	}
	latest, err := a.History.Latest(ctx, ids)
	if err != nil {
		return err
	}
	for id, o := range latest {
		a.Silent.Seen(id, o.Time)
	}
	a.Ingest.Subscribe(func(batch []model.Observation) {
		for _, o := range batch {
			a.Silent.Seen(o.Stream, o.Time)
		}
		a.Predict.ObserveBatch(batch)
		a.Anomalies.ObserveBatch(batch)
		a.Rates.ObserveBatch(batch)
		a.clusterFeed.observeBatch(batch)
	})
	a.Inventory.OnStreamsCreated(func(ids []int64) {
		for _, id := range ids {
			if ds, ok := a.Registry.ByID(id); ok {
				a.Silent.Register(silentStream(ds))
				if err := a.Predict.Register(predict.Stream{ID: ds.ID, Property: ds.Property, Unit: ds.Unit}); err != nil {
					a.log.Error("watch stream for forecasts", "stream", ds.ID, "err", err)
				}
				a.Anomalies.Register(anomaly.WatchStream{ID: ds.ID, Property: ds.Property, Unit: ds.Unit})
				a.Rates.Register(rate.Stream{ID: ds.ID, Property: ds.Property, Unit: ds.Unit})
			}
		}
	})
	return nil
}

func silentStream(ds model.Datastream) silent.Stream {
	return silent.Stream{ID: ds.ID, Device: ds.Device, Unit: ds.Unit, Interval: ds.Interval}
}

// alertClock is the time detectors that watch for the absence of data
// judge by: the engine's event-time frontier, but never further behind
// the wall clock than the engine's own delay — when every device of the
// city falls silent no new event time arrives, and that silence must
// still be seen.
func (a *App) alertClock() int64 {
	step, lateness := a.cfg.EngineStep, a.cfg.EngineLateness
	if step == 0 {
		step = time.Minute
	}
	if lateness == 0 {
		lateness = 2 * time.Minute
	}
	return max(a.Engine.Stats().Frontier, time.Now().Add(-step-lateness).UnixMilli())
}

// silenceMargin is how far behind the wall clock the silent-device scan
// judges: long enough for a report in flight to be committed (ingest
// acknowledges in tens of milliseconds at 100k obs/s), short enough that
// a power cut is seen within seconds of its deadline (bench storm: 2.7 s).
const silenceMargin = 2 * time.Second

// silenceClock is the time absence of data is judged by. Unlike the
// engine, which waits its allowed lateness for late readings before it
// evaluates a window, the absence of a report needs no such wait: a
// device whose report has not arrived by its deadline is silent now.
func (a *App) silenceClock() int64 {
	return max(a.Engine.Stats().Frontier, time.Now().Add(-silenceMargin).UnixMilli())
}

// publishAlertEvent hands an alert event to the live hub and to
// notification dispatch (which groups, repeats and escalates, and queues
// durably in the outbox); muted events reach the dashboard only.
func (a *App) publishAlertEvent(e alert.Event) {
	a.Inhibitor.Observe(e.Alert)
	e.MutedBy = a.muter.Explain(e.Alert, time.UnixMilli(e.At))
	e.Muted = e.MutedBy != nil
	a.AlertHub.Publish(e)
	if a.Dispatch != nil {
		a.Dispatch.Observe(e)
	}
	a.takeAlertEvent(e)
}

// buildDispatch sets up notification dispatch to the webhooks, resuming
// the open alerts after a restart.
func (a *App) buildDispatch(ctx context.Context) error {
	if len(a.cfg.Webhooks) == 0 {
		return nil
	}
	cfg := dispatch.Config{GroupWait: a.cfg.AlertGroupWait, GroupInterval: a.cfg.AlertGroupInterval, Logger: a.log,
		Escalation: a.cfg.AlertEscalation, RepeatAfter: a.cfg.AlertRepeatAfter}
	for _, r := range a.cfg.Webhooks {
		cfg.Receivers = append(cfg.Receivers, r.Name)
	}
	var err error
	if a.Dispatch, err = dispatch.New(cfg, a.Outbox.Send, nil); err != nil {
		return err
	}
	firing, err := a.allAlerts(ctx, model.AlertFiring)
	if err != nil {
		return err
	}
	now := time.Now()
	open := firing[:0]
	for _, al := range firing {
		if !a.muter.Mutes(al, now) {
			open = append(open, al)
		}
	}
	a.Dispatch.Restore(open)
	return a.restoreSent(ctx, cfg.Receivers[0])
}

// restoreSentWindow bounds how far back a restart reads the outbox for
// what it had told each group (one message at a time, keeping one list
// per group): a group quiet for longer than this many notifications to
// other groups is re-notified, under the key its last message had, which
// the outbox drops.
const restoreSentWindow = 1_000_000

// restoreSent hands dispatch what it had sent before the restart:
// groups that are as they were are not notified again, and resolutions
// that were waiting in their groups are told.
func (a *App) restoreSent(ctx context.Context, receiver string) error {
	var readErr error
	sent := func(yield func([]byte) bool) {
		readErr = a.Outbox.EachNewest(ctx, receiver, restoreSentWindow, func(m outbox.Message) bool { return yield(m.Payload) })
	}
	now := time.Now()
	err := a.Dispatch.RestoreSent(sent, func(fp string) (model.Alert, bool, error) {
		al, err := a.DB.Alert(ctx, fp)
		if model.ErrorCode(err) == model.ENOTFOUND {
			return al, false, nil
		}
		return al, err == nil && !a.muter.Mutes(al, now), err
	})
	return errors.Join(readErr, err)
}

// allAlerts lists every alert in a state.
func (a *App) allAlerts(ctx context.Context, state model.AlertState) ([]model.Alert, error) {
	var out []model.Alert
	for page := (store.Page{Limit: 1000}); ; {
		items, next, err := a.DB.Alerts(ctx, store.AlertFilter{State: state}, page)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		page.After = next
	}
}

// buildMuters sets up silences and inhibition; both keep alert
// notifications quiet, never the dashboard.
func (a *App) buildMuters(ctx context.Context) error {
	var err error
	if a.Silencer, err = silence.NewSilencer(ctx, a.DB); err != nil {
		return err
	}
	a.Silences = silence.NewService(a.DB, a.Audit, a.Silencer)
	parent := func(id string) string {
		if p, ok := a.Catalogs.Current().Program(id); ok {
			return p.Indicator().Parent
		}
		return ""
	}
	if a.Inhibitor, err = inhibit.New(inhibit.DefaultRules(), parent); err != nil {
		return err
	}
	firing, err := a.allAlerts(ctx, model.AlertFiring)
	if err != nil {
		return err
	}
	a.Inhibitor.Update(firing)
	a.muter = alert.Muters{a.Silencer, a.Inhibitor}
	return nil
}

// advanceAlerts fires pending alerts and scans for silent devices as
// time passes, also when no level changes arrive.
func (a *App) advanceAlerts(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			now := a.alertClock()
			rates := a.Rates.Drain()
			a.clusterFeed.observeFindings(rates)
			a.Clusters.Advance(now)
			found := append(a.Silent.Scan(a.silenceClock()), a.Predict.Drain()...)
			found = append(append(found, rates...), a.Clusters.Drain()...)
			for _, f := range append(found, a.Anomalies.Drain()...) {
				a.Alerts.Submit(ctx, f)
			}
			if err := a.Alerts.Advance(ctx, now); err != nil {
				a.log.Error("advance alerts", "err", err)
			}
		}
	}
}

// alertNames gives threshold findings their words.
type alertNames struct{ a *App }

func (n alertNames) Indicator(id string) (*indicator.Indicator, bool) {
	p, ok := n.a.Catalogs.Current().Program(id)
	if !ok {
		return nil, false
	}
	return p.Indicator(), true
}

// publicNames looks up units and indicators for CAP warnings.
type publicNames struct{ alertNames }

func (n publicNames) Unit(code string) (model.Unit, bool) { return n.a.Inventory.Unit(code) }

func (n publicNames) Roots() []model.Unit {
	var roots []model.Unit
	for _, code := range n.a.Inventory.Children("") {
		if u, ok := n.a.Inventory.Unit(code); ok {
			roots = append(roots, u)
		}
	}
	return roots
}

func (n alertNames) Unit(code string) (string, string) {
	if code == "" {
		return "全市", "Whole city"
	}
	u, _ := n.a.Inventory.Unit(code)
	return u.NameZH, u.NameEN
}
