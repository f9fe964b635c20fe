package incident

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/store"
)

// Clocks computes SLA deadlines (package sla behind an adapter): when
// they start, how a pause or an extension moves them, and how far past
// them an incident is.
type Clocks interface {
	// Start returns the clock of an incident dispatched at `at`.
	Start(category string, level int8, at time.Time) (model.IncidentClock, error)
	// Pause stops the clock at `at` (a suspension).
	Pause(c model.IncidentClock, at time.Time) (model.IncidentClock, error)
	// Resume moves the deadlines of a paused clock by the working time
	// that passed until at.
	Resume(c model.IncidentClock, at time.Time) (model.IncidentClock, error)
	// Extend moves the disposal deadline by d of working time.
	Extend(c model.IncidentClock, d time.Duration, at time.Time) (model.IncidentClock, error)
	// Escalation says how far the clock's deadlines have pushed an
	// incident at now, given whether it has been responded to.
	Escalation(c model.IncidentClock, responded bool, now time.Time) model.Escalation
}

// Places answers questions about the unit tree.
type Places interface {
	// Ancestors returns the path from the root to the unit, the unit last
	// (nil for an unknown unit).
	Ancestors(code string) []string
	// Locate returns the deepest unit holding the point.
	Locate(lon, lat float64) (string, bool)
}

// Auditor appends to the audit log.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// Change is what listeners hear after every stored change of an incident.
type Change struct {
	Incident model.Incident      `json:"incident"`
	Event    model.IncidentEvent `json:"event"`
}

// Config are the rules of the loop.
type Config struct {
	// Categories are the known incident categories (id → names).
	Categories map[string]Category
	// MaxText bounds titles, notes and reasons in bytes (0: 4 KiB).
	MaxText int
}

// Category is an incident category's names.
type Category struct {
	NameZH, NameEN string
}

// Service drives incidents through the loop. Every transition is checked
// against the actor's permission, department and area, stored with the
// event that explains it, audited and announced to listeners.
type Service struct {
	st     store.Incidents
	clocks Clocks
	router *Router
	places Places
	files  *Files
	audit  Auditor
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	listen []func(Change)
	// teamDept, if set, names a field team's department (for checks).
	teamDept func(ctx context.Context, team int64) (string, error)
	// hazardsOf, if set, lists the open hazards of assets.
	hazardsOf func(ctx context.Context, assets []string) []int64

	// writes counts incident writes: the generation of what board holds.
	writes atomic.Uint64
	board  boardCache
}

// NewService builds the service. now is the clock (time.Now in
// production).
func NewService(st store.Incidents, clocks Clocks, router *Router, places Places, audit Auditor, cfg Config, now func() time.Time, log *slog.Logger) *Service {
	if cfg.MaxText == 0 {
		cfg.MaxText = 4 << 10
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{st: st, clocks: clocks, router: router, places: places, audit: audit, cfg: cfg, now: now, log: log}
}

// KeepFiles sets where attachments are kept; without it Attach refuses.
func (s *Service) KeepFiles(f *Files) { s.files = f }

// CheckTeams makes dispatch and assign refuse unknown field teams and
// teams of another department; dept returns a team's department.
func (s *Service) CheckTeams(dept func(ctx context.Context, team int64) (string, error)) {
	s.teamDept = dept
}

// LinkHazards makes every new incident on assets carry the open hazards
// (hazard register ids) of those assets, so whoever disposes of it sees
// them.
func (s *Service) LinkHazards(of func(ctx context.Context, assets []string) []int64) {
	s.hazardsOf = of
}

// Listen adds a listener called after every stored change. Listeners
// are added before the service is used; they must not block.
func (s *Service) Listen(fn func(Change)) { s.listen = append(s.listen, fn) }

// New is an incident as its reporter describes it.
type New struct {
	Title       string               `json:"title"`
	Description string               `json:"description,omitempty"`
	Category    string               `json:"category"`
	Level       int8                 `json:"level,omitempty"`
	Source      model.IncidentSource `json:"source,omitempty"` // manual unless said
	Unit        string               `json:"unit,omitempty"`
	Lon         *float64             `json:"lon,omitempty"`
	Lat         *float64             `json:"lat,omitempty"`
	Assets      []string             `json:"assets,omitempty"`
	Alerts      []string             `json:"alerts,omitempty"`
	Reports     []int64              `json:"reports,omitempty"`
	Parent      int64                `json:"parent,omitempty"`
	Domain      string               `json:"domain,omitempty"`
	Dept        string               `json:"dept,omitempty"` // preset department (plans); else routed
	Plan        string               `json:"plan,omitempty"`
	// Register skips the collection step: the incident starts registered
	// (立案), as auto-registration rules and plans do.
	Register bool `json:"register,omitempty"`
}

// Open records a new incident in the collection step (or registered, if
// n.Register), placed in its unit and routed to a department.
func (s *Service) Open(ctx context.Context, p auth.Principal, n New) (model.Incident, error) {
	inc, err := s.draft(p, n)
	if err != nil {
		return inc, err
	}
	if err := s.checkScope(p, inc.Unit); err != nil {
		return inc, err
	}
	if s.hazardsOf != nil && len(inc.Assets) > 0 {
		inc.Hazards = s.hazardsOf(ctx, inc.Assets)
	}
	ev := s.event(p, "open", "", inc.State, n.Description, nil)
	ev.Data = map[string]any{"source": string(inc.Source), "dept": inc.Dept}
	stored, err := s.st.CreateIncident(ctx, inc, s.places.Ancestors(inc.Unit), ev)
	s.writes.Add(1)
	if err != nil {
		return stored, fmt.Errorf("open incident: %w", err)
	}
	s.after(ctx, p, stored, ev)
	return stored, nil
}

func (s *Service) draft(p auth.Principal, n New) (model.Incident, error) {
	now := s.now().UnixMilli()
	inc := model.Incident{
		Title: strings.TrimSpace(n.Title), Description: n.Description, Category: n.Category, Domain: n.Domain,
		Level: n.Level, Source: n.Source, State: model.IncidentReported, Unit: n.Unit,
		Assets: n.Assets, Alerts: n.Alerts, Reports: n.Reports, Parent: n.Parent, Plan: n.Plan, Dept: n.Dept,
		CreatedBy: p.Name(), CreatedAt: now, UpdatedAt: now,
	}
	if inc.Source == "" {
		inc.Source = model.SourceManual
	}
	if n.Register {
		inc.State = model.IncidentRegistered
	}
	if err := s.validate(inc, n); err != nil {
		return inc, err
	}
	if n.Lon != nil && n.Lat != nil {
		inc.Lon, inc.Lat, inc.HasPoint = *n.Lon, *n.Lat, true
		if inc.Unit == "" {
			inc.Unit, _ = s.places.Locate(inc.Lon, inc.Lat)
		}
	}
	if inc.Unit != "" && s.places.Ancestors(inc.Unit) == nil {
		return inc, model.Errorf(model.EINVALID, "unit: %q is not a known unit", clip(inc.Unit))
	}
	if inc.Dept == "" {
		if dept, _, err := s.route(inc); err == nil {
			inc.Dept = dept
		}
	}
	return inc, nil
}

func (s *Service) validate(inc model.Incident, n New) error {
	switch {
	case inc.Title == "":
		return model.Errorf(model.EINVALID, "title: required")
	case len(inc.Title) > 200 || !utf8.ValidString(inc.Title):
		return model.Errorf(model.EINVALID, "title: must be valid UTF-8 of at most 200 bytes")
	case len(inc.Description) > s.cfg.MaxText || !utf8.ValidString(inc.Description):
		return model.Errorf(model.EINVALID, "description: must be valid UTF-8 of at most %d bytes", s.cfg.MaxText)
	case inc.Level < 0 || inc.Level > 4:
		return model.Errorf(model.EINVALID, "level: %d is not 0 (unrated) or 1 blue … 4 red", inc.Level)
	case !slices.Contains(model.IncidentSources, inc.Source):
		return model.Errorf(model.EINVALID, "source: %q is not one of %v", clip(string(inc.Source)), model.IncidentSources)
	case (n.Lon == nil) != (n.Lat == nil):
		return model.Errorf(model.EINVALID, "lon, lat: give both or neither")
	case n.Lon != nil && (*n.Lon < -180 || *n.Lon > 180 || *n.Lat < -90 || *n.Lat > 90 || *n.Lon != *n.Lon || *n.Lat != *n.Lat):
		return model.Errorf(model.EINVALID, "lon, lat: (%g, %g) is not a WGS84 position", *n.Lon, *n.Lat)
	}
	if _, ok := s.cfg.Categories[inc.Category]; !ok {
		return model.Errorf(model.EINVALID, "category: %q is not a known incident category", clip(inc.Category))
	}
	return nil
}

func (s *Service) route(inc model.Incident) (string, string, error) {
	return s.router.Route(RouteInput{
		Category: inc.Category, Domain: inc.Domain, Level: inc.Level, Unit: inc.Unit,
		Path: s.places.Ancestors(inc.Unit), Source: inc.Source, Assets: inc.Assets,
	})
}

// Get returns an incident the principal may see.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (model.Incident, error) {
	inc, err := s.st.Incident(ctx, id)
	if err != nil {
		return inc, err
	}
	if err := s.checkScope(p, inc.Unit); err != nil {
		return model.Incident{}, err
	}
	return inc, nil
}

// History returns an incident's events, oldest first.
func (s *Service) History(ctx context.Context, p auth.Principal, id int64) ([]model.IncidentEvent, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return s.st.IncidentEvents(ctx, id)
}

// List pages through incidents in the principal's area.
func (s *Service) List(ctx context.Context, p auth.Principal, f store.IncidentFilter, pg store.Page) ([]model.Incident, string, error) {
	f, err := s.scopeFilter(p, f)
	if err != nil {
		return nil, "", err
	}
	return s.st.Incidents(ctx, f, pg)
}

// scopeFilter narrows a listing to the principal's area: a user bound
// to a district sees that district even when asking for the city.
func (s *Service) scopeFilter(p auth.Principal, f store.IncidentFilter) (store.IncidentFilter, error) {
	scope := ""
	if p.User != nil {
		scope = p.User.Scope
	}
	switch {
	case scope == "":
	case f.Under == "":
		f.Under = scope
	case !slices.Contains(s.places.Ancestors(f.Under), scope):
		return f, model.Errorf(model.EFORBIDDEN, "unit %q is outside %s's area", clip(f.Under), p.Name())
	}
	return f, nil
}

func (s *Service) checkScope(p auth.Principal, unit string) error {
	if p.User == nil || p.User.Scope == "" {
		return nil
	}
	if unit != "" && auth.InScope(p, s.places.Ancestors(unit)) {
		return nil
	}
	return model.Errorf(model.EFORBIDDEN, "incident in unit %q is outside %s's area", clip(unit), p.Name())
}

func (s *Service) event(p auth.Principal, action string, from, to model.IncidentState, note string, attachments []string) model.IncidentEvent {
	return model.IncidentEvent{At: s.now().UnixMilli(), Actor: p.Name(), Action: action, From: from, To: to, Note: note, Attachments: attachments}
}

// after audits a stored change and tells the listeners.
func (s *Service) after(ctx context.Context, p auth.Principal, inc model.Incident, ev model.IncidentEvent) {
	detail := map[string]any{"from": ev.From, "to": ev.To, "version": inc.Version}
	if ev.Note != "" {
		detail["note"] = ev.Note
	}
	if err := s.audit.Record(ctx, p.Name(), "incident."+ev.Action, fmt.Sprintf("incident/%d", inc.ID), detail); err != nil {
		// The change is stored with its event; the audit failure is an
		// operational fault to fix, not a reason to undo the change.
		s.log.Error("audit incident change", "incident", inc.ID, "action", ev.Action, "err", err)
	}
	for _, fn := range s.listen {
		fn(Change{Incident: inc, Event: ev})
	}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
