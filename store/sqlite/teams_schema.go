package sqlitestore

// teamsSchema is migration step 5: field teams (see migrations). Skills
// and shifts are JSON arrays of strings; times are Unix ms. The position
// has its own time because GPS reports move it, not edits.
const teamsSchema = `
CREATE TABLE teams (
	id          INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused
	name        TEXT NOT NULL,
	dept        TEXT NOT NULL DEFAULT '',
	skills      TEXT NOT NULL DEFAULT '[]',
	mode        TEXT NOT NULL,                     -- walk | bike | car | van
	lon         REAL NOT NULL,                     -- WGS84
	lat         REAL NOT NULL,
	position_at INTEGER NOT NULL DEFAULT 0,
	shifts      TEXT NOT NULL DEFAULT '[]',        -- e.g. ["mon-fri 08:00-20:00"]
	time_zone   TEXT NOT NULL DEFAULT '',          -- '' = Asia/Shanghai
	capacity    INTEGER NOT NULL CHECK (capacity >= 0),
	disabled    INTEGER NOT NULL DEFAULT 0,
	version     INTEGER NOT NULL,
	created     INTEGER NOT NULL,
	updated     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX teams_dept_name ON teams(dept, name);
CREATE INDEX teams_dept ON teams(dept, id);
`
