package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"cityvitals/alert"
	"cityvitals/fieldops"
	"cityvitals/incident"
	"cityvitals/internal/fanout"
	"cityvitals/model"
	"cityvitals/sla"
)

// buildIncidents sets up the closed loop: SLA policy, routing, the
// incident service, its live hub, webhook notices and the intake that
// turns alert events into incidents.
func (a *App) buildIncidents(ctx context.Context) error {
	policy := sla.DefaultPolicy()
	if a.cfg.SLAPolicyFile != "" {
		var err error
		if policy, err = sla.LoadPolicyFile(a.cfg.SLAPolicyFile); err != nil {
			return err
		}
	}
	router, err := incident.DefaultRouter()
	if a.cfg.RoutingFile != "" {
		router, err = incident.LoadRouter(a.cfg.RoutingFile)
	}
	if err != nil {
		return err
	}
	cats := map[string]incident.Category{}
	for _, c := range policy.Categories() {
		cats[c.ID] = incident.Category{NameZH: c.NameZH, NameEN: c.NameEN}
	}
	a.Incidents = incident.NewService(a.DB, slaClocks{policy}, router, a.Inventory, a.Audit,
		incident.Config{Categories: cats}, time.Now, a.log)
	files, err := incident.NewFiles(filepath.Join(a.cfg.DataDir, "attachments"))
	if err != nil {
		return err
	}
	a.Incidents.KeepFiles(files)
	a.files = files
	a.Incidents.CheckTeams(func(ctx context.Context, id int64) (string, error) {
		t, err := a.DB.Team(ctx, id)
		return t.Dept, err
	})
	a.TeamPlans = fieldops.New(a.DB, a.DB, a.Incidents, a.Inventory, time.Now)
	a.urgent = make(chan int64, 256)
	a.Incidents.Listen(a.placeUrgent)
	a.IncidentHub = fanout.New[incident.Change]()
	a.Incidents.Listen(a.IncidentHub.Publish)
	a.Incidents.Listen(a.noticeIncident)
	a.systemPrincipal = a.Auth.Policy().UserPrincipal(model.User{Name: "system", Role: model.RoleAdmin}, model.TokenAPI)
	a.alertIntake = make(chan alert.Event, 4096)
	a.autoRules = incident.DefaultAutoRules()
	if a.cfg.AutoRulesFile != "" {
		if a.autoRules, err = incident.LoadAutoRules(a.cfg.AutoRulesFile); err != nil {
			return err
		}
	}
	if err := a.buildPlans(ctx, policy); err != nil {
		return err
	}
	a.buildCampaigns()
	a.Incidents.LinkHazards(a.openHazardsOf)
	return a.buildReports(ctx)
}

// placeUrgent queues a red incident dispatched without a team for
// placement (listeners must not block; runUrgentPlacement does the work).
func (a *App) placeUrgent(c incident.Change) {
	if c.Event.Action != "dispatch" || c.Incident.Level < 4 || c.Incident.Team != 0 {
		return
	}
	select {
	case a.urgent <- c.Incident.ID:
	default:
		a.log.Warn("urgent placement queue full; the dispatcher places this incident", "incident", c.Incident.ID)
	}
}

// runUrgentPlacement re-plans the field teams for each urgent incident
// and sends it to the best team at once.
func (a *App) runUrgentPlacement(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-a.urgent:
			if _, _, err := a.TeamPlans.PlaceUrgent(ctx, a.systemPrincipal, id); err != nil && ctx.Err() == nil {
				a.log.Error("place urgent incident", "incident", id, "err", err)
			}
		}
	}
}

// noticeIncident queues an incident change for every webhook receiver
// through the outbox, keyed by incident and version so a resend is
// recognisable.
func (a *App) noticeIncident(c incident.Change) {
	if len(a.cfg.Webhooks) == 0 {
		return
	}
	payload, err := json.Marshal(map[string]any{"type": "incident", "action": c.Event.Action, "incident": c.Incident, "event": c.Event})
	if err != nil {
		a.log.Error("incident notice", "incident", c.Incident.ID, "err", err)
		return
	}
	key := fmt.Sprintf("incident:%d:%d", c.Incident.ID, c.Incident.Version)
	for _, r := range a.cfg.Webhooks {
		if err := a.Outbox.Send(context.Background(), r.Name, key, payload); err != nil {
			a.log.Error("queue incident notice", "incident", c.Incident.ID, "receiver", r.Name, "err", err)
		}
	}
}

// takeAlertEvent hands an alert event to the incident intake; it waits
// rather than drop one when the intake is behind (alert events are few).
func (a *App) takeAlertEvent(e alert.Event) {
	if a.alertIntake != nil {
		a.alertIntake <- e
	}
}

// runAlertIntake registers and follows incidents for alert events, and
// activates the contingency plans they call for, in the order the alerts
// changed.
func (a *App) runAlertIntake(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-a.alertIntake:
			if err := a.Incidents.FromAlert(ctx, a.systemPrincipal, a.autoRules, e); err != nil {
				a.log.Error("incident from alert", "alert", e.Alert.Fingerprint, "err", err)
			}
			a.activatePlans(ctx, e)
		}
	}
}

// slaClocks runs incident clocks on an SLA policy. The full sla.Clock
// travels inside the incident (IncidentClock.SLA); the summary fields are
// refreshed from it after every change.
type slaClocks struct{ policy *sla.Policy }

func (s slaClocks) Start(category string, level int8, at time.Time) (model.IncidentClock, error) {
	rule, err := s.policy.Match(category, level)
	if err != nil {
		return model.IncidentClock{}, err
	}
	c, err := sla.Start(rule, at)
	if err != nil {
		return model.IncidentClock{}, err
	}
	return summarise(c)
}

func (s slaClocks) change(ic model.IncidentClock, fn func(*sla.Clock, *sla.Calendar) error) (model.IncidentClock, error) {
	var c sla.Clock
	if err := json.Unmarshal(ic.SLA, &c); err != nil {
		return ic, fmt.Errorf("SLA clock: %w", err)
	}
	cal, err := s.policy.Calendar(c.Calendar)
	if err != nil {
		return ic, err
	}
	if err := fn(&c, cal); err != nil {
		return ic, err
	}
	return summarise(c)
}

func (s slaClocks) Pause(ic model.IncidentClock, at time.Time) (model.IncidentClock, error) {
	return s.change(ic, func(c *sla.Clock, _ *sla.Calendar) error { return c.Pause(at) })
}

func (s slaClocks) Resume(ic model.IncidentClock, at time.Time) (model.IncidentClock, error) {
	return s.change(ic, func(c *sla.Clock, cal *sla.Calendar) error { return c.Resume(cal, at) })
}

func (s slaClocks) Extend(ic model.IncidentClock, d time.Duration, at time.Time) (model.IncidentClock, error) {
	return s.change(ic, func(c *sla.Clock, cal *sla.Calendar) error { return c.Extend(cal, d, at) })
}

// Escalation is the step of the leg that runs: the response until the
// incident is accepted, then the disposal.
func (s slaClocks) Escalation(ic model.IncidentClock, responded bool, now time.Time) model.Escalation {
	var c sla.Clock
	if err := json.Unmarshal(ic.SLA, &c); err != nil {
		return model.EscalationNone
	}
	step := c.Step(sla.LegDispose, now)
	if !responded {
		step = max(step, c.Step(sla.LegRespond, now))
	}
	return model.Escalation(step)
}

func summarise(c sla.Clock) (model.IncidentClock, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return model.IncidentClock{}, fmt.Errorf("SLA clock: %w", err)
	}
	ms := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMilli()
	}
	return model.IncidentClock{
		Start: ms(c.Start), RespondBy: ms(c.Respond.By), DisposeBy: ms(c.Dispose.By), PausedAt: ms(c.PausedAt),
		Calendar: c.Calendar, Rule: c.Rule, Near: c.Near, Supervisor: c.Supervisor, SLA: raw,
	}, nil
}

var _ incident.Clocks = slaClocks{}
