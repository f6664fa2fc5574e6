package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"inframap/internal/postgres"
	"inframap/internal/postgres/devdb"
)

// manifest describes a backup: what the database held when it was taken,
// so a restore can prove it brought everything back.
type manifest struct {
	CreatedAt     time.Time                    `json:"created_at"`
	SchemaVersion int32                        `json:"schema_version"`
	Tables        map[string]postgres.TableSum `json:"tables"`
	Blobs         blobSum                      `json:"blobs"`
}

type blobSum struct {
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

const (
	dumpFile     = "database.dump"
	manifestFile = "manifest.json"
	blobsDir     = "photos" // the file store's directory under the data directory
)

// pgTool finds pg_dump or pg_restore: beside the embedded cluster's server,
// else the newest installed, else on PATH.
func pgTool(cluster *devdb.Cluster, name string) (string, error) {
	if cluster != nil {
		return filepath.Join(cluster.BinDir(), name), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	sort.Strings(matches)
	if len(matches) > 0 {
		return matches[len(matches)-1], nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found; install postgresql-client-15", name)
	}
	return p, nil
}

// cmdBackup writes DIR/database.dump (pg_dump, custom format), DIR/blobs (a
// copy of the photo store) and DIR/manifest.json. The dump and the
// manifest's checksums come from one snapshot.
func cmdBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("backup", &cfg, getenv, stderr)
	out := fs.String("o", "", "directory to write the backup to (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("backup: -o DIR is required")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s exists; name a new directory", *out)
	}
	db, cluster, url, closeDB, err := openDatabase(ctx, cfg, stderr, true)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	// Hold a snapshot open: checksums and pg_dump see the same data.
	snap, err := db.BackupSnapshot(ctx)
	if err != nil {
		return err
	}
	defer snap.Close(ctx)
	m := manifest{SchemaVersion: snap.SchemaVersion, Tables: snap.Tables}
	dump, err := pgTool(cluster, "pg_dump")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, dump, "--format=custom", "--no-owner", "--no-privileges", "--snapshot="+snap.Name,
		"--file="+filepath.Join(*out, dumpFile), url)
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_dump: %w", err)
	}
	snap.Close(ctx)
	if isS3(cfg) {
		m.Blobs, err = copyFromBucket(ctx, cfg, filepath.Join(*out, blobsDir))
	} else {
		m.Blobs, err = copyTree(filepath.Join(cfg.dataDir, blobsDir), filepath.Join(*out, blobsDir))
	}
	if err != nil {
		return fmt.Errorf("copy photos: %w", err)
	}
	m.CreatedAt = time.Now().UTC()
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, manifestFile), b, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s: %d assets, %d tasks, %d task events, %d photo files\n", *out,
		m.Tables["assets"].Rows, m.Tables["tasks"].Rows, m.Tables["task_events"].Rows, m.Blobs.Files)
	return nil
}

// cmdRestore loads a backup into an empty database and proves it: every
// table's row count and checksum must equal the manifest's.
func cmdRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("restore", &cfg, getenv, stderr)
	from := fs.String("from", "", "backup directory written by inframap backup")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("restore: -from DIR is required")
	}
	var m manifest
	b, err := os.ReadFile(filepath.Join(*from, manifestFile))
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		return fmt.Errorf("restore: %s is not a backup: %w", *from, err)
	}
	db, cluster, url, closeDB, err := openDatabase(ctx, cfg, stderr, false)
	if err != nil {
		return err
	}
	defer closeDB()
	empty, err := db.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return errors.New("restore: the database is not empty; restore into a new database")
	}
	restore, err := pgTool(cluster, "pg_restore")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
		"--dbname="+url, filepath.Join(*from, dumpFile))
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_restore: %w", err)
	}
	var blobs blobSum
	if isS3(cfg) {
		blobs, err = copyToBucket(ctx, filepath.Join(*from, blobsDir), cfg)
	} else {
		blobs, err = copyTree(filepath.Join(*from, blobsDir), filepath.Join(cfg.dataDir, blobsDir))
	}
	if err != nil {
		return fmt.Errorf("restore photos: %w", err)
	}
	got, err := db.Checksums(ctx)
	if err != nil {
		return err
	}
	var bad []string
	for name, want := range m.Tables {
		if got[name] != want {
			bad = append(bad, fmt.Sprintf("%s: %d rows %s, backup had %d rows %s", name, got[name].Rows, got[name].MD5, want.Rows, want.MD5))
		}
	}
	if blobs != m.Blobs {
		bad = append(bad, fmt.Sprintf("photos: %d files %d bytes, backup had %d files %d bytes", blobs.Files, blobs.Bytes, m.Blobs.Files, m.Blobs.Bytes))
	}
	if len(bad) > 0 {
		return fmt.Errorf("restore: the restored data differ from the backup: %v", bad)
	}
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s: %d tables and %d photo files match the backup's checksums\n", *from, len(m.Tables), blobs.Files)
	return nil
}

// isS3 tells whether the photos are in an S3-compatible store rather than
// under the data directory.
func isS3(cfg config) bool { return strings.HasPrefix(cfg.blobURL, "s3://") }

// copyFromBucket writes every object of the photo store under dir, a file
// per key, and counts them.
func copyFromBucket(ctx context.Context, cfg config, dir string) (blobSum, error) {
	var sum blobSum
	b, err := openBlobs(ctx, cfg)
	if err != nil {
		return sum, err
	}
	defer b.Close()
	for obj, err := range b.List(ctx, "") {
		if err != nil {
			return sum, err
		}
		data, err := b.Get(ctx, obj.Key)
		if err != nil {
			return sum, err
		}
		p := filepath.Join(dir, filepath.FromSlash(obj.Key))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return sum, err
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return sum, err
		}
		sum.Files++
		sum.Bytes += int64(len(data))
	}
	return sum, nil
}

// copyToBucket puts every file under dir into the photo store, its path the
// key, and counts them.
func copyToBucket(ctx context.Context, dir string, cfg config) (blobSum, error) {
	var sum blobSum
	b, err := openBlobs(ctx, cfg)
	if err != nil {
		return sum, err
	}
	defer b.Close()
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if err := b.Put(ctx, filepath.ToSlash(rel), f, mime.TypeByExtension(filepath.Ext(p))); err != nil {
			return err
		}
		sum.Files++
		sum.Bytes += st.Size()
		return nil
	})
	return sum, err
}

// copyTree copies the regular files under src to dst (missing src: nothing
// to copy) and counts them.
func copyTree(src, dst string) (blobSum, error) {
	var sum blobSum
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == src {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		n, err := io.Copy(out, in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		sum.Files++
		sum.Bytes += n
		return err
	})
	return sum, err
}
