package sqlitestore

import (
	"encoding/base64"
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
