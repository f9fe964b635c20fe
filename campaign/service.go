package campaign

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

// Units answers questions about the unit tree; inventory.Service provides
// Ancestors and Unit, and Descendants over its subtree.
type Units interface {
	// Descendants returns the unit and every unit below it (nil for an
	// unknown unit).
	Descendants(code string) []string
	// Ancestors returns the path from the root to the unit, the unit last
	// (nil for an unknown unit).
	Ancestors(code string) []string
	// Unit returns the unit with the code.
	Unit(code string) (model.Unit, bool)
}

// Auditor appends to the audit log; audit.Logger implements it.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// Store is the storage the service needs: the campaign store and asset
// lookups. *sqlitestore.DB implements it.
type Store interface {
	store.Campaigns
	Asset(ctx context.Context, id string) (model.Asset, error)
}

// Service runs campaigns. It is safe for concurrent use; it keeps no
// state between calls beyond its configuration.
type Service struct {
	st         Store
	units      Units
	audit      Auditor
	now        func() time.Time
	checklists *Catalog
	loc        *time.Location
	deptNames  map[string]string
	log        *slog.Logger
}

// Option configures a Service.
type Option func(*Service)

// WithChecklists sets the checklists campaigns choose from (default:
// DefaultChecklists).
func WithChecklists(c *Catalog) Option { return func(s *Service) { s.checklists = c } }

// WithLocation sets the zone in which deadlines in days end at midnight
// and exports show dates (default UTC+8, China Standard Time).
func WithLocation(loc *time.Location) Option { return func(s *Service) { s.loc = loc } }

// WithDepartments names the departments (id → Chinese name). When set,
// a campaign's departments must be among them, and reports show names.
func WithDepartments(names map[string]string) Option {
	return func(s *Service) { s.deptNames = names }
}

// WithLogger sets where operational faults (a failed audit record after
// a stored change) are logged; default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// NewService returns a Service over st that reads the unit tree from
// units, records to audit and reads the wall clock from now.
func NewService(st Store, units Units, audit Auditor, now func() time.Time, opts ...Option) *Service {
	s := &Service{
		st: st, units: units, audit: audit, now: now,
		checklists: DefaultChecklists(),
		loc:        time.FixedZone("CST", 8*60*60),
		log:        slog.Default(),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Checklists returns the catalog campaigns choose from.
func (s *Service) Checklists() *Catalog { return s.checklists }

// record writes an audit record for a change that is already stored. A
// failure is an operational fault to fix, not a reason to report the
// stored change as failed, so it is logged.
func (s *Service) record(ctx context.Context, actor, action, target string, detail any) {
	if err := s.audit.Record(ctx, actor, action, target, detail); err != nil {
		s.log.Error("audit campaign change", "action", action, "target", target, "err", err)
	}
}

func (s *Service) nowMs() int64 { return s.now().UnixMilli() }

// checkActor refuses an empty actor name: every change must say who made it.
func checkActor(actor string) error {
	if actor == "" {
		return model.Errorf(model.EINVALID, "the acting user is missing")
	}
	return nil
}

// rfc3339 formats Unix milliseconds for messages, in UTC.
func rfc3339(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }

func hazardTarget(id int64) string   { return fmt.Sprintf("hazard/%d", id) }
func campaignTarget(id int64) string { return fmt.Sprintf("campaign/%d", id) }
