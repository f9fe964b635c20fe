package store

import (
	"context"

	"cityvitals/model"
)

// ActivationStatus narrows an activation listing by whether it has ended.
type ActivationStatus string

const (
	ActivationsAll    ActivationStatus = ""
	ActivationsActive ActivationStatus = "active"
	ActivationsEnded  ActivationStatus = "ended"
)

// ActivationFilter narrows an activation listing; empty fields match all.
type ActivationFilter struct {
	Status ActivationStatus
	PlanID string
	Unit   string
}

// Plans stores contingency plans, every version of each, and their
// activations. Safe for concurrent use.
type Plans interface {
	// PutPlan stores p as a new version of plan p.ID and returns it with
	// the version assigned (the latest + 1). p.Version is the version
	// the change was made from: 0 stores unconditionally, n > 0 fails
	// with ECONFLICT unless n is still the latest. Older versions are kept.
	PutPlan(ctx context.Context, p model.Plan) (model.Plan, error)
	// Plan returns the latest version; ENOTFOUND for an unknown id.
	Plan(ctx context.Context, id string) (model.Plan, error)
	// PlanVersion returns one version; ENOTFOUND if it does not exist.
	PlanVersion(ctx context.Context, id string, version int) (model.Plan, error)
	// PlanHistory returns every version of a plan, newest first;
	// ENOTFOUND for an unknown id.
	PlanHistory(ctx context.Context, id string) ([]model.Plan, error)
	// ListPlans returns the latest version of every plan (retired ones
	// included) in id order.
	ListPlans(ctx context.Context) ([]model.Plan, error)

	// CreateActivation assigns the ID and stores a with its tasks.
	// ECONFLICT if the plan already has an active activation in a.Unit;
	// ENOTFOUND if the plan version does not exist.
	CreateActivation(ctx context.Context, a model.Activation) (model.Activation, error)
	// SetActivationTask records the incident (or the error) of task
	// t.TaskID of activation id; ENOTFOUND if there is no such task.
	SetActivationTask(ctx context.Context, id int64, t model.ActivationTask) error
	// Activation returns ENOTFOUND for an unknown id.
	Activation(ctx context.Context, id int64) (model.Activation, error)
	// ListActivations lists newest first, a page at a time.
	ListActivations(ctx context.Context, f ActivationFilter, p Page) (items []model.Activation, next string, err error)
	// EndActivation ends activation id at at (Unix ms); ENOTFOUND for an
	// unknown id, ECONFLICT if it has already ended.
	EndActivation(ctx context.Context, id int64, by string, at int64) error
}
