package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cityvitals/campaign"
	"cityvitals/model"
	"cityvitals/store"
)

// buildCampaigns sets up hazard inspection campaigns on the departments
// of the plans' vocabulary.
func (a *App) buildCampaigns() {
	depts := map[string]string{}
	for _, d := range a.Plans.Vocabulary().Departments {
		depts[d.ID] = d.NameZH
	}
	a.Campaigns = campaign.NewService(a.DB, a.Inventory, a.Audit, time.Now, campaign.WithDepartments(depts), campaign.WithLogger(a.log))
	a.riskPublished = map[string]bool{}
}

// runHazardWatch escalates overdue hazards and milestones (督办) and keeps
// the hazard risk of assets in the vital signs, every interval.
func (a *App) runHazardWatch(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := a.publishHazardRisk(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("hazard risk", "err", err)
		}
		overdue, err := a.Campaigns.Escalate(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Error("hazard escalation", "err", err)
		}
		a.noticeOverdueHazards(overdue)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// hazardRiskProperty is what an asset's open major gas hazards are
// observed as; the gas.hazards.major_open indicator reads it.
const hazardRiskProperty = "gas_hazards_major_open"

// publishHazardRisk writes, for every asset with open major hazards of a
// gas campaign, the count as an observation of its hazard stream (one
// per asset, placed with the asset); an asset whose last one closed gets
// a 0 once. Republished each round, the counts stay inside the
// indicator's window for as long as the hazards are open.
func (a *App) publishHazardRisk(ctx context.Context) error {
	counts, err := a.openMajorGasHazards(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	var obs []model.Observation
	for asset, n := range counts {
		if o, ok := a.hazardObservation(ctx, asset, n, now); ok {
			obs = append(obs, o)
		}
	}
	for asset := range a.riskPublished {
		if counts[asset] == 0 {
			if o, ok := a.hazardObservation(ctx, asset, 0, now); ok {
				obs = append(obs, o)
			}
			delete(a.riskPublished, asset)
		}
	}
	for asset := range counts {
		a.riskPublished[asset] = true
	}
	for len(obs) > 0 {
		n := min(len(obs), 10_000)
		if err := a.Ingest.Submit(ctx, obs[:n]); err != nil {
			return fmt.Errorf("publish hazard risk: %w", err)
		}
		obs = obs[n:]
	}
	return nil
}

func (a *App) hazardObservation(ctx context.Context, asset string, n int, at int64) (model.Observation, bool) {
	ds, err := a.Inventory.EnsureDatastream(ctx, "system", model.Datastream{
		Key: "hazards/major/" + asset, Name: "open major gas hazards of " + asset, Property: hazardRiskProperty, Asset: asset,
	})
	if err != nil {
		a.log.Warn("hazard risk stream", "asset", asset, "err", err)
		return model.Observation{}, false
	}
	return model.Observation{Stream: ds.ID, Time: at, Value: float64(n)}, true
}

// openMajorGasHazards counts the open major hazards of gas campaigns by
// asset.
func (a *App) openMajorGasHazards(ctx context.Context) (map[string]int, error) {
	campaigns, err := a.Campaigns.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, c := range campaigns {
		if c.Domain != "gas" {
			continue
		}
		f := store.HazardFilter{Campaign: c.ID, Severity: model.SeverityMajor,
			States: []model.HazardState{model.HazardOpen, model.HazardRectifying, model.HazardAwaiting}}
		for pg := (store.Page{Limit: 1000}); ; {
			items, next, err := a.Campaigns.Hazards(ctx, f, pg)
			if err != nil {
				return nil, err
			}
			for _, h := range items {
				counts[h.Asset]++
			}
			if next == "" {
				break
			}
			pg.After = next
		}
	}
	return counts, nil
}

// noticeOverdueHazards queues each newly overdue hazard or milestone for
// the webhooks (the scan reports each once).
func (a *App) noticeOverdueHazards(items []model.HazardOverdue) {
	for _, o := range items {
		payload, err := json.Marshal(map[string]any{"type": "hazard_overdue", "overdue": o})
		if err != nil {
			continue
		}
		key := fmt.Sprintf("hazard:%d:%d:%d", o.Hazard.ID, o.Milestone, o.Due)
		for _, r := range a.cfg.Webhooks {
			if err := a.Outbox.Send(context.Background(), r.Name, key, payload); err != nil {
				a.log.Error("queue hazard notice", "hazard", o.Hazard.ID, "receiver", r.Name, "err", err)
			}
		}
		a.log.Info("hazard overdue (督办)", "hazard", o.Hazard.ID, "milestone", o.Milestone, "dept", o.Hazard.Dept)
	}
}

// openHazardsOf lists the open hazards of assets, for new incidents.
func (a *App) openHazardsOf(ctx context.Context, assets []string) []int64 {
	var ids []int64
	for _, asset := range assets {
		hs, err := a.Campaigns.OpenHazardsOfAsset(ctx, asset)
		if err != nil {
			a.log.Warn("hazards of asset", "asset", asset, "err", err)
			continue
		}
		for _, h := range hs {
			ids = append(ids, h.ID)
		}
	}
	return ids
}
