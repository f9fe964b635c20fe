package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"cityvitals/model"
	"cityvitals/store"
)

var _ store.Plans = (*DB)(nil)

const planColumns = `id, version, event_type, level, retired, body, updated_by, updated_at`

const activationColumns = `id, plan_id, version, level, unit, reason, activated_by, alert_fingerprint,
	at, ended_at, ended_by`

const activationTaskColumns = `activation_id, task_id, dept, title, category, level, deadline_at,
	incident_id, error`

// PutPlan stores p as the next version of its plan; see store.Plans.
func (db *DB) PutPlan(ctx context.Context, p model.Plan) (model.Plan, error) {
	if p.ID == "" {
		return model.Plan{}, model.Errorf(model.EINVALID, "plan: id is required")
	}
	base := p.Version
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var latest int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM plans WHERE id = ?`, p.ID).
			Scan(&latest); err != nil {
			return fmt.Errorf("plan %q: read latest version: %w", p.ID, err)
		}
		if base != 0 && base != latest {
			return model.Errorf(model.ECONFLICT,
				"plan %q was changed meanwhile: the latest version is %d, the change was made from %d", p.ID, latest, base)
		}
		p.Version = latest + 1
		body, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("plan %q: encode: %w", p.ID, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO plans (`+planColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Version, p.EventType, p.Level, p.Retired, string(body), p.UpdatedBy, p.UpdatedAt)
		return formatError(err, fmt.Sprintf("plan %q version %d", p.ID, p.Version))
	})
	if err != nil {
		return model.Plan{}, err
	}
	return p, nil
}

// Plan returns the latest version of plan id.
func (db *DB) Plan(ctx context.Context, id string) (model.Plan, error) {
	row := db.reader.QueryRowContext(ctx,
		`SELECT `+planColumns+` FROM plans WHERE id = ? ORDER BY version DESC LIMIT 1`, id)
	p, err := scanPlan(row)
	return p, formatError(err, fmt.Sprintf("plan %q", id))
}

// PlanVersion returns one version of plan id.
func (db *DB) PlanVersion(ctx context.Context, id string, version int) (model.Plan, error) {
	row := db.reader.QueryRowContext(ctx,
		`SELECT `+planColumns+` FROM plans WHERE id = ? AND version = ?`, id, version)
	p, err := scanPlan(row)
	return p, formatError(err, fmt.Sprintf("plan %q version %d", id, version))
}

// PlanHistory returns every version of plan id, newest first.
func (db *DB) PlanHistory(ctx context.Context, id string) ([]model.Plan, error) {
	plans, err := db.queryPlans(ctx, `SELECT `+planColumns+` FROM plans WHERE id = ? ORDER BY version DESC`, id)
	if err == nil && len(plans) == 0 {
		return nil, notFound(fmt.Sprintf("plan %q", id))
	}
	return plans, err
}

// ListPlans returns the latest version of every plan in id order.
func (db *DB) ListPlans(ctx context.Context) ([]model.Plan, error) {
	return db.queryPlans(ctx, `SELECT `+planColumns+` FROM plans AS p
		WHERE version = (SELECT max(version) FROM plans WHERE id = p.id) ORDER BY id`)
}

func (db *DB) queryPlans(ctx context.Context, query string, args ...any) ([]model.Plan, error) {
	rows, err := db.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query plans: %w", err)
	}
	defer rows.Close()
	var plans []model.Plan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, fmt.Errorf("query plans: %w", err)
		}
		plans = append(plans, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query plans: %w", err)
	}
	return plans, nil
}

// scanPlan decodes the body and lets the columns win, so a body and its
// row can never disagree about what listings filter on.
func scanPlan(s scanner) (model.Plan, error) {
	var p model.Plan
	var id, eventType, body, updatedBy string
	var version int
	var level int8
	var retired bool
	var updatedAt int64
	if err := s.Scan(&id, &version, &eventType, &level, &retired, &body, &updatedBy, &updatedAt); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return p, fmt.Errorf("plan %q version %d body: %w", id, version, err)
	}
	p.ID, p.Version, p.EventType, p.Level, p.Retired = id, version, eventType, level, retired
	p.UpdatedBy, p.UpdatedAt = updatedBy, updatedAt
	return p, nil
}

// CreateActivation stores a and its tasks; see store.Plans.
func (db *DB) CreateActivation(ctx context.Context, a model.Activation) (model.Activation, error) {
	if a.PlanID == "" || a.Unit == "" || a.ActivatedBy == "" {
		return model.Activation{}, model.Errorf(model.EINVALID, "activation: plan_id, unit and activated_by are required")
	}
	a.ID, a.EndedAt, a.EndedBy = 0, 0, ""
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkActivatable(ctx, tx, a); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `
			INSERT INTO plan_activations (plan_id, version, level, unit, reason, activated_by, alert_fingerprint, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.PlanID, a.Version, a.Level, a.Unit, a.Reason, a.ActivatedBy, a.AlertFingerprint, a.At).Scan(&a.ID)
		if err != nil {
			return formatError(err, fmt.Sprintf("activation of plan %q in unit %q", a.PlanID, a.Unit))
		}
		return insertActivationTasks(ctx, tx, a)
	})
	if err != nil {
		return model.Activation{}, err
	}
	return a, nil
}

// checkActivatable names the plan version that is missing or the
// activation already running, which the constraints alone would not.
func checkActivatable(ctx context.Context, tx *sql.Tx, a model.Activation) error {
	var exists bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM plans WHERE id = ? AND version = ?)`,
		a.PlanID, a.Version).Scan(&exists)
	if err != nil {
		return fmt.Errorf("activation of plan %q: %w", a.PlanID, err)
	}
	if !exists {
		return notFound(fmt.Sprintf("plan %q version %d", a.PlanID, a.Version))
	}
	var running int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM plan_activations WHERE plan_id = ? AND unit = ? AND ended_at = 0`,
		a.PlanID, a.Unit).Scan(&running)
	switch {
	case err == sql.ErrNoRows:
		return nil
	case err != nil:
		return fmt.Errorf("activation of plan %q: %w", a.PlanID, err)
	}
	return model.Errorf(model.ECONFLICT, "plan %q is already active in unit %q (activation %d); end it first",
		a.PlanID, a.Unit, running)
}

func insertActivationTasks(ctx context.Context, tx *sql.Tx, a model.Activation) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO plan_activation_tasks (`+activationTaskColumns+`, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("activation %d tasks: %w", a.ID, err)
	}
	defer stmt.Close()
	for i, t := range a.Tasks {
		_, err := stmt.ExecContext(ctx, a.ID, t.TaskID, t.Dept, t.Title, t.Category, t.Level, t.DeadlineAt,
			t.IncidentID, t.Error, i)
		if err != nil {
			return formatError(err, fmt.Sprintf("activation %d task %q", a.ID, t.TaskID))
		}
	}
	return nil
}

// SetActivationTask records the incident or error of one task.
func (db *DB) SetActivationTask(ctx context.Context, id int64, t model.ActivationTask) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE plan_activation_tasks SET incident_id = ?, error = ?
			WHERE activation_id = ? AND task_id = ?`, t.IncidentID, t.Error, id, t.TaskID)
		if err != nil {
			return fmt.Errorf("activation %d task %q: %w", id, t.TaskID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("activation %d task %q: %w", id, t.TaskID, err)
		}
		if n == 0 {
			return notFound(fmt.Sprintf("activation %d task %q", id, t.TaskID))
		}
		return nil
	})
}

// Activation returns activation id with its tasks in plan order.
func (db *DB) Activation(ctx context.Context, id int64) (model.Activation, error) {
	items, err := db.readActivations(ctx, `SELECT `+activationColumns+` FROM plan_activations WHERE id = ?`, id)
	if err != nil {
		return model.Activation{}, err
	}
	if len(items) == 0 {
		return model.Activation{}, notFound(fmt.Sprintf("activation %d", id))
	}
	return items[0], nil
}

// ListActivations lists activations newest first, a page at a time.
func (db *DB) ListActivations(ctx context.Context, f store.ActivationFilter, p store.Page) ([]model.Activation, string, error) {
	before, err := decodeIDCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	if before == 0 {
		before = math.MaxInt64
	}
	where, args := []string{"id < ?"}, []any{before}
	switch f.Status {
	case store.ActivationsAll:
	case store.ActivationsActive:
		where = append(where, "ended_at = 0")
	case store.ActivationsEnded:
		where = append(where, "ended_at <> 0")
	default:
		return nil, "", model.Errorf(model.EINVALID, "activation status %q: want active, ended or nothing", f.Status)
	}
	if f.PlanID != "" {
		where, args = append(where, "plan_id = ?"), append(args, f.PlanID)
	}
	if f.Unit != "" {
		where, args = append(where, "unit = ?"), append(args, f.Unit)
	}
	limit := pageSize(p)
	items, err := db.readActivations(ctx, `SELECT `+activationColumns+` FROM plan_activations WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil || len(items) <= limit {
		return items, "", err
	}
	items = items[:limit]
	return items, encodeCursor(fmt.Sprint(items[limit-1].ID)), nil
}

// readActivations reads activations and their tasks in one read
// transaction, so tasks recorded meanwhile cannot go missing from one
// activation and appear on another.
func (db *DB) readActivations(ctx context.Context, query string, args ...any) ([]model.Activation, error) {
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("query activations: %w", err)
	}
	defer tx.Rollback() // read-only: nothing to keep
	items, err := queryRows(ctx, tx, "activations", query, args, scanActivation)
	if err != nil || len(items) == 0 {
		return items, err
	}
	byID := make(map[int64]*model.Activation, len(items))
	ids := make([]any, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
		ids[i] = items[i].ID
	}
	tasks, err := queryRows(ctx, tx, "activation tasks", `SELECT `+activationTaskColumns+
		` FROM plan_activation_tasks WHERE activation_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)
		ORDER BY activation_id, seq`, ids, scanActivationTask)
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		a := byID[t.activation]
		a.Tasks = append(a.Tasks, t.ActivationTask)
	}
	return items, nil
}

// queryRows runs query in tx and scans every row.
func queryRows[T any](ctx context.Context, tx *sql.Tx, what, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", what, err)
	}
	return scanRows(rows, what, scan)
}

func scanActivation(s scanner) (model.Activation, error) {
	var a model.Activation
	err := s.Scan(&a.ID, &a.PlanID, &a.Version, &a.Level, &a.Unit, &a.Reason, &a.ActivatedBy,
		&a.AlertFingerprint, &a.At, &a.EndedAt, &a.EndedBy)
	return a, err
}

// activationTaskRow is a task with the activation it belongs to.
type activationTaskRow struct {
	model.ActivationTask
	activation int64
}

func scanActivationTask(s scanner) (activationTaskRow, error) {
	var r activationTaskRow
	err := s.Scan(&r.activation, &r.TaskID, &r.Dept, &r.Title, &r.Category, &r.Level, &r.DeadlineAt,
		&r.IncidentID, &r.Error)
	return r, err
}

// EndActivation ends an active activation.
func (db *DB) EndActivation(ctx context.Context, id int64, by string, at int64) error {
	if by == "" {
		return model.Errorf(model.EINVALID, "activation %d: ended_by is required", id)
	}
	at = max(at, 1) // 0 means active
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE plan_activations SET ended_at = ?, ended_by = ?
			WHERE id = ? AND ended_at = 0`, at, by, id)
		if err != nil {
			return fmt.Errorf("end activation %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM plan_activations WHERE id = ?)`, id).
			Scan(&exists); err != nil {
			return fmt.Errorf("end activation %d: %w", id, err)
		}
		if !exists {
			return notFound(fmt.Sprintf("activation %d", id))
		}
		return model.Errorf(model.ECONFLICT, "activation %d has already ended", id)
	})
}
