package maint

import (
	"slices"
	"strings"
)

// Status is the state of a task (a case of the digital city-management flow).
// An asset's status is the status of its latest task.
type Status string

const (
	StatusReported   Status = "reported"    // 上报
	StatusFiled      Status = "filed"       // 立案
	StatusDispatched Status = "dispatched"  // 派遣
	StatusInProgress Status = "in_progress" // 处置中
	StatusDone       Status = "done"        // 处置完成
	StatusClosed     Status = "closed"      // 结案
	StatusRejected   Status = "rejected"    // 不予立案
	StatusCancelled  Status = "cancelled"   // 已撤销
)

// Statuses lists every state in workflow order.
var Statuses = []Status{StatusReported, StatusFiled, StatusDispatched, StatusInProgress, StatusDone, StatusClosed, StatusRejected, StatusCancelled}

// OpenStatuses are the states in which work is still pending.
var OpenStatuses = []Status{StatusReported, StatusFiled, StatusDispatched, StatusInProgress, StatusDone}

var statusNames = map[Status][2]string{
	StatusReported:   {"上报", "Reported"},
	StatusFiled:      {"立案", "Filed"},
	StatusDispatched: {"派遣", "Dispatched"},
	StatusInProgress: {"处置中", "In progress"},
	StatusDone:       {"处置完成", "Done"},
	StatusClosed:     {"结案", "Closed"},
	StatusRejected:   {"不予立案", "Rejected"},
	StatusCancelled:  {"已撤销", "Cancelled"},
}

// Valid reports whether s is a known state.
func (s Status) Valid() bool { _, ok := statusNames[s]; return ok }

// Name returns the Chinese name of the state.
func (s Status) Name() string { return statusNames[s][0] }

// NameEn returns the English name of the state.
func (s Status) NameEn() string { return statusNames[s][1] }

// Open reports whether work is still pending in state s.
func (s Status) Open() bool { return slices.Contains(OpenStatuses, s) }

// Final reports whether no transition leaves s.
func (s Status) Final() bool { return len(transitions[s]) == 0 }

// CountsOverdue reports whether a task in state s is overdue once past its due
// date: done work waits only for verification, so it is not overdue.
func (s Status) CountsOverdue() bool { return s.Open() && s != StatusDone }

// ParseStatuses parses a comma-separated list of states. An empty string gives
// nil (no filter).
func ParseStatuses(param, s string) ([]Status, error) {
	if s == "" {
		return nil, nil
	}
	var out []Status
	for _, p := range strings.Split(s, ",") {
		st := Status(strings.TrimSpace(p))
		if !st.Valid() {
			names := make([]string, len(Statuses))
			for i, x := range Statuses {
				names[i] = string(x)
			}
			return nil, Invalid(param, "unknown status %q; known states: %s", string(st), strings.Join(names, ", "))
		}
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	return out, nil
}

// Role is what a signed-in user may do. Residents are anonymous: RoleNone.
type Role string

const (
	RoleNone      Role = ""
	RoleAdmin     Role = "admin"
	RoleEngineer  Role = "engineer"
	RoleInspector Role = "inspector"
)

// Roles lists the roles an account can have.
var Roles = []Role{RoleAdmin, RoleEngineer, RoleInspector}

// Valid reports whether r is a role an account can have.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Staff reports whether r is a signed-in role (not a resident).
func (r Role) Staff() bool { return r.Valid() }

// transitions is DESIGN.md's table: from each state, the states it may move to
// and the roles that may move it there. Admins may do everything.
var transitions = map[Status][]struct {
	to    Status
	roles []Role
}{
	StatusReported:   {{StatusFiled, []Role{RoleEngineer}}, {StatusRejected, []Role{RoleEngineer}}},
	StatusFiled:      {{StatusDispatched, []Role{RoleEngineer}}, {StatusCancelled, []Role{RoleEngineer}}},
	StatusDispatched: {{StatusInProgress, []Role{RoleEngineer}}, {StatusFiled, []Role{RoleEngineer}}},
	StatusInProgress: {{StatusDone, []Role{RoleEngineer}}},
	StatusDone:       {{StatusClosed, []Role{RoleInspector}}, {StatusInProgress, []Role{RoleInspector}}},
}

// NextStatuses returns the states a task in state from may move to, whoever
// makes the move.
func NextStatuses(from Status) []Status {
	var out []Status
	for _, t := range transitions[from] {
		out = append(out, t.to)
	}
	return out
}

// AllowedTransitions returns the states that role may move a task in state
// from to.
func AllowedTransitions(from Status, role Role) []Status {
	var out []Status
	for _, t := range transitions[from] {
		if role == RoleAdmin || slices.Contains(t.roles, role) {
			out = append(out, t.to)
		}
	}
	return out
}

// CheckTransition says whether role may move a task from one state to
// another: a conflict (listing the allowed next states) when the workflow
// has no such step, forbidden when the step exists but not for this role.
func CheckTransition(from, to Status, role Role) error {
	if !to.Valid() {
		return Invalid("to", "unknown status %q", string(to))
	}
	var step *struct {
		to    Status
		roles []Role
	}
	for i := range transitions[from] {
		if transitions[from][i].to == to {
			step = &transitions[from][i]
		}
	}
	if step == nil {
		e := Errorf(CodeConflict, "a task cannot move from %s (%s) to %s (%s)", from, from.Name(), to, to.Name())
		e.Allowed = NextStatuses(from)
		if e.Allowed == nil {
			e.Allowed = []Status{}
		}
		return e
	}
	if role != RoleAdmin && !slices.Contains(step.roles, role) {
		e := Errorf(CodeForbidden, "role %q may not move a task from %s to %s", role, from, to)
		e.Allowed = AllowedTransitions(from, role)
		return e
	}
	return nil
}
