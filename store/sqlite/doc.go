// Package sqlitestore is the embedded relational store: spatial units,
// assets, the datastream registry, users with their tokens, and the
// hash-chained audit log, in one SQLite file (modernc.org/sqlite, pure Go).
//
// Durability: the database runs in WAL mode with synchronous=FULL, so every
// committed write has been fsynced to the WAL before the call returns and
// survives kill -9 or power loss. (WAL with synchronous=NORMAL would be
// faster but may lose the last commits on power loss; audit records and
// registry writes are acknowledged to callers, so they must not be lost.)
//
// Concurrency: SQLite allows one writer at a time. DB keeps a dedicated
// writer pool of exactly one connection, whose transactions begin
// IMMEDIATE, so writes queue in Go instead of failing with SQLITE_BUSY; and
// a pool of query-only reader connections, which WAL lets run alongside the
// writer. All methods are safe for concurrent use.
//
// Schema: see migrations in migrate.go, a numbered list of SQL steps
// recorded in the schema_version table.
//
// Pagination cursors are opaque to callers: the base64url (unpadded)
// encoding of the last item's key (asset id, or datastream id in decimal).
//
// Times are stored as Unix nanoseconds (UTC); a datastream's Interval as
// whole milliseconds. Geometries are stored as WKB with bounding-box columns
// for coarse spatial filtering; asset attributes as a JSON object.
package sqlitestore
