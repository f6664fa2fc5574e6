// Package migrations holds the database schema as numbered SQL files, applied
// in order by tern under an advisory lock.
package migrations

import "embed"

// FS holds the migration files (NNN_name.sql).
//
//go:embed *.sql
var FS embed.FS
