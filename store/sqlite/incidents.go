package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"cityvitals/model"
	"cityvitals/store"
)

var _ store.Incidents = (*DB)(nil)

// CreateIncident stores a new incident with its first event.
func (db *DB) CreateIncident(ctx context.Context, inc model.Incident, path []string, ev model.IncidentEvent) (model.Incident, error) {
	if err := validIncident(inc); err != nil {
		return inc, err
	}
	inc.Version = 1
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO incidents
			(state, is_open, category, source, level, dept, unit, unit_path, clocked, escalation, created_at, updated_at, version, doc)
			VALUES (?, 0, '', '', 0, '', '', '/', 0, 0, 0, 0, 0, '{}')`, string(inc.State))
		if err != nil {
			return formatError(err, "incident")
		}
		if inc.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("incident id: %w", err)
		}
		return writeIncident(ctx, tx, inc, path, ev)
	})
	return inc, err
}

// UpdateIncident replaces the incident if nobody changed it meanwhile.
func (db *DB) UpdateIncident(ctx context.Context, inc model.Incident, path []string, ev model.IncidentEvent) (model.Incident, error) {
	if err := validIncident(inc); err != nil {
		return inc, err
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var version int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM incidents WHERE id = ?`, inc.ID).Scan(&version)
		if err != nil {
			return formatError(err, fmt.Sprintf("incident %d", inc.ID))
		}
		if version != inc.Version {
			return model.Errorf(model.ECONFLICT, "incident %d changed meanwhile (version %d, not %d): reload and retry", inc.ID, version, inc.Version)
		}
		inc.Version++
		return writeIncident(ctx, tx, inc, path, ev)
	})
	return inc, err
}

func validIncident(inc model.Incident) error {
	if inc.Category == "" || inc.State == "" || inc.Source == "" {
		return model.Errorf(model.EINVALID, "incident: category, state and source are required")
	}
	return nil
}

// writeIncident writes the row of an incident whose id exists, its alert
// links and the event.
func writeIncident(ctx context.Context, tx *sql.Tx, inc model.Incident, path []string, ev model.IncidentEvent) error {
	doc, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("incident %d: %w", inc.ID, err)
	}
	unitPath := "/"
	if len(path) > 0 {
		unitPath = "/" + strings.Join(path, "/") + "/"
	}
	clocked := inc.State.Open() && (inc.Clock.RespondBy > 0 || inc.Clock.DisposeBy > 0)
	_, err = tx.ExecContext(ctx, `UPDATE incidents SET state = ?, is_open = ?, category = ?, source = ?, level = ?,
		dept = ?, unit = ?, unit_path = ?, clocked = ?, escalation = ?, created_at = ?, updated_at = ?, version = ?, doc = ?
		WHERE id = ?`,
		string(inc.State), inc.State.Open(), inc.Category, string(inc.Source), inc.Level, inc.Dept, inc.Unit, unitPath,
		clocked, int(inc.Escalation), inc.CreatedAt, inc.UpdatedAt, inc.Version, string(doc), inc.ID)
	if err != nil {
		return formatError(err, fmt.Sprintf("incident %d", inc.ID))
	}
	for _, fp := range inc.Alerts {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO incident_alerts (fingerprint, incident) VALUES (?, ?)`, fp, inc.ID); err != nil {
			return formatError(err, "incident alert link")
		}
	}
	ev.Incident = inc.ID
	evDoc, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("incident %d event: %w", inc.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO incident_events (incident, at, actor, action, doc) VALUES (?, ?, ?, ?, ?)`,
		inc.ID, ev.At, ev.Actor, ev.Action, string(evDoc))
	return formatError(err, "incident event")
}

// Incident returns ENOTFOUND for an unknown id.
func (db *DB) Incident(ctx context.Context, id int64) (model.Incident, error) {
	var doc string
	err := db.reader.QueryRowContext(ctx, `SELECT doc FROM incidents WHERE id = ?`, id).Scan(&doc)
	if err != nil {
		return model.Incident{}, formatError(err, fmt.Sprintf("incident %d", id))
	}
	return decodeIncident(doc)
}

func decodeIncident(doc string) (model.Incident, error) {
	var inc model.Incident
	if err := json.Unmarshal([]byte(doc), &inc); err != nil {
		return inc, fmt.Errorf("decode incident: %w", err)
	}
	return inc, nil
}

// incidentWhere translates a filter to SQL conditions.
func incidentWhere(f store.IncidentFilter) ([]string, []any) {
	var where []string
	var args []any
	if len(f.States) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?,", len(f.States)), ",")
		where = append(where, "state IN ("+marks+")")
		for _, s := range f.States {
			args = append(args, string(s))
		}
	}
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if f.Under != "" {
		add("instr(unit_path, ?) > 0", "/"+f.Under+"/")
	}
	if f.Dept != "" {
		add("dept = ?", f.Dept)
	}
	if f.Category != "" {
		add("category = ?", f.Category)
	}
	if f.Source != "" {
		add("source = ?", string(f.Source))
	}
	if f.OpenOnly {
		add("is_open = ?", 1)
	}
	if f.MinLevel > 0 {
		add("level >= ?", f.MinLevel)
	}
	if f.Overdue {
		add("escalation >= ?", int(model.EscalationOverdue))
	}
	if f.CreatedFrom != 0 {
		add("created_at >= ?", f.CreatedFrom)
	}
	if f.CreatedTo != 0 {
		add("created_at < ?", f.CreatedTo)
	}
	return where, args
}

// Incidents lists the newest first, a page at a time.
func (db *DB) Incidents(ctx context.Context, f store.IncidentFilter, p store.Page) ([]model.Incident, string, error) {
	before, err := decodeIDCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	where, args := incidentWhere(f)
	if before > 0 {
		where, args = append(where, "id < ?"), append(args, before)
	}
	q := `SELECT doc FROM incidents`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	scan := func(s scanner) (model.Incident, error) {
		var doc string
		if err := s.Scan(&doc); err != nil {
			return model.Incident{}, err
		}
		return decodeIncident(doc)
	}
	key := func(inc model.Incident) string { return strconv.FormatInt(inc.ID, 10) }
	return queryPage(ctx, db.reader, "incidents", q, args, pageSize(p), scan, key)
}

// IncidentEvents returns an incident's history, oldest first.
func (db *DB) IncidentEvents(ctx context.Context, id int64) ([]model.IncidentEvent, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, doc FROM incident_events WHERE incident = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident %d events: %w", id, err)
	}
	defer rows.Close()
	var out []model.IncidentEvent
	for rows.Next() {
		var ev model.IncidentEvent
		var evID int64
		var doc string
		if err := rows.Scan(&evID, &doc); err != nil {
			return nil, fmt.Errorf("incident %d events: %w", id, err)
		}
		if err := json.Unmarshal([]byte(doc), &ev); err != nil {
			return nil, fmt.Errorf("incident %d event %d: %w", id, evID, err)
		}
		ev.ID = evID
		out = append(out, ev)
	}
	return out, rows.Err()
}

// OpenIncidentForAlert returns the newest open incident linked to the
// alert, or ENOTFOUND.
func (db *DB) OpenIncidentForAlert(ctx context.Context, fingerprint string) (model.Incident, error) {
	var doc string
	err := db.reader.QueryRowContext(ctx, `SELECT i.doc FROM incident_alerts a JOIN incidents i ON i.id = a.incident
		WHERE a.fingerprint = ? AND i.is_open = 1 ORDER BY i.id DESC LIMIT 1`, fingerprint).Scan(&doc)
	if err != nil {
		return model.Incident{}, formatError(err, "open incident for alert "+fingerprint)
	}
	return decodeIncident(doc)
}

// ClockedIncidents returns the open incidents whose SLA clocks are set.
func (db *DB) ClockedIncidents(ctx context.Context) ([]model.Incident, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT doc FROM incidents WHERE clocked = 1`)
	if err != nil {
		return nil, fmt.Errorf("clocked incidents: %w", err)
	}
	defer rows.Close()
	var out []model.Incident
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("clocked incidents: %w", err)
		}
		inc, err := decodeIncident(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, rows.Err()
}

// IncidentCounts counts incidents matching f by state.
func (db *DB) IncidentCounts(ctx context.Context, f store.IncidentFilter) (map[model.IncidentState]int, error) {
	where, args := incidentWhere(f)
	q := `SELECT state, count(*) FROM incidents`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := db.reader.QueryContext(ctx, q+` GROUP BY state`, args...)
	if err != nil {
		return nil, fmt.Errorf("incident counts: %w", err)
	}
	defer rows.Close()
	out := map[model.IncidentState]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("incident counts: %w", err)
		}
		out[model.IncidentState(state)] = n
	}
	return out, rows.Err()
}

// PutAttachment records an attachment's metadata.
func (db *DB) PutAttachment(ctx context.Context, a model.Attachment) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO incident_attachments (incident, hash, name, type, size, by_actor, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Incident, a.Hash, a.Name, a.Type, a.Size, a.By, a.At)
		return formatError(err, fmt.Sprintf("attachment of incident %d", a.Incident))
	})
}

// Attachment returns ENOTFOUND unless the incident has the attachment.
func (db *DB) Attachment(ctx context.Context, incident int64, hash string) (model.Attachment, error) {
	a := model.Attachment{Incident: incident, Hash: hash}
	err := db.reader.QueryRowContext(ctx, `SELECT name, type, size, by_actor, at FROM incident_attachments
		WHERE incident = ? AND hash = ?`, incident, hash).Scan(&a.Name, &a.Type, &a.Size, &a.By, &a.At)
	return a, formatError(err, fmt.Sprintf("attachment %s of incident %d", hash, incident))
}
