package app

import (
	"context"
	"fmt"
	"time"

	"cityvitals/citizen"
	"cityvitals/incident"
	"cityvitals/model"
	"cityvitals/open311"
)

// buildReports sets up citizen reports: each becomes an incident or joins
// one as a duplicate, and every change of the incident flows back to its
// reports; Open311 GeoReport v2 is their public door.
func (a *App) buildReports(ctx context.Context) error {
	catalog, err := citizen.DefaultCatalog()
	if err != nil {
		return err
	}
	a.Reports, err = citizen.NewService(citizen.Config{
		Reports: a.DB, Catalog: catalog, Incidents: reportIncidents{a}, Locator: a.Inventory, Audit: a.Audit,
	})
	if err != nil {
		return err
	}
	a.Incidents.Listen(a.reportStatus)
	if n, err := a.Reports.LinkPending(ctx); err != nil {
		return fmt.Errorf("link pending citizen reports: %w", err)
	} else if n > 0 {
		a.log.Info("opened incidents for earlier citizen reports", "reports", n)
	}
	a.open311, err = open311.New(open311.Config{Reports: a.Reports, Authenticate: a.Auth.Authenticate, Log: a.log})
	return err
}

// reportStatus tells an incident's reports where it stands.
func (a *App) reportStatus(c incident.Change) {
	status, ok := incident.ReportStatus(c.Incident.State)
	if !ok || c.Event.From == c.Event.To || len(c.Incident.Reports) == 0 {
		return
	}
	note := c.Event.Note
	if note == "" {
		note = string(c.Incident.State)
	}
	at := time.UnixMilli(c.Event.At)
	for _, id := range c.Incident.Reports {
		if err := a.Reports.UpdateStatus(context.Background(), id, status, note, at); err != nil {
			a.log.Error("report status", "report", id, "incident", c.Incident.ID, "err", err)
		}
	}
}

// reportIncidents opens and joins incidents for citizen reports, acting
// as the platform: a report is collected (上报), not yet registered.
type reportIncidents struct{ a *App }

func (r reportIncidents) OpenFromReport(ctx context.Context, rep model.Report) (int64, error) {
	svc, _ := r.a.Reports.Catalog().Service(rep.ServiceCode)
	n := incident.New{
		Title: clipTitle(svc.Name.ZH, rep.Description), Description: rep.Description, Category: svc.Category,
		Domain: svc.Domain, Source: model.SourceReport, Unit: rep.Unit, Reports: []int64{rep.ID},
	}
	if rep.HasPoint {
		n.Lon, n.Lat = &rep.Lon, &rep.Lat
	}
	r.a.clusterFeed.observeReport(rep, svc.Category)
	inc, err := r.a.Incidents.Open(ctx, r.a.systemPrincipal, n)
	return inc.ID, err
}

func (r reportIncidents) AttachReport(ctx context.Context, incidentID int64, rep model.Report) error {
	if svc, ok := r.a.Reports.Catalog().Service(rep.ServiceCode); ok {
		r.a.clusterFeed.observeReport(rep, svc.Category)
	}
	_, err := r.a.Incidents.AddReport(ctx, r.a.systemPrincipal, incidentID, rep.ID)
	return err
}

// CloseFromReport closes an imported report's incident at the time the
// source system closed it.
func (r reportIncidents) CloseFromReport(ctx context.Context, incidentID int64, rep model.Report) error {
	_, err := r.a.Incidents.CloseImported(ctx, r.a.systemPrincipal, incidentID, rep.UpdatedAt, rep.StatusNotes)
	return err
}

func clipTitle(name, description string) string {
	title := name
	if description != "" {
		title += "：" + description
	}
	r := []rune(title)
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return title
}
