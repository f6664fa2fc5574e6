// Package blob owns the photo bytes: originals and their derived copies,
// kept behind gocloud.dev/blob in a directory (file://, the default, under
// the data directory) or in any S3-compatible store (s3://) when the service
// runs on more than one machine. Everything else about a photo lives in
// PostgreSQL; a row names its bytes by key.
//
// Keys are made by the service, never taken from a request, but they are
// checked anyway so that no bug can write outside the bucket: lower-case
// letters, digits and . _ - / only, no empty, hidden, "." or ".." segment,
// no leading or trailing slash.
//
// A Put is all or nothing: an object appears under its key only once all of
// its bytes are stored. fileblob writes a temporary file beside the object
// and renames it into place (rename is atomic within a filesystem, which is
// why the temporary file is not in os.TempDir); S3 publishes an object only
// when its upload completes. A failed or cancelled Put leaves the previous
// object, or none.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

// Errors that callers tell apart with errors.Is.
var (
	// ErrNotFound: no object has that key.
	ErrNotFound = errors.New("blob: not found")
	// ErrInvalidKey: the key breaks the rules in the package comment; a bug
	// in the caller, since keys are made by the service.
	ErrInvalidKey = errors.New("blob: invalid key")
)

// Bucket is a store of photo bytes. It is safe for concurrent use.
type Bucket struct {
	b *blob.Bucket
	// file is true for a fileblob bucket, whose writes are synced to disk
	// before they are renamed into place.
	file bool
}

// DefaultURL is the bucket URL used when none is configured: the photos
// directory under dataDir.
func DefaultURL(dataDir string) (string, error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "photos"))
	if err != nil {
		return "", fmt.Errorf("blob: default bucket under %q: %w", dataDir, err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String(), nil
}

// Open opens the bucket at rawURL:
//
//   - file:///abs/dir or file://./rel/dir: a directory, created if missing.
//   - s3://bucket?region=…: an S3 bucket; credentials come from the usual
//     AWS environment. For another S3-compatible store add
//     endpoint=https://host and use_path_style=true (see gocloud.dev/aws for
//     every parameter).
func Open(ctx context.Context, rawURL string) (*Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("blob: bucket URL: %w", err)
	}
	switch u.Scheme {
	case fileblob.Scheme:
		dir, err := fileDir(u)
		if err != nil {
			return nil, err
		}
		b, err := fileblob.OpenBucket(dir, &fileblob.Options{
			CreateDir: true,
			// The temporary file must be on the bucket's filesystem for the
			// rename that publishes it to be atomic (and to work at all).
			NoTempDir:   true,
			DirFileMode: 0o750,
		})
		if err != nil {
			return nil, fmt.Errorf("blob: open directory %s: %w", dir, err)
		}
		return &Bucket{b: b, file: true}, nil
	case s3blob.Scheme:
		// The opener is called directly rather than through gocloud's
		// global URL mux, so only the two stores named here can be opened.
		b, err := (&s3blob.URLOpener{}).OpenBucketURL(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("blob: open %s: %w", redact(u), err)
		}
		return &Bucket{b: b}, nil
	}
	return nil, fmt.Errorf("blob: bucket URL %s: scheme %q is not file or s3", redact(u), u.Scheme)
}

// fileDir is the directory of a file:// URL. Only fileblob's create_dir and
// no_tmp_dir parameters are accepted (and are in force anyway), so that a
// parameter meant for something else is not silently dropped.
func fileDir(u *url.URL) (string, error) {
	for k := range u.Query() {
		if k != "create_dir" && k != "no_tmp_dir" {
			return "", fmt.Errorf("blob: bucket URL %s: unknown parameter %q", u.Redacted(), k)
		}
	}
	switch u.Host {
	case "":
		if u.Path == "" {
			return "", fmt.Errorf("blob: bucket URL %s has no directory", u.Redacted())
		}
		return filepath.FromSlash(u.Path), nil
	case ".":
		return filepath.FromSlash("." + u.Path), nil
	}
	return "", fmt.Errorf("blob: bucket URL %s: a file URL has no host; use file:///abs/dir or file://./rel/dir", u.Redacted())
}

// redact hides the query, which for S3 may carry keys.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	c.User = nil
	return c.String()
}

// Close releases the bucket.
func (b *Bucket) Close() error {
	if err := b.b.Close(); err != nil {
		return fmt.Errorf("blob: close: %w", err)
	}
	return nil
}

// keyRE is the shape of a key: segments of lower-case letters, digits, '.',
// '_' and '-', not starting with '.', joined by single slashes.
var keyRE = regexp.MustCompile(`^[a-z0-9_-][a-z0-9._-]*(/[a-z0-9_-][a-z0-9._-]*)*$`)

// Limits on keys. A segment is a file name for fileblob, which adds up to
// 22 bytes to it for its temporary file, and file names stop at 255 bytes.
const (
	maxKeyLen     = 512
	maxSegmentLen = 200
)

// CheckKey returns an error wrapping ErrInvalidKey unless key is a valid key.
func CheckKey(key string) error {
	switch {
	case len(key) > maxKeyLen:
		return fmt.Errorf("%w: %d bytes, over %d", ErrInvalidKey, len(key), maxKeyLen)
	case !keyRE.MatchString(key):
		return fmt.Errorf("%w %q: only a-z 0-9 . _ - and single inner slashes, no segment starting with a dot", ErrInvalidKey, key)
	case strings.Contains(key, ".."):
		return fmt.Errorf("%w %q: contains ..", ErrInvalidKey, key)
	case strings.HasSuffix(key, ".tmp"), strings.HasSuffix(key, ".attrs"):
		// fileblob's temporary files and attribute sidecars.
		return fmt.Errorf("%w %q: .tmp and .attrs are the store's own", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if len(seg) > maxSegmentLen {
			return fmt.Errorf("%w: a segment of %d bytes, over %d", ErrInvalidKey, len(seg), maxSegmentLen)
		}
	}
	return nil
}

// checkPrefix accepts "" or a key, with or without a trailing slash.
func checkPrefix(prefix string) error {
	if p := strings.TrimSuffix(prefix, "/"); p != "" {
		if err := CheckKey(p); err != nil {
			return fmt.Errorf("prefix: %w", err)
		}
	}
	return nil
}

// Put stores the bytes of r under key with the given media type, replacing
// any object there, all or nothing. A failure of r, or ctx ending, aborts the
// write.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, contentType string) (err error) {
	if err := CheckKey(key); err != nil {
		return err
	}
	if _, _, err := mime.ParseMediaType(contentType); err != nil {
		return fmt.Errorf("blob: put %s: content type %q: %w", key, contentType, err)
	}
	// gocloud aborts a write whose context is cancelled before Close.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var f *os.File
	w, err := b.b.NewWriter(ctx, key, &blob.WriterOptions{
		ContentType: contentType,
		BeforeWrite: func(as func(any) bool) error {
			as(&f) // fileblob's temporary file; nothing for S3
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if _, err := io.Copy(w, r); err != nil {
		cancel()
		w.Close()
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if f != nil {
		// Without it a power cut after the rename can leave an empty file
		// under the key.
		if err := f.Sync(); err != nil {
			cancel()
			w.Close()
			return fmt.Errorf("blob: put %s: sync: %w", key, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	return nil
}

// Reader reads one object. It is an io.ReadSeeker, so http.ServeContent can
// answer range requests from it.
type Reader struct {
	r *blob.Reader
	// Size is the object's length in bytes.
	Size int64
	// ContentType is the media type given to Put.
	ContentType string
	// ModTime is when the object was last written.
	ModTime time.Time
}

func (r *Reader) Read(p []byte) (int, error)                   { return r.r.Read(p) }
func (r *Reader) Seek(offset int64, whence int) (int64, error) { return r.r.Seek(offset, whence) }

// Close releases the reader.
func (r *Reader) Close() error { return r.r.Close() }

// Open returns a reader of the object under key. The caller must Close it.
func (b *Bucket) Open(ctx context.Context, key string) (*Reader, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	r, err := b.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, wrap("open", key, err)
	}
	return &Reader{r: r, Size: r.Size(), ContentType: r.ContentType(), ModTime: r.ModTime()}, nil
}

// Get returns the whole object under key. It is for small objects
// (thumbnails); stream larger ones with Open.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	data, err := b.b.ReadAll(ctx, key)
	if err != nil {
		return nil, wrap("get", key, err)
	}
	return data, nil
}

// Exists reports whether an object is stored under key.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, err
	}
	ok, err := b.b.Exists(ctx, key)
	if err != nil {
		return false, wrap("exists", key, err)
	}
	return ok, nil
}

// Delete removes the object under key. Deleting a missing object is not an
// error, so that a garbage collector can be re-run after a crash.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := b.b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return wrap("delete", key, err)
	}
	return nil
}

// Object is one entry of List.
type Object struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// List yields every object whose key starts with prefix ("" for all), in
// key order on file:// and S3. It is meant for a garbage collector that
// compares the store with the photos table; the ModTime lets it spare
// objects younger than the longest upload, whose rows may not be committed
// yet. Files that are not objects (fileblob's temporary files, left behind
// only by a crash in mid-write) are skipped. A non-nil error ends the
// sequence.
func (b *Bucket) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if err := checkPrefix(prefix); err != nil {
			yield(Object{}, err)
			return
		}
		it := b.b.List(&blob.ListOptions{Prefix: prefix})
		for {
			o, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Object{}, fmt.Errorf("blob: list %q: %w", prefix, err))
				return
			}
			if o.IsDir || CheckKey(o.Key) != nil {
				continue
			}
			if !yield(Object{Key: o.Key, Size: o.Size, ModTime: o.ModTime}, nil) {
				return
			}
		}
	}
}

func wrap(op, key string, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("blob: %s %s: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("blob: %s %s: %w", op, key, err)
}
