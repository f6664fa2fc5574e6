package maint

import "time"

// Clock is the running time limit of a task's current step as people see it
// (docs/time-limits.md): the limit, the deadline and the light.
type Clock struct {
	Step string // file, dispatch, handle, verify
	// Unit and N are the limit: working_hours, working_days, natural_hours,
	// due_date (N is 0) or none.
	Unit      string
	N         float64
	Extended  float64 // approved extensions, in Unit (working days for a due date)
	StartedAt time.Time
	Deadline  *time.Time
	// Share is the part of the limit used (1 at the deadline); nil without
	// a limit.
	Share *float64
	// Left is the limit's own time to the deadline, negative when late; nil
	// without a limit.
	Left        *time.Duration
	Light       string // green, yellow, red, paused, none
	PausedSince *time.Time
	Rework      bool
	Extensions  int
	Suspensions int
	Requests    []ClockRequest
}

// Late reports whether the clock is past its deadline.
func (c *Clock) Late() bool { return c != nil && c.Light == "red" }

// ClockRequest is an extension (延期) or suspension (挂账) asked for a step.
type ClockRequest struct {
	ID          int64
	Kind        string  // extension or suspension
	N           float64 // an extension's amount, in the clock's unit
	Reason      string
	RequestedBy string
	RequestedAt time.Time
	Decision    string // "", approved, refused
	DecidedBy   string
	DecidedAt   *time.Time
	Note        string
	EndedAt     *time.Time // an approved suspension's end
}

// ClockAction is a change to a task's clock: a request, its decision, or the
// end of a suspension.
type ClockAction struct {
	Action  string // request_extension, request_suspension, approve, refuse, resume
	N       float64
	Reason  string
	Request int64
	Note    string
}

// ClockActions lists the actions of POST /api/v1/tasks/{id}/clock.
var ClockActions = []string{"request_extension", "request_suspension", "approve", "refuse", "resume"}
