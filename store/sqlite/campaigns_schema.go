package sqlitestore

// campaignsSchema is migration step 8: hazard inspection campaigns, the
// inspection tasks generated from their scope, inspection results, the
// hazard register with its milestones and events.
//
// A campaign's body is the JSON of model.Campaign (checklists frozen in
// it), with the fields listings need copied into columns. A task exists
// once per asset and campaign (the unique index makes generation
// idempotent); it carries its district and department so that reports
// are one grouped scan of a covering index. A hazard's body holds what
// no query filters on (photos, evidence, notes); its milestones have their
// own rows so the overdue scan reads only what is due.
const campaignsSchema = `
CREATE TABLE campaigns (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL,
	domain     TEXT NOT NULL,
	start_at   INTEGER NOT NULL,             -- Unix ms, first instant of the period
	end_at     INTEGER NOT NULL,             -- Unix ms, first instant after it
	body       TEXT NOT NULL,                -- JSON of model.Campaign
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version    INTEGER NOT NULL CHECK (version > 0),
	CHECK (end_at > start_at)
) STRICT;

CREATE TABLE campaign_tasks (
	id           INTEGER PRIMARY KEY,
	campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
	asset_id     TEXT NOT NULL,
	asset_type   TEXT NOT NULL,
	unit         TEXT NOT NULL,
	district     TEXT NOT NULL,
	dept         TEXT NOT NULL,
	checklist    TEXT NOT NULL,
	inspector    TEXT NOT NULL DEFAULT '',
	inspected_at INTEGER NOT NULL DEFAULT 0,  -- Unix ms; 0 while pending
	inspected_by TEXT NOT NULL DEFAULT '',
	hazards      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX campaign_tasks_asset ON campaign_tasks (campaign_id, asset_id);
CREATE INDEX campaign_tasks_district ON campaign_tasks (campaign_id, district, inspected_at);
CREATE INDEX campaign_tasks_dept ON campaign_tasks (campaign_id, dept, inspected_at);
CREATE INDEX campaign_tasks_unit ON campaign_tasks (campaign_id, unit);
CREATE INDEX campaign_tasks_inspector ON campaign_tasks (campaign_id, inspector, inspected_at);

CREATE TABLE inspection_results (
	task_id      INTEGER PRIMARY KEY REFERENCES campaign_tasks (id),
	campaign_id  INTEGER NOT NULL,
	inspector    TEXT NOT NULL,
	at           INTEGER NOT NULL,            -- Unix ms, when inspected
	lon          REAL,                        -- NULL without a location
	lat          REAL,
	body         TEXT NOT NULL,               -- JSON: items, photos, note
	submitted_by TEXT NOT NULL,
	submitted_at INTEGER NOT NULL
) STRICT;

CREATE TABLE hazards (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
	task_id      INTEGER NOT NULL DEFAULT 0,  -- 0 when registered outside an inspection
	item         TEXT NOT NULL DEFAULT '',
	asset_id     TEXT NOT NULL,
	asset_type   TEXT NOT NULL,
	unit         TEXT NOT NULL,
	district     TEXT NOT NULL,
	dept         TEXT NOT NULL,
	owner        TEXT NOT NULL DEFAULT '',
	category     TEXT NOT NULL,
	severity     TEXT NOT NULL CHECK (severity IN ('major', 'general')),
	state        TEXT NOT NULL CHECK (state IN ('open', 'rectifying', 'awaiting_verification', 'closed')),
	on_site      INTEGER NOT NULL DEFAULT 0,
	found_at     INTEGER NOT NULL,
	found_by     TEXT NOT NULL,
	deadline     INTEGER NOT NULL,
	rectified_at INTEGER NOT NULL DEFAULT 0,  -- reported rectified; kept after close-out
	closed_at    INTEGER NOT NULL DEFAULT 0,
	overdue_at   INTEGER NOT NULL DEFAULT 0,  -- deadline escalation raised; 0 = not
	reopens      INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	version      INTEGER NOT NULL CHECK (version > 0),
	body         TEXT NOT NULL                -- JSON of model.Hazard without milestones
) STRICT;
CREATE INDEX hazards_campaign ON hazards (campaign_id, id);
CREATE INDEX hazards_district ON hazards (campaign_id, district, found_at);
CREATE INDEX hazards_dept ON hazards (campaign_id, dept, found_at);
CREATE INDEX hazards_task ON hazards (task_id) WHERE task_id <> 0;
CREATE INDEX hazards_open_asset ON hazards (asset_id) WHERE state <> 'closed';
CREATE INDEX hazards_open_major ON hazards (unit) WHERE severity = 'major' AND state <> 'closed';
CREATE INDEX hazards_due ON hazards (deadline) WHERE state IN ('open', 'rectifying') AND overdue_at = 0;

CREATE TABLE hazard_milestones (
	hazard_id  INTEGER NOT NULL REFERENCES hazards (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL CHECK (seq > 0),
	title      TEXT NOT NULL,
	due        INTEGER NOT NULL,
	done_at    INTEGER NOT NULL DEFAULT 0,
	done_by    TEXT NOT NULL DEFAULT '',
	evidence   TEXT NOT NULL DEFAULT '[]',    -- JSON array of content hashes
	note       TEXT NOT NULL DEFAULT '',
	overdue_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (hazard_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX hazard_milestones_due ON hazard_milestones (due) WHERE done_at = 0 AND overdue_at = 0;

CREATE TABLE hazard_events (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	hazard_id INTEGER NOT NULL REFERENCES hazards (id) ON DELETE CASCADE,
	at        INTEGER NOT NULL,
	actor     TEXT NOT NULL,
	action    TEXT NOT NULL,
	from_state TEXT NOT NULL DEFAULT '',
	to_state  TEXT NOT NULL DEFAULT '',
	note      TEXT NOT NULL DEFAULT '',
	evidence  TEXT NOT NULL DEFAULT '[]',     -- JSON array of content hashes
	data      TEXT NOT NULL DEFAULT '{}'      -- JSON object
) STRICT;
CREATE INDEX hazard_events_hazard ON hazard_events (hazard_id, id);
`
