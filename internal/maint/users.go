package maint

import (
	"encoding/json"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// User is a staff account. Residents have none.
type User struct {
	ID        int64
	Email     string
	Name      string
	Role      Role
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// Crew is the unit the person works in, told of dispatches to it and of
	// its work falling due; Subdistrict the one they look after, told of new
	// reports there ("" for none).
	Crew, Subdistrict string
}

// Token is a bearer token for scripts and integrations. The secret is shown
// once, when created; only its hash is kept.
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// AuditEvent is one entry of the audit trail: a task change or anything else
// that is audited (logins, user administration, asset edits).
type AuditEvent struct {
	ID          int64
	Source      string // "task" or "audit"
	At          time.Time
	ActorID     *int64
	Actor       string
	Action      string // e.g. "task.transition", "login.failed", "asset.updated"
	SubjectType string
	SubjectID   *int64
	IP          string
	Details     json.RawMessage
}

// AuditFilter selects audit events.
type AuditFilter struct {
	ActorID *int64
	Actor   string // e-mail
	TaskID  *int64
	Action  string
	From    *time.Time
	To      *time.Time
	After   *AuditCursor
	Limit   int
	// Newest lists the newest first; After is then an upper bound.
	Newest bool
}

// AuditCursor is the keyset position of an audit listing.
type AuditCursor struct {
	At     time.Time
	Source string
	ID     int64
}

// Password rules: bcrypt reads at most 72 bytes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// CheckPassword enforces the password rules.
func CheckPassword(field, p string) error {
	switch {
	case utf8.RuneCountInString(p) < MinPasswordLen:
		return InvalidAs(field, "password_short", Params{"min": MinPasswordLen}, "a password needs at least %d characters", MinPasswordLen)
	case len(p) > MaxPasswordLen:
		return InvalidAs(field, "password_long", Params{"max": MaxPasswordLen}, "a password may have at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// NormalizeEmail checks an e-mail address and returns it trimmed and in
// lower case, as accounts are matched.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 254 || !strings.Contains(s, "@") {
		return "", InvalidAs(field, "email_invalid", nil, "%q is not an e-mail address", s)
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return "", InvalidAs(field, "email_invalid", nil, "%q is not an e-mail address", s)
	}
	return s, nil
}

// Permission is something a role may be allowed to do.
type Permission string

const (
	PermCreateTask  Permission = "create_task"
	PermEditTask    Permission = "edit_task"
	PermEditAsset   Permission = "edit_asset"
	PermViewPrivate Permission = "view_private" // reporters' details, internal notes, staff names
	PermListCrews   Permission = "list_crews"
	PermAdmin       Permission = "admin" // users, crews, audit trail
)

var permissions = map[Permission][]Role{
	PermCreateTask:  {RoleEngineer, RoleInspector},
	PermEditTask:    {RoleEngineer},
	PermEditAsset:   {RoleEngineer},
	PermViewPrivate: {RoleEngineer, RoleInspector},
	PermListCrews:   {RoleEngineer, RoleInspector},
	PermAdmin:       {},
}

// Can reports whether role may do p. Admins may do everything.
func Can(role Role, p Permission) bool {
	if role == RoleAdmin {
		return true
	}
	for _, r := range permissions[p] {
		if r == role {
			return true
		}
	}
	return false
}

// Require returns nil when v may do p, unauthorized for residents (sign in
// first) and forbidden for staff whose role does not allow it.
func Require(v Viewer, p Permission) error {
	if Can(v.Role, p) {
		return nil
	}
	if !v.Staff() {
		return Errorf(CodeUnauthorized, "sign in first")
	}
	return Errorf(CodeForbidden, "the %s role may not do this", v.Role)
}

// Crew is a crew or unit tasks are dispatched to; admins keep the list.
type Crew struct {
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

// UserPatch changes an account; only the fields set change.
type UserPatch struct {
	Name         Opt[string]
	Role         Opt[Role]
	Active       Opt[bool]
	Crew         Opt[string]
	Subdistrict  Opt[string]
	PasswordHash Opt[string]
}
