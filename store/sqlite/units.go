package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"cityvitals/model"
)

const unitColumns = `code, parent, level, name_zh, name_en, geom`

// PutUnits inserts or replaces units, matched by code, in one transaction:
// either all are stored or, on error, none. EINVALID names the first unit
// with an empty code or an unknown level.
func (db *DB) PutUnits(ctx context.Context, units []model.Unit) error {
	for i, u := range units {
		if err := validateUnit(u); err != nil {
			return model.Errorf(model.EINVALID, "unit %d (%q): %s", i, u.Code, err)
		}
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO units (code, parent, level, name_zh, name_en, geom, min_lon, min_lat, max_lon, max_lat)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET
				parent = excluded.parent, level = excluded.level,
				name_zh = excluded.name_zh, name_en = excluded.name_en, geom = excluded.geom,
				min_lon = excluded.min_lon, min_lat = excluded.min_lat,
				max_lon = excluded.max_lon, max_lat = excluded.max_lat`)
		if err != nil {
			return fmt.Errorf("prepare unit upsert: %w", err)
		}
		defer stmt.Close()
		for _, u := range units {
			g, err := encodeGeometry(u.Geometry)
			if err != nil {
				return fmt.Errorf("unit %q: %w", u.Code, err)
			}
			if _, err := stmt.ExecContext(ctx, u.Code, u.Parent, string(u.Level), u.NameZH, u.NameEN,
				g.wkb, g.minLon, g.minLat, g.maxLon, g.maxLat); err != nil {
				return formatError(err, fmt.Sprintf("unit %q", u.Code))
			}
		}
		return nil
	})
}

func validateUnit(u model.Unit) error {
	switch {
	case u.Code == "":
		return errors.New("code is empty")
	case u.Level.Depth() < 0:
		return fmt.Errorf("level %q is not one of %v", u.Level, model.UnitLevels)
	case u.Parent == u.Code:
		return errors.New("parent is the unit itself")
	}
	return nil
}

// Unit returns the unit with the code, or ENOTFOUND.
func (db *DB) Unit(ctx context.Context, code string) (model.Unit, error) {
	row := db.reader.QueryRowContext(ctx, `SELECT `+unitColumns+` FROM units WHERE code = ?`, code)
	u, err := scanUnit(row)
	if err != nil {
		return model.Unit{}, formatError(err, fmt.Sprintf("unit %q", code))
	}
	return u, nil
}

// AllUnits returns every unit, ordered by code.
func (db *DB) AllUnits(ctx context.Context) ([]model.Unit, error) {
	return db.queryUnits(ctx, `SELECT `+unitColumns+` FROM units ORDER BY code`)
}

// Children returns the direct children of parent ("" = the roots), ordered
// by code. An unknown parent has no children: the result is empty, not
// ENOTFOUND.
func (db *DB) Children(ctx context.Context, parent string) ([]model.Unit, error) {
	return db.queryUnits(ctx, `SELECT `+unitColumns+` FROM units WHERE parent = ? ORDER BY code`, parent)
}

func (db *DB) queryUnits(ctx context.Context, query string, args ...any) ([]model.Unit, error) {
	rows, err := db.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query units: %w", err)
	}
	defer rows.Close()
	var units []model.Unit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("query units: %w", err)
		}
		units = append(units, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query units: %w", err)
	}
	return units, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUnit(s scanner) (model.Unit, error) {
	var (
		u     model.Unit
		level string
		geom  []byte
	)
	if err := s.Scan(&u.Code, &u.Parent, &level, &u.NameZH, &u.NameEN, &geom); err != nil {
		return model.Unit{}, err
	}
	u.Level = model.UnitLevel(level)
	mp, err := decodeMultiPolygon(geom)
	if err != nil {
		return model.Unit{}, fmt.Errorf("unit %q: %w", u.Code, err)
	}
	u.Geometry = mp
	return u, nil
}
