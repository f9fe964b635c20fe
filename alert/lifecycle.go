package alert

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"cityvitals/model"
)

// apply moves the finding's alert through its lifecycle. Pending alerts
// whose `for` has passed by the finding's time fire first, so the order
// of events follows event time.
func (m *Manager) apply(ctx context.Context, f Finding) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.advance(ctx, f.At); err != nil {
		return err
	}
	fp := Fingerprint(f.Rule, f.Labels)
	a := m.active[fp]
	switch {
	case f.Level > 0 && a == nil:
		return m.open(ctx, fp, f)
	case f.Level > 0:
		return m.relevel(ctx, a, f)
	case a != nil:
		return m.clear(ctx, a, f)
	}
	return nil // cleared, and nothing was open
}

// open starts a pending alert, firing at once when its level has no `for`.
func (m *Manager) open(ctx context.Context, fp string, f Finding) error {
	a := &model.Alert{
		Fingerprint: fp, Rule: f.Rule, Labels: maps.Clone(f.Labels), Level: f.Level,
		State: model.AlertPending, StartsAt: f.At, UpdatedAt: f.At,
		SummaryZH: f.SummaryZH, SummaryEN: f.SummaryEN, Evidence: f.Evidence,
	}
	if m.forOf(f.Rule, f.Level) == 0 {
		a.State = model.AlertFiring
	}
	if err := m.save(ctx, a); err != nil {
		return err
	}
	if a.State == model.AlertFiring {
		m.emit(EventFiring, f.At, a)
	}
	return nil
}

// relevel records a new level of an open alert; a pending alert whose new
// level needs no more waiting fires.
func (m *Manager) relevel(ctx context.Context, a *model.Alert, f Finding) error {
	if a.Level == f.Level {
		return nil
	}
	a.Level, a.UpdatedAt, a.Evidence = f.Level, f.At, f.Evidence
	a.SummaryZH, a.SummaryEN = f.SummaryZH, f.SummaryEN
	kind := EventUpdated
	if a.State == model.AlertPending {
		if f.At-a.StartsAt < m.forOf(f.Rule, f.Level).Milliseconds() {
			return m.save(ctx, a)
		}
		a.State, kind = model.AlertFiring, EventFiring
	}
	if err := m.save(ctx, a); err != nil {
		return err
	}
	m.emit(kind, f.At, a)
	return nil
}

// clear resolves a firing alert; a pending one that never fired is
// closed quietly.
func (m *Manager) clear(ctx context.Context, a *model.Alert, f Finding) error {
	fired := a.State == model.AlertFiring
	a.State, a.EndsAt, a.UpdatedAt = model.AlertResolved, f.At, f.At
	if f.Evidence != nil {
		a.Evidence = f.Evidence
	}
	if err := m.save(ctx, a); err != nil {
		return err
	}
	if fired {
		m.emit(EventResolved, f.At, a)
	}
	return nil
}

// Advance fires every pending alert whose `for` has passed by event time
// now. The firing time recorded is when the `for` ran out, not now, so
// when Advance happens to be called does not change the outcome.
func (m *Manager) Advance(ctx context.Context, now int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.advance(ctx, now)
}

func (m *Manager) advance(ctx context.Context, now int64) error {
	var due []*model.Alert
	for _, a := range m.active {
		if a.State == model.AlertPending && a.StartsAt+m.forOf(a.Rule, a.Level).Milliseconds() <= now {
			due = append(due, a)
		}
	}
	slices.SortFunc(due, func(x, y *model.Alert) int {
		if d := (x.StartsAt + m.forOf(x.Rule, x.Level).Milliseconds()) - (y.StartsAt + m.forOf(y.Rule, y.Level).Milliseconds()); d != 0 {
			return int(d)
		}
		return strings.Compare(x.Fingerprint, y.Fingerprint)
	})
	for _, a := range due {
		at := a.StartsAt + m.forOf(a.Rule, a.Level).Milliseconds()
		a.State, a.UpdatedAt = model.AlertFiring, at
		if err := m.save(ctx, a); err != nil {
			return err
		}
		m.emit(EventFiring, at, a)
	}
	return nil
}

func (m *Manager) forOf(rule string, level int8) time.Duration {
	if d, ok := m.cfg.RuleFor[rule]; ok {
		return d
	}
	if level < 1 || int(level) >= len(m.cfg.For) {
		return 0
	}
	return m.cfg.For[level]
}

// save stores the alert and keeps the active set in step. The caller
// holds m.mu.
func (m *Manager) save(ctx context.Context, a *model.Alert) error {
	if err := m.store.PutAlert(ctx, *a); err != nil {
		return fmt.Errorf("store alert %s: %w", a.Fingerprint, err)
	}
	if a.State == model.AlertResolved {
		delete(m.active, a.Fingerprint)
	} else {
		m.active[a.Fingerprint] = a
	}
	return nil
}

func (m *Manager) emit(kind EventKind, at int64, a *model.Alert) {
	if m.notify != nil {
		m.notify(Event{Kind: kind, At: at, Alert: *a})
	}
}

// Ack records that someone has seen the alert. ENOTFOUND for an unknown
// fingerprint; acknowledging twice keeps the first.
func (m *Manager) Ack(ctx context.Context, fingerprint, by string) (model.Alert, error) {
	return m.update(ctx, fingerprint, by, "alert.ack", EventAcked, func(a *model.Alert) bool {
		if a.AckedBy != "" {
			return false
		}
		a.AckedBy, a.AckedAt = by, m.now().UTC()
		return true
	})
}

// Assign gives the alert to someone to handle.
func (m *Manager) Assign(ctx context.Context, fingerprint, assignee, by string) (model.Alert, error) {
	if assignee == "" || len(assignee) > 64 {
		return model.Alert{}, model.Errorf(model.EINVALID, "assignee: 1 to 64 characters")
	}
	return m.update(ctx, fingerprint, by, "alert.assign", EventAssigned, func(a *model.Alert) bool {
		if a.Assignee == assignee {
			return false
		}
		a.Assignee = assignee
		return true
	})
}

func (m *Manager) update(ctx context.Context, fingerprint, by, action string, kind EventKind, change func(*model.Alert) bool) (model.Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var a model.Alert
	if live := m.active[fingerprint]; live != nil {
		a = *live
	} else {
		var err error
		if a, err = m.store.Alert(ctx, fingerprint); err != nil {
			return a, err
		}
	}
	if !change(&a) {
		return a, nil
	}
	if err := m.save(ctx, &a); err != nil {
		return a, err
	}
	if err := m.audit.Record(ctx, by, action, "alert "+fingerprint, map[string]any{"assignee": a.Assignee}); err != nil {
		return a, err
	}
	m.emit(kind, a.UpdatedAt, &a)
	return a, nil
}
