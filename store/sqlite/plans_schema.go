package sqlitestore

// plansSchema is migration step 7: contingency plans, every version of
// each, and their activations with one row per task.
//
// A plan version is immutable once written; its body is the JSON of
// model.Plan, with the fields listings filter on copied into columns. At
// most one activation of a plan is active per unit: the partial unique
// index makes that hold even for writers that skip the service's check.
const plansSchema = `
CREATE TABLE plans (
	id         TEXT NOT NULL,
	version    INTEGER NOT NULL CHECK (version > 0),
	event_type TEXT NOT NULL,
	level      INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
	retired    INTEGER NOT NULL DEFAULT 0,
	body       TEXT NOT NULL,          -- JSON of model.Plan
	updated_by TEXT NOT NULL,
	updated_at INTEGER NOT NULL,       -- Unix ms
	PRIMARY KEY (id, version)
) STRICT;

CREATE TABLE plan_activations (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	plan_id           TEXT NOT NULL,
	version           INTEGER NOT NULL,
	level             INTEGER NOT NULL,
	unit              TEXT NOT NULL,
	reason            TEXT NOT NULL,
	activated_by      TEXT NOT NULL,
	alert_fingerprint TEXT NOT NULL DEFAULT '',
	at                INTEGER NOT NULL,             -- Unix ms
	ended_at          INTEGER NOT NULL DEFAULT 0,   -- Unix ms; 0 while active
	ended_by          TEXT NOT NULL DEFAULT '',
	FOREIGN KEY (plan_id, version) REFERENCES plans (id, version)
) STRICT;
CREATE UNIQUE INDEX plan_activations_active ON plan_activations (plan_id, unit) WHERE ended_at = 0;
CREATE INDEX plan_activations_plan ON plan_activations (plan_id, id);
CREATE INDEX plan_activations_unit ON plan_activations (unit, id);
CREATE INDEX plan_activations_ended ON plan_activations (ended_at, id);

CREATE TABLE plan_activation_tasks (
	activation_id INTEGER NOT NULL REFERENCES plan_activations (id) ON DELETE CASCADE,
	seq           INTEGER NOT NULL,            -- position in the plan
	task_id       TEXT NOT NULL,
	dept          TEXT NOT NULL,
	title         TEXT NOT NULL,
	category      TEXT NOT NULL,
	level         INTEGER NOT NULL,
	deadline_at   INTEGER NOT NULL,            -- Unix ms
	incident_id   INTEGER NOT NULL DEFAULT 0,  -- 0 until an incident is opened
	error         TEXT NOT NULL DEFAULT '',    -- why the last attempt to open one failed
	PRIMARY KEY (activation_id, task_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX plan_activation_tasks_incident ON plan_activation_tasks (incident_id) WHERE incident_id <> 0;
`
