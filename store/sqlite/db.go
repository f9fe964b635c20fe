package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"cityvitals/store"
)

// Interface guards.
var (
	_ store.Units       = (*DB)(nil)
	_ store.Assets      = (*DB)(nil)
	_ store.Datastreams = (*DB)(nil)
	_ store.Users       = (*DB)(nil)
	_ store.Audit       = (*DB)(nil)
)

// busyTimeout bounds how long a connection waits for a lock held by another
// process (or a checkpoint) before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// DB is an open SQLite database. It implements store.Units, store.Assets,
// store.Datastreams, store.Users and store.Audit.
type DB struct {
	path   string
	writer *sql.DB // exactly one connection: SQLite has one writer
	reader *sql.DB // query-only connections, concurrent with the writer
	now    func() time.Time
}

// Open opens (creating if needed) the database file at path and brings its
// schema up to date. path must name a file: an in-memory database cannot be
// shared between the writer and the reader connections.
func Open(path string) (*DB, error) {
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite: path %q must name a file and contain no '?' or '#'", path)
	}
	db := &DB{path: path, now: time.Now}
	var err error
	if db.writer, err = openPool(path, writerPragmas(), 1); err != nil {
		return nil, err
	}
	if err := migrate(context.Background(), db.writer); err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	if db.reader, err = openPool(path, readerPragmas(), readers); err != nil {
		db.writer.Close()
		return nil, err
	}
	return db, nil
}

// Close closes both pools. Calls after the first return nil.
func (db *DB) Close() error {
	if db.writer == nil {
		return nil
	}
	err := errors.Join(db.reader.Close(), db.writer.Close())
	db.writer, db.reader = nil, nil
	if err != nil {
		return fmt.Errorf("close sqlite %s: %w", db.path, err)
	}
	return nil
}

func writerPragmas() url.Values {
	q := commonPragmas()
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate") // take the write lock at BEGIN, not at the first write
	return q
}

func readerPragmas() url.Values {
	q := commonPragmas()
	q.Add("_pragma", "query_only(1)")
	return q
}

func commonPragmas() url.Values {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	return q
}

func openPool(path string, q url.Values, conns int) (*sql.DB, error) {
	pool, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	pool.SetConnMaxLifetime(0) // connections carry pragmas and page cache; keep them
	if err := pool.Ping(); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return pool, nil
}

// inTx runs fn in a write transaction, committing if fn returns nil and
// rolling back otherwise.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback() // the error from fn is the one worth reporting
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
