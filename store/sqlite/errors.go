package sqlitestore

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"cityvitals/model"
)

// formatError is the one place where driver errors become domain errors.
// what names the item the statement was about, e.g. `datastream key "k1"`,
// and appears in the message the caller sees:
//
//   - no row                      → ENOTFOUND "<what> not found"
//   - UNIQUE or PRIMARY KEY clash → ECONFLICT "<what> already exists"
//   - FOREIGN KEY violation       → ENOTFOUND "<what> refers to something that does not exist"
//   - anything else               → the error wrapped with what, i.e. internal
func formatError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return model.Errorf(model.ENOTFOUND, "%s not found", what)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return model.Errorf(model.ECONFLICT, "%s already exists", what)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return model.Errorf(model.ENOTFOUND, "%s refers to something that does not exist", what)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// notFound is the error for a statement that affected no row.
func notFound(what string) error {
	return model.Errorf(model.ENOTFOUND, "%s not found", what)
}
