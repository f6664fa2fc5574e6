package timelimit

import (
	"context"

	"inframap/internal/maint"
	"inframap/internal/workcal"
)

// Service keeps the working calendar and the limits: what the handlers ask
// of the store. Changes are the admins' and write an audit row.
type Service interface {
	// Calendar is the working calendar in force: the published notices and
	// the admins' entries.
	Calendar(ctx context.Context) *workcal.Calendar
	// CalendarEntries are the admins' entries.
	CalendarEntries(ctx context.Context) ([]workcal.Day, error)
	// SetCalendarDay records an entry for a day; nil removes it.
	SetCalendarDay(ctx context.Context, v maint.Viewer, ip string, date workcal.Date, d *workcal.Day) error
	// TimeLimits are the limits in force with their defaults.
	TimeLimits(ctx context.Context) ([]Entry, error)
	// SetTimeLimit records a limit for a case type and step; nil returns
	// it to the default.
	SetTimeLimit(ctx context.Context, v maint.Viewer, ip, caseType string, step Step, r *Rule) error
	// WarnShare is the share of a limit after which a light turns yellow.
	WarnShare() float64
}
