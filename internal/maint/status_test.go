package maint

import (
	"slices"
	"testing"
)

func TestTransitions(t *testing.T) {
	cases := []struct {
		from, to Status
		role     Role
		want     Code
	}{
		{StatusReported, StatusFiled, RoleEngineer, ""},
		{StatusReported, StatusRejected, RoleEngineer, ""},
		{StatusReported, StatusFiled, RoleInspector, CodeForbidden},
		{StatusReported, StatusFiled, RoleNone, CodeForbidden},
		{StatusReported, StatusClosed, RoleAdmin, CodeConflict},
		{StatusFiled, StatusDispatched, RoleEngineer, ""},
		{StatusFiled, StatusCancelled, RoleEngineer, ""},
		{StatusDispatched, StatusInProgress, RoleEngineer, ""},
		{StatusDispatched, StatusFiled, RoleEngineer, ""},
		{StatusInProgress, StatusDone, RoleEngineer, ""},
		{StatusDone, StatusClosed, RoleInspector, ""},
		{StatusDone, StatusInProgress, RoleInspector, ""},
		{StatusDone, StatusClosed, RoleEngineer, CodeForbidden},
		{StatusDone, StatusClosed, RoleAdmin, ""},
		{StatusClosed, StatusInProgress, RoleAdmin, CodeConflict},
		{StatusRejected, StatusFiled, RoleAdmin, CodeConflict},
		{StatusFiled, "finished", RoleAdmin, CodeInvalid},
	}
	for _, c := range cases {
		got := ErrorCode(CheckTransition(c.from, c.to, c.role))
		if got != c.want {
			t.Errorf("CheckTransition(%s → %s as %q) = %q, want %q", c.from, c.to, c.role, got, c.want)
		}
	}
	e, _ := AsError(CheckTransition(StatusReported, StatusDone, RoleEngineer))
	if !slices.Equal(e.Allowed, []Status{StatusFiled, StatusRejected}) {
		t.Errorf("allowed from reported: %v", e.Allowed)
	}
	for _, s := range []Status{StatusClosed, StatusRejected, StatusCancelled} {
		if !s.Final() || s.Open() {
			t.Errorf("%s should be final and not open", s)
		}
	}
	if StatusDone.CountsOverdue() || !StatusInProgress.CountsOverdue() {
		t.Error("overdue rule: done work waits for verification only")
	}
}
