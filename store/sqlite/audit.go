package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"cityvitals/audit"
	"cityvitals/model"
)

// AppendAudit appends r to the chain. Inside the write transaction it reads
// the newest record, sets r.Seq to the next number, r.PrevHash to that
// record's hash and r.Hash = audit.Hash(PrevHash, r); values the caller put
// there are ignored. Appends are serialised by the single writer
// connection, so concurrent appends cannot fork the chain. A zero Time is
// stamped with the current time; Time is stored in UTC with nanoseconds.
func (db *DB) AppendAudit(ctx context.Context, r model.AuditRecord) (model.AuditRecord, error) {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if r.Time.IsZero() {
			r.Time = db.now() // inside the transaction, so store-stamped times follow seq order
		}
		r.Time = r.Time.UTC()
		var lastSeq int64
		var lastHash []byte
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read audit head: %w", err)
		}
		r.Seq, r.PrevHash = lastSeq+1, lastHash
		r.Hash = audit.Hash(r.PrevHash, r)
		_, err = tx.ExecContext(ctx, `
			INSERT INTO audit (seq, time, actor, action, target, detail, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Seq, toNanos(r.Time), r.Actor, r.Action, r.Target, r.Detail, r.PrevHash, r.Hash)
		if err != nil {
			return formatError(err, fmt.Sprintf("audit record %d", r.Seq))
		}
		return nil
	})
	if err != nil {
		return model.AuditRecord{}, fmt.Errorf("append audit %s %s: %w", r.Action, r.Target, err)
	}
	return r, nil
}

// EachAudit streams every record to fn in sequence order, stopping at fn's
// first error, which it returns unwrapped.
func (db *DB) EachAudit(ctx context.Context, fn func(model.AuditRecord) error) error {
	rows, err := db.reader.QueryContext(ctx, `
		SELECT seq, time, actor, action, target, detail, prev_hash, hash FROM audit ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("query audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r  model.AuditRecord
			ns int64
		)
		if err := rows.Scan(&r.Seq, &ns, &r.Actor, &r.Action, &r.Target, &r.Detail, &r.PrevHash, &r.Hash); err != nil {
			return fmt.Errorf("query audit: %w", err)
		}
		r.Time = fromNanos(ns)
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query audit: %w", err)
	}
	return nil
}
