package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"inframap/internal/maint"
)

const userColumns = `u.id, u.email, u.name, u.role, u.active, u.created_at, u.updated_at, coalesce(u.crew, ''), u.subdistrict`

func scanUser(row pgx.Row, u *maint.User) error {
	var role string
	err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &u.Active, &u.CreatedAt, &u.UpdatedAt, &u.Crew, &u.Subdistrict)
	u.Role = maint.Role(role)
	return err
}

// audit writes an audit event in tx.
func audit(ctx context.Context, tx pgx.Tx, actor maint.Viewer, ip, action, subjectType string, subjectID *int64, details any) error {
	d, err := json.Marshal(details)
	if err != nil {
		return err
	}
	if details == nil {
		d = []byte("{}")
	}
	var actorID *int64
	if actor.UserID != 0 {
		actorID = &actor.UserID
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_events (actor_id, actor, action, subject_type, subject_id, ip, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, actorID, actor.Email, action, subjectType, subjectID, ip, d)
	return translate(err, "audit %s", action)
}

// Audit records an event outside any other write (a failed login, say).
func (db *DB) Audit(ctx context.Context, actor maint.Viewer, ip, action, subjectType string, subjectID *int64, details any) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "audit")
	}
	defer tx.Rollback(ctx)
	if err := audit(ctx, tx, actor, ip, action, subjectType, subjectID, details); err != nil {
		return err
	}
	return translate(tx.Commit(ctx), "audit")
}

// CreateUser stores a new account with its password hash, audited.
func (db *DB) CreateUser(ctx context.Context, actor maint.Viewer, ip string, u maint.User, hash string) (*maint.User, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "create user")
	}
	defer tx.Rollback(ctx)
	var out maint.User
	err = scanUser(tx.QueryRow(ctx, `INSERT INTO users AS u (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
		RETURNING `+userColumns, u.Email, u.Name, string(u.Role), hash), &out)
	if err != nil {
		if maint.ErrorCode(translate(err, "")) == maint.CodeConflict {
			return nil, maint.InvalidAs("email", "email_taken", nil, "an account with this e-mail already exists").WithCode(maint.CodeConflict)
		}
		return nil, translate(err, "create user")
	}
	if err := audit(ctx, tx, actor, ip, "user.created", "user", &out.ID, map[string]any{"email": out.Email, "role": out.Role}); err != nil {
		return nil, err
	}
	return &out, translate(tx.Commit(ctx), "create user")
}

// UserLogin returns the account for an e-mail with its password hash, for a
// login. An unknown e-mail is not found.
func (db *DB) UserLogin(ctx context.Context, email string) (*maint.User, string, error) {
	var u maint.User
	var hash string
	row := db.pool.QueryRow(ctx, `SELECT `+userColumns+`, u.password_hash FROM users u WHERE lower(u.email) = lower($1)`, email)
	var role string
	err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &u.Active, &u.CreatedAt, &u.UpdatedAt, &u.Crew, &u.Subdistrict, &hash)
	u.Role = maint.Role(role)
	if err != nil {
		return nil, "", translate(err, "user %s", email)
	}
	return &u, hash, nil
}

// User returns one account.
func (db *DB) User(ctx context.Context, id int64) (*maint.User, error) {
	var u maint.User
	err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id), &u)
	return &u, translate(err, "user %d", id)
}

// Users lists every account.
func (db *DB) Users(ctx context.Context) ([]maint.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.id`)
	if err != nil {
		return nil, translate(err, "users")
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (maint.User, error) {
		var u maint.User
		return u, scanUser(row, &u)
	})
	return users, translate(err, "users")
}

// UpdateUser changes an account, audited. Deactivating it or resetting its
// password ends its sessions and revokes its tokens in the same transaction,
// so they stop working at once.
func (db *DB) UpdateUser(ctx context.Context, actor maint.Viewer, ip string, id int64, p maint.UserPatch) (*maint.User, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, translate(err, "update user")
	}
	defer tx.Rollback(ctx)
	var before maint.User
	if err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 FOR UPDATE`, id), &before); err != nil {
		return nil, translate(err, "user %d", id)
	}
	changes := map[string]any{}
	after := before
	if p.Name.Set {
		after.Name = p.Name.V
		changes["name"] = [2]any{before.Name, after.Name}
	}
	if p.Role.Set {
		after.Role = p.Role.V
		changes["role"] = [2]any{before.Role, after.Role}
	}
	if p.Active.Set {
		after.Active = p.Active.V
		changes["active"] = [2]any{before.Active, after.Active}
	}
	if p.Crew.Set && p.Crew.V != "" {
		if ok, err := exists(ctx, tx, `SELECT EXISTS (SELECT 1 FROM crews WHERE name = $1)`, p.Crew.V); err != nil || !ok {
			return nil, cmp.Or(err, error(maint.InvalidAs("crew", "unknown_crew", maint.Params{"name": p.Crew.V}, "no crew or unit %q", p.Crew.V)))
		}
	}
	if p.Subdistrict.Set && p.Subdistrict.V != "" {
		if ok, err := exists(ctx, tx, subdistrictExists, p.Subdistrict.V); err != nil || !ok {
			return nil, cmp.Or(err, error(unknownSubdistrict(p.Subdistrict.V)))
		}
	}
	if p.Crew.Set {
		after.Crew = p.Crew.V
		changes["crew"] = [2]any{before.Crew, after.Crew}
	}
	if p.Subdistrict.Set {
		after.Subdistrict = p.Subdistrict.V
		changes["subdistrict"] = [2]any{before.Subdistrict, after.Subdistrict}
	}
	if p.PasswordHash.Set {
		changes["password"] = "reset"
	}
	var out maint.User
	err = scanUser(tx.QueryRow(ctx, `UPDATE users u SET name = $2, role = $3, active = $4,
			crew = nullif($7, ''), subdistrict = $8,
			password_hash = CASE WHEN $5 THEN $6 ELSE password_hash END,
			password_changed_at = CASE WHEN $5 THEN now() ELSE password_changed_at END,
			updated_at = now()
		WHERE id = $1 RETURNING `+userColumns, id, after.Name, string(after.Role), after.Active, p.PasswordHash.Set, p.PasswordHash.V,
		after.Crew, after.Subdistrict), &out)
	if err != nil {
		return nil, translate(err, "update user %d", id)
	}
	if !out.Active || p.PasswordHash.Set {
		if err := endSessions(ctx, tx, id); err != nil {
			return nil, err
		}
	}
	if err := audit(ctx, tx, actor, ip, "user.updated", "user", &id, map[string]any{"email": out.Email, "changes": changes}); err != nil {
		return nil, err
	}
	return &out, translate(tx.Commit(ctx), "update user %d", id)
}

// endSessions signs a user out everywhere and revokes their tokens.
func endSessions(ctx context.Context, tx pgx.Tx, userID int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return translate(err, "end sessions")
	}
	_, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
	return translate(err, "revoke tokens")
}

// CountAdmins returns the number of active admins.
func (db *DB) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND active`).Scan(&n)
	return n, translate(err, "count admins")
}

// newSecret returns a random URL-safe secret and its SHA-256.
func newSecret(prefix string) (string, []byte) {
	var b [32]byte
	rand.Read(b[:])
	s := prefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(s))
	return s, sum[:]
}

func hashSecret(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// Secret prefixes tell a session from a bearer token at a glance.
const (
	sessionPrefix = "ims_"
	tokenPrefix   = "imt_"
)

// Login records a successful login, audited, and opens a new session:
// a fresh id every time, so a session id fixed before login is worthless.
// The previous session, if any, is ended.
func (db *DB) Login(ctx context.Context, u *maint.User, ip, userAgent, previous string, ttl time.Duration) (token string, expires time.Time, err error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return "", time.Time{}, translate(err, "login")
	}
	defer tx.Rollback(ctx)
	if previous != "" {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashSecret(previous)); err != nil {
			return "", time.Time{}, translate(err, "login")
		}
	}
	token, hash := newSecret(sessionPrefix)
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	err = tx.QueryRow(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at, ip, user_agent)
		VALUES ($1, $2, now() + $3::interval, $4, $5) RETURNING expires_at`,
		hash, u.ID, ttl.String(), ip, userAgent).Scan(&expires)
	if err != nil {
		return "", time.Time{}, translate(err, "login")
	}
	v := maint.Viewer{UserID: u.ID, Email: u.Email, Role: u.Role}
	if err := audit(ctx, tx, v, ip, "login.succeeded", "user", &u.ID, nil); err != nil {
		return "", time.Time{}, err
	}
	// Old, expired sessions go while we are here.
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at < now()`); err != nil {
		return "", time.Time{}, translate(err, "login")
	}
	return token, expires, translate(tx.Commit(ctx), "login")
}

// Logout ends a session.
func (db *DB) Logout(ctx context.Context, v maint.Viewer, ip, token string) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "logout")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashSecret(token)); err != nil {
		return translate(err, "logout")
	}
	if err := audit(ctx, tx, v, ip, "logout.succeeded", "user", &v.UserID, nil); err != nil {
		return err
	}
	return translate(tx.Commit(ctx), "logout")
}

// FailedLogins counts the failed logins since a time for an e-mail and for
// an address.
func (db *DB) FailedLogins(ctx context.Context, email, ip string, since time.Time) (byEmail, byIP int, err error) {
	err = db.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE details->>'email' = $1), count(*) FILTER (WHERE ip = $2)
		FROM audit_events WHERE action = 'login.failed' AND at >= $3`, email, ip, since).Scan(&byEmail, &byIP)
	return byEmail, byIP, translate(err, "count failed logins")
}

// Authenticate resolves a session cookie or bearer token to its viewer. A
// session that expired, a revoked token or a deactivated account is
// unauthorized.
func (db *DB) Authenticate(ctx context.Context, secret string) (maint.Viewer, error) {
	var v maint.Viewer
	var role string
	var err error
	switch {
	case len(secret) > len(sessionPrefix) && secret[:len(sessionPrefix)] == sessionPrefix:
		err = db.pool.QueryRow(ctx, `
			WITH s AS (
				UPDATE sessions SET last_seen_at = now()
				WHERE token_hash = $1 AND expires_at > now()
				RETURNING user_id
			)
			SELECT u.id, u.email, u.role FROM s JOIN users u ON u.id = s.user_id WHERE u.active`, hashSecret(secret)).Scan(&v.UserID, &v.Email, &role)
	case len(secret) > len(tokenPrefix) && secret[:len(tokenPrefix)] == tokenPrefix:
		err = db.pool.QueryRow(ctx, `
			WITH t AS (
				UPDATE api_tokens SET last_used_at = now()
				WHERE token_hash = $1 AND revoked_at IS NULL
				RETURNING user_id
			)
			SELECT u.id, u.email, u.role FROM t JOIN users u ON u.id = t.user_id WHERE u.active`, hashSecret(secret)).Scan(&v.UserID, &v.Email, &role)
	default:
		return v, maint.Errorf(maint.CodeUnauthorized, "the credentials are not valid")
	}
	if err != nil {
		err = translate(err, "authenticate")
		if maint.ErrorCode(err) == maint.CodeNotFound {
			return maint.Viewer{}, maint.Errorf(maint.CodeUnauthorized, "the session or token has expired or was revoked; sign in again")
		}
		return maint.Viewer{}, err
	}
	v.Role = maint.Role(role)
	return v, nil
}

// CreateToken issues a bearer token for a user; the secret is returned once.
func (db *DB) CreateToken(ctx context.Context, u *maint.User, ip, name string) (*maint.Token, string, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, "", translate(err, "create token")
	}
	defer tx.Rollback(ctx)
	secret, hash := newSecret(tokenPrefix)
	t := maint.Token{UserID: u.ID, Name: name, Prefix: secret[:len(tokenPrefix)+6]}
	err = tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix) VALUES ($1, $2, $3, $4)
		RETURNING id, created_at`, u.ID, name, hash, t.Prefix).Scan(&t.ID, &t.CreatedAt)
	if err != nil {
		return nil, "", translate(err, "create token")
	}
	v := maint.Viewer{UserID: u.ID, Email: u.Email, Role: u.Role}
	if err := audit(ctx, tx, v, ip, "token.created", "token", &t.ID, map[string]any{"name": name}); err != nil {
		return nil, "", err
	}
	return &t, secret, translate(tx.Commit(ctx), "create token")
}

// Tokens lists a user's tokens (all users' for admins when userID is 0).
func (db *DB) Tokens(ctx context.Context, userID int64) ([]maint.Token, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at
		FROM api_tokens WHERE $1 = 0 OR user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, translate(err, "tokens")
	}
	ts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[maint.Token])
	return ts, translate(err, "tokens")
}

// RevokeToken revokes a token. Users revoke their own; admins any.
func (db *DB) RevokeToken(ctx context.Context, v maint.Viewer, ip string, id int64) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "revoke token")
	}
	defer tx.Rollback(ctx)
	var owner int64
	if err := tx.QueryRow(ctx, `SELECT user_id FROM api_tokens WHERE id = $1 FOR UPDATE`, id).Scan(&owner); err != nil {
		return translate(err, "token %d", id)
	}
	if owner != v.UserID && v.Role != maint.RoleAdmin {
		return maint.Errorf(maint.CodeNotFound, "token %d: not found", id)
	}
	if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id); err != nil {
		return translate(err, "revoke token %d", id)
	}
	if err := audit(ctx, tx, v, ip, "token.revoked", "token", &id, nil); err != nil {
		return err
	}
	return translate(tx.Commit(ctx), "revoke token %d", id)
}

func unknownSubdistrict(name string) *maint.Error {
	return maint.InvalidAs("subdistrict", "unknown_subdistrict", maint.Params{"name": name}, "no sub-district %q", name)
}

const subdistrictExists = `SELECT EXISTS (SELECT 1 FROM areas WHERE kind = 'subdistrict' AND name = $1)`

// exists runs a query of one boolean (does name exist?).
func exists(ctx context.Context, tx pgx.Tx, query, name string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, query, name).Scan(&ok)
	return ok, translate(err, "check %q", name)
}
