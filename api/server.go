package api

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"cityvitals/account"
	"cityvitals/alert"
	"cityvitals/alert/public"
	"cityvitals/asset"
	"cityvitals/auth"
	"cityvitals/campaign"
	"cityvitals/incident"
	"cityvitals/ingest"
	"cityvitals/internal/fanout"
	"cityvitals/inventory"
	"cityvitals/model"
	"cityvitals/store"
	"cityvitals/vitals"
)

// Authenticator turns bearer secrets and passwords into principals.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (auth.Principal, error)
	Login(ctx context.Context, name, password string) (string, auth.Principal, error)
	Logout(ctx context.Context, secret string) error
}

// Ingester accepts batches of observations and returns once they are
// durable.
type Ingester interface {
	Ingest(ctx context.Context, src ingest.Source, body []byte) (ingest.Result, error)
}

// Auditor appends to the audit log.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// Deps are the services the API translates to.
type Deps struct {
	Auth        Authenticator
	Ingest      Ingester
	Inventory   *inventory.Service
	Units       store.Units
	Assets      store.Assets
	AssetTypes  *asset.TypeCatalog
	Datastreams store.Datastreams
	History     store.History
	Users       store.Users
	Audit       store.Audit
	Auditor     Auditor
	Accounts    *account.Service
	Metrics     http.Handler // Prometheus exposition
	Vitals      VitalSigns
	Catalogs    *vitals.Catalogs
	Feed        *vitals.Feed
	Signs       store.Signs
	Alerts      AlertService
	AlertStore  store.Alerts
	AlertHub    *alert.Hub
	// AlertMutes says why an alert's notifications are held back now
	// (nil: not muted); nil when nothing mutes.
	AlertMutes   func(a model.Alert, at time.Time) *alert.MuteReason
	Silences     Silences
	SilenceStore SilenceStore
	PublicNames  public.Names
	Incidents    IncidentService
	IncidentHub  *fanout.Hub[incident.Change]
	PlanSvc      PlanService
	Teams        store.Teams
	TeamPlans    TeamPlanner
	Reports      ReportService
	Campaigns    CampaignService
	Files        FileStore
	// Open311 serves GeoReport v2 at /open311/v2/; it authenticates
	// every request by its api_key itself.
	Open311 http.Handler
	// Dashboard serves the web dashboard at /: static files only, no data
	// (the app logs in and calls /api/v1 with its token).
	Dashboard http.Handler
	// Drills plays simulator scenarios; only the demo city has one.
	Drills Drills
	Logger *slog.Logger
	// MaxBodyBytes bounds every request body (ingest has its own, larger
	// limit in the ingest config). 0 means 16 MiB.
	MaxBodyBytes int64
}

// Server serves the HTTP API. Build it with New; it is an http.Handler.
type Server struct {
	Deps
	log        *slog.Logger
	mux        *http.ServeMux
	routeTable []Route
	logins     *loginThrottle
}

// New builds the route table.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 16 << 20
	}
	s := &Server{Deps: d, log: d.Logger, mux: http.NewServeMux(), logins: newLoginThrottle()}
	s.routes()
	return s
}

// handlerFunc is a handler that has passed authentication.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal)

// Route is one authenticated endpoint and the permission it needs ("" =
// any valid token). The table is exported so tests can prove that every
// route refuses a missing token, a wrong token and a role without Perm.
type Route struct {
	Method  string
	Path    string // ServeMux pattern path, with {wildcards}
	Perm    auth.Permission
	handler handlerFunc
}

// Routes returns the authenticated routes.
func (s *Server) Routes() []Route { return s.routeTable }

func (s *Server) table() []Route {
	const v1 = "/api/v1"
	r := func(method, path string, perm auth.Permission, h handlerFunc) Route {
		return Route{Method: method, Path: path, Perm: perm, handler: h}
	}
	return []Route{
		r("GET", "/metrics", auth.MetricsRead, func(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
			s.Metrics.ServeHTTP(w, r)
		}),
		r("GET", v1+"/me", "", s.me),
		r("POST", v1+"/auth/logout", "", s.logout),

		r("POST", v1+"/observations", auth.IngestWrite, s.postObservations),
		r("GET", v1+"/datastreams/{id}/observations", auth.ObservationRead, s.getObservations),
		r("GET", v1+"/datastreams/{id}/aggregates", auth.ObservationRead, s.getAggregates),
		r("GET", v1+"/datastreams/{id}/latest", auth.ObservationRead, s.getStreamLatest),
		r("GET", v1+"/units/{code}/latest", auth.ObservationRead, s.getUnitLatest),

		r("GET", v1+"/datastreams", auth.DatastreamRead, s.listDatastreams),
		r("POST", v1+"/datastreams", auth.DatastreamWrite, s.createDatastreams),
		r("GET", v1+"/datastreams/{id}", auth.DatastreamRead, s.getDatastream),
		r("GET", v1+"/properties", auth.DatastreamRead, s.listProperties),

		r("GET", v1+"/units", auth.UnitRead, s.listUnits),
		r("GET", v1+"/units/{code}", auth.UnitRead, s.getUnit),
		r("GET", v1+"/units/{code}/children", auth.UnitRead, s.getChildren),
		r("POST", v1+"/units/import", auth.UnitWrite, s.importUnits),
		r("POST", v1+"/units/{code}/grid", auth.UnitWrite, s.generateGrid),
		r("GET", v1+"/locate", auth.UnitRead, s.locate),

		r("GET", v1+"/assets", auth.AssetRead, s.listAssets),
		r("GET", v1+"/assets/{id}", auth.AssetRead, s.getAsset),
		r("POST", v1+"/assets/import", auth.AssetWrite, s.importAssets),
		r("GET", v1+"/asset-types", auth.AssetRead, s.listAssetTypes),

		r("GET", v1+"/vitals/units/{code}", auth.VitalsRead, s.getVitals),
		r("GET", v1+"/vitals/units/{code}/children", auth.VitalsRead, s.getChildVitals),
		r("GET", v1+"/vitals/units/{code}/history/{indicator}", auth.VitalsRead, s.getIndicatorHistory),
		r("GET", v1+"/vitals/changes", auth.VitalsRead, s.listLevelChanges),
		r("GET", v1+"/vitals/changes/stream", auth.VitalsRead, s.streamLevelChanges),
		r("GET", v1+"/indicators", auth.VitalsRead, s.listIndicators),
		r("GET", v1+"/indicators/{id}", auth.VitalsRead, s.getIndicator),
		r("PUT", v1+"/indicators", auth.IndicatorWrite, s.putIndicators),

		r("GET", v1+"/alerts", auth.AlertRead, s.listAlerts),
		r("GET", v1+"/alerts/stream", auth.AlertRead, s.streamAlerts),
		r("GET", v1+"/alerts/{fp}", auth.AlertRead, s.getAlert),
		r("POST", v1+"/alerts/{fp}/ack", auth.AlertAck, s.ackAlert),
		r("POST", v1+"/alerts/{fp}/assign", auth.AlertAck, s.assignAlert),

		r("GET", v1+"/cap/feed.atom", auth.AlertRead, s.capFeed),
		r("GET", v1+"/cap/alerts/{id}", auth.AlertRead, s.capDocument),
		r("GET", v1+"/silences", auth.AlertRead, s.listSilences),
		r("POST", v1+"/silences", auth.AlertAck, s.createSilence),
		r("POST", v1+"/silences/{id}/extend", auth.AlertAck, s.extendSilence),
		r("DELETE", v1+"/silences/{id}", auth.AlertAck, s.expireSilence),

		r("GET", v1+"/incidents", auth.IncidentRead, s.listIncidents),
		r("POST", v1+"/incidents", auth.IncidentReport, s.createIncident),
		r("GET", v1+"/incidents/board", auth.IncidentRead, s.incidentBoard),
		r("GET", v1+"/incidents/stream", auth.IncidentRead, s.streamIncidents),
		r("GET", v1+"/incidents/evaluation", auth.IncidentRead, s.evaluateIncidents),
		r("GET", v1+"/incidents/{id}", auth.IncidentRead, s.getIncident),
		// Which role, department and area may take which step is the
		// incident service's decision (incident/actions.go).
		r("POST", v1+"/incidents/{id}/actions/{action}", auth.IncidentRead, s.actOnIncident),
		r("POST", v1+"/incidents/{id}/attachments", auth.IncidentRead, s.attachToIncident),
		r("GET", v1+"/incidents/{id}/attachments/{hash}", auth.IncidentRead, s.getIncidentAttachment),

		r("GET", v1+"/reports", auth.ReportRead, s.listReports),
		r("GET", v1+"/reports/export.csv", auth.ReportRead, s.exportReports),

		r("GET", v1+"/scenarios", auth.ScenarioRun, s.listScenarios),
		r("POST", v1+"/scenarios/{name}", auth.ScenarioRun, s.injectScenario),

		r("POST", v1+"/files", auth.CampaignRead, s.uploadFile),
		r("GET", v1+"/campaigns", auth.CampaignRead, s.listCampaigns),
		r("POST", v1+"/campaigns", auth.CampaignWrite, s.createCampaign),
		r("GET", v1+"/campaigns/{id}", auth.CampaignRead, s.getCampaign),
		r("PATCH", v1+"/campaigns/{id}", auth.CampaignWrite, s.updateCampaign),
		r("POST", v1+"/campaigns/{id}/tasks/generate", auth.CampaignWrite, s.generateTasks),
		r("POST", v1+"/campaigns/{id}/tasks/assign", auth.CampaignWrite, s.assignTasks),
		r("GET", v1+"/campaigns/{id}/tasks", auth.CampaignRead, s.listTasks),
		r("GET", v1+"/campaigns/{id}/tasks/{task}/result", auth.CampaignRead, s.getInspectionResult),
		r("POST", v1+"/campaigns/{id}/inspections", auth.InspectionSubmit, s.submitInspection),
		r("POST", v1+"/campaigns/{id}/inspections/batch", auth.InspectionSubmit, s.uploadInspections),
		r("GET", v1+"/campaigns/{id}/report", auth.CampaignRead, s.campaignReport("json")),
		r("GET", v1+"/campaigns/{id}/report.csv", auth.CampaignRead, s.campaignReport("csv")),
		r("GET", v1+"/campaigns/{id}/report.xlsx", auth.CampaignRead, s.campaignReport("xlsx")),
		r("POST", v1+"/hazards", auth.InspectionSubmit, s.reportHazard),
		r("GET", v1+"/hazards", auth.CampaignRead, s.listHazards),
		r("GET", v1+"/hazards/{id}", auth.CampaignRead, s.getHazard),
		r("POST", v1+"/hazards/{id}/plan", auth.HazardRectify, hazardStep(s, true, noFiles[campaign.Plan], s.planHazard)),
		r("POST", v1+"/hazards/{id}/milestones/{seq}/done", auth.HazardRectify, s.completeMilestone),
		r("POST", v1+"/hazards/{id}/rectify", auth.HazardRectify, hazardStep(s, true, func(e campaign.Evidence) []string { return e.Evidence }, s.rectifyHazard)),
		r("POST", v1+"/hazards/{id}/verify", auth.HazardVerify, hazardStep(s, false, func(v campaign.Verdict) []string { return v.Evidence }, s.verifyHazard)),
		r("POST", v1+"/hazards/{id}/reopen", auth.HazardVerify, hazardStep(s, false, noFiles[campaign.Reopening], s.reopenHazard)),

		r("GET", v1+"/teams", auth.IncidentRead, s.listTeams),
		r("POST", v1+"/teams", auth.TeamWrite, s.createTeam),
		r("GET", v1+"/teams/{id}", auth.IncidentRead, s.getTeam),
		r("PUT", v1+"/teams/{id}", auth.TeamWrite, s.updateTeam),
		r("POST", v1+"/teams/{id}/position", auth.TeamWrite, s.setTeamPosition),
		r("GET", v1+"/team-plan", auth.IncidentDispatch, s.proposeTeamPlan),
		r("POST", v1+"/team-plan/apply", auth.IncidentDispatch, s.applyTeamPlan),

		r("GET", v1+"/plans", auth.IncidentRead, s.listPlans),
		r("GET", v1+"/plans/{id}", auth.IncidentRead, s.getPlan),
		r("GET", v1+"/plans/{id}/versions", auth.IncidentRead, s.listPlanVersions),
		r("GET", v1+"/plans/{id}/versions/{v}", auth.IncidentRead, s.getPlanVersion),
		r("PUT", v1+"/plans/{id}", auth.PlanWrite, s.putPlan),
		r("POST", v1+"/plans/{id}/activate", auth.IncidentDispatch, s.activatePlan),
		r("GET", v1+"/plan-activations", auth.IncidentRead, s.listActivations),
		r("GET", v1+"/plan-activations/{id}", auth.IncidentRead, s.getActivation),
		r("GET", v1+"/plan-activations/{id}/progress", auth.IncidentRead, s.activationProgress),
		r("POST", v1+"/plan-activations/{id}/retry", auth.IncidentDispatch, s.retryActivation),
		r("POST", v1+"/plan-activations/{id}/end", auth.IncidentDispatch, s.endActivation),
		r("GET", v1+"/plan-vocabulary", auth.IncidentRead, s.planVocabulary),

		r("GET", v1+"/users", auth.UserAdmin, s.listUsers),
		r("POST", v1+"/users", auth.UserAdmin, s.createUser),
		r("POST", v1+"/tokens", auth.TokenAdmin, s.createToken),
		r("GET", v1+"/audit", auth.AuditRead, s.listAudit),
		r("GET", v1+"/audit/verify", auth.AuditRead, s.verifyAudit),
	}
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		// Liveness only: says nothing about the city, so it needs no token.
		w.Write([]byte("ok\n"))
	})
	// Login is the one route that takes a password instead of a token.
	s.mux.HandleFunc("POST /api/v1/auth/login", s.login)
	if s.Open311 != nil {
		s.mux.Handle("/open311/v2/", http.StripPrefix("/open311/v2", s.Open311))
	}
	// Unknown API paths are 404 problems, never the dashboard's page.
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, model.Errorf(model.ENOTFOUND, "no API route %s %s", r.Method, clipText(r.URL.Path)))
	})
	if s.Dashboard != nil {
		s.mux.Handle("/", s.Dashboard)
	}
	s.routeTable = s.table()
	for _, rt := range s.routeTable {
		s.handle(rt)
	}
}

// handle registers a route behind authentication and its permission.
func (s *Server) handle(rt Route) {
	s.mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if rt.Perm != "" && !p.Can(rt.Perm) {
			s.fail(w, r, model.Errorf(model.EFORBIDDEN, "%s may not %s", p.Name(), rt.Perm))
			return
		}
		rt.handler(w, r, p)
	})
}

func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		return auth.Principal{}, model.Errorf(model.EUNAUTHORIZED, "missing bearer token (Authorization: Bearer <token>)")
	}
	return s.Auth.Authenticate(r.Context(), strings.TrimSpace(secret))
}

// ServeHTTP applies the cross-cutting guards, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			s.fail(w, r, model.Errorf(model.EINTERNAL, "internal error"))
		}
	}()
	if r.URL.Path != "/api/v1/observations" {
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "took", time.Since(start))
}
