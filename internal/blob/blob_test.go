package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// openTemp opens a bucket in a fresh directory and returns it with the
// directory.
func openTemp(t *testing.T) (*Bucket, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "photos")
	b, err := Open(context.Background(), "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b, dir
}

// files lists every regular file under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPutOpenGet(t *testing.T) {
	ctx := context.Background()
	b, _ := openTemp(t)
	data := bytes.Repeat([]byte("inframap "), 10_000)
	const key = "photos/ab/abcdef0123.jpg"
	if err := b.Put(ctx, key, bytes.NewReader(data), "image/jpeg"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if ok, err := b.Exists(ctx, key); !ok || err != nil {
		t.Errorf("Exists(%s) = %v, %v; want true", key, ok, err)
	}
	r, err := b.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	if r.Size != int64(len(data)) || r.ContentType != "image/jpeg" || time.Since(r.ModTime) > time.Minute {
		t.Errorf("Open(%s) = size %d, type %q, modified %v; want %d, image/jpeg, now", key, r.Size, r.ContentType, r.ModTime, len(data))
	}
	// http.ServeContent seeks to answer ranges.
	if _, err := r.Seek(9, io.SeekStart); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data[9:]) {
		t.Errorf("read after Seek(9) = %d bytes, %v; want %d", len(got), err, len(data)-9)
	}
	if got, err := b.Get(ctx, key); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Get(%s) = %d bytes, %v; want %d", key, len(got), err, len(data))
	}

	// Replacing is allowed; the new bytes win.
	if err := b.Put(ctx, key, strings.NewReader("v2"), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Get(ctx, key); string(got) != "v2" {
		t.Errorf("Get after replace = %q, want v2", got)
	}

	if err := b.Delete(ctx, key); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if ok, err := b.Exists(ctx, key); ok || err != nil {
		t.Errorf("Exists after Delete = %v, %v; want false", ok, err)
	}
}

func TestMissing(t *testing.T) {
	ctx := context.Background()
	b, _ := openTemp(t)
	const key = "photos/none.jpg"
	if _, err := b.Open(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(missing) = %v, want ErrNotFound", err)
	}
	if _, err := b.Get(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	if ok, err := b.Exists(ctx, key); ok || err != nil {
		t.Errorf("Exists(missing) = %v, %v", ok, err)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
}

func TestCheckKey(t *testing.T) {
	valid := []string{
		"a", "photos/ab/0123abcd.jpg", "photos/2024/06/15/x_y-z.thumb.jpg", "_a/-b/c.d",
		strings.Repeat("a", maxSegmentLen) + "/" + strings.Repeat("b", maxSegmentLen) + "/c",
	}
	invalid := []string{
		"", "/", "/etc/passwd", "a/", "a//b", ".", "..", "../a", "a/../b", "a/..", "./a", "a/./b",
		".hidden", "a/.hidden", "a..b", "A.jpg", "a b", "a\\b", "..\\a", "é.jpg", "a\x00b", "a:b", "a?b", "a%2fb",
		"x.jpg.tmp", "x.jpg.attrs", strings.Repeat("a/", maxKeyLen/2) + "a", "a/" + strings.Repeat("b", maxSegmentLen+1),
	}
	for _, k := range valid {
		if err := CheckKey(k); err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", k, err)
		}
	}
	for _, k := range invalid {
		if err := CheckKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
}

// TestKeyCannotEscape: no key, however crafted, writes outside the bucket
// directory, and every operation refuses it before touching the store.
func TestKeyCannotEscape(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "bucket")
	b, err := Open(ctx, "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, key := range []string{
		"../evil.jpg", "../../evil.jpg", "a/../../evil.jpg", "/evil.jpg", "..", "a/..",
		"..\\evil.jpg", "%2e%2e/evil.jpg", "photos/../../evil.jpg", root + "/evil.jpg",
	} {
		if err := b.Put(ctx, key, strings.NewReader("evil"), "image/jpeg"); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := b.Open(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Open(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := b.Exists(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Exists(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := b.Delete(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if got := files(t, root); len(got) > 0 {
		t.Errorf("files written: %v, want none", got)
	}
}

// failingReader yields n bytes, then fails, like an upload whose
// connection drops.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), r.n)
	clear(p[:k])
	r.n -= k
	return k, nil
}

// TestPutAllOrNothing: a write that fails midway leaves the previous
// object, or none, and no stray file.
func TestPutAllOrNothing(t *testing.T) {
	ctx := context.Background()
	b, dir := openTemp(t)
	const key = "photos/x.jpg"

	if err := b.Put(ctx, key, &failingReader{n: 100_000}, "image/jpeg"); err == nil {
		t.Fatal("Put of a failing reader succeeded")
	}
	if ok, _ := b.Exists(ctx, key); ok {
		t.Errorf("a failed Put left an object")
	}
	if got := files(t, dir); len(got) > 0 {
		t.Errorf("a failed Put left files %v", got)
	}

	if err := b.Put(ctx, key, strings.NewReader("v1"), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, key, &failingReader{n: 100_000}, "image/jpeg"); err == nil {
		t.Fatal("Put of a failing reader succeeded")
	}
	if got, err := b.Get(ctx, key); string(got) != "v1" || err != nil {
		t.Errorf("after a failed replace Get = %q, %v; want v1", got, err)
	}

	// A request that ends midway aborts the same way.
	cctx, cancel := context.WithCancel(ctx)
	r := io.MultiReader(strings.NewReader("partial"), readerFunc(func([]byte) (int, error) {
		cancel()
		return 0, cctx.Err()
	}))
	if err := b.Put(cctx, "photos/y.jpg", r, "image/jpeg"); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	if ok, _ := b.Exists(ctx, "photos/y.jpg"); ok {
		t.Errorf("a cancelled Put left an object")
	}
	if got := files(t, dir); len(got) != 2 { // x.jpg and its attributes
		t.Errorf("files after the failed writes: %v, want x.jpg and its sidecar", got)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestNoPartialObjectVisible: while a Put is halfway, its key does not
// exist and List does not show it; the object appears whole at the end.
func TestNoPartialObjectVisible(t *testing.T) {
	ctx := context.Background()
	b, _ := openTemp(t)
	const key = "photos/slow.jpg"
	pr, pw := io.Pipe()
	done := make(chan error)
	go func() { done <- b.Put(ctx, key, pr, "image/jpeg") }()

	half := bytes.Repeat([]byte{1}, 64<<10)
	if _, err := pw.Write(half); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Exists(ctx, key); ok {
		t.Errorf("Exists during the write = true")
	}
	for o, err := range b.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("List during the write shows %+v", o)
	}
	pw.Write(half)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("Put: %v", err)
	}
	if r, err := b.Open(ctx, key); err != nil || r.Size != 2*int64(len(half)) {
		t.Errorf("after the write Open = %v, %v; want %d bytes", r, err, 2*len(half))
	} else {
		r.Close()
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	b, dir := openTemp(t)
	for key, body := range map[string]string{
		"photos/aa/1.jpg":       "1",
		"photos/aa/1.thumb.jpg": "22",
		"photos/bb/2.png":       "333",
		"reports/3.webp":        "4444",
	} {
		if err := b.Put(ctx, key, strings.NewReader(body), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}
	// What a crash in mid-write leaves behind: not an object.
	if err := os.WriteFile(filepath.Join(dir, "photos", "aa", "1.jpg.17f0c2a9e1b3c4d5.tmp"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	type kv struct {
		Key  string
		Size int64
	}
	list := func(prefix string) ([]kv, error) {
		var out []kv
		for o, err := range b.List(ctx, prefix) {
			if err != nil {
				return out, err
			}
			if time.Since(o.ModTime) > time.Minute {
				t.Errorf("List: %s modified %v", o.Key, o.ModTime)
			}
			out = append(out, kv{o.Key, o.Size})
		}
		return out, nil
	}
	tests := []struct {
		prefix string
		want   []kv
	}{
		{"", []kv{{"photos/aa/1.jpg", 1}, {"photos/aa/1.thumb.jpg", 2}, {"photos/bb/2.png", 3}, {"reports/3.webp", 4}}},
		{"photos/", []kv{{"photos/aa/1.jpg", 1}, {"photos/aa/1.thumb.jpg", 2}, {"photos/bb/2.png", 3}}},
		{"photos/aa/1.", []kv{{"photos/aa/1.jpg", 1}, {"photos/aa/1.thumb.jpg", 2}}},
		{"nothing/", nil},
	}
	for _, tt := range tests {
		got, err := list(tt.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", tt.prefix, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("List(%q) mismatch (-want +got):\n%s", tt.prefix, diff)
		}
	}
	if _, err := list("../"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("List(../) = %v, want ErrInvalidKey", err)
	}
	// A caller may stop early.
	n := 0
	for range b.List(ctx, "") {
		n++
		break
	}
	if n != 1 {
		t.Errorf("breaking out of List ran %d times", n)
	}
}

func TestOpenURLs(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	u, err := DefaultURL(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, u)
	if err != nil {
		t.Fatalf("Open(%s): %v", u, err)
	}
	b.Close()
	if fi, err := os.Stat(filepath.Join(dataDir, "photos")); err != nil || !fi.IsDir() {
		t.Errorf("Open(%s) did not create the directory: %v", u, err)
	}

	t.Chdir(dataDir)
	if b, err := Open(ctx, "file://./rel/photos?create_dir=true"); err != nil {
		t.Errorf("Open(relative): %v", err)
	} else {
		b.Close()
		if _, err := os.Stat(filepath.Join(dataDir, "rel", "photos")); err != nil {
			t.Errorf("Open(relative) did not create rel/photos: %v", err)
		}
	}

	// Opening an S3 bucket reads configuration only; nothing is sent. The
	// environment keeps the SDK from looking for credentials on the network.
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dataDir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dataDir, "none"))
	if b, err := Open(ctx, "s3://inframap-photos?region=cn-northeast-1&endpoint=http://127.0.0.1:9&use_path_style=true"); err != nil {
		t.Errorf("Open(s3): %v", err)
	} else {
		b.Close()
	}

	for _, bad := range []string{
		"mem://", "gs://bucket", "azblob://c", "file://host/dir", "file://", "file:///tmp/x?metadata=skip", "::",
	} {
		if b, err := Open(ctx, bad); err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

// TestLongestSegment: the longest key segment still leaves fileblob room
// for its temporary and sidecar file names.
func TestLongestSegment(t *testing.T) {
	ctx := context.Background()
	b, _ := openTemp(t)
	key := "photos/" + strings.Repeat("a", maxSegmentLen-4) + ".jpg"
	if err := b.Put(ctx, key, strings.NewReader("x"), "image/jpeg"); err != nil {
		t.Fatalf("Put(%d-byte segment): %v", maxSegmentLen, err)
	}
	if got, err := b.Get(ctx, key); string(got) != "x" || err != nil {
		t.Errorf("Get = %q, %v", got, err)
	}
}
