package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"cityvitals/alert"
	"cityvitals/alert/dispatch"
	"cityvitals/alert/inhibit"
	"cityvitals/alert/silence"
	"cityvitals/api"
	"cityvitals/auth"
	"cityvitals/campaign"
	"cityvitals/citizen"
	"cityvitals/dashboard"
	"cityvitals/detect/anomaly"
	"cityvitals/detect/cluster"
	"cityvitals/detect/predict"
	"cityvitals/detect/rate"
	"cityvitals/detect/silent"
	"cityvitals/engine"
	"cityvitals/fieldops"
	"cityvitals/incident"
	"cityvitals/ingest"
	"cityvitals/internal/fanout"
	"cityvitals/model"
	"cityvitals/mqtt"
	"cityvitals/notify/outbox"
	"cityvitals/open311"
	"cityvitals/plan"
	pebblestore "cityvitals/store/pebble"
	"cityvitals/vitals"
)

// App is the running platform. Open builds it, Run serves until the
// context ends, Close releases the stores.
type App struct {
	cfg Config
	log *slog.Logger

	*Core
	History   *pebblestore.History
	Ingest    *ingest.Service
	Auth      *auth.Authenticator
	Metrics   *prometheus.Registry
	Engine    *engine.Engine
	Catalogs  *vitals.Catalogs
	Feed      *vitals.Feed
	Alerts    *alert.Manager
	AlertHub  *alert.Hub
	Outbox    *outbox.Outbox
	Silencer  *silence.Silencer
	Silences  *silence.Service
	Inhibitor *inhibit.Inhibitor
	Silent    *silent.Detector
	Predict   *predict.Detector
	Anomalies *anomaly.Watch
	Rates     *rate.Detector
	Clusters  *cluster.Detector
	// clusterFeed turns readings and findings into cluster signals.
	clusterFeed *clusterFeed
	Dispatch    *dispatch.Dispatcher
	muter       alert.Muters

	Incidents       *incident.Service
	IncidentHub     *fanout.Hub[incident.Change]
	Plans           *plan.Service
	TeamPlans       *fieldops.Planner
	Reports         *citizen.Service
	open311         *open311.Handler
	systemPrincipal auth.Principal
	alertIntake     chan alert.Event
	autoRules       []incident.AutoRule
	urgent          chan int64 // red incidents to place with a team
	Campaigns       *campaign.Service
	files           *incident.Files
	drills          drillDesk
	riskPublished   map[string]bool // assets whose hazard risk was last published non-zero

	api         *api.Server
	dispatchers []*outbox.Dispatcher
	broker      *mqtt.Broker
	bridge      *mqtt.Bridge
	httpLn      net.Listener
	cleanups    []func() error
}

// Open opens the stores in cfg.DataDir (creating it) and builds every
// service. The listeners open here too, so their addresses are known
// before Run.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, log: log, Metrics: prometheus.NewRegistry()}
	if err := a.build(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// build opens the stores and builds the services in dependency order;
// on failure Close releases what was opened.
func (a *App) build(ctx context.Context) error {
	var err error
	if a.Core, err = OpenCore(ctx, a.cfg.DataDir); err != nil {
		return err
	}
	a.cleanups = append(a.cleanups, a.Core.Close)
	steps := []func() error{
		a.openHistory, a.buildServices, a.buildVitals,
		func() error { return a.buildAlerts(ctx) },
		func() error { return a.buildIncidents(ctx) },
		func() error { return a.warmEngine(ctx) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	// Warming reads a lot of history once; hand that memory back now
	// rather than when the scavenger gets to it.
	debug.FreeOSMemory()
	return a.buildTransports()
}

func (a *App) openHistory() error {
	var err error
	if a.History, err = pebblestore.Open(a.cfg.historyPath(), pebblestore.Options{Logger: a.log}); err != nil {
		return fmt.Errorf("open history store (is another cityvitals using %s?): %w", a.cfg.DataDir, err)
	}
	a.cleanups = append(a.cleanups, a.History.Close)
	return nil
}

func (a *App) buildServices() error {
	a.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var opts []auth.Option
	if a.cfg.SessionTTL > 0 {
		opts = append(opts, auth.WithSessionTTL(a.cfg.SessionTTL))
	}
	a.Auth = auth.NewAuthenticator(a.DB, opts...)
	props := a.Properties
	icfg := a.cfg.Ingest
	icfg.Range = func(id string) (float64, float64, bool) {
		p, ok := props.Lookup(id)
		return p.Min, p.Max, ok
	}
	icfg.Provision = a.provision
	icfg.Registerer = a.Metrics
	icfg.Logger = a.log
	var err error
	a.Ingest, err = ingest.NewService(a.History, a.Registry, icfg)
	return err
}

// provision registers a stream a device named but that does not exist
// yet, for device tokens that allow it.
func (a *App) provision(ctx context.Context, src ingest.Source, key, prop, uom string) (model.Datastream, error) {
	return a.Inventory.EnsureDatastream(ctx, src.Actor, model.Datastream{
		Key: key, Name: key, Property: prop, UoM: uom, Device: src.Device,
	})
}

func (a *App) buildTransports() error {
	board, err := dashboard.New()
	if err != nil {
		return err
	}
	a.api = api.New(api.Deps{
		Auth: a.Auth, Ingest: a.Ingest, Inventory: a.Inventory,
		Units: a.DB, Assets: a.DB, AssetTypes: a.AssetTypes, Datastreams: a.DB,
		History: a.History, Users: a.DB, Audit: a.DB, Auditor: a.Audit, Accounts: a.Accounts,
		Vitals: a.Engine, Catalogs: a.Catalogs, Feed: a.Feed, Signs: a.History,
		Alerts: a.Alerts, AlertStore: a.DB, AlertHub: a.AlertHub, AlertMutes: a.muter.Explain,
		Silences: a.Silences, SilenceStore: a.DB, PublicNames: publicNames{alertNames{a}},
		Incidents: a.Incidents, IncidentHub: a.IncidentHub, PlanSvc: a.Plans, Teams: a.DB, TeamPlans: a.TeamPlans,
		Reports: a.Reports, Open311: a.open311, Campaigns: a.Campaigns, Files: a.files, Dashboard: board,
		Drills:  &a.drills,
		Metrics: promhttp.HandlerFor(a.Metrics, promhttp.HandlerOpts{Registry: a.Metrics}),
		Logger:  a.log,
	})
	if a.cfg.HTTPAddr != "" {
		if a.httpLn, err = net.Listen("tcp", a.cfg.HTTPAddr); err != nil {
			return fmt.Errorf("listen for HTTP on %s: %w", a.cfg.HTTPAddr, err)
		}
	}
	if a.cfg.MQTTAddr != "" {
		bcfg := mqtt.BrokerConfig{Addr: a.cfg.MQTTAddr}
		if a.broker, err = mqtt.NewBroker(bcfg, a.Ingest, deviceAuth{a.Auth}, a.log, a.Metrics); err != nil {
			return fmt.Errorf("embedded MQTT broker: %w", err)
		}
	}
	if a.cfg.Bridge.BrokerURL != "" {
		if a.bridge, err = mqtt.NewBridge(a.cfg.Bridge, a.Ingest, a.log, a.Metrics); err != nil {
			return fmt.Errorf("MQTT bridge: %w", err)
		}
	}
	return nil
}

// HTTPAddr is the address the API listens on, or "" when it is off.
func (a *App) HTTPAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// MQTTAddr is the embedded broker's address, or "" when it is off.
func (a *App) MQTTAddr() string {
	if a.broker == nil {
		return ""
	}
	return a.broker.Addr().String()
}

// Run serves until ctx ends, then drains: the transports stop taking new
// work first, then the ingest loop commits what it has accepted.
// defaultOutboxRetention keeps delivered notifications for 30 days.
const defaultOutboxRetention = 30 * 24 * time.Hour

func (a *App) Run(ctx context.Context) error {
	transports, stopTransports := context.WithCancel(context.Background())
	defer stopTransports()
	// Data flows ingest → engine → feed; they stop in that order so each
	// drains into the next.
	feedCtx, stopFeed := context.WithCancel(context.Background())
	feedDone := make(chan error, 1)
	go func() { feedDone <- a.Feed.Run(feedCtx) }()
	alertsDone := make(chan error, 1)
	go func() { alertsDone <- a.Alerts.Run(feedCtx) }()
	// The intake outlives the alert manager, which may still publish
	// while it drains.
	intakeCtx, stopIntake := context.WithCancel(context.Background())
	intakeDone := make(chan error, 1)
	go func() { intakeDone <- a.runAlertIntake(intakeCtx) }()
	engineCtx, stopEngine := context.WithCancel(context.Background())
	engineDone := make(chan error, 1)
	go func() { engineDone <- a.Engine.Run(engineCtx) }()
	ingestDone := make(chan error, 1)
	go func() { ingestDone <- a.Ingest.Run(context.Background()) }()

	g, gctx := errgroup.WithContext(transports)
	srv := &http.Server{Handler: a.api, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	if a.httpLn != nil {
		g.Go(func() error {
			if err := srv.Serve(a.httpLn); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("HTTP server: %w", err)
			}
			return nil
		})
	}
	if a.broker != nil {
		g.Go(func() error { return a.broker.Run(gctx) })
	}
	if a.bridge != nil {
		g.Go(func() error { return a.bridge.Run(gctx) })
	}
	g.Go(func() error { return a.newSampler().Run(gctx) })
	g.Go(func() error { return a.advanceAlerts(gctx) })
	g.Go(func() error { return a.Incidents.RunEscalation(gctx, a.escalationEvery()) })
	g.Go(func() error { return a.runUrgentPlacement(gctx) })
	g.Go(func() error { return a.runHazardWatch(gctx, a.escalationEvery()) })
	for _, d := range a.dispatchers {
		g.Go(func() error { return d.Run(gctx) })
	}
	if a.Dispatch != nil {
		g.Go(func() error { return a.Dispatch.Run(gctx) })
	}
	g.Go(func() error {
		return a.Outbox.RunPurge(gctx, cmp.Or(a.cfg.OutboxRetention, defaultOutboxRetention), time.Hour)
	})
	g.Go(func() error {
		select {
		case <-ctx.Done():
		case <-gctx.Done():
		}
		shutdownCtx, cancel := context.WithTimeout(context.Background(), a.shutdownTimeout())
		defer cancel()
		err := srv.Shutdown(shutdownCtx)
		stopTransports()
		return err
	})
	err := g.Wait()
	a.Ingest.Stop()
	err = errors.Join(err, wrapStop("ingest", <-ingestDone))
	stopEngine()
	err = errors.Join(err, wrapStop("engine", <-engineDone))
	stopFeed()
	err = errors.Join(err, wrapStop("alerts", <-alertsDone))
	stopIntake()
	err = errors.Join(err, wrapStop("incident intake", <-intakeDone))
	return errors.Join(err, wrapStop("level-change feed", <-feedDone))
}

func wrapStop(what string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (a *App) escalationEvery() time.Duration {
	if a.cfg.EscalationEvery > 0 {
		return a.cfg.EscalationEvery
	}
	return 30 * time.Second
}

func (a *App) shutdownTimeout() time.Duration {
	if a.cfg.ShutdownTimeout > 0 {
		return a.cfg.ShutdownTimeout
	}
	return 15 * time.Second
}

// Close releases the stores in reverse order of opening. Safe to call
// twice.
func (a *App) Close() error {
	var errs []error
	for i := len(a.cleanups) - 1; i >= 0; i-- {
		errs = append(errs, a.cleanups[i]())
	}
	a.cleanups = nil
	if a.httpLn != nil {
		a.httpLn.Close()
	}
	return errors.Join(errs...)
}

// Routes lists the API's authenticated routes, for tests that walk them.
func (a *App) Routes() []api.Route { return a.api.Routes() }

// deviceAuth checks MQTT credentials: the user name is the device id and
// the password its device token, which must belong to that device.
type deviceAuth struct{ auth *auth.Authenticator }

func (d deviceAuth) AuthenticateDevice(ctx context.Context, device, secret string) (ingest.Source, error) {
	p, err := d.auth.Authenticate(ctx, secret)
	if err != nil {
		return ingest.Source{}, err
	}
	if p.Device == "" || p.Device != device {
		return ingest.Source{}, model.Errorf(model.EUNAUTHORIZED, "token does not belong to device %q", device)
	}
	return ingest.Source{Transport: "mqtt", Device: device, Provision: p.Provision, Actor: p.Name()}, nil
}
