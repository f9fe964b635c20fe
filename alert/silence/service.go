package silence

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cityvitals/model"
)

// DefaultMaxDuration is how far past its start (or past now, when
// extended) a silence may reach: long enough for planned works, short
// enough that a forgotten silence does not hide a district for good.
const DefaultMaxDuration = 90 * 24 * time.Hour

// Auditor appends to the audit log; audit.Logger implements it.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// Service is how people create, extend and expire silences: it
// validates, stores, audits and keeps the Silencer current. It is safe
// for concurrent use.
type Service struct {
	store       Store
	audit       Auditor
	silencer    *Silencer
	now         func() time.Time
	maxDuration time.Duration
}

// ServiceOption configures a Service.
type ServiceOption func(*Service)

// WithClock sets the wall clock that decides what "now" is (default
// time.Now).
func WithClock(now func() time.Time) ServiceOption {
	return func(s *Service) { s.now = now }
}

// WithMaxDuration overrides DefaultMaxDuration.
func WithMaxDuration(d time.Duration) ServiceOption {
	return func(s *Service) { s.maxDuration = d }
}

// NewService returns a Service over st. silencer may be nil when this
// process does not notify.
func NewService(st Store, audit Auditor, silencer *Silencer, opts ...ServiceOption) *Service {
	s := &Service{store: st, audit: audit, silencer: silencer, now: time.Now, maxDuration: DefaultMaxDuration}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Create validates and stores a new silence made by in.CreatedBy. A zero
// or past StartsAt means now. EINVALID names the field that is wrong:
// created_by and comment are required, the matchers must compile and
// must not select every alert, ends_at must lie after starts_at (hence
// in the future) and within the maximum duration.
func (s *Service) Create(ctx context.Context, in Silence) (Silence, error) {
	now := s.now().UTC()
	in.ID, in.ExpiredBy = 0, ""
	in.CreatedAt, in.UpdatedAt = now, now
	if in.StartsAt.Before(now) {
		in.StartsAt = now
	}
	in.CreatedBy, in.Comment = strings.TrimSpace(in.CreatedBy), strings.TrimSpace(in.Comment)
	if err := s.validate(in, now); err != nil {
		return Silence{}, err
	}
	saved, err := s.store.PutSilence(ctx, in)
	if err != nil {
		return Silence{}, fmt.Errorf("create silence: %w", err)
	}
	return saved, s.recordChange(ctx, in.CreatedBy, "silence.create", saved)
}

// Extend moves the end of an unexpired silence to endsAt, which must lie
// after its current end and within the maximum duration from now (or
// its start, if later). ENOTFOUND for an unknown id; EINVALID for an
// expired silence or a bad end.
func (s *Service) Extend(ctx context.Context, by string, id int64, endsAt time.Time) (Silence, error) {
	if strings.TrimSpace(by) == "" {
		return Silence{}, model.Errorf(model.EINVALID, "silence %d: updated_by is required", id)
	}
	now := s.now().UTC()
	cur, err := s.store.Silence(ctx, id)
	if err != nil {
		return Silence{}, fmt.Errorf("extend silence %d: %w", id, err)
	}
	if cur.State(now) == StateExpired {
		return Silence{}, model.Errorf(model.EINVALID, "silence %d has expired; create a new one", id)
	}
	if !endsAt.After(cur.EndsAt) {
		return Silence{}, model.Errorf(model.EINVALID,
			"silence %d: ends_at %s must be after the current end %s", id, stamp(endsAt), stamp(cur.EndsAt))
	}
	next := cur
	next.EndsAt, next.UpdatedAt = endsAt.UTC(), now
	if err := s.validate(next, now); err != nil {
		return Silence{}, err
	}
	saved, err := s.store.PutSilence(ctx, next)
	if err != nil {
		return Silence{}, fmt.Errorf("extend silence %d: %w", id, err)
	}
	return saved, s.recordChange(ctx, by, "silence.extend", saved)
}

// Expire ends a pending or active silence now. ENOTFOUND for an unknown
// id, ECONFLICT if it has already ended.
func (s *Service) Expire(ctx context.Context, by string, id int64) error {
	by = strings.TrimSpace(by)
	if by == "" {
		return model.Errorf(model.EINVALID, "silence %d: expired_by is required", id)
	}
	if err := s.store.ExpireSilence(ctx, id, by, s.now().UTC()); err != nil {
		return fmt.Errorf("expire silence %d: %w", id, err)
	}
	saved, err := s.store.Silence(ctx, id)
	if err != nil {
		return fmt.Errorf("expire silence %d: %w", id, err)
	}
	return s.recordChange(ctx, by, "silence.expire", saved)
}

// recordChange audits a stored change and then shows it to the Silencer.
func (s *Service) recordChange(ctx context.Context, actor, action string, sil Silence) error {
	detail := map[string]any{
		"matchers":  FormatMatchers(sil.Matchers),
		"starts_at": sil.StartsAt, "ends_at": sil.EndsAt, "comment": sil.Comment,
	}
	if err := s.audit.Record(ctx, actor, action, fmt.Sprintf("silence %d", sil.ID), detail); err != nil {
		return fmt.Errorf("%s %d: %w", action, sil.ID, err)
	}
	if s.silencer == nil {
		return nil
	}
	return s.silencer.put(sil)
}

// validate checks a silence about to be stored at wall time now.
func (s *Service) validate(sil Silence, now time.Time) error {
	if sil.CreatedBy == "" {
		return model.Errorf(model.EINVALID, "silence: created_by is required")
	}
	if sil.Comment == "" {
		return model.Errorf(model.EINVALID, "silence: comment is required (say why the alerts may stay quiet)")
	}
	if err := validateMatchers(sil.Matchers); err != nil {
		return err
	}
	return s.validateTimes(sil, now)
}

func validateMatchers(ms []Matcher) error {
	if len(ms) == 0 {
		return model.Errorf(model.EINVALID, "silence: matchers: at least one is required")
	}
	sel, err := Compile(ms)
	if err != nil {
		return model.Errorf(model.EINVALID, "silence: %s", model.ErrorMessage(err))
	}
	if sel.MatchesEverything() {
		return model.Errorf(model.EINVALID,
			"silence: matchers: %s would select every alert; at least one must need a non-empty label value", FormatMatchers(ms))
	}
	return nil
}

func (s *Service) validateTimes(sil Silence, now time.Time) error {
	if sil.EndsAt.IsZero() {
		return model.Errorf(model.EINVALID, "silence: ends_at is required")
	}
	if !sil.EndsAt.After(sil.StartsAt) {
		return model.Errorf(model.EINVALID, "silence: ends_at %s must be after starts_at %s", stamp(sil.EndsAt), stamp(sil.StartsAt))
	}
	if from := later(sil.StartsAt, now); sil.EndsAt.Sub(from) > s.maxDuration {
		return model.Errorf(model.EINVALID, "silence: ends_at %s is more than %s after %s",
			stamp(sil.EndsAt), s.maxDuration, stamp(from))
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
