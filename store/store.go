// Package store declares the storage contracts the domain depends on.
//
// Two families: History (observation time series: append durably, query by
// range, latest, aggregates) and the relational stores (units, assets,
// datastreams, users, tokens, audit). The embedded implementations live in
// store/pebble (history) and store/sqlite (relational); a PostgreSQL
// implementation follows and must pass the same contract suites in
// store/storetest.
//
// Errors: implementations return *model.Error with ENOTFOUND, ECONFLICT or
// EINVALID where the caller can act on it; anything else is internal.
package store

import (
	"context"

	"cityvitals/model"
)

// History is the observation time-series store. All methods are safe for
// concurrent use.
type History interface {
	// Write stores the observations durably: when it returns nil, every
	// observation survives a crash (kill -9, power loss after fsync). A
	// second observation with the same stream and time replaces the first.
	Write(ctx context.Context, obs []model.Observation) error

	// Range returns the raw observations of one stream with from <= Time < to
	// in time order, at most limit of them (limit <= 0: no limit).
	Range(ctx context.Context, stream int64, from, to int64, limit int) ([]model.Observation, error)

	// Latest returns the newest observation of each stream that has one;
	// streams without data are absent from the map.
	Latest(ctx context.Context, streams []int64) (map[int64]model.Observation, error)

	// Aggregate returns one bucket per step-aligned interval in [from, to)
	// that has data. Implementations use precomputed roll-ups for long
	// ranges where the step allows, so they need not read every raw point.
	Aggregate(ctx context.Context, stream int64, from, to, step int64) ([]Bucket, error)

	Close() error
}

// Bucket is the aggregate of one stream over [Start, Start+step).
type Bucket struct {
	Start int64   `json:"start"`
	Count int64   `json:"count"`
	Sum   float64 `json:"sum"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

// Avg returns Sum/Count, or 0 for an empty bucket.
func (b Bucket) Avg() float64 {
	if b.Count == 0 {
		return 0
	}
	return b.Sum / float64(b.Count)
}

// Page asks for one page of a listing: items after the opaque cursor.
type Page struct {
	After string // cursor returned by the previous page; "" = from the start
	Limit int    // <= 0 means the implementation's default
}

// Units stores the spatial-unit tree.
type Units interface {
	// PutUnits inserts or replaces units (matched by code) in one transaction.
	PutUnits(ctx context.Context, units []model.Unit) error
	// Unit returns ENOTFOUND if no unit has the code.
	Unit(ctx context.Context, code string) (model.Unit, error)
	// AllUnits returns every unit with its geometry, for building the
	// spatial index at start-up.
	AllUnits(ctx context.Context) ([]model.Unit, error)
	// Children returns the direct children of a unit ("" = the roots).
	Children(ctx context.Context, parent string) ([]model.Unit, error)
}

// AssetFilter narrows an asset listing; empty fields match everything.
type AssetFilter struct {
	Type model.AssetType
	Unit string // the unit itself; descendants are the caller's business
}

// Assets stores city components.
type Assets interface {
	PutAssets(ctx context.Context, assets []model.Asset) error
	// Asset returns ENOTFOUND if no asset has the id.
	Asset(ctx context.Context, id string) (model.Asset, error)
	Assets(ctx context.Context, f AssetFilter, p Page) (items []model.Asset, next string, err error)
}

// DatastreamFilter narrows a datastream listing; empty fields match everything.
type DatastreamFilter struct {
	Property string
	Unit     string
	Asset    string
	Device   string
}

// Datastreams stores the registry of datastreams.
type Datastreams interface {
	// CreateDatastreams assigns IDs and stores the streams in one
	// transaction; ECONFLICT if a key is taken (nothing is stored then).
	CreateDatastreams(ctx context.Context, ds []model.Datastream) ([]model.Datastream, error)
	// Datastream returns ENOTFOUND if no stream has the id.
	Datastream(ctx context.Context, id int64) (model.Datastream, error)
	Datastreams(ctx context.Context, f DatastreamFilter, p Page) (items []model.Datastream, next string, err error)
	// EachDatastream calls fn for every stream in ID order, for loading
	// the in-memory registry; it stops at fn's first error.
	EachDatastream(ctx context.Context, fn func(model.Datastream) error) error
	// SetDatastreamUnits re-homes streams after the unit tree changed.
	SetDatastreamUnits(ctx context.Context, unitByStream map[int64]string) error
}

// Users stores users and their bearer tokens.
type Users interface {
	// CreateUser assigns the ID; ECONFLICT if the name is taken.
	CreateUser(ctx context.Context, u model.User) (model.User, error)
	// UserByName and UserByID return ENOTFOUND if there is no such user.
	UserByName(ctx context.Context, name string) (model.User, error)
	UserByID(ctx context.Context, id int64) (model.User, error)
	ListUsers(ctx context.Context) ([]model.User, error)
	CreateToken(ctx context.Context, t model.Token) (model.Token, error)
	// TokenByHash returns ENOTFOUND for an unknown (or deleted) token.
	TokenByHash(ctx context.Context, hash []byte) (model.Token, error)
	DeleteToken(ctx context.Context, id int64) error
}

// Audit stores the hash-chained audit log. Append computes PrevHash and Hash
// itself, atomically with respect to other appends, so the chain never forks.
type Audit interface {
	AppendAudit(ctx context.Context, r model.AuditRecord) (model.AuditRecord, error)
	// EachAudit calls fn for every record in sequence order.
	EachAudit(ctx context.Context, fn func(model.AuditRecord) error) error
}

// LevelChangeFilter narrows a level-change listing; empty fields match all.
type LevelChangeFilter struct {
	Unit      string
	Indicator string
	AfterSeq  int64 // only changes with a greater Seq
	From, To  int64 // event-time bounds [From, To); To == 0 means no bound
	Limit     int   // <= 0: the implementation's default
}

// Signs stores what the vital-signs engine finds: level changes (the
// events the dashboard and the alerting follow) and indicator values (for
// charts). Safe for concurrent use.
type Signs interface {
	// AppendLevelChanges stores changes durably, assigning each a Seq.
	AppendLevelChanges(ctx context.Context, changes []model.LevelChange) ([]model.LevelChange, error)
	// LevelChanges lists changes in Seq order.
	LevelChanges(ctx context.Context, f LevelChangeFilter) ([]model.LevelChange, error)
	// AppendIndicatorValues stores values; the same (unit, indicator, time)
	// replaces.
	AppendIndicatorValues(ctx context.Context, values []model.IndicatorValue) error
	// IndicatorValues returns one unit's values of one indicator with
	// from <= Time < to in time order, at most limit (<= 0: no limit).
	IndicatorValues(ctx context.Context, unit, indicator string, from, to int64, limit int) ([]model.IndicatorValue, error)
}

// AlertFilter narrows an alert listing; empty fields match all.
type AlertFilter struct {
	State    model.AlertState
	Unit     string // the "unit" label
	Rule     string
	MinLevel int8
}

// Alerts stores alerts by fingerprint.
type Alerts interface {
	// PutAlert inserts or replaces the alert with its fingerprint.
	PutAlert(ctx context.Context, a model.Alert) error
	// Alert returns ENOTFOUND for an unknown fingerprint.
	Alert(ctx context.Context, fingerprint string) (model.Alert, error)
	// Alerts lists in fingerprint order, a page at a time.
	Alerts(ctx context.Context, f AlertFilter, p Page) (items []model.Alert, next string, err error)
}
