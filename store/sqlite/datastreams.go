package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

const datastreamColumns = `id, key, name, property, uom, interval_ms, device, asset, lon, lat, unit, created`

// CreateDatastreams validates the streams, assigns their IDs and stores
// them in one transaction with one prepared statement. A zero Created is
// stamped with the current time. Interval is stored in whole milliseconds.
// EINVALID names the first invalid stream and field; ECONFLICT names the
// first key already taken (by a stored stream or an earlier one in ds), and
// then nothing is stored.
func (db *DB) CreateDatastreams(ctx context.Context, ds []model.Datastream) ([]model.Datastream, error) {
	for i, d := range ds {
		if err := validateDatastream(d); err != nil {
			return nil, model.Errorf(model.EINVALID, "datastream %d (key %q): %s", i, d.Key, err)
		}
	}
	out := slices.Clone(ds)
	now := db.now().UTC()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO datastreams (key, name, property, uom, interval_ms, device, asset, lon, lat, unit, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("prepare datastream insert: %w", err)
		}
		defer stmt.Close()
		for i := range out {
			if err := insertDatastream(ctx, stmt, &out[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func validateDatastream(d model.Datastream) error {
	switch {
	case d.Property == "":
		return errors.New("property is empty")
	case d.Interval < 0:
		return fmt.Errorf("interval %s is negative", d.Interval)
	case d.HasPoint && (d.Lon < -180 || d.Lon > 180):
		return fmt.Errorf("lon %g is outside [-180, 180]", d.Lon)
	case d.HasPoint && (d.Lat < -90 || d.Lat > 90):
		return fmt.Errorf("lat %g is outside [-90, 90]", d.Lat)
	}
	return nil
}

// insertDatastream stores d and fills in its ID and, if zero, Created.
func insertDatastream(ctx context.Context, stmt *sql.Stmt, d *model.Datastream, now time.Time) error {
	if d.Created.IsZero() {
		d.Created = now
	}
	var lon, lat sql.NullFloat64
	if d.HasPoint {
		lon, lat = sql.NullFloat64{Float64: d.Lon, Valid: true}, sql.NullFloat64{Float64: d.Lat, Valid: true}
	}
	res, err := stmt.ExecContext(ctx, d.Key, d.Name, d.Property, d.UoM, d.Interval.Milliseconds(),
		d.Device, d.Asset, lon, lat, d.Unit, toNanos(d.Created))
	if err != nil {
		return formatError(err, fmt.Sprintf("datastream key %q", d.Key))
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("datastream key %q: read assigned id: %w", d.Key, err)
	}
	return nil
}

// Datastream returns the stream with the id, or ENOTFOUND.
func (db *DB) Datastream(ctx context.Context, id int64) (model.Datastream, error) {
	row := db.reader.QueryRowContext(ctx, `SELECT `+datastreamColumns+` FROM datastreams WHERE id = ?`, id)
	d, err := scanDatastream(row)
	if err != nil {
		return model.Datastream{}, formatError(err, fmt.Sprintf("datastream %d", id))
	}
	return d, nil
}

// Datastreams returns one page of the streams matching f, in ID order, and
// the cursor of the next page ("" after the last page). EINVALID for a
// malformed cursor.
func (db *DB) Datastreams(ctx context.Context, f store.DatastreamFilter, p store.Page) ([]model.Datastream, string, error) {
	after, err := decodeIDCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	where := []string{"id > ?"}
	args := []any{after}
	for _, c := range []struct{ column, value string }{
		{"property", f.Property}, {"unit", f.Unit}, {"asset", f.Asset}, {"device", f.Device},
	} {
		if c.value != "" {
			where, args = append(where, c.column+" = ?"), append(args, c.value)
		}
	}
	limit := pageSize(p)
	args = append(args, limit+1) // one more row tells whether another page follows
	var items []model.Datastream
	err = db.eachDatastreamRow(ctx, func(d model.Datastream) error {
		items = append(items, d)
		return nil
	}, `SELECT `+datastreamColumns+` FROM datastreams WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, "", err
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	return items, encodeCursor(strconv.FormatInt(items[limit-1].ID, 10)), nil
}

// EachDatastream streams every datastream to fn in ID order, one row at a
// time, so memory stays flat for millions of streams. It stops at fn's
// first error and returns it unwrapped. fn runs inside one read snapshot,
// so it sees no streams created meanwhile; it may call other methods of db.
func (db *DB) EachDatastream(ctx context.Context, fn func(model.Datastream) error) error {
	return db.eachDatastreamRow(ctx, fn, `SELECT `+datastreamColumns+` FROM datastreams ORDER BY id`)
}

func (db *DB) eachDatastreamRow(ctx context.Context, fn func(model.Datastream) error, query string, args ...any) error {
	rows, err := db.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query datastreams: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDatastream(rows)
		if err != nil {
			return fmt.Errorf("query datastreams: %w", err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query datastreams: %w", err)
	}
	return nil
}

// SetDatastreamUnits sets the unit of each stream in the map, in one
// transaction. ENOTFOUND names the first (lowest) unknown stream id, and
// then nothing is changed.
func (db *DB) SetDatastreamUnits(ctx context.Context, unitByStream map[int64]string) error {
	ids := slices.Sorted(maps.Keys(unitByStream))
	return db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE datastreams SET unit = ? WHERE id = ?`)
		if err != nil {
			return fmt.Errorf("prepare datastream unit update: %w", err)
		}
		defer stmt.Close()
		for _, id := range ids {
			res, err := stmt.ExecContext(ctx, unitByStream[id], id)
			if err != nil {
				return formatError(err, fmt.Sprintf("datastream %d", id))
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("datastream %d: %w", id, err)
			} else if n == 0 {
				return notFound(fmt.Sprintf("datastream %d", id))
			}
		}
		return nil
	})
}

func scanDatastream(s scanner) (model.Datastream, error) {
	var (
		d          model.Datastream
		intervalMS int64
		lon, lat   sql.NullFloat64
		created    int64
	)
	err := s.Scan(&d.ID, &d.Key, &d.Name, &d.Property, &d.UoM, &intervalMS,
		&d.Device, &d.Asset, &lon, &lat, &d.Unit, &created)
	if err != nil {
		return model.Datastream{}, err
	}
	d.Interval = time.Duration(intervalMS) * time.Millisecond
	d.Created = fromNanos(created)
	if lon.Valid && lat.Valid {
		d.Lon, d.Lat, d.HasPoint = lon.Float64, lat.Float64, true
	}
	return d, nil
}
