package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"inframap/internal/maint"
)

// translate turns a database error into a domain error wrapped with context:
// no rows → not found, unique violation → conflict, foreign key and check
// violations and bad data → invalid, a database that cannot be reached or is
// shutting down → unavailable. Context errors pass through unchanged so that
// a client that went away is not reported as a fault.
func translate(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if _, ok := maint.AsError(err); ok {
		return fmt.Errorf("%s: %w", what, err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, maint.Errorf(maint.CodeNotFound, "%s: not found", what))
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		var e *maint.Error
		switch {
		case pe.Code == "23505":
			e = maint.Errorf(maint.CodeConflict, "%s already exists", constraintSubject(pe))
		case pe.Code == "23503":
			// Constraints are named table_column_fkey: name the column.
			field := strings.TrimSuffix(strings.TrimPrefix(pe.ConstraintName, pe.TableName+"_"), "_fkey")
			e = maint.Invalid(field, "%s refers to a record that does not exist", field)
		case pe.Code == "23514" || pe.Code == "23502":
			e = maint.Errorf(maint.CodeInvalid, "%s is not allowed (%s)", constraintSubject(pe), pe.ConstraintName)
		case strings.HasPrefix(pe.Code, "22"), pe.Code == "XX000" && strings.Contains(pe.Message, "geometry"):
			e = maint.Errorf(maint.CodeInvalid, "invalid value: %s", pe.Message)
		case pe.Code == "57014":
			e = maint.Errorf(maint.CodeUnavailable, "the query took too long and was cancelled")
			e.RetryAfter = 5
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "57P"), pe.Code == "53300":
			e = maint.Errorf(maint.CodeUnavailable, "the database is unavailable")
			e.RetryAfter = 5
		case pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "55P03":
			e = maint.Errorf(maint.CodeConflict, "the record is busy; try again")
		}
		if e != nil {
			return fmt.Errorf("%s: %w: %w", what, e, err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if isConnError(err) {
		e := maint.Errorf(maint.CodeUnavailable, "the database is unavailable")
		e.RetryAfter = 5
		return fmt.Errorf("%s: %w: %w", what, e, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func constraintSubject(pe *pgconn.PgError) string {
	if pe.ColumnName != "" {
		return pe.ColumnName
	}
	if pe.ConstraintName != "" {
		return pe.ConstraintName
	}
	return pe.TableName
}

// isConnError reports whether err means the database could not be reached
// or the connection broke.
func isConnError(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.As(err, &oe) ||
		pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed") ||
		strings.Contains(err.Error(), "unexpected EOF")
}
