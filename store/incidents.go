package store

import (
	"context"

	"cityvitals/model"
)

// IncidentFilter narrows an incident listing; empty fields match all.
type IncidentFilter struct {
	States   []model.IncidentState
	Under    string // the unit or any unit below it
	Dept     string
	Category string
	Source   model.IncidentSource
	OpenOnly bool
	MinLevel int8
	Overdue  bool // only incidents escalated at least to EscalationOverdue
	// CreatedFrom and CreatedTo bound the creation time [from, to) in Unix
	// ms; 0 leaves a bound open.
	CreatedFrom, CreatedTo int64
}

// Incidents stores incidents (案卷), their history and attachments. Every
// change of an incident is written together with the event that explains
// it, in one transaction.
type Incidents interface {
	// CreateIncident stores a new incident (its ID and Version are
	// assigned: Version 1) with its first event. path is the unit's path
	// from the root, for listings by area.
	CreateIncident(ctx context.Context, inc model.Incident, path []string, ev model.IncidentEvent) (model.Incident, error)
	// UpdateIncident replaces the incident if its stored Version equals
	// inc.Version (else ECONFLICT), bumps the version and appends ev.
	UpdateIncident(ctx context.Context, inc model.Incident, path []string, ev model.IncidentEvent) (model.Incident, error)
	// Incident returns ENOTFOUND for an unknown id.
	Incident(ctx context.Context, id int64) (model.Incident, error)
	// Incidents lists the newest first, a page at a time.
	Incidents(ctx context.Context, f IncidentFilter, p Page) ([]model.Incident, string, error)
	// IncidentEvents returns an incident's history, oldest first.
	IncidentEvents(ctx context.Context, id int64) ([]model.IncidentEvent, error)
	// OpenIncidentForAlert returns the open incident linked to an alert
	// fingerprint, or ENOTFOUND.
	OpenIncidentForAlert(ctx context.Context, fingerprint string) (model.Incident, error)
	// ClockedIncidents returns the open incidents whose SLA clocks run.
	ClockedIncidents(ctx context.Context) ([]model.Incident, error)
	// IncidentCounts counts incidents matching f by state.
	IncidentCounts(ctx context.Context, f IncidentFilter) (map[model.IncidentState]int, error)
	// PutAttachment records an attachment's metadata (idempotent per
	// incident and hash).
	PutAttachment(ctx context.Context, a model.Attachment) error
	// Attachment returns ENOTFOUND unless the incident has the attachment.
	Attachment(ctx context.Context, incident int64, hash string) (model.Attachment, error)
}
