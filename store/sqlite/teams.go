package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

var _ store.Teams = (*DB)(nil)

const teamColumns = `id, name, dept, skills, mode, lon, lat, position_at, shifts, time_zone,
	capacity, disabled, version, created, updated`

// CreateTeam implements store.Teams. Times are kept to the millisecond;
// the returned team is as stored.
func (db *DB) CreateTeam(ctx context.Context, t model.Team) (model.Team, error) {
	if err := t.Validate(); err != nil {
		return model.Team{}, err
	}
	now := db.now()
	t.Created, t.Updated, t.Version = now, now, 1
	if t.PositionAt.IsZero() {
		t.PositionAt = now
	}
	t = truncateTeam(t)
	skills, shifts, err := encodeTeamLists(t)
	if err != nil {
		return model.Team{}, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO teams (name, dept, skills, mode, lon, lat, position_at, shifts, time_zone,
				capacity, disabled, version, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			t.Name, t.Dept, skills, string(t.Mode), t.Lon, t.Lat, t.PositionAt.UnixMilli(), shifts, t.TimeZone,
			t.Capacity, t.Disabled, t.Version, t.Created.UnixMilli(), t.Updated.UnixMilli()).Scan(&t.ID)
	})
	if err != nil {
		return model.Team{}, formatError(err, fmt.Sprintf("team %q in department %q", t.Name, t.Dept))
	}
	return t, nil
}

// UpdateTeam implements store.Teams.
func (db *DB) UpdateTeam(ctx context.Context, t model.Team) (model.Team, error) {
	if err := t.Validate(); err != nil {
		return model.Team{}, err
	}
	if t.Version <= 0 {
		return model.Team{}, model.Errorf(model.EINVALID, "team %d: version %d: send the version you read", t.ID, t.Version)
	}
	skills, shifts, err := encodeTeamLists(t)
	if err != nil {
		return model.Team{}, err
	}
	read := t.Version
	var stored model.Team
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `
			UPDATE teams SET name = ?, dept = ?, skills = ?, mode = ?, shifts = ?, time_zone = ?,
				capacity = ?, disabled = ?, version = version + 1, updated = ?
			WHERE id = ? AND version = ?
			RETURNING `+teamColumns,
			t.Name, t.Dept, skills, string(t.Mode), shifts, t.TimeZone,
			t.Capacity, t.Disabled, db.now().UnixMilli(), t.ID, read)
		stored, err = scanTeam(row)
		if err == sql.ErrNoRows {
			return teamUnchanged(ctx, tx, t.ID, read)
		}
		return err
	})
	if err != nil {
		return model.Team{}, formatTeamError(err, fmt.Sprintf("team %q in department %q", t.Name, t.Dept))
	}
	return stored, nil
}

// teamUnchanged explains an update that matched no row: ENOTFOUND if the
// team does not exist, ECONFLICT if its version moved on.
func teamUnchanged(ctx context.Context, tx *sql.Tx, id, read int64) error {
	var version int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM teams WHERE id = ?`, id).Scan(&version)
	if err == sql.ErrNoRows {
		return notFound(fmt.Sprintf("team %d", id))
	}
	if err != nil {
		return fmt.Errorf("team %d: %w", id, err)
	}
	return model.Errorf(model.ECONFLICT,
		"team %d was changed by someone else: it is at version %d, the update was made from version %d", id, version, read)
}

// Team implements store.Teams.
func (db *DB) Team(ctx context.Context, id int64) (model.Team, error) {
	t, err := scanTeam(db.reader.QueryRowContext(ctx, `SELECT `+teamColumns+` FROM teams WHERE id = ?`, id))
	if err != nil {
		return model.Team{}, formatError(err, fmt.Sprintf("team %d", id))
	}
	return t, nil
}

// ListTeams implements store.Teams. The cursor is the last team's ID.
func (db *DB) ListTeams(ctx context.Context, f store.TeamFilter, p store.Page) ([]model.Team, string, error) {
	after, err := decodeIDCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	where, args := []string{"id > ?"}, []any{after}
	if f.Dept != "" {
		where, args = append(where, "dept = ?"), append(args, f.Dept)
	}
	if f.Skill != "" {
		where = append(where, "EXISTS (SELECT 1 FROM json_each(teams.skills) WHERE value = ?)")
		args = append(args, f.Skill)
	}
	if f.EnabledOnly {
		where = append(where, "disabled = 0")
	}
	return queryPage(ctx, db.reader, "teams", `SELECT `+teamColumns+` FROM teams WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args, pageSize(p),
		scanTeam, func(t model.Team) string { return strconv.FormatInt(t.ID, 10) })
}

// SetPosition implements store.Teams.
func (db *DB) SetPosition(ctx context.Context, id int64, lon, lat float64, at time.Time) error {
	if err := model.CheckPosition(lon, lat); err != nil {
		return model.Errorf(model.EINVALID, "team %d position: %s", id, model.ErrorMessage(err))
	}
	if at.UnixMilli() <= 0 {
		return model.Errorf(model.EINVALID, "team %d position: time %s is not after 1970", id, at)
	}
	what := fmt.Sprintf("team %d", id)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var exists bool
		err := tx.QueryRowContext(ctx, `
			UPDATE teams SET lon = ?1, lat = ?2, position_at = ?3
			WHERE id = ?4 AND position_at <= ?3 RETURNING true`, lon, lat, at.UnixMilli(), id).Scan(&exists)
		if err != sql.ErrNoRows {
			return err
		}
		err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM teams WHERE id = ?)`, id).Scan(&exists)
		if err == nil && !exists {
			return notFound(what)
		}
		return err // nil: an older report than the stored one, ignored
	})
	return formatTeamError(err, what)
}

// formatTeamError is formatError for errors that may already be domain
// errors, which pass through unwrapped.
func formatTeamError(err error, what string) error {
	if code := model.ErrorCode(err); code != model.EINTERNAL {
		return err
	}
	return formatError(err, what)
}

func encodeTeamLists(t model.Team) (skills, shifts string, err error) {
	s, err := json.Marshal(nonNil(t.Skills))
	if err != nil {
		return "", "", fmt.Errorf("team %q skills: %w", t.Name, err)
	}
	h, err := json.Marshal(nonNil(t.Shifts))
	if err != nil {
		return "", "", fmt.Errorf("team %q shifts: %w", t.Name, err)
	}
	return string(s), string(h), nil
}

// nonNil keeps an absent list as [] in the table and in the returned team,
// so what CreateTeam returns equals what Team reads back.
func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func scanTeam(s scanner) (model.Team, error) {
	var (
		t                        model.Team
		skills, mode, shifts     string
		positionAt, created, upd int64
	)
	err := s.Scan(&t.ID, &t.Name, &t.Dept, &skills, &mode, &t.Lon, &t.Lat, &positionAt, &shifts, &t.TimeZone,
		&t.Capacity, &t.Disabled, &t.Version, &created, &upd)
	if err != nil {
		return model.Team{}, err
	}
	if err := json.Unmarshal([]byte(skills), &t.Skills); err != nil {
		return model.Team{}, fmt.Errorf("team %d skills: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(shifts), &t.Shifts); err != nil {
		return model.Team{}, fmt.Errorf("team %d shifts: %w", t.ID, err)
	}
	t.Mode, t.Created, t.Updated = model.TravelMode(mode), fromMillis(created), fromMillis(upd)
	if positionAt != 0 {
		t.PositionAt = fromMillis(positionAt)
	}
	return t, nil
}

// truncateTeam cuts times to what the table keeps and fills absent lists,
// so the team CreateTeam returns equals the one read back.
func truncateTeam(t model.Team) model.Team {
	t.Created, t.Updated = fromMillis(t.Created.UnixMilli()), fromMillis(t.Updated.UnixMilli())
	t.PositionAt = fromMillis(t.PositionAt.UnixMilli())
	t.Skills, t.Shifts = nonNil(t.Skills), nonNil(t.Shifts)
	return t
}
