package maint

// Viewer is who is asking: a signed-in user, or a resident (zero value).
type Viewer struct {
	UserID int64
	Email  string
	Role   Role
}

// Staff reports whether the viewer is signed in with a staff role.
func (v Viewer) Staff() bool { return v.Role.Staff() }
