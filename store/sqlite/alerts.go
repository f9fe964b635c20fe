package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

var _ store.Alerts = (*DB)(nil)

const alertColumns = `fingerprint, rule, labels, level, state, starts_at, ends_at, updated_at,
	acked_by, acked_at, assignee, summary_zh, summary_en, evidence`

// PutAlert inserts or replaces the alert with its fingerprint.
func (db *DB) PutAlert(ctx context.Context, a model.Alert) error {
	if a.Fingerprint == "" || a.Rule == "" {
		return model.Errorf(model.EINVALID, "alert: fingerprint and rule are required")
	}
	labels, err := json.Marshal(a.Labels)
	if err != nil {
		return fmt.Errorf("alert %s labels: %w", a.Fingerprint, err)
	}
	evidence, err := json.Marshal(a.Evidence)
	if err != nil {
		return fmt.Errorf("alert %s evidence: %w", a.Fingerprint, err)
	}
	var ackedAt int64
	if !a.AckedAt.IsZero() {
		ackedAt = a.AckedAt.UnixMilli()
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO alerts (`+alertColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (fingerprint) DO UPDATE SET
				rule = excluded.rule, labels = excluded.labels, level = excluded.level,
				state = excluded.state, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
				updated_at = excluded.updated_at, acked_by = excluded.acked_by,
				acked_at = excluded.acked_at, assignee = excluded.assignee,
				summary_zh = excluded.summary_zh, summary_en = excluded.summary_en,
				evidence = excluded.evidence`,
			a.Fingerprint, a.Rule, string(labels), a.Level, string(a.State), a.StartsAt, a.EndsAt, a.UpdatedAt,
			a.AckedBy, ackedAt, a.Assignee, a.SummaryZH, a.SummaryEN, string(evidence))
		return formatError(err, "alert "+a.Fingerprint)
	})
}

// Alert returns ENOTFOUND for an unknown fingerprint.
func (db *DB) Alert(ctx context.Context, fingerprint string) (model.Alert, error) {
	row := db.reader.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE fingerprint = ?`, fingerprint)
	a, err := scanAlert(row)
	if err == sql.ErrNoRows {
		return a, model.Errorf(model.ENOTFOUND, "alert %q not found", fingerprint)
	}
	return a, err
}

// Alerts lists alerts in fingerprint order, a page at a time.
func (db *DB) Alerts(ctx context.Context, f store.AlertFilter, p store.Page) ([]model.Alert, string, error) {
	after, err := decodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	where, args := []string{"fingerprint > ?"}, []any{after}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if f.Rule != "" {
		where, args = append(where, "rule = ?"), append(args, f.Rule)
	}
	if f.MinLevel > 0 {
		where, args = append(where, "level >= ?"), append(args, f.MinLevel)
	}
	if f.Unit != "" {
		where, args = append(where, "json_extract(labels, '$.unit') = ?"), append(args, f.Unit)
	}
	return queryPage(ctx, db.reader, "alerts", `SELECT `+alertColumns+` FROM alerts WHERE `+
		strings.Join(where, " AND ")+` ORDER BY fingerprint LIMIT ?`, args, pageSize(p),
		scanAlert, func(a model.Alert) string { return a.Fingerprint })
}

func scanAlert(s scanner) (model.Alert, error) {
	var a model.Alert
	var state, labels, evidence string
	var ackedAt int64
	err := s.Scan(&a.Fingerprint, &a.Rule, &labels, &a.Level, &state, &a.StartsAt, &a.EndsAt, &a.UpdatedAt,
		&a.AckedBy, &ackedAt, &a.Assignee, &a.SummaryZH, &a.SummaryEN, &evidence)
	if err != nil {
		return a, err
	}
	a.State = model.AlertState(state)
	if ackedAt != 0 {
		a.AckedAt = time.UnixMilli(ackedAt).UTC()
	}
	if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
		return a, fmt.Errorf("alert %s labels: %w", a.Fingerprint, err)
	}
	if err := json.Unmarshal([]byte(evidence), &a.Evidence); err != nil {
		return a, fmt.Errorf("alert %s evidence: %w", a.Fingerprint, err)
	}
	return a, nil
}
