package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"

	"cityvitals/model"
	"cityvitals/store"
)

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// pageSize returns the number of rows to return for p.
func pageSize(p store.Page) int {
	switch {
	case p.Limit <= 0:
		return defaultPageSize
	case p.Limit > maxPageSize:
		return maxPageSize
	}
	return p.Limit
}

// encodeCursor makes the opaque cursor that resumes after key.
func encodeCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// decodeCursor returns the key a cursor resumes after ("" for "").
func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", model.Errorf(model.EINVALID, "page cursor %q is malformed", c)
	}
	return string(b), nil
}

// decodeIDCursor returns the id a cursor resumes after (0 for "").
func decodeIDCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	key, err := decodeCursor(c)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil || id < 0 {
		return 0, model.Errorf(model.EINVALID, "page cursor %q is malformed", c)
	}
	return id, nil
}

// queryPage runs a page query whose last argument is the row limit: it
// asks for one row more than the page, which tells whether another page
// follows, and returns the cursor after the page's last key.
func queryPage[T any](ctx context.Context, db *sql.DB, what, query string, args []any, limit int,
	scan func(scanner) (T, error), key func(T) string) ([]T, string, error) {
	rows, err := db.QueryContext(ctx, query, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("query %s: %w", what, err)
	}
	items, err := scanRows(rows, what, scan)
	if err != nil {
		return nil, "", err
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	return items, encodeCursor(key(items[limit-1])), nil
}

// scanRows scans every row with scan and closes rows.
func scanRows[T any](rows *sql.Rows, what string, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var items []T
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", what, err)
		}
		items = append(items, item)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query %s: %w", what, err)
	}
	return items, nil
}
