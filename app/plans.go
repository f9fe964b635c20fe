package app

import (
	"context"
	"fmt"
	"time"

	"cityvitals/alert"
	"cityvitals/incident"
	"cityvitals/model"
	"cityvitals/plan"
	"cityvitals/sla"
)

// buildPlans sets up contingency plans on the same vocabulary as the
// incidents: the plan departments, the SLA policy's categories. The
// embedded plans are stored at first start (never over a city's edits).
func (a *App) buildPlans(ctx context.Context, policy *sla.Policy) error {
	v, err := plan.DefaultVocabulary()
	if err != nil {
		return err
	}
	v.Categories = v.Categories[:0]
	for _, c := range policy.Categories() {
		v.Categories = append(v.Categories, plan.Term{ID: c.ID, NameZH: c.NameZH, NameEN: c.NameEN})
	}
	levels := func(code string) (model.UnitLevel, bool) {
		u, ok := a.Inventory.Unit(code)
		return u.Level, ok
	}
	a.Plans, err = plan.NewService(a.DB, planIncidents{a}, a.Audit, time.Now, plan.WithUnitLevels(levels), plan.WithVocabulary(v))
	if err != nil {
		return err
	}
	defaults, err := plan.Defaults(v)
	if err != nil {
		return err
	}
	if _, err := a.Plans.Seed(ctx, "system", defaults); err != nil {
		return fmt.Errorf("store the default contingency plans: %w", err)
	}
	return nil
}

// activatePlans activates the plans an alert event calls for.
func (a *App) activatePlans(ctx context.Context, e alert.Event) {
	if e.Muted || (e.Kind != alert.EventFiring && e.Kind != alert.EventUpdated) {
		return
	}
	if _, err := a.Plans.ActivateForAlert(ctx, "alert", e.Alert); err != nil {
		a.log.Error("activate contingency plans", "alert", e.Alert.Fingerprint, "err", err)
	}
}

// planIncidents opens the incidents of an activated plan: registered and
// dispatched at once to the task's department, acting for the person who
// activated it (whose permission the API checked).
type planIncidents struct{ a *App }

func (p planIncidents) Open(ctx context.Context, by string, inc model.Incident) (model.Incident, error) {
	actor := p.a.Auth.Policy().UserPrincipal(model.User{Name: by, Role: model.RoleAdmin}, model.TokenAPI)
	opened, err := p.a.Incidents.Open(ctx, actor, incident.New{
		Title: inc.Title, Description: inc.Description, Category: inc.Category, Level: inc.Level,
		Source: model.SourcePlan, Unit: inc.Unit, Alerts: inc.Alerts, Dept: inc.Dept, Plan: inc.Plan, Register: true,
	})
	if err != nil {
		return opened, err
	}
	return p.a.Incidents.Act(ctx, actor, opened.ID, incident.Command{Action: "dispatch", Note: "应急预案任务 / contingency plan task"})
}

func (p planIncidents) Incident(ctx context.Context, id int64) (model.Incident, error) {
	return p.a.DB.Incident(ctx, id)
}
