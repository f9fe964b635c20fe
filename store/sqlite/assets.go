package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

const assetColumns = `id, type, name_zh, name_en, dept, unit, status, attrs, geom, updated_at`

// PutAssets inserts or replaces assets, matched by id, in one transaction.
// An asset with a zero UpdatedAt is stamped with the current time. EINVALID
// names the first asset with an empty id or type.
func (db *DB) PutAssets(ctx context.Context, assets []model.Asset) error {
	for i, a := range assets {
		switch {
		case a.ID == "":
			return model.Errorf(model.EINVALID, "asset %d: id is empty", i)
		case a.Type == "":
			return model.Errorf(model.EINVALID, "asset %d (%q): type is empty", i, a.ID)
		}
	}
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO assets (id, type, name_zh, name_en, dept, unit, status, attrs, geom,
				min_lon, min_lat, max_lon, max_lat, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET
				type = excluded.type, name_zh = excluded.name_zh, name_en = excluded.name_en,
				dept = excluded.dept, unit = excluded.unit, status = excluded.status,
				attrs = excluded.attrs, geom = excluded.geom,
				min_lon = excluded.min_lon, min_lat = excluded.min_lat,
				max_lon = excluded.max_lon, max_lat = excluded.max_lat,
				updated_at = excluded.updated_at`)
		if err != nil {
			return fmt.Errorf("prepare asset upsert: %w", err)
		}
		defer stmt.Close()
		for _, a := range assets {
			if err := putAsset(ctx, stmt, a, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func putAsset(ctx context.Context, stmt *sql.Stmt, a model.Asset, now time.Time) error {
	g, err := encodeGeometry(a.Geometry)
	if err != nil {
		return fmt.Errorf("asset %q: %w", a.ID, err)
	}
	attrs, err := encodeAttrs(a.Attrs)
	if err != nil {
		return fmt.Errorf("asset %q: %w", a.ID, err)
	}
	updated := a.UpdatedAt
	if updated.IsZero() {
		updated = now
	}
	_, err = stmt.ExecContext(ctx, a.ID, string(a.Type), a.NameZH, a.NameEN, a.Dept, a.Unit, a.Status,
		attrs, g.wkb, g.minLon, g.minLat, g.maxLon, g.maxLat, toNanos(updated))
	if err != nil {
		return formatError(err, fmt.Sprintf("asset %q", a.ID))
	}
	return nil
}

// encodeAttrs stores attributes as a JSON object, NULL when there are none.
func encodeAttrs(attrs map[string]string) (sql.NullString, error) {
	if len(attrs) == 0 {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("encode attrs: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// Asset returns the asset with the id, or ENOTFOUND.
func (db *DB) Asset(ctx context.Context, id string) (model.Asset, error) {
	row := db.reader.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE id = ?`, id)
	a, err := scanAsset(row)
	if err != nil {
		return model.Asset{}, formatError(err, fmt.Sprintf("asset %q", id))
	}
	return a, nil
}

// Assets returns one page of the assets matching f, ordered by id, and the
// cursor of the next page ("" after the last page). EINVALID for a
// malformed cursor.
func (db *DB) Assets(ctx context.Context, f store.AssetFilter, p store.Page) ([]model.Asset, string, error) {
	after, err := decodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	where := []string{"id > ?"}
	args := []any{after}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, string(f.Type))
	}
	if f.Unit != "" {
		where, args = append(where, "unit = ?"), append(args, f.Unit)
	}
	return queryPage(ctx, db.reader, "assets", `SELECT `+assetColumns+` FROM assets WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args, pageSize(p),
		scanAsset, func(a model.Asset) string { return a.ID })
}

func scanAsset(s scanner) (model.Asset, error) {
	var (
		a       model.Asset
		typ     string
		attrs   sql.NullString
		geom    []byte
		updated int64
	)
	err := s.Scan(&a.ID, &typ, &a.NameZH, &a.NameEN, &a.Dept, &a.Unit, &a.Status, &attrs, &geom, &updated)
	if err != nil {
		return model.Asset{}, err
	}
	a.Type, a.UpdatedAt = model.AssetType(typ), fromNanos(updated)
	if attrs.Valid {
		if err := json.Unmarshal([]byte(attrs.String), &a.Attrs); err != nil {
			return model.Asset{}, fmt.Errorf("asset %q: decode attrs: %w", a.ID, err)
		}
	}
	if a.Geometry, err = decodeGeometry(geom); err != nil {
		return model.Asset{}, fmt.Errorf("asset %q: %w", a.ID, err)
	}
	return a, nil
}
