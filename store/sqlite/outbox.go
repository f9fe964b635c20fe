package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"cityvitals/model"
	"cityvitals/notify/outbox"
)

var _ outbox.Store = (*DB)(nil)

// Enqueue implements outbox.Store: one transaction, one prepared INSERT
// that skips a (receiver, idempotency_key) already stored. Zero Created or
// NextAttempt times are stamped with the current time; times are stored in
// Unix milliseconds.
func (db *DB) Enqueue(ctx context.Context, msgs []outbox.Message) error {
	for _, m := range msgs {
		if err := m.Validate(); err != nil {
			return err
		}
	}
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO outbox (receiver, idempotency_key, payload, created_at, next_attempt_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (receiver, idempotency_key) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("prepare outbox insert: %w", err)
		}
		defer stmt.Close()
		for _, m := range msgs {
			created, next := orNow(m.Created, now), orNow(m.NextAttempt, now)
			if _, err := stmt.ExecContext(ctx, m.Receiver, m.Key, m.Payload, created.UnixMilli(), next.UnixMilli()); err != nil {
				return formatError(err, fmt.Sprintf("outbox message %q for receiver %q", m.Key, m.Receiver))
			}
		}
		return nil
	})
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// Head implements outbox.Store, reading from the reader pool through the
// index outbox_due.
func (db *DB) Head(ctx context.Context, receiver string, limit int) ([]outbox.Message, error) {
	return db.messages(ctx, fmt.Sprintf("outbox head of %q", receiver),
		`SELECT `+messageColumns+` FROM outbox WHERE receiver = ? AND delivered_at = 0 ORDER BY id LIMIT ?`, receiver, limit)
}

// EachNewest implements outbox.Store: receiver's messages, delivered or
// not, newest first, at most limit, one row at a time.
func (db *DB) EachNewest(ctx context.Context, receiver string, limit int, fn func(outbox.Message) bool) error {
	what := fmt.Sprintf("newest outbox messages of %q", receiver)
	rows, err := db.reader.QueryContext(ctx,
		`SELECT `+messageColumns+` FROM outbox WHERE receiver = ? ORDER BY id DESC LIMIT ?`, receiver, limit)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if !fn(m) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// messageColumns are the outbox columns scanMessage reads, in its order.
const messageColumns = `id, receiver, idempotency_key, payload, created_at, attempts, next_attempt_at, delivered_at, last_error`

// messages runs a query for outbox rows on the reader pool.
func (db *DB) messages(ctx context.Context, what, query string, args ...any) ([]outbox.Message, error) {
	rows, err := db.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var msgs []outbox.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return msgs, nil
}

func scanMessage(rows *sql.Rows) (outbox.Message, error) {
	var (
		m                        outbox.Message
		created, next, delivered int64
	)
	err := rows.Scan(&m.ID, &m.Receiver, &m.Key, &m.Payload, &created, &m.Attempts, &next, &delivered, &m.LastError)
	if err != nil {
		return outbox.Message{}, err
	}
	m.Created, m.NextAttempt = fromMillis(created), fromMillis(next)
	if delivered != 0 {
		m.Delivered = fromMillis(delivered)
	}
	return m, nil
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// MarkDelivered implements outbox.Store. Marking a delivered message again
// keeps the first delivery time. EINVALID if at is not after 1970, since
// 0 in delivered_at means undelivered.
func (db *DB) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	if at.UnixMilli() <= 0 {
		return model.Errorf(model.EINVALID, "outbox message %d: delivery time %s is not after 1970", id, at)
	}
	return db.updateOne(ctx, id, `
		UPDATE outbox SET attempts = attempts + 1,
			delivered_at = CASE delivered_at WHEN 0 THEN ? ELSE delivered_at END
		WHERE id = ?`, at.UnixMilli(), id)
}

// MarkFailed implements outbox.Store.
func (db *DB) MarkFailed(ctx context.Context, id int64, next time.Time, reason string) error {
	return db.updateOne(ctx, id, `
		UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
		WHERE id = ?`, next.UnixMilli(), reason, id)
}

// updateOne runs a single-row UPDATE on the writer, ENOTFOUND if no row
// has that id.
func (db *DB) updateOne(ctx context.Context, id int64, query string, args ...any) error {
	what := fmt.Sprintf("outbox message %d", id)
	res, err := db.writer.ExecContext(ctx, query, args...)
	if err != nil {
		return formatError(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// Pending implements outbox.Store.
func (db *DB) Pending(ctx context.Context, receiver string) (int, error) {
	var n int
	err := db.reader.QueryRowContext(ctx,
		`SELECT count(*) FROM outbox WHERE receiver = ? AND delivered_at = 0`, receiver).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("outbox pending of %q: %w", receiver, err)
	}
	return n, nil
}

// PurgeDelivered deletes the messages delivered before cutoff and returns
// how many. Undelivered messages are never deleted. Keep the delivered
// ones long enough for their keys to catch late repeats of Send.
func (db *DB) PurgeDelivered(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.writer.ExecContext(ctx,
		`DELETE FROM outbox WHERE delivered_at <> 0 AND delivered_at < ?`, cutoff.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge delivered outbox messages: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge delivered outbox messages: %w", err)
	}
	return n, nil
}
