package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

// Incidents opens and reads the incidents that carry plan tasks; the
// incident service implements it.
type Incidents interface {
	Open(ctx context.Context, by string, inc model.Incident) (model.Incident, error)
	Incident(ctx context.Context, id int64) (model.Incident, error)
}

// Auditor appends to the audit log; audit.Logger implements it.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// UnitLevels tells the level of a unit in the tree, for triggers that
// name one; ok is false for an unknown unit.
type UnitLevels func(code string) (level model.UnitLevel, ok bool)

// Service keeps plans and activates them. It is safe for concurrent use.
// Call Seed or Refresh once at start-up so that MatchAlert knows the
// stored plans.
type Service struct {
	store      store.Plans
	incidents  Incidents
	audit      Auditor
	now        func() time.Time
	vocabulary Vocabulary
	unitLevels UnitLevels
	location   *time.Location

	triggers  atomic.Pointer[triggerIndex]
	triggerMu sync.Mutex // serialises changes of triggers

	// fanout admits one activation or retry at a time, so a retry never
	// opens an incident for a task whose first attempt is still running.
	fanout chan struct{}
}

// Option configures a Service.
type Option func(*Service)

// WithVocabulary sets the departments and categories plans may name
// (default: DefaultVocabulary).
func WithVocabulary(v Vocabulary) Option { return func(s *Service) { s.vocabulary = v } }

// WithUnitLevels lets triggers with a unit_level match. Without it such
// triggers match nothing: a plan meant for districts must not fire for
// every grid cell.
func WithUnitLevels(f UnitLevels) Option { return func(s *Service) { s.unitLevels = f } }

// WithLocation sets the zone deadlines are written in inside incident
// descriptions (default UTC+8, China Standard Time, which has no DST).
func WithLocation(loc *time.Location) Option { return func(s *Service) { s.location = loc } }

// NewService returns a Service over st that opens incidents through inc,
// records to audit and reads the wall clock from now.
func NewService(st store.Plans, inc Incidents, audit Auditor, now func() time.Time, opts ...Option) (*Service, error) {
	s := &Service{
		store: st, incidents: inc, audit: audit, now: now,
		location: time.FixedZone("CST", 8*60*60),
		fanout:   make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(s)
	}
	if s.vocabulary.Departments == nil {
		v, err := DefaultVocabulary()
		if err != nil {
			return nil, err
		}
		s.vocabulary = v
	}
	s.triggers.Store(&triggerIndex{})
	return s, nil
}

// Vocabulary returns the departments and categories plans may name.
func (s *Service) Vocabulary() Vocabulary { return s.vocabulary }

// Put validates p and stores it as the next version of plan p.ID, made
// by by. p.Version is the version the change was made from: 0 replaces
// whatever is latest, n > 0 fails with ECONFLICT if someone saved a
// newer version meanwhile. EINVALID names every field that is wrong
// (path as in the JSON, e.g. "tasks[2].deadline"); a plan's event type
// and level may not change between versions (they are what alerts match
// on: make a new plan instead). Audited as "plan.put".
func (s *Service) Put(ctx context.Context, by string, p model.Plan) (model.Plan, error) {
	by = strings.TrimSpace(by)
	if reason := badText(by, maxNameRunes); reason != "" {
		return model.Plan{}, model.Errorf(model.EINVALID, "plan %q: updated_by: %s", p.ID, reason)
	}
	p = normalize(p)
	if err := validate(p, s.vocabulary); err != nil {
		return model.Plan{}, err
	}
	if err := s.checkIdentity(ctx, p); err != nil {
		return model.Plan{}, err
	}
	p.UpdatedBy, p.UpdatedAt = by, s.now().UnixMilli()
	saved, err := s.store.PutPlan(ctx, p)
	if err != nil {
		return model.Plan{}, fmt.Errorf("put plan %q: %w", p.ID, err)
	}
	s.updateTriggers(saved)
	if err := s.audit.Record(ctx, by, "plan.put", "plan:"+saved.ID, saved); err != nil {
		return saved, fmt.Errorf("put plan %q: %w", saved.ID, err)
	}
	return saved, nil
}

// checkIdentity refuses a new version that changes what the plan is for.
func (s *Service) checkIdentity(ctx context.Context, p model.Plan) error {
	cur, err := s.store.Plan(ctx, p.ID)
	switch {
	case model.ErrorCode(err) == model.ENOTFOUND:
		return nil
	case err != nil:
		return fmt.Errorf("put plan %q: %w", p.ID, err)
	case cur.EventType != p.EventType || cur.Level != p.Level:
		return model.Errorf(model.EINVALID,
			"plan %q: event_type and level cannot change (stored: %s level %d, given: %s level %d); create a new plan instead",
			p.ID, cur.EventType, cur.Level, p.EventType, p.Level)
	}
	return nil
}

// Seed stores each plan whose id the store does not know yet, leaving
// plans that exist alone (people may have edited them), then refreshes
// the triggers. It returns the plans it stored. Start-up calls it with
// Defaults.
func (s *Service) Seed(ctx context.Context, by string, plans []model.Plan) ([]model.Plan, error) {
	return s.putEach(ctx, by, plans, false)
}

// Import stores each plan that is new or whose content differs from the
// latest version (ignoring version and who saved it when), then
// refreshes the triggers. It returns the plans it stored.
func (s *Service) Import(ctx context.Context, by string, plans []model.Plan) ([]model.Plan, error) {
	return s.putEach(ctx, by, plans, true)
}

// putEach puts every plan that is new and, if replaceExisting, every
// plan whose content changed.
func (s *Service) putEach(ctx context.Context, by string, plans []model.Plan, replaceExisting bool) ([]model.Plan, error) {
	var stored []model.Plan
	for _, p := range plans {
		cur, err := s.store.Plan(ctx, p.ID)
		switch {
		case model.ErrorCode(err) == model.ENOTFOUND:
		case err != nil:
			return stored, fmt.Errorf("read plan %q: %w", p.ID, err)
		case !replaceExisting || sameContent(cur, p):
			continue
		}
		p.Version = 0
		saved, err := s.Put(ctx, by, p)
		if err != nil {
			return stored, err
		}
		stored = append(stored, saved)
	}
	return stored, s.Refresh(ctx)
}

// sameContent reports whether two plans say the same, whoever saved
// them when.
func sameContent(a, b model.Plan) bool {
	content := func(p model.Plan) []byte {
		p = normalize(p)
		p.Version, p.UpdatedBy, p.UpdatedAt = 0, "", 0
		b, err := json.Marshal(p)
		if err != nil { // cannot happen for these types; treat as different
			return nil
		}
		return b
	}
	ca, cb := content(a), content(b)
	return ca != nil && bytes.Equal(ca, cb)
}

// Refresh reloads the plans MatchAlert considers from the store.
func (s *Service) Refresh(ctx context.Context) error {
	plans, err := s.store.ListPlans(ctx)
	if err != nil {
		return fmt.Errorf("refresh plan triggers: %w", err)
	}
	s.triggerMu.Lock()
	defer s.triggerMu.Unlock()
	s.triggers.Store(newTriggerIndex(plans))
	return nil
}

func (s *Service) updateTriggers(p model.Plan) {
	s.triggerMu.Lock()
	defer s.triggerMu.Unlock()
	s.triggers.Store(s.triggers.Load().with(p))
}

// Plan returns the latest version of a plan; ENOTFOUND if unknown.
func (s *Service) Plan(ctx context.Context, id string) (model.Plan, error) {
	return s.store.Plan(ctx, id)
}

// PlanVersion returns one version of a plan; ENOTFOUND if it does not exist.
func (s *Service) PlanVersion(ctx context.Context, id string, version int) (model.Plan, error) {
	return s.store.PlanVersion(ctx, id, version)
}

// PlanHistory returns every version of a plan, newest first.
func (s *Service) PlanHistory(ctx context.Context, id string) ([]model.Plan, error) {
	return s.store.PlanHistory(ctx, id)
}

// Plans returns the latest version of every plan, retired ones included.
func (s *Service) Plans(ctx context.Context) ([]model.Plan, error) {
	return s.store.ListPlans(ctx)
}

// Activation returns one activation with its tasks.
func (s *Service) Activation(ctx context.Context, id int64) (model.Activation, error) {
	return s.store.Activation(ctx, id)
}

// Activations lists activations newest first, a page at a time.
func (s *Service) Activations(ctx context.Context, f store.ActivationFilter, p store.Page) ([]model.Activation, string, error) {
	return s.store.ListActivations(ctx, f, p)
}
