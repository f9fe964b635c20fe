package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations returns the schema steps, applied in order. Step i (0-based) brings
// the schema to version i+1; the current version is recorded in the
// one-row table schema_version. To change the schema, append a step; never
// edit or reorder a step that has shipped, because databases in the field
// have already applied it.
func migrations() []string {
	return []string{
		// 1: the initial schema.
		`
CREATE TABLE units (
	code    TEXT PRIMARY KEY,
	parent  TEXT NOT NULL DEFAULT '', -- '' for a root; not a foreign key: trees are imported in pieces
	level   TEXT NOT NULL,
	name_zh TEXT NOT NULL DEFAULT '',
	name_en TEXT NOT NULL DEFAULT '',
	geom    BLOB,                     -- WKB MultiPolygon, NULL when absent
	min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL
) STRICT;
CREATE INDEX units_parent ON units(parent);

CREATE TABLE assets (
	id         TEXT PRIMARY KEY,
	type       TEXT NOT NULL,
	name_zh    TEXT NOT NULL DEFAULT '',
	name_en    TEXT NOT NULL DEFAULT '',
	dept       TEXT NOT NULL DEFAULT '',
	unit       TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL DEFAULT '',
	attrs      TEXT,                  -- JSON object, NULL when empty
	geom       BLOB,                  -- WKB, NULL when absent
	min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL,
	updated_at INTEGER NOT NULL       -- Unix ns
) STRICT;
CREATE INDEX assets_type ON assets(type, id);
CREATE INDEX assets_unit ON assets(unit, id);

CREATE TABLE datastreams (
	id          INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused
	key         TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL DEFAULT '',
	property    TEXT NOT NULL,
	uom         TEXT NOT NULL DEFAULT '',
	interval_ms INTEGER NOT NULL DEFAULT 0,
	device      TEXT NOT NULL DEFAULT '',
	asset       TEXT NOT NULL DEFAULT '',
	lon         REAL,                              -- NULL when the stream has no point
	lat         REAL,
	unit        TEXT NOT NULL DEFAULT '',
	created     INTEGER NOT NULL                   -- Unix ns
) STRICT;
CREATE UNIQUE INDEX datastreams_key ON datastreams(key) WHERE key <> '';
CREATE INDEX datastreams_property ON datastreams(property);
CREATE INDEX datastreams_unit ON datastreams(unit);
CREATE INDEX datastreams_asset ON datastreams(asset);
CREATE INDEX datastreams_device ON datastreams(device);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	name          TEXT NOT NULL UNIQUE,
	role          TEXT NOT NULL,
	dept          TEXT NOT NULL DEFAULT '',
	scope         TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL DEFAULT '',
	created       INTEGER NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE tokens (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	kind      TEXT NOT NULL,
	hash      BLOB NOT NULL UNIQUE,   -- SHA-256 of the secret
	user_id   INTEGER REFERENCES users(id) ON DELETE CASCADE,
	device    TEXT NOT NULL DEFAULT '',
	provision INTEGER NOT NULL DEFAULT 0,
	name      TEXT NOT NULL DEFAULT '',
	expires   INTEGER,                -- Unix ns, NULL = never
	created   INTEGER NOT NULL
) STRICT;
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE audit (
	seq       INTEGER PRIMARY KEY,    -- 1, 2, 3...: gaps mean deleted records
	time      INTEGER NOT NULL,       -- Unix ns, UTC
	actor     TEXT NOT NULL,
	action    TEXT NOT NULL,
	target    TEXT NOT NULL,
	detail    TEXT NOT NULL DEFAULT '',
	prev_hash BLOB,
	hash      BLOB NOT NULL
) STRICT;
`,
		// 2: alerts and the notification outbox.
		`
CREATE TABLE alerts (
	fingerprint TEXT PRIMARY KEY,
	rule        TEXT NOT NULL,
	labels      TEXT NOT NULL,         -- JSON object
	level       INTEGER NOT NULL,
	state       TEXT NOT NULL,         -- pending | firing | resolved
	starts_at   INTEGER NOT NULL,      -- Unix ms, event time
	ends_at     INTEGER NOT NULL DEFAULT 0,
	updated_at  INTEGER NOT NULL,
	acked_by    TEXT NOT NULL DEFAULT '',
	acked_at    INTEGER NOT NULL DEFAULT 0,
	assignee    TEXT NOT NULL DEFAULT '',
	summary_zh  TEXT NOT NULL DEFAULT '',
	summary_en  TEXT NOT NULL DEFAULT '',
	evidence    TEXT NOT NULL DEFAULT '{}' -- JSON object
) STRICT;
CREATE INDEX alerts_state ON alerts(state, updated_at);

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	receiver        TEXT NOT NULL,
	idempotency_key TEXT NOT NULL,
	payload         BLOB NOT NULL,
	created_at      INTEGER NOT NULL,  -- Unix ms
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	delivered_at    INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	UNIQUE (receiver, idempotency_key)
) STRICT;
CREATE INDEX outbox_due ON outbox(receiver, delivered_at, id);
`,
		// 3: silences.
		`
CREATE TABLE silences (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	matchers   TEXT NOT NULL,          -- JSON array of {name, op, value}
	starts_at  INTEGER NOT NULL,       -- Unix ms
	ends_at    INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	comment    TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	expired_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX silences_ends ON silences(ends_at);
`,
		// 4: incidents (案卷), their history, attachments and SLA clocks.
		incidentsSchema,
		// 5: contingency plans (versioned) and their activations.
		plansSchema,
		// 6: field teams.
		teamsSchema,
		// 7: citizen reports and their reporters' personal data, kept apart.
		reportsSchema,
		// 8: hazard inspection campaigns, tasks, results, hazards, milestones.
		campaignsSchema,
	}
}

// migrate applies the steps db has not yet seen, each in its own
// transaction together with the version bump, so a crash mid-way leaves
// the schema at a well-defined version.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	steps := migrations()
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if current > len(steps) {
		return fmt.Errorf("schema version %d is newer than this program knows (%d): refusing to open", current, len(steps))
	}
	for v := current + 1; v <= len(steps); v++ {
		if err := applyMigration(ctx, db, v, steps[v-1]); err != nil {
			return err
		}
	}
	return nil
}

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, step string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate to version %d: %w", version, err)
	}
	defer tx.Rollback() // no-op after Commit
	if _, err := tx.ExecContext(ctx, step); err != nil {
		return fmt.Errorf("migrate to version %d: %w", version, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return fmt.Errorf("migrate to version %d: %w", version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, version); err != nil {
		return fmt.Errorf("migrate to version %d: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate to version %d: commit: %w", version, err)
	}
	return nil
}
