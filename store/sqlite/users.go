package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"cityvitals/model"
)

const userColumns = `id, name, role, dept, scope, password_hash, created, disabled`

// CreateUser stores u with a new ID; a zero Created is stamped with the
// current time. EINVALID for an empty name or unknown role; ECONFLICT if
// the name is taken.
func (db *DB) CreateUser(ctx context.Context, u model.User) (model.User, error) {
	switch {
	case u.Name == "":
		return model.User{}, model.Errorf(model.EINVALID, "user: name is empty")
	case !slices.Contains(model.Roles, u.Role):
		return model.User{}, model.Errorf(model.EINVALID, "user %q: role %q is not one of %v", u.Name, u.Role, model.Roles)
	}
	if u.Created.IsZero() {
		u.Created = db.now().UTC()
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO users (name, role, dept, scope, password_hash, created, disabled)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.Name, string(u.Role), u.Dept, u.Scope, u.PasswordHash, toNanos(u.Created), u.Disabled)
		if err != nil {
			return formatError(err, fmt.Sprintf("user %q", u.Name))
		}
		u.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return model.User{}, err
	}
	return u, nil
}

// UserByName returns the user with the name, or ENOTFOUND.
func (db *DB) UserByName(ctx context.Context, name string) (model.User, error) {
	u, err := scanUser(db.reader.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if err != nil {
		return model.User{}, formatError(err, fmt.Sprintf("user %q", name))
	}
	return u, nil
}

// UserByID returns the user with the id, or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (model.User, error) {
	u, err := scanUser(db.reader.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return model.User{}, formatError(err, fmt.Sprintf("user %d", id))
	}
	return u, nil
}

// ListUsers returns every user in ID order.
func (db *DB) ListUsers(ctx context.Context) ([]model.User, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("query users: %w", err)
	}
	defer rows.Close()
	var users []model.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("query users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query users: %w", err)
	}
	return users, nil
}

func scanUser(s scanner) (model.User, error) {
	var (
		u       model.User
		role    string
		created int64
	)
	if err := s.Scan(&u.ID, &u.Name, &role, &u.Dept, &u.Scope, &u.PasswordHash, &created, &u.Disabled); err != nil {
		return model.User{}, err
	}
	u.Role, u.Created = model.Role(role), fromNanos(created)
	return u, nil
}

// CreateToken stores t with a new ID; a zero Created is stamped with the
// current time. EINVALID for an unknown kind, an empty hash, or a
// session/API token without a user; ENOTFOUND if the user does not exist;
// ECONFLICT if the hash is taken.
func (db *DB) CreateToken(ctx context.Context, t model.Token) (model.Token, error) {
	if err := validateToken(t); err != nil {
		return model.Token{}, model.Errorf(model.EINVALID, "token %q: %s", t.Name, err)
	}
	if t.Created.IsZero() {
		t.Created = db.now().UTC()
	}
	userID := sql.NullInt64{Int64: t.UserID, Valid: t.UserID != 0}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO tokens (kind, hash, user_id, device, provision, name, expires, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			string(t.Kind), t.Hash, userID, t.Device, t.Provision, t.Name, nullNanos(t.Expires), toNanos(t.Created))
		if err != nil {
			return formatError(err, fmt.Sprintf("token %q for user %d", t.Name, t.UserID))
		}
		t.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return model.Token{}, err
	}
	return t, nil
}

func validateToken(t model.Token) error {
	switch t.Kind {
	case model.TokenSession, model.TokenAPI:
		if t.UserID == 0 {
			return fmt.Errorf("a %s token needs a user id", t.Kind)
		}
	case model.TokenDevice:
		if t.Device == "" {
			return errors.New("a device token needs a device id")
		}
	default:
		return fmt.Errorf("kind %q is not session, api or device", t.Kind)
	}
	if len(t.Hash) == 0 {
		return errors.New("hash is empty")
	}
	return nil
}

// TokenByHash returns the token whose secret hashes to hash, or ENOTFOUND.
// Expiry is the caller's business: an expired token is still returned.
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (model.Token, error) {
	var (
		t               model.Token
		kind            string
		userID, expires sql.NullInt64
		created         int64
	)
	err := db.reader.QueryRowContext(ctx, `
		SELECT id, kind, hash, user_id, device, provision, name, expires, created
		FROM tokens WHERE hash = ?`, hash).
		Scan(&t.ID, &kind, &t.Hash, &userID, &t.Device, &t.Provision, &t.Name, &expires, &created)
	if err != nil {
		// The message must not echo the hash: it is as good as a
		// fingerprint of the secret the caller presented.
		return model.Token{}, formatError(err, "token")
	}
	t.Kind, t.UserID = model.TokenKind(kind), userID.Int64
	t.Expires, t.Created = fromNullNanos(expires), fromNanos(created)
	return t, nil
}

// DeleteToken removes the token with the id; ENOTFOUND if there is none.
func (db *DB) DeleteToken(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id)
		if err != nil {
			return formatError(err, fmt.Sprintf("token %d", id))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("token %d: %w", id, err)
		} else if n == 0 {
			return notFound(fmt.Sprintf("token %d", id))
		}
		return nil
	})
}
