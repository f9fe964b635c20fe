package sqlitestore

// reportsSchema is migration step 6: citizen reports, and their reporters'
// personal data in a table of its own, so that no listing query can pick
// it up by accident and a retention job can purge it alone.
//
// Times are Unix milliseconds (UTC); 0 means "not set". The partial
// indexes reports_open and reports_open_address serve duplicate
// detection, which looks only at open reports of one service near a place
// (the same grid cells, or the same address id) in a recent time window.
const reportsSchema = `
CREATE TABLE reports (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused
	token              TEXT NOT NULL UNIQUE,
	external_id        TEXT NOT NULL DEFAULT '',
	channel            TEXT NOT NULL DEFAULT '',
	submitted_by       TEXT NOT NULL DEFAULT '',
	service_code       TEXT NOT NULL,
	description        TEXT NOT NULL DEFAULT '',
	lon                REAL,                              -- NULL when the report has no point
	lat                REAL,
	cell               INTEGER,                           -- grid cell of the point (see reportCell), NULL without one
	address            TEXT NOT NULL DEFAULT '',
	address_id         TEXT NOT NULL DEFAULT '',
	zipcode            TEXT NOT NULL DEFAULT '',
	unit               TEXT NOT NULL DEFAULT '',
	media_url          TEXT NOT NULL DEFAULT '',
	attributes         TEXT NOT NULL DEFAULT '{}',        -- JSON object: code → [values]
	status             TEXT NOT NULL,
	status_notes       TEXT NOT NULL DEFAULT '',
	agency_responsible TEXT NOT NULL DEFAULT '',
	service_notice     TEXT NOT NULL DEFAULT '',
	requested_at       INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	expected_at        INTEGER NOT NULL DEFAULT 0,
	incident_id        INTEGER NOT NULL DEFAULT 0,
	duplicate_of       INTEGER NOT NULL DEFAULT 0         -- 0 for an original
) STRICT;
CREATE UNIQUE INDEX reports_external ON reports(external_id) WHERE external_id <> '';
CREATE INDEX reports_requested ON reports(requested_at);
CREATE INDEX reports_open ON reports(service_code, cell, requested_at)
	WHERE status IN ('received', 'registered', 'dispatched', 'disposed');
CREATE INDEX reports_open_address ON reports(service_code, address_id, requested_at)
	WHERE status IN ('received', 'registered', 'dispatched', 'disposed') AND address_id <> '';
CREATE INDEX reports_duplicates ON reports(duplicate_of) WHERE duplicate_of <> 0;
CREATE INDEX reports_incident ON reports(incident_id) WHERE incident_id <> 0;

CREATE TABLE reporters (
	report_id  INTEGER PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
	first_name TEXT NOT NULL DEFAULT '',
	last_name  TEXT NOT NULL DEFAULT '',
	email      TEXT NOT NULL DEFAULT '',
	phone      TEXT NOT NULL DEFAULT '',
	device_id  TEXT NOT NULL DEFAULT '',
	account_id TEXT NOT NULL DEFAULT ''
) STRICT;
`
