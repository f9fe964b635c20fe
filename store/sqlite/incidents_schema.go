package sqlitestore

// incidentsSchema is migration step 4: incidents kept as JSON documents
// with the columns listings filter on, their append-only history, the
// alerts they link, and attachment metadata (the files live in the data
// directory by content hash).
const incidentsSchema = `
CREATE TABLE incidents (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	state       TEXT NOT NULL,
	is_open     INTEGER NOT NULL,
	category    TEXT NOT NULL,
	source      TEXT NOT NULL,
	level       INTEGER NOT NULL,
	dept        TEXT NOT NULL DEFAULT '',
	unit        TEXT NOT NULL DEFAULT '',
	unit_path   TEXT NOT NULL DEFAULT '/', -- '/310000/310101/…/', for listings by area
	clocked     INTEGER NOT NULL DEFAULT 0, -- open with a running or paused SLA clock
	escalation  INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,         -- Unix ms
	updated_at  INTEGER NOT NULL,
	version     INTEGER NOT NULL,
	doc         TEXT NOT NULL              -- the whole model.Incident as JSON
) STRICT;
CREATE INDEX incidents_state ON incidents(state, id);
CREATE INDEX incidents_dept ON incidents(dept, id);
CREATE INDEX incidents_clocked ON incidents(clocked) WHERE clocked = 1;

CREATE TABLE incident_events (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	incident INTEGER NOT NULL REFERENCES incidents(id),
	at       INTEGER NOT NULL,
	actor    TEXT NOT NULL,
	action   TEXT NOT NULL,
	doc      TEXT NOT NULL                 -- the whole model.IncidentEvent as JSON
) STRICT;
CREATE INDEX incident_events_incident ON incident_events(incident, id);

CREATE TABLE incident_alerts (
	fingerprint TEXT NOT NULL,
	incident    INTEGER NOT NULL REFERENCES incidents(id),
	PRIMARY KEY (fingerprint, incident)
) STRICT;

CREATE TABLE incident_attachments (
	incident INTEGER NOT NULL REFERENCES incidents(id),
	hash     TEXT NOT NULL,
	name     TEXT NOT NULL,
	type     TEXT NOT NULL,
	size     INTEGER NOT NULL,
	by_actor TEXT NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (incident, hash)
) STRICT;
`
