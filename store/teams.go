package store

import (
	"context"
	"time"

	"cityvitals/model"
)

// TeamFilter narrows a team listing; empty fields match everything.
type TeamFilter struct {
	Dept        string
	Skill       string // teams that have this skill
	EnabledOnly bool   // leave out disabled teams
}

// Teams stores field teams. Implementations validate with
// model.Team.Validate and are safe for concurrent use.
type Teams interface {
	// CreateTeam stores t with a new ID and Version 1, stamping Created
	// and Updated (and PositionAt, when zero) with the current time.
	// EINVALID for a bad field; ECONFLICT if the department already has a
	// team with the name.
	CreateTeam(ctx context.Context, t model.Team) (model.Team, error)
	// UpdateTeam replaces every field of team t.ID except the position
	// (see SetPosition) and Created, if t.Version is the stored version,
	// and returns the team as stored with the version bumped. ENOTFOUND
	// for an unknown ID; ECONFLICT if someone changed the team since
	// t.Version was read, or the name clashes.
	UpdateTeam(ctx context.Context, t model.Team) (model.Team, error)
	// Team returns ENOTFOUND if no team has the id.
	Team(ctx context.Context, id int64) (model.Team, error)
	// ListTeams lists teams in ID order, a page at a time.
	ListTeams(ctx context.Context, f TeamFilter, p Page) (items []model.Team, next string, err error)
	// SetPosition records where team id was at at. A report older than
	// the stored one is ignored (GPS reports arrive out of order), and
	// the version is not bumped, so positions never conflict with edits.
	// EINVALID for bad coordinates; ENOTFOUND for an unknown id.
	SetPosition(ctx context.Context, id int64, lon, lat float64, at time.Time) error
}
