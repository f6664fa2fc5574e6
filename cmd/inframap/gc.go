package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"inframap/internal/blob"
	"inframap/internal/postgres"
)

type gcStats struct {
	scanned, removed int
	bytes            int64
}

// collectGarbage removes photo files that no row refers to: what a crash
// between storing the bytes and committing the row leaves behind, and
// temporary files of interrupted writes. Files younger than grace are kept,
// since an upload in flight writes its files before its row.
func collectGarbage(ctx context.Context, db *postgres.DB, blobs *blob.Bucket, grace time.Duration) (gcStats, error) {
	var st gcStats
	known := map[string]bool{}
	for obj, err := range blobs.List(ctx, "photos/") {
		if err != nil {
			return st, err
		}
		st.scanned++
		if time.Since(obj.ModTime) < grace {
			continue
		}
		// photos/ab/<sha256>/<file>
		parts := strings.Split(obj.Key, "/")
		if len(parts) != 4 {
			continue
		}
		sha := parts[2]
		referenced, ok := known[sha]
		if !ok {
			var err error
			if referenced, err = db.PhotoReferenced(ctx, sha); err != nil {
				return st, err
			}
			known[sha] = referenced
		}
		if referenced {
			continue
		}
		if err := blobs.Delete(ctx, obj.Key); err != nil {
			return st, err
		}
		st.removed++
		st.bytes += obj.Size
	}
	return st, nil
}

// cmdGC removes orphaned photo files now: `inframap gc [-grace 1h]`.
func cmdGC(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("gc", &cfg, getenv, stderr)
	grace := fs.Duration("grace", time.Hour, "keep files younger than this (uploads in flight)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	defer blobs.Close()
	st, err := collectGarbage(ctx, db, blobs, *grace)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "gc: %d photo files scanned, %d orphans removed (%d bytes)\n", st.scanned, st.removed, st.bytes)
	return nil
}
