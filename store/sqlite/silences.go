package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"cityvitals/alert/silence"
	"cityvitals/model"
)

var _ silence.Store = (*DB)(nil)

const silenceColumns = `id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at, expired_by`

// PutSilence inserts a silence (ID 0; the database assigns the ID) or
// replaces silence s.ID unless someone has expired it. Times are stored
// to the millisecond; the returned silence is as stored.
func (db *DB) PutSilence(ctx context.Context, s silence.Silence) (silence.Silence, error) {
	matchers, err := json.Marshal(s.Matchers)
	if err != nil {
		return silence.Silence{}, fmt.Errorf("silence %d matchers: %w", s.ID, err)
	}
	s = truncateSilence(s)
	args := []any{string(matchers), s.StartsAt.UnixMilli(), s.EndsAt.UnixMilli(), s.CreatedBy, s.Comment,
		s.CreatedAt.UnixMilli(), s.UpdatedAt.UnixMilli()}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if s.ID == 0 {
			return tx.QueryRowContext(ctx, `
				INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, args...).Scan(&s.ID)
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE silences SET matchers = ?, starts_at = ?, ends_at = ?, created_by = ?, comment = ?,
				created_at = ?, updated_at = ?
			WHERE id = ? AND expired_by = ''`, append(args, s.ID)...)
		if err != nil {
			return err
		}
		return silenceUnchanged(ctx, tx, res, s.ID, "was expired and cannot change")
	})
	if err != nil {
		return silence.Silence{}, formatError(err, fmt.Sprintf("silence %d", s.ID))
	}
	return s, nil
}

// Silence returns ENOTFOUND if no silence has the id.
func (db *DB) Silence(ctx context.Context, id int64) (silence.Silence, error) {
	row := db.reader.QueryRowContext(ctx, `SELECT `+silenceColumns+` FROM silences WHERE id = ?`, id)
	s, err := scanSilence(row)
	if err != nil {
		return silence.Silence{}, formatError(err, fmt.Sprintf("silence %d", id))
	}
	return s, nil
}

// Silences lists silences in ID order; without includeExpired only those
// that end after the database's clock reads now.
func (db *DB) Silences(ctx context.Context, includeExpired bool) ([]silence.Silence, error) {
	var after int64 = -1 << 63
	if !includeExpired {
		after = db.now().UnixMilli()
	}
	rows, err := db.reader.QueryContext(ctx,
		`SELECT `+silenceColumns+` FROM silences WHERE ends_at > ? ORDER BY id`, after)
	if err != nil {
		return nil, fmt.Errorf("query silences: %w", err)
	}
	defer rows.Close()
	var items []silence.Silence
	for rows.Next() {
		s, err := scanSilence(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query silences: %w", err)
	}
	return items, nil
}

// ExpireSilence ends silence id at at (a pending one before it starts) and
// records by; ECONFLICT if it had already ended by at.
func (db *DB) ExpireSilence(ctx context.Context, id int64, by string, at time.Time) error {
	ms := at.UnixMilli()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE silences SET starts_at = min(starts_at, ?1), ends_at = ?1, updated_at = ?1, expired_by = ?2
			WHERE id = ?3 AND ends_at > ?1`, ms, by, id)
		if err != nil {
			return fmt.Errorf("expire silence %d: %w", id, err)
		}
		return silenceUnchanged(ctx, tx, res, id, "has already ended")
	})
}

// silenceUnchanged turns a conditional update that touched no row into
// ENOTFOUND (no such silence) or ECONFLICT (the condition failed, for the
// reason given).
func silenceUnchanged(ctx context.Context, tx *sql.Tx, res sql.Result, id int64, reason string) error {
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM silences WHERE id = ?)`, id).Scan(&exists); err != nil {
		return fmt.Errorf("silence %d: %w", id, err)
	}
	if !exists {
		return notFound(fmt.Sprintf("silence %d", id))
	}
	return model.Errorf(model.ECONFLICT, "silence %d %s", id, reason)
}

func scanSilence(s scanner) (silence.Silence, error) {
	var out silence.Silence
	var matchers string
	var startsAt, endsAt, createdAt, updatedAt int64
	err := s.Scan(&out.ID, &matchers, &startsAt, &endsAt, &out.CreatedBy, &out.Comment,
		&createdAt, &updatedAt, &out.ExpiredBy)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal([]byte(matchers), &out.Matchers); err != nil {
		return out, fmt.Errorf("silence %d matchers: %w", out.ID, err)
	}
	out.StartsAt, out.EndsAt = fromMillis(startsAt), fromMillis(endsAt)
	out.CreatedAt, out.UpdatedAt = fromMillis(createdAt), fromMillis(updatedAt)
	return out, nil
}

// truncateSilence cuts the times to what the table keeps, so the silence
// returned by PutSilence equals the one read back.
func truncateSilence(s silence.Silence) silence.Silence {
	s.StartsAt, s.EndsAt = fromMillis(s.StartsAt.UnixMilli()), fromMillis(s.EndsAt.UnixMilli())
	s.CreatedAt, s.UpdatedAt = fromMillis(s.CreatedAt.UnixMilli()), fromMillis(s.UpdatedAt.UnixMilli())
	return s
}
